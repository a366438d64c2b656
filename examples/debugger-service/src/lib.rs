//! The simulation behind `debugger-service`: a self-healing debugger. A session opens on a
//! failing execution, detects errors, classifies them with its ML model, generates a patch,
//! applies it (which may fail and be rolled back, then retried once), and ends resolved or
//! failed. The session's last update is published with `final: true` (an override of the
//! event type's default), which ends the session's subject for subscribers.
//!
//! [`Simulation::step`] publishes exactly one event through any [`EventSink`], so the
//! binary paces it at `--rate` and the tests check the sequences with a mock sink.

use herald_event_types::Timestamp;
use herald_event_types::events::{
    Classification, DebugError, DebugErrorDetected, DebugMlClassification, DebugPatchApplied, DebugPatchGenerated,
    DebugPatchRollback, DebugSession, DebugSessionCreated, DebugSessionUpdated, Patch, PatchResult, SessionStatus,
};
use herald_publisher::{EventSink, EventSinkExt, OutgoingEvent, PublishError};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

/// (error type, message, step, file, line, likely class)
const ERRORS: [(&str, &str, &str, &str, u32, &str); 5] = [
    (
        "CompileError",
        "error[E0432]: unresolved import `tokio::sync::Notify2`",
        "build",
        "src/outbox.rs",
        14,
        "api_change",
    ),
    ("TestFailure", "assertion failed: left == right (left: 3, right: 4)", "test", "tests/order.rs", 88, "flaky_test"),
    (
        "DependencyConflict",
        "failed to select a version for `serde` (1.0.190 vs ^1.0.219)",
        "build",
        "Cargo.toml",
        22,
        "dependency_conflict",
    ),
    ("Timeout", "test `hub_restart` timed out after 60 s", "test", "tests/resilience.rs", 41, "flaky_test"),
    (
        "RuntimeError",
        "thread 'main' panicked at 'index out of bounds: the len is 0'",
        "deploy",
        "src/config.rs",
        310,
        "null_handling",
    ),
];
const CLASSES: [&str; 5] = ["api_change", "flaky_test", "dependency_conflict", "null_handling", "configuration"];
const MAX_OPEN: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Detect,
    Analyze,
    Classify,
    Patching,
    Generate,
    Apply,
    Rollback,
    End,
}

#[derive(Debug)]
struct Session {
    session: DebugSession,
    phase: Phase,
    error_id: String,
    error: usize,
    patch_id: String,
    attempts: u32,
    resolved: bool,
}

/// The debugger's state: the sessions in progress.
#[derive(Debug)]
pub struct Simulation {
    rng: StdRng,
    open: Vec<Session>,
    next_id: u64,
}

impl Simulation {
    /// A simulation whose randomness comes from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { rng: StdRng::seed_from_u64(seed), open: Vec::new(), next_id: 1 }
    }

    fn id(&mut self, prefix: &str) -> String {
        let id = format!("{prefix}-{}", self.next_id);
        self.next_id += 1;
        id
    }

    /// Publishes the next event: a new session, or the next step of an open one.
    ///
    /// # Errors
    /// What the sink returns.
    pub fn step(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        if self.open.is_empty() || (self.open.len() < MAX_OPEN && self.rng.random_bool(0.1)) {
            return self.open_session(sink);
        }
        let index = self.rng.random_range(0..self.open.len());
        self.advance(index, sink)
    }

    fn open_session(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let id = self.id("s");
        let error = self.rng.random_range(0..ERRORS.len());
        let session = DebugSession {
            id: id.clone(),
            status: SessionStatus::Active,
            title: Some(format!("{} in {}", ERRORS[error].0, ERRORS[error].2)),
            pipeline_id: Some(format!("p-{}", self.rng.random_range(1..20))),
            execution_id: Some(format!("e-{}", self.rng.random_range(100..999))),
            started_at: Some(Timestamp::now()),
            ..Default::default()
        };
        let error_id = self.id("err");
        self.open.push(Session {
            session: session.clone(),
            phase: Phase::Detect,
            error_id,
            error,
            patch_id: String::new(),
            attempts: 0,
            resolved: false,
        });
        sink.try_publish(&DebugSessionCreated { session_id: id, session })
    }

    fn advance(&mut self, index: usize, sink: &impl EventSink) -> Result<(), PublishError> {
        let phase = self.open[index].phase;
        let session_id = self.open[index].session.id.clone();
        let (kind, message, step, file, line, class) = ERRORS[self.open[index].error];
        match phase {
            Phase::Detect => {
                let s = &mut self.open[index];
                s.phase = Phase::Analyze;
                sink.try_publish(&DebugErrorDetected {
                    session_id,
                    error_id: s.error_id.clone(),
                    error: DebugError {
                        message: message.into(),
                        error_type: Some(kind.into()),
                        step: Some(step.into()),
                        file: Some(file.into()),
                        line: Some(line),
                        stack_trace: Some(format!("  at {file}:{line}\n  at main")),
                        ..Default::default()
                    },
                })
            }
            Phase::Analyze | Phase::Patching => {
                let s = &mut self.open[index];
                let (status, next) = if phase == Phase::Analyze {
                    (SessionStatus::Analyzing, Phase::Classify)
                } else {
                    (SessionStatus::Patching, Phase::Generate)
                };
                s.session.status = status;
                s.phase = next;
                sink.try_publish(&DebugSessionUpdated { session_id, session: s.session.clone() })
            }
            Phase::Classify => {
                let confidence = self.rng.random_range(0.55..0.97);
                let other = *CLASSES
                    .iter()
                    .filter(|c| **c != class)
                    .collect::<Vec<_>>()
                    .choose(&mut self.rng)
                    .unwrap_or(&&"configuration");
                let s = &mut self.open[index];
                s.phase = Phase::Patching;
                sink.try_publish(&DebugMlClassification {
                    session_id,
                    error_id: s.error_id.clone(),
                    classifications: vec![
                        Classification {
                            label: class.into(),
                            confidence,
                            explanation: Some(format!("matches {kind} signatures seen in 214 past runs")),
                            ..Default::default()
                        },
                        Classification {
                            label: (*other).into(),
                            confidence: (1.0 - confidence) / 2.0,
                            ..Default::default()
                        },
                    ],
                })
            }
            Phase::Generate => {
                let patch_id = self.id("patch");
                let confidence = self.rng.random_range(0.4..0.95);
                let s = &mut self.open[index];
                s.patch_id = patch_id.clone();
                s.attempts += 1;
                s.phase = Phase::Apply;
                sink.try_publish(&DebugPatchGenerated {
                    session_id,
                    patch_id,
                    patch: Patch {
                        description: format!("fix {kind} in {file}"),
                        diff: Some(format!("--- a/{file}\n+++ b/{file}\n@@ -{line},1 +{line},1 @@\n-old\n+new\n")),
                        files: Some(vec![file.into()]),
                        confidence: Some(confidence),
                        ..Default::default()
                    },
                })
            }
            Phase::Apply => {
                let success = self.rng.random_bool(0.7);
                let s = &mut self.open[index];
                s.phase = if success { Phase::End } else { Phase::Rollback };
                s.resolved = success;
                let result = PatchResult {
                    success,
                    message: Some(
                        if success { "patch applied; verification run passed" } else { "verification run failed" }
                            .into(),
                    ),
                    tests_passed: Some(success),
                    execution_id: Some(format!("e-verify-{}", s.attempts)),
                    ..Default::default()
                };
                sink.try_publish(&DebugPatchApplied { session_id, patch_id: s.patch_id.clone(), result })
            }
            Phase::Rollback => {
                let s = &mut self.open[index];
                // One more patch after the first rollback, then give up.
                s.phase = if s.attempts < 2 { Phase::Generate } else { Phase::End };
                let result =
                    PatchResult { success: true, message: Some("patch reverted".into()), ..Default::default() };
                sink.try_publish(&DebugPatchRollback { session_id, patch_id: s.patch_id.clone(), result })
            }
            Phase::End => {
                let mut s = self.open.swap_remove(index);
                s.session.status = if s.resolved { SessionStatus::Resolved } else { SessionStatus::Failed };
                s.session.ended_at = Some(Timestamp::now());
                let event = OutgoingEvent::new(&DebugSessionUpdated { session_id, session: s.session })?;
                sink.try_publish_outgoing(event.with_final(true))
            }
        }
    }
}

#[cfg(test)]
#[path = "../../common/recording.rs"]
mod recording;

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use herald_event_types::Priority;

    use super::*;

    fn run(seed: u64, steps: usize) -> Vec<OutgoingEvent> {
        let mut simulation = Simulation::new(seed);
        crate::recording::record(steps, |sink| simulation.step(sink))
    }

    /// The session id of any debug event (its subject's first segment).
    fn session_of(event: &OutgoingEvent) -> String {
        event.subject().split('/').next().unwrap().to_owned()
    }

    #[test]
    fn sessions_follow_detect_classify_patch_and_end_final() {
        let events = run(21, 3000);
        let mut by_session: HashMap<String, Vec<&OutgoingEvent>> = HashMap::new();
        for event in &events {
            by_session.entry(session_of(event)).or_default().push(event);
        }
        let (mut resolved, mut failed, mut rollbacks) = (0, 0, 0);
        for (session, events) in &by_session {
            let kinds: Vec<&str> = events.iter().map(|e| e.event_type()).collect();
            assert_eq!(kinds[0], "debug_session_created", "{session}");
            let Some(last) = events.last().filter(|e| e.is_final()) else { continue };
            assert_eq!(events.iter().filter(|e| e.is_final()).count(), 1);
            let position = |kind: &str| {
                kinds.iter().position(|k| *k == kind).unwrap_or_else(|| panic!("{session}: no {kind} in {kinds:?}"))
            };
            assert!(position("debug_error_detected") < position("debug_ml_classification"));
            assert!(position("debug_ml_classification") < position("debug_patch_generated"));
            assert!(position("debug_patch_generated") < position("debug_patch_applied"));
            let applied: Vec<DebugPatchApplied> = events
                .iter()
                .filter(|e| e.event_type() == "debug_patch_applied")
                .map(|e| e.decode().unwrap())
                .collect();
            rollbacks += kinds.iter().filter(|k| **k == "debug_patch_rollback").count();
            let end: DebugSessionUpdated = last.decode().unwrap();
            match end.session.status {
                SessionStatus::Resolved => {
                    resolved += 1;
                    assert!(applied.last().unwrap().result.success);
                }
                SessionStatus::Failed => {
                    failed += 1;
                    assert!(applied.iter().all(|a| !a.result.success));
                    assert_eq!(kinds.last().copied(), Some("debug_session_updated"));
                }
                other => panic!("{session} ended {other:?}"),
            }
        }
        assert!(
            resolved > 20 && failed > 2 && rollbacks > 5,
            "{resolved} resolved, {failed} failed, {rollbacks} rollbacks"
        );
    }

    #[test]
    fn errors_and_failed_patches_are_high_priority() {
        let events = run(4, 1500);
        for event in &events {
            match event.event_type() {
                "debug_error_detected" | "debug_patch_rollback" => assert_eq!(event.priority(), Priority::High),
                "debug_patch_applied" => {
                    let applied: DebugPatchApplied = event.decode().unwrap();
                    let expected = if applied.result.success { Priority::Medium } else { Priority::High };
                    assert_eq!(event.priority(), expected);
                }
                _ => {}
            }
        }
    }
}

//! The simulation behind `pipeline-service`: an AI pipeline generator and a workflow engine.
//! Pipelines are created and updated; executions start, move through their steps with
//! progress and log lines, and complete or fail.
//!
//! [`Simulation::step`] publishes exactly one event through any [`EventSink`], so the
//! binary paces it at `--rate` and the tests check the sequences with a mock sink.

use herald_event_types::Timestamp;
use herald_event_types::events::{
    Execution, ExecutionStatus, ExecutionStep, LogLevel, LogStream, Pipeline, PipelineCreated,
    PipelineExecutionCompleted, PipelineExecutionLog, PipelineExecutionStarted, PipelineExecutionUpdated,
    PipelineStatus, PipelineUpdated, StepStatus,
};
use herald_publisher::{EventSink, EventSinkExt, PublishError};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const REPOS: [&str; 5] = ["shop/checkout", "shop/catalog", "platform/auth", "data/ingest", "web/storefront"];
const BRANCHES: [&str; 4] = ["main", "develop", "release/2.4", "feature/retry-budget"];
const STEPS: [&str; 5] = ["checkout", "build", "test", "scan", "deploy"];
const TRIGGERS: [&str; 3] = ["push", "schedule", "manual"];

/// How many executions run at once, at most.
const MAX_RUNNING: usize = 3;

#[derive(Debug)]
struct Run {
    pipeline_id: String,
    execution_id: String,
    progress: u8,
    steps: Vec<ExecutionStep>,
    /// The progress at which this run fails, if it does.
    fail_at: Option<u8>,
    trigger: &'static str,
    commit: String,
    started_at: Timestamp,
}

impl Run {
    fn current(&self) -> usize {
        (usize::from(self.progress) * self.steps.len() / 101).min(self.steps.len() - 1)
    }

    fn execution(&self, status: ExecutionStatus) -> Execution {
        Execution {
            id: self.execution_id.clone(),
            status,
            pipeline_id: Some(self.pipeline_id.clone()),
            progress: Some(self.progress),
            current_step: Some(self.steps[self.current()].name.clone()),
            steps: Some(self.steps.clone()),
            trigger: Some(self.trigger.into()),
            commit: Some(self.commit.clone()),
            started_at: Some(self.started_at.clone()),
            ..Default::default()
        }
    }

    /// Marks steps before the current one completed and the current one running.
    fn sync_steps(&mut self) {
        let current = self.current();
        for (i, step) in self.steps.iter_mut().enumerate() {
            step.status = match i.cmp(&current) {
                std::cmp::Ordering::Less => StepStatus::Completed,
                std::cmp::Ordering::Equal => StepStatus::Running,
                std::cmp::Ordering::Greater => StepStatus::Pending,
            };
        }
    }
}

/// The pipeline service's state: its pipelines and the executions running now.
#[derive(Debug)]
pub struct Simulation {
    rng: StdRng,
    pipelines: Vec<Pipeline>,
    running: Vec<Run>,
    next_id: u64,
}

impl Simulation {
    /// A simulation whose randomness comes from `seed` (the same seed, the same events).
    pub fn new(seed: u64) -> Self {
        Self { rng: StdRng::seed_from_u64(seed), pipelines: Vec::new(), running: Vec::new(), next_id: 1 }
    }

    fn id(&mut self, prefix: &str) -> String {
        let id = format!("{prefix}-{}", self.next_id);
        self.next_id += 1;
        id
    }

    /// Publishes the next event: a pipeline created or updated, an execution started, or a
    /// running execution's next update, log line or completion.
    ///
    /// # Errors
    /// What the sink returns.
    pub fn step(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let roll: f64 = self.rng.random();
        if self.pipelines.is_empty() || (roll < 0.03 && self.pipelines.len() < 20) {
            return self.create_pipeline(sink);
        }
        if roll < 0.06 {
            return self.update_pipeline(sink);
        }
        if self.running.is_empty() || (self.running.len() < MAX_RUNNING && roll < 0.15) {
            return self.start_execution(sink);
        }
        self.advance(sink)
    }

    fn create_pipeline(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let id = self.id("p");
        let repo = *REPOS.choose(&mut self.rng).unwrap_or(&REPOS[0]);
        let branch = *BRANCHES.choose(&mut self.rng).unwrap_or(&BRANCHES[0]);
        let stages = STEPS.iter().filter(|s| **s != "scan" || self.rng.random_bool(0.7)).map(|s| (*s).into()).collect();
        let pipeline = Pipeline {
            id: id.clone(),
            name: format!("{} {branch}", repo.split('/').next_back().unwrap_or(repo)),
            status: Some(PipelineStatus::Active),
            repository: Some(format!("git@example.com:{repo}.git")),
            branch: Some(branch.into()),
            stages: Some(stages),
            created_by: Some(if self.rng.random_bool(0.6) { "ai-pipeline-generator" } else { "ada" }.into()),
            created_at: Some(Timestamp::now()),
            ..Default::default()
        };
        self.pipelines.push(pipeline.clone());
        sink.try_publish(&PipelineCreated { pipeline_id: id, pipeline })
    }

    fn update_pipeline(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let index = self.rng.random_range(0..self.pipelines.len());
        let paused = self.rng.random_bool(0.3);
        let pipeline = &mut self.pipelines[index];
        pipeline.status = Some(if paused { PipelineStatus::Paused } else { PipelineStatus::Active });
        pipeline.description = Some("stages regenerated from the latest repository scan".into());
        pipeline.updated_at = Some(Timestamp::now());
        let event = PipelineUpdated { pipeline_id: pipeline.id.clone(), pipeline: pipeline.clone() };
        sink.try_publish(&event)
    }

    fn start_execution(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let pipeline = self.pipelines.choose(&mut self.rng).cloned().unwrap_or_default();
        let execution_id = self.id("e");
        let names = pipeline.stages.clone().unwrap_or_else(|| STEPS.iter().map(|s| (*s).into()).collect());
        let steps = names.into_iter().map(|name| ExecutionStep { name, ..Default::default() }).collect();
        let fail_at = self.rng.random_bool(0.25).then(|| self.rng.random_range(10..95));
        let mut run = Run {
            pipeline_id: pipeline.id,
            execution_id,
            progress: 0,
            steps,
            fail_at,
            trigger: TRIGGERS.choose(&mut self.rng).copied().unwrap_or("push"),
            commit: format!("{:07x}", self.rng.random_range(0..0x0fff_ffffu32)),
            started_at: Timestamp::now(),
        };
        run.sync_steps();
        let event = PipelineExecutionStarted {
            execution_id: run.execution_id.clone(),
            pipeline_id: run.pipeline_id.clone(),
            execution: run.execution(ExecutionStatus::Running),
        };
        self.running.push(run);
        sink.try_publish(&event)
    }

    fn advance(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let index = self.rng.random_range(0..self.running.len());
        if self.rng.random_bool(0.5) {
            let line = self.log_line(index);
            return sink.try_publish(&line);
        }
        let step = self.rng.random_range(3..=15);
        let run = &mut self.running[index];
        let next = run.progress.saturating_add(step).min(100);
        if let Some(fail_at) = run.fail_at.filter(|at| next >= *at) {
            run.progress = fail_at;
            run.sync_steps();
            let current = run.current();
            run.steps[current].status = StepStatus::Failed;
            let mut execution = run.execution(ExecutionStatus::Failed);
            execution.message = Some(format!("step {} failed: exit code 1", run.steps[current].name));
            execution.completed_at = Some(Timestamp::now());
            let run = self.running.swap_remove(index);
            return sink.try_publish(&PipelineExecutionCompleted {
                execution_id: run.execution_id,
                pipeline_id: run.pipeline_id,
                execution,
            });
        }
        run.progress = next;
        if next == 100 {
            for step in &mut run.steps {
                step.status = StepStatus::Completed;
            }
            let mut execution = run.execution(ExecutionStatus::Completed);
            execution.message = Some("all steps passed".into());
            execution.completed_at = Some(Timestamp::now());
            let run = self.running.swap_remove(index);
            return sink.try_publish(&PipelineExecutionCompleted {
                execution_id: run.execution_id,
                pipeline_id: run.pipeline_id,
                execution,
            });
        }
        run.sync_steps();
        let event = PipelineExecutionUpdated {
            execution_id: run.execution_id.clone(),
            pipeline_id: run.pipeline_id.clone(),
            execution: run.execution(ExecutionStatus::Running),
        };
        sink.try_publish(&event)
    }

    fn log_line(&mut self, index: usize) -> PipelineExecutionLog {
        let run = &self.running[index];
        let step = run.steps[run.current()].name.clone();
        let (level, stream, line) = match (step.as_str(), self.rng.random_range(0..10)) {
            (_, 0) => {
                (LogLevel::Warn, LogStream::Stderr, "warning: retrying flaky network call (attempt 2/3)".to_owned())
            }
            ("build", n) => (LogLevel::Info, LogStream::Stdout, format!("Compiling crate {n} of 42")),
            ("test", n) => (LogLevel::Info, LogStream::Stdout, format!("test suite {n}: 128 passed, 0 failed")),
            ("deploy", _) => (LogLevel::Info, LogStream::System, "rolling out to canary (10%)".to_owned()),
            ("scan", _) => (LogLevel::Debug, LogStream::Stdout, "scanning dependencies: 312 packages".to_owned()),
            (_, _) => (LogLevel::Info, LogStream::Stdout, format!("{step}: ok")),
        };
        PipelineExecutionLog {
            execution_id: run.execution_id.clone(),
            pipeline_id: run.pipeline_id.clone(),
            line,
            level,
            stream,
            step: Some(step),
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
    use herald_event_types::events::PipelineExecutionCompleted;
    use herald_publisher::OutgoingEvent;

    use super::*;

    fn run(seed: u64, steps: usize) -> Vec<OutgoingEvent> {
        let mut simulation = Simulation::new(seed);
        crate::recording::record(steps, |sink| simulation.step(sink))
    }

    #[test]
    fn executions_start_progress_to_the_end_and_complete_final() {
        let events = run(7, 3000);
        let mut by_execution: HashMap<String, Vec<&OutgoingEvent>> = HashMap::new();
        for event in events.iter().filter(|e| e.event_type().starts_with("pipeline_execution")) {
            by_execution.entry(event.subject().to_owned()).or_default().push(event);
        }
        let mut completed = 0;
        let mut failed = 0;
        for (subject, events) in &by_execution {
            assert_eq!(events[0].event_type(), "pipeline_execution_started", "{subject}");
            let mut progress = 0;
            for event in events.iter().filter(|e| e.event_type() == "pipeline_execution_updated") {
                let update: PipelineExecutionUpdated = event.decode().unwrap();
                let now = update.execution.progress.unwrap();
                assert!(now >= progress, "{subject}: progress went back from {progress} to {now}");
                progress = now;
            }
            let last = events.last().unwrap();
            if last.event_type() != "pipeline_execution_completed" {
                continue; // still running at the end of the test
            }
            assert!(last.is_final(), "completion ends the subject");
            assert_eq!(events.iter().filter(|e| e.is_final()).count(), 1, "{subject}");
            let done: PipelineExecutionCompleted = last.decode().unwrap();
            match done.execution.status {
                ExecutionStatus::Completed => {
                    completed += 1;
                    assert_eq!(done.execution.progress, Some(100));
                    assert_eq!(last.priority(), Priority::Medium);
                }
                ExecutionStatus::Failed => {
                    failed += 1;
                    assert!(done.execution.progress.unwrap() < 100);
                    assert_eq!(last.priority(), Priority::High, "failures are HIGH");
                }
                other => panic!("unexpected final status {other:?}"),
            }
        }
        assert!(completed > 10 && failed > 3, "{completed} completed, {failed} failed");
    }

    #[test]
    fn the_stream_is_varied() {
        let events = run(11, 2000);
        let mut kinds: HashMap<&str, usize> = HashMap::new();
        for event in &events {
            *kinds.entry(event.event_type()).or_default() += 1;
        }
        for kind in [
            "pipeline_created",
            "pipeline_updated",
            "pipeline_execution_started",
            "pipeline_execution_updated",
            "pipeline_execution_log",
            "pipeline_execution_completed",
        ] {
            assert!(kinds.get(kind).copied().unwrap_or(0) > 0, "no {kind} in {kinds:?}");
        }
        let logs = events.iter().filter(|e| e.event_type() == "pipeline_execution_log");
        assert!(logs.clone().all(|e| e.priority() == Priority::Low));
        // Every log line belongs to an execution that had started.
        let started: std::collections::HashSet<_> =
            events.iter().filter(|e| e.event_type() == "pipeline_execution_started").map(|e| e.subject()).collect();
        assert!(logs.clone().all(|e| started.contains(e.subject())));
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let kinds = |events: Vec<OutgoingEvent>| {
            events.iter().map(|e| (e.event_type().to_owned(), e.subject().to_owned())).collect::<Vec<_>>()
        };
        assert_eq!(kinds(run(3, 300)), kinds(run(3, 300)));
    }
}

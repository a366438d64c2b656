//! One realistic sample per catalogue event: the values the golden fixtures in
//! `docs/protocol/fixtures/events/` must decode into.

use herald_event_types::CatalogueEvent;
use herald_event_types::Timestamp;
use herald_event_types::events::*;
use serde_json::json;

fn ts(text: &str) -> Option<Timestamp> {
    Some(Timestamp::parse(text).unwrap())
}

fn pipeline() -> Pipeline {
    Pipeline {
        id: "p-42".into(),
        name: "checkout-service build".into(),
        status: Some(PipelineStatus::Active),
        repository: Some("git@example.com:shop/checkout.git".into()),
        branch: Some("main".into()),
        stages: Some(vec!["build".into(), "test".into(), "deploy".into()]),
        created_by: Some("ai-pipeline-generator".into()),
        created_at: ts("2026-11-22T09:58:00.000Z"),
        ..Default::default()
    }
}

fn execution(status: ExecutionStatus, progress: u8, step: &str) -> Execution {
    Execution {
        id: "e-7".into(),
        status,
        pipeline_id: Some("p-42".into()),
        progress: Some(progress),
        current_step: Some(step.into()),
        steps: Some(vec![
            ExecutionStep {
                name: "build".into(),
                status: StepStatus::Completed,
                duration_ms: Some(41_200),
                ..Default::default()
            },
            ExecutionStep { name: "test".into(), status: StepStatus::Running, ..Default::default() },
        ]),
        trigger: Some("push".into()),
        commit: Some("9fceb02".into()),
        started_at: ts("2026-11-22T10:00:00.123Z"),
        ..Default::default()
    }
}

fn vulnerability() -> Vulnerability {
    Vulnerability {
        id: "v-1".into(),
        title: "Prototype pollution in lodash".into(),
        severity: Severity::Critical,
        scan_id: Some("scan-1".into()),
        status: Some(VulnerabilityStatus::Open),
        cve: Some("CVE-2026-1234".into()),
        package: Some("lodash".into()),
        version: Some("4.17.20".into()),
        fixed_version: Some("4.17.21".into()),
        file: Some("package-lock.json".into()),
        cvss: Some(9.1),
        ..Default::default()
    }
}

fn scan(status: ScanStatus, progress: u8) -> Scan {
    Scan {
        id: "scan-1".into(),
        status,
        target: Some("shop/checkout@9fceb02".into()),
        scanner: Some("dependency".into()),
        progress: Some(progress),
        findings: Some(FindingCounts { critical: 1, high: 2, medium: 0, low: 5, ..Default::default() }),
        started_at: ts("2026-11-22T10:01:00Z"),
        ..Default::default()
    }
}

fn session(status: SessionStatus) -> DebugSession {
    DebugSession {
        id: "s-1".into(),
        status,
        title: Some("test stage of e-7 failed".into()),
        pipeline_id: Some("p-42".into()),
        execution_id: Some("e-7".into()),
        started_at: ts("2026-11-22T10:03:00Z"),
        ..Default::default()
    }
}

fn result(success: bool) -> PatchResult {
    PatchResult {
        success,
        message: Some(if success { "tests pass".into() } else { "2 tests still fail".into() }),
        tests_passed: Some(success),
        ..Default::default()
    }
}

/// `(event_type, event)` for every catalogue event.
pub(crate) fn samples() -> Vec<CatalogueEvent> {
    use CatalogueEvent as C;
    vec![
        C::PipelineCreated(PipelineCreated { pipeline_id: "p-42".into(), pipeline: pipeline() }),
        C::PipelineUpdated(PipelineUpdated {
            pipeline_id: "p-42".into(),
            pipeline: Pipeline { status: Some(PipelineStatus::Paused), updated_at: ts("2026-11-22T10:30:00Z"), ..pipeline() },
        }),
        C::PipelineDeleted(PipelineDeleted { pipeline_id: "p-42".into() }),
        C::PipelineExecutionStarted(PipelineExecutionStarted {
            execution_id: "e-7".into(),
            pipeline_id: "p-42".into(),
            execution: execution(ExecutionStatus::Running, 0, "build"),
        }),
        C::PipelineExecutionUpdated(PipelineExecutionUpdated {
            execution_id: "e-7".into(),
            pipeline_id: "p-42".into(),
            execution: execution(ExecutionStatus::Running, 55, "test"),
        }),
        C::PipelineExecutionCompleted(PipelineExecutionCompleted {
            execution_id: "e-7".into(),
            pipeline_id: "p-42".into(),
            execution: Execution {
                message: Some("2 tests failed".into()),
                completed_at: ts("2026-11-22T10:02:30Z"),
                duration_ms: Some(149_877),
                ..execution(ExecutionStatus::Failed, 100, "test")
            },
        }),
        C::PipelineExecutionLog(PipelineExecutionLog {
            execution_id: "e-7".into(),
            pipeline_id: "p-42".into(),
            line: "FAIL src/cart.test.ts > applies discount (12 ms)".into(),
            level: LogLevel::Error,
            stream: LogStream::Stderr,
            step: Some("test".into()),
        }),
        C::SecurityVulnerabilityDetected(SecurityVulnerabilityDetected {
            vulnerability_id: "v-1".into(),
            vulnerability: vulnerability(),
        }),
        C::SecurityVulnerabilityUpdated(SecurityVulnerabilityUpdated {
            vulnerability_id: "v-1".into(),
            vulnerability: Vulnerability { status: Some(VulnerabilityStatus::Fixed), ..vulnerability() },
        }),
        C::SecurityScanStarted(SecurityScanStarted { scan_id: "scan-1".into(), scan: scan(ScanStatus::Running, 0) }),
        C::SecurityScanUpdated(SecurityScanUpdated { scan_id: "scan-1".into(), scan: scan(ScanStatus::Running, 60) }),
        C::SecurityScanCompleted(SecurityScanCompleted {
            scan_id: "scan-1".into(),
            scan: Scan { completed_at: ts("2026-11-22T10:04:10Z"), ..scan(ScanStatus::Completed, 100) },
        }),
        C::DebugSessionCreated(DebugSessionCreated { session_id: "s-1".into(), session: session(SessionStatus::Active) }),
        C::DebugSessionUpdated(DebugSessionUpdated {
            session_id: "s-1".into(),
            session: session(SessionStatus::Patching),
        }),
        C::DebugErrorDetected(DebugErrorDetected {
            session_id: "s-1".into(),
            error_id: "err-3".into(),
            error: DebugError {
                message: "expected 90 to equal 81".into(),
                error_type: Some("TestFailure".into()),
                step: Some("test".into()),
                file: Some("src/cart.test.ts".into()),
                line: Some(27),
                ..Default::default()
            },
        }),
        C::DebugMlClassification(DebugMlClassification {
            session_id: "s-1".into(),
            error_id: "err-3".into(),
            classifications: vec![
                Classification {
                    label: "logic_error".into(),
                    confidence: 0.82,
                    explanation: Some("assertion on a computed total".into()),
                    ..Default::default()
                },
                Classification { label: "flaky_test".into(), confidence: 0.11, ..Default::default() },
            ],
        }),
        C::DebugPatchGenerated(DebugPatchGenerated {
            session_id: "s-1".into(),
            patch_id: "patch-1".into(),
            patch: Patch {
                description: "apply the discount before tax".into(),
                diff: Some("--- a/src/cart.ts\n+++ b/src/cart.ts\n@@ -12 +12 @@\n-  return total * tax - discount;\n+  return (total - discount) * tax;\n".into()),
                files: Some(vec!["src/cart.ts".into()]),
                confidence: Some(0.74),
                ..Default::default()
            },
        }),
        C::DebugPatchApplied(DebugPatchApplied { session_id: "s-1".into(), patch_id: "patch-1".into(), result: result(true) }),
        C::DebugPatchRollback(DebugPatchRollback {
            session_id: "s-1".into(),
            patch_id: "patch-1".into(),
            result: result(false),
        }),
        C::ToolStarted(ToolStarted {
            crew_id: "crew-1".into(),
            run_id: "run-9".into(),
            agent_id: "fixer".into(),
            tool: "run_tests".into(),
            params: Some(json!({"path": "src/cart.test.ts", "retries": 1})),
            message: Some("re-running the failing test".into()),
        }),
        C::ToolProgress(ToolProgress {
            crew_id: "crew-1".into(),
            run_id: "run-9".into(),
            agent_id: "fixer".into(),
            tool: "run_tests".into(),
            progress: 40,
            message: Some("12 of 30 tests".into()),
        }),
        C::ToolCompleted(ToolCompleted {
            crew_id: "crew-1".into(),
            run_id: "run-9".into(),
            agent_id: "fixer".into(),
            tool: "run_tests".into(),
            status: ToolStatus::Succeeded,
            duration_ms: 5230,
            exit_code: Some(0),
            message: Some("30 passed".into()),
        }),
        C::SystemStatusUpdate(SystemStatusUpdate {
            status: SystemStatus {
                status: HealthStatus::Degraded,
                message: Some("runner pool at capacity".into()),
                components: Some(vec![
                    ComponentStatus { name: "api".into(), status: HealthStatus::Healthy, ..Default::default() },
                    ComponentStatus {
                        name: "runner-pool".into(),
                        status: HealthStatus::Degraded,
                        message: Some("queue 48 jobs".into()),
                        ..Default::default()
                    },
                ]),
                version: Some("3.14.0".into()),
                uptime_seconds: Some(86_400),
                ..Default::default()
            },
        }),
        C::SystemMetricsUpdate(SystemMetricsUpdate {
            metrics: SystemMetrics {
                cpu_percent: Some(71.5),
                memory_percent: Some(63.0),
                active_pipelines: Some(12),
                running_executions: Some(17),
                queued_jobs: Some(48),
                events_per_second: Some(1250.0),
                connected_clients: Some(230),
                ..Default::default()
            },
        }),
        C::SystemAlert(SystemAlert {
            alert_id: "a-5".into(),
            alert: Alert {
                title: "Runner queue above 40 jobs".into(),
                severity: Severity::High,
                message: Some("scale the runner pool".into()),
                component: Some("runner-pool".into()),
                raised_at: ts("2026-11-22T10:05:00Z"),
                resolved: Some(false),
                ..Default::default()
            },
        }),
        C::ArchitectureDiagramUpdate(ArchitectureDiagramUpdate {
            diagram_id: "d-1".into(),
            diagram: Diagram {
                name: Some("checkout".into()),
                format: Some("mermaid".into()),
                content: Some("graph LR; api-->db".into()),
                nodes: Some(vec![
                    DiagramNode { id: "api".into(), label: "Checkout API".into(), kind: Some("service".into()), ..Default::default() },
                    DiagramNode { id: "db".into(), label: "Orders DB".into(), kind: Some("database".into()), ..Default::default() },
                ]),
                edges: Some(vec![DiagramEdge { from: "api".into(), to: "db".into(), ..Default::default() }]),
                version: Some(3),
                ..Default::default()
            },
        }),
        C::UserNotification(UserNotification {
            user_id: "u-1".into(),
            notification_id: "n-1".into(),
            notification: Notification {
                title: "Patch applied to checkout-service".into(),
                message: Some("the self-healing debugger fixed e-7".into()),
                level: Some(NotificationLevel::Success),
                link: Some("/pipelines/p-42/executions/e-7".into()),
                ..Default::default()
            },
        }),
    ]
}

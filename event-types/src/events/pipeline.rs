//! PIPELINE: pipeline definitions, executions and their log lines.

use crate::Priority;
use crate::envelope::Timestamp;

string_enum! {
    /// The state of a pipeline definition.
    pub enum PipelineStatus {
        /// Runs on its triggers.
        Active = "active",
        /// Triggers are ignored until resumed.
        Paused = "paused",
        /// Generated but not yet enabled.
        Draft = "draft",
        /// Turned off.
        Disabled = "disabled",
    }
    default = Active;
}

string_enum! {
    /// The state of a pipeline execution or of a workflow run.
    pub enum ExecutionStatus {
        /// Waiting for a runner.
        Queued = "queued",
        /// In progress.
        Running = "running",
        /// Finished successfully.
        Completed = "completed",
        /// Finished with a failure.
        Failed = "failed",
        /// Stopped before finishing.
        Cancelled = "cancelled",
    }
    default = Queued;
}

impl ExecutionStatus {
    /// Whether the execution has ended (completed, failed or cancelled).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

string_enum! {
    /// The state of one step of an execution.
    pub enum StepStatus {
        /// Not started.
        Pending = "pending",
        /// In progress.
        Running = "running",
        /// Finished successfully.
        Completed = "completed",
        /// Finished with a failure.
        Failed = "failed",
        /// Not run.
        Skipped = "skipped",
    }
    default = Pending;
}

string_enum! {
    /// The severity of a log line.
    pub enum LogLevel {
        /// Diagnostic detail.
        Debug = "debug",
        /// Normal output.
        Info = "info",
        /// Something unexpected that did not fail the step.
        Warn = "warn",
        /// A failure.
        Error = "error",
    }
    default = Info;
}

string_enum! {
    /// Where a log line came from.
    pub enum LogStream {
        /// The step's standard output.
        Stdout = "stdout",
        /// The step's standard error.
        Stderr = "stderr",
        /// The workflow engine itself.
        System = "system",
    }
    default = Stdout;
}

model! {
    /// A pipeline definition.
    pub struct Pipeline {
        required {
            id: String = "Pipeline id (`p-42`).",
            name: String = "Display name.",
        }
        optional {
            status: PipelineStatus = "Whether the pipeline runs.",
            description: String = "What the pipeline does.",
            repository: String = "Source repository.",
            branch: String = "Branch it builds.",
            stages: Vec<String> = "Stage names, in order.",
            created_by: String = "Who or what created it (a user or `ai-pipeline-generator`).",
            created_at: Timestamp = "When it was created.",
            updated_at: Timestamp = "When it last changed.",
        }
    }
}

model! {
    /// One step of an execution.
    pub struct ExecutionStep {
        required {
            name: String = "Step name.",
            status: StepStatus = "Step state.",
        }
        optional {
            started_at: Timestamp = "When the step started.",
            completed_at: Timestamp = "When the step ended.",
            duration_ms: u64 = "How long it ran, in milliseconds.",
        }
    }
}

model! {
    /// One run of a pipeline (or of a workflow).
    pub struct Execution {
        required {
            id: String = "Execution id (`e-7`).",
            status: ExecutionStatus = "Execution state.",
        }
        optional {
            pipeline_id: String = "The pipeline it runs.",
            progress: u8 = "Percent done, 0 to 100.",
            current_step: String = "Name of the step running now.",
            steps: Vec<ExecutionStep> = "Every step with its state.",
            message: String = "Human-readable status or result message.",
            trigger: String = "What started it (`push`, `schedule`, `manual`).",
            commit: String = "Commit being built.",
            started_at: Timestamp = "When it started.",
            completed_at: Timestamp = "When it ended.",
            duration_ms: u64 = "How long it ran, in milliseconds.",
        }
    }
}

event! {
    /// A pipeline definition was created.
    pub struct PipelineCreated {
        event_type: "pipeline_created",
        category: Pipeline,
        priority: Medium,
        subject: "{pipelineId}" => |e| e.pipeline_id.clone(),
        final: false,
        required {
            pipeline_id: String = "The pipeline's id.",
            pipeline: Pipeline = "The pipeline as created.",
        }
        optional {}
    }
}

event! {
    /// A pipeline definition changed.
    pub struct PipelineUpdated {
        event_type: "pipeline_updated",
        category: Pipeline,
        priority: Medium,
        subject: "{pipelineId}" => |e| e.pipeline_id.clone(),
        final: false,
        required {
            pipeline_id: String = "The pipeline's id.",
            pipeline: Pipeline = "The pipeline as it is now.",
        }
        optional {}
    }
}

event! {
    /// A pipeline definition was deleted; it ends the pipeline's subject.
    pub struct PipelineDeleted {
        event_type: "pipeline_deleted",
        category: Pipeline,
        priority: Medium,
        subject: "{pipelineId}" => |e| e.pipeline_id.clone(),
        final: true,
        required {
            pipeline_id: String = "The deleted pipeline's id.",
        }
        optional {}
    }
}

event! {
    /// An execution of a pipeline started.
    pub struct PipelineExecutionStarted {
        event_type: "pipeline_execution_started",
        category: Pipeline,
        priority: Medium,
        subject: "{pipelineId}/{executionId}" => |e| format!("{}/{}", e.pipeline_id, e.execution_id),
        final: false,
        required {
            execution_id: String = "The execution's id.",
            pipeline_id: String = "The pipeline it runs.",
            execution: Execution = "The execution as started.",
        }
        optional {}
    }
}

event! {
    /// An execution progressed (step, progress, status).
    pub struct PipelineExecutionUpdated {
        event_type: "pipeline_execution_updated",
        category: Pipeline,
        priority: Medium,
        subject: "{pipelineId}/{executionId}" => |e| format!("{}/{}", e.pipeline_id, e.execution_id),
        final: false,
        required {
            execution_id: String = "The execution's id.",
            pipeline_id: String = "The pipeline it runs.",
            execution: Execution = "The execution as it is now.",
        }
        optional {}
    }
}

event! {
    /// An execution ended (completed, failed or cancelled); it ends the execution's subject.
    pub struct PipelineExecutionCompleted {
        event_type: "pipeline_execution_completed",
        category: Pipeline,
        priority: Medium,
        priority_rule: "HIGH when `execution.status` is `failed`" => |e| {
            if e.execution.status == ExecutionStatus::Failed { Priority::High } else { Priority::Medium }
        },
        subject: "{pipelineId}/{executionId}" => |e| format!("{}/{}", e.pipeline_id, e.execution_id),
        final: true,
        required {
            execution_id: String = "The execution's id.",
            pipeline_id: String = "The pipeline it ran.",
            execution: Execution = "The execution's final state and result.",
        }
        optional {}
    }
}

event! {
    /// One line of an execution's log.
    pub struct PipelineExecutionLog {
        event_type: "pipeline_execution_log",
        category: Pipeline,
        priority: Low,
        subject: "{pipelineId}/{executionId}" => |e| format!("{}/{}", e.pipeline_id, e.execution_id),
        final: false,
        required {
            execution_id: String = "The execution's id.",
            pipeline_id: String = "The pipeline it runs.",
            line: String = "The text of the line, without its newline.",
            level: LogLevel = "The line's severity.",
            stream: LogStream = "Where the line came from.",
        }
        optional {
            step: String = "The step that wrote it.",
        }
    }
}

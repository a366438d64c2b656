//! DEBUG: the self-healing debugger's sessions, errors, classifications and patches.

use crate::Priority;
use crate::envelope::Timestamp;

string_enum! {
    /// The state of a debug session.
    pub enum SessionStatus {
        /// Collecting information.
        Active = "active",
        /// Classifying the error.
        Analyzing = "analyzing",
        /// Generating or applying a patch.
        Patching = "patching",
        /// The problem is fixed.
        Resolved = "resolved",
        /// The debugger gave up.
        Failed = "failed",
    }
    default = Active;
}

model! {
    /// A debugging session for one failing execution.
    pub struct DebugSession {
        required {
            id: String = "Session id (`s-1`).",
            status: SessionStatus = "Session state.",
        }
        optional {
            title: String = "What is being debugged.",
            pipeline_id: String = "The pipeline of the failing execution.",
            execution_id: String = "The failing execution.",
            started_at: Timestamp = "When the session started.",
            ended_at: Timestamp = "When it ended.",
        }
    }
}

model! {
    /// An error the debugger detected.
    pub struct DebugError {
        required {
            message: String = "The error message.",
        }
        optional {
            error_type: String = "The error's kind (`CompileError`, `TestFailure`).",
            step: String = "The execution step it happened in.",
            file: String = "Source file.",
            line: u32 = "Line in the file.",
            stack_trace: String = "Stack trace or log excerpt.",
        }
    }
}

model! {
    /// One label of the ML error classifier.
    pub struct Classification {
        required {
            label: String = "The class (`dependency_conflict`, `flaky_test`).",
            confidence: f64 = "Confidence, 0 to 1.",
        }
        optional {
            explanation: String = "Why the classifier chose it.",
        }
    }
}

model! {
    /// A patch the debugger generated.
    pub struct Patch {
        required {
            description: String = "What the patch changes.",
        }
        optional {
            diff: String = "Unified diff.",
            files: Vec<String> = "Files it touches.",
            confidence: f64 = "Confidence that it fixes the error, 0 to 1.",
        }
    }
}

model! {
    /// The outcome of applying or rolling back a patch.
    pub struct PatchResult {
        required {
            success: bool = "Whether the operation succeeded.",
        }
        optional {
            message: String = "What happened.",
            tests_passed: bool = "Whether the tests passed afterwards.",
            execution_id: String = "The verification run, if one was started.",
        }
    }
}

event! {
    /// A debug session started.
    pub struct DebugSessionCreated {
        event_type: "debug_session_created",
        category: Debug,
        priority: Medium,
        subject: "{sessionId}" => |e| e.session_id.clone(),
        final: false,
        required {
            session_id: String = "The session's id.",
            session: DebugSession = "The session as started.",
        }
        optional {}
    }
}

event! {
    /// A debug session changed state.
    pub struct DebugSessionUpdated {
        event_type: "debug_session_updated",
        category: Debug,
        priority: Medium,
        subject: "{sessionId}" => |e| e.session_id.clone(),
        final: false,
        required {
            session_id: String = "The session's id.",
            session: DebugSession = "The session as it is now.",
        }
        optional {}
    }
}

event! {
    /// The debugger detected an error.
    pub struct DebugErrorDetected {
        event_type: "debug_error_detected",
        category: Debug,
        priority: High,
        subject: "{sessionId}/{errorId}" => |e| format!("{}/{}", e.session_id, e.error_id),
        final: false,
        required {
            session_id: String = "The session's id.",
            error_id: String = "The error's id.",
            error: DebugError = "The error.",
        }
        optional {}
    }
}

event! {
    /// The ML classifier labelled an error.
    pub struct DebugMlClassification {
        event_type: "debug_ml_classification",
        category: Debug,
        priority: Medium,
        subject: "{sessionId}/{errorId}" => |e| format!("{}/{}", e.session_id, e.error_id),
        final: false,
        required {
            session_id: String = "The session's id.",
            error_id: String = "The classified error.",
            classifications: Vec<Classification> = "Labels, most likely first.",
        }
        optional {}
    }
}

event! {
    /// The debugger generated a patch.
    pub struct DebugPatchGenerated {
        event_type: "debug_patch_generated",
        category: Debug,
        priority: Medium,
        subject: "{sessionId}/{patchId}" => |e| format!("{}/{}", e.session_id, e.patch_id),
        final: false,
        required {
            session_id: String = "The session's id.",
            patch_id: String = "The patch's id.",
            patch: Patch = "The patch.",
        }
        optional {}
    }
}

event! {
    /// A patch was applied.
    pub struct DebugPatchApplied {
        event_type: "debug_patch_applied",
        category: Debug,
        priority: Medium,
        priority_rule: "HIGH when `result.success` is false" => |e| {
            if e.result.success { Priority::Medium } else { Priority::High }
        },
        subject: "{sessionId}/{patchId}" => |e| format!("{}/{}", e.session_id, e.patch_id),
        final: false,
        required {
            session_id: String = "The session's id.",
            patch_id: String = "The patch's id.",
            result: PatchResult = "The outcome.",
        }
        optional {}
    }
}

event! {
    /// A patch was rolled back.
    pub struct DebugPatchRollback {
        event_type: "debug_patch_rollback",
        category: Debug,
        priority: High,
        subject: "{sessionId}/{patchId}" => |e| format!("{}/{}", e.session_id, e.patch_id),
        final: false,
        required {
            session_id: String = "The session's id.",
            patch_id: String = "The patch's id.",
            result: PatchResult = "The outcome.",
        }
        optional {}
    }
}

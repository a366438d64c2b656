//! Agent tool runs: what the AI agents (pipeline generator, self-healing debugger) execute.
//!
//! Category DEBUG: a tool run is a trace of automated diagnosis and repair, shown in the
//! debugging activity feed. Subject `{crewId}/{runId}/{agentId}/{tool}`, so a dashboard can
//! follow a whole run (`crew/run`) or one agent; `tool_completed` ends only the subject of
//! that agent's tool.

string_enum! {
    /// How a tool run ended.
    pub enum ToolStatus {
        /// It did what it was asked.
        Succeeded = "succeeded",
        /// It ran and failed.
        Failed = "failed",
        /// It was stopped.
        Cancelled = "cancelled",
        /// It ran out of time.
        TimedOut = "timed_out",
    }
    default = Succeeded;
}

fn tool_subject(crew: &str, run: &str, agent: &str, tool: &str) -> String {
    format!("{crew}/{run}/{agent}/{tool}")
}

event! {
    /// An agent started a tool.
    pub struct ToolStarted {
        event_type: "tool_started",
        category: Debug,
        priority: Low,
        subject: "{crewId}/{runId}/{agentId}/{tool}" => |e| tool_subject(&e.crew_id, &e.run_id, &e.agent_id, &e.tool),
        final: false,
        required {
            crew_id: String = "The agent crew.",
            run_id: String = "The crew's run.",
            agent_id: String = "The agent.",
            tool: String = "The tool's name.",
        }
        optional {
            params: serde_json::Value = "The tool's arguments.",
            message: String = "What the agent is doing.",
        }
    }
}

event! {
    /// A running tool reported progress.
    pub struct ToolProgress {
        event_type: "tool_progress",
        category: Debug,
        priority: Low,
        subject: "{crewId}/{runId}/{agentId}/{tool}" => |e| tool_subject(&e.crew_id, &e.run_id, &e.agent_id, &e.tool),
        final: false,
        required {
            crew_id: String = "The agent crew.",
            run_id: String = "The crew's run.",
            agent_id: String = "The agent.",
            tool: String = "The tool's name.",
            progress: u8 = "Percent done, 0 to 100.",
        }
        optional {
            message: String = "What it is doing now.",
        }
    }
}

event! {
    /// A tool finished; it ends the subject of that agent's tool.
    pub struct ToolCompleted {
        event_type: "tool_completed",
        category: Debug,
        priority: Medium,
        subject: "{crewId}/{runId}/{agentId}/{tool}" => |e| tool_subject(&e.crew_id, &e.run_id, &e.agent_id, &e.tool),
        final: true,
        required {
            crew_id: String = "The agent crew.",
            run_id: String = "The crew's run.",
            agent_id: String = "The agent.",
            tool: String = "The tool's name.",
            status: ToolStatus = "How it ended.",
            duration_ms: u64 = "How long it ran, in milliseconds.",
        }
        optional {
            exit_code: i32 = "The process exit code, for command tools.",
            message: String = "Result summary or error.",
        }
    }
}

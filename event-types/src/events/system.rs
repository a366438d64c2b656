//! SYSTEM: platform status, metrics and alerts.

use super::Severity;
use crate::envelope::Timestamp;

string_enum! {
    /// Health of the platform or of one component.
    pub enum HealthStatus {
        /// Working normally.
        Healthy = "healthy",
        /// Working with reduced capacity or errors.
        Degraded = "degraded",
        /// Not working.
        Down = "down",
        /// Deliberately offline.
        Maintenance = "maintenance",
    }
    default = Healthy;
}

model! {
    /// Health of one component.
    pub struct ComponentStatus {
        required {
            name: String = "Component name (`runner-pool`).",
            status: HealthStatus = "Its health.",
        }
        optional {
            message: String = "Details.",
        }
    }
}

model! {
    /// Overall platform health.
    pub struct SystemStatus {
        required {
            status: HealthStatus = "Overall health.",
        }
        optional {
            message: String = "Details.",
            components: Vec<ComponentStatus> = "Health per component.",
            version: String = "Platform version.",
            uptime_seconds: u64 = "Seconds since start.",
        }
    }
}

model! {
    /// A snapshot of platform metrics. Every field is optional: services send what they have.
    pub struct SystemMetrics {
        required {}
        optional {
            cpu_percent: f64 = "CPU use, percent.",
            memory_percent: f64 = "Memory use, percent.",
            active_pipelines: u32 = "Pipelines with a running execution.",
            running_executions: u32 = "Executions running now.",
            queued_jobs: u32 = "Jobs waiting for a runner.",
            events_per_second: f64 = "Events published per second.",
            connected_clients: u32 = "Dashboards connected.",
        }
    }
}

model! {
    /// An operational alert.
    pub struct Alert {
        required {
            title: String = "One-line summary.",
            severity: Severity = "How severe it is.",
        }
        optional {
            message: String = "Details.",
            component: String = "The component it concerns.",
            raised_at: Timestamp = "When it was raised.",
            resolved: bool = "Whether it has cleared.",
        }
    }
}

event! {
    /// The platform's health changed.
    pub struct SystemStatusUpdate {
        event_type: "system_status_update",
        category: System,
        priority: Medium,
        subject: "status" => |_e| "status".to_owned(),
        final: false,
        required {
            status: SystemStatus = "The health now.",
        }
        optional {}
    }
}

event! {
    /// A periodic metrics snapshot.
    pub struct SystemMetricsUpdate {
        event_type: "system_metrics_update",
        category: System,
        priority: Low,
        subject: "metrics" => |_e| "metrics".to_owned(),
        final: false,
        required {
            metrics: SystemMetrics = "The snapshot.",
        }
        optional {}
    }
}

event! {
    /// An alert was raised or changed.
    pub struct SystemAlert {
        event_type: "system_alert",
        category: System,
        priority: High,
        subject: "alerts/{alertId}" => |e| format!("alerts/{}", e.alert_id),
        final: false,
        required {
            alert_id: String = "The alert's id.",
            alert: Alert = "The alert.",
        }
        optional {}
    }
}

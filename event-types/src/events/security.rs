//! SECURITY: vulnerabilities and scans.

use crate::Priority;
use crate::envelope::Timestamp;

string_enum! {
    /// How severe a finding or an alert is.
    pub enum Severity {
        /// Exploitable now; fix immediately.
        Critical = "critical",
        /// Fix soon.
        High = "high",
        /// Fix in the normal course.
        Medium = "medium",
        /// Minor.
        Low = "low",
    }
    default = Low;
}

impl Severity {
    /// The event priority a finding of this severity gets: critical and high are `HIGH`,
    /// medium is `MEDIUM`, the rest `LOW`.
    pub fn priority(&self) -> Priority {
        match self {
            Self::Critical | Self::High => Priority::High,
            Self::Medium => Priority::Medium,
            _ => Priority::Low,
        }
    }
}

string_enum! {
    /// Where a finding stands.
    pub enum VulnerabilityStatus {
        /// Found and not yet handled.
        Open = "open",
        /// Fixed.
        Fixed = "fixed",
        /// Accepted risk.
        Ignored = "ignored",
        /// Not a real issue.
        FalsePositive = "false_positive",
    }
    default = Open;
}

string_enum! {
    /// The state of a scan.
    pub enum ScanStatus {
        /// Waiting to run.
        Queued = "queued",
        /// In progress.
        Running = "running",
        /// Finished.
        Completed = "completed",
        /// Could not finish.
        Failed = "failed",
        /// Stopped before finishing.
        Cancelled = "cancelled",
    }
    default = Queued;
}

model! {
    /// A security finding.
    pub struct Vulnerability {
        required {
            id: String = "Finding id (`v-1`).",
            title: String = "One-line summary.",
            severity: Severity = "How severe it is.",
        }
        optional {
            scan_id: String = "The scan that found it; when set, it prefixes the subject.",
            status: VulnerabilityStatus = "Where it stands.",
            cve: String = "CVE id (`CVE-2026-1234`).",
            package: String = "Affected package.",
            version: String = "Affected version.",
            fixed_version: String = "First version with a fix.",
            file: String = "Affected file.",
            line: u32 = "Line in the file.",
            cvss: f64 = "CVSS score, 0 to 10.",
            description: String = "Details and remediation.",
            url: String = "Advisory link.",
        }
    }
}

model! {
    /// Finding counts by severity.
    pub struct FindingCounts {
        required {
            critical: u32 = "Critical findings.",
            high: u32 = "High findings.",
            medium: u32 = "Medium findings.",
            low: u32 = "Low findings.",
        }
        optional {}
    }
}

model! {
    /// A security scan of a repository, image or pipeline.
    pub struct Scan {
        required {
            id: String = "Scan id (`scan-1`).",
            status: ScanStatus = "Scan state.",
        }
        optional {
            target: String = "What is scanned (repository, image, pipeline id).",
            scanner: String = "The scanner used (`sast`, `dependency`, `secrets`).",
            progress: u8 = "Percent done, 0 to 100.",
            findings: FindingCounts = "Findings so far, by severity.",
            message: String = "Human-readable status.",
            started_at: Timestamp = "When it started.",
            completed_at: Timestamp = "When it ended.",
        }
    }
}

fn vulnerability_subject(vulnerability_id: &str, vulnerability: &Vulnerability) -> String {
    match &vulnerability.scan_id {
        Some(scan) => format!("{scan}/{vulnerability_id}"),
        None => vulnerability_id.to_owned(),
    }
}

event! {
    /// A scan found a vulnerability.
    pub struct SecurityVulnerabilityDetected {
        event_type: "security_vulnerability_detected",
        category: Security,
        priority: High,
        priority_rule: "from severity: critical/high → HIGH, medium → MEDIUM, low → LOW" => |e| e.vulnerability.severity.priority(),
        subject: "{vulnerability.scanId}/{vulnerabilityId}, or {vulnerabilityId} without a scan" => |e| vulnerability_subject(&e.vulnerability_id, &e.vulnerability),
        final: false,
        required {
            vulnerability_id: String = "The finding's id.",
            vulnerability: Vulnerability = "The finding.",
        }
        optional {}
    }
}

event! {
    /// A vulnerability changed (status, severity, fix available).
    pub struct SecurityVulnerabilityUpdated {
        event_type: "security_vulnerability_updated",
        category: Security,
        priority: Medium,
        subject: "{vulnerability.scanId}/{vulnerabilityId}, or {vulnerabilityId} without a scan" => |e| vulnerability_subject(&e.vulnerability_id, &e.vulnerability),
        final: false,
        required {
            vulnerability_id: String = "The finding's id.",
            vulnerability: Vulnerability = "The finding as it is now.",
        }
        optional {}
    }
}

event! {
    /// A scan started.
    pub struct SecurityScanStarted {
        event_type: "security_scan_started",
        category: Security,
        priority: Medium,
        subject: "{scanId}" => |e| e.scan_id.clone(),
        final: false,
        required {
            scan_id: String = "The scan's id.",
            scan: Scan = "The scan as started.",
        }
        optional {}
    }
}

event! {
    /// A scan progressed.
    pub struct SecurityScanUpdated {
        event_type: "security_scan_updated",
        category: Security,
        priority: Low,
        subject: "{scanId}" => |e| e.scan_id.clone(),
        final: false,
        required {
            scan_id: String = "The scan's id.",
            scan: Scan = "The scan as it is now.",
        }
        optional {}
    }
}

event! {
    /// A scan ended; it ends the scan's subject.
    pub struct SecurityScanCompleted {
        event_type: "security_scan_completed",
        category: Security,
        priority: Medium,
        priority_rule: "HIGH when the scan failed or found critical issues" => |e| {
            let critical = e.scan.findings.as_ref().is_some_and(|f| f.critical > 0);
            if critical || e.scan.status == ScanStatus::Failed { Priority::High } else { Priority::Medium }
        },
        subject: "{scanId}" => |e| e.scan_id.clone(),
        final: true,
        required {
            scan_id: String = "The scan's id.",
            scan: Scan = "The scan's final state and counts.",
        }
        optional {}
    }
}

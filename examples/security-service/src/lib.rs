//! The simulation behind `security-service`: security enforcement. Scans start, report
//! findings of mixed severity with progress updates, and complete with their counts; known
//! vulnerabilities are later updated (fixed, ignored, or marked false positives).
//!
//! [`Simulation::step`] publishes exactly one event through any [`EventSink`], so the
//! binary paces it at `--rate` and the tests check the sequences with a mock sink.

use herald_event_types::Timestamp;
use herald_event_types::events::{
    FindingCounts, Scan, ScanStatus, SecurityScanCompleted, SecurityScanStarted, SecurityScanUpdated,
    SecurityVulnerabilityDetected, SecurityVulnerabilityUpdated, Severity, Vulnerability, VulnerabilityStatus,
};
use herald_publisher::{EventSink, EventSinkExt, PublishError};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const TARGETS: [&str; 4] = ["shop/checkout", "registry.example.com/storefront:2.4.1", "platform/auth", "data/ingest"];
const SCANNERS: [&str; 3] = ["dependency", "sast", "secrets"];
/// (title, package, version, fixed version, cve)
const ADVISORIES: [(&str, &str, &str, &str, &str); 6] = [
    ("Prototype pollution in lodash", "lodash", "4.17.20", "4.17.21", "CVE-2021-23337"),
    ("Regular expression denial of service in semver", "semver", "7.5.1", "7.5.2", "CVE-2022-25883"),
    ("HTTP request smuggling in hyper", "hyper", "0.14.9", "0.14.10", "CVE-2021-32715"),
    ("Path traversal in tar", "tar", "6.1.8", "6.1.9", "CVE-2021-37712"),
    ("Use of a broken hash in legacy token signing", "auth-core", "1.2.0", "1.3.0", "CVE-2024-0001"),
    ("Hard-coded credential in configuration", "config/settings.yaml", "-", "-", ""),
];
const MAX_RUNNING: usize = 2;

#[derive(Debug)]
struct ScanRun {
    scan: Scan,
    counts: FindingCounts,
    /// Findings still to report before the scan completes.
    remaining: u32,
}

/// The security service's state: the scans running and the findings still open.
#[derive(Debug)]
pub struct Simulation {
    rng: StdRng,
    scans: Vec<ScanRun>,
    open: Vec<Vulnerability>,
    next_id: u64,
}

impl Simulation {
    /// A simulation whose randomness comes from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { rng: StdRng::seed_from_u64(seed), scans: Vec::new(), open: Vec::new(), next_id: 1 }
    }

    fn id(&mut self, prefix: &str) -> String {
        let id = format!("{prefix}-{}", self.next_id);
        self.next_id += 1;
        id
    }

    /// Publishes the next event: a scan started, a finding, a scan's progress or
    /// completion, or an update of an open vulnerability.
    ///
    /// # Errors
    /// What the sink returns.
    pub fn step(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let roll: f64 = self.rng.random();
        if self.scans.is_empty() || (self.scans.len() < MAX_RUNNING && roll < 0.1) {
            return self.start_scan(sink);
        }
        if !self.open.is_empty() && roll < 0.2 {
            return self.update_vulnerability(sink);
        }
        self.advance(sink)
    }

    fn start_scan(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let id = self.id("scan");
        let scan = Scan {
            id: id.clone(),
            status: ScanStatus::Running,
            target: TARGETS.choose(&mut self.rng).map(|t| (*t).to_owned()),
            scanner: SCANNERS.choose(&mut self.rng).map(|s| (*s).to_owned()),
            progress: Some(0),
            findings: Some(FindingCounts::default()),
            started_at: Some(Timestamp::now()),
            ..Default::default()
        };
        let remaining = self.rng.random_range(0..=6);
        self.scans.push(ScanRun { scan: scan.clone(), counts: FindingCounts::default(), remaining });
        sink.try_publish(&SecurityScanStarted { scan_id: id, scan })
    }

    fn advance(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let index = self.rng.random_range(0..self.scans.len());
        let finding = self.scans[index].remaining > 0 && self.rng.random_bool(0.5);
        if finding {
            return self.report_finding(index, sink);
        }
        let step = self.rng.random_range(10..=30);
        let run = &mut self.scans[index];
        let progress = run.scan.progress.unwrap_or(0).saturating_add(step).min(100);
        run.scan.progress = Some(progress);
        run.scan.findings = Some(run.counts.clone());
        if progress < 100 || run.remaining > 0 {
            run.scan.progress = Some(progress.min(95));
            let event = SecurityScanUpdated { scan_id: run.scan.id.clone(), scan: run.scan.clone() };
            return sink.try_publish(&event);
        }
        let mut run = self.scans.swap_remove(index);
        let failed = self.rng.random_bool(0.1);
        run.scan.status = if failed { ScanStatus::Failed } else { ScanStatus::Completed };
        run.scan.message = Some(if failed { "scanner crashed: out of memory".into() } else { "scan finished".into() });
        run.scan.completed_at = Some(Timestamp::now());
        sink.try_publish(&SecurityScanCompleted { scan_id: run.scan.id.clone(), scan: run.scan })
    }

    fn report_finding(&mut self, index: usize, sink: &impl EventSink) -> Result<(), PublishError> {
        let id = self.id("v");
        let severity = match self.rng.random_range(0..100) {
            0..10 => Severity::Critical,
            10..35 => Severity::High,
            35..70 => Severity::Medium,
            _ => Severity::Low,
        };
        let (title, package, version, fixed, cve) = *ADVISORIES.choose(&mut self.rng).unwrap_or(&ADVISORIES[0]);
        let run = &mut self.scans[index];
        run.remaining -= 1;
        match severity {
            Severity::Critical => run.counts.critical += 1,
            Severity::High => run.counts.high += 1,
            Severity::Medium => run.counts.medium += 1,
            _ => run.counts.low += 1,
        }
        let cvss = match severity {
            Severity::Critical => 9.8,
            Severity::High => 7.5,
            Severity::Medium => 5.3,
            _ => 2.1,
        };
        let vulnerability = Vulnerability {
            id: id.clone(),
            title: title.into(),
            severity,
            scan_id: Some(run.scan.id.clone()),
            status: Some(VulnerabilityStatus::Open),
            cve: (!cve.is_empty()).then(|| cve.into()),
            package: Some(package.into()),
            version: (version != "-").then(|| version.into()),
            fixed_version: (fixed != "-").then(|| fixed.into()),
            cvss: Some(cvss),
            ..Default::default()
        };
        self.open.push(vulnerability.clone());
        sink.try_publish(&SecurityVulnerabilityDetected { vulnerability_id: id, vulnerability })
    }

    fn update_vulnerability(&mut self, sink: &impl EventSink) -> Result<(), PublishError> {
        let index = self.rng.random_range(0..self.open.len());
        let mut vulnerability = self.open.swap_remove(index);
        vulnerability.status = Some(match self.rng.random_range(0..10) {
            0..7 => VulnerabilityStatus::Fixed,
            7..9 => VulnerabilityStatus::Ignored,
            _ => VulnerabilityStatus::FalsePositive,
        });
        vulnerability.description = Some(match vulnerability.status {
            Some(VulnerabilityStatus::Fixed) => "upgraded by the remediation bot".into(),
            _ => "triaged by the security team".into(),
        });
        sink.try_publish(&SecurityVulnerabilityUpdated { vulnerability_id: vulnerability.id.clone(), vulnerability })
    }
}

#[cfg(test)]
#[path = "../../common/recording.rs"]
mod recording;

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use herald_event_types::Priority;
    use herald_publisher::OutgoingEvent;

    use super::*;

    fn run(seed: u64, steps: usize) -> Vec<OutgoingEvent> {
        let mut simulation = Simulation::new(seed);
        crate::recording::record(steps, |sink| simulation.step(sink))
    }

    #[test]
    fn scans_start_find_and_complete_with_matching_counts() {
        let events = run(5, 2000);
        let mut findings: HashMap<String, u32> = HashMap::new();
        let mut started = HashSet::new();
        let mut completed = 0;
        for event in &events {
            match event.event_type() {
                "security_scan_started" => assert!(started.insert(event.subject().to_owned())),
                "security_vulnerability_detected" => {
                    let scan = event.subject().split('/').next().unwrap().to_owned();
                    assert!(started.contains(&scan), "a finding before its scan started");
                    *findings.entry(scan).or_default() += 1;
                }
                "security_scan_updated" => {
                    assert!(started.contains(event.subject()));
                    assert_eq!(event.priority(), Priority::Low);
                }
                "security_scan_completed" => {
                    completed += 1;
                    assert!(event.is_final());
                    let done: SecurityScanCompleted = event.decode().unwrap();
                    let counts = done.scan.findings.unwrap();
                    let total = counts.critical + counts.high + counts.medium + counts.low;
                    assert_eq!(total, findings.get(event.subject()).copied().unwrap_or(0), "{}", event.subject());
                    let expected = if counts.critical > 0 || done.scan.status == ScanStatus::Failed {
                        Priority::High
                    } else {
                        Priority::Medium
                    };
                    assert_eq!(event.priority(), expected);
                    assert!(started.remove(event.subject()), "completed twice or never started");
                }
                "security_vulnerability_updated" => {}
                other => panic!("unexpected {other}"),
            }
        }
        assert!(completed > 20, "{completed} scans completed");
    }

    #[test]
    fn findings_have_mixed_severities_and_are_later_updated() {
        let events = run(9, 2000);
        let severities: HashSet<_> = events
            .iter()
            .filter(|e| e.event_type() == "security_vulnerability_detected")
            .map(|e| e.decode::<SecurityVulnerabilityDetected>().unwrap().vulnerability.severity)
            .collect();
        assert_eq!(severities.len(), 4, "{severities:?}");
        let detected: HashSet<_> = events
            .iter()
            .filter(|e| e.event_type() == "security_vulnerability_detected")
            .map(|e| e.subject().to_owned())
            .collect();
        let updates: Vec<_> = events.iter().filter(|e| e.event_type() == "security_vulnerability_updated").collect();
        assert!(updates.len() > 10);
        for update in updates {
            assert!(detected.contains(update.subject()), "update of an unknown finding");
            let status = update.decode::<SecurityVulnerabilityUpdated>().unwrap().vulnerability.status;
            assert_ne!(status, Some(VulnerabilityStatus::Open));
        }
    }
}

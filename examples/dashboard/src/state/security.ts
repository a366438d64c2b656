// Findings and scans selected from the SECURITY events `useWebSocketCategory` keeps (the
// last `limit`). Pure, no React; repeated event ids count once.
import type { EventOfCategory, Priority, Scan } from '@herald/client';

import { time } from './pipelines';

type SecurityEvent = EventOfCategory<'SECURITY'>;

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

export interface Finding {
  /** The vulnerability id. */
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  readonly status: string;
  /** HIGH once any event of the finding was HIGH. */
  readonly priority: Priority;
  readonly cve?: string;
  readonly pkg?: string;
  /** First seen (ms). */
  readonly detectedAt: number;
}

export interface SecurityView {
  /** Newest first. */
  readonly findings: readonly Finding[];
  readonly counts: Readonly<Record<string, number>>;
  readonly high: number;
  /** Scans queued or running, by their latest event. */
  readonly activeScans: readonly Scan[];
}

export function selectSecurity(events: readonly SecurityEvent[]): SecurityView {
  const findings = new Map<string, Finding & { updatedAt: number }>();
  const scans = new Map<string, { scan: Scan; ts: number }>();
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const ts = time(e.timestamp);
    switch (e.event_type) {
      case 'security_vulnerability_detected':
      case 'security_vulnerability_updated': {
        const v = e.data.vulnerability;
        const prev = findings.get(e.data.vulnerabilityId);
        if (prev && prev.updatedAt > ts) break;
        findings.set(e.data.vulnerabilityId, {
          id: e.data.vulnerabilityId,
          title: v.title,
          severity: v.severity,
          status: v.status ?? prev?.status ?? 'open',
          priority: prev?.priority === 'HIGH' ? 'HIGH' : e.priority,
          cve: v.cve ?? prev?.cve,
          pkg: v.package ?? prev?.pkg,
          detectedAt: prev?.detectedAt ?? ts,
          updatedAt: ts,
        });
        break;
      }
      case 'security_scan_started':
      case 'security_scan_updated':
      case 'security_scan_completed': {
        const prev = scans.get(e.data.scanId);
        if (!prev || prev.ts <= ts) scans.set(e.data.scanId, { scan: { ...e.data.scan, id: e.data.scanId }, ts });
        break;
      }
    }
  }
  const rows = [...findings.values()].sort((a, b) => b.detectedAt - a.detectedAt);
  const counts: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  let high = 0;
  for (const f of rows) {
    counts[f.severity] = (counts[f.severity] ?? 0) + 1;
    if (f.priority === 'HIGH') high += 1;
  }
  const activeScans = [...scans.values()].map((s) => s.scan).filter((s) => s.status === 'running' || s.status === 'queued');
  return { findings: rows, counts, high, activeScans };
}

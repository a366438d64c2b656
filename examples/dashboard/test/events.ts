// Catalogue envelopes for the tests (shapes from docs/events.md).
import type { CatalogueEvent } from '@herald/client';

let n = 0;
const base = <E extends CatalogueEvent = CatalogueEvent>(event_type: string, category: string, priority: string, subject: string, data: unknown, ts?: number) => {
  n += 1;
  return {
    id: `ev-${n}`,
    event_type,
    category,
    priority,
    timestamp: new Date(ts ?? Date.now()).toISOString(),
    source: 'test',
    subject,
    data,
  } as unknown as E;
};

type Step = { name: string; status: string; startedAt?: string; completedAt?: string; durationMs?: number };

export const ev = {
  pipelineCreated: (id: string, name = `pipeline ${id}`, ts?: number) =>
    base('pipeline_created', 'PIPELINE', 'MEDIUM', id, { pipelineId: id, pipeline: { id, name, status: 'active' } }, ts),
  execution: (kind: 'started' | 'updated' | 'completed', p: string, e: string, execution: Record<string, unknown> & { steps?: Step[] }, ts?: number, priority = 'MEDIUM') =>
    base(`pipeline_execution_${kind}`, 'PIPELINE', priority, `${p}/${e}`, { pipelineId: p, executionId: e, execution: { id: e, ...execution } }, ts),
  log: (p: string, e: string, line: string, ts?: number, step = 'build') =>
    base('pipeline_execution_log', 'PIPELINE', 'LOW', `${p}/${e}`, { pipelineId: p, executionId: e, line, level: 'info', stream: 'stdout', step }, ts),
  vuln: (id: string, severity: string, title: string, priority = 'MEDIUM', ts?: number, kind: 'detected' | 'updated' = 'detected', status = 'open') =>
    base(`security_vulnerability_${kind}`, 'SECURITY', priority, id, { vulnerabilityId: id, vulnerability: { id, title, severity, status } }, ts),
  scan: (id: string, status: string, progress: number, ts?: number) =>
    base('security_scan_updated', 'SECURITY', 'LOW', id, { scanId: id, scan: { id, status, progress, scanner: 'trivy' } }, ts),
  debugError: (s: string, message: string, ts?: number) =>
    base('debug_error_detected', 'DEBUG', 'HIGH', `${s}/${s}-err`, { sessionId: s, errorId: `${s}-err`, error: { message, errorType: 'CompileError' } }, ts),
  classification: (s: string, label: string, confidence: number, ts?: number) =>
    base('debug_ml_classification', 'DEBUG', 'MEDIUM', `${s}/${s}-err`, { sessionId: s, errorId: `${s}-err`, classifications: [{ label, confidence }] }, ts),
  patchGenerated: (s: string, patchId: string, ts?: number) =>
    base('debug_patch_generated', 'DEBUG', 'MEDIUM', `${s}/${patchId}`, { sessionId: s, patchId, patch: { description: 'bump serde' } }, ts),
  patchApplied: (s: string, patchId: string, success: boolean, ts?: number) =>
    base('debug_patch_applied', 'DEBUG', success ? 'MEDIUM' : 'HIGH', `${s}/${patchId}`, { sessionId: s, patchId, result: { success, message: success ? 'tests pass' : 'tests fail' } }, ts),
  patchRollback: (s: string, patchId: string, ts?: number) =>
    base('debug_patch_rollback', 'DEBUG', 'HIGH', `${s}/${patchId}`, { sessionId: s, patchId, result: { success: true, message: 'rolled back' } }, ts),
  systemStatus: (status: string, message: string, components: { name: string; status: string }[] = []) =>
    base('system_status_update', 'SYSTEM', 'MEDIUM', 'status', { status: { status, message, components } }),
  systemMetrics: (metrics: Record<string, number>) => base('system_metrics_update', 'SYSTEM', 'LOW', 'metrics', { metrics }),
  systemAlert: (alertId: string, title: string, priority = 'HIGH') =>
    base('system_alert', 'SYSTEM', priority, `alerts/${alertId}`, { alertId, alert: { title, severity: 'high' } }),
};

/** Steps `names`, the first `done` completed, the next running, the rest pending. */
export function steps(names: string[], done: number): Step[] {
  return names.map((name, i) => ({ name, status: i < done ? 'completed' : i === done ? 'running' : 'pending' }));
}

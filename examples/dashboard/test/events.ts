// Catalogue envelopes for the tests (shapes from docs/events.md).
import type { CatalogueEvent } from '@herald/client';

let n = 0;
const base = (event_type: string, category: string, priority: string, subject: string, data: unknown, ts?: number) => {
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
  } as unknown as CatalogueEvent;
};

export const ev = {
  pipelineCreated: (id: string, name = `pipeline ${id}`, ts?: number) =>
    base('pipeline_created', 'PIPELINE', 'LOW', id, { pipelineId: id, pipeline: { id, name, status: 'active' } }, ts),
  execution: (kind: 'started' | 'updated' | 'completed', p: string, e: string, execution: Record<string, unknown>, ts?: number, priority = 'MEDIUM') =>
    base(`pipeline_execution_${kind}`, 'PIPELINE', priority, `${p}/${e}`, { pipelineId: p, executionId: e, execution: { id: e, ...execution } }, ts),
  log: (p: string, e: string, line: string, ts?: number, step = 'build') =>
    base('pipeline_execution_log', 'PIPELINE', 'LOW', `${p}/${e}`, { pipelineId: p, executionId: e, line, level: 'info', stream: 'stdout', step }, ts),
  vuln: (id: string, severity: string, title: string, priority = 'MEDIUM', ts?: number, kind: 'detected' | 'updated' = 'detected', status = 'open') =>
    base(`security_vulnerability_${kind}`, 'SECURITY', priority, id, { vulnerabilityId: id, vulnerability: { id, title, severity, status } }, ts),
  debugError: (s: string, message: string, ts?: number) =>
    base('debug_error_detected', 'DEBUG', 'HIGH', s, { sessionId: s, errorId: `${s}-err`, error: { message, errorType: 'CompileError' } }, ts),
  classification: (s: string, label: string, confidence: number) =>
    base('debug_ml_classification', 'DEBUG', 'LOW', s, { sessionId: s, errorId: `${s}-err`, classifications: [{ label, confidence }] }),
  patchGenerated: (s: string, patchId: string) =>
    base('debug_patch_generated', 'DEBUG', 'MEDIUM', s, { sessionId: s, patchId, patch: { description: 'bump serde' } }),
  patchApplied: (s: string, patchId: string, success: boolean) =>
    base('debug_patch_applied', 'DEBUG', success ? 'MEDIUM' : 'HIGH', s, { sessionId: s, patchId, result: { success, message: success ? 'tests pass' : 'tests fail' } }),
  patchRollback: (s: string, patchId: string) =>
    base('debug_patch_rollback', 'DEBUG', 'HIGH', s, { sessionId: s, patchId, result: { success: true, message: 'rolled back' } }),
  systemStatus: (status: string, message: string) => base('system_status_update', 'SYSTEM', 'LOW', '', { status: { status, message } }),
  systemMetrics: (metrics: Record<string, number>) => base('system_metrics_update', 'SYSTEM', 'LOW', '', { metrics }),
  systemAlert: (alertId: string, title: string, priority = 'HIGH') =>
    base('system_alert', 'SYSTEM', priority, alertId, { alertId, alert: { title, severity: 'high' } }),
};

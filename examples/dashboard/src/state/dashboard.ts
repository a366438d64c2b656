// The dashboard's state: plain data and one pure reducer, no React.
//
// Every widget reads a slice of `DashboardState`; the store (store.ts) feeds the reducer
// batches of envelopes from the hub (live deliveries, the `history` replay of a subscribe,
// and the history endpoint after a Resync). Applying an event is idempotent:
//   - envelopes are deduplicated by `id` (a bounded index of seen ids), so a Resync reload
//     that overlaps what the page already has adds nothing twice;
//   - entities (pipelines, executions, scans, findings, sessions) are keyed by their id and
//     an update older than what the entity already shows is ignored (a reload can deliver
//     older events after newer live ones).
import type {
  Alert,
  CatalogueEvent,
  EventCategory,
  Execution,
  ExecutionStep,
  Priority,
  Scan,
  SystemMetrics,
  SystemStatus,
  Vulnerability,
} from '@herald/client';

export const LIMITS = {
  /** Log lines kept per execution (older lines are dropped; the view is virtualised). */
  logLines: 5000,
  /** Executions whose logs are kept. */
  logExecutions: 30,
  /** Executions kept (newest first). */
  executions: 60,
  /** Recent executions listed under each pipeline. */
  executionsPerPipeline: 4,
  /** Security findings kept. */
  alerts: 200,
  /** Debug feed items kept. */
  feed: 150,
  /** System alerts kept. */
  systemAlerts: 20,
  /** Toasts shown at once. */
  toasts: 4,
  /** Event ids remembered for deduplication. */
  seen: 20_000,
  /** Latency samples kept. */
  latencies: 200,
  /** A HIGH event older than this (by its timestamp) does not raise a toast. */
  toastMaxAgeMs: 30_000,
} as const;

export interface PipelineView {
  id: string;
  name: string;
  status: string;
  repository?: string;
  branch?: string;
  updatedAt: number;
  deleted?: boolean;
}

export interface ExecutionView {
  id: string;
  pipelineId: string;
  status: string;
  progress: number;
  currentStep?: string;
  steps: ExecutionStep[];
  message?: string;
  trigger?: string;
  commit?: string;
  startedAt?: string;
  completedAt?: string;
  durationMs?: number;
  /** Timestamp (ms) of the event that produced this view. */
  updatedAt: number;
  /** First seen (ms), for ordering. */
  createdAt: number;
}

export interface LogLine {
  /** The envelope id. */
  id: string;
  ts: number;
  level: string;
  stream: string;
  step?: string;
  line: string;
}

export interface AlertView {
  /** The vulnerability id. */
  id: string;
  title: string;
  severity: string;
  status: string;
  priority: Priority;
  cve?: string;
  pkg?: string;
  scanId?: string;
  cvss?: number;
  detectedAt: number;
  updatedAt: number;
}

export type FeedKind =
  | 'session_created'
  | 'session_updated'
  | 'error'
  | 'classification'
  | 'patch_generated'
  | 'patch_applied'
  | 'patch_rollback';

export interface FeedItem {
  /** The envelope id. */
  id: string;
  kind: FeedKind;
  sessionId: string;
  title: string;
  detail?: string;
  priority: Priority;
  ok?: boolean;
  ts: number;
}

export interface Toast {
  id: string;
  category: EventCategory;
  title: string;
  message: string;
  ts: number;
}

export interface SystemView {
  status: SystemStatus | null;
  metrics: SystemMetrics | null;
  alerts: (Alert & { id: string; ts: number; priority: Priority })[];
  updatedAt: number;
}

export interface Stats {
  total: number;
  byCategory: Partial<Record<EventCategory, number>>;
  byPriority: Partial<Record<Priority, number>>;
  lastEventAt: number | null;
  /** Delivery latency samples (receive time − event timestamp), ms, live events only. */
  latencies: number[];
  resyncs: number;
  lastResync: { channel: string; at: number; reloaded: number } | null;
  duplicatesDropped: number;
}

export interface DashboardState {
  pipelines: Record<string, PipelineView>;
  executions: Record<string, ExecutionView>;
  /** Execution ids, newest first. */
  executionOrder: string[];
  logs: Record<string, LogLine[]>;
  scans: Record<string, Scan & { updatedAt: number }>;
  alerts: Record<string, AlertView>;
  /** Finding ids, newest first. */
  alertOrder: string[];
  feed: FeedItem[];
  system: SystemView;
  toasts: Toast[];
  stats: Stats;
  /** The execution the monitor shows; `pinned` when the user chose it. */
  monitor: { executionId: string | null; pinned: boolean };
  seen: ReadonlySet<string>;
  seenOrder: readonly string[];
}

export type Source = 'live' | 'history';

export type Action =
  | { type: 'events'; events: readonly CatalogueEvent[]; source: Source; now: number }
  | { type: 'resync'; channel: string; events: readonly CatalogueEvent[]; now: number }
  | { type: 'select-execution'; executionId: string | null }
  | { type: 'dismiss-toast'; id: string };

export function initialState(): DashboardState {
  return {
    pipelines: {},
    executions: {},
    executionOrder: [],
    logs: {},
    scans: {},
    alerts: {},
    alertOrder: [],
    feed: [],
    system: { status: null, metrics: null, alerts: [], updatedAt: 0 },
    toasts: [],
    stats: {
      total: 0,
      byCategory: {},
      byPriority: {},
      lastEventAt: null,
      latencies: [],
      resyncs: 0,
      lastResync: null,
      duplicatesDropped: 0,
    },
    monitor: { executionId: null, pinned: false },
    seen: new Set(),
    seenOrder: [],
  };
}

const time = (ts: string | undefined, fallback = 0): number => {
  const t = ts ? Date.parse(ts) : NaN;
  return Number.isFinite(t) ? t : fallback;
};

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
export const isTerminal = (status: string): boolean => TERMINAL.has(status);

/** A mutable working copy of the slices a batch touches (copy-on-write per batch). */
class Draft {
  s: DashboardState;
  private copied = new Set<string>();
  seenAdd: string[] = [];
  seenLocal = new Set<string>();

  constructor(state: DashboardState) {
    this.s = { ...state };
  }

  /** A shallow copy of a top-level slice, once per batch. */
  w<K extends keyof DashboardState>(key: K): DashboardState[K] {
    if (!this.copied.has(key)) {
      this.copied.add(key);
      const v = this.s[key];
      this.s[key] = (Array.isArray(v) ? [...v] : { ...(v as object) }) as DashboardState[K];
    }
    return this.s[key];
  }

  logsFor(executionId: string): LogLine[] {
    const key = `logs:${executionId}`;
    const logs = this.w('logs');
    if (!this.copied.has(key)) {
      this.copied.add(key);
      logs[executionId] = [...(logs[executionId] ?? [])];
    }
    return logs[executionId]!;
  }

  seenBefore(id: string): boolean {
    return this.s.seen.has(id) || this.seenLocal.has(id);
  }

  markSeen(id: string): void {
    this.seenLocal.add(id);
    this.seenAdd.push(id);
  }

  finish(): DashboardState {
    if (this.seenAdd.length > 0) {
      let order = [...this.s.seenOrder, ...this.seenAdd];
      let seen: Set<string>;
      if (order.length > LIMITS.seen) {
        order = order.slice(-Math.floor(LIMITS.seen / 2));
        seen = new Set(order);
      } else {
        seen = new Set(this.s.seen);
        for (const id of this.seenAdd) seen.add(id);
      }
      this.s.seen = seen;
      this.s.seenOrder = order;
    }
    return this.s;
  }
}

function upsertExecution(d: Draft, pipelineId: string, e: Execution, ts: number): void {
  const executions = d.w('executions');
  const prev = executions[e.id];
  if (prev && prev.updatedAt > ts) return; // older than what we show (a reload)
  if (prev && isTerminal(prev.status) && !isTerminal(e.status) && prev.updatedAt >= ts) return;
  executions[e.id] = {
    id: e.id,
    pipelineId: e.pipelineId ?? pipelineId,
    status: e.status,
    progress: Math.max(0, Math.min(100, e.progress ?? (e.status === 'completed' ? 100 : (prev?.progress ?? 0)))),
    currentStep: e.currentStep,
    steps: e.steps ?? prev?.steps ?? [],
    message: e.message,
    trigger: e.trigger ?? prev?.trigger,
    commit: e.commit ?? prev?.commit,
    startedAt: e.startedAt ?? prev?.startedAt,
    completedAt: e.completedAt,
    durationMs: e.durationMs,
    updatedAt: ts,
    createdAt: prev?.createdAt ?? time(e.startedAt, ts),
  };
  if (!prev) {
    const order = d.w('executionOrder');
    order.unshift(e.id);
    // Newest first by start time (a reload may add older executions).
    order.sort((a, b) => executions[b]!.createdAt - executions[a]!.createdAt);
    while (order.length > LIMITS.executions) {
      const dropped = order.pop()!;
      delete executions[dropped];
      if (d.s.logs[dropped]) delete d.w('logs')[dropped];
    }
  }
  if (!d.s.pipelines[pipelineId]) {
    // An execution of a pipeline created before the page loaded: show it by id.
    d.w('pipelines')[pipelineId] = { id: pipelineId, name: pipelineId, status: 'active', updatedAt: 0 };
  }
  // The monitor follows the newest execution unless the user pinned one; it keeps a
  // finished execution (and its result) on screen for 5 s of event time.
  const m = d.s.monitor;
  if (!m.pinned && m.executionId !== e.id) {
    const current = m.executionId ? executions[m.executionId] : undefined;
    const free = !current || (isTerminal(current.status) && ts - current.updatedAt > 5000);
    if (free && !isTerminal(e.status)) d.s.monitor = { executionId: e.id, pinned: false };
  }
}

function upsertPipeline(d: Draft, p: { id: string; name?: string; status?: string; repository?: string; branch?: string }, ts: number): void {
  const pipelines = d.w('pipelines');
  const prev = pipelines[p.id];
  if (prev && prev.updatedAt > ts) return;
  pipelines[p.id] = {
    id: p.id,
    name: p.name ?? prev?.name ?? p.id,
    status: p.status ?? prev?.status ?? 'active',
    repository: p.repository ?? prev?.repository,
    branch: p.branch ?? prev?.branch,
    updatedAt: ts,
  };
}

function upsertFinding(d: Draft, v: Vulnerability, id: string, priority: Priority, ts: number): void {
  const alerts = d.w('alerts');
  const prev = alerts[id];
  if (prev && prev.updatedAt > ts) return;
  alerts[id] = {
    id,
    title: v.title ?? prev?.title ?? id,
    severity: v.severity ?? prev?.severity ?? 'low',
    status: v.status ?? prev?.status ?? 'open',
    // A finding stays highlighted once it was raised as HIGH.
    priority: prev?.priority === 'HIGH' ? 'HIGH' : priority,
    cve: v.cve ?? prev?.cve,
    pkg: v.package ?? prev?.pkg,
    scanId: v.scanId ?? prev?.scanId,
    cvss: v.cvss ?? prev?.cvss,
    detectedAt: prev?.detectedAt ?? ts,
    updatedAt: ts,
  };
  if (!prev) {
    const order = d.w('alertOrder');
    order.unshift(id);
    order.sort((a, b) => alerts[b]!.detectedAt - alerts[a]!.detectedAt);
    while (order.length > LIMITS.alerts) delete alerts[order.pop()!];
  }
}

function pushFeed(d: Draft, item: FeedItem): void {
  const feed = d.w('feed');
  feed.unshift(item);
  if (feed.length > 1 && feed[1]!.ts > item.ts) feed.sort((a, b) => b.ts - a.ts);
  if (feed.length > LIMITS.feed) feed.length = LIMITS.feed;
}

function toastFor(e: CatalogueEvent): { title: string; message: string } {
  switch (e.event_type) {
    case 'pipeline_execution_completed':
      return { title: `Execution ${e.data.executionId} ${e.data.execution.status}`, message: e.data.execution.message ?? '' };
    case 'security_vulnerability_detected':
    case 'security_vulnerability_updated':
      return { title: `${e.data.vulnerability.severity.toUpperCase()}: ${e.data.vulnerability.title}`, message: e.data.vulnerability.cve ?? '' };
    case 'debug_error_detected':
      return { title: `Error in session ${e.data.sessionId}`, message: e.data.error.message };
    case 'debug_patch_rollback':
      return { title: `Patch ${e.data.patchId} rolled back`, message: e.data.result.message ?? '' };
    case 'debug_patch_applied':
      return { title: `Patch ${e.data.patchId} ${e.data.result.success ? 'applied' : 'failed'}`, message: e.data.result.message ?? '' };
    case 'system_alert':
      return { title: e.data.alert.title, message: e.data.alert.message ?? '' };
    default:
      return { title: e.event_type.replaceAll('_', ' '), message: e.subject };
  }
}

function apply(d: Draft, e: CatalogueEvent, source: Source, now: number): void {
  if (!e || typeof e.id !== 'string') return;
  if (d.seenBefore(e.id)) {
    d.w('stats').duplicatesDropped += 1;
    return;
  }
  d.markSeen(e.id);
  const ts = time(e.timestamp, now);
  const stats = d.w('stats');
  stats.total += 1;
  stats.byCategory = { ...stats.byCategory, [e.category]: (stats.byCategory[e.category] ?? 0) + 1 };
  stats.byPriority = { ...stats.byPriority, [e.priority]: (stats.byPriority[e.priority] ?? 0) + 1 };
  stats.lastEventAt = Math.max(stats.lastEventAt ?? 0, ts);
  if (source === 'live' && now - ts < 60_000) {
    stats.latencies = [...stats.latencies.slice(-(LIMITS.latencies - 1)), Math.max(0, now - ts)];
  }

  switch (e.event_type) {
    case 'pipeline_created':
    case 'pipeline_updated':
      upsertPipeline(d, { ...e.data.pipeline, id: e.data.pipelineId }, ts);
      break;
    case 'pipeline_deleted': {
      const prev = d.s.pipelines[e.data.pipelineId];
      if (prev) d.w('pipelines')[e.data.pipelineId] = { ...prev, deleted: true, status: 'deleted', updatedAt: ts };
      break;
    }
    case 'pipeline_execution_started':
    case 'pipeline_execution_updated':
    case 'pipeline_execution_completed':
      upsertExecution(d, e.data.pipelineId, { ...e.data.execution, id: e.data.executionId }, ts);
      break;
    case 'pipeline_execution_log': {
      const id = e.data.executionId;
      if (!d.s.logs[id]) {
        const ids = Object.keys(d.s.logs);
        if (ids.length >= LIMITS.logExecutions) {
          // Drop the logs of the execution that logged least recently.
          const oldest = ids.reduce((a, b) => ((d.s.logs[a]!.at(-1)?.ts ?? 0) <= (d.s.logs[b]!.at(-1)?.ts ?? 0) ? a : b));
          delete d.w('logs')[oldest];
        }
      }
      const lines = d.logsFor(id);
      const line: LogLine = { id: e.id, ts, level: e.data.level, stream: e.data.stream, step: e.data.step, line: e.data.line };
      if (lines.length > 0 && lines[lines.length - 1]!.ts > ts) {
        // A reload delivered an older line: insert it in place.
        let i = lines.length;
        while (i > 0 && lines[i - 1]!.ts > ts) i -= 1;
        lines.splice(i, 0, line);
      } else lines.push(line);
      if (lines.length > LIMITS.logLines) lines.splice(0, lines.length - LIMITS.logLines);
      if (!d.s.executions[id]) {
        // A log line of an execution that started before the page loaded.
        upsertExecution(d, e.data.pipelineId, { id, status: 'running', pipelineId: e.data.pipelineId, currentStep: e.data.step }, 0);
      }
      break;
    }
    case 'security_vulnerability_detected':
    case 'security_vulnerability_updated':
      upsertFinding(d, e.data.vulnerability, e.data.vulnerabilityId, e.priority, ts);
      break;
    case 'security_scan_started':
    case 'security_scan_updated':
    case 'security_scan_completed': {
      const prev = d.s.scans[e.data.scanId];
      if (!prev || prev.updatedAt <= ts) {
        const scans = d.w('scans');
        scans[e.data.scanId] = { ...e.data.scan, id: e.data.scanId, updatedAt: ts };
        const ids = Object.keys(scans);
        if (ids.length > 20) {
          ids.sort((a, b) => scans[a]!.updatedAt - scans[b]!.updatedAt);
          for (const old of ids.slice(0, ids.length - 20)) delete scans[old];
        }
      }
      break;
    }
    case 'debug_session_created':
    case 'debug_session_updated': {
      const s = e.data.session;
      pushFeed(d, {
        id: e.id,
        kind: e.event_type === 'debug_session_created' ? 'session_created' : 'session_updated',
        sessionId: e.data.sessionId,
        title: e.event_type === 'debug_session_created' ? `Session opened: ${s.title ?? e.data.sessionId}` : `Session ${s.status}`,
        detail: s.executionId ? `execution ${s.executionId}` : undefined,
        priority: e.priority,
        ok: s.status === 'resolved' ? true : s.status === 'failed' ? false : undefined,
        ts,
      });
      break;
    }
    case 'debug_error_detected':
      pushFeed(d, {
        id: e.id,
        kind: 'error',
        sessionId: e.data.sessionId,
        title: `${e.data.error.errorType ?? 'Error'}: ${e.data.error.message}`,
        detail: e.data.error.file ? `${e.data.error.file}${e.data.error.line ? `:${e.data.error.line}` : ''}` : e.data.error.step,
        priority: e.priority,
        ok: false,
        ts,
      });
      break;
    case 'debug_ml_classification': {
      const top = [...e.data.classifications].sort((a, b) => b.confidence - a.confidence)[0];
      pushFeed(d, {
        id: e.id,
        kind: 'classification',
        sessionId: e.data.sessionId,
        title: top ? `Classified as ${top.label} (${Math.round(top.confidence * 100)}%)` : 'Classified',
        detail: e.data.classifications.slice(1, 3).map((c) => `${c.label} ${Math.round(c.confidence * 100)}%`).join(', ') || undefined,
        priority: e.priority,
        ts,
      });
      break;
    }
    case 'debug_patch_generated':
      pushFeed(d, {
        id: e.id,
        kind: 'patch_generated',
        sessionId: e.data.sessionId,
        title: `Patch generated: ${e.data.patch.description}`,
        detail: e.data.patch.files?.join(', '),
        priority: e.priority,
        ts,
      });
      break;
    case 'debug_patch_applied':
    case 'debug_patch_rollback':
      pushFeed(d, {
        id: e.id,
        kind: e.event_type === 'debug_patch_applied' ? 'patch_applied' : 'patch_rollback',
        sessionId: e.data.sessionId,
        title:
          e.event_type === 'debug_patch_rollback'
            ? `Patch ${e.data.patchId} rolled back`
            : `Patch ${e.data.patchId} ${e.data.result.success ? 'applied' : 'failed to apply'}`,
        detail: e.data.result.message,
        priority: e.priority,
        ok: e.event_type === 'debug_patch_applied' && e.data.result.success,
        ts,
      });
      break;
    case 'system_status_update': {
      const system = d.w('system');
      if (ts >= system.updatedAt || !system.status) Object.assign(system, { status: e.data.status, updatedAt: ts });
      break;
    }
    case 'system_metrics_update': {
      const system = d.w('system');
      system.metrics = { ...(system.metrics ?? {}), ...e.data.metrics };
      break;
    }
    case 'system_alert': {
      const system = d.w('system');
      const rest = system.alerts.filter((a) => a.id !== e.data.alertId);
      system.alerts = [{ ...e.data.alert, id: e.data.alertId, ts, priority: e.priority }, ...rest]
        .sort((a, b) => b.ts - a.ts)
        .slice(0, LIMITS.systemAlerts);
      break;
    }
    default:
      break;
  }

  if (e.priority === 'HIGH' && source === 'live' && now - ts < LIMITS.toastMaxAgeMs) {
    const toasts = d.w('toasts');
    toasts.unshift({ id: e.id, category: e.category, ts, ...toastFor(e) });
    if (toasts.length > LIMITS.toasts) toasts.length = LIMITS.toasts;
  }
}

/** The reducer. Pure: returns a new state, never mutates `state`. */
export function reduce(state: DashboardState, action: Action): DashboardState {
  switch (action.type) {
    case 'events': {
      if (action.events.length === 0) return state;
      const d = new Draft(state);
      for (const e of action.events) apply(d, e, action.source, action.now);
      return d.finish();
    }
    case 'resync': {
      // Reload after lost continuity: merge the channel's history (deduplicated, older
      // updates ignored) and count the resync.
      const d = new Draft(state);
      const before = state.stats.total;
      for (const e of action.events) apply(d, e, 'history', action.now);
      const stats = d.w('stats');
      stats.resyncs += 1;
      stats.lastResync = { channel: action.channel, at: action.now, reloaded: stats.total - before };
      return d.finish();
    }
    case 'select-execution':
      return { ...state, monitor: { executionId: action.executionId, pinned: action.executionId !== null } };
    case 'dismiss-toast':
      return state.toasts.some((t) => t.id === action.id)
        ? { ...state, toasts: state.toasts.filter((t) => t.id !== action.id) }
        : state;
  }
}

// ---- selectors (pure) ----

/** Pipelines (not deleted) with their most recent executions, most recently active first. */
export function selectPipelines(state: DashboardState): { pipeline: PipelineView; executions: ExecutionView[] }[] {
  const byPipeline = new Map<string, ExecutionView[]>();
  for (const id of state.executionOrder) {
    const e = state.executions[id];
    if (!e) continue;
    const list = byPipeline.get(e.pipelineId) ?? [];
    if (list.length < LIMITS.executionsPerPipeline) list.push(e);
    byPipeline.set(e.pipelineId, list);
  }
  const rows = Object.values(state.pipelines)
    .filter((p) => !p.deleted)
    .map((pipeline) => ({ pipeline, executions: byPipeline.get(pipeline.id) ?? [] }));
  const activity = (r: (typeof rows)[number]) => Math.max(r.pipeline.updatedAt, r.executions[0]?.createdAt ?? 0);
  return rows.sort((a, b) => activity(b) - activity(a) || a.pipeline.id.localeCompare(b.pipeline.id));
}

export function selectMonitored(state: DashboardState): ExecutionView | null {
  const id = state.monitor.executionId;
  return (id && state.executions[id]) || null;
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

export function selectAlerts(state: DashboardState): { rows: AlertView[]; counts: Record<string, number>; high: number } {
  const rows = state.alertOrder.map((id) => state.alerts[id]!).filter(Boolean);
  const counts: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  let high = 0;
  for (const r of rows) {
    counts[r.severity] = (counts[r.severity] ?? 0) + 1;
    if (r.priority === 'HIGH') high += 1;
  }
  return { rows, counts, high };
}

export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

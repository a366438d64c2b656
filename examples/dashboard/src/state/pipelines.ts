// Latest state per pipeline and per execution, folded from the PIPELINE category
// (`useWebSocketCategory(EventCategory.PIPELINE, handler)` in `usePipelines`). Pure, no
// React. Idempotent: an event applied twice (a resync reload overlapping what the page has)
// or out of order (older than what a row shows) changes nothing.
import type { EventOfCategory, ExecutionStatus } from '@herald/client';

type PipelineEvent = EventOfCategory<'PIPELINE'>;

/** Executions kept (the oldest finished ones are dropped first). */
export const MAX_EXECUTIONS = 60;
/** Recent executions listed under each pipeline. */
export const EXECUTIONS_PER_PIPELINE = 4;

export interface PipelineRow {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly repository?: string;
  readonly branch?: string;
  readonly deleted: boolean;
  /** Timestamp (ms) of the event that produced this row. */
  readonly updatedAt: number;
}

export interface ExecutionRow {
  readonly id: string;
  readonly pipelineId: string;
  readonly status: ExecutionStatus;
  /** 0.0 – 1.0. */
  readonly progress: number;
  readonly currentStep?: string;
  /** Timestamp (ms) of the event that produced this row. */
  readonly updatedAt: number;
  /** When it started (ms; the first event seen when the execution carries no `startedAt`). */
  readonly startedAt: number;
}

export interface PipelinesState {
  readonly pipelines: ReadonlyMap<string, PipelineRow>;
  readonly executions: ReadonlyMap<string, ExecutionRow>;
}

export const EMPTY_PIPELINES: PipelinesState = { pipelines: new Map(), executions: new Map() };

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
/** Whether an execution (or step) status is final. */
export const isTerminal = (status: string): boolean => TERMINAL.has(status);

/** An envelope timestamp in ms (`fallback` when absent or unparsable). */
export const time = (ts: string | undefined, fallback = 0): number => {
  const t = ts ? Date.parse(ts) : NaN;
  return Number.isFinite(t) ? t : fallback;
};

/** Percent (the catalogue's `progress`, 0–100) as a fraction 0.0–1.0; `completed` is 1. */
export function progressFraction(status: string, percent: number | undefined, fallback = 0): number {
  if (status === 'completed') return 1;
  if (percent === undefined || !Number.isFinite(percent)) return fallback;
  return Math.max(0, Math.min(1, percent / 100));
}

/** Applies one PIPELINE event. Returns `state` itself when nothing changed. */
export function pipelinesReducer(state: PipelinesState, event: PipelineEvent): PipelinesState {
  const ts = time(event.timestamp);
  switch (event.event_type) {
    case 'pipeline_created':
    case 'pipeline_updated':
    case 'pipeline_deleted': {
      const id = event.data.pipelineId;
      const prev = state.pipelines.get(id);
      if (prev && prev.updatedAt > ts) return state;
      const p = event.event_type === 'pipeline_deleted' ? undefined : event.data.pipeline;
      const row: PipelineRow = {
        id,
        name: p?.name ?? prev?.name ?? id,
        status: event.event_type === 'pipeline_deleted' ? 'deleted' : (p?.status ?? prev?.status ?? 'active'),
        repository: p?.repository ?? prev?.repository,
        branch: p?.branch ?? prev?.branch,
        deleted: event.event_type === 'pipeline_deleted',
        updatedAt: ts,
      };
      return { ...state, pipelines: new Map(state.pipelines).set(id, row) };
    }
    case 'pipeline_execution_started':
    case 'pipeline_execution_updated':
    case 'pipeline_execution_completed': {
      const { executionId: id, pipelineId, execution: e } = event.data;
      const prev = state.executions.get(id);
      if (prev && prev.updatedAt > ts) return state;
      // A finished execution stays finished against a late update with the same timestamp.
      if (prev && isTerminal(prev.status) && !isTerminal(e.status) && prev.updatedAt >= ts) return state;
      const executions = new Map(state.executions).set(id, {
        id,
        pipelineId,
        status: e.status,
        progress: progressFraction(e.status, e.progress, prev?.progress ?? 0),
        currentStep: e.currentStep,
        updatedAt: ts,
        startedAt: time(e.startedAt, prev?.startedAt ?? ts),
      });
      if (executions.size > MAX_EXECUTIONS) {
        // Drop the oldest, finished ones first.
        const byAge = [...executions.values()].sort(
          (a, b) => Number(isTerminal(b.status)) - Number(isTerminal(a.status)) || a.startedAt - b.startedAt,
        );
        for (const old of byAge.slice(0, executions.size - MAX_EXECUTIONS)) executions.delete(old.id);
      }
      let pipelines = state.pipelines;
      if (!pipelines.has(pipelineId)) {
        // An execution of a pipeline created before the page opened: shown by its id.
        pipelines = new Map(pipelines).set(pipelineId, { id: pipelineId, name: pipelineId, status: 'active', deleted: false, updatedAt: 0 });
      }
      return { pipelines, executions };
    }
    default:
      return state; // log lines: the ExecutionMonitor reads them from the execution's subject
  }
}

/** Pipelines (not deleted) with their latest executions, most recently active first. */
export function selectPipelineRows(state: PipelinesState): { pipeline: PipelineRow; executions: ExecutionRow[] }[] {
  const newest = [...state.executions.values()].sort((a, b) => b.startedAt - a.startedAt);
  const byPipeline = new Map<string, ExecutionRow[]>();
  for (const e of newest) {
    const list = byPipeline.get(e.pipelineId) ?? [];
    if (list.length < EXECUTIONS_PER_PIPELINE) list.push(e);
    byPipeline.set(e.pipelineId, list);
  }
  const rows = [...state.pipelines.values()]
    .filter((p) => !p.deleted)
    .map((pipeline) => ({ pipeline, executions: byPipeline.get(pipeline.id) ?? [] }));
  const activity = (r: (typeof rows)[number]) => Math.max(r.pipeline.updatedAt, r.executions[0]?.startedAt ?? 0);
  return rows.sort((a, b) => activity(b) - activity(a) || a.pipeline.id.localeCompare(b.pipeline.id));
}

/** The execution to follow: the newest running one, else the most recently updated one. */
export function selectLatestExecution(state: PipelinesState): ExecutionRow | null {
  let best: ExecutionRow | null = null;
  for (const e of state.executions.values()) {
    if (!best) best = e;
    else if (isTerminal(best.status) !== isTerminal(e.status)) best = isTerminal(e.status) ? best : e;
    else if (isTerminal(e.status) ? e.updatedAt > best.updatedAt : e.startedAt > best.startedAt) best = e;
  }
  return best;
}

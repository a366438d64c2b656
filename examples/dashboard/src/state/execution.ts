// One execution's view, selected from the events of its subject (`pipeline` channel, subject
// `{pipelineId}/{executionId}`): status, fractional progress, a step timeline and the log.
// Pure, no React; the ExecutionMonitor calls it with `useChannel`'s events.
import type { CatalogueEvent, Execution, PipelineExecutionCompletedEvent, StepStatus } from '@herald/client';

import { isTerminal, progressFraction, time } from './pipelines';

/** One step on the timeline. Times are ms since the epoch; `null` when not known (yet). */
export interface StepTiming {
  readonly name: string;
  readonly status: StepStatus;
  /** The step's `startedAt`, else when an event first showed it running, else when the
   *  step before it ended (if that was before this step was seen finished). */
  readonly startedAt: number | null;
  /** The step's `completedAt`, else when an event first showed it finished. */
  readonly completedAt: number | null;
  /** The step's `durationMs`, else `completedAt − startedAt`; `null` while it runs. */
  readonly durationMs: number | null;
}

export interface LogLine {
  /** The envelope id. */
  readonly id: string;
  readonly ts: number;
  readonly level: string;
  readonly stream: string;
  readonly step?: string;
  readonly line: string;
}

export interface ExecutionView {
  readonly executionId: string;
  readonly pipelineId: string | null;
  /** The latest execution object; `null` until an execution event arrived. */
  readonly execution: Execution | null;
  /** 0.0 – 1.0: the execution's `progress` (percent) / 100, else the share of finished
   *  steps; 1 once completed. */
  readonly progress: number;
  readonly steps: readonly StepTiming[];
  /** When it started (ms) and, once finished, ended. */
  readonly startedAt: number | null;
  readonly completedAt: number | null;
  readonly log: readonly LogLine[];
  /** The `pipeline_execution_completed` event, once it arrived. */
  readonly completion: PipelineExecutionCompletedEvent | null;
}

const FINISHED_STEP: ReadonlySet<string> = new Set(['completed', 'failed', 'skipped']);

/** The view of execution `executionId` from `events` (oldest first; other executions'
 *  events and repeated event ids are ignored). */
export function selectExecution(events: readonly CatalogueEvent[], executionId: string): ExecutionView {
  const seen = new Set<string>();
  const observed = new Map<string, { running: number | null; finished: number | null }>();
  const log: LogLine[] = [];
  let execution: Execution | null = null;
  let executionTs = -Infinity;
  let pipelineId: string | null = null;
  let firstTs: number | null = null;
  let completion: PipelineExecutionCompletedEvent | null = null;

  for (const e of events) {
    if (seen.has(e.id)) continue;
    if (
      e.event_type !== 'pipeline_execution_started' &&
      e.event_type !== 'pipeline_execution_updated' &&
      e.event_type !== 'pipeline_execution_completed' &&
      e.event_type !== 'pipeline_execution_log'
    ) {
      continue;
    }
    if (e.data.executionId !== executionId) continue;
    seen.add(e.id);
    const ts = time(e.timestamp);
    pipelineId = e.data.pipelineId;
    firstTs = firstTs === null ? ts : Math.min(firstTs, ts);
    if (e.event_type === 'pipeline_execution_log') {
      const d = e.data;
      log.push({ id: e.id, ts, level: d.level, stream: d.stream, step: d.step, line: d.line });
      continue;
    }
    if (e.event_type === 'pipeline_execution_completed') completion = e;
    for (const s of e.data.execution.steps ?? []) {
      const o = observed.get(s.name) ?? { running: null, finished: null };
      if (s.status === 'running' && (o.running === null || ts < o.running)) o.running = ts;
      if (FINISHED_STEP.has(s.status) && (o.finished === null || ts < o.finished)) o.finished = ts;
      observed.set(s.name, o);
    }
    // The newest state wins; a completion wins over an update with the same timestamp.
    if (ts > executionTs || (ts === executionTs && isTerminal(e.data.execution.status))) {
      execution = e.data.execution;
      executionTs = ts;
    }
  }
  // History replays and live events arrive in order; a resync reload may not.
  if (log.length > 1) log.sort((a, b) => a.ts - b.ts);

  const steps: StepTiming[] = [];
  let previousEnd: number | null = null;
  for (const s of execution?.steps ?? []) {
    const o = observed.get(s.name);
    const ended = time(s.completedAt, NaN);
    const completedAt = FINISHED_STEP.has(s.status) ? (Number.isFinite(ended) ? ended : (o?.finished ?? null)) : null;
    const started = time(s.startedAt, NaN);
    let startedAt: number | null = null;
    if (s.status !== 'pending') {
      if (Number.isFinite(started)) startedAt = started;
      else if (o?.running != null) startedAt = o.running;
      // Never seen running: it ran after the step before it ended, if that is known to be
      // earlier than its own end (seen finished in the same event as that step: unknown).
      else if (previousEnd !== null && (completedAt === null || previousEnd < completedAt)) startedAt = previousEnd;
    }
    const durationMs =
      s.durationMs ?? (startedAt !== null && completedAt !== null ? Math.max(0, completedAt - startedAt) : null);
    steps.push({ name: s.name, status: s.status, startedAt, completedAt, durationMs });
    if (completedAt !== null) previousEnd = completedAt;
  }

  const done = steps.filter((s) => FINISHED_STEP.has(s.status)).length;
  const stepShare = steps.length > 0 ? done / steps.length : 0;
  const status = execution?.status ?? 'queued';
  const startedAt = execution ? time(execution.startedAt, firstTs ?? NaN) : firstTs;
  const finishedAt = execution?.completedAt ? time(execution.completedAt, NaN) : completion ? time(completion.timestamp, NaN) : NaN;
  return {
    executionId,
    pipelineId,
    execution,
    progress: progressFraction(status, execution?.progress, stepShare),
    steps,
    startedAt: Number.isFinite(startedAt) ? startedAt : null,
    completedAt: isTerminal(status) && Number.isFinite(finishedAt) ? finishedAt : null,
    log,
    completion,
  };
}

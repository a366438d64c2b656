import { useChannel, type Execution } from '@herald/client';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

import { selectExecution, type ExecutionView, type StepTiming } from '../state/execution';
import { isTerminal } from '../state/pipelines';
import { clock, duration, percent, statusClass } from './format';
import { HookError } from './HookError';
import { LogView } from './LogView';

/** Props of `<ExecutionMonitor>` (documented in docs/react-dashboard.md). */
export interface ExecutionMonitorProps {
  /** The execution to show (`e-7`). */
  executionId: string;
  /** Its pipeline (`p-42`): the monitor then subscribes only the execution's subject
   *  `{pipelineId}/{executionId}` of the `pipeline` channel. Without it, it subscribes the
   *  whole `pipeline` channel and keeps this execution's events. */
  pipelineId?: string;
  /** Events of history replayed on mount (default 500), so an execution that started before
   *  the monitor mounted shows its steps and log at once. */
  history?: number;
  /** Called once per `executionId` with the final execution when it is completed, failed
   *  or cancelled, also when it had finished before the monitor mounted. */
  onExecutionComplete?: (execution: Execution, view: ExecutionView) => void;
  /** Show the live log (default true). */
  showLog?: boolean;
  /** Extra controls in the header (the dashboard's "Follow latest"). */
  actions?: ReactNode;
}

/** Events kept for one execution (updates and log lines). */
const LIMIT = 5000;

/** `Date.now()`, re-rendered every second while `active`. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return active ? Math.max(now, Date.now()) : now;
}

function Timeline({ steps, start, end }: { steps: readonly StepTiming[]; start: number | null; end: number }) {
  const span = start !== null ? Math.max(1, end - start) : 1;
  return (
    <ol className="timeline" data-testid="step-timeline">
      {steps.map((s) => {
        const running = s.status === 'running';
        const ms = s.durationMs ?? (running && s.startedAt !== null ? Math.max(0, end - s.startedAt) : null);
        const left = start !== null && s.startedAt !== null ? Math.max(0, (s.startedAt - start) / span) : 0;
        const width = ms !== null ? Math.max(0.01, ms / span) : 0;
        return (
          <li
            key={s.name}
            data-testid="step"
            data-name={s.name}
            data-status={s.status}
            data-started={s.startedAt ?? ''}
            data-duration={s.durationMs ?? ''}
          >
            <span className="step-name">{s.name}</span>
            <span className={statusClass(s.status)}>{s.status}</span>
            <span className="muted mono">{clock(s.startedAt)}</span>
            <span className="mono" data-testid="step-duration">
              {ms === null ? '—' : `${duration(ms)}${running ? '…' : ''}`}
            </span>
            <span className="gantt" aria-hidden>
              <span className={`gantt-bar fill-${s.status}`} style={{ left: percent(left), width: percent(Math.min(width, 1 - left)) }} />
            </span>
          </li>
        );
      })}
    </ol>
  );
}

/**
 * One execution, live: status, fractional progress (shown as %), a step timeline (start,
 * duration and state of each step), the log, and the result. Subscribes the execution's
 * subject with `useChannel` while mounted.
 */
export function ExecutionMonitor({ executionId, pipelineId, history = 500, onExecutionComplete, showLog = true, actions }: ExecutionMonitorProps) {
  const subject = pipelineId ? `${pipelineId}/${executionId}` : '';
  const { events, error } = useChannel('pipeline', { subject, history, limit: LIMIT });
  const view = useMemo(() => selectExecution(events, executionId), [events, executionId]);
  const e = view.execution;
  const finished = e !== null && isTerminal(e.status);
  const now = useNow(e !== null && !finished);

  // onExecutionComplete: once per execution id, with the latest callback.
  const callback = useRef(onExecutionComplete);
  useEffect(() => {
    callback.current = onExecutionComplete;
  });
  const reported = useRef<string | null>(null);
  useEffect(() => {
    if (!finished || !view.execution || reported.current === executionId) return;
    reported.current = executionId;
    callback.current?.(view.execution, view);
  }, [finished, executionId, view]);

  return (
    <section className="card" data-testid="execution-monitor" data-execution={executionId}>
      <header>
        <h2>
          Execution <span className="mono">{executionId}</span>
        </h2>
        {actions}
      </header>
      <HookError error={error} />
      {!e ? (
        <p className="empty">Waiting for events of {executionId}…</p>
      ) : (
        <>
          <div className="monitor-head">
            <span className={statusClass(e.status)} data-testid="monitor-status">
              {e.status}
            </span>
            <span className="muted">pipeline {view.pipelineId}</span>
            {e.trigger ? <span className="muted">· {e.trigger}</span> : null}
            {e.commit ? <span className="mono muted">· {e.commit}</span> : null}
            <span className="muted">· started {clock(view.startedAt)}</span>
          </div>
          <div className="bar big" data-testid="monitor-progress" data-progress={view.progress}>
            <span className={`fill fill-${e.status}`} style={{ width: percent(view.progress) }} />
            <span className="bar-label">{percent(view.progress)}</span>
          </div>
          <div className="steps">
            <span data-testid="monitor-step">Step: {e.currentStep ?? '—'}</span>
          </div>
          <Timeline steps={view.steps} start={view.startedAt} end={view.completedAt ?? now} />
          {showLog ? (
            <>
              <LogView lines={view.log} />
              <div className="muted" data-testid="log-count">
                {view.log.length} log line{view.log.length === 1 ? '' : 's'}
              </div>
            </>
          ) : null}
          {finished ? (
            <div className={`result result-${e.status}`} data-testid="monitor-result">
              {e.status === 'completed' ? '✔' : '✖'} {e.message ?? e.status}
              {view.startedAt !== null && view.completedAt !== null ? ` · ${duration(e.durationMs ?? view.completedAt - view.startedAt)}` : ''}
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}

import { isTerminal, selectMonitored } from '../state/dashboard';
import { useDashboard, useDashboardStore } from '../state/react';
import { statusClass } from './format';
import { LogView } from './LogView';

const EMPTY: never[] = [];

/** One execution: status, progress, current step, steps, live log, result. */
export function ExecutionMonitor() {
  const state = useDashboard();
  const store = useDashboardStore();
  const e = selectMonitored(state);
  const lines = (e && state.logs[e.id]) || EMPTY;
  return (
    <section className="card wide" data-testid="execution-monitor" data-execution={e?.id ?? ''}>
      <header>
        <h2>Execution {e ? <span className="mono">{e.id}</span> : null}</h2>
        {state.monitor.pinned ? (
          <button data-testid="monitor-follow-latest" onClick={() => store.dispatch({ type: 'select-execution', executionId: null })}>
            Follow latest
          </button>
        ) : (
          <span className="muted">following the latest execution</span>
        )}
      </header>
      {!e ? (
        <p className="empty">Waiting for an execution…</p>
      ) : (
        <>
          <div className="monitor-head">
            <span className={statusClass(e.status)} data-testid="monitor-status">
              {e.status}
            </span>
            <span className="muted">pipeline {e.pipelineId}</span>
            {e.trigger ? <span className="muted">· {e.trigger}</span> : null}
            {e.commit ? <span className="mono muted">· {e.commit}</span> : null}
          </div>
          <div className="bar big" data-testid="monitor-progress" data-progress={e.progress}>
            <span className={`fill fill-${e.status}`} style={{ width: `${e.progress}%` }} />
            <span className="bar-label">{e.progress}%</span>
          </div>
          <div className="steps">
            <span data-testid="monitor-step">Step: {e.currentStep ?? '—'}</span>
            {e.steps.map((s) => (
              <span key={s.name} className={`stepchip ${statusClass(s.status)}`}>
                {s.name}
              </span>
            ))}
          </div>
          <LogView lines={lines} />
          <div className="muted" data-testid="log-count">
            {lines.length} log lines
          </div>
          {isTerminal(e.status) ? (
            <div className={`result result-${e.status}`} data-testid="monitor-result">
              {e.status === 'completed' ? '✔' : '✖'} {e.message ?? e.status}
              {e.durationMs ? ` · ${(e.durationMs / 1000).toFixed(1)} s` : ''}
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}

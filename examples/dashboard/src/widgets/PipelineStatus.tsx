import { selectPipelines } from '../state/dashboard';
import { useDashboard, useDashboardStore } from '../state/react';
import { statusClass } from './format';

/** Pipelines and their current executions, updated in place. */
export function PipelineStatus() {
  const state = useDashboard();
  const store = useDashboardStore();
  const rows = selectPipelines(state);
  const running = state.executionOrder.filter((id) => state.executions[id]?.status === 'running').length;
  return (
    <section className="card wide" data-testid="pipelines-widget">
      <header>
        <h2>Pipelines</h2>
        <span className="muted" data-testid="pipelines-summary">
          {rows.length} pipelines · {running} running
        </span>
      </header>
      {rows.length === 0 ? <p className="empty">Waiting for pipeline events…</p> : null}
      <ul className="pipelines">
        {rows.map(({ pipeline, executions }) => (
          <li key={pipeline.id} data-testid="pipeline-row" data-key={pipeline.id}>
            <div className="pipeline-head">
              <span className={statusClass(pipeline.status)}>{pipeline.status}</span>
              <strong>{pipeline.name}</strong>
              <span className="muted">{pipeline.id}</span>
            </div>
            <ul className="executions">
              {executions.map((e) => (
                <li
                  key={e.id}
                  data-testid="execution-row"
                  data-key={e.id}
                  data-status={e.status}
                  className={state.monitor.executionId === e.id ? 'selected' : ''}
                  onClick={() => store.dispatch({ type: 'select-execution', executionId: e.id })}
                >
                  <span className={statusClass(e.status)}>{e.status}</span>
                  <span className="mono">{e.id}</span>
                  <span className="bar" aria-label={`${e.progress}%`}>
                    <span className={`fill fill-${e.status}`} style={{ width: `${e.progress}%` }} />
                  </span>
                  <span className="muted">{e.currentStep ?? ''}</span>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}

import { selectPipelineRows } from '../state/pipelines';
import { usePipelines, type ExecutionRef } from '../state/usePipelines';
import { percent, statusClass } from './format';
import { HookError } from './HookError';

/** Pipelines and their latest executions, updated in place. Clicking an execution calls
 *  `onSelect`; the `selected` one is highlighted. */
export function PipelineStatus({ selected, onSelect }: { selected?: string | null; onSelect?: (e: ExecutionRef) => void }) {
  const { state, error } = usePipelines();
  const rows = selectPipelineRows(state);
  const running = [...state.executions.values()].filter((e) => e.status === 'running').length;
  return (
    <section className="card" data-testid="pipelines-widget">
      <header>
        <h2>Pipelines</h2>
        <span className="muted" data-testid="pipelines-summary">
          {rows.length} pipelines · {running} running
        </span>
      </header>
      <HookError error={error} />
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
                  data-progress={e.progress}
                  className={selected === e.id ? 'selected' : ''}
                  onClick={() => onSelect?.({ pipelineId: e.pipelineId, executionId: e.id })}
                >
                  <span className={statusClass(e.status)}>{e.status}</span>
                  <span className="mono">{e.id}</span>
                  <span className="bar" aria-label={percent(e.progress)}>
                    <span className={`fill fill-${e.status}`} style={{ width: percent(e.progress) }} />
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

import { SEVERITIES, selectAlerts } from '../state/dashboard';
import { useDashboard } from '../state/react';
import { clock } from './format';

/** Findings, newest first, with severity colours and counts; HIGH priority highlighted. */
export function SecurityAlerts() {
  const state = useDashboard();
  const { rows, counts, high } = selectAlerts(state);
  const scans = Object.values(state.scans).filter((s) => s.status === 'running' || s.status === 'queued');
  return (
    <section className="card" data-testid="alerts-widget">
      <header>
        <h2>Security alerts</h2>
        <span className="muted" data-testid="alerts-high">
          {high} high priority
        </span>
      </header>
      <div className="counts">
        {SEVERITIES.map((s) => (
          <span key={s} className={`sev sev-${s}`} data-testid={`alert-count-${s}`} data-count={counts[s] ?? 0}>
            {s} {counts[s] ?? 0}
          </span>
        ))}
      </div>
      {scans.length > 0 ? (
        <div className="muted scans" data-testid="scans">
          {scans.map((s) => (
            <span key={s.id}>
              {s.id} {s.scanner ?? ''} {s.progress ?? 0}%{' '}
            </span>
          ))}
        </div>
      ) : null}
      {rows.length === 0 ? <p className="empty">No findings yet.</p> : null}
      <ul className="list">
        {rows.map((a) => (
          <li
            key={a.id}
            data-testid="alert-row"
            data-key={a.id}
            data-severity={a.severity}
            data-priority={a.priority}
            className={`alert sev-border-${a.severity}${a.priority === 'HIGH' ? ' highlight' : ''}`}
          >
            <span className={`sev sev-${a.severity}`}>{a.severity}</span>
            <span className="grow">
              {a.title}
              {a.cve ? <span className="muted"> · {a.cve}</span> : null}
              {a.pkg ? <span className="muted"> · {a.pkg}</span> : null}
            </span>
            <span className="muted">{a.status}</span>
            <span className="muted">{clock(a.detectedAt)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

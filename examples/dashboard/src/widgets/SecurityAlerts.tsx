import { EventCategory, useWebSocketCategory } from '@herald/client';
import { useMemo } from 'react';

import { SEVERITIES, selectSecurity } from '../state/security';
import { clock } from './format';
import { HookError } from './HookError';

/** Security events kept: the findings counted are those of the last LIMIT events. */
const LIMIT = 2000;
/** Findings listed (the newest). */
const ROWS = 100;

/** Findings newest first, with severity colours and counts; HIGH priority highlighted;
 *  running scans with their progress. */
export function SecurityAlerts() {
  const { events, error } = useWebSocketCategory(EventCategory.SECURITY, undefined, { limit: LIMIT });
  const { findings, counts, high, activeScans } = useMemo(() => selectSecurity(events), [events]);
  return (
    <section className="card" data-testid="alerts-widget">
      <header>
        <h2>Security alerts</h2>
        <span className="muted" data-testid="alerts-high">
          {high} high priority
        </span>
      </header>
      <HookError error={error} />
      <div className="counts">
        {SEVERITIES.map((s) => (
          <span key={s} className={`sev sev-${s}`} data-testid={`alert-count-${s}`} data-count={counts[s] ?? 0}>
            {s} {counts[s] ?? 0}
          </span>
        ))}
      </div>
      {activeScans.length > 0 ? (
        <div className="muted scans" data-testid="scans">
          {activeScans.map((s) => (
            <span key={s.id}>
              {s.id} {s.scanner ?? ''} {s.progress ?? 0}%{' '}
            </span>
          ))}
        </div>
      ) : null}
      {findings.length === 0 ? <p className="empty">No findings yet.</p> : null}
      <ul className="list">
        {findings.slice(0, ROWS).map((a) => (
          <li
            key={a.id}
            data-testid="alert-row"
            data-key={a.id}
            data-ts={a.detectedAt}
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

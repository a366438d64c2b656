import type { FeedKind } from '../state/dashboard';
import { useDashboard } from '../state/react';
import { clock } from './format';

const ICON: Record<FeedKind, string> = {
  session_created: '◉',
  session_updated: '↻',
  error: '✖',
  classification: '◆',
  patch_generated: '✎',
  patch_applied: '✔',
  patch_rollback: '↶',
};

/** Errors, classifications, patches generated / applied / rolled back, newest first. */
export function DebugFeed() {
  const { feed } = useDashboard();
  return (
    <section className="card" data-testid="debug-feed">
      <header>
        <h2>Debugging activity</h2>
        <span className="muted">{feed.length} events</span>
      </header>
      {feed.length === 0 ? <p className="empty">No debugging activity yet.</p> : null}
      <ul className="list">
        {feed.map((f) => (
          <li
            key={f.id}
            data-testid="debug-item"
            data-key={f.id}
            data-kind={f.kind}
            className={`feed feed-${f.kind}${f.ok === false ? ' bad' : f.ok ? ' good' : ''}${f.priority === 'HIGH' ? ' highlight' : ''}`}
          >
            <span className="icon">{ICON[f.kind]}</span>
            <span className="grow">
              {f.title}
              {f.detail ? <div className="muted small">{f.detail}</div> : null}
            </span>
            <span className="muted mono">{f.sessionId}</span>
            <span className="muted">{clock(f.ts)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

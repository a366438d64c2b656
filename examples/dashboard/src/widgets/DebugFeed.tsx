import { EventCategory, useWebSocketCategory } from '@herald/client';
import { useMemo } from 'react';

import { selectFeed, type FeedKind } from '../state/debug';
import { clock } from './format';
import { HookError } from './HookError';

const ICON: Record<FeedKind, string> = {
  session: '◉',
  error: '✖',
  classification: '◆',
  patch_generated: '✎',
  patch_applied: '✔',
  patch_rollback: '↶',
  tool: '⚙',
};

/** Sessions, errors, classifications, patches generated / applied / rolled back: the last
 *  150 DEBUG events, newest first. */
export function DebugFeed() {
  const { events, error } = useWebSocketCategory(EventCategory.DEBUG, undefined, { limit: 150 });
  const feed = useMemo(() => selectFeed(events), [events]);
  return (
    <section className="card" data-testid="debug-feed">
      <header>
        <h2>Debugging activity</h2>
        <span className="muted">{feed.length} events</span>
      </header>
      <HookError error={error} />
      {feed.length === 0 ? <p className="empty">No debugging activity yet.</p> : null}
      <ul className="list">
        {feed.map((f) => (
          <li
            key={f.id}
            data-testid="debug-item"
            data-key={f.id}
            data-ts={f.ts}
            data-kind={f.kind}
            className={`feed feed-${f.kind}${f.ok === false ? ' bad' : f.ok ? ' good' : ''}${f.priority === 'HIGH' ? ' highlight' : ''}`}
          >
            <span className="icon">{ICON[f.kind]}</span>
            <span className="grow">
              {f.title}
              {f.detail ? <div className="muted small">{f.detail}</div> : null}
            </span>
            <span className="muted mono">{f.subject}</span>
            <span className="muted">{clock(f.ts)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

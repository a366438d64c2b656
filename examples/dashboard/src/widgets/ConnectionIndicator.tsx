import { useWebSocketConnection } from '@herald/client';
import { useEffect, useState } from 'react';

import { describeError } from './HookError';

/** Live (pulsing) / Connecting / Reconnecting in N s / Closed with its reason, and the
 *  subscriptions the hub refused. */
export function ConnectionIndicator() {
  const { state, reconnectIn, error, refused } = useWebSocketConnection();
  const [deadline, setDeadline] = useState<number | null>(null);
  const [, tick] = useState(0);
  useEffect(() => setDeadline(reconnectIn === null ? null : Date.now() + reconnectIn), [reconnectIn]);
  useEffect(() => {
    if (deadline === null) return;
    const timer = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(timer);
  }, [deadline]);

  let label: string;
  let kind: 'live' | 'pending' | 'offline';
  switch (state) {
    case 'connected':
      [label, kind] = ['Live', 'live'];
      break;
    case 'reconnecting': {
      const seconds = deadline === null ? 0 : Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      [label, kind] = [seconds > 0 ? `Reconnecting in ${seconds}s` : 'Reconnecting…', 'pending'];
      break;
    }
    case 'connecting':
      [label, kind] = ['Connecting…', 'pending'];
      break;
    case 'closed':
      // Closed for good (a refused token, a wrong URL, …) or by the app: the reason, if any.
      [label, kind] = ['Closed', 'offline'];
      break;
    default:
      [label, kind] = ['Not connected', 'offline'];
  }
  return (
    <div className="connection-box">
      <div className={`connection connection-${kind}`} data-testid="connection-status" data-state={state} title={error ? describeError(error) : ''}>
        <span className={`dot${kind === 'live' ? ' pulse' : ''}`} aria-hidden />
        <span data-testid="connection-label">{label}</span>
        {error && state !== 'connected' ? (
          <span className="connection-error" data-testid="connection-error" data-code={error.code}>
            {describeError(error)}
          </span>
        ) : null}
      </div>
      {refused.length > 0 ? (
        <ul className="refused" data-testid="refused-list" aria-label="refused subscriptions">
          {refused.map((r) => (
            <li key={`${r.channel ?? ''}/${r.subject ?? ''}`} data-testid="refused" data-channel={r.channel ?? ''} data-subject={r.subject ?? ''} data-code={r.detail ?? r.code}>
              refused: {describeError(r)}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

import { useWebSocketConnection } from '@herald/client';
import { useEffect, useState } from 'react';

/** connected (pulsing) / connecting / reconnecting in Ns / offline. */
export function ConnectionIndicator() {
  const { state, reconnectIn, error } = useWebSocketConnection();
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
  if (state === 'connected') {
    label = 'Live';
    kind = 'live';
  } else if (state === 'reconnecting') {
    const seconds = deadline === null ? 0 : Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    label = seconds > 0 ? `Reconnecting in ${seconds}s` : 'Reconnecting…';
    kind = 'pending';
  } else if (state === 'connecting') {
    label = 'Connecting…';
    kind = 'pending';
  } else {
    label = 'Offline';
    kind = 'offline';
  }
  return (
    <div className={`connection connection-${kind}`} data-testid="connection-status" data-state={state} title={error?.message ?? ''}>
      <span className={`dot${kind === 'live' ? ' pulse' : ''}`} aria-hidden />
      <span data-testid="connection-label">{label}</span>
      {error && state !== 'connected' ? <span className="connection-error">{error.message}</span> : null}
    </div>
  );
}

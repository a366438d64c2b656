// The platform's WebSocket API document's example, as a newcomer writes it (MyComponent),
// plus what a real page around it needs: the user's notifications, every category's events,
// the connection's error and refused subscriptions.
import {
  EventCategory,
  useChannel,
  useWebSocketCategory,
  useWebSocketConnection,
  useWebSocketEvent,
  useWebSocketEvents,
  type CatalogueEvent,
  type HeraldError,
} from '@herald/client';
import { useState } from 'react';

import type { AppConfig } from './config';

// The API document's example, as written but for one thing (README.md, "Deviations from the
// API document"): rows are keyed by the event's `id`.
export function MyComponent({ authToken }: { authToken?: string }) {
  const { isConnected } = useWebSocketConnection(authToken);
  const { data: pipelineData } = useWebSocketEvent('pipeline_execution_completed');
  const { events: securityEvents } = useWebSocketCategory(EventCategory.SECURITY);
  return (
    <div data-testid="my-component">
      <p data-testid="connection-text">Connection status: {isConnected ? 'Connected' : 'Disconnected'}</p>
      {pipelineData && (
        <div data-testid="latest-pipeline">
          <h3>Latest Pipeline Execution</h3>
          <pre>{JSON.stringify(pipelineData, null, 2)}</pre>
        </div>
      )}
      <h3>Security Events</h3>
      <ul data-testid="security-events">
        {securityEvents.map((event) => (
          <li key={event.id} data-id={event.id}>
            {event.event_type}: {event.data.vulnerability?.title || 'Unknown'}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ErrorLine({ error, testid }: { error: HeraldError; testid: string }) {
  return (
    <p role="alert" data-testid={testid} data-code={error.code} data-detail={error.detail ?? ''} data-channel={error.channel ?? ''}>
      {error.code}
      {error.detail ? ` (${error.detail})` : ''}: {error.message}
    </p>
  );
}

/** The signed-in user's notifications: `user/<their id>`, what a plain token may read. */
export function Notifications() {
  const { events: notifications, error } = useWebSocketCategory(EventCategory.USER);
  return (
    <section data-testid="notifications">
      <h3>Notifications</h3>
      {error && <ErrorLine error={error} testid="notifications-error" />}
      <ul>
        {notifications.map((n) => (
          <li key={n.id} data-id={n.id}>
            <strong>{n.data.notification.title}</strong> {n.data.notification.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A titled list of events (and the hook's error), one row per event. */
function EventList({ testid, title, events, error, replayed }: { testid: string; title: string; events: readonly CatalogueEvent[]; error: HeraldError | null; replayed?: number }) {
  return (
    <section data-testid={testid} data-count={events.length} data-replayed={replayed}>
      <h3>{title}</h3>
      {error && <ErrorLine error={error} testid={`${testid}-error`} />}
      <ul>
        {events.map((event) => (
          <li key={event.id} data-id={event.id} data-type={event.event_type}>
            {event.event_type} <code>{event.subject}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}

function CategoryPanel({ category }: { category: EventCategory }) {
  // The handler sees each delivery: `replayed` marks the reload after a resync (a restarted hub).
  const [replayed, setReplayed] = useState(0);
  const { events, error } = useWebSocketCategory(category, (_event, delivery) => {
    if (delivery.replayed) setReplayed((n) => n + 1);
  });
  return <EventList testid={`category-${category}`} title={category} events={events} error={error} replayed={replayed} />;
}

function AllEvents() {
  const { events, error } = useWebSocketEvents();
  return <EventList testid="all-events" title="All events" events={events} error={error} />;
}

/** The connection: its state, why it failed, and the subscriptions the hub refused. */
function Connection() {
  const { state, error, refused, reconnectIn, detail } = useWebSocketConnection();
  return (
    <section data-testid="connection" data-state={state} data-attempt={detail.attempt ?? 0}>
      <h3>Connection</h3>
      <p>
        <span data-testid="connection-state">{state}</span>
        {reconnectIn !== null && ` (next attempt in ${Math.round(reconnectIn)} ms)`}
      </p>
      {error && <ErrorLine error={error} testid="connection-error" />}
      <ul data-testid="refused">
        {refused.map((r) => (
          <li key={`${r.channel}\u0000${r.subject}`} data-detail={r.detail ?? ''} data-channel={r.channel ?? ''} data-subject={r.subject ?? ''}>
            refused: {r.channel}
            {r.subject ? `/${r.subject}` : ''} ({r.detail}) {r.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The whole `user` channel: more than a plain token may read, so the hub refuses it. */
function WholeUserChannel() {
  const { events, error } = useChannel('user');
  return <EventList testid="whole-user-channel" title="Every user's notifications (useChannel('user'))" events={events} error={error} />;
}

const CATEGORIES = Object.values(EventCategory);

export function App({ config }: { config: AppConfig }) {
  return (
    <main>
      <h1>Herald: the API document&apos;s example</h1>
      {config.token === '' && <p role="alert">No token: open this page with ?token=&lt;JWT&gt; (see README.md).</p>}
      <MyComponent authToken={config.auth === 'hook' ? config.token : undefined} />
      <Notifications />
      <Connection />
      {config.forbidden && <WholeUserChannel />}
      {CATEGORIES.map((category) => (
        <CategoryPanel key={category} category={category} />
      ))}
      <AllEvents />
    </main>
  );
}

// Type-level tests, checked by `tsc --noEmit` (scripts/npm-tests.sh): the public hook
// signatures and the catalogue union. A failing assertion is a compile error.
import type { ReactNode } from 'react';

import {
  EventCategory,
  HeraldClient,
  HeraldProvider,
  type CatalogueEvent,
  type ConnectionSnapshot,
  type HeraldDelivery,
  type PipelineExecutionCompletedEvent,
  type SecurityVulnerabilityDetectedEvent,
  type EventOfType,
  type EventType,
  type HeraldError,
  type HeraldStore,
  type PipelineExecutionStartedEvent,
  useChannel,
  useHeraldClient,
  useResync,
  useWebSocketCategory,
  useWebSocketConnection,
  useWebSocketEvent,
  useWebSocketEvents,
} from '../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assert<T extends true>(): T | void {}

// Hook signatures.
assert<Equal<ReturnType<typeof useWebSocketConnection>, ConnectionSnapshot>>();
assert<Equal<Parameters<typeof useWebSocketConnection>, [token?: string]>>();
assert<Equal<ReturnType<typeof useHeraldClient>, HeraldStore>>();
assert<Equal<Parameters<typeof useResync>[0], (resync: { channel: string; subject: string }) => void>>();
assert<Equal<ConnectionSnapshot['error'], HeraldError | null>>();
assert<Equal<ConnectionSnapshot['reconnectIn'], number | null>>();
assert<Equal<ConnectionSnapshot['refused'], readonly HeraldError[]>>();

// EventCategory is a runtime object and a type.
const security: 'SECURITY' = EventCategory.SECURITY;
const category: EventCategory = EventCategory.USER;
void security;
void category;
// @ts-expect-error: not a category
void EventCategory.NOPE;

function Component(): ReactNode {
  const started = useWebSocketEvent('pipeline_execution_started');
  assert<Equal<typeof started.event, PipelineExecutionStartedEvent | null>>();
  if (started.data) {
    const pipelineId: string = started.data.pipelineId;
    void pipelineId;
  }
  assert<Equal<typeof started.error, HeraldError | null>>();
  // @ts-expect-error: a typo of pipeline_execution_updated is not an event type
  useWebSocketEvent('pipeline_execution_update');
  // @ts-expect-error: types outside the catalogue go through useChannel
  useWebSocketEvent('cache_warmed');
  // The API document's style: an optional handler, typed by the event type.
  const completed = useWebSocketEvent('pipeline_execution_completed', (event, delivery) => {
    assert<Equal<typeof event, PipelineExecutionCompletedEvent>>();
    assert<Equal<typeof delivery, HeraldDelivery<PipelineExecutionCompletedEvent>>>();
    const replayed: boolean = delivery.replayed;
    void replayed;
  });
  void completed.data?.execution.status;
  const alerts = useWebSocketCategory(
    EventCategory.SECURITY,
    (event) => {
      assert<Equal<typeof event.category, 'SECURITY'>>();
    },
    { limit: 20 },
  );
  assert<Equal<typeof alerts.error, HeraldError | null>>();
  useWebSocketCategory('SECURITY', (event: SecurityVulnerabilityDetectedEvent | CatalogueEvent) => void event);
  // @ts-expect-error: the handler gets events of its category only
  useWebSocketCategory('USER', (event: PipelineExecutionCompletedEvent) => void event);
  const { events } = useWebSocketCategory('SECURITY', { limit: 5 });
  for (const event of events) {
    assert<Equal<typeof event.category, 'SECURITY'>>();
    if (event.event_type === 'security_vulnerability_detected') {
      const severity: string = event.data.vulnerability.severity;
      void severity;
    }
  }
  const all = useWebSocketEvents({ limit: 10 });
  assert<Equal<typeof all.events, readonly CatalogueEvent[]>>();
  const channel = useChannel('pipeline', { subject: 'p-1', history: 5, limit: 10 });
  assert<Equal<typeof channel.offset, number | null>>();
  assert<Equal<typeof channel.error, HeraldError | null>>();
  useResync(({ channel: name }) => void name);
  // @ts-expect-error: not a category
  useWebSocketCategory('NOPE');
  // @ts-expect-error: limit is a number
  useWebSocketEvents({ limit: '10' });
  return null;
}
void Component;

// The event union discriminates on event_type.
function narrow(event: CatalogueEvent): string {
  switch (event.event_type) {
    case 'pipeline_execution_log':
      return event.data.line;
    case 'tool_progress':
      return event.data.tool;
    default:
      return event.event_type;
  }
}
void narrow;
assert<Equal<EventOfType<'system_alert'>['category'], 'SYSTEM'>>();
const everyType: EventType[] = ['pipeline_created', 'user_notification'];
void everyType;
// @ts-expect-error: not a catalogue event type
const notAType: EventType = 'pipeline_exploded';
void notAType;

// The provider takes a client or the options to create one, never both.
declare const client: HeraldClient;
void (<HeraldProvider client={client} />);
void (<HeraldProvider url="ws://127.0.0.1:1/ws" getToken={async () => 't'} backoff={{ baseMs: 10 }} />);
// @ts-expect-error: client and url are exclusive
void (<HeraldProvider client={client} url="ws://x/ws" />);

// The wasm class: unsubscribe functions everywhere.
const off: () => void = client.onEvent('pipeline_created', (d) => void d.event.data);
const off2: () => void = client.subscribe('pipeline', { subject: 'p', history: 3 }, (d) => void d.offset);
void off;
void off2;

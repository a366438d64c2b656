// @herald/client/testing: a scripted fake Herald hub for frontend tests (docs/react.md,
// "Testing"). It installs a fake `WebSocket` (and `fetch`, for the history endpoint) on
// `globalThis`, so the real wasm client connects to it in vitest (happy-dom) and in a browser.
import { EVENT_TYPES, type EventOfType, type EventType } from '../events.generated.js';
import { Hub, type MockHub, type MockHubOptions } from './hub.js';

export type { ClientFrame, MockConnection, MockHub, MockHubOptions, MockSubscription, MockUser } from './hub.js';

/**
 * A mock hub serving `options.url` (default `ws://herald.mock/ws`), installed at once unless
 * `install: false`. Call `hub.uninstall()` after each test (it restores the real
 * `WebSocket` and `fetch`); a second hub on the same URL throws until then.
 *
 * ```ts
 * const hub = createMockHub({ user: { id: 'u-1', org: 'acme' } });
 * render(<HeraldProvider url={hub.url} token="any"><App /></HeraldProvider>);
 * await hub.waitForSubscription('pipeline');
 * hub.publish('pipeline', makeEvent('pipeline_deleted', { pipelineId: 'p-1' }, { subject: 'p-1' }));
 * ```
 */
export function createMockHub(options: MockHubOptions = {}): MockHub {
  return new Hub(options);
}

let counter = 0;

/**
 * A catalogue envelope of `eventType` with `data`: a fresh `id` (the hub drops a repeated
 * id), its category, priority `MEDIUM`, the current time, source `mock-hub`, and the subject
 * `overrides.subject`, else `data.userId` for USER events (the channel `user` is read as
 * `user/<the user's id>`), else `""`. `overrides` replaces any envelope field.
 */
export function makeEvent<T extends EventType>(
  eventType: T,
  data: EventOfType<T>['data'],
  overrides: Partial<Omit<EventOfType<T>, 'event_type' | 'category' | 'data'>> = {},
): EventOfType<T> {
  const category = EVENT_TYPES[eventType];
  const userId = (data as { userId?: unknown }).userId;
  counter += 1;
  return {
    id: `mock-${Date.now().toString(36)}-${counter}`,
    event_type: eventType,
    category,
    priority: 'MEDIUM',
    timestamp: new Date().toISOString(),
    source: 'mock-hub',
    subject: category === 'USER' && typeof userId === 'string' ? userId : '',
    data,
    ...overrides,
  } as EventOfType<T>;
}

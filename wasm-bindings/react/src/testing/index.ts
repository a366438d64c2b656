// @herald/client/testing: a scripted fake Herald hub for frontend tests (docs/react.md,
// "Testing"). It installs a fake `WebSocket` (and `fetch`, for the history endpoint) on
// `globalThis`, so the real wasm client connects to it in vitest (happy-dom) and in a browser.
import { EVENT_TYPES, type EventOfType, type EventType } from '../events.generated.js';
export { createMockHub } from './hub.js';
export type { ClientFrame, MockConnection, MockHub, MockHubOptions, MockSubscription, MockUser } from './hub.js';

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

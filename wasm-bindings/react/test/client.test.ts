// HeraldClient (the wasm-bindgen class) against the real hub.
import { afterEach, describe, expect, it, vi } from 'vitest';

import { HeraldClient, type HeraldDelivery, type HeraldError } from '../src/index.js';
import { dropAll, pipelineDeleted, publish, token, userNotification, wsUrl } from './helpers.js';

const clients: HeraldClient[] = [];
function client(extra: Partial<ConstructorParameters<typeof HeraldClient>[0]> = {}): HeraldClient {
  const c = new HeraldClient({ url: wsUrl(), token: token(), backoff: { baseMs: 50, capMs: 200 }, ...extra });
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) {
    c.close();
    c.free();
  }
});

describe('HeraldClient', () => {
  it('rejects bad options with one error shape', () => {
    let error: HeraldError | undefined;
    try {
      new HeraldClient({ url: wsUrl() });
    } catch (e) {
      error = e as HeraldError;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'HeraldError', code: 'invalid_argument', retryable: false });
    const c = client();
    expect(() => c.subscribe('Not A Channel!', {}, () => {})).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => c.onCategory('NOPE', () => {})).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('keeps a stable state object until the state changes', async () => {
    const c = client();
    expect(c.state).toEqual({ status: 'idle' });
    expect(c.state).toBe(c.state);
    const states: string[] = [];
    const off = c.onState((s) => states.push(s.status));
    c.connect();
    await vi.waitFor(() => expect(c.state.status).toBe('connected'));
    expect(c.state).toBe(c.state);
    expect(states).toContain('connected');
    off();
    c.close(); // takes effect asynchronously
    await vi.waitFor(() => expect(c.state.status).toBe('closed'));
    expect(states.at(-1)).toBe('connected'); // unsubscribed before close
  });

  it('delivers events as plain objects by subscription, type and category', async () => {
    const c = client({ getToken: () => Promise.resolve(token()), token: undefined });
    const sub: HeraldDelivery[] = [];
    const byType: HeraldDelivery[] = [];
    const byCategory: HeraldDelivery[] = [];
    c.subscribe('pipeline', { subject: 'p-client' }, (d) => sub.push(d));
    c.onEvent('pipeline_deleted', (d) => byType.push(d));
    c.onCategory('PIPELINE', (d) => byCategory.push(d));
    const offUser = c.onCategory('USER', () => {
      throw new Error('no USER events on pipeline');
    });
    c.connect();
    await vi.waitFor(() => expect(c.state.status).toBe('connected'));
    await vi.waitFor(async () => {
      await publish([pipelineDeleted('p-client')]);
      expect(sub.length).toBeGreaterThan(0);
    });
    const delivery = sub.at(-1)!;
    expect(delivery.channel).toBe('pipeline');
    expect(typeof delivery.offset).toBe('number');
    expect(delivery.event).toMatchObject({ event_type: 'pipeline_deleted', category: 'PIPELINE', subject: 'p-client' });
    expect(Object.getPrototypeOf(delivery.event.data)).toBe(Object.prototype);
    expect(delivery.event.data).toEqual({ pipelineId: 'p-client' });
    expect(byType.length).toBe(sub.length);
    expect(byCategory.length).toBe(sub.length);
    offUser();
    await publish([userNotification('u-1', 'hello')]); // not subscribed: nothing arrives
  });

  it('unsubscribe functions are idempotent and stop deliveries', async () => {
    const c = client();
    const got: HeraldDelivery[] = [];
    const off = c.subscribe('pipeline', { subject: 'p-unsub' }, (d) => got.push(d));
    c.connect();
    await vi.waitFor(async () => {
      await publish([pipelineDeleted('p-unsub')]);
      expect(got.length).toBeGreaterThan(0);
    });
    off();
    off();
    const before = got.length;
    const witness: HeraldDelivery[] = [];
    c.subscribe('pipeline', { subject: 'p-unsub' }, (d) => witness.push(d));
    await vi.waitFor(async () => {
      await publish([pipelineDeleted('p-unsub')]);
      expect(witness.length).toBeGreaterThan(0);
    });
    expect(got.length).toBe(before);
  });

  it('reconnects after the hub drops every connection and resumes subscriptions', async () => {
    const c = client();
    const got: string[] = [];
    const statuses: string[] = [];
    c.onState((s) => statuses.push(s.status));
    c.subscribe('pipeline', { subject: 'p-reconnect' }, (d) => got.push(d.event.id));
    c.connect();
    await vi.waitFor(() => expect(c.state.status).toBe('connected'));
    await dropAll();
    await vi.waitFor(() => expect(statuses).toContain('reconnecting'));
    await vi.waitFor(() => expect(c.state.status).toBe('connected'));
    const event = pipelineDeleted('p-reconnect');
    await publish([event]);
    await vi.waitFor(() => expect(got).toContain(event.id));
  });
});

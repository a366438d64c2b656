// The real wasm HeraldClient against the mock hub of @herald/client/testing: it connects
// through the fake WebSocket, recovers after a drop, resyncs after a restart, and sees
// refusals.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { HeraldClient, type HeraldDelivery, type HeraldError, type HeraldResync } from '../src/index.js';
import { createMockHub, makeEvent, type MockHub } from '../src/testing/index.js';

let hub: MockHub;
const clients: HeraldClient[] = [];

function client(extra: Partial<ConstructorParameters<typeof HeraldClient>[0]> = {}): HeraldClient {
  const c = new HeraldClient({ url: hub.url, token: 'token-1', backoff: { baseMs: 10, capMs: 20 }, ...extra });
  clients.push(c);
  return c;
}

beforeEach(() => {
  hub = createMockHub({ user: { id: 'u-1', org: 'acme' } });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.free();
  hub.uninstall();
});

const deleted = (id: string) => makeEvent('pipeline_deleted', { pipelineId: id }, { subject: id });

describe('HeraldClient against the mock hub', () => {
  it('connects, subscribes and receives scripted events', async () => {
    const c = client();
    const got: HeraldDelivery[] = [];
    c.subscribe('pipeline', { subject: 'p-1' }, (d) => got.push(d));
    c.connect();
    const conn = await hub.waitForSubscription('pipeline', 'p-1');
    expect(conn.token).toBe('token-1');
    const event = deleted('p-1');
    hub.publish('pipeline', event);
    hub.publish('pipeline', deleted('p-2')); // another subject: not delivered
    await vi.waitFor(() => expect(got.map((d) => d.event)).toEqual([event]));
    expect(got[0]).toMatchObject({ channel: 'pipeline', offset: 1 });
    expect(c.state.status).toBe('connected');
  });

  it('resumes with since after a drop and loses nothing published meanwhile', async () => {
    const c = client();
    const got: string[] = [];
    c.subscribe('pipeline', {}, (d) => got.push(d.event.id));
    c.connect();
    await hub.waitForSubscription('pipeline');
    const before = deleted('p-1');
    hub.publish('pipeline', before);
    await vi.waitFor(() => expect(got).toEqual([before.id]));
    const from = hub.received.length;
    hub.goOffline();
    const missed = [deleted('p-2'), deleted('p-3')];
    for (const e of missed) hub.publish('pipeline', e);
    hub.goOnline();
    const resubscribe = await hub.waitForFrame('subscribe', () => true, from);
    expect(resubscribe.since).toEqual({ epoch: hub.epoch, offset: 1 });
    await vi.waitFor(() => expect(got).toEqual([before.id, ...missed.map((e) => e.id)]));
  });

  it('signals a resync when a restarted hub lost the history', async () => {
    const c = client();
    const resyncs: HeraldResync[] = [];
    c.onResync((r) => resyncs.push(r));
    const got: number[] = [];
    c.subscribe('pipeline', {}, (d) => got.push(d.offset));
    c.connect();
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', deleted('p-1'));
    await vi.waitFor(() => expect(got).toEqual([1])); // the client's position: offset 1
    const from = hub.received.length;
    hub.restart();
    await hub.waitForFrame('subscribe', (f) => f.since !== undefined, from);
    await vi.waitFor(() => expect(resyncs).toContainEqual({ channel: 'pipeline', subject: '' }));
  });

  it('reports a refused subscription through onError', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const c = client();
    const errors: HeraldError[] = [];
    c.subscribe('user', { onError: (e) => errors.push(e) }, () => {});
    c.connect();
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({ name: 'HeraldError', code: 'refused', detail: 'forbidden', channel: 'user', subject: '' });
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('reads history over HTTP from the mock hub', async () => {
    const events = [deleted('p-1'), deleted('p-2'), deleted('p-1')];
    for (const e of events) hub.publish('pipeline', e);
    const c = client();
    const page = await c.history('pipeline', { subject: 'p-1', limit: 10 });
    expect(page).toMatchObject({ epoch: hub.epoch, offset: 3, recovered: false });
    expect(page.events.map((d) => [d.offset, d.event.id, d.replayed])).toEqual([
      [1, events[0]!.id, true],
      [3, events[2]!.id, true],
    ]);
    expect(hub.requests).toEqual([expect.stringMatching(/^GET http:\/\/herald\.mock\/api\/v1\/channels\/pipeline\/history\?/)]);
    await expect(c.history('user')).rejects.toMatchObject({ name: 'HeraldError', code: 'http', status: 403 });
  });

  it('reports a refused token', async () => {
    hub.refuseTokens('token_expired');
    const c = client();
    const errors: HeraldError[] = [];
    c.onError((e) => errors.push(e));
    c.connect();
    await vi.waitFor(() => expect(errors.some((e) => e.detail === 'token_expired')).toBe(true));
  });
});

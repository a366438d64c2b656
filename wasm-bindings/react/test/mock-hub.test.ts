// @herald/client/testing: the mock hub's protocol, driven through the fake WebSocket and
// fetch it installs (docs/protocol.md §1, §3–§8).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createMockHub, makeEvent, type MockHub } from '../src/testing/index.js';

type Frame = Record<string, unknown> & { type: string };

/** A raw socket to the mock hub that reads frames in order. */
function open(url: string, protocols?: string | string[]) {
  const ws = new WebSocket(url, protocols);
  const frames: Frame[] = [];
  const readers: ((f: Frame) => void)[] = [];
  ws.onmessage = (e) => {
    const frame = JSON.parse(String(e.data)) as Frame;
    const reader = readers.shift();
    if (reader) reader(frame);
    else frames.push(frame);
  };
  const opened = new Promise<void>((resolve) => (ws.onopen = () => resolve()));
  const closed = new Promise<CloseEvent>((resolve) => (ws.onclose = (e) => resolve(e)));
  return {
    ws,
    opened,
    closed,
    next: (): Promise<Frame> => {
      const frame = frames.shift();
      return frame ? Promise.resolve(frame) : new Promise((resolve) => readers.push(resolve));
    },
    send: (frame: object) => ws.send(JSON.stringify(frame)),
  };
}

async function authenticated(hub: MockHub) {
  const c = open(hub.url, 'herald.v1');
  await c.opened;
  c.send({ type: 'authenticate', id: 1, token: 't' });
  expect(await c.next()).toMatchObject({ type: 'authenticated', reply_to: 1 });
  return c;
}

const deleted = (id: string) => makeEvent('pipeline_deleted', { pipelineId: id }, { subject: id });

let hub: MockHub;
beforeEach(() => {
  hub = createMockHub({ user: { id: 'u-1', org: 'acme', name: 'Ada' }, heartbeatMs: 1234 });
});
afterEach(() => hub.uninstall());

describe('mock hub: authentication', () => {
  it('answers authenticate with the configured user, and a bearer subprotocol at once', async () => {
    const c = open(hub.url, 'herald.v1');
    await c.opened;
    expect(c.ws.protocol).toBe('herald.v1');
    c.send({ type: 'authenticate', id: 7, token: 'tok' });
    const frame = await c.next();
    expect(frame).toMatchObject({ type: 'authenticated', reply_to: 7, connection_id: 'c-1', user: { id: 'u-1', org: 'acme', name: 'Ada' }, heartbeat_ms: 1234 });
    expect(Date.parse(String(frame.expires_at))).toBeGreaterThan(Date.now());
    expect((await hub.waitForConnection()).token).toBe('tok');

    const bearer = open(hub.url, ['herald.v1', 'herald.bearer.jwt']);
    expect(await bearer.next()).toMatchObject({ type: 'authenticated', connection_id: 'c-2' });
    expect(hub.connections.map((c) => c.token)).toEqual(['tok', 'jwt']);
  });

  it('refuses tokens with auth_error and close 4401, and asks for authentication first', async () => {
    const c = open(hub.url, 'herald.v1');
    await c.opened;
    c.send({ type: 'subscribe', id: 1, channel: 'pipeline' });
    expect(await c.next()).toMatchObject({ type: 'error', reply_to: 1, code: 'not_authenticated' });
    hub.refuseTokens('token_expired');
    c.send({ type: 'authenticate', id: 2, token: 'old' });
    expect(await c.next()).toMatchObject({ type: 'auth_error', reply_to: 2, code: 'token_expired' });
    expect(await c.closed).toMatchObject({ code: 4401, wasClean: true });
    hub.acceptTokens();
    await authenticated(hub);
  });

  it('decides each token with acceptToken', async () => {
    hub.uninstall();
    hub = createMockHub({ acceptToken: (t) => (t === 'good' ? { id: 'alice', org: 'o' } : 'wrong_audience') });
    const c = open(hub.url, ['herald.v1', 'herald.bearer.bad']);
    expect(await c.next()).toMatchObject({ type: 'auth_error', code: 'wrong_audience' });
    expect((await c.closed).code).toBe(4401);
    const ok = open(hub.url, ['herald.v1', 'herald.bearer.good']);
    expect(await ok.next()).toMatchObject({ type: 'authenticated', user: { id: 'alice', org: 'o' } });
  });

  it('fails sockets to another path or while offline like an unreachable hub', async () => {
    const wrongPath = open(hub.url.replace('/ws', '/socket'));
    expect((await wrongPath.closed).code).toBe(1006);
    hub.goOffline();
    const offline = open(hub.url);
    let errored = false;
    offline.ws.onerror = () => (errored = true);
    expect(await offline.closed).toMatchObject({ code: 1006, wasClean: false });
    expect(errored).toBe(true);
    hub.goOnline();
    await authenticated(hub);
  });
});

describe('mock hub: subscriptions', () => {
  it('applies the default token permissions of docs/protocol.md §3', async () => {
    const c = await authenticated(hub);
    c.send({ type: 'subscribe', id: 2, channel: 'user' });
    expect(await c.next()).toMatchObject({ type: 'error', reply_to: 2, code: 'forbidden' });
    c.send({ type: 'subscribe', id: 3, channel: 'user', subject: 'u-1' });
    expect(await c.next()).toMatchObject({ type: 'subscribed', reply_to: 3, channel: 'user', subject: 'u-1', offset: 0, recovered: false, replayed: 0 });
    c.send({ type: 'subscribe', id: 4, channel: 'user', subject: 'u-2' });
    expect(await c.next()).toMatchObject({ code: 'forbidden' });
    c.send({ type: 'subscribe', id: 5, channel: 'builds' });
    expect(await c.next()).toMatchObject({ code: 'channel_not_found' });
    c.send({ type: 'subscribe', id: 6, channel: 'Not A Channel' });
    expect(await c.next()).toMatchObject({ code: 'bad_request' });
    c.send({ type: 'subscribe', id: 7, channel: 'pipeline', subject: 'a//b' });
    expect(await c.next()).toMatchObject({ code: 'bad_request' });
    const refused = hub.refuse('security', 'forbidden');
    c.send({ type: 'subscribe', id: 8, channel: 'security' });
    expect(await c.next()).toMatchObject({ code: 'forbidden', reply_to: 8 });
    refused();
    c.send({ type: 'subscribe', id: 9, channel: 'security' });
    expect(await c.next()).toMatchObject({ type: 'subscribed', reply_to: 9 });
    expect(hub.subscriptions).toEqual([
      { connection: 'c-1', channel: 'user', subject: 'u-1' },
      { connection: 'c-1', channel: 'security', subject: '' },
    ]);
  });

  it('delivers published events to matching subscriptions once, with offsets and dedup', async () => {
    const c = await authenticated(hub);
    c.send({ type: 'subscribe', id: 2, channel: 'pipeline', subject: 'p-1' });
    c.send({ type: 'subscribe', id: 3, channel: 'pipeline' });
    await c.next();
    await c.next();
    const first = deleted('p-1');
    expect(hub.publish('pipeline', first)).toBe(1);
    expect(hub.publish(deleted('p-2'))).toBe(2); // the category's channel
    expect(hub.publish('pipeline', first)).toBe(1); // a duplicate: not delivered again
    expect(await c.next()).toEqual({ type: 'event', channel: 'pipeline', offset: 1, event: first });
    expect(await c.next()).toMatchObject({ type: 'event', offset: 2, event: { subject: 'p-2' } });
    c.send({ type: 'ping', id: 4 });
    expect(await c.next()).toEqual({ type: 'pong', reply_to: 4 });
    expect(() => hub.publish('builds', deleted('x'))).toThrow(/does not serve the channel builds/);
  });

  it('replays history and recovers with since, and a restart starts a new epoch', async () => {
    const events = [deleted('p-1'), deleted('p-2'), deleted('p-1')];
    for (const e of events) hub.publish('pipeline', e);
    const c = await authenticated(hub);
    c.send({ type: 'subscribe', id: 2, channel: 'pipeline', subject: 'p-1', history: 5 });
    expect(await c.next()).toMatchObject({ type: 'subscribed', epoch: hub.epoch, offset: 3, recovered: false, replayed: 2 });
    expect((await c.next()).offset).toBe(1);
    expect((await c.next()).offset).toBe(3);
    const epoch = hub.epoch;
    c.send({ type: 'subscribe', id: 3, channel: 'pipeline', since: { epoch, offset: 1 } });
    expect(await c.next()).toMatchObject({ type: 'subscribed', recovered: true, replayed: 2 });
    expect([(await c.next()).offset, (await c.next()).offset]).toEqual([2, 3]);

    hub.restart();
    expect((await c.closed).code).toBe(1001);
    expect(hub.epoch).not.toBe(epoch);
    hub.publish('pipeline', deleted('p-1'));
    const again = await authenticated(hub);
    again.send({ type: 'subscribe', id: 2, channel: 'pipeline', since: { epoch, offset: 3 } });
    expect(await again.next()).toMatchObject({ type: 'subscribed', epoch: hub.epoch, offset: 1, recovered: false, replayed: 0 });
  });

  it('ends a subject after its final event and unsubscribes', async () => {
    const c = await authenticated(hub);
    c.send({ type: 'subscribe', id: 2, channel: 'pipeline', subject: 'p-1/e-1' });
    await c.next();
    hub.publish('pipeline', makeEvent('pipeline_execution_completed', { pipelineId: 'p-1', executionId: 'e-1', execution: { id: 'e-1', status: 'completed' } }, { subject: 'p-1/e-1', final: true }));
    expect((await c.next()).type).toBe('event');
    expect(await c.next()).toEqual({ type: 'subject_ended', channel: 'pipeline', subject: 'p-1/e-1' });
    expect(hub.subscriptions).toEqual([]);
    c.send({ type: 'subscribe', id: 3, channel: 'system' });
    await c.next();
    c.send({ type: 'unsubscribe', id: 4, channel: 'system' });
    expect(await c.next()).toEqual({ type: 'unsubscribed', reply_to: 4, channel: 'system', subject: '' });
    expect(hub.received.map((r) => r.frame.type)).toEqual(['authenticate', 'subscribe', 'subscribe', 'unsubscribe']);
    expect(await hub.waitForFrame('subscribe', (f) => f.channel === 'system')).toMatchObject({ id: 3 });
  });

  it('serves the history endpoint with the same rules', async () => {
    hub.publish('user', makeEvent('user_notification', { userId: 'u-1', notificationId: 'n-1', notification: { title: 'hi', message: 'hi', level: 'info' } }));
    const base = hub.url.replace(/^ws/, 'http').replace(/\/ws$/, '');
    const get = async (path: string, token = 't') => {
      const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const ok = await get('/api/v1/channels/user/history?subject=u-1&limit=10');
    expect(ok).toMatchObject({ status: 200, body: { epoch: hub.epoch, offset: 1, recovered: false } });
    expect((ok.body.events as Frame[])[0]).toMatchObject({ type: 'event', channel: 'user', offset: 1, event: { subject: 'u-1' } });
    expect(await get('/api/v1/channels/user/history')).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect(await get('/api/v1/channels/builds/history')).toMatchObject({ status: 404, body: { code: 'channel_not_found' } });
    expect(await get(`/api/v1/channels/user/history?subject=u-1&since_offset=0&epoch=${hub.epoch}`)).toMatchObject({ body: { recovered: true } });
    hub.refuseTokens();
    expect(await get('/api/v1/channels/user/history?subject=u-1')).toMatchObject({ status: 401, body: { code: 'invalid_token' } });
    expect(hub.requests).toHaveLength(5);
  });

  it('stall() silences connections; waitFor rejects with the state after its timeout', async () => {
    hub.uninstall();
    hub = createMockHub({ waitTimeoutMs: 50 });
    const c = await authenticated(hub);
    hub.stall();
    c.send({ type: 'ping', id: 9 });
    await expect(hub.waitForFrame('ping')).rejects.toThrow(/timed out after 50 ms waiting for a ping frame; open connections: c-1 \(user-1\): \[\]/);
  });
});

describe('mock hub: installation', () => {
  it('installs the fake WebSocket and fetch and restores them', () => {
    hub.uninstall();
    const { WebSocket: before, fetch: fetchBefore } = globalThis;
    const a = createMockHub();
    expect(globalThis.WebSocket).not.toBe(before);
    expect(() => createMockHub()).toThrow(/already serves herald.mock/);
    const b = createMockHub({ url: 'ws://other.mock:9/ws' });
    a.uninstall();
    expect(globalThis.WebSocket).not.toBe(before);
    b.uninstall();
    b.uninstall();
    expect(globalThis.WebSocket).toBe(before);
    expect(globalThis.fetch).toBe(fetchBefore);
    hub = createMockHub();
  });
});

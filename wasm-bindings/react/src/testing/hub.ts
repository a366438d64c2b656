// The mock hub: docs/protocol.md §1 and §3–§7 (authentication, permissions, subscribe with
// `since` / `history` replay, unsubscribe, ping, close codes) and the history endpoint of §8,
// served to the fake WebSocket and `fetch` of ./socket.ts. Scripted from the test: publish,
// disconnect, restart, refuse; inspected through its connections, frames and `waitFor…`.

import { MockSocket, register, timers, unregister, type MockHost, type SocketPeer } from './socket.js';

/** Who a token authenticates as (`authenticated.user`). */
export interface MockUser {
  id: string;
  org: string;
  name?: string;
}

/** Options of `createMockHub`. Every one has a default. */
export interface MockHubOptions {
  /** The hub's WebSocket URL; sockets to its host reach the mock, others the real
   *  `WebSocket`. Default `ws://herald.mock/ws` (HTTP: `http://herald.mock`). */
  url?: string;
  /** Whom every accepted token authenticates as. Default `{ id: 'user-1', org: 'acme' }`. */
  user?: MockUser;
  /** Decides each token (WebSocket and HTTP): `true` accepts it as `user`, a `MockUser`
   *  accepts it as that user, `false` or an `auth_error` code refuses it. Default: accept. */
  acceptToken?: (token: string) => boolean | string | MockUser;
  /** `subscribe` permission patterns (docs/protocol.md §3; `${sub}` is the user's id, `*` any
   *  channel). Default: the six category channels, `user` only as `user/${sub}`, so a
   *  whole-`user` subscription is `forbidden` as with a default token. */
  subscribe?: string[];
  /** The channels the hub serves; others are `channel_not_found`. Default: the six categories. */
  channels?: string[];
  /** `heartbeat_ms` of `authenticated`. Default 25000. */
  heartbeatMs?: number;
  /** `expires_at` of `authenticated`. Default: one hour after each authentication. */
  expiresAt?: () => string;
  /** Events kept per channel for `since` and `history`. Default 1000. */
  historySize?: number;
  /** Whether `restart()` keeps history (offsets go on in the new epoch, as on Redis) or loses
   *  it (offsets from 1, as an in-memory hub). Default false: lost. */
  keepHistoryOnRestart?: boolean;
  /** How long `waitFor…` waits before rejecting. Default 5000 ms. */
  waitTimeoutMs?: number;
  /** Install the fake `WebSocket` and `fetch` at once. Default true; else call `install()`. */
  install?: boolean;
}

/** A subscription a connection holds. */
export interface MockSubscription {
  readonly channel: string;
  readonly subject: string;
}

/** A frame the client sent (parsed JSON). */
export interface ClientFrame {
  readonly type: string;
  readonly id?: number | null;
  readonly [field: string]: unknown;
}

/** One client connection as the hub sees it. */
export interface MockConnection {
  /** The hub's `connection_id` (`c-1`, …). */
  readonly id: string;
  readonly url: string;
  /** The subprotocols the client offered. */
  readonly protocols: readonly string[];
  /** The last token accepted on it, `null` before authentication. */
  readonly token: string | null;
  /** Whom it authenticated as, `null` before authentication. */
  readonly user: MockUser | null;
  /** `false` once closed by either side. */
  readonly open: boolean;
  readonly subscriptions: readonly MockSubscription[];
  /** Every frame the client sent on it, in order. */
  readonly received: readonly ClientFrame[];
  /** Sends a raw frame (an object is JSON-encoded) to the client. */
  send(frame: object | string): void;
  /** Closes it with `code` (default 1000; 1006: it vanishes without a close frame). */
  close(code?: number, reason?: string): void;
}

/** A scripted Herald hub for tests (see `createMockHub`). */
export interface MockHub {
  /** The URL to give the client (`ws://herald.mock/ws` by default). */
  readonly url: string;
  /** The channels' epoch (changes on `restart()`). */
  readonly epoch: string;
  /** Open connections. */
  readonly connections: readonly MockConnection[];
  /** The subscriptions of the open connections. */
  readonly subscriptions: readonly (MockSubscription & { readonly connection: string })[];
  /** Every frame received, on any connection, in order. */
  readonly received: readonly { readonly connection: string; readonly frame: ClientFrame }[];
  /** HTTP requests served (`GET http://…/history?…`), in order. */
  readonly requests: readonly string[];
  /** Sockets opened to the hub so far (refused ones included). */
  readonly connectionCount: number;
  /** Publishes `event` on `channel` (default: its category's channel) to every matching
   *  subscription and into history; returns its offset. A repeated `id` on a channel is a
   *  duplicate: not delivered again, answered with the first offset (as the hub does). */
  publish(channel: string, event: object): number;
  publish(event: { category: string }): number;
  /** Closes every connection with `code` (default 1006, a network failure). */
  disconnect(code?: number, reason?: string): void;
  /** A hub restart: a new epoch, history lost (or kept: `keepHistory`, default the option
   *  `keepHistoryOnRestart`), every connection closed with 1001. */
  restart(options?: { keepHistory?: boolean }): void;
  /** Refuses later connections (error, then close 1006) and drops the open ones, until `goOnline()`. */
  goOffline(): void;
  goOnline(): void;
  /** The open connections go silent (nothing in, nothing out) until they close. */
  stall(): void;
  /** Refuses later subscribes of `channel` (only `subject`, when given) with `code` (default
   *  `forbidden`); returns the undo. */
  refuse(channel: string, code?: string, subject?: string): () => void;
  /** Refuses every later authentication with `auth_error` `code` (default `invalid_token`)
   *  and close 4401, until `acceptTokens()`. */
  refuseTokens(code?: string): void;
  acceptTokens(): void;
  /** Resolves with `check`'s first truthy result, checked now and after every change of the
   *  hub; rejects after `waitTimeoutMs`, naming `what` and the hub's state. */
  waitFor<T>(check: (hub: MockHub) => T | false | null | undefined | 0 | '', what?: string): Promise<T>;
  /** An open, authenticated connection (the current one, or the next). */
  waitForConnection(): Promise<MockConnection>;
  /** The open connection that holds the subscription `channel` / `subject` (default `""`). */
  waitForSubscription(channel: string, subject?: string): Promise<MockConnection>;
  /** The first frame of `type` received (from index `from` of `received`, default 0) that
   *  passes `match`. */
  waitForFrame(type: string, match?: (frame: ClientFrame) => boolean, from?: number): Promise<ClientFrame>;
  /** Installs the fake `WebSocket` and `fetch` (done by `createMockHub` unless `install: false`). */
  install(): void;
  /** Closes every connection (1001) and restores the real `WebSocket` and `fetch` once no
   *  mock hub is left. Idempotent. */
  uninstall(): void;
}

const CATEGORY_CHANNELS = ['pipeline', 'security', 'debug', 'system', 'architecture', 'user'];
const DEFAULT_SUBSCRIBE = ['pipeline', 'security', 'debug', 'system', 'architecture', 'user/${sub}'];
// A subject: "" or non-empty `/`-separated segments, ≤ 256 bytes, without control,
// invisible format or line/paragraph separator characters (docs/protocol.md §3).
const FORBIDDEN_IN_SUBJECT = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
let epochs = 0;

interface Stored {
  offset: number;
  subject: string;
  final: boolean;
  frame: string;
}

interface ChannelState {
  latest: number;
  events: Stored[];
  ids: Map<string, number>;
}

type Query = { limit: number } | { epoch: string; offset: number; limit: number };

function validChannel(channel: unknown): channel is string {
  return typeof channel === 'string' && /^[a-z0-9_-]{1,64}$/.test(channel);
}

function validSubject(subject: unknown): subject is string {
  if (typeof subject !== 'string') return false;
  if (subject === '') return true;
  return new TextEncoder().encode(subject).length <= 256 && !FORBIDDEN_IN_SUBJECT.test(subject) && subject.split('/').every((s) => s !== '');
}

/** Whether the subscription subject `prefix` covers `subject`, by whole segments. */
function covers(prefix: string, subject: string): boolean {
  return prefix === '' || subject === prefix || subject.startsWith(`${prefix}/`);
}

function u32(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
}

class Connection implements MockConnection, SocketPeer {
  token: string | null = null;
  user: MockUser | null = null;
  open = true;
  stalled = false;
  strikes = 0;
  readonly subs = new Map<string, MockSubscription>();
  readonly received: ClientFrame[] = [];

  constructor(
    private readonly hub: Hub,
    private readonly socket: MockSocket,
    readonly id: string,
    readonly url: string,
    readonly protocols: readonly string[],
  ) {}

  get subscriptions(): readonly MockSubscription[] {
    return [...this.subs.values()];
  }

  send(frame: object | string): void {
    if (this.open && !this.stalled) this.socket.deliver(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  reply(type: string, replyTo: number | undefined, body: object = {}): void {
    this.send({ type, ...(replyTo === undefined ? {} : { reply_to: replyTo }), ...body });
  }

  close(code = 1000, reason = ''): void {
    if (!this.open) return;
    this.socket.closeFromHub(code, reason);
    this.closed();
  }

  receive(text: string | null): void {
    if (!this.stalled) this.hub.handle(this, text);
  }

  closed(): void {
    if (!this.open) return;
    this.open = false;
    this.hub.changed();
  }
}

class Hub implements MockHub, MockHost {
  readonly url: string;
  epoch = `epoch-${++epochs}`;
  connectionCount = 0;
  readonly received: { connection: string; frame: ClientFrame }[] = [];
  readonly requests: string[] = [];
  private readonly host: string;
  private readonly user: MockUser;
  private readonly served: Set<string>;
  private readonly channelStates = new Map<string, ChannelState>();
  private readonly all: Connection[] = [];
  private readonly refusals = new Set<{ channel: string; code: string; subject: string | undefined }>();
  private readonly waiters = new Set<() => void>();
  private tokenRefusal: string | null = null;
  private offline = false;
  private installed = false;

  constructor(private readonly options: MockHubOptions = {}) {
    const url = new URL(options.url ?? 'ws://herald.mock/ws');
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`mock hub: url must be ws:// or wss://, got ${url.href}`);
    this.url = url.href;
    this.host = url.host;
    this.user = options.user ?? { id: 'user-1', org: 'acme' };
    this.served = new Set(options.channels ?? CATEGORY_CHANNELS);
    if (options.install ?? true) this.install();
  }

  get connections(): readonly MockConnection[] {
    return this.all.filter((c) => c.open);
  }

  get subscriptions(): readonly (MockSubscription & { connection: string })[] {
    return this.all.filter((c) => c.open).flatMap((c) => c.subscriptions.map((s) => ({ ...s, connection: c.id })));
  }

  install(): void {
    if (this.installed) return;
    register(this.host, this);
    this.installed = true;
  }

  uninstall(): void {
    if (!this.installed) return;
    this.disconnect(1001, 'mock hub uninstalled');
    unregister(this.host, this);
    this.installed = false;
    for (const wake of [...this.waiters]) wake();
  }

  // Scripting.

  publish(channelOrEvent: string | { category: string }, maybeEvent?: object): number {
    const [channel, event] =
      typeof channelOrEvent === 'string' ? [channelOrEvent, maybeEvent] : [String(channelOrEvent.category).toLowerCase(), channelOrEvent];
    const envelope = event as { id?: unknown; subject?: unknown; final?: unknown } | undefined;
    if (!envelope || typeof envelope.id !== 'string' || envelope.id === '') throw new Error('mock hub: publish needs an envelope with a string `id` (makeEvent() builds one)');
    const subject = envelope.subject ?? '';
    if (!validSubject(subject)) throw new Error(`mock hub: invalid subject ${JSON.stringify(subject)} (docs/protocol.md §3)`);
    if (!this.served.has(channel)) throw new Error(`mock hub: it does not serve the channel ${channel} (options.channels: ${[...this.served].join(', ')})`);
    const state = this.channel(channel);
    const first = state.ids.get(envelope.id);
    if (first !== undefined) return first;
    const offset = ++state.latest;
    const stored: Stored = { offset, subject, final: envelope.final === true, frame: JSON.stringify({ type: 'event', channel, offset, event }) };
    state.ids.set(envelope.id, offset);
    state.events.push(stored);
    if (state.events.length > (this.options.historySize ?? 1000)) state.events.shift();
    for (const conn of this.all) {
      if (!conn.open || conn.user === null) continue;
      const subs = conn.subscriptions.filter((s) => s.channel === channel && covers(s.subject, subject));
      if (subs.length === 0) continue;
      conn.send(stored.frame);
      if (stored.final && subject !== '' && conn.subs.delete(`${channel}\u0000${subject}`)) conn.send({ type: 'subject_ended', channel, subject });
    }
    this.changed();
    return offset;
  }

  disconnect(code = 1006, reason = ''): void {
    for (const conn of this.all) conn.close(code, reason);
  }

  restart({ keepHistory = this.options.keepHistoryOnRestart ?? false }: { keepHistory?: boolean } = {}): void {
    this.epoch = `epoch-${++epochs}`;
    if (!keepHistory) this.channelStates.clear();
    this.disconnect(1001, 'hub restart');
  }

  goOffline(): void {
    this.offline = true;
    this.disconnect(1006);
  }

  goOnline(): void {
    this.offline = false;
  }

  stall(): void {
    for (const conn of this.all) conn.stalled = true;
  }

  refuse(channel: string, code = 'forbidden', subject?: string): () => void {
    const refusal = { channel, code, subject };
    this.refusals.add(refusal);
    return () => void this.refusals.delete(refusal);
  }

  refuseTokens(code = 'invalid_token'): void {
    this.tokenRefusal = code;
  }

  acceptTokens(): void {
    this.tokenRefusal = null;
  }

  // Waiting.

  waitFor<T>(check: (hub: MockHub) => T | false | null | undefined | 0 | '', what = 'a condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const ms = this.options.waitTimeoutMs ?? 5000;
      const timer = timers.setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`mock hub: timed out after ${ms} ms waiting for ${what}; ${this.describe()}`));
      }, ms);
      const wake = () => {
        if (!this.installed) {
          this.waiters.delete(wake);
          timers.clearTimeout(timer);
          return reject(new Error(`mock hub: uninstalled while waiting for ${what}`));
        }
        const result = check(this);
        if (!result) return;
        this.waiters.delete(wake);
        timers.clearTimeout(timer);
        resolve(result);
      };
      this.waiters.add(wake);
      wake();
    });
  }

  waitForConnection(): Promise<MockConnection> {
    return this.waitFor(() => this.all.find((c) => c.open && c.user !== null), 'an authenticated connection');
  }

  waitForSubscription(channel: string, subject = ''): Promise<MockConnection> {
    return this.waitFor(
      () => this.all.find((c) => c.open && c.subs.has(`${channel}\u0000${subject}`)),
      `a subscription to ${channel}${subject ? `/${subject}` : ''}`,
    );
  }

  waitForFrame(type: string, match: (frame: ClientFrame) => boolean = () => true, from = 0): Promise<ClientFrame> {
    return this.waitFor(() => this.received.slice(from).find((r) => r.frame.type === type && match(r.frame))?.frame, `a ${type} frame`);
  }

  changed(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private describe(): string {
    const conns = this.connections.map((c) => `${c.id}${c.user ? ` (${c.user.id})` : ' (unauthenticated)'}: [${c.subscriptions.map((s) => `${s.channel}/${s.subject}`).join(', ')}]`);
    return `open connections: ${conns.length ? conns.join('; ') : 'none'}; sockets opened: ${this.connectionCount}`;
  }

  // The WebSocket side.

  connect(socket: MockSocket, path: string, protocols: string[]): void {
    this.connectionCount += 1;
    if (this.offline || path !== '/ws' || (protocols.length > 0 && !protocols.includes('herald.v1'))) {
      // What a browser shows for an unreachable hub or a refused upgrade (404, no subprotocol).
      socket.fail();
      return this.changed();
    }
    const conn = new Connection(this, socket, `c-${this.connectionCount}`, socket.url, protocols);
    this.all.push(conn);
    socket.accept(conn, protocols.includes('herald.v1') ? 'herald.v1' : '');
    const bearer = protocols.find((p) => p.startsWith('herald.bearer.'));
    if (bearer) this.authenticate(conn, undefined, bearer.slice('herald.bearer.'.length));
    this.changed();
  }

  handle(conn: Connection, text: string | null): void {
    let frame: unknown;
    try {
      frame = text === null ? null : JSON.parse(text);
    } catch {
      frame = null;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || typeof (frame as ClientFrame).type !== 'string') {
      return conn.reply('error', undefined, { code: 'bad_request', message: text === null ? 'binary frames are not accepted' : 'not a JSON object with a string type' });
    }
    const f = frame as ClientFrame;
    if (f.id !== undefined && f.id !== null && !u32(f.id)) return conn.reply('error', undefined, { code: 'bad_request', message: 'id must be an unsigned 32-bit integer' });
    const replyTo = f.id ?? undefined;
    conn.received.push(f);
    this.received.push({ connection: conn.id, frame: f });
    this.changed();
    if (f.type === 'authenticate') {
      if (typeof f.token !== 'string') return conn.reply('error', replyTo, { code: 'bad_request', message: 'token must be a string' });
      return this.authenticate(conn, replyTo, f.token);
    }
    if (conn.user === null) {
      if (++conn.strikes > 8) return conn.close(4500, 'too many frames before authentication');
      return conn.reply('error', replyTo, { code: 'not_authenticated', message: 'authenticate first' });
    }
    const error = (code: string, message: string) => conn.reply('error', replyTo, { code, message });
    switch (f.type) {
      case 'ping':
        return conn.reply('pong', replyTo);
      case 'subscribe':
      case 'unsubscribe': {
        const { channel, subject = '', history, since } = f as ClientFrame & { subject?: unknown; history?: unknown; since?: { epoch?: unknown; offset?: unknown } | null };
        if (!validChannel(channel)) return error('bad_request', `invalid channel name ${JSON.stringify(channel)}`);
        if (!validSubject(subject)) return error('bad_request', `invalid subject ${JSON.stringify(subject)}`);
        if (f.type === 'unsubscribe') {
          if (!this.served.has(channel)) return error('channel_not_found', `the hub does not serve the channel ${channel}`);
          conn.subs.delete(`${channel}\u0000${subject}`);
          conn.reply('unsubscribed', replyTo, { channel, subject });
          return this.changed();
        }
        if (history != null && !u32(history)) return error('bad_request', 'history must be an unsigned 32-bit integer');
        if (since != null && (typeof since.epoch !== 'string' || !Number.isInteger(since.offset) || (since.offset as number) < 0)) {
          return error('bad_request', 'since must be {"epoch": string, "offset": integer}');
        }
        const refusal = this.refusal(conn.user, channel, subject);
        if (refusal) return error(refusal.code, refusal.message);
        const limit = Math.min(Number(history ?? 0), this.options.historySize ?? 1000);
        const read = since != null ? this.read(channel, subject, { epoch: since.epoch as string, offset: since.offset as number, limit: Infinity }) : this.read(channel, subject, { limit });
        const key = `${channel}\u0000${subject}`;
        conn.subs.set(key, { channel, subject });
        conn.reply('subscribed', replyTo, { channel, subject, epoch: this.epoch, offset: read.latest, recovered: read.recovered, replayed: read.events.length });
        for (const event of read.events) conn.send(event.frame);
        if (subject !== '' && read.events.some((e) => e.final && e.subject === subject) && conn.subs.delete(key)) {
          conn.send({ type: 'subject_ended', channel, subject });
        }
        return this.changed();
      }
      case 'publish':
        return error('forbidden', 'the mock hub takes events from hub.publish() only');
      default:
        return error('unknown_type', `unknown frame type ${f.type}`);
    }
  }

  private authenticate(conn: Connection, replyTo: number | undefined, token: string): void {
    let verdict = this.decide(token);
    // A refresh must keep `sub` and `org` (docs/protocol.md §9.1).
    if (typeof verdict !== 'string' && conn.user && (conn.user.id !== verdict.id || conn.user.org !== verdict.org)) verdict = 'invalid_token';
    if (typeof verdict === 'string') {
      conn.reply('auth_error', replyTo, { code: verdict, message: `token refused by the mock hub (${verdict})` });
      return conn.close(verdict === 'auth_timeout' ? 4408 : 4401, verdict);
    }
    conn.token = token;
    conn.user = verdict;
    conn.reply('authenticated', replyTo, {
      connection_id: conn.id,
      user: verdict,
      heartbeat_ms: this.options.heartbeatMs ?? 25000,
      expires_at: this.options.expiresAt?.() ?? new Date(Date.now() + 3_600_000).toISOString(),
    });
    this.changed();
  }

  /** The user a token authenticates as, or the `auth_error` code refusing it. */
  private decide(token: string): MockUser | string {
    if (this.tokenRefusal !== null) return this.tokenRefusal;
    const verdict = this.options.acceptToken?.(token) ?? true;
    if (verdict === true) return this.user;
    return verdict === false ? 'invalid_token' : verdict;
  }

  /** Why a subscribe or history read of (channel, subject) is refused, or null. */
  private refusal(user: MockUser, channel: string, subject: string): { code: string; message: string } | null {
    if (!this.served.has(channel)) return { code: 'channel_not_found', message: `the hub does not serve the channel ${channel}` };
    for (const r of this.refusals) {
      if (r.channel === channel && (r.subject === undefined || r.subject === subject)) {
        return { code: r.code, message: `refused by the test (hub.refuse) for ${channel}/${subject}` };
      }
    }
    const allowed = (this.options.subscribe ?? DEFAULT_SUBSCRIBE).some((pattern) => {
      const [patternChannel = '', ...rest] = pattern.replaceAll('${sub}', user.id).split('/');
      return (patternChannel === '*' || patternChannel === channel) && (rest.length === 0 || covers(rest.join('/'), subject));
    });
    return allowed ? null : { code: 'forbidden', message: `no subscribe permission for ${channel}/${subject}` };
  }

  private channel(name: string): ChannelState {
    let state = this.channelStates.get(name);
    if (!state) this.channelStates.set(name, (state = { latest: 0, events: [], ids: new Map() }));
    return state;
  }

  /** The history of (channel, subject), as the hub's broker reads it. */
  private read(channel: string, subject: string, query: Query): { latest: number; recovered: boolean; events: Stored[] } {
    const { latest, events } = this.channelStates.get(channel) ?? { latest: 0, events: [] };
    const matching = events.filter((e) => covers(subject, e.subject));
    if (!('offset' in query)) return { latest, recovered: false, events: query.limit > 0 ? matching.slice(-query.limit) : [] };
    if (query.epoch !== this.epoch || query.offset > latest) return { latest, recovered: false, events: [] };
    if (query.offset === latest) return { latest, recovered: true, events: [] };
    if (!events[0] || events[0].offset > query.offset + 1) return { latest, recovered: false, events: [] };
    return { latest, recovered: true, events: matching.filter((e) => e.offset > query.offset).slice(0, query.limit) };
  }

  // The HTTP side: GET /api/v1/channels/{channel}/history (docs/protocol.md §8).

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.requests.push(`${request.method} ${url.href}`);
    this.changed();
    const json = (status: number, body: string | object) =>
      new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    const route = /^\/api\/v1\/channels\/([^/]*)\/history$/.exec(url.pathname);
    if (request.method !== 'GET' || !route) {
      return json(404, { code: 'not_found', message: `the mock hub serves GET /api/v1/channels/{channel}/history only, not ${request.method} ${url.pathname}` });
    }
    if (this.offline) throw new TypeError(`fetch failed: the mock hub at ${url.host} is offline`);
    const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
    if (!token) return json(401, { code: 'not_authenticated', message: 'no token' });
    const user = this.decide(token);
    if (typeof user === 'string') return json(401, { code: user, message: `token refused by the mock hub (${user})` });
    const channel = decodeURIComponent(route[1] ?? '');
    const subject = url.searchParams.get('subject') ?? '';
    if (!validChannel(channel)) return json(400, { code: 'bad_request', message: `invalid channel name ${channel}` });
    if (!validSubject(subject)) return json(400, { code: 'bad_request', message: `invalid subject ${subject}` });
    const refusal = this.refusal(user, channel, subject);
    if (refusal) return json(refusal.code === 'channel_not_found' ? 404 : 403, refusal);
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 1, 1), 1000);
    const since = url.searchParams.get('since_offset');
    const history = this.read(
      channel,
      subject,
      since === null ? { limit } : { epoch: url.searchParams.get('epoch') ?? this.epoch, offset: Number(since), limit },
    );
    const head = JSON.stringify({ epoch: this.epoch, offset: history.latest, recovered: history.recovered });
    return json(200, `${head.slice(0, -1)},"events":[${history.events.map((e) => e.frame).join(',')}]}`);
  }
}

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

// The fake `WebSocket` class the mock hub installs on `globalThis`, and the routing of
// sockets (and `fetch` requests) to the mock hub registered for their host. It behaves like
// a browser's WebSocket as the Herald client sees it: events fire asynchronously, in order,
// in one task per batch (like frames arriving in one network read); `send` throws while
// connecting; messages that arrive after `close()` are dropped; a refused or unreachable
// host fires `error` then `close` 1006.

/** What the hub sees of one fake socket. */
export interface SocketPeer {
  /** A text frame from the client (a binary frame arrives as `null`). */
  receive(text: string | null): void;
  /** The client closed the socket. */
  closed(code: number, reason: string): void;
}

/** A mock hub as the fake sockets and `fetch` see it. */
export interface MockHost {
  /** A socket opened to this host: `path` is the URL's path, `protocols` what it offered. */
  connect(socket: MockSocket, path: string, protocols: string[]): void;
  /** An HTTP request to this host. */
  fetch(request: Request): Promise<Response>;
}

/** The real timers, captured at load, so the fake network and the hub's waits keep working
 *  under `vi.useFakeTimers()` (which then drives only the client's own timers). */
export const timers = { setTimeout: globalThis.setTimeout.bind(globalThis), clearTimeout: globalThis.clearTimeout.bind(globalThis) };
const schedule = (run: () => void): void => void timers.setTimeout(run, 0);

type Listener = (event: Event) => void;
type Queued = { open: string } | { message: string } | { close: number; reason: string; error: boolean };

function event(type: string, target: MockSocket, props: Record<string, unknown> = {}): Event {
  const base =
    type === 'message' && typeof MessageEvent === 'function'
      ? new MessageEvent('message', { data: props.data })
      : type === 'close' && typeof CloseEvent === 'function'
        ? new CloseEvent('close', props as CloseEventInit)
        : new Event(type);
  for (const [key, value] of Object.entries({ ...props, target, currentTarget: target, srcElement: target })) {
    if ((base as unknown as Record<string, unknown>)[key] !== value) Object.defineProperty(base, key, { value, configurable: true });
  }
  return base;
}

/** The fake `WebSocket` (installed as `globalThis.WebSocket` while a mock hub is installed). */
export class MockSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readonly url: string;
  readyState = 0;
  protocol = '';
  extensions = '';
  binaryType: 'blob' | 'arraybuffer' = 'blob';
  bufferedAmount = 0;
  onopen: Listener | null = null;
  onmessage: Listener | null = null;
  onerror: Listener | null = null;
  onclose: Listener | null = null;
  /** Set by the hub once it accepts the socket. */
  peer: SocketPeer | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private queue: Queued[] = [];

  constructor(url: string | URL, protocols?: string | string[]) {
    const parsed = new URL(String(url));
    this.url = parsed.href;
    const offered = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
    const host = hosts.get(parsed.host);
    if (!host && original && parsed.protocol.startsWith('ws')) {
      // Not a mock hub's host: a real socket (a dev server's HMR, another service).
      return new original(url, protocols) as unknown as MockSocket;
    }
    if (!host || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')) this.fail();
    else host.connect(this, parsed.pathname, offered);
  }

  send(data: unknown): void {
    if (this.readyState === 0) throw new DOMException('WebSocket is still in CONNECTING state', 'InvalidStateError');
    if (this.readyState === 1) this.peer?.receive(typeof data === 'string' ? data : null);
  }

  close(code?: number, reason = ''): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
      throw new DOMException(`The close code must be 1000 or in 3000-4999, got ${code}`, 'InvalidAccessError');
    }
    if (this.readyState >= 2) return;
    const wasOpen = this.readyState === 1;
    this.readyState = 2;
    const peer = this.peer;
    this.peer = null;
    peer?.closed(code ?? 1005, reason);
    this.push({ close: wasOpen ? (code ?? 1005) : 1006, reason: wasOpen ? reason : '', error: !wasOpen });
  }

  addEventListener(type: string, listener: Listener | null): void {
    if (!listener) return;
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener | null): void {
    if (listener) this.listeners.get(type)?.delete(listener);
  }

  dispatchEvent(e: Event): boolean {
    const handler = (this as unknown as Record<string, unknown>)[`on${e.type}`];
    if (typeof handler === 'function') handler.call(this, e);
    for (const listener of [...(this.listeners.get(e.type) ?? [])]) listener.call(this, e);
    return true;
  }

  // The hub's side.

  /** Completes the handshake with `protocol`. */
  accept(peer: SocketPeer, protocol: string): void {
    this.peer = peer;
    this.push({ open: protocol });
  }

  /** Delivers a text frame. */
  deliver(text: string): void {
    this.push({ message: text });
  }

  /** The hub closes the connection (`1006`: it vanished without a close frame). */
  closeFromHub(code: number, reason: string): void {
    this.peer = null;
    this.push({ close: code, reason, error: code === 1006 });
  }

  /** The connection cannot be made (refused upgrade, unreachable host). */
  fail(): void {
    this.closeFromHub(1006, '');
  }

  private push(item: Queued): void {
    if (this.queue.push(item) === 1) schedule(() => this.flush());
  }

  private flush(): void {
    const items = this.queue;
    this.queue = [];
    for (const item of items) {
      if (this.readyState === 3) return;
      if ('open' in item) {
        if (this.readyState !== 0) continue;
        this.readyState = 1;
        this.protocol = item.open;
        this.dispatchEvent(event('open', this));
      } else if ('message' in item) {
        if (this.readyState === 1) this.dispatchEvent(event('message', this, { data: item.message, origin: new URL(this.url).origin }));
      } else {
        this.readyState = 3;
        if (item.error) this.dispatchEvent(event('error', this));
        this.dispatchEvent(event('close', this, { code: item.close, reason: item.reason, wasClean: !item.error }));
      }
    }
  }
}

const hosts = new Map<string, MockHost>();
let saved: { WebSocket?: typeof WebSocket; fetch?: typeof fetch } | null = null;
let original: typeof WebSocket | undefined;
let originalFetch: typeof fetch | undefined;

async function routedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const host = hosts.get(new URL(request.url).host);
  if (host) return host.fetch(request);
  if (!originalFetch) throw new TypeError(`fetch failed: no mock hub serves ${request.url}`);
  return originalFetch(input, init);
}

type Globals = Record<'WebSocket' | 'fetch', unknown>;

/** Serves `host` (`name:port`) with `hub` from now on; installs the fakes on first use. */
export function register(host: string, hub: MockHost): void {
  if (hosts.has(host)) {
    throw new Error(`a mock hub already serves ${host}: uninstall it first (hub.uninstall() in afterEach), or give this one another url`);
  }
  hosts.set(host, hub);
  if (saved) return;
  const g = globalThis as unknown as Globals;
  saved = {};
  if ('WebSocket' in globalThis) saved.WebSocket = original = g.WebSocket as typeof WebSocket;
  if ('fetch' in globalThis) saved.fetch = originalFetch = g.fetch as typeof fetch;
  g.WebSocket = MockSocket;
  g.fetch = routedFetch;
}

/** Stops serving `host`; restores the real `WebSocket` and `fetch` when no mock hub is left. */
export function unregister(host: string, hub: MockHost): void {
  if (hosts.get(host) !== hub) return;
  hosts.delete(host);
  if (hosts.size > 0 || !saved) return;
  const g = globalThis as unknown as Globals;
  for (const [key, fake] of [['WebSocket', MockSocket], ['fetch', routedFetch]] as const) {
    if (g[key] !== fake) continue; // replaced again by someone else: leave it
    if (key in saved) g[key] = saved[key];
    else delete (g as Partial<Globals>)[key];
  }
  saved = null;
  original = undefined;
  originalFetch = undefined;
}

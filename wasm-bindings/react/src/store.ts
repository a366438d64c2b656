// HeraldStore: one connection per provider, outside React (the shape of TanStack Query's
// QueryClient): it retains and releases the client's connection and keeps the connection
// snapshot. Routing, the subscriptions listeners imply and their reference counts live in the
// client's Rust core. `withClient` runs the hooks' setups on the client once it exists (the
// wasm module loads asynchronously) and on its successor. The last release closes one
// microtask later, so StrictMode's double mount opens one connection.

import { ExternalStore } from './buffer.js';
import type { ConnectionSnapshot } from './hooks.js';
import {
  HeraldClient,
  initHerald,
  type ConnectionStateSnapshot,
  type HeraldClientOptions,
  type HeraldError,
  type Unsubscribe,
} from './wasm.js';

/** Options of a store that creates its own client (the `url` form of the provider). A `token`
 *  is fixed (refused: the client closes); without `token` and `getToken`, the store waits for
 *  `setToken`. */
export type HeraldStoreOptions = HeraldClientOptions;

const NONE: readonly HeraldError[] = Object.freeze([]);

function snapshot(detail: ConnectionStateSnapshot, error: HeraldError | null, refused: readonly HeraldError[]): ConnectionSnapshot {
  const { status, nextInMs } = detail;
  const reconnectIn = status === 'reconnecting' ? (nextInMs ?? null) : null;
  return Object.freeze({ isConnected: status === 'connected', state: status, detail, error, reconnectIn, refused });
}

type Setup = { run: (client: HeraldClient) => Unsubscribe; off?: Unsubscribe | undefined };

/** The connection store behind `<HeraldProvider>`; `useHeraldClient()` returns it. */
export class HeraldStore extends ExternalStore<ConnectionSnapshot> {
  /** The wasm client; `null` until the wasm module is loaded and the store started. */
  client: HeraldClient | null = null;
  private readonly options: HeraldStoreOptions | null = null;
  private token: string | undefined;
  private refs = 0;
  private running = false;
  private current = snapshot(Object.freeze({ status: 'idle' }), null, NONE);
  private readonly setups = new Set<Setup>([{ run: (client) => this.follow(client) }]);

  constructor(source: { client: HeraldClient } | { options: HeraldStoreOptions }) {
    super();
    if ('client' in source) this.client = source.client;
    else {
      this.options = source.options;
      this.token = source.options.token;
    }
  }

  getSnapshot(): ConnectionSnapshot {
    return this.current;
  }

  /** Hands a provider given only a `url` its token (`useWebSocketConnection(token)`): it
   *  connects once it has one; later tokens serve the next connection or refresh. */
  setToken(token: string | undefined): void {
    if (token === undefined || token === this.token) return;
    this.token = token;
    if (this.refs > 0) this.start();
  }

  /** Runs `setup(client)` on the client now or once it exists, and again on a client the
   *  store re-creates; `setup` returns its undo. The result undoes it. */
  withClient(setup: (client: HeraldClient) => Unsubscribe): Unsubscribe {
    const entry: Setup = { run: setup };
    this.setups.add(entry);
    if (this.running && this.client) entry.off = setup(this.client);
    return () => {
      if (!this.setups.delete(entry)) return;
      entry.off?.();
      this.sync();
    };
  }

  /** Keeps the connection open while retained; the returned function releases it. The last
   *  release closes the connection one microtask later unless retained again. */
  retain(): () => void {
    this.refs += 1;
    this.start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.refs === 0) queueMicrotask(() => this.refs === 0 && this.stop());
    };
  }

  private start(): void {
    const options = this.options;
    if (this.running) return;
    if (!options) return this.bind(this.client!);
    const { token, getToken, ...rest } = options;
    if (!getToken && this.token === undefined) return; // waits for setToken
    this.running = true;
    initHerald()
      .then(() => {
        if (!this.running || this.client) return;
        const auth = getToken ? { getToken } : token !== undefined ? { token } : { getToken: () => this.token ?? '' };
        this.bind((this.client = new HeraldClient({ ...rest, ...auth })));
      })
      .catch((error: HeraldError) => {
        // Bad options (invalid_argument), or the wasm module did not load.
        this.running = false;
        const message = `cannot load the Herald wasm module: ${String(error)}`;
        const wrapped = { name: 'HeraldError', code: 'invalid_argument' as const, retryable: false };
        this.update(this.current.detail, error.name === 'HeraldError' ? error : Object.assign(new Error(message), wrapped));
      });
  }

  private bind(client: HeraldClient): void {
    this.running = true;
    for (const entry of this.setups) entry.off ??= entry.run(client);
    client.connect();
    this.sync();
  }

  private stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const entry of this.setups) entry.off = void entry.off?.();
    const client = this.client;
    if (client && this.options) {
      // `close()` takes effect asynchronously: free the client once it is closed.
      this.client = null;
      const off = client.onState((state) => {
        if (state.status !== 'closed') return;
        if (!this.running) this.update(state, this.current.error, NONE);
        queueMicrotask(() => (off(), client.free()));
      });
      client.close();
    }
  }

  // Closures, never unbound wasm-bindgen methods: `this` must stay the client.
  private follow(client: HeraldClient): Unsubscribe {
    const offs = [
      client.onState((state) => this.update(state, state.status === 'connected' ? null : (state.error ?? this.current.error))),
      client.onError((error) => (error.code === 'refused' ? this.sync() : this.update(this.current.detail, error))),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Re-reads the client's state and refusals (each keeps its identity until it changes). */
  private sync(): void {
    if (this.client && this.running) this.update(this.client.state, this.current.error);
  }

  private update(detail: ConnectionStateSnapshot, error: HeraldError | null, refused = this.client?.refusals ?? NONE): void {
    if (detail === this.current.detail && error === this.current.error && refused === this.current.refused) return;
    this.current = snapshot(detail, error, refused);
    this.notify();
  }
}

// HeraldStore: one connection per provider, outside React (the shape of TanStack Query's
// QueryClient). It retains and releases the HeraldClient's connection and keeps the
// connection snapshot; routing, the subscriptions that listeners imply and their reference
// counts live in the client's Rust core. Hooks register through `withClient`, which runs
// their setup on the client once it exists (the wasm module loads asynchronously) and on its
// successor. The last release closes one microtask later, so StrictMode's double mount opens
// one connection.

import { ExternalStore } from './buffer.js';
import {
  HeraldClient,
  initHerald,
  type ConnectionStateSnapshot,
  type ConnectionStatus,
  type HeraldClientOptions,
  type HeraldError,
  type Unsubscribe,
} from './wasm.js';

/** The connection as `useWebSocketConnection` reports it. Stable between changes. */
export interface ConnectionSnapshot {
  /** `state === "connected"`. */
  readonly isConnected: boolean;
  /** The status (`idle` until the client starts). */
  readonly state: ConnectionStatus;
  /** The full state object of the client. */
  readonly detail: ConnectionStateSnapshot;
  /** The last connection error (transport, auth, token, final close) since the last
   *  successful connection; `null` once connected. Refusals are in `refused`. */
  readonly error: HeraldError | null;
  /** Milliseconds until the next attempt while `reconnecting`, else `null`. */
  readonly reconnectIn: number | null;
  /** The refused subscriptions now in force (the client's `refusals`), frozen. */
  readonly refused: readonly HeraldError[];
}

/** Options of a store that creates its own client (the `url` form of the provider). */
export type HeraldStoreOptions = HeraldClientOptions;

const IDLE: ConnectionStateSnapshot = Object.freeze({ status: 'idle' as const });
const NONE: readonly HeraldError[] = Object.freeze([]);

function toSnapshot(detail: ConnectionStateSnapshot, error: HeraldError | null, refused: readonly HeraldError[]): ConnectionSnapshot {
  return Object.freeze({
    isConnected: detail.status === 'connected',
    state: detail.status,
    detail,
    error,
    reconnectIn: detail.status === 'reconnecting' ? (detail.nextInMs ?? null) : null,
    refused,
  });
}

interface Setup {
  run: (client: HeraldClient) => Unsubscribe;
  off: Unsubscribe | null;
}

/** The connection store behind `<HeraldProvider>`; `useHeraldClient()` returns it. */
export class HeraldStore extends ExternalStore<ConnectionSnapshot> {
  /** The wasm client; `null` until the wasm module is loaded and the store started. */
  client: HeraldClient | null = null;
  private readonly options: HeraldStoreOptions | null;
  private token: string | undefined;
  private refs = 0;
  private releaseScheduled = false;
  private running = false;
  private current = toSnapshot(IDLE, null, NONE);
  private readonly setups = new Set<Setup>();

  constructor(source: { client: HeraldClient } | { options: HeraldStoreOptions }) {
    super();
    if ('client' in source) {
      this.client = source.client;
      this.options = null;
    } else {
      this.options = source.options;
      this.token = source.options.token;
    }
    // The store's own listeners (state, errors, refusals) are a setup like any other.
    this.setups.add({ run: (client) => this.follow(client), off: null });
  }

  protected attach(): () => void {
    return () => {};
  }

  getSnapshot(): ConnectionSnapshot {
    return this.current;
  }

  /** Sets the token of a provider given only a `url` (`useWebSocketConnection(token)`): it
   *  starts connecting once it has one, and later tokens serve the next connection or
   *  refresh. */
  setToken(token: string | undefined): void {
    if (token === undefined || token === this.token) return;
    this.token = token;
    if (this.refs > 0 && !this.running) this.start();
  }

  /** Runs `setup(client)` now if the client exists, else once it does, and again on a
   *  client the store re-creates; the returned function undoes it. `setup` returns its
   *  own undo (an `Unsubscribe` of the client). */
  withClient(setup: (client: HeraldClient) => Unsubscribe): Unsubscribe {
    const entry: Setup = { run: setup, off: null };
    this.setups.add(entry);
    if (this.running && this.client) entry.off = setup(this.client);
    return () => {
      if (!this.setups.delete(entry)) return;
      entry.off?.();
      entry.off = null;
      this.sync();
    };
  }

  /** Keeps the connection open while retained; the returned function releases it. The last
   *  release closes the connection one microtask later unless retained again. */
  retain(): () => void {
    this.refs += 1;
    if (!this.running) this.start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.refs -= 1;
      if (this.refs === 0 && !this.releaseScheduled) {
        this.releaseScheduled = true;
        queueMicrotask(() => {
          this.releaseScheduled = false;
          if (this.refs === 0) this.stop();
        });
      }
    };
  }

  private start(): void {
    if (this.running) return;
    const options = this.options;
    if (!options) return this.bind(this.client!);
    if (!options.getToken && this.token === undefined) return; // waits for setToken
    this.running = true;
    initHerald().then(
      () => {
        if (!this.running || this.client) return;
        const { token, getToken, ...rest } = options;
        try {
          // A `token` prop is a fixed token (a refusal closes the client); a token from
          // `useWebSocketConnection(token)` is read again for every connection.
          const auth = getToken ? { getToken } : token !== undefined ? { token } : { getToken: () => this.token ?? '' };
          this.client = new HeraldClient({ ...rest, ...auth });
        } catch (error) {
          this.running = false;
          return this.update(this.current.detail, error as HeraldError);
        }
        this.bind(this.client);
      },
      (error: unknown) => {
        this.running = false;
        this.update(this.current.detail, Object.assign(new Error(`cannot load the Herald wasm module: ${String(error)}`), {
          name: 'HeraldError', code: 'invalid_argument', retryable: false,
        }) as HeraldError);
      },
    );
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
    for (const entry of this.setups) {
      entry.off?.();
      entry.off = null;
    }
    const client = this.client;
    if (client && this.options) {
      this.client = null;
      client.close();
      this.update(client.state, this.current.error, NONE);
      client.free();
    }
  }

  /** Closures, never unbound wasm-bindgen methods: `this` must stay the client. */
  private follow(client: HeraldClient): Unsubscribe {
    const offState = client.onState((state) => this.update(state, state.status === 'connected' ? null : (state.error ?? this.current.error)));
    const offError = client.onError((error) => (error.code === 'refused' ? this.sync() : this.update(this.current.detail, error)));
    return () => {
      offState();
      offError();
    };
  }

  /** Re-reads the client's state and refusals (both keep their identity until they change). */
  private sync(): void {
    if (this.client && this.running) this.update(this.client.state, this.current.error);
  }

  private update(detail: ConnectionStateSnapshot, error: HeraldError | null, refused = this.client?.refusals ?? NONE): void {
    if (detail === this.current.detail && error === this.current.error && refused === this.current.refused) return;
    this.current = toSnapshot(detail, error, refused);
    this.notify();
  }
}

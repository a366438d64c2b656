// HeraldStore: one shared connection per provider, outside React.
//
// It owns (or wraps) one HeraldClient, registers one listener per kind on it, and fans
// events out to the hooks' stores in JavaScript. Category channels are subscribed on demand
// and reference-counted, so `useWebSocketEvent('pipeline_created')` subscribes `pipeline`
// once however many components use it. Connect/close follow the provider's mount with a
// microtask-deferred close, so StrictMode's double mount opens no second connection.

import { ExternalStore } from './buffer.js';
import { EVENT_TYPES, type EventCategory } from './events.generated.js';
import {
  HeraldClient,
  initHerald,
  type ConnectionStateSnapshot,
  type ConnectionStatus,
  type HeraldClientOptions,
  type HeraldDelivery,
  type HeraldError,
  type HeraldResync,
  type HeraldSubscribeOptions,
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
  /** The last error since the last successful connection; `null` once connected. */
  readonly error: HeraldError | null;
  /** Milliseconds until the next attempt while `reconnecting`, else `null`. */
  readonly reconnectIn: number | null;
}

/** Options of a store that creates its own client (the `url` form of the provider). */
export interface HeraldStoreOptions extends Omit<HeraldClientOptions, 'token' | 'getToken'> {
  token?: string;
  getToken?: () => Promise<string> | string;
  /** Channels to subscribe for the provider's lifetime, besides the category channels the
   *  hooks subscribe on demand. */
  channels?: string[];
}

type DeliveryListener = (delivery: HeraldDelivery) => void;

const IDLE: ConnectionStateSnapshot = Object.freeze({ status: 'idle' as const });

function toSnapshot(detail: ConnectionStateSnapshot, error: HeraldError | null): ConnectionSnapshot {
  return Object.freeze({
    isConnected: detail.status === 'connected',
    state: detail.status,
    detail,
    error,
    reconnectIn: detail.status === 'reconnecting' ? (detail.nextInMs ?? null) : null,
  });
}

/** The category channel of a category (`PIPELINE` → `pipeline`). */
export function categoryChannel(category: EventCategory): string {
  return category.toLowerCase();
}

/** The default channel of a catalogue event type; `null` outside the catalogue. */
export function eventTypeChannel(eventType: string): string | null {
  const category = (EVENT_TYPES as Record<string, EventCategory | undefined>)[eventType];
  return category ? categoryChannel(category) : null;
}

function herald(code: 'invalid_argument' | 'token', message: string): HeraldError {
  return Object.assign(new Error(message), { name: 'HeraldError', code, retryable: false }) as HeraldError;
}

interface ChannelSub {
  channel: string;
  options: HeraldSubscribeOptions;
  callback: DeliveryListener;
  off: Unsubscribe | null;
}

/** The connection store behind `<HeraldProvider>`; `useHeraldClient()` returns it. */
export class HeraldStore extends ExternalStore<ConnectionSnapshot> {
  /** The wasm client; `null` until the wasm module is loaded and the store started. */
  client: HeraldClient | null = null;
  private readonly owned: boolean;
  private readonly options: HeraldStoreOptions | null;
  private token: string | undefined;
  private refs = 0;
  private releaseScheduled = false;
  private running = false;
  private current: ConnectionSnapshot = toSnapshot(IDLE, null);
  private offs: Unsubscribe[] = [];
  private readonly byType = new Map<string, Set<DeliveryListener>>();
  private readonly byCategory = new Map<string, Set<DeliveryListener>>();
  private readonly any = new Set<DeliveryListener>();
  private readonly resync = new Set<(resync: HeraldResync) => void>();
  private readonly channelSubs = new Set<ChannelSub>();
  private readonly implicit = new Map<string, { count: number; off: Unsubscribe }>();
  private readyWaiters: ((client: HeraldClient) => void)[] = [];

  constructor(source: { client: HeraldClient } | { options: HeraldStoreOptions }) {
    super();
    if ('client' in source) {
      this.client = source.client;
      this.owned = false;
      this.options = null;
    } else {
      this.owned = true;
      this.options = source.options;
      this.token = source.options.token;
    }
  }

  protected attach(): () => void {
    return () => {};
  }

  getSnapshot(): ConnectionSnapshot {
    return this.current;
  }

  /** Sets the token used for the next connection or refresh (`useWebSocketConnection(token)`).
   *  A provider with only a `url` starts connecting once it has a token. */
  setToken(token: string | undefined): void {
    if (token === undefined || token === this.token) return;
    this.token = token;
    if (this.refs > 0 && !this.running) this.start();
  }

  /** Resolves with the client once it exists. */
  whenReady(): Promise<HeraldClient> {
    if (this.client && this.running) return Promise.resolve(this.client);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
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
    if (!this.owned) {
      this.running = true;
      this.bind(this.client!);
      return;
    }
    const options = this.options!;
    if (!options.getToken && this.token === undefined) return; // waits for setToken
    this.running = true;
    initHerald().then(
      () => {
        if (!this.running || this.client) return;
        const { channels: _channels, token: _token, getToken, ...rest } = options;
        try {
          this.client = new HeraldClient({
            ...rest,
            getToken: getToken ?? (() => Promise.resolve(this.token ?? '')),
          });
        } catch (error) {
          this.running = false;
          this.update(this.current.detail, error as HeraldError);
          return;
        }
        this.bind(this.client);
      },
      (error: unknown) => {
        this.running = false;
        this.update(this.current.detail, herald('invalid_argument', `cannot load the Herald wasm module: ${String(error)}`));
      },
    );
  }

  private bind(client: HeraldClient): void {
    // Closures, never unbound wasm-bindgen methods: `this` must stay the client.
    this.offs.push(
      client.onState((state) => this.update(state, state.status === 'connected' ? null : this.current.error)),
      client.onError((error) => this.update(this.current.detail, error)),
      client.onAnyEvent((delivery) => this.dispatch(delivery)),
      client.onResync((resync) => {
        for (const listener of [...this.resync]) listener(resync);
      }),
    );
    for (const channel of this.options?.channels ?? []) this.offs.push(client.subscribe(channel, {}, () => {}));
    for (const sub of this.channelSubs) sub.off ??= client.subscribe(sub.channel, sub.options, sub.callback);
    this.update(client.state, this.current.error);
    client.connect();
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const resolve of waiters) resolve(client);
  }

  private stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const off of this.offs.splice(0)) off();
    for (const sub of this.channelSubs) {
      sub.off?.();
      sub.off = null;
    }
    const client = this.client;
    if (client && this.owned) {
      this.client = null;
      client.close();
      this.update(client.state, this.current.error);
      client.free();
    }
  }

  private update(detail: ConnectionStateSnapshot, error: HeraldError | null): void {
    if (detail === this.current.detail && error === this.current.error) return;
    this.current = toSnapshot(detail, error);
    this.notify();
  }

  private dispatch(delivery: HeraldDelivery): void {
    const { event_type, category } = delivery.event;
    const listeners = [
      ...(this.byType.get(event_type) ?? []),
      ...(this.byCategory.get(category) ?? []),
      ...this.any,
    ];
    for (const listener of listeners) listener(delivery);
  }

  private static add<K>(map: Map<K, Set<DeliveryListener>>, key: K, listener: DeliveryListener): () => void {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) map.delete(key);
    };
  }

  /** Subscribes `channel` (reference-counted, no callback) so its events reach the
   *  type/category listeners. */
  private ensureChannel(channel: string | null): () => void {
    if (channel === null) return () => {};
    let entry = this.implicit.get(channel);
    if (entry) entry.count += 1;
    else {
      const sub = this.subscribeChannel(channel, {}, () => {});
      entry = { count: 1, off: sub };
      this.implicit.set(channel, entry);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const current = this.implicit.get(channel);
      if (current && --current.count === 0) {
        this.implicit.delete(channel);
        current.off();
      }
    };
  }

  /** Listens to the first delivery of every event of `eventType` (subscribes its category
   *  channel while listened to). */
  onEvent(eventType: string, listener: DeliveryListener): () => void {
    const off = HeraldStore.add(this.byType, eventType, listener);
    const release = this.ensureChannel(eventTypeChannel(eventType));
    return () => {
      off();
      release();
    };
  }

  /** Listens to every event of `category` (subscribes its channel while listened to). */
  onCategory(category: EventCategory, listener: DeliveryListener): () => void {
    const off = HeraldStore.add(this.byCategory, category, listener);
    const release = this.ensureChannel(categoryChannel(category));
    return () => {
      off();
      release();
    };
  }

  /** Listens to every event (subscribes all six category channels while listened to). */
  onAnyEvent(listener: DeliveryListener): () => void {
    this.any.add(listener);
    const releases = (['PIPELINE', 'SECURITY', 'DEBUG', 'SYSTEM', 'ARCHITECTURE', 'USER'] as const).map((c) =>
      this.ensureChannel(categoryChannel(c)),
    );
    return () => {
      this.any.delete(listener);
      for (const release of releases) release();
    };
  }

  /** Listens to resync notices. */
  onResync(listener: (resync: HeraldResync) => void): () => void {
    this.resync.add(listener);
    return () => void this.resync.delete(listener);
  }

  /** Subscribes `channel` for as long as the returned function is not called; survives the
   *  client's (re)creation. Throws `invalid_argument` for an invalid channel once bound. */
  subscribeChannel(channel: string, options: HeraldSubscribeOptions, callback: DeliveryListener): () => void {
    const sub: ChannelSub = { channel, options, callback, off: null };
    this.channelSubs.add(sub);
    if (this.running && this.client) sub.off = this.client.subscribe(channel, options, callback);
    return () => {
      this.channelSubs.delete(sub);
      sub.off?.();
      sub.off = null;
    };
  }
}

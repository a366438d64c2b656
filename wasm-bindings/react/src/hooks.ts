import { useEffect, useInsertionEffect, useMemo, useRef, useSyncExternalStore } from 'react';

import { BufferStore, LatestStore, type EventsSnapshot } from './buffer.js';
import type { CatalogueEvent, EventCategory, EventOfCategory, EventOfType, EventType } from './events.generated.js';
import { useHeraldClient } from './provider.js';
import type {
  ConnectionStateSnapshot,
  ConnectionStatus,
  HeraldClient,
  HeraldDelivery,
  HeraldError,
  HeraldResync,
  Unsubscribe,
} from './wasm.js';

/** The connection as `useWebSocketConnection` reports it. Stable between changes. */
export interface ConnectionSnapshot {
  /** `state === "connected"`. */
  readonly isConnected: boolean;
  /** The status (`idle` until the client starts). */
  readonly state: ConnectionStatus;
  /** The client's full state object (`attempt`, `nextInMs`, `code`, `reason`, `error`). */
  readonly detail: ConnectionStateSnapshot;
  /** The last connection error (transport, auth, token, final close) since the last
   *  successful connection; `null` once connected. Refused subscriptions are in `refused`. */
  readonly error: HeraldError | null;
  /** Milliseconds until the next attempt while `reconnecting`, else `null`. */
  readonly reconnectIn: number | null;
  /** The refused subscriptions now in force (the client's `refusals`), frozen. */
  readonly refused: readonly HeraldError[];
}

/** What `useWebSocketEvent` returns: the latest event of its type. */
export interface LatestEvent<E extends { data: unknown }> {
  /** The latest event's `data`; `null` before the first. */
  readonly data: E['data'] | null;
  /** The latest event; `null` before the first. */
  readonly event: E | null;
  /** Why the subscription the hook implies was refused (`forbidden`, …); `null` when it was not. */
  readonly error: HeraldError | null;
}

/** A hook's optional handler: called once per event, with the delivery (`replayed`, offset). */
export type EventHandler<E> = (event: E, delivery: HeraldDelivery<E>) => void;

/** Options of the buffer hooks. */
export interface LimitOptions {
  /** How many events to keep (the newest). Default 100. */
  limit?: number;
}

/** Options of `useChannel`. */
export interface ChannelOptions extends LimitOptions {
  /** Subject prefix; `""` (default) for the whole channel. */
  subject?: string;
  /** Replay the last `history` events first. */
  history?: number;
}

/** What `useChannel` returns. */
export interface ChannelSnapshot<E> extends EventsSnapshot<E> {
  /** The offset of the newest event, `null` before the first. */
  readonly offset: number | null;
}

const DEFAULT_LIMIT = 100;
const NO_EVENT = Object.freeze({ data: null, event: null, error: null });

function latestOf<E extends { data: unknown }>(event: E, error: HeraldError | null): LatestEvent<E> {
  return Object.freeze({ data: event.data, event, error });
}

function useStore<S>(store: { subscribe: (l: () => void) => () => void; snapshot: () => S }): S {
  return useSyncExternalStore(store.subscribe, store.snapshot, store.snapshot);
}

/** A ref to the latest `value`, updated before any effect or event sees it. */
function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useInsertionEffect(() => {
    ref.current = value;
  });
  return ref;
}

type Listen<E> = (client: HeraldClient, push: (d: HeraldDelivery<E>) => void, fail: (e: HeraldError) => void) => Unsubscribe;

/** A buffer of the deliveries `listen` gets from the client; `handler` sees each of them. */
function useBuffer<E>(limit: number, handler: EventHandler<E> | null | undefined, key: unknown, listen: Listen<E>, Store = BufferStore<E>): EventsSnapshot<E> {
  const store = useHeraldClient();
  const latest = useLatest(handler);
  const buffer = useMemo(
    () =>
      new Store(limit, (push, fail) =>
        store.withClient((client) => {
          try {
            return listen(client, (d) => (push(d), latest.current?.(d.event, d)), fail);
          } catch (error) {
            fail(error as HeraldError); // invalid_argument: a bad channel or subject
            return () => {};
          }
        }),
      ),
    // `listen` is derived from `key`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [store, limit, key, latest, Store],
  );
  return useStore(buffer);
}

/**
 * The connection: `{ isConnected, state, error, reconnectIn, refused, detail }`. With
 * `token`, hands a provider given only a `url` its token (it connects once it has one).
 */
export function useWebSocketConnection(token?: string): ConnectionSnapshot {
  const store = useHeraldClient();
  useEffect(() => store.setToken(token), [store, token]);
  return useStore(store);
}

/**
 * The latest event of `eventType`: `{ data, event, error }`, `null` before the first.
 * Subscribes what the type implies (its category's channel; `user/<your id>` for USER
 * types). `handler(event, delivery)` runs once per event; the latest one is used.
 */
export function useWebSocketEvent<T extends EventType>(eventType: T, handler?: EventHandler<EventOfType<T>>): LatestEvent<EventOfType<T>> {
  const store = useHeraldClient();
  const latest = useLatest(handler);
  const events = useMemo(
    () =>
      new LatestStore<LatestEvent<EventOfType<T>>>(NO_EVENT, (update) =>
        store.withClient((client) =>
          client.onEvent(
            eventType,
            (delivery) => {
              const d = delivery as unknown as HeraldDelivery<EventOfType<T>>;
              update((current) => latestOf(d.event, current.error));
              latest.current?.(d.event, d);
            },
            { onError: (error) => update((current) => Object.freeze({ ...current, error })) },
          ),
        ),
      ),
    [store, eventType, latest],
  );
  return useStore(events);
}

/**
 * The last `limit` events of `category` (default 100), oldest first: `{ events, error }`.
 * Subscribes what the category implies (`user/<your id>` for USER, else its channel).
 */
export function useWebSocketCategory<C extends EventCategory>(category: C, options?: LimitOptions): EventsSnapshot<EventOfCategory<C>>;
export function useWebSocketCategory<C extends EventCategory>(
  category: C,
  handler?: EventHandler<EventOfCategory<C>> | null,
  options?: LimitOptions,
): EventsSnapshot<EventOfCategory<C>>;
export function useWebSocketCategory<C extends EventCategory>(
  category: C,
  handlerOrOptions?: EventHandler<EventOfCategory<C>> | LimitOptions | null,
  options?: LimitOptions,
): EventsSnapshot<EventOfCategory<C>> {
  const handler = typeof handlerOrOptions === 'function' ? handlerOrOptions : null;
  const { limit = DEFAULT_LIMIT } = (typeof handlerOrOptions === 'function' ? options : (handlerOrOptions ?? options)) ?? {};
  return useBuffer<EventOfCategory<C>>(limit, handler, category, (client, push, fail) =>
    client.onCategory(category, (d) => push(d as unknown as HeraldDelivery<EventOfCategory<C>>), { onError: fail }),
  );
}

/** The last `limit` events of every category (default 100), oldest first: `{ events, error }`.
 *  With `handler`, also calls it for every event (the latest `handler` is used). */
export function useWebSocketEvents(options?: LimitOptions): EventsSnapshot<CatalogueEvent>;
export function useWebSocketEvents(
  handler?: EventHandler<CatalogueEvent> | null,
  options?: LimitOptions,
): EventsSnapshot<CatalogueEvent>;
export function useWebSocketEvents(
  handlerOrOptions?: EventHandler<CatalogueEvent> | LimitOptions | null,
  options?: LimitOptions,
): EventsSnapshot<CatalogueEvent> {
  const handler = typeof handlerOrOptions === 'function' ? handlerOrOptions : null;
  const { limit = DEFAULT_LIMIT } = (typeof handlerOrOptions === 'function' ? options : (handlerOrOptions ?? options)) ?? {};
  return useBuffer<CatalogueEvent>(limit, handler, 'all', (client, push, fail) =>
    client.onAnyEvent((d) => push(d as unknown as HeraldDelivery<CatalogueEvent>), { onError: fail }),
  );
}

class ChannelStore extends BufferStore<CatalogueEvent> {
  protected override build(deliveries: readonly HeraldDelivery<CatalogueEvent>[], error: HeraldError | null): ChannelSnapshot<CatalogueEvent> {
    return Object.freeze({ ...super.build(deliveries, error), offset: deliveries.at(-1)?.offset ?? null });
  }
}

/**
 * Subscribes `channel` (subject prefix `subject`, replaying `history` events first) while
 * mounted: `{ events, offset, error }`, the last `limit` events (default 100), oldest first.
 */
export function useChannel(channel: string, options: ChannelOptions = {}): ChannelSnapshot<CatalogueEvent> {
  const { subject = '', history, limit = DEFAULT_LIMIT } = options;
  const snapshot = useBuffer<CatalogueEvent>(
    limit,
    null,
    `${channel}\u0000${subject}\u0000${history}`,
    (client, push, fail) =>
      client.subscribe(channel, { subject, ...(history === undefined ? {} : { history }), onError: fail }, (d) =>
        push(d as unknown as HeraldDelivery<CatalogueEvent>),
      ),
    ChannelStore,
  );
  return snapshot as ChannelSnapshot<CatalogueEvent>;
}

/** Calls `callback({ channel, subject })` when events of a subscription may have been missed
 *  (the client reloads its history itself when `resyncHistory` is on). The latest `callback`
 *  is used; no resubscription. */
export function useResync(callback: (resync: HeraldResync) => void): void {
  const store = useHeraldClient();
  const latest = useLatest(callback);
  useEffect(() => store.withClient((client) => client.onResync((resync) => latest.current(resync))), [store, latest]);
}

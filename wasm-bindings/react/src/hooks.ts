import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';

import { BufferStore, LatestStore, type EventsSnapshot } from './buffer.js';
import type { CatalogueEvent, EventCategory, EventOfCategory, EventOfType, EventType } from './events.generated.js';
import { useHeraldClient } from './provider.js';
import type { ConnectionSnapshot } from './store.js';
import type { HeraldDelivery, HeraldEnvelope, HeraldResync } from './wasm.js';

/** The event type of an `event_type`: the catalogue event, or a plain envelope. */
export type EventFor<T extends string> = T extends EventType ? EventOfType<T> : HeraldEnvelope;

/** What `useWebSocketEvent` returns: the latest event of its type. */
export interface LatestEvent<E extends { data: unknown }> {
  /** The latest event's `data`; `null` before the first. */
  readonly data: E['data'] | null;
  /** The latest event; `null` before the first. */
  readonly event: E | null;
}

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

function useStore<S>(store: { subscribe: (l: () => void) => () => void; snapshot: () => S }): S {
  return useSyncExternalStore(store.subscribe, store.snapshot, store.snapshot);
}

/**
 * The connection: `{ isConnected, state, error, reconnectIn }` (plus `detail`, the full
 * state object). With `token`, hands the provider that token (used for the next connection
 * or refresh; a provider given only a `url` starts connecting once it has one).
 */
export function useWebSocketConnection(token?: string): ConnectionSnapshot {
  const store = useHeraldClient();
  useEffect(() => store.setToken(token), [store, token]);
  return useStore(store);
}

/** The latest event of `eventType`: `{ data, event }`, both `null` before the first. */
export function useWebSocketEvent<T extends EventType | (string & {})>(eventType: T): LatestEvent<EventFor<T>> {
  const store = useHeraldClient();
  const latest = useMemo(
    () =>
      new LatestStore<LatestEvent<EventFor<T>>>({ data: null, event: null }, (set) =>
        store.onEvent(eventType, (delivery) => {
          const event = delivery.event as unknown as EventFor<T>;
          set({ data: event.data as EventFor<T>['data'], event });
        }),
      ),
    [store, eventType],
  );
  return useStore(latest);
}

/** The last `limit` events of `category` (default 100), oldest first. */
export function useWebSocketCategory<C extends EventCategory>(
  category: C,
  options: LimitOptions = {},
): EventsSnapshot<EventOfCategory<C>> {
  const store = useHeraldClient();
  const limit = options.limit ?? DEFAULT_LIMIT;
  const buffer = useMemo(
    () =>
      new BufferStore<EventOfCategory<C>>(limit, (push) =>
        store.onCategory(category, (delivery) => push(delivery.event as unknown as EventOfCategory<C>)),
      ),
    [store, category, limit],
  );
  return useStore(buffer);
}

/** The last `limit` events of every category channel (default 100), oldest first. */
export function useWebSocketEvents(options: LimitOptions = {}): EventsSnapshot<CatalogueEvent> {
  const store = useHeraldClient();
  const limit = options.limit ?? DEFAULT_LIMIT;
  const buffer = useMemo(
    () =>
      new BufferStore<CatalogueEvent>(limit, (push) =>
        store.onAnyEvent((delivery) => push(delivery.event as unknown as CatalogueEvent)),
      ),
    [store, limit],
  );
  return useStore(buffer);
}

class ChannelStore extends BufferStore<HeraldDelivery<CatalogueEvent>> {
  private view: ChannelSnapshot<CatalogueEvent> | null = null;
  private seen: EventsSnapshot<HeraldDelivery<CatalogueEvent>> | null = null;

  override getSnapshot(): EventsSnapshot<HeraldDelivery<CatalogueEvent>> {
    return super.getSnapshot();
  }

  readonly channelSnapshot = (): ChannelSnapshot<CatalogueEvent> => {
    const deliveries = this.getSnapshot();
    if (deliveries !== this.seen || !this.view) {
      this.seen = deliveries;
      const last = deliveries.events[deliveries.events.length - 1];
      this.view = Object.freeze({
        events: Object.freeze(deliveries.events.map((d) => d.event)),
        offset: last ? last.offset : null,
      });
    }
    return this.view;
  };
}

/**
 * Subscribes `channel` (subject prefix `subject`, replaying `history` events first) while
 * mounted: `{ events, offset }`, the last `limit` events (default 100), oldest first.
 */
export function useChannel(channel: string, options: ChannelOptions = {}): ChannelSnapshot<CatalogueEvent> {
  const store = useHeraldClient();
  const { subject = '', history, limit = DEFAULT_LIMIT } = options;
  const buffer = useMemo(
    () =>
      new ChannelStore(limit, (push) =>
        store.subscribeChannel(channel, history === undefined ? { subject } : { subject, history }, (delivery) =>
          push(delivery as unknown as HeraldDelivery<CatalogueEvent>),
        ),
      ),
    [store, channel, subject, history, limit],
  );
  return useSyncExternalStore(buffer.subscribe, buffer.channelSnapshot, buffer.channelSnapshot);
}

/** Calls `callback({ channel, subject })` when recovery fails for a subscription (events
 *  may have been missed: reload). The latest `callback` is used; no resubscription. */
export function useResync(callback: (resync: HeraldResync) => void): void {
  const store = useHeraldClient();
  const latest = useRef(callback);
  useEffect(() => {
    latest.current = callback;
  });
  useEffect(() => store.onResync((resync) => latest.current(resync)), [store]);
}

// Stores that live outside React, read with useSyncExternalStore.
//
// - Every store hands React the same snapshot object until something changes, so renders
//   never loop and consumers re-render only for new data.
// - A burst of events between two renders loses none: deliveries are appended to a plain
//   array and the snapshot (the last `limit` of them) is built lazily by getSnapshot.
// - Detaching from the source is deferred by a microtask, so StrictMode's
//   unsubscribe/resubscribe does not drop and re-create a hub subscription.

import type { HeraldDelivery, HeraldError } from './wasm.js';

type Listener = () => void;

/** Runs `attach` while the store has listeners; the result detaches. */
export abstract class ExternalStore<S> {
  private listeners = new Set<Listener>();
  private detach: (() => void) | null = null;
  private detachScheduled = false;

  /** Connects the store to its source while it has listeners; returns the detach. */
  protected attach(): () => void {
    return () => {};
  }
  abstract getSnapshot(): S;

  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    if (!this.detach) this.detach = this.attach();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && !this.detachScheduled) {
        this.detachScheduled = true;
        queueMicrotask(() => {
          this.detachScheduled = false;
          if (this.listeners.size === 0 && this.detach) {
            const detach = this.detach;
            this.detach = null;
            detach();
          }
        });
      }
    };
  };

  readonly snapshot = (): S => this.getSnapshot();

  protected notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** The events snapshot of the buffer hooks. */
export interface EventsSnapshot<E> {
  /** Oldest first; at most `limit` (the newest are kept). Frozen. */
  readonly events: readonly E[];
  /** Why (part of) the subscription behind the hook was refused; `null` when nothing was. */
  readonly error: HeraldError | null;
}

/** Feeds a store: calls `push` per delivery and `fail` per refusal; returns the detach. */
export type Source<D> = (push: (delivery: D) => void, fail: (error: HeraldError) => void) => () => void;

/** A rolling buffer of the last `limit` deliveries; its snapshot holds their events. */
export class BufferStore<E> extends ExternalStore<EventsSnapshot<E>> {
  private items: HeraldDelivery<E>[] = [];
  private error: HeraldError | null = null;
  private current: EventsSnapshot<E> = Object.freeze({ events: Object.freeze([]) as readonly E[], error: null });
  private dirty = false;

  constructor(
    private readonly limit: number,
    private readonly source: Source<HeraldDelivery<E>>,
  ) {
    super();
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  protected attach(): () => void {
    return this.source(this.push, this.fail);
  }

  private readonly push = (delivery: HeraldDelivery<E>): void => {
    this.items.push(delivery);
    // Trim in amortised O(1): only when twice the limit.
    if (this.items.length >= this.limit * 2) this.items = this.items.slice(-this.limit);
    this.changed();
  };

  private readonly fail = (error: HeraldError): void => {
    this.error = error;
    this.changed();
  };

  private changed(): void {
    this.dirty = true;
    this.notify();
  }

  /** The snapshot of `deliveries` (the newest `limit`, oldest first). */
  protected build(deliveries: readonly HeraldDelivery<E>[], error: HeraldError | null): EventsSnapshot<E> {
    return Object.freeze({ events: Object.freeze(deliveries.map((d) => d.event)), error });
  }

  getSnapshot(): EventsSnapshot<E> {
    if (this.dirty) {
      this.dirty = false;
      if (this.items.length > this.limit) this.items = this.items.slice(-this.limit);
      this.current = this.build(this.items, this.error);
    }
    return this.current;
  }
}

/** The latest value only. */
export class LatestStore<S> extends ExternalStore<S> {
  constructor(
    private current: S,
    private readonly source: (update: (next: (current: S) => S) => void) => () => void,
  ) {
    super();
  }

  protected attach(): () => void {
    return this.source(this.update);
  }

  private readonly update = (next: (current: S) => S): void => {
    const value = next(this.current);
    if (Object.is(value, this.current)) return;
    this.current = value;
    this.notify();
  };

  getSnapshot(): S {
    return this.current;
  }
}

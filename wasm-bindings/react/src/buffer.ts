// Stores that live outside React, read with useSyncExternalStore.
//
// - Every store hands React the same snapshot object until something changes, so renders
//   never loop and consumers re-render only for new data.
// - A burst of events between two renders loses none: events are appended to a plain array
//   and the snapshot (the last `limit` of them) is built lazily by getSnapshot.
// - Detaching from the source is deferred by a microtask, so StrictMode's
//   unsubscribe/resubscribe does not drop and re-create a hub subscription.

type Listener = () => void;

/** Runs `attach` while the store has listeners; the result detaches. */
export abstract class ExternalStore<S> {
  private listeners = new Set<Listener>();
  private detach: (() => void) | null = null;
  private detachScheduled = false;

  protected abstract attach(): () => void;
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
}

/** A rolling buffer of the last `limit` items. */
export class BufferStore<E> extends ExternalStore<EventsSnapshot<E>> {
  private items: E[] = [];
  private current: EventsSnapshot<E> = { events: Object.freeze([]) as readonly E[] };
  private dirty = false;

  constructor(
    private readonly limit: number,
    private readonly source: (push: (item: E) => void) => () => void,
  ) {
    super();
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  protected attach(): () => void {
    return this.source(this.push);
  }

  readonly push = (item: E): void => {
    this.items.push(item);
    // Trim in amortised O(1): only when twice the limit.
    if (this.items.length >= this.limit * 2) this.items = this.items.slice(-this.limit);
    this.dirty = true;
    this.notify();
  };

  getSnapshot(): EventsSnapshot<E> {
    if (this.dirty) {
      this.dirty = false;
      if (this.items.length > this.limit) this.items = this.items.slice(-this.limit);
      this.current = { events: Object.freeze(this.items.slice()) };
    }
    return this.current;
  }
}

/** The latest item only. */
export class LatestStore<S> extends ExternalStore<S> {
  constructor(
    private current: S,
    private readonly source: (set: (value: S) => void) => () => void,
  ) {
    super();
  }

  protected attach(): () => void {
    return this.source(this.set);
  }

  readonly set = (value: S): void => {
    if (Object.is(value, this.current)) return;
    this.current = value;
    this.notify();
  };

  getSnapshot(): S {
    return this.current;
  }
}

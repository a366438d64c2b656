// The dashboard store: holds `DashboardState`, runs the reducer on batches of events, and
// connects it to Herald through the provider's connection store (`useHeraldClient()`):
//   - one subscription per category channel the dashboard shows, replaying the last
//     `history` events so a freshly opened page is not empty;
//   - the SDK resumes each subscription with `since` after a reconnect (no gaps, no
//     duplicates); when the hub cannot (`recovered: false`, e.g. it restarted and lost its
//     in-memory history) the SDK signals a Resync, and the store reloads that channel from
//     the hub's history endpoint and merges it (the reducer deduplicates by event id).
import type { CatalogueEvent, HeraldDelivery, HeraldResync, HeraldStore } from '@herald/client';

import { initialState, reduce, type Action, type DashboardState } from './dashboard';

export const CHANNELS = ['pipeline', 'security', 'debug', 'system'] as const;

/** How the store reads history after a Resync (the hub's history endpoint). */
export type HistoryLoader = (channel: string) => Promise<CatalogueEvent[]>;

type Listener = () => void;

export class DashboardStore {
  private state: DashboardState;
  private listeners = new Set<Listener>();
  private pending: CatalogueEvent[] = [];
  private pendingHistory: CatalogueEvent[] = [];
  /** Events stamped before this (ms) are the subscribe's history replay, not live. */
  private liveSince = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly loadHistory: HistoryLoader | null = null,
    private readonly now: () => number = Date.now,
    /** Milliseconds events are batched for before one reducer run and render. */
    private readonly batchMs = 25,
    state: DashboardState = initialState(),
  ) {
    this.state = state;
  }

  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  readonly getState = (): DashboardState => this.state;

  dispatch(action: Action): void {
    if (action.type === 'events' && action.source === 'live') {
      this.flush();
    }
    const next = reduce(this.state, action);
    if (next !== this.state) {
      this.state = next;
      for (const l of [...this.listeners]) l();
    }
  }

  /** Queues a live event; a burst is applied in one reducer run. */
  readonly push = (event: CatalogueEvent): void => {
    const ts = Date.parse(event?.timestamp);
    (ts < this.liveSince ? this.pendingHistory : this.pending).push(event);
    this.timer ??= setTimeout(() => this.flush(), this.batchMs);
  };

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0 && this.pendingHistory.length === 0) return;
    const history = this.pendingHistory;
    const events = this.pending;
    this.pending = [];
    this.pendingHistory = [];
    const now = this.now();
    let next = reduce(this.state, { type: 'events', events: history, source: 'history', now });
    next = reduce(next, { type: 'events', events, source: 'live', now });
    if (next !== this.state) {
      this.state = next;
      for (const l of [...this.listeners]) l();
    }
  }

  /** Reloads `channel` from history after a Resync. */
  async resync(resync: HeraldResync): Promise<void> {
    if (!this.loadHistory) return;
    try {
      const events = await this.loadHistory(resync.channel);
      this.flush();
      this.dispatch({ type: 'resync', channel: resync.channel, events, now: this.now() });
    } catch (error) {
      console.warn(`dashboard: reloading ${resync.channel} after a resync failed`, error);
    }
  }

  /** Subscribes the dashboard's channels on `herald` and follows Resyncs. Returns the detach. */
  attach(herald: HeraldStore, history = 200): () => void {
    // Allow 1 s of clock skew between publishers and this page.
    this.liveSince = this.now() - 1000;
    const offs = CHANNELS.map((channel) =>
      herald.subscribeChannel(channel, { history }, (delivery: HeraldDelivery) =>
        this.push(delivery.event as unknown as CatalogueEvent),
      ),
    );
    offs.push(herald.onResync((r) => void this.resync(r)));
    return () => {
      for (const off of offs) off();
      this.flush();
    };
  }
}

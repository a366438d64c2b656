import { useResync, useWebSocketEvents, type HeraldResync } from '@herald/client';
import { useEffect, useRef, useState } from 'react';

import { time } from '../state/pipelines';
import { MetricCard } from './MetricCard';
import { clock } from './format';

/** Events listed under the cards. */
const RECENT = 6;
/** Latency samples kept. */
const SAMPLES = 200;

interface Counters {
  total: number;
  replayed: number;
  /** Live deliveries: receive time − event timestamp (ms). */
  latencies: number[];
}

interface Snapshot extends Counters {
  perSecond: number;
}

function pct(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** What this page received: events (live and replayed), rate, delivery latency, resyncs.
 *  Counts in a ref on every delivery and renders once a second. */
export function DeliveryStats() {
  const counters = useRef<Counters>({ total: 0, replayed: 0, latencies: [] });
  useWebSocketEvents((event, delivery) => {
    const c = counters.current;
    c.total += 1;
    if (delivery.replayed) c.replayed += 1;
    else {
      const latency = Date.now() - time(event.timestamp, Date.now());
      if (latency >= 0 && latency < 60_000) c.latencies = [...c.latencies.slice(-(SAMPLES - 1)), latency];
    }
  });
  // The last few events of any category, as they arrive.
  const { events: recent } = useWebSocketEvents({ limit: RECENT });
  const [resyncs, setResyncs] = useState<{ count: number; last: (HeraldResync & { at: number }) | null }>({ count: 0, last: null });
  useResync((r) => setResyncs((s) => ({ count: s.count + 1, last: { ...r, at: Date.now() } })));

  const [snap, setSnap] = useState<Snapshot>({ total: 0, replayed: 0, latencies: [], perSecond: 0 });
  useEffect(() => {
    const window: { at: number; total: number }[] = [];
    const timer = setInterval(() => {
      const now = Date.now();
      const c = counters.current;
      window.push({ at: now, total: c.total });
      while (window.length > 1 && now - window[0]!.at > 5000) window.shift();
      const first = window[0]!;
      const perSecond = now > first.at ? ((c.total - first.total) * 1000) / (now - first.at) : 0;
      setSnap({ total: c.total, replayed: c.replayed, latencies: c.latencies, perSecond });
    }, 1000);
    return () => clearInterval(timer);
  }, []);

  const p50 = pct(snap.latencies, 50);
  const p95 = pct(snap.latencies, 95);
  return (
    <section className="card" data-testid="delivery-widget">
      <header>
        <h2>This dashboard</h2>
        <span className="muted">deliveries from the hub</span>
      </header>
      <div className="metrics compact">
        <MetricCard metric="events-total" label="Events received" value={String(snap.total)} />
        <MetricCard metric="events-replayed" label="Replayed" value={String(snap.replayed)} />
        <MetricCard metric="events-rate" label="Events / s (5 s)" value={`${Math.round(snap.perSecond * 10) / 10}`} />
        <MetricCard metric="latency" label="Latency p50 / p95" value={p50 === null ? '—' : `${p50} / ${p95} ms`} hint="live events" />
        <MetricCard
          metric="resyncs"
          label="Resyncs"
          value={String(resyncs.count)}
          hint={resyncs.last ? `${resyncs.last.channel}${resyncs.last.subject ? `/${resyncs.last.subject}` : ''} at ${clock(resyncs.last.at)}` : 'none'}
        />
      </div>
      <ul className="list recent" data-testid="recent-events">
        {[...recent].reverse().map((e) => (
          <li key={e.id} data-testid="recent-event" data-key={e.id} data-type={e.event_type}>
            <span className={`cat cat-${e.category.toLowerCase()}`}>{e.category.toLowerCase()}</span>
            <span className="grow mono">{e.event_type}</span>
            <span className="muted mono">{e.subject}</span>
            <span className="muted">{clock(time(e.timestamp))}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

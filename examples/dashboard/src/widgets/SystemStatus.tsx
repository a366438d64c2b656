import { useWebSocketConnection } from '@herald/client';
import { useEffect, useRef, useState } from 'react';

import { percentile } from '../state/dashboard';
import { useDashboard } from '../state/react';
import { clock, statusClass } from './format';

function Card({ metric, label, value, hint }: { metric: string; label: string; value: string; hint?: string }) {
  return (
    <div className="metric" data-testid="metric-card" data-metric={metric} data-value={value}>
      <div className="metric-label">{label}</div>
      <div className="metric-value">{value}</div>
      {hint ? <div className="muted small">{hint}</div> : null}
    </div>
  );
}

const fmt = (n: number | undefined | null, unit = ''): string => (n === undefined || n === null ? '—' : `${Math.round(n * 10) / 10}${unit}`);

/** System status (from `system_status_update`), metrics (from `system_metrics_update`) and
 *  the dashboard's own delivery metrics. */
export function SystemStatus() {
  const { system, stats } = useDashboard();
  const { state } = useWebSocketConnection();
  // Events per second over the last 5 s, sampled once a second.
  const samples = useRef<{ at: number; total: number }[]>([]);
  const [rate, setRate] = useState(0);
  const total = useRef(stats.total);
  total.current = stats.total;
  useEffect(() => {
    const timer = setInterval(() => {
      const now = Date.now();
      samples.current = [...samples.current.filter((s) => now - s.at <= 5000), { at: now, total: total.current }];
      const first = samples.current[0]!;
      setRate(now > first.at ? ((total.current - first.total) * 1000) / (now - first.at) : 0);
    }, 1000);
    return () => clearInterval(timer);
  }, []);

  const m = system.metrics;
  const p50 = percentile(stats.latencies, 50);
  const p95 = percentile(stats.latencies, 95);
  const health = system.status?.status ?? (state === 'connected' ? 'unknown' : 'unknown');
  return (
    <section className="card wide" data-testid="system-widget">
      <header>
        <h2>System</h2>
        <span className={statusClass(health)} data-testid="system-status" data-status={health}>
          {health}
        </span>
        {system.status?.message ? <span className="muted">{system.status.message}</span> : null}
      </header>
      {system.status?.components?.length ? (
        <div className="components">
          {system.status.components.map((c) => (
            <span key={c.name} className={statusClass(c.status)} title={c.message ?? ''}>
              {c.name}
            </span>
          ))}
        </div>
      ) : null}
      <div className="metrics">
        <Card metric="cpu" label="CPU" value={fmt(m?.cpuPercent, '%')} />
        <Card metric="memory" label="Memory" value={fmt(m?.memoryPercent, '%')} />
        <Card metric="running" label="Running executions" value={fmt(m?.runningExecutions)} />
        <Card metric="queued" label="Queued jobs" value={fmt(m?.queuedJobs)} />
        <Card metric="events-total" label="Events received" value={String(stats.total)} hint={`${stats.byPriority.HIGH ?? 0} high priority`} />
        <Card metric="events-rate" label="Events / s (5 s)" value={fmt(rate)} />
        <Card metric="latency" label="Delivery latency p50 / p95" value={p50 === null ? '—' : `${p50} / ${p95} ms`} hint="event timestamp → browser" />
        <Card
          metric="resyncs"
          label="Resyncs (reloaded from history)"
          value={String(stats.resyncs)}
          hint={stats.lastResync ? `${stats.lastResync.channel} at ${clock(stats.lastResync.at)}` : 'none'}
        />
      </div>
      {system.alerts.length > 0 ? (
        <ul className="list">
          {system.alerts.slice(0, 5).map((a) => (
            <li key={a.id} data-testid="system-alert" data-key={a.id} className={`alert sev-border-${a.severity}${a.priority === 'HIGH' ? ' highlight' : ''}`}>
              <span className={`sev sev-${a.severity}`}>{a.severity}</span>
              <span className="grow">{a.title}</span>
              <span className="muted">{a.component ?? ''}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

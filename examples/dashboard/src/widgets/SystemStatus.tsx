import { useChannel, useWebSocketEvent, type SystemAlertEvent, type SystemStatusUpdateEvent } from '@herald/client';
import { useMemo } from 'react';

import { time } from '../state/pipelines';
import { clock, duration, statusClass } from './format';
import { HookError } from './HookError';
import { MetricCard } from './MetricCard';


const fmt = (n: number | undefined | null, unit = ''): string => (n === undefined || n === null ? '—' : `${Math.round(n * 10) / 10}${unit}`);
/** A numeric field outside the catalogue (kept in the event, e.g. `hubSubscriptions`). */
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const isStatus = (e: { event_type: string }): e is SystemStatusUpdateEvent => e.event_type === 'system_status_update';

/** The latest `system_alert` per alert id, newest first. */
function latestAlerts(events: readonly { event_type: string }[]): SystemAlertEvent[] {
  const byId = new Map<string, SystemAlertEvent>();
  for (const e of events as SystemAlertEvent[]) if (e.event_type === 'system_alert') byId.set(e.data.alertId, e);
  return [...byId.values()].filter((a) => !a.data.alert.resolved).sort((a, b) => time(b.timestamp) - time(a.timestamp));
}

/**
 * System health, metrics and open alerts:
 * - the status (`system_status_update`, subject `status`) is published when it changes, so
 *   the latest one comes from history first: `useChannel` with `history: 1`;
 * - metrics (`system_metrics_update`) arrive every few seconds: `useWebSocketEvent`;
 * - alerts (`system_alert`, subject `alerts/…`): the last 20 from history, then live.
 */
export function SystemStatus() {
  const { events: statusEvents, error: statusError } = useChannel('system', { subject: 'status', history: 1, limit: 5 });
  const statusEvent = statusEvents.filter(isStatus).at(-1) ?? null;
  const { data: metrics, event: metricsEvent, error: metricsError } = useWebSocketEvent('system_metrics_update');
  const { events: alertEvents, error: alertsError } = useChannel('system', { subject: 'alerts', history: 20, limit: 50 });
  const alerts = useMemo(() => latestAlerts(alertEvents), [alertEvents]);
  const s = statusEvent?.data.status;
  const m = metrics?.metrics;
  const health = s?.status ?? 'unknown';
  return (
    <section className="card" data-testid="system-widget" data-source={statusEvent?.source ?? metricsEvent?.source ?? ''}>
      <header>
        <h2>System</h2>
        <span className={statusClass(health)} data-testid="system-status" data-status={health}>
          {health}
        </span>
        <span className="muted grow">{s?.message ?? (s ? '' : 'waiting for system_status_update…')}</span>
        {statusEvent ? (
          <span className="muted small" data-testid="system-source">
            {statusEvent.source}
            {s?.version ? ` ${s.version}` : ''}
            {s?.uptimeSeconds !== undefined ? ` · up ${duration(s.uptimeSeconds * 1000)}` : ''}
          </span>
        ) : null}
      </header>
      <HookError error={statusError ?? metricsError ?? alertsError} />
      {s?.components?.length ? (
        <div className="components" data-testid="system-components">
          {s.components.map((c) => (
            <span key={c.name} className={statusClass(c.status)} title={c.message ?? ''} data-testid="system-component" data-key={c.name}>
              {c.name}
            </span>
          ))}
        </div>
      ) : null}
      <div className="metrics">
        <MetricCard metric="cpu" label="CPU" value={fmt(m?.cpuPercent, '%')} hint={num(m?.loadAverage1m) !== undefined ? `load ${fmt(num(m?.loadAverage1m))}` : undefined} />
        <MetricCard metric="memory" label="Memory" value={fmt(m?.memoryPercent, '%')} />
        <MetricCard metric="hub-rate" label="Hub events / s" value={fmt(m?.eventsPerSecond)} />
        <MetricCard
          metric="clients"
          label="Hub connections"
          value={fmt(m?.connectedClients)}
          hint={num(m?.hubSubscriptions) !== undefined ? `${num(m?.hubSubscriptions)} subscriptions` : undefined}
        />
        {/* Platform gauges, when the publisher reports them. */}
        {m?.activePipelines !== undefined ? <MetricCard metric="pipelines" label="Active pipelines" value={fmt(m.activePipelines)} /> : null}
        {m?.runningExecutions !== undefined ? <MetricCard metric="running" label="Running executions" value={fmt(m.runningExecutions)} /> : null}
        {m?.queuedJobs !== undefined ? <MetricCard metric="queued" label="Queued jobs" value={fmt(m.queuedJobs)} /> : null}
      </div>
      {metricsEvent ? <div className="muted small updated">metrics at {clock(time(metricsEvent.timestamp))}</div> : null}
      {alerts.length > 0 ? (
        <ul className="list">
          {alerts.slice(0, 5).map((a) => (
            <li
              key={a.data.alertId}
              data-testid="system-alert"
              data-key={a.data.alertId}
              className={`alert sev-border-${a.data.alert.severity}${a.priority === 'HIGH' ? ' highlight' : ''}`}
            >
              <span className={`sev sev-${a.data.alert.severity}`}>{a.data.alert.severity}</span>
              <span className="grow">
                {a.data.alert.title}
                {a.data.alert.message ? <span className="muted"> · {a.data.alert.message}</span> : null}
              </span>
              <span className="muted">{a.data.alert.component ?? ''}</span>
              <span className="muted">{clock(time(a.timestamp))}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

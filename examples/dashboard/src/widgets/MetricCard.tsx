/** One number with its label (`data-metric` / `data-value` for tests). */
export function MetricCard({ metric, label, value, hint }: { metric: string; label: string; value: string; hint?: string }) {
  return (
    <div className="metric" data-testid="metric-card" data-metric={metric} data-value={value}>
      <div className="metric-label">{label}</div>
      <div className="metric-value">{value}</div>
      {hint ? <div className="muted small">{hint}</div> : null}
    </div>
  );
}

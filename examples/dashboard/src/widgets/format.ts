// One formatter: `toLocaleTimeString` builds a new one per call, which costs more than the
// rest of a widget's render.
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/** A wall-clock time (HH:MM:SS) of a timestamp in ms; `—` for none. */
export const clock = (ms: number | null | undefined): string => (ms ? TIME.format(ms) : '—');

/** A duration in ms as `850 ms`, `4.2 s`, `3 min 5 s`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A fraction 0.0–1.0 as a whole percent (`42%`). */
export const percent = (fraction: number): string => `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;

export const statusClass = (status: string): string => `status status-${status.replace(/[^a-z_]/gi, '')}`;

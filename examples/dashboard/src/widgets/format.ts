export const clock = (ms: number): string =>
  ms > 0 ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '—';

export const statusClass = (status: string): string => `status status-${status.replace(/[^a-z_]/gi, '')}`;

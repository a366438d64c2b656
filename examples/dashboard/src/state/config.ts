// Configuration from the environment (Vite `VITE_*` variables, see .env.example), with
// same-origin defaults for the hub serving the built dashboard (`HERALD_STATIC_DIR`).
// `?ws=` and `?token_url=` query parameters override them (handy in development).
export interface DashboardConfig {
  /** The hub's WebSocket URL. */
  wsUrl: string;
  /** The token endpoint: GET ?sub= → {"token","expires_at"}. */
  tokenUrl: string;
  /** The hub's HTTP base, for the history endpoint. */
  httpBase: string;
}

export function loadConfig(env: Record<string, string | undefined> = import.meta.env, location: Location = window.location): DashboardConfig {
  const params = new URLSearchParams(location.search);
  const origin = location.origin;
  const wsOrigin = origin.replace(/^http/, 'ws');
  const wsUrl = params.get('ws') || env.VITE_HERALD_URL || `${wsOrigin}/ws`;
  const tokenUrl = params.get('token_url') || env.VITE_HERALD_TOKEN_URL || `${origin}/api/v1/dev/token`;
  const httpBase = (env.VITE_HERALD_HTTP_URL || new URL(wsUrl).origin.replace(/^ws/, 'http')).replace(/\/$/, '');
  return { wsUrl, tokenUrl, httpBase };
}

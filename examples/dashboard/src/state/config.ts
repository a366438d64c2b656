// Configuration from the environment (Vite `VITE_*` variables, see .env.example), with
// same-origin defaults for the hub serving the built dashboard (`HERALD_STATIC_DIR`).
// `?ws=` and `?token_url=` query parameters override them (handy in development).
export interface DashboardConfig {
  /** The hub's WebSocket URL. */
  wsUrl: string;
  /** The token endpoint: GET ?sub= → {"token","expires_at"}. */
  tokenUrl: string;
}

export function loadConfig(env: Record<string, string | undefined> = import.meta.env, location: Location = window.location): DashboardConfig {
  const params = new URLSearchParams(location.search);
  const origin = location.origin;
  const wsUrl = params.get('ws') || env.VITE_HERALD_URL || `${origin.replace(/^http/, 'ws')}/ws`;
  const tokenUrl = params.get('token_url') || env.VITE_HERALD_TOKEN_URL || `${origin}/api/v1/dev/token`;
  return { wsUrl, tokenUrl };
}

// The page's settings, from its URL query, so a test (or you) can point it at any hub:
//   ?hub=ws://127.0.0.1:8080&token=<JWT>&auth=hook|token|getToken&backoffMs=1000&backoffCapMs=30000&forbidden=1
// `hub` defaults to the hub that serves the page (ws://<this host>; the client appends /ws).

/** How the token reaches the client. */
export type AuthMode =
  /** `<HeraldProvider url>` without a token; `useWebSocketConnection(authToken)` hands it in (the API document's way). */
  | 'hook'
  /** `<HeraldProvider url token>`: a fixed token; refused, the client closes. */
  | 'token'
  /** `<HeraldProvider url getToken>`: called before every connection. */
  | 'getToken';

export interface AppConfig {
  hub: string;
  token: string;
  auth: AuthMode;
  /** `backoff` for the provider when `backoffMs` is given; the client's defaults otherwise. */
  backoff?: { baseMs: number; capMs: number };
  /** Also subscribe the whole `user` channel (`useChannel('user')`), which a plain token may not. */
  forbidden: boolean;
}

function milliseconds(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`?${name}=${raw}: expected a whole number of milliseconds`);
  return value;
}

/** Reads the settings from `search` (`location.search`); throws on a bad value, naming it. */
export function readConfig(search: string, host: string): AppConfig {
  const query = new URLSearchParams(search);
  const auth = query.get('auth') ?? 'hook';
  if (auth !== 'hook' && auth !== 'token' && auth !== 'getToken') throw new Error(`?auth=${auth}: expected hook, token or getToken`);
  const baseMs = milliseconds(query, 'backoffMs');
  const capMs = milliseconds(query, 'backoffCapMs');
  return {
    hub: query.get('hub') ?? `ws://${host}`,
    token: query.get('token') ?? '',
    auth,
    ...(baseMs === undefined ? {} : { backoff: { baseMs, capMs: capMs ?? baseMs * 4 } }),
    forbidden: query.get('forbidden') === '1',
  };
}

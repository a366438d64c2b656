// The token endpoint: GET ?sub= → {"token","expires_at"} (the hub's /api/v1/dev/token in
// development, your own token service in production).

/** Fetches a fresh subscriber token for one random `sub` per page. */
export class TokenSource {
  private readonly sub = `dashboard-${Math.random().toString(36).slice(2, 10)}`;

  constructor(private readonly url: string) {}

  /** `HeraldProvider`'s `getToken`: called before each connection and before expiry. */
  readonly fetchToken = async (): Promise<string> => {
    const url = new URL(this.url, window.location.href);
    if (!url.searchParams.has('sub')) url.searchParams.set('sub', this.sub);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`token endpoint ${url}: HTTP ${res.status}`);
    const body = (await res.json()) as { token: string };
    return body.token;
  };
}

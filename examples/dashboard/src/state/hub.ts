// Talking to the hub over HTTP: the token endpoint and the history endpoint.
import type { CatalogueEvent } from '@herald/client';

import type { DashboardConfig } from './config';

/** Fetches tokens from the token endpoint and keeps the last one for HTTP calls. */
export class TokenSource {
  private current: { token: string; expiresAt: number } | null = null;
  private readonly sub: string;

  constructor(private readonly url: string) {
    this.sub = `dashboard-${Math.random().toString(36).slice(2, 10)}`;
  }

  /** A fresh token (the SDK calls this before each connection and before expiry). */
  readonly fetchToken = async (): Promise<string> => {
    const url = new URL(this.url, window.location.href);
    if (!url.searchParams.has('sub')) url.searchParams.set('sub', this.sub);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`token endpoint: HTTP ${res.status}`);
    const body = (await res.json()) as { token: string; expires_at?: string };
    this.current = { token: body.token, expiresAt: body.expires_at ? Date.parse(body.expires_at) : Date.now() + 60_000 };
    return body.token;
  };

  /** The last token while it is valid for another 30 s, else a fresh one. */
  async token(): Promise<string> {
    if (this.current && this.current.expiresAt - Date.now() > 30_000) return this.current.token;
    return this.fetchToken();
  }
}

interface HistoryPage {
  epoch: string;
  offset: number;
  recovered: boolean;
  events: { type: 'event'; channel: string; offset: number; event: CatalogueEvent }[];
}

/** `GET /api/v1/channels/{channel}/history`: the latest `limit` events, oldest first. */
export async function fetchHistory(config: DashboardConfig, tokens: TokenSource, channel: string, limit = 1000): Promise<CatalogueEvent[]> {
  const url = `${config.httpBase}/api/v1/channels/${encodeURIComponent(channel)}/history?limit=${limit}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${await tokens.token()}` } });
  if (!res.ok) throw new Error(`history ${channel}: HTTP ${res.status}`);
  const page = (await res.json()) as HistoryPage;
  return page.events.map((item) => item.event);
}

// Test helpers that talk to the real hub over plain HTTP (node:http, not happy-dom's fetch).
import { request } from 'node:http';

import { inject } from 'vitest';

export const addr = (): string => inject('hubAddr');
export const token = (): string => inject('hubToken');
export const wsUrl = (): string => `ws://${addr()}/ws`;

function http(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const [host, port] = addr().split(':');
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        path,
        method,
        headers: {
          authorization: `Bearer ${token()}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

let counter = 0;

/** A catalogue envelope: `pipeline_deleted` (PIPELINE) or `system_alert`-like events. */
export function pipelineDeleted(pipelineId: string): Record<string, unknown> {
  counter += 1;
  return {
    id: `t-${process.pid}-${Date.now()}-${counter}`,
    event_type: 'pipeline_deleted',
    category: 'PIPELINE',
    priority: 'LOW',
    timestamp: '2026-11-22T10:00:00.000Z',
    source: 'vitest',
    subject: pipelineId,
    data: { pipelineId },
  };
}

export function userNotification(userId: string, title: string): Record<string, unknown> {
  counter += 1;
  return {
    id: `t-${process.pid}-${Date.now()}-${counter}`,
    event_type: 'user_notification',
    category: 'USER',
    priority: 'MEDIUM',
    timestamp: '2026-11-22T10:00:00.000Z',
    source: 'vitest',
    subject: userId,
    data: { userId, notificationId: `n-${counter}`, notification: { title, message: title, level: 'info' } },
  };
}

/** A plain user token (default subscribe permissions) for `sub`, from the development hub. */
export async function userToken(sub: string): Promise<string> {
  const res = await http('GET', `/api/v1/dev/token?role=subscriber&sub=${encodeURIComponent(sub)}`);
  if (res.status !== 200) throw new Error(`dev token: ${res.status} ${res.text}`);
  return (JSON.parse(res.text) as { token: string }).token;
}

/** Publishes `events` in one batch (at most 1000). */
export async function publish(events: Record<string, unknown>[]): Promise<void> {
  const res = await http('POST', '/api/v1/publish', { events });
  if (res.status !== 200) throw new Error(`publish: ${res.status} ${res.text}`);
}

/** A metric's value from /metrics (summed over label sets). */
export async function metric(name: string): Promise<number> {
  const res = await http('GET', '/metrics');
  let sum = 0;
  for (const line of res.text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

/** Makes the hub close every connection with 4000 (test-only route). */
export async function dropAll(): Promise<void> {
  const res = await http('POST', '/__echo/drop');
  if (res.status !== 200) throw new Error(`drop: ${res.status}`);
}

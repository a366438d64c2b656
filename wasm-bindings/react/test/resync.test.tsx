// useResync against a hub of its own that the test restarts on the same port: the restart
// loses history and changes the epoch, so every subscription's recovery fails and the app is
// told to reload. The restarted development hub has a new random secret: `getToken` hands
// out the new hub's token, and the old one is refused until then. Deterministic: it does
// not depend on reconnect timing.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import type { ReactNode } from 'react';
import { cleanup, renderHook } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';

import { HeraldProvider, type HeraldResync, useResync, useWebSocketCategory, useWebSocketConnection } from '../src/index.js';
import { pipelineDeleted } from './helpers.js';

afterEach(() => cleanup());

interface Hub {
  proc: ChildProcess;
  addr: string;
  token: string;
}

function startHub(listen: string): Promise<Hub> {
  const bin = process.env.HERALD_HUB_BIN;
  if (!bin) throw new Error('HERALD_HUB_BIN is not set: run through scripts/npm-tests.sh');
  // `--dev` refuses configured keys: none from this environment reaches it.
  const env = { ...process.env };
  for (const key of ['HERALD_JWT_SECRET', 'HERALD_JWT_PUBLIC_KEY', 'HERALD_JWT_KEYS']) delete env[key];
  const proc = spawn(bin, ['--dev', '--listen', listen], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout! });
  return new Promise((resolve, reject) => {
    let addr = '';
    proc.once('exit', (code) => reject(new Error(`the hub exited with ${code}`)));
    lines.on('line', (line) => {
      const a = /on http:\/\/([0-9.:]+)/.exec(line);
      if (a) addr = a[1]!;
      const t = /^publisher token .*: (\S+)/.exec(line);
      if (t && addr) resolve({ proc, addr, token: t[1]! });
    });
  });
}

async function stop(hub: Hub): Promise<void> {
  if (hub.proc.exitCode !== null) return;
  const exited = new Promise((resolve) => hub.proc.once('exit', resolve));
  hub.proc.kill('SIGTERM');
  await exited;
}

function publish(hub: Hub, event: Record<string, unknown>): Promise<number> {
  const [host, port] = hub.addr.split(':');
  const body = JSON.stringify({ event });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        path: '/api/v1/publish',
        method: 'POST',
        headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

it('useResync fires when a restarted hub cannot replay what was missed', async () => {
  let hub = await startHub('127.0.0.1:0');
  const addr = hub.addr;
  const resyncs: HeraldResync[] = [];
  try {
    function Provider({ children }: { children?: ReactNode }) {
      return (
        <HeraldProvider url={`ws://${addr}/ws`} getToken={() => Promise.resolve(hub.token)} backoff={{ baseMs: 50, capMs: 200 }}>
          {children}
        </HeraldProvider>
      );
    }
    const { result } = renderHook(
      () => {
        useResync((resync) => resyncs.push(resync));
        return { connection: useWebSocketConnection(), pipeline: useWebSocketCategory('PIPELINE', { limit: 10 }) };
      },
      { wrapper: Provider },
    );
    await vi.waitFor(() => expect(result.current.connection.isConnected).toBe(true), { timeout: 10_000 });
    // The category subscription is live once one of our events arrives.
    await vi.waitFor(
      async () => {
        expect(await publish(hub, pipelineDeleted('p-before'))).toBe(200);
        expect(result.current.pipeline.events.length).toBeGreaterThan(0);
      },
      { timeout: 10_000 },
    );
    expect(resyncs).toEqual([]);

    await stop(hub);
    hub = await startHub(addr); // same port, new secret, new epoch, no history
    await vi.waitFor(() => expect(resyncs.map((r) => r.channel)).toContain('pipeline'), { timeout: 15_000 });
    // And live events flow again after the resync.
    await vi.waitFor(
      async () => {
        expect(await publish(hub, pipelineDeleted('p-after'))).toBe(200);
        expect(result.current.pipeline.events.some((e) => e.subject === 'p-after')).toBe(true);
      },
      { timeout: 10_000 },
    );
  } finally {
    await stop(hub);
  }
});

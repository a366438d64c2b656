// Vitest global setup: starts a real hub (`herald-hub --dev`, built with the test-only
// `__echo` feature) on 127.0.0.1:0 and hands its address and publisher token to the tests.
// Readiness is the hub's own stdout line, not a sleep.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    hubAddr: string;
    hubToken: string;
  }
}

let hub: ChildProcess | undefined;

export async function setup(project: TestProject): Promise<void> {
  const bin = process.env.HERALD_HUB_BIN;
  if (!bin) throw new Error('HERALD_HUB_BIN is not set: run through scripts/npm-tests.sh');
  // `--dev` refuses configured keys: none from this environment reaches it.
  const env = { ...process.env };
  for (const key of ['HERALD_JWT_SECRET', 'HERALD_JWT_PUBLIC_KEY', 'HERALD_JWT_KEYS']) delete env[key];
  hub = spawn(bin, ['--dev', '--listen', '127.0.0.1:0', '--publish-rate', '100000'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: hub.stdout! });
  const { addr, token } = await new Promise<{ addr: string; token: string }>((resolve, reject) => {
    let addr = '';
    const timer = setTimeout(() => reject(new Error('the hub did not start within 20 s')), 20_000);
    hub!.once('exit', (code) => reject(new Error(`the hub exited with ${code}`)));
    lines.on('line', (line) => {
      const a = /on http:\/\/([0-9.:]+)/.exec(line);
      if (a) addr = a[1]!;
      const t = /^publisher token .*: (\S+)/.exec(line);
      if (t && addr) {
        clearTimeout(timer);
        resolve({ addr, token: t[1]! });
      }
    });
  });
  project.provide('hubAddr', addr);
  project.provide('hubToken', token);
}

export async function teardown(): Promise<void> {
  if (hub && hub.exitCode === null) {
    const exited = new Promise((resolve) => hub!.once('exit', resolve));
    hub.kill('SIGTERM');
    await exited;
  }
}

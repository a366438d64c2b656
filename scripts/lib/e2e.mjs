// Helpers of the browser end-to-end tests (examples/*/e2e/*.e2e.mjs): a check reporter, free
// ports, waits on conditions (never fixed sleeps for readiness) and stopping the child
// processes a test started. Node built-ins only: each test brings its own playwright-core.

import { createServer } from 'node:net';

/** `log(...)` with the seconds since the start, and `check(ok, what)` that logs ok/FAIL and
 *  counts failures (`failures()`). */
export function report(name) {
  const t0 = Date.now();
  let failures = 0;
  const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1);
  const log = (...a) => console.log(`[${name} +${elapsed()}s]`, ...a);
  return {
    log,
    elapsed,
    check(ok, what) {
      if (!ok) failures += 1;
      log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    },
    failures: () => failures,
  };
}

/** A free TCP port on 127.0.0.1 (the OS's choice). */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** An error `until` does not wait out: thrown by a condition that can never become true. */
export class Fatal extends Error {}

/** Polls `fn` every 50 ms until it returns a truthy value (returned) or `timeout` ms pass
 *  (throws, naming `what` and the last error). A thrown `Fatal` ends the wait at once. */
export async function until(what, fn, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (error) {
      if (error instanceof Fatal) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops a child process with `signal` and waits for its exit; SIGKILL after `graceMs`. */
export async function stop(child, signal = 'SIGTERM', graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

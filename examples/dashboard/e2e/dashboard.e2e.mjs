// End-to-end test: the REAL hub (release binary, --dev) serving the built dashboard, the REAL
// example services publishing into tenant `dev`, and Debian's Chromium driven by
// playwright-core. Checks that every widget shows live events, restarts the hub (kill by
// PID, same port; the new hub has a new random secret, so the page and the services get
// fresh tokens from its token endpoint) and checks that the page reconnects, takes the
// Resync path (the in-memory hub lost its history), keeps showing live events and shows no
// duplicate rows. Prints measured latencies (never asserts on timing) and saves screenshots.
//
//   node e2e/dashboard.e2e.mjs            (after `npm run build`; see scripts/dashboard-tests.sh)
// Env: HERALD_BIN_DIR (default ../../target/release), CHROMIUM (default /usr/bin/chromium),
//      SCREENSHOT (default: none; the docs screenshot is a separate command:
//      SCREENSHOT=docs/dashboard.png ./scripts/dashboard-tests.sh). A test run never rewrites a
//      committed file; its own screenshots go to e2e/shots.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const app = resolve(here, '..');
const root = resolve(app, '../..');
const binDir = resolve(process.env.HERALD_BIN_DIR ?? join(root, 'target/release'));
const dist = join(app, 'dist');
const shots = join(app, 'e2e/shots');
const screenshot = process.env.SCREENSHOT ? resolve(root, process.env.SCREENSHOT) : null;
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 30_000);
const started = new Set(); // child processes this test started
const t0 = Date.now();
const log = (...a) => console.log(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
let failures = 0;
const check = (ok, what) => {
  if (ok) log(`ok   ${what}`);
  else {
    failures += 1;
    log(`FAIL ${what}`);
  }
};

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

// `herald-hub --dev` refuses configured keys: none from this environment reaches the children.
const baseEnv = { ...process.env };
for (const key of ['HERALD_JWT_SECRET', 'HERALD_JWT_PUBLIC_KEY', 'HERALD_JWT_KEYS']) delete baseEnv[key];

function start(name, bin, args, env = {}) {
  const child = spawn(bin, args, { env: { ...baseEnv, RUST_LOG: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  child.once('exit', () => started.delete(child));
  child.stderr.on('data', (d) => process.env.E2E_VERBOSE && process.stderr.write(`[${name}] ${d}`));
  return child;
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function until(what, fn, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let port;
let publisherToken = '';

async function startHub() {
  const hub = start('hub', join(binDir, 'herald-hub'), ['--dev', '--listen', `127.0.0.1:${port}`], { HERALD_STATIC_DIR: dist });
  const lines = createInterface({ input: hub.stdout });
  lines.on('line', (line) => {
    const m = /^publisher token .*: (\S+)/.exec(line);
    if (m) publisherToken = m[1];
  });
  await until('hub /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
  await until('the hub printing its publisher token', () => publisherToken !== '', 5000);
  return hub;
}

let seq = 0;
function envelope(event_type, category, priority, data, subject = '') {
  seq += 1;
  return { id: `e2e-${process.pid}-${Date.now()}-${seq}`, event_type, category, priority, timestamp: new Date().toISOString(), source: 'e2e', subject, data };
}

async function publish(events) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${publisherToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  if (!res.ok) throw new Error(`publish: ${res.status} ${await res.text()}`);
  return Date.now();
}

const latencies = {};
const record = (what, ms) => (latencies[what] ??= []).push(ms);

async function main() {
  port = Number(process.env.E2E_PORT ?? (await freePort()));
  mkdirSync(shots, { recursive: true });
  let hub = await startHub();
  log(`hub on 127.0.0.1:${port}`);
  const rate = process.env.E2E_RATE ?? '20';
  const services = ['pipeline', 'security', 'debugger'].map((s) =>
    start(s, join(binDir, `${s}-service`), ['--dev', '--hub', `ws://127.0.0.1:${port}`, '--rate', rate]),
  );

  const profile = mkdtempSync(join(tmpdir(), 'herald-e2e-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 1100 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/`);
    const count = (sel) => page.locator(sel).count();
    const waitCount = (what, sel, min = 1) => until(what, async () => (await count(sel)) >= min);

    // 1. Connected; every widget shows live events from the services.
    await until('connected', async () => (await page.getAttribute('[data-testid=connection-status]', 'data-state')) === 'connected');
    check(true, 'the page connects (indicator: connected)');
    const tConnected = Date.now();
    await waitCount('an execution row', '[data-testid=execution-row]');
    record('first execution row after connect', Date.now() - tConnected);
    await waitCount('a log line in the monitor', '[data-testid=execution-monitor] [data-testid=log-line]');
    record('first log line after connect', Date.now() - tConnected);
    await waitCount('a security alert row', '[data-testid=alert-row]');
    record('first alert row after connect', Date.now() - tConnected);
    await waitCount('a debug feed item', '[data-testid=debug-item]');
    record('first debug item after connect', Date.now() - tConnected);
    check(true, 'pipelines, execution monitor (log), security alerts and debug feed show live events');
    check((await page.getAttribute('[data-testid=monitor-progress]', 'data-progress')) !== null, 'the monitor shows a progress bar');

    // System widget + toasts: this test publishes system events and measures publish → visible.
    const status = envelope('system_status_update', 'SYSTEM', 'LOW', {
      status: { status: 'degraded', message: 'e2e: runner pool at 80%', components: [{ name: 'runner-pool', status: 'degraded' }, { name: 'hub', status: 'healthy' }] },
    });
    const metrics = envelope('system_metrics_update', 'SYSTEM', 'LOW', { metrics: { cpuPercent: 42.5, memoryPercent: 61, runningExecutions: 3, queuedJobs: 7 } });
    const alertId = `a-${seq}`;
    const alert = envelope('system_alert', 'SYSTEM', 'HIGH', { alertId, alert: { title: 'e2e: disk almost full', severity: 'high', component: 'storage' } }, alertId);
    let sent = await publish([status, metrics, alert]);
    await until('system status degraded', async () => (await page.getAttribute('[data-testid=system-status]', 'data-status')) === 'degraded');
    record('system status publish → visible', Date.now() - sent);
    await until('metrics card', async () => (await page.getAttribute('[data-metric=cpu]', 'data-value')) === '42.5%');
    record('system metrics publish → visible', Date.now() - sent);
    await until('HIGH toast', async () => (await page.locator(`[data-testid=toast][data-key="${alert.id}"]`).count()) === 1);
    record('HIGH alert publish → toast', Date.now() - sent);
    check(true, 'system status, metrics cards and a HIGH toast show published events');

    // Let the streams fill the page a little (for the screenshot and the restart check).
    await until('a fuller page', async () =>
      (await page.evaluate(() => window.__dashboard.getState().stats.total)) >= 120 &&
      (await count('[data-testid=pipeline-row]')) >= 3 && (await count('[data-testid=alert-row]')) >= 3);

    // Latency of the services' live events (receive time − event timestamp), from the page.
    const pageLatency = await page.evaluate(() => window.__dashboard.getState().stats.latencies.slice());
    await page.screenshot({ path: join(shots, '1-live.png') });

    // 2. Restart the hub: kill it by PID, start it again on the same port (with a new secret).
    const before = await page.evaluate(() => ({ total: window.__dashboard.getState().stats.total, resyncs: window.__dashboard.getState().stats.resyncs }));
    const execsBefore = new Set(await page.locator('[data-testid=execution-row]').evaluateAll((els) => els.map((e) => e.dataset.key)));
    const tKill = Date.now();
    await stop(hub);
    await until('the page noticing the outage', async () => (await page.getAttribute('[data-testid=connection-status]', 'data-state')) !== 'connected');
    const label = await page.textContent('[data-testid=connection-label]');
    log(`during the outage the indicator says: "${label}"`);
    await page.screenshot({ path: join(shots, '2-outage.png') });
    check(/Reconnecting|Connecting/.test(label ?? ''), 'the indicator shows reconnecting during the outage');
    // A deliberate outage window (not a readiness wait): the services keep publishing into
    // their outboxes and flush them to the restarted hub.
    await new Promise((r) => setTimeout(r, Number(process.env.E2E_OUTAGE_MS ?? 1500)));
    publisherToken = '';
    hub = await startHub();
    const tUp = Date.now();
    log(`hub restarted (down ${tUp - tKill} ms)`);
    await until('reconnected', async () => (await page.getAttribute('[data-testid=connection-status]', 'data-state')) === 'connected');
    record('hub up → page connected', Date.now() - tUp);
    await until('a Resync reload', async () => (await page.evaluate(() => window.__dashboard.getState().stats.resyncs)) > before.resyncs);
    record('hub up → resync reloaded', Date.now() - tUp);
    const resync = await page.evaluate(() => window.__dashboard.getState().stats);
    check(resync.resyncs > before.resyncs, `the page took the Resync path (${resync.resyncs} channel reloads from the history endpoint)`);

    // Live events after the restart: a new system alert, new executions from the services.
    const alert2 = envelope('system_alert', 'SYSTEM', 'HIGH', { alertId: `${alertId}-2`, alert: { title: 'e2e: after restart', severity: 'medium', component: 'hub' } }, `${alertId}-2`);
    sent = await publish([alert2]);
    await until('post-restart alert', async () => (await page.locator(`[data-testid=system-alert][data-key="${alertId}-2"]`).count()) === 1);
    record('post-restart publish → visible', Date.now() - sent);
    await until('a new execution after the restart', async () => {
      const keys = await page.locator('[data-testid=execution-row]').evaluateAll((els) => els.map((e) => e.dataset.key));
      return keys.some((k) => !execsBefore.has(k));
    });
    await until('more events after the restart', async () => (await page.evaluate(() => window.__dashboard.getState().stats.total)) > before.total + 20);
    check(true, 'live events keep arriving after the restart (new executions, published alert)');
    const during = await until('events stamped during the outage', () =>
      page.evaluate(
        ([a, b]) => {
          const s = window.__dashboard.getState();
          const ts = [...s.feed.map((f) => f.ts), ...Object.values(s.logs).flat().map((l) => l.ts), ...Object.values(s.executions).map((e) => e.updatedAt), ...Object.values(s.alerts).map((x) => x.updatedAt)];
          return ts.filter((t) => t > a && t < b).length;
        },
        [tKill, tUp],
      ),
    );
    check(during > 0, `the page shows ${during} items published by the services during the outage`);

    // 3. No duplicates: every row key unique within its widget.
    for (const sel of ['pipeline-row', 'execution-row', 'alert-row', 'debug-item', 'log-line', 'system-alert', 'toast']) {
      const keys = await page.locator(`[data-testid=${sel}]`).evaluateAll((els) => els.map((e) => e.dataset.key ?? e.textContent));
      check(new Set(keys).size === keys.length, `no duplicate ${sel} rows (${keys.length})`);
    }
    const state = await page.evaluate(() => {
      const s = window.__dashboard.getState();
      const ids = Object.values(s.logs).flat().map((l) => l.id);
      return { logIds: ids.length, uniqueLogIds: new Set(ids).size, feed: s.feed.length, uniqueFeed: new Set(s.feed.map((f) => f.id)).size, dropped: s.stats.duplicatesDropped };
    });
    check(state.logIds === state.uniqueLogIds && state.feed === state.uniqueFeed, `no duplicate events in state (${state.logIds} log lines, ${state.feed} feed items; ${state.dropped} duplicates dropped by the reducer)`);

    await page.screenshot({ path: join(shots, '3-after-restart.png') });
    if (screenshot) {
      mkdirSync(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot });
    }
    log(`screenshots: ${shots}/{1-live,2-outage,3-after-restart}.png and ${screenshot}`);
    check(consoleErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)).length === 0, `no unexpected console errors (${consoleErrors.length} connection errors during the outage)`);

    // Report.
    const p = (xs, q) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] : NaN);
    console.log('\nmeasured latencies (ms; reported, not asserted):');
    for (const [what, xs] of Object.entries(latencies)) console.log(`  ${what}: ${xs.join(', ')}`);
    console.log(`  services' live events, event timestamp → page (${pageLatency.length} samples): p50 ${p(pageLatency, 0.5)}, p95 ${p(pageLatency, 0.95)}, max ${Math.max(...pageLatency)}`);
    console.log(`  events received by the page: ${resync.total}; resync reloads: ${resync.resyncs}`);
    for (const s of services) check(s.exitCode === null, `${s.spawnfile.split('/').pop()} still running`);
  } finally {
    await ctx.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    await Promise.all([...started].map(stop));
  }
}

main().then(
  () => {
    console.log(failures === 0 ? `\ne2e: all checks passed (${((Date.now() - t0) / 1000).toFixed(1)} s)` : `\ne2e: ${failures} check(s) FAILED`);
    process.exit(failures === 0 ? 0 : 1);
  },
  async (error) => {
    console.error(`\ne2e FAILED: ${error.stack ?? error}`);
    await Promise.all([...started].map(stop));
    process.exit(1);
  },
);

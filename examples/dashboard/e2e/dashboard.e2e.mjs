// End-to-end test: the REAL hub (release binary, --dev) serving the built dashboard, the REAL
// example services (pipeline, security, debugger, system) publishing into tenant `dev`, and
// Debian's Chromium driven by playwright-core. Nothing is injected: checks that every widget
// shows the services' live events (the System panel the system service's), restarts the hub
// (kill by PID, same port; the new hub has a new random secret, so the page and the services
// get fresh tokens from its token endpoint; the page is kept offline until the services have
// published into the new hub) and checks that the page reconnects, resyncs, gets the new
// epoch's history as replayed deliveries, keeps showing live events and shows no duplicate
// rows. Everything is read from the page (data-testid / data-* attributes). Prints
// measured latencies (never asserts on timing) and saves screenshots.
//
//   node e2e/dashboard.e2e.mjs            (after `npm run build`; see scripts/dashboard-tests.sh)
// Env: HERALD_BIN_DIR (default ../../target/release), CHROMIUM (default /usr/bin/chromium),
//      SCREENSHOT (default: none; the docs screenshot is a separate command:
//      SCREENSHOT=docs/dashboard.png ./scripts/dashboard-tests.sh). A test run never rewrites a
//      committed file; its own screenshots go to e2e/shots.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { freePort, report, stop, until as untilFor } from '../../../scripts/lib/e2e.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const app = resolve(here, '..');
const root = resolve(app, '../..');
const binDir = resolve(process.env.HERALD_BIN_DIR ?? join(root, 'target/release'));
const dist = join(app, 'dist');
const shots = join(app, 'e2e/shots');
const screenshot = process.env.SCREENSHOT ? resolve(root, process.env.SCREENSHOT) : null;
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 30_000);
const started = new Set(); // child processes this test started
const { log, check, elapsed, failures } = report('e2e');

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

const until = (what, fn, timeout = TIMEOUT) => untilFor(what, fn, timeout);

let port;

async function startHub() {
  const hub = start('hub', join(binDir, 'herald-hub'), ['--dev', '--listen', `127.0.0.1:${port}`], { HERALD_STATIC_DIR: dist });
  hub.stdout.resume();
  await until('hub /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
  return hub;
}

// The example services the demo runs (scripts/demo.sh), and their --rate: the simulations at
// E2E_RATE, the system monitor a snapshot every 0.5 s. The System panel must show the system
// service's events.
const SERVICES = { pipeline: null, security: null, debugger: null, system: '2' };
const SYSTEM_SOURCE = 'system-service';

/** The latest events of `channel` in the hub's history (a dev subscriber token). */
async function history(channel) {
  const { token } = await (await fetch(`http://127.0.0.1:${port}/api/v1/dev/token`)).json();
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/channels/${channel}/history?limit=10`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`history ${channel}: HTTP ${res.status}`);
  return (await res.json()).events;
}

const latencies = {};
const record = (what, ms) => (latencies[what] ??= []).push(ms);

async function main() {
  port = Number(process.env.E2E_PORT ?? (await freePort()));
  mkdirSync(shots, { recursive: true });
  let hub = await startHub();
  log(`hub on 127.0.0.1:${port}`);
  const rate = process.env.E2E_RATE ?? '20';
  const services = Object.entries(SERVICES).map(([s, r]) =>
    start(s, join(binDir, `${s}-service`), ['--dev', '--hub', `ws://127.0.0.1:${port}`, '--rate', r ?? rate]),
  );

  const profile = mkdtempSync(join(tmpdir(), 'herald-e2e-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 1250 },
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
    const metric = async (name) => page.getAttribute(`[data-testid=metric-card][data-metric="${name}"]`, 'data-value');
    const metricNumber = async (name) => Number(await metric(name));
    const keys = (sel) => page.locator(`[data-testid=${sel}]`).evaluateAll((els) => els.map((e) => e.dataset.key ?? e.textContent));
    const state = () => page.getAttribute('[data-testid=connection-status]', 'data-state');

    // 1. Connected; every widget shows live events from the services.
    await until('connected', async () => (await state()) === 'connected');
    check(true, 'the page connects (indicator: connected)');
    const tConnected = Date.now();
    await waitCount('an execution row', '[data-testid=execution-row]');
    record('first execution row after connect', Date.now() - tConnected);
    await waitCount('a step on the monitor timeline', '[data-testid=execution-monitor] [data-testid=step]');
    await waitCount('a log line in the monitor', '[data-testid=execution-monitor] [data-testid=log-line]');
    record('first log line after connect', Date.now() - tConnected);
    await waitCount('a security alert row', '[data-testid=alert-row]');
    record('first alert row after connect', Date.now() - tConnected);
    await waitCount('a debug feed item', '[data-testid=debug-item]');
    record('first debug item after connect', Date.now() - tConnected);
    check(true, 'pipelines, execution monitor (timeline, log), security alerts and debug feed show live events');
    const progress = Number(await page.getAttribute('[data-testid=monitor-progress]', 'data-progress'));
    check(progress >= 0 && progress <= 1, `the monitor shows a fractional progress (${progress})`);
    const steps = await page.locator('[data-testid=execution-monitor] [data-testid=step]').evaluateAll((els) => els.map((e) => [e.dataset.name, e.dataset.status, e.dataset.started]));
    check(steps.some(([, status, started]) => status !== 'pending' && Number(started) > 0), `the step timeline shows started steps (${steps.map(([n, s]) => `${n}:${s}`).join(' ')})`);

    // The System panel shows what the system service publishes (nothing is injected here).
    await until('a system status', async () => (await page.getAttribute('[data-testid=system-status]', 'data-status')) !== 'unknown');
    record('system status after connect', Date.now() - tConnected);
    await until('system metrics', async () => (await metric('cpu')) !== '—');
    const source = await page.getAttribute('[data-testid=system-widget]', 'data-source');
    check(source === SYSTEM_SOURCE, `the System panel shows the system service's status and metrics (source "${source}", CPU ${await metric('cpu')})`);

    // A toast for a live HIGH event (debug errors, critical findings, failed executions, alerts).
    await waitCount('a HIGH toast', '[data-testid=toast]');
    check(true, 'a live HIGH priority event raises a toast');
    check((await count('[data-testid=refused]')) === 0 && (await count('[data-testid=hook-error]')) === 0, 'no subscription is refused (USER is narrowed to user/<sub>)');

    // Let the streams fill the page a little (for the screenshot and the restart check).
    await until('a fuller page', async () =>
      (await metricNumber('events-total')) >= 120 && (await count('[data-testid=pipeline-row]')) >= 3 && (await count('[data-testid=alert-row]')) >= 3);
    const pageLatency = await metric('latency');
    await page.screenshot({ path: join(shots, '1-live.png') });
    if (screenshot) {
      // The docs screenshot: the demo running, before the restart.
      mkdirSync(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot });
    }

    // 2. Restart the hub: kill it by PID, start it again on the same port (with a new secret).
    const before = { total: await metricNumber('events-total'), replayed: await metricNumber('events-replayed'), resyncs: await metricNumber('resyncs') };
    const execsBefore = new Set(await keys('execution-row'));
    const tKill = Date.now();
    await stop(hub);
    await until('the page noticing the outage', async () => (await state()) !== 'connected');
    const label = await page.textContent('[data-testid=connection-label]');
    log(`during the outage the indicator says: "${label}"`);
    await page.screenshot({ path: join(shots, '2-outage.png') });
    check(/Reconnecting|Connecting/.test(label ?? ''), 'the indicator shows reconnecting during the outage');
    // The page stays offline until the restarted hub holds the services' events, so its
    // resync finds them in the new epoch's history (else the race with the services decides
    // whether they arrive replayed or live).
    await ctx.setOffline(true);
    // A deliberate outage window (not a readiness wait): the services keep publishing into
    // their outboxes and flush them to the restarted hub.
    await new Promise((r) => setTimeout(r, Number(process.env.E2E_OUTAGE_MS ?? 1500)));
    hub = await startHub();
    log(`hub restarted (down ${Date.now() - tKill} ms)`);
    await until('the services publishing into the restarted hub', async () => (await history('pipeline')).length > 0 && (await history('debug')).length > 0);
    check((await state()) !== 'connected', 'the offline page has not reconnected yet');
    await ctx.setOffline(false);
    const tUp = Date.now();
    await until('reconnected', async () => (await state()) === 'connected');
    record('page online → connected', Date.now() - tUp);
    await until('a resync', async () => (await metricNumber('resyncs')) > before.resyncs);
    record('page online → resync', Date.now() - tUp);
    await until('replayed deliveries', async () => (await metricNumber('events-replayed')) > before.replayed);
    record('page online → replayed deliveries', Date.now() - tUp);
    const after = { resyncs: await metricNumber('resyncs'), replayed: await metricNumber('events-replayed') };
    check(true, `the page resynced (${after.resyncs - before.resyncs} resyncs) and the SDK reloaded the new epoch's history (${after.replayed - before.replayed} replayed deliveries)`);

    const during = await until('items stamped during the outage', () =>
      page.evaluate(
        ([a, b]) => [...document.querySelectorAll('[data-ts]')].filter((el) => Number(el.dataset.ts) > a && Number(el.dataset.ts) < b).length,
        [tKill, tUp],
      ),
    );
    check(during > 0, `the page shows ${during} items the services published during the outage`);

    // Live events after the restart: new executions, more events.
    await until('a new execution after the restart', async () => (await keys('execution-row')).some((k) => !execsBefore.has(k)));
    await until('more events after the restart', async () => (await metricNumber('events-total')) > before.total + 20);
    check(true, 'live events keep arriving after the restart (new executions)');

    // 3. No duplicates: every row key unique within its widget.
    for (const sel of ['pipeline-row', 'execution-row', 'alert-row', 'debug-item', 'log-line', 'step', 'system-alert', 'system-component', 'toast']) {
      const k = await keys(sel);
      check(new Set(k).size === k.length, `no duplicate ${sel} rows (${k.length})`);
    }

    await page.screenshot({ path: join(shots, '3-after-restart.png') });
    log(`screenshots: ${shots}/{1-live,2-outage,3-after-restart}.png${screenshot ? ` and ${screenshot}` : ''}`);
    check(consoleErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)).length === 0, `no unexpected console errors (${consoleErrors.length} connection errors during the outage)`);

    // Report.
    console.log('\nmeasured latencies (ms; reported, not asserted):');
    for (const [what, xs] of Object.entries(latencies)) console.log(`  ${what}: ${xs.join(', ')}`);
    console.log(`  services' live events, event timestamp → page (the page's p50 / p95): ${pageLatency}`);
    console.log(`  events received by the page: ${await metric('events-total')} (${after.replayed} replayed); resyncs: ${after.resyncs}`);
    for (const s of services) check(s.exitCode === null, `${s.spawnfile.split('/').pop()} still running`);
  } finally {
    await ctx.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    await Promise.all([...started].map(stop));
  }
}

main().then(
  () => {
    console.log(failures() === 0 ? `\ne2e: all checks passed (${elapsed()} s)` : `\ne2e: ${failures()} check(s) FAILED`);
    process.exit(failures() === 0 ? 0 : 1);
  },
  async (error) => {
    console.error(`\ne2e FAILED: ${error.stack ?? error}`);
    await Promise.all([...started].map(stop));
    process.exit(1);
  },
);

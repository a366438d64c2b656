// End-to-end test of the API document's example app (issue 14, "Done means"): the REAL hub in
// production mode (HS256 secret generated here, no --dev) serving the built app, Debian's
// Chromium driven by playwright-core, a plain user token minted here (default permissions,
// sub `alice`, org `acme`; docs/protocol.md §1) and a publisher token for HTTP publishes
// (docs/protocol.md §8). Scenarios, each on its own hub:
//   1. every catalogue event kind (docs/protocol/fixtures/events) is shown by the widget it
//      belongs to, USER included (user/alice, never the whole channel), nothing refused;
//   2. hub restart, with a fixed `token` prop and with a `getToken` provider: the hub is killed,
//      a new one starts on the same port with the same secret, 7 scans are published into it
//      while the page is in backoff, and the page shows all 7 (reload after the resync), once;
//   3. a garbage token: the page reaches `closed` with `invalid_token` and stops trying;
//   4. `useChannel('user')` (the whole channel): the refusal (`forbidden`, channel `user`) shows
//      in the hook and in the connection's refused list, and USER events still arrive.
//
// The page reaches the hub's WebSocket through a small TCP gate of this test (byte for byte),
// so "the page is in backoff while the publishes land" is decided by the test, not by the
// client's jitter: while the gate is shut, connection attempts are reset.
//
//   node e2e/api-doc-app.e2e.mjs     (after `npm run build`; see scripts/browser-app-tests.sh)
// Env: HERALD_BIN_DIR (default ../../target/release), CHROMIUM (default /usr/bin/chromium),
//      E2E_TIMEOUT_MS (default 30000), E2E_VERBOSE=1 (the hub's log on stderr).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { Fatal, freePort, report, stop, until as waitFor } from '../../../scripts/lib/e2e.mjs';
import { mint } from './token.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const app = resolve(here, '..');
const root = resolve(app, '../..');
const binDir = resolve(process.env.HERALD_BIN_DIR ?? join(root, 'target/release'));
const dist = join(app, 'dist');
const shots = join(app, 'e2e/shots');
const fixturesDir = join(root, 'docs/protocol/fixtures/events');
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 30_000);
const until = (what, fn) => waitFor(what, fn, TIMEOUT);
const started = new Set(); // child processes this test started
const { log, check, elapsed, failures } = report('api-doc-app');
const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

// ---- tokens (HS256, docs/protocol.md §1) ----------------------------------------------------
const secret = randomBytes(32).toString('hex'); // 64 bytes; the hub wants at least 32
const USER = 'alice';
const userToken = mint(secret, { sub: USER, org: 'acme', name: 'Alice' }); // no `subscribe`: default permissions
const publisherToken = mint(secret, { sub: 'api-doc-e2e', org: 'acme', publish: ['*'] });

// ---- processes --------------------------------------------------------------------------------
// Only this test's key reaches the hub (never a developer's HERALD_DEV or other key).
const baseEnv = { ...process.env };
for (const key of ['HERALD_JWT_SECRET', 'HERALD_JWT_PUBLIC_KEY', 'HERALD_JWT_KEYS', 'HERALD_DEV', 'HERALD_LISTEN']) delete baseEnv[key];

async function startHub(port) {
  const hub = spawn(join(binDir, 'herald-hub'), ['--listen', `127.0.0.1:${port}`], {
    env: { ...baseEnv, RUST_LOG: 'warn', HERALD_JWT_SECRET: secret, HERALD_STATIC_DIR: dist },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.add(hub);
  hub.once('exit', () => started.delete(hub));
  let stderr = '';
  hub.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
    if (process.env.E2E_VERBOSE) process.stderr.write(`[hub] ${d}`);
  });
  await until('hub /healthz', async () => {
    if (hub.exitCode !== null) throw new Fatal(`herald-hub exited with ${hub.exitCode}: ${stderr.trim()}`);
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  });
  return hub;
}

// SIGKILL: the restart scenario's crashed hub, and the end of every scenario: on SIGTERM the
// hub waits its full 5 s grace for a connection that never sent a request (Chromium
// preconnects one), which would add seconds per scenario.
const kill = (hub) => stop(hub, 'SIGKILL');

/** A TCP gate in front of the hub: byte-for-byte while open; shut, it resets new connections. */
async function startGate(targetPort) {
  let open = true;
  const sockets = new Set();
  const server = createServer((client) => {
    if (!open) return client.resetAndDestroy();
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    const end = () => {
      sockets.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    shut: () => (open = false),
    open: () => (open = true),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

// ---- the hub's HTTP API -----------------------------------------------------------------------
async function publish(port, events) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${publisherToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  if (!res.ok) throw new Error(`publish: ${res.status} ${await res.text()}`);
  const { results } = await res.json();
  if (results.length !== events.length || results.some((r) => r.duplicate)) throw new Error(`publish: unexpected results ${JSON.stringify(results)}`);
  return results;
}

async function metric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

// ---- events -----------------------------------------------------------------------------------
const fixtures = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(fixturesDir, f), 'utf8')));
let seq = 0;
/** Every fixture once, with ids unique to this run; the notification goes to `user`. */
function everyKind(user) {
  seq += 1;
  return fixtures.map((event) => {
    const e = { ...event, id: `${event.id}-${process.pid}-${seq}` };
    if (e.event_type === 'user_notification') {
      e.subject = user;
      e.data = { ...e.data, userId: user };
    }
    return e;
  });
}
function scan(scanId, type = 'security_scan_completed') {
  seq += 1;
  const fixture = fixtures.find((f) => f.event_type === type);
  return {
    ...fixture,
    id: `${scanId}-${process.pid}-${seq}`,
    timestamp: new Date().toISOString(),
    subject: scanId,
    data: { ...fixture.data, scanId, scan: { ...fixture.data.scan, id: scanId } },
  };
}
function notification(user, title) {
  seq += 1;
  const fixture = fixtures.find((f) => f.event_type === 'user_notification');
  return {
    ...fixture,
    id: `n-${user}-${process.pid}-${seq}`,
    subject: user,
    data: { userId: user, notificationId: `n-${seq}`, notification: { ...fixture.data.notification, title } },
  };
}

// ---- the page ---------------------------------------------------------------------------------
let ctx;
const SUBSCRIPTIONS = 6; // pipeline, security, debug, system, architecture, user/alice

async function openPage(port, query) {
  const page = await ctx.newPage();
  const consoleErrors = [];
  const warnings = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
    if (m.type() === 'warning') warnings.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`http://127.0.0.1:${port}/?${new URLSearchParams(query)}`);
  const ids = (sel) => page.locator(`[data-testid=${sel}] [data-id]`).evaluateAll((els) => els.map((e) => e.dataset.id));
  const state = () => page.getAttribute('[data-testid=connection]', 'data-state');
  const connectionText = () => page.textContent('[data-testid=connection-text]');
  const unexpectedErrors = () => consoleErrors.filter((e) => !/WebSocket|ERR_CONNECTION_(REFUSED|RESET)|Failed to load resource/.test(e));
  return { page, ids, state, connectionText, warnings, unexpectedErrors };
}

const CATEGORIES = ['PIPELINE', 'SECURITY', 'DEBUG', 'SYSTEM', 'ARCHITECTURE', 'USER'];
const byCategory = (events) => Object.fromEntries(CATEGORIES.map((c) => [c, events.filter((e) => e.category === c)]));

// 1. Every event kind, with the token handed in the way the API document shows.
async function everyEventKind() {
  log('--- 1. every event kind, plain user token, useWebSocketConnection(authToken)');
  const port = await freePort();
  const hub = await startHub(port);
  try {
    // `hub` without a path: the client appends /ws.
    const p = await openPage(port, { hub: `ws://127.0.0.1:${port}`, token: userToken, auth: 'hook' });
    await until('Connection status: Connected', async () => (await p.connectionText()) === 'Connection status: Connected');
    await until(`${SUBSCRIPTIONS} subscriptions on the hub`, async () => (await metric(port, 'herald_subscriptions')) >= SUBSCRIPTIONS);
    check((await metric(port, 'herald_subscriptions')) === SUBSCRIPTIONS, `the page holds ${SUBSCRIPTIONS} hub subscriptions (one per category, USER as user/${USER})`);

    const other = notification('bob', 'for bob only');
    const events = everyKind(USER);
    await publish(port, [other, ...events]);
    const all = events.map((e) => e.id);
    await until(`all ${events.length} events in the all-events panel`, async () => (await p.ids('all-events')).length >= events.length);
    const shown = await p.ids('all-events');
    check(same(shown, all), `useWebSocketEvents() shows each of the ${events.length} catalogue events once`);
    const groups = byCategory(events);
    for (const category of CATEGORIES) {
      const want = groups[category].map((e) => e.id);
      const got = await until(`the ${category} panel`, async () => {
        const ids = await p.ids(`category-${category}`);
        return ids.length >= want.length && ids;
      });
      check(same(got, want), `useWebSocketCategory(EventCategory.${category}) shows its ${want.length} event(s), once each`);
    }
    check(!shown.includes(other.id), "another user's notification (user/bob) never reaches alice's page");

    // The API document's own widgets.
    const pipeline = JSON.parse(await until('the latest pipeline execution', () => p.page.textContent('[data-testid=latest-pipeline] pre')));
    check(pipeline?.executionId === 'e-7' && pipeline?.execution?.status === 'failed', "useWebSocketEvent('pipeline_execution_completed') shows the latest execution's data");
    const security = await until('the Security Events list', async () => {
      const ids = await p.ids('security-events');
      return ids.length >= groups.SECURITY.length && ids;
    });
    check(same(security, groups.SECURITY.map((e) => e.id)), 'the Security Events list (EventCategory.SECURITY) shows every security event');
    const vulnerability = groups.SECURITY.find((e) => e.event_type === 'security_vulnerability_detected');
    const row = await p.page.textContent(`[data-testid=security-events] [data-id="${vulnerability.id}"]`);
    check(row === 'security_vulnerability_detected: Prototype pollution in lodash', `a vulnerability row reads "${row}"`);
    const inbox = await until('the notification list', async () => {
      const text = await p.page.textContent('[data-testid=notifications] ul');
      return text.includes('Patch applied to checkout-service') && text;
    });
    check(inbox === 'Patch applied to checkout-service the self-healing debugger fixed e-7', `the USER notification list (EventCategory.USER) shows alice's notification: "${inbox}"`);

    check((await p.state()) === 'connected' && (await p.page.locator('[data-testid=connection-error]').count()) === 0, 'connected, no connection error');
    check((await p.page.locator('[data-testid=refused] li').count()) === 0, 'no refused subscription');
    check(!p.warnings.some((w) => /forbidden|refused/i.test(w)), `no refusal warning in the console (${p.warnings.length} warnings)`);
    check(p.unexpectedErrors().length === 0, `no console errors ${JSON.stringify(p.unexpectedErrors())}`);
    await p.page.screenshot({ path: join(shots, '1-every-kind.png'), fullPage: true });
    await p.page.close();
  } finally {
    await kill(hub);
  }
}

// 2. A restarted hub: the 7 scans published while the page was in backoff all show, once.
async function hubRestart(auth) {
  log(`--- 2. hub restart, auth=${auth}`);
  const port = await freePort();
  let hub = await startHub(port);
  const gate = await startGate(port);
  try {
    const p = await openPage(port, { hub: `ws://127.0.0.1:${gate.port}/ws`, token: userToken, auth, backoffMs: '200', backoffCapMs: '800' });
    await until('Connection status: Connected', async () => (await p.connectionText()) === 'Connection status: Connected');
    await until(`${SUBSCRIPTIONS} subscriptions on the hub`, async () => (await metric(port, 'herald_subscriptions')) >= SUBSCRIPTIONS);
    const before = scan(`scan-before-${auth}`, 'security_scan_started');
    await publish(port, [before]);
    await until('the first scan on the page', async () => (await p.ids('security-events')).includes(before.id));

    gate.shut();
    await kill(hub);
    await until('the page noticing the hub is gone', async () => (await p.connectionText()) === 'Connection status: Disconnected');
    // In backoff, after at least one attempt refused at the shut gate.
    await until('the page in backoff after a failed attempt', async () => (await p.state()) === 'reconnecting' && Number(await p.page.getAttribute('[data-testid=connection]', 'data-attempt')) >= 2);

    hub = await startHub(port); // same port, same secret, a new epoch and empty history
    const scans = Array.from({ length: 7 }, (_, i) => scan(`scan-r${i + 1}-${auth}`));
    const results = await publish(port, scans);
    const text = await p.connectionText();
    check(text === 'Connection status: Disconnected', `the 7 scans were acknowledged (offsets ${results.map((r) => r.offset).join(',')}) while the page said "${text}"`);

    gate.open();
    await until('reconnected', async () => (await p.connectionText()) === 'Connection status: Connected');
    const want = scans.map((s) => s.id);
    await until('the 7 scans on the page', async () => {
      const shown = await p.ids('security-events');
      return want.every((id) => shown.includes(id));
    });
    const after = scan(`scan-after-${auth}`);
    await publish(port, [after]);
    await until('a live scan after the reload', async () => (await p.ids('security-events')).includes(after.id));

    const expected = [before.id, ...want, after.id];
    check(same(await p.ids('security-events'), expected), `the Security Events list shows the scan before, all 7 published during the outage and the one after, once each`);
    check(same(await p.ids('category-SECURITY'), expected), 'so does the SECURITY panel');
    check(same(await p.ids('all-events'), expected), 'so does useWebSocketEvents()');
    const replayed = Number(await p.page.getAttribute('[data-testid=category-SECURITY]', 'data-replayed'));
    check(replayed === 7, `the 7 came from the reload after the resync (delivery.replayed: ${replayed})`);
    if (auth === 'getToken') {
      const calls = await p.page.evaluate(() => window.__apiDocApp.getTokenCalls);
      // The client keeps a token the hub accepted across reconnects; it calls the provider
      // again after a 4401 and before expiry (docs/subscriber.md).
      check(calls >= 1, `the token came from getToken (${calls} call(s))`);
    }
    check(p.unexpectedErrors().length === 0, `no unexpected console errors ${JSON.stringify(p.unexpectedErrors())}`);
    await p.page.screenshot({ path: join(shots, `2-restart-${auth}.png`), fullPage: true });
    await p.page.close();
  } finally {
    await gate.close();
    await kill(hub);
  }
}
// 3. A refused fixed token is final: `closed` with `invalid_token`; a provider's is reported and
//    the provider asked again; never a loop of refused attempts.
async function garbageToken(auth) {
  log(`--- 3. garbage token, auth=${auth}`);
  const port = await freePort();
  const hub = await startHub(port);
  try {
    const p = await openPage(port, { hub: `ws://127.0.0.1:${port}/ws`, token: 'not.a.jwt', auth, backoffMs: '50', backoffCapMs: '100' });
    const error = p.page.locator('[data-testid=connection-error]');
    if (auth === 'getToken') {
      // A provider may have a better token later: it is asked again (with backoff), and the
      // refusal is reported, but no connection is attempted with the token the hub refused.
      await until('the token error', async () => (await error.getAttribute('data-code')) === 'token');
      const text = await error.textContent();
      check(text.includes('invalid_token'), `the provider's refused token is reported with the hub's code: "${text}"`);
    } else {
      await until('the closed state', async () => (await p.state()) === 'closed');
      const detail = await error.getAttribute('data-detail');
      check(detail === 'invalid_token', `closed with the hub's code (${await error.getAttribute('data-code')}: ${detail}): "${await error.textContent()}"`);
    }
    check((await p.connectionText()) === 'Connection status: Disconnected', 'the example says Disconnected');
    const failures = await metric(port, 'herald_auth_failures_total');
    // A deliberate observation window (not a readiness wait): 20 backoff caps of 100 ms, in
    // which a client that retried would try again many times.
    await new Promise((r) => setTimeout(r, 2000));
    const later = await metric(port, 'herald_auth_failures_total');
    const settled = auth === 'getToken' ? (await p.state()) !== 'connected' : (await p.state()) === 'closed';
    check(settled && later === failures && failures <= 2, `no retry loop: ${failures} refused attempt(s), none in the 2 s after`);
    await p.page.screenshot({ path: join(shots, `3-garbage-token-${auth}.png`), fullPage: true });
    await p.page.close();
  } finally {
    await kill(hub);
  }
}

// 4. A subscription the plain token may not hold: refused, visibly; the rest keeps working.
async function forbiddenChannel() {
  log("--- 4. useChannel('user'): the whole user channel, with a plain token");
  const port = await freePort();
  const hub = await startHub(port);
  try {
    const p = await openPage(port, { hub: `ws://127.0.0.1:${port}/ws`, token: userToken, auth: 'token', forbidden: '1' });
    const refused = p.page.locator('[data-testid=refused] li');
    await until('the refusal in the connection', async () => (await refused.count()) >= 1);
    check((await refused.count()) === 1 && (await refused.getAttribute('data-detail')) === 'forbidden' && (await refused.getAttribute('data-channel')) === 'user' && (await refused.getAttribute('data-subject')) === '', `useWebSocketConnection().refused: "${await refused.textContent()}"`);
    const hookError = p.page.locator('[data-testid=whole-user-channel-error]');
    await until("the hook's error", async () => (await hookError.count()) === 1);
    check((await hookError.getAttribute('data-detail')) === 'forbidden' && (await hookError.getAttribute('data-channel')) === 'user', `useChannel('user').error: "${await hookError.textContent()}"`);
    check((await p.connectionText()) === 'Connection status: Connected', 'the connection itself stays up');
    const warned = p.warnings.filter((w) => /forbidden/.test(w) && /user/.test(w));
    check(warned.length === 1, `one console warning names the code and the channel: ${JSON.stringify(warned)}`);
    await until(`${SUBSCRIPTIONS} subscriptions on the hub`, async () => (await metric(port, 'herald_subscriptions')) >= SUBSCRIPTIONS);
    const mine = notification(USER, 'still delivered');
    await publish(port, [mine]);
    await until("alice's notification", async () => (await p.ids('notifications')).includes(mine.id));
    check((await p.ids('whole-user-channel')).length === 0, "alice's own notifications still arrive; the refused whole-channel list stays empty");
    check(p.unexpectedErrors().length === 0, `no console errors ${JSON.stringify(p.unexpectedErrors())}`);
    await p.page.screenshot({ path: join(shots, '4-forbidden.png'), fullPage: true });
    await p.page.close();
  } finally {
    await kill(hub);
  }
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'herald-api-doc-app-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1200, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await everyEventKind();
    await hubRestart('token');
    await hubRestart('getToken');
    for (const auth of ['token', 'getToken', 'hook']) await garbageToken(auth);
    await forbiddenChannel();
  } finally {
    await ctx.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    await Promise.all([...started].map((child) => stop(child)));
  }
}

main().then(
  () => {
    console.log(failures() === 0 ? `\napi-doc-app e2e: all checks passed (${elapsed()} s)` : `\napi-doc-app e2e: ${failures()} check(s) FAILED`);
    process.exit(failures() === 0 ? 0 : 1);
  },
  async (error) => {
    console.error(`\napi-doc-app e2e FAILED: ${error.stack ?? error}`);
    await Promise.all([...started].map((child) => stop(child)));
    process.exit(1);
  },
);

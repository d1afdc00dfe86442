/**
 * The operator console in a real browser (headless Chromium, puppeteer-core), against the real
 * gateway process (the `npm start` bundle) serving a seeded fleet (seed.ts): the pages are
 * unreachable without a session, a wrong token is refused, a viewer logs in and sees the right
 * counts and rows, searches, filters and sorts, opens a device and sees a chart of its uploaded
 * points, sees the rollout's progress and the security chart; the numbers refresh live without a
 * reload; revoking the viewer's token ends the session in the open page; logout works. Any console
 * error, page error, failed request or unexpected HTTP error fails the test. Screenshots of each
 * page go to .build/ui-screenshots/ (UPDATE_SCREENSHOTS=1 also refreshes server/ui/screenshots/,
 * which the README shows).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { browserContext } from '../helpers/browser.ts';
import { ADMIN_TOKEN } from '../helpers/gateway.ts';
import { ROOT, runProcess, startGatewayProcess, type GatewayProcess } from '../helpers/process.ts';
import { CHART_SAMPLES, seedFleet, type SeededFleet } from './seed.ts';

const SHOTS = join(ROOT, '.build', 'ui-screenshots');
const COMMITTED_SHOTS = join(ROOT, 'server', 'ui', 'screenshots');

let fleet: SeededFleet;
let gw: GatewayProcess;
let session: Awaited<ReturnType<typeof browserContext>>;
let page: Page;
/** Everything that went wrong in the browser; checked after every step. */
const problems: string[] = [];
/** Responses with these statuses at these paths are what a step expects (a refused login, an ended session). */
let expectedErrors: { status: number; path: string }[] = [];

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

async function shot(name: string, p: Page = page): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await p.screenshot({ path: join(SHOTS, `${name}.png`) as `${string}.png`, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(COMMITTED_SHOTS, { recursive: true });
    await p.screenshot({ path: join(COMMITTED_SHOTS, `${name}.png`) as `${string}.png` });
  }
}

function watch(p: Page): void {
  p.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warn') return;
    // Chromium logs every HTTP error as "Failed to load resource"; an expected one is no problem.
    const url = m.location()?.url;
    const status = Number(/status of (\d+)/.exec(m.text())?.[1]);
    if (url && expectedErrors.some((e) => e.status === status && e.path === new URL(url).pathname)) return;
    problems.push(`console ${m.type()}: ${m.text()} (${url ?? ''})`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  p.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  p.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (r.status() >= 400 && !expectedErrors.some((e) => e.status === r.status() && e.path === path)) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
}

function noProblems(step: string): void {
  assert.equal(problems.splice(0), [], `browser problems during: ${step}`);
}

async function countCards(): Promise<Record<string, number>> {
  return page.$$eval('.count', (cards) =>
    Object.fromEntries(cards.map((c) => [c.querySelector('.count-label')!.textContent!.trim(), Number(c.querySelector('.count-value')!.textContent!.replace(/,/g, ''))])),
  );
}

async function rows(): Promise<{ id: string; status: string; firmware: string; config: string; uploads: string; rejected: string }[]> {
  return page.$$eval('#fleet-table tbody tr', (trs) =>
    trs.map((tr) => {
      const cells = [...tr.querySelectorAll('th, td')].map((c) => c.textContent!.trim());
      return { id: cells[0]!, status: cells[1]!, firmware: cells[4]!, config: cells[5]!, uploads: cells[6]!, rejected: cells[7]! };
    }),
  );
}

async function login(token: string): Promise<void> {
  await page.goto(`${gw.url}/ui/login`, { waitUntil: 'load' });
  await page.type('#token', token);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
}

test.before(async () => {
  fleet = await seedFleet();
  gw = await startGatewayProcess(
    { DATA_DIR: join(fleet.dir, 'data'), KEYS_DIR: join(fleet.dir, 'keys'), FIRMWARE_DIR: join(fleet.dir, 'firmware'), ADMIN_TOKEN, DURABILITY: 'write' },
    { bundle: true },
  );
  session = await browserContext();
  page = await session.context.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  watch(page);
});

test.after(async () => {
  await session?.close();
  await gw?.kill();
});

test('without a session the pages send you to the login form; a wrong token is refused', async () => {
  await page.goto(`${gw.url}/ui/devices/meter-01`, { waitUntil: 'load' });
  assert.is(new URL(page.url()).pathname, '/ui/login');
  assert.is(new URL(page.url()).searchParams.get('next'), '/ui/devices/meter-01');
  await shot('login');
  expectedErrors = [{ status: 401, path: '/ui/login' }];
  await page.type('#token', 'fgt_not-a-real-token-at-all-0000000000');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  assert.is(new URL(page.url()).pathname, '/ui/login');
  assert.match(await page.$eval('[role=alert]', (e) => e.textContent!), /wrong or revoked/);
  expectedErrors = [];
  noProblems('refused login');
});

test('a viewer logs in and sees the right counts and rows; search, filter and sort', async () => {
  const res = await admin('POST', '/tokens', { name: 'vera', role: 'viewer' });
  assert.is(res.status, 201);
  const { token } = (await res.json()) as { token: string };
  await login(token);
  assert.is(new URL(page.url()).pathname, '/ui/');
  assert.match(await page.$eval('.who-name', (e) => e.textContent!), /vera\s*\(viewer\)/);
  assert.equal(await countCards(), fleet.expected.counts);

  const all = await rows();
  assert.is(all.length, 12);
  const byId = Object.fromEntries(all.map((r) => [r.id, r]));
  for (const id of fleet.expected.online) assert.is(byId[id]!.status, 'Online', id);
  for (const id of fleet.expected.offline) assert.is(byId[id]!.status, 'Offline', id);
  assert.is(byId['spare-1']!.status, 'Never seen');
  assert.is(byId['stolen-1']!.status, 'Revoked');
  assert.equal([byId['meter-01']!.firmware, byId['meter-02']!.firmware, byId['meter-03']!.firmware], ['1.1.0', '1.1.0', '1.0.0'], 'OTA installs beat older diagnostics');
  assert.is(byId['meter-01']!.config, 'v2 ✓');
  assert.match(byId['meter-02']!.config, /v1 → v2 behind/);
  assert.equal([byId['meter-01']!.uploads, byId['meter-05']!.rejected, byId['meter-06']!.rejected], ['3', '3', '1']);
  await shot('fleet');

  // Search and filter through the form, with the keyboard.
  await page.type('input[name=q]', 'meter');
  await page.select('select[name=status]', 'offline');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('.filter-actions button')]);
  assert.equal((await rows()).map((r) => r.id), fleet.expected.offline);
  // Sort by uploads in the last 24 h, most first (click the header twice).
  await page.goto(`${gw.url}/ui/`, { waitUntil: 'load' });
  for (let i = 0; i < 2; i++) {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('th a[href*="sort=uploads_24h"]')]);
  }
  assert.is(new URL(page.url()).searchParams.get('order'), 'desc');
  assert.is((await rows())[0]!.id, 'meter-01');
  // A tag link filters by tag.
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('a.tag[href*="canary"]')]);
  assert.equal((await rows()).map((r) => r.id), ['meter-01']);
  noProblems('fleet page');
});

test('a device page shows a chart of the uploaded points, its events, commands, config and OTA state', async () => {
  await page.goto(`${gw.url}/ui/`, { waitUntil: 'load' });
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('a[href="/ui/devices/meter-01"]')]);
  await page.waitForSelector('#telemetry canvas');
  const data = JSON.parse(await page.$eval('#chart-telemetry', (e) => e.textContent!)) as { field: string; t: number[]; avg: number[]; samples: number };
  assert.is(data.field, 'power');
  assert.is(data.samples, CHART_SAMPLES);
  assert.is(data.t.length, CHART_SAMPLES, 'few enough to plot every point');
  assert.is(Math.round(data.avg[0]!), 500);
  const legend = await page.$$eval('.u-legend .u-series', (s) => s.map((e) => e.textContent!.trim()));
  assert.ok(legend.some((l) => l.startsWith('power')), `legend: ${legend.join(' | ')}`);
  const box = await page.$eval('#telemetry canvas', (c) => ({ w: (c as unknown as { width: number }).width, h: (c as unknown as { height: number }).height }));
  assert.ok(box.w > 300 && box.h > 150, `canvas ${box.w}x${box.h}`);
  assert.match(await page.$eval('#commands', (e) => e.textContent!), /reboot[\s\S]*completed/);
  assert.match(await page.$eval('#ota', (e) => e.textContent!), /installed\s*1\.1\.0/);
  assert.match(await page.$eval('#config', (e) => e.textContent!), /Effective version v2; applied v2/);
  await shot('device');

  // Switch the chart to another field over the last hour (the form, keyboard only).
  await page.select('select[name=field]', 'voltage');
  await page.click('input[name=range][value=hour]');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#telemetry-title ~ form button')]);
  const voltage = JSON.parse(await page.$eval('#chart-telemetry', (e) => e.textContent!)) as { field: string; samples: number };
  assert.equal([voltage.field, voltage.samples], ['voltage', CHART_SAMPLES]);

  await page.goto(`${gw.url}/ui/devices/meter-02`, { waitUntil: 'load' });
  const events = await page.$eval('#events', (e) => e.textContent!);
  assert.match(events, /Power loss/);
  assert.match(events, /Power restored/);
  assert.match(events, /Back online/);
  assert.match(await page.$eval('#commands', (e) => e.textContent!), /set_power[\s\S]*pending/);
  // A layer for meter-02's group: the page says which value comes from it (meter-02 is behind already).
  assert.is((await admin('PUT', '/config/tags/site:paris', { upload_frequency: 120, priority: 2 })).status, 200);
  await page.goto(`${gw.url}/ui/devices/meter-02`, { waitUntil: 'load' });
  assert.match(await page.$eval('#config', (e) => e.textContent!), /Tag layers, the later winning a field both set: site:paris \(priority 2\)\./);
  const from = Object.fromEntries(
    await page.$$eval('#config tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th')!.textContent!.trim(), [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim()).join(' ')])),
  );
  assert.equal([from['upload_frequency'], from['heartbeat_interval']], ['120 tag site:paris', '60 built-in']);
  await page.goto(`${gw.url}/ui/devices/meter-03`, { waitUntil: 'load' });
  assert.match(await page.$eval('#events', (e) => e.textContent!), /Reboot/);
  await page.goto(`${gw.url}/ui/devices/stolen-1`, { waitUntil: 'load' });
  assert.match(await page.$eval('#device-status', (e) => e.textContent!), /Revoked/);
  assert.match(await page.$eval('#config', (e) => e.textContent!), /Revoked devices get no configuration/);
  assert.match(await page.$eval('.cli', (e) => e.textContent!), /fleetgate device reinstate stolen-1/);
  noProblems('device pages');
});

test('the firmware page shows the images, the rollout progress and the download in progress', async () => {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('nav.nav a[href="/ui/firmware"]')]);
  const rollout = await page.$eval('#rollouts tbody tr', (tr) => tr.textContent!);
  assert.match(rollout, /1\.1\.0/);
  assert.match(rollout, /2 of 4 devices updated, 1 failed/);
  assert.match(rollout, /33\.3 %/);
  assert.equal(await page.$eval('#rollouts progress', (p) => [(p as unknown as { value: number }).value, (p as unknown as { max: number }).max]), [2, 4]);
  assert.match(await page.$eval('#sessions', (e) => e.textContent!), /meter-04[\s\S]*40 % \(8\/20 chunks\)/);
  const images = await page.$$eval('#images tbody tr', (trs) => trs.map((tr) => tr.textContent!));
  assert.match(images[0]!, /1\.1\.0[\s\S]*rollout ro_/);
  assert.match(await page.$eval('#versions', (e) => e.textContent!), /1\.1\.0\s*2 devices/);
  await shot('firmware');
  noProblems('firmware page');
});

test('the security page charts outcomes per hour and names the devices with the most rejections', async () => {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('nav.nav a[href="/ui/security"]')]);
  await page.waitForSelector('#outcomes canvas');
  const top = await page.$$eval('#top-rejected tbody tr', (trs) => trs.map((tr) => tr.querySelector('th')!.textContent!.trim()));
  assert.equal(top, ['meter-05', 'meter-06']);
  assert.match(await page.$eval('#outcomes figcaption', (e) => e.textContent!), /3 bad signatures/);
  await shot('security');
  noProblems('security page');
});

test('live: a device heard from for the first time moves the counts without a reload', async () => {
  await page.goto(`${gw.url}/ui/`, { waitUntil: 'load' });
  await page.evaluate('window.marker = 42');
  const key = fleet.keys.get('spare-1')!;
  const res = await fetch(`${gw.url}/aggregated/spare-1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signEnvelope(key, 'spare-1', fleet.nonces.get('spare-1')!, { aggregated_data: [{ timestamp: Math.floor(Date.now() / 1000), power: 300 }] })),
  });
  assert.is(res.status, 200);
  await page.waitForFunction(`document.querySelector('a.count[href="/ui/?status=online"] .count-value')?.textContent === '5'`, { timeout: 15_000 });
  assert.is(await page.evaluate('window.marker'), 42, 'the same page, not a reload');
  assert.is((await countCards())['Never seen'], 2);
  assert.match(await page.$eval('#live-status', (e) => e.textContent!), /updated at/);
  noProblems('live refresh');
});

test('/metrics says what the console says about the same fleet, and promtool finds nothing to say', async () => {
  const text = await (await admin('GET', '/metrics')).text();
  for (const line of [
    'fleetgate_devices{status="online"} 5',
    'fleetgate_devices{status="offline"} 4',
    'fleetgate_devices{status="never_seen"} 2',
    'fleetgate_devices{status="revoked"} 1',
    'fleetgate_devices_config_behind 10',
    'fleetgate_devices_latest_firmware 2',
    'fleetgate_devices_firmware{version="1.1.0"} 2',
    'fleetgate_ota_sessions{state="active"} 1',
    'fleetgate_commands_open{state="pending"} 1',
    'fleetgate_commands_open{state="sent"} 1',
  ]) {
    assert.ok(text.includes(`\n${line}\n`), line);
  }
  assert.match(text, /\nfleetgate_rollout_results\{rollout="ro_[0-9a-f]+",version="1\.1\.0",result="success"\} 2\n/);
  assert.match(text, /\nfleetgate_rollout_results\{rollout="ro_[0-9a-f]+",version="1\.1\.0",result="failure"\} 1\n/);
  assert.match(text, /\nfleetgate_rollout_paused\{rollout="ro_[0-9a-f]+",version="1\.1\.0"\} 0\n/);
  const setup = await runProcess('bash', ['scripts/setup-prometheus.sh'], { timeoutMs: 600_000 });
  assert.is(setup.code, 0, setup.stderr);
  const check = await runProcess(setup.stdout.trim().split('\n').pop()!, ['check', 'metrics'], { input: text });
  assert.is(check.stdout + check.stderr, '', 'promtool reports problems');
});

test('revoking the viewer token ends its session in the open page; an admin logs in and out', async () => {
  expectedErrors = [{ status: 401, path: '/ui/' }];
  assert.is((await admin('DELETE', '/tokens/vera')).status, 200);
  await page.waitForFunction(`location.pathname === '/ui/login'`, { timeout: 15_000 });
  assert.match(await page.$eval('[role=status]', (e) => e.textContent!), /session ended/);
  expectedErrors = [];
  await login(ADMIN_TOKEN);
  assert.match(await page.$eval('.who-name', (e) => e.textContent!), /bootstrap/);
  // The phone layout.
  const phone = await session.context.newPage();
  watch(phone);
  await phone.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  await phone.goto(`${gw.url}/ui/`, { waitUntil: 'load' });
  const overflow = await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  assert.is(overflow, 0, 'nothing wider than the phone (tables scroll inside their card)');
  await shot('fleet-phone', phone);
  await phone.close();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('.who button')]);
  assert.is(new URL(page.url()).pathname, '/ui/login');
  await page.goto(`${gw.url}/ui/security`, { waitUntil: 'load' });
  assert.is(new URL(page.url()).pathname, '/ui/login', 'logged out for good');
  noProblems('logout');
});

test.run();

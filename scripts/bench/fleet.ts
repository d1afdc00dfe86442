/**
 * Fleet-view benchmark: the console and the paginated device list at 10,000 devices. The gateway
 * (the `npm start` bundle, embedded store) gets 10,000 devices in one bulk registration (tagged
 * across 20 sites), one signed upload from each and a second from every other one, so every row
 * has a last-seen time, a last upload and 24-hour counts. Then each view is requested 200 times,
 * one after the other on one keep-alive connection (one operator), each timed to its last byte, with
 * `GET /health` on the same gateway in the same run as the baseline (the cost of any request:
 * socket, routing, logging): the ratio says what the view itself costs. Target: every page under
 * 300 ms at p99. Also measured: a /metrics scrape (fleet series included) and the unpaginated
 * `GET /devices` (all 10,000 at once) for comparison.
 * Runs alone: `npx tsx scripts/bench/fleet.ts` (BENCH_FLEET_DEVICES, BENCH_FLEET_REQUESTS).
 */
import { pathToFileURL } from 'node:url';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { adminFetch, BENCH_ADMIN_TOKEN, load, startGateway, timedGets, type GetTiming, type PreparedRequest } from './harness.ts';

const DEVICES = Number(process.env.BENCH_FLEET_DEVICES ?? 10_000);
const REQUESTS = Number(process.env.BENCH_FLEET_REQUESTS ?? 200);
const idOf = (i: number) => `dev-${String(i).padStart(5, '0')}`;
const TARGET_MS = 300;

async function register(url: string): Promise<Map<string, Uint8Array>> {
  const devices = Array.from({ length: DEVICES }, (_, i) => ({ device_id: idOf(i), tags: [`site:s${i % 20}`] }));
  const res = await adminFetch(url, 'POST', '/devices/bulk', { devices });
  if (res.status !== 201) throw new Error(`bulk registration: ${res.status} ${await res.text()}`);
  const out = (await res.json()) as { devices: { device_id: string; hmac_key: string }[] };
  return new Map(out.devices.map((d) => [d.device_id, Buffer.from(d.hmac_key, 'hex')]));
}

function uploads(keys: Map<string, Uint8Array>): PreparedRequest[] {
  const now = Math.floor(Date.now() / 1000);
  const out: PreparedRequest[] = [];
  for (const round of [1, 2]) {
    let i = 0;
    for (const [id, key] of keys) {
      if (round === 2 && i++ % 2 === 1) continue;
      const batch = [{ timestamp: now - 60 * round, voltage: 230 + (i % 5), power: 400 + (i % 97) }];
      out.push({
        method: 'POST',
        path: `/aggregated/${id}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(signEnvelope(key, id, round, { aggregated_data: batch })),
      });
    }
  }
  return out;
}

/** A console session: the login form's cookie and CSRF token, then the posted token. */
async function consoleCookie(url: string): Promise<string> {
  const form = await fetch(`${url}/ui/login`);
  const pre = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${url}/ui/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, token: BENCH_ADMIN_TOKEN }).toString(),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith('fleetgate_console='));
  if (res.status !== 303 || !session) throw new Error(`console login: ${res.status}`);
  return session.split(';')[0]!;
}

interface ViewResult {
  path: string;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  /** p50 over the baseline's p50. */
  ratio: number;
  bytes: number;
  under_target: boolean;
}

export async function runFleetBench() {
  const gateway = await startGateway({ DURABILITY: 'write' });
  try {
    const t0 = performance.now();
    const keys = await register(gateway.url);
    const registerMs = performance.now() - t0;
    const up = await load(gateway.url, uploads(keys), 20);
    if (up.non2xx > 0 || up.errors > 0) throw new Error(`uploads: ${up.non2xx} non-2xx, ${up.errors} errors`);
    const cookie = await consoleCookie(gateway.url);
    const api = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };

    // A cursor five pages deep into the fleet sorted by last seen, newest first.
    let cursor = '';
    for (let p = 0; p < 5; p++) {
      const page = (await (await fetch(`${gateway.url}/devices?limit=100&sort=last_seen&order=desc${cursor ? `&cursor=${cursor}` : ''}`, { headers: api })).json()) as { next_cursor: string };
      cursor = page.next_cursor;
    }
    const views: [string, Record<string, string>][] = [
      ['/health', {}],
      ['/devices?limit=100', api],
      [`/devices?limit=100&sort=last_seen&order=desc&cursor=${cursor}`, api],
      ['/devices?limit=100&q=12&status=online&sort=uploads_24h&order=desc', api],
      ['/ui/', { cookie }],
      ['/ui/?sort=uploads_24h&order=desc&limit=200', { cookie }],
      ['/ui/?tag=site:s7&status=online', { cookie }],
      [`/ui/devices/${idOf(Math.floor(DEVICES * 0.4242))}`, { cookie }],
      ['/ui/firmware', { cookie }],
      ['/ui/security', { cookie }],
      ['/metrics', api],
      ['/devices', api],
    ];
    const results: ViewResult[] = [];
    let baseline: GetTiming | undefined;
    for (const [path, headers] of views) {
      const r = await timedGets(gateway.url + path, headers, REQUESTS, 20);
      baseline ??= r;
      results.push({ path: path.replace(cursor, '<5th page>'), p50ms: r.p50ms, p99ms: r.p99ms, maxMs: r.maxMs, ratio: r.p50ms / baseline.p50ms, bytes: r.bytes, under_target: r.p99ms < TARGET_MS });
      console.log(`  ${path.slice(0, 70).padEnd(70)} p50 ${r.p50ms} ms  p99 ${r.p99ms} ms  max ${r.maxMs} ms  ${r.bytes} B`);
    }
    return { devices: DEVICES, requests_per_view: REQUESTS, register_ms: Math.round(registerMs), uploads: up.requests, target_ms: TARGET_MS, views: results };
  } finally {
    await gateway.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runFleetBench(), null, 2));
}

/**
 * `fleetgate db import` end to end (issue 14, "Moving an existing installation"): an embedded
 * gateway with real traffic is stopped, its DATA_DIR and FIRMWARE_DIR are imported into a fresh
 * PostgreSQL database by the real CLI, and a gateway on that database (with an empty FIRMWARE_DIR
 * of its own) answers as the embedded one did — every admin view byte for byte, the same envelopes
 * re-sent are duplicates with the same stored answer or replays, the OTA session resumes, an
 * offline device's return is reported once, the token still signs in and the console session
 * opened with it still holds, config versions go on
 * above the imported ones. Then: a second import is refused without --force; with --force, twice,
 * it copies nothing more and never lowers a floor the database has.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import postgres from 'postgres';
import { controlPlaneOf } from '../../../server/control-plane/index.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { freshDatabase } from '../../helpers/postgres.ts';
import { fleetgate } from '../../cli/live.ts';
import { buildInstallation, IMAGE, upload, type Installation } from './installation.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** Admin views compared between the two gateways: every kind of state the import moves. */
const VIEWS = (start: number) => [
  '/devices',
  '/devices?limit=100',
  '/devices/meter-1',
  '/devices/meter-6',
  '/telemetry/meter-1?limit=100000',
  '/telemetry/meter-1?format=csv',
  `/telemetry/meter-1?from=${iso(start + 12 * 3_600_000)}&limit=7`,
  `/telemetry?field=power&from=${iso(start - 3_600_000)}&to=${iso(start + 2 * 86_400_000)}&bucket=3600`,
  '/commands/meter-2',
  '/config/defaults',
  '/config/tags',
  '/config/tags/south',
  '/config/meter-1',
  '/config/meter-2',
  '/config/meter-3',
  '/config/fleet',
  '/diagnostics/meter-2',
  '/diagnostics/summary',
  '/events',
  '/devices/meter-4/events',
  '/audit?limit=1000',
  '/audit?actor=token:ops',
  '/ota/status/meter-3',
  '/ota/stats',
  '/ota/rollouts',
  '/ota/images',
  '/tokens',
  '/security/stats',
];

async function views(inst: Installation): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of VIEWS(inst.start)) {
    const res = await inst.gw.admin('GET', path);
    let text = await res.text();
    // The image cache's figures are this process's memory, not stored state.
    if (path === '/ota/stats') text = JSON.stringify({ ...(JSON.parse(text) as object), cache: 'per process' });
    // The builds and their releases, not where this gateway keeps them (dir, store) or caches them.
    if (path === '/ota/images') {
      const { images } = JSON.parse(text) as { images: Record<string, unknown>[] };
      text = JSON.stringify(images.map(({ cached: _c, ...image }) => image));
      const rollouts = ((await (await inst.gw.admin('GET', '/ota/rollouts')).json()) as { rollouts: { id: string }[] }).rollouts;
      for (const r of rollouts) text += ` ${await (await inst.gw.admin('GET', `/ota/rollouts/${r.id}`)).text()}`;
    }
    out.set(path, `${res.status} ${text}`);
  }
  return out;
}

async function etag(inst: Installation): Promise<string | null> {
  const res = await inst.gw.admin('HEAD', `/ota/firmware/${IMAGE}`);
  assert.is(res.status, 200);
  return res.headers.get('etag');
}

let inst: Installation;
let url: string;

test('an embedded installation moves to PostgreSQL: a gateway there answers exactly as the embedded one did', async () => {
  inst = await buildInstallation();
  const { gw, devices } = inst; // devices follow inst.gw
  const lastUpload = inst.envelopes.get(105)!;
  const duplicateBefore = await upload(gw, lastUpload);
  const duplicateBeforeBody = await duplicateBefore.text();
  await gw.close();
  // What the embedded store holds, as a gateway started on it shows it (a running gateway's views
  // may still lag what it writes at shutdown: security counters, activity, events in flight).
  inst.gw = await startTestGateway({ dir: inst.fx.dir, clock: inst.clock, backend: 'embedded' });
  const before = await views(inst);
  const tagBefore = await etag(inst);
  await inst.gw.close();

  url = await freshDatabase('import');
  const run = await fleetgate(['db', 'import', '--data-dir', inst.dataDir, '--database-url', url, '--firmware-dir', inst.fx.firmwareDir, '--keys-dir', inst.keysDir]);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /^\s+devices\s+6 copied$/m);
  assert.match(run.stdout, /^\s+nonces\s+4 devices' floors \(3 with a stored reply\): 4 copied$/m);
  assert.match(run.stdout, /^\s+telemetry\s+50 samples in 5 batches from 1 device$/m);
  assert.match(run.stdout, /^\s+firmware images\s+4 stored from \S+ \(1\.1\.0, 1\.9\.0, 2\.0\.0, 2\.1\.0\)$/m);
  assert.match(run.stdout, /^\s+firmware releases\s+4 copied \(2 published\)$/m);
  assert.match(run.stdout, /^\s+rollouts\s+2 copied \(2 active, 1 device stages\)$/m);
  assert.match(run.stdout, /^\s+notification cooldowns\s+skipped: /m);
  assert.match(run.stdout, /^\s+remote config\s+fleet defaults copied \(version 2\), 2 device overrides copied, 3 tag layers copied, 1 membership stamp copied or raised; config_version is now (\d+) \(imported up to \1\)$/m);

  inst.gw = await startTestGateway({ dir: inst.fx.dir, clock: inst.clock, backend: 'embedded', env: { DATABASE_URL: url, FIRMWARE_DIR: join(inst.fx.dir, 'firmware-of-the-replica') } });
  assert.is(inst.gw.ctx.store.backend, 'postgres');
  const after = await views(inst);
  for (const path of VIEWS(inst.start)) assert.fixture(after.get(path)!, before.get(path)!, path);
  assert.is(await etag(inst), tagBefore, 'the image, stored in the database, keeps its ETag');

  // The same envelopes again: the last one is a duplicate with the same answer, older ones replays.
  const duplicate = await upload(inst.gw, lastUpload);
  assert.is(duplicate.status, 200);
  assert.is(await duplicate.text(), duplicateBeforeBody, 'the duplicate answer, byte for byte');
  for (const nonce of [101, 104]) assert.is((await upload(inst.gw, inst.envelopes.get(nonce)!)).status, 401, `upload ${nonce} is a replay`);
  const poll = await devices.m2.send(inst.lastPoll.nonce, 'GET', '/commands/meter-2/poll');
  assert.is(poll.status, 200);
  assert.ok(poll.body.equals(inst.lastPoll.reply.body), 'the poll re-sent gets its stored answer, byte for byte');
  assert.ok(poll.signed);
  assert.is((await devices.m2.send(inst.lastPoll.nonce - 1, 'GET', '/commands/meter-2/poll')).status, 401, 'an older nonce is a replay');

  // Devices carry on where they were.
  const next = await devices.m2.poll();
  assert.is(next.json.command?.parameters.relay, 2, 'the next poll gets the second command');
  const resumed = await devices.m3.request<{ outcome: string; next_chunk: number }>('POST', '/ota/initiate/meter-3', { firmware_version: IMAGE });
  assert.equal([resumed.json.outcome, resumed.json.next_chunk], ['resumed', 3], 'the OTA session resumes after the three chunks served');
  await devices.m4.poll();
  await controlPlaneOf(inst.gw.ctx).events.idle();
  const events = (await (await inst.gw.admin('GET', '/devices/meter-4/events')).json()) as { events: { type: string }[] };
  assert.equal(events.events.map((e) => e.type), ['offline', 'online'], 'meter-4 was still offline: its return is reported once');

  // Config versions go on above every imported one.
  const fleet = JSON.parse(before.get('/config/fleet')!.slice(4)) as { latest_version: number };
  const changed = (await (await inst.gw.admin('PUT', '/config/defaults', { heartbeat_interval: 61 })).json()) as { config_version: number };
  assert.is(changed.config_version, fleet.latest_version + 1);

  // Tokens: the live one signs in on the database's gateway, the revoked one does not.
  const as = (token: string) => inst.gw.app.request('/devices', { headers: { authorization: `Bearer ${token}` } });
  assert.is((await as(inst.tokens.live)).status, 200);
  assert.is((await as(inst.tokens.revoked)).status, 401);
  // The operator logged in to the console stays logged in.
  const page = await inst.gw.app.request('/ui/', { headers: { cookie: inst.consoleCookie } });
  assert.is(page.status, 200, `console: ${page.status} ${page.headers.get('location')}`);
  await inst.gw.close();
});

async function tableCounts(): Promise<Record<string, number>> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const tables = [
      'devices', 'device_nonces', 'shared_macs', 'telemetry_batches', 'commands', 'config_overrides', 'config_tag_layers', 'config_memberships', 'diagnostics_reports', 'diagnostics_devices',
      'device_events', 'event_states', 'audit_log', 'ota_devices', 'ota_sessions', 'ota_version_counters', 'ota_rollouts', 'ota_rollout_devices', 'ota_releases', 'firmware_builds',
      'firmware_blocks', 'admin_tokens', 'security_stats_devices',
    ];
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = Number((await sql`SELECT count(*)::int AS n FROM ${sql(t)}`)[0]!.n);
    return out;
  } finally {
    await sql.end();
  }
}

async function setFloor(device: string, nonce: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  await sql`UPDATE device_nonces SET nonce = ${nonce}, mac = '' WHERE device_id = ${device}`;
  await sql.end();
}

async function floor(device: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  const [row] = await sql<{ nonce: string }[]>`SELECT nonce::text FROM device_nonces WHERE device_id = ${device}`;
  await sql.end();
  return Number(row!.nonce);
}

test('into a database that is not empty: refused without --force; with --force, twice, nothing is copied twice and no floor goes down', async () => {
  const args = ['db', 'import', '--data-dir', inst.dataDir, '--database-url', url, '--firmware-dir', inst.fx.firmwareDir];
  const refused = await fleetgate(args);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /^fleetgate: the database at postgres 127\.0\.0\.1:\d+\/\w+ is not empty \(devices 6, nonces 4, .*telemetry 5, .*\); give --force to import into it anyway/);
  assert.is(refused.stderr.split('\n').length, 2, 'one line');

  const counts = await tableCounts();
  // The database's floors moved on meanwhile: meter-2's above the imported one, meter-1's (a restored backup, say) below it.
  await setFloor('meter-2', 10_000);
  await setFloor('meter-1', 1);
  for (const round of [1, 2]) {
    const forced = await fleetgate([...args, '--force', '--json']);
    assert.is(forced.code, 0, forced.stderr);
    const report = JSON.parse(forced.stdout) as { merged: boolean; kinds: { repository: string; counts: Record<string, number> }[] };
    assert.ok(report.merged);
    const kind = (repo: string) => report.kinds.find((k) => k.repository === repo)!.counts;
    assert.is(kind('telemetry').batches, 0, `round ${round}: no batch copied again`);
    assert.is(kind('telemetry').already_there, 5);
    assert.is(kind('audit').copied, 0);
    assert.is(kind('nonces').raised, round === 1 ? 1 : 0, 'the lower floor is raised once');
    assert.equal(await tableCounts(), counts, `round ${round}: every table as it was`);
    assert.is(await floor('meter-2'), 10_000, 'a floor above the imported one stays');
    assert.is(await floor('meter-1'), 105, 'a floor below the imported one is raised to it');
  }
});

test.run();

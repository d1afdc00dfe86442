/**
 * A rolling upgrade on PostgreSQL: a replica of the previous version keeps serving while a replica
 * of this version starts on the same database and applies its newer migration (README.md next to
 * the migrations: they are additive, so both versions run side by side on one schema). A device
 * then uploads, polls commands, fetches config and updates its firmware through either replica in
 * any order and sees one gateway.
 *
 * "The previous version" is the commit before the newest migration file was added, taken from
 * this checkout's git history and built as `npm run build` builds it (its own build script, this
 * checkout's node_modules). So every new migration is tested against the code that ran before it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { connect } from '../../server/store/postgres/connect.ts';
import { loadMigrations, migrationsDir } from '../../server/store/postgres/migrate.ts';
import { samples, tempDir } from '../helpers/gateway.ts';
import { ROOT, runProcess, type GatewayProcess } from '../helpers/process.ts';
import { startReplicas, type Replicas } from '../helpers/replicas.ts';
import { otaFixture } from '../ota/routes-helpers.ts';

async function git(...args: string[]): Promise<string> {
  const r = await runProcess('git', ['-C', ROOT, ...args]);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** The commit before `file` was added, built in a directory of its own; its path. */
async function buildBefore(file: string): Promise<{ commit: string; dir: string }> {
  const added = await git('log', '--diff-filter=A', '--format=%H', '-1', '--', file);
  if (!added) throw new Error(`${file} is in no commit: commit it before running this test`);
  const commit = await git('rev-parse', `${added}^`);
  const dir = await tempDir('fleetgate-previous-');
  const unpack = await runProcess('bash', ['-c', `git -C "${ROOT}" archive "${commit}" | tar -x -C "${dir}"`]);
  assert.is(unpack.code, 0, unpack.stderr);
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const build = await runProcess(process.execPath, ['--import', 'tsx', 'scripts/build-gateway.ts'], { cwd: dir, timeoutMs: 120_000 });
  assert.is(build.code, 0, `building ${commit}: ${build.stderr}`);
  return { commit, dir };
}

/** Why the previous version cannot be built from this checkout, if it cannot: no history to build it from. */
async function noHistory(): Promise<string | undefined> {
  const shallow = await runProcess('git', ['-C', ROOT, 'rev-parse', '--is-shallow-repository']);
  if (shallow.code !== 0) return 'not a git checkout';
  if (shallow.stdout.trim() === 'true') return 'a shallow clone (git fetch --unshallow to run it)';
  return undefined;
}

test('a replica of the previous version and one of this version on one database: the device sees one gateway', async () => {
  const missing = await noHistory();
  if (missing) {
    console.warn(`rolling-upgrade: skipped, ${missing}`);
    return;
  }
  const newest = loadMigrations().at(-1)!;
  const file = join(migrationsDir(), `${String(newest.version).padStart(4, '0')}_${newest.name}.sql`).slice(ROOT.length);
  const previous = await buildBefore(file);
  const fx = await otaFixture([{ version: '1.0.0' }, { version: '1.1.0' }]);
  const r: Replicas = await startReplicas(0, { KEYS_DIR: join(fx.dir, 'keys'), FIRMWARE_DIR: fx.firmwareDir });
  try {
    const old = await r.add({}, previous.dir);
    const sql = connect(r.url, { max: 1 });
    const applied = async () => (await sql<{ v: number }[]>`SELECT max(version) AS v FROM fleetgate_migrations`)[0]!.v;
    const id = 'meter-upgrade';
    const reg = await r.admin(old, 'POST', '/devices', { device_id: id });
    assert.is(reg.status, 201, await reg.clone().text());
    const key = hexToBytes(((await reg.json()) as { hmac_key: string }).hmac_key);
    let nonce = 0;
    const envelope = (n: number) => JSON.stringify(signEnvelope(key, id, n, { aggregated_data: samples(2, 1_767_225_600 + n * 120) }));
    const upload = async (on: GatewayProcess, body: string) => {
      const res = await fetch(`${on.url}/aggregated/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: res.status, ...((await res.json()) as { duplicate?: boolean }) };
    };
    const signed = async (on: GatewayProcess, method: string, path: string, body?: unknown) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const headers = { ...signRequestHeaders(key, id, ++nonce, method, path, text === undefined ? undefined : new TextEncoder().encode(text)), 'content-type': 'application/json' };
      const res = await fetch(`${on.url}${path}`, { method, headers, ...(text === undefined ? {} : { body: text }) });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    };
    // Before the upgrade: the previous version alone, at the schema it knows.
    assert.is((await upload(old, envelope(++nonce))).status, 200);
    const before = await applied();
    assert.ok(before < newest.version, `the previous version (${previous.commit.slice(0, 10)}) stops at ${before}`);

    // The new version starts next to it and applies its migration while the old one serves.
    const next = await r.add();
    assert.is(await applied(), newest.version);
    await sql.end();
    for (const replica of [old, next]) assert.is((await fetch(`${replica.url}/health/ready`)).status, 200, 'both stay ready');

    // Uploads alternate; each version's acceptance is the other's duplicate, an older nonce a replay on both.
    const two = envelope(++nonce);
    assert.is((await upload(next, two)).status, 200);
    for (const replica of [old, next]) {
      const again = await upload(replica, two);
      assert.equal([again.status, again.duplicate], [200, true], 'a retransmission is a duplicate on either');
    }
    const three = envelope(++nonce);
    assert.ok(!(await upload(old, three)).duplicate);
    assert.is((await upload(next, envelope(1))).status, 401, 'an older nonce is a replay on the new version');
    assert.is((await upload(old, envelope(2))).status, 401, 'and on the old one');

    // A command queued on one is delivered by the other, once.
    const queued = await r.admin(next, 'POST', `/commands/${id}`, { command_type: 'set_relay', parameters: { relay: 1, state: 'on' } });
    assert.is(queued.status, 201, await queued.clone().text());
    const commandId = ((await queued.json()) as { command_id: string }).command_id;
    const polled = await signed(old, 'GET', `/commands/${id}/poll`);
    assert.is(polled.json.command?.command_id, commandId);
    const result = await signed(next, 'POST', `/commands/${id}/result`, { command_id: commandId, status: 'completed' });
    assert.is(result.status, 200, JSON.stringify(result.json));
    assert.is((await signed(old, 'GET', `/commands/${id}/poll`)).json.command, null, 'acknowledged on the new version, gone on the old');

    // Config written on the old version is what the device fetches from the new one.
    const put = await r.admin(old, 'PUT', '/config/defaults', { heartbeat_interval: 45 });
    assert.is(put.status, 200, await put.clone().text());
    const version = ((await put.json()) as { config_version: number }).config_version;
    const config = await signed(next, 'GET', '/config');
    assert.is(config.status, 200, JSON.stringify(config.json));
    assert.is(config.json.config_version, version);
    assert.is(config.json.config.heartbeat_interval, 45);

    // A firmware update across both: published on the new one, offered and served by both, reported to the old.
    const published = await r.admin(next, 'POST', '/ota/images/1.1.0/publish', { general: true });
    assert.is(published.status, 200, await published.clone().text());
    for (const replica of [old, next]) assert.is((await signed(replica, 'GET', `/ota/check/${id}?version=1.0.0`)).json.latest_version, '1.1.0');
    assert.is((await signed(next, 'POST', `/ota/initiate/${id}`, { firmware_version: '1.1.0' })).status, 200);
    assert.is((await signed(old, 'GET', `/ota/chunk/${id}?version=1.1.0&chunk=0`)).status, 200);
    assert.is((await signed(old, 'POST', `/ota/complete/${id}`, { success: true, version: '1.1.0' })).status, 200);
    const status = (await (await r.admin(next, 'GET', `/ota/status/${id}`)).json()) as Record<string, any>;
    assert.is(status.current_version, '1.1.0', JSON.stringify(status));
    assert.is(status.successes, 1);

    // The old version restarting mid-upgrade (a crash, a rescheduled pod) starts on the newer
    // schema. Builds before migrate.ts knew migrations 'ahead' of them refused to (the step runs
    // once the previous version is one of those that know; migrate.test.ts covers it until then).
    const replicas = [old, next];
    let batches = 3;
    if ((await git('show', `${previous.commit}:server/store/postgres/migrate.ts`)).includes('ahead')) {
      await old.kill('SIGTERM');
      const restarted = await r.add({}, previous.dir);
      assert.is((await upload(restarted, envelope(++nonce))).status, 200);
      batches++;
      replicas[0] = restarted;
    }

    // Every accepted batch is stored once, whichever version stored it.
    for (const replica of replicas) {
      const stored = (await (await r.admin(replica, 'GET', `/telemetry/${id}?limit=1000`)).json()) as { count: number };
      assert.is(stored.count, 2 * batches, 'each accepted upload (two samples) once');
    }
  } finally {
    await r.stop();
  }
});

test.run();

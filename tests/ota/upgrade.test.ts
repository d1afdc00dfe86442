/**
 * Upgrading a running fleet to releases, on both stores: the images a store held before (a
 * FIRMWARE_DIR full of images and a DATA_DIR without release records; a database migrated up to
 * 0005 with builds in it) become published general releases on the first start — so devices keep
 * being offered what they were offered — except a build whose signature fails with the gateway's
 * key (an older gateway never served it); rollouts stored by the older gateway (one percent, no
 * steps) read as one-step plans; a second start records nothing again, and an image placed while
 * the gateway was down is a draft.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FirmwareCatalog } from '../../server/ota/catalog.ts';
import { initKeys, loadSigningKeys } from '../../server/ota/keys.ts';
import { connect } from '../../server/store/postgres/connect.ts';
import { PgFirmwareImages } from '../../server/store/postgres/firmware-images.ts';
import { loadMigrations, migrate } from '../../server/store/postgres/migrate.ts';
import { FirmwareDir } from '../../server/store/embedded/firmware-images.ts';
import { startTestGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { otaFixture, otaGateway, SimDevice, type OtaFixture } from './routes-helpers.ts';

type Json = Record<string, any>;
const T = Date.UTC(2025, 5, 1);

/** 1.0.0 and 1.1.0 signed with the fleet key, 1.2.0 with another build machine's. */
async function legacyImages(): Promise<OtaFixture> {
  const fx = await otaFixture([{ version: '1.0.0', counter: 1 }, { version: '1.1.0', counter: 1 }]);
  const other = await tempDir('fleetgate-other-keys-');
  await initKeys(other, { bits: 2048 });
  await fx.addImage({ version: '1.2.0', counter: 1, signing: await loadSigningKeys(other) });
  return fx;
}

/** What the older gateway's rollout document held: one percent, active or paused, no steps. */
const oldRollout = { id: 'ro_old', version: '1.1.0', target: ['m-1'], percent: 100, status: 'paused', paused_reason: 'manual', failure_threshold: 0.2, min_results: 5, results: { successes: 1, failures: 0 }, window: { successes: 1, failures: 0 }, notes: 'from before', created_at: T, updated_at: T, paused_at: T };

async function checkUpgraded(gw: TestGateway, fx: OtaFixture): Promise<void> {
  const listing = (await (await gw.admin('GET', '/ota/images')).json()) as Json;
  assert.equal(
    listing.images.map((i: Json) => [i.version, i.state, i.general, i.release?.origin]),
    [
      ['1.0.0', 'published', true, 'legacy'],
      ['1.1.0', 'published', true, 'legacy'],
      ['1.2.0', 'draft', false, 'firmware_dir'],
    ],
  );
  const d = await SimDevice.register(gw, 'm-1');
  assert.is((await d.request('GET', '/ota/check/m-1?version=0.9.0')).json.latest_version, '1.1.0', 'the fleet is offered what it was offered before');
  const r = ((await (await gw.admin('GET', '/ota/rollouts/ro_old')).json()) as Json).rollout;
  assert.equal([r.status, r.paused_reason, r.percent, r.steps, r.step.index, r.results.successes, r.target], ['paused', 'manual', 100, [{ percent: 100 }], 0, 1, ['m-1']]);
  const audit = ((await (await gw.admin('GET', '/audit?action=release.')).json()) as Json).entries.map((e: Json) => [e.actor, e.action, e.details.version]);
  assert.equal(audit, [
    ['system', 'release.published', '1.0.0'],
    ['system', 'release.published', '1.1.0'],
    ['system', 'release.uploaded', '1.2.0'],
  ]);
  // Restarted with a new image placed meanwhile: nothing seeded again, the new image a draft.
  await gw.close();
  await fx.addImage({ version: '1.3.0', counter: 1 });
}

test('embedded: legacy images published once, an older rollout document upgraded, a later image a draft', async () => {
  const fx = await legacyImages();
  await mkdir(join(fx.dir, 'data'), { recursive: true, mode: 0o700 });
  await writeFile(join(fx.dir, 'data', 'ota-rollouts.json'), JSON.stringify({ rollouts: [oldRollout] }), { mode: 0o600 });
  await checkUpgraded(await otaGateway(fx), fx);
  const again = await otaGateway(fx);
  try {
    const states = ((await (await again.admin('GET', '/ota/images')).json()) as Json).images.map((i: Json) => [i.version, i.state]);
    assert.equal(states, [['1.0.0', 'published'], ['1.1.0', 'published'], ['1.2.0', 'draft'], ['1.3.0', 'draft']]);
  } finally {
    await again.close();
  }
});

test('postgres: builds in a database at 0005 published once by the gateway that migrates it; its rollout rows upgraded by 0008', async () => {
  const fx = await legacyImages();
  const url = await freshDatabase();
  const sql = connect(url, { max: 2 });
  try {
    await migrate(sql, loadMigrations().filter((m) => m.version <= 5));
    const store = new PgFirmwareImages(sql, 'test');
    const dir = new FirmwareDir(fx.firmwareDir);
    for (const image of (await FirmwareCatalog.read(dir)).listImages()) assert.is(await store.put(image, dir.stream(image.ref, 0), 'the older gateway'), 'stored');
    await sql`INSERT INTO ota_rollouts ${sql({
      id: oldRollout.id,
      version: oldRollout.version,
      target: sql.json(oldRollout.target),
      percent: oldRollout.percent,
      status: oldRollout.status,
      paused_reason: oldRollout.paused_reason,
      failure_threshold: oldRollout.failure_threshold,
      min_results: oldRollout.min_results,
      results_successes: 1,
      results_failures: 0,
      window_successes: 1,
      window_failures: 0,
      notes: oldRollout.notes,
      created_at: T,
      updated_at: T,
      paused_at: T,
    } as never)}`;
  } finally {
    await sql.end();
  }
  // The database holds the images; this gateway's FIRMWARE_DIR is empty (another replica had them).
  const gwDir = await tempDir();
  await mkdir(join(gwDir, 'keys'), { recursive: true });
  await writeFile(join(gwDir, 'keys', 'server_public_key.pem'), fx.signing.publicKey.export({ type: 'spki', format: 'pem' }));
  const gw = await startTestGateway({ dir: gwDir, env: { DATABASE_URL: url } });
  await checkUpgraded(gw, fx);
  const again = await startTestGateway({ dir: gwDir, env: { DATABASE_URL: url } });
  try {
    const states = ((await (await again.admin('GET', '/ota/images')).json()) as Json).images.map((i: Json) => [i.version, i.state]);
    assert.equal(states, [['1.0.0', 'published'], ['1.1.0', 'published'], ['1.2.0', 'draft']], '1.3.0 is in the first replica directory only');
  } finally {
    await again.close();
  }
});

test.run();

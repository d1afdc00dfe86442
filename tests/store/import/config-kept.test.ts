/**
 * `fleetgate db import --force` into a database that has config layers of its own: a layer the
 * source has too is kept (the database's), and when it differs from the imported one, the imported
 * devices it concerns — which may have applied any version up to the imported maximum — must see
 * their effective version rise above what they applied, or they would never fetch the kept values.
 * The same for a layer only the database has, where it applies to an imported device, and for a
 * device whose kept record is tagged otherwise than the source's in a tag with a layer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../../server/clock.ts';
import { diag, SimDevice } from '../../control-plane/device.ts';
import { fleetgate } from '../../cli/live.ts';
import { startTestGateway, tempDir, type TestGateway } from '../../helpers/gateway.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

interface DeviceView {
  config_version: number;
  config: { upload_frequency: number; heartbeat_interval: number; poll_frequency: number };
  applied_version: number | null;
  behind: boolean;
}

async function ok(gw: TestGateway, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await gw.admin(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

const view = async (gw: TestGateway, id: string) => (await ok(gw, 'GET', `/config/${id}`)) as unknown as DeviceView;
const tagVersion = async (gw: TestGateway, tag: string) => (await ok(gw, 'GET', `/config/tags/${tag}`)).config_version as number;

/** `fleetgate db import --force` of `dataDir` into `url`: its report (runs of spaces squeezed), and a second run. */
async function importForced(dataDir: string, url: string) {
  const args = ['db', 'import', '--data-dir', dataDir, '--database-url', url, '--force'];
  const run = await fleetgate(args);
  assert.is(run.code, 0, run.stderr);
  return {
    report: run.stdout.replace(/ +/g, ' '),
    /** The same import again, with --json: the config importer's counts. */
    async again(): Promise<Record<string, number>> {
      const again = await fleetgate([...args, '--json']);
      assert.is(again.code, 0, again.stderr);
      const report = JSON.parse(again.stdout) as { kinds: { repository: string; counts: Record<string, number> }[] };
      return report.kinds.find((k) => k.repository === 'config')!.counts;
    },
  };
}

/** A gateway on the database the import wrote. */
const gatewayOn = async (clock: FakeClock, url: string) => startTestGateway({ clock, dir: await tempDir(), backend: 'embedded', env: { DATABASE_URL: url } });

test('kept layers that differ from the imported ones get a version above every imported one; equal ones keep theirs', async () => {
  const clock = new FakeClock();
  const url = await freshDatabase('kept');

  // The database: its own defaults, canary layer, north layer (as the source's) and meter-2 override, at low versions.
  const db = await startTestGateway({ clock, backend: 'embedded', env: { DATABASE_URL: url } });
  await db.register('meter-2');
  await ok(db, 'PUT', '/config/defaults', { heartbeat_interval: 45 });
  await ok(db, 'PUT', '/config/tags/canary', { upload_frequency: 300 });
  await ok(db, 'PUT', '/config/tags/north', { poll_frequency: 7 });
  await ok(db, 'PUT', '/config/meter-2', { poll_frequency: 9 });
  await db.close();

  // The source: the same layers with other values (but north's), at higher versions; both devices applied theirs.
  const source = await startTestGateway({ clock, dir: await tempDir(), backend: 'embedded' });
  const m1 = await SimDevice.register(source, 'meter-1');
  const m2 = await SimDevice.register(source, 'meter-2');
  await ok(source, 'PUT', '/devices/meter-1/tags', ['canary', 'north']);
  for (const heartbeat of [30, 40, 50, 60]) await ok(source, 'PUT', '/config/defaults', { heartbeat_interval: heartbeat });
  await ok(source, 'PUT', '/config/tags/north', { poll_frequency: 7 });
  await ok(source, 'PUT', '/config/meter-2', { poll_frequency: 5 });
  await ok(source, 'PUT', '/config/tags/canary', { upload_frequency: 200 });
  await ok(source, 'PUT', '/config/tags/canary', { upload_frequency: 120 });
  const applied = { 'meter-1': (await view(source, 'meter-1')).config_version, 'meter-2': (await view(source, 'meter-2')).config_version };
  for (const d of [m1, m2]) assert.is((await d.diagnostics(diag({ config_version: applied[d.id as 'meter-1' | 'meter-2'] }))).status, 200);
  const latest = (await ok(source, 'GET', '/config/fleet')).latest_version as number;
  assert.ok(latest > 5, 'the source is ahead of the database');
  await source.close();

  const run = await importForced(source.config.DATA_DIR, url);
  const next = latest + 1;
  assert.ok(
    run.report.includes(
      `remote config fleet defaults kept (the database's own, differing, given version ${next}), 0 device overrides copied, 1 already there (the database's kept; 1 differing, given version ${next}), ` +
      `0 tag layers copied, 2 already there (the database's kept; 1 differing, given version ${next}), 0 membership stamps copied or raised; config_version is now ${next} (imported up to ${latest})`,
    ),
    run.report,
  );

  const gw = await gatewayOn(clock, url);
  try {
    const one = await view(gw, 'meter-1');
    assert.equal([one.config.upload_frequency, one.config.heartbeat_interval, one.config.poll_frequency], [300, 45, 7], "meter-1: the database's kept values");
    assert.is(one.applied_version, applied['meter-1']);
    assert.is(one.config_version, next, 'meter-1: above the version it applied');
    assert.ok(one.behind, 'meter-1 is shown behind: it fetches the kept values');
    // meter-2 kept the database's record (no tags): its override and the defaults differ.
    const two = await view(gw, 'meter-2');
    assert.equal([two.config.heartbeat_interval, two.config.poll_frequency], [45, 9], "meter-2: the database's kept values");
    assert.is(two.config_version, next);
    assert.ok(two.behind);
    const tags = (await ok(gw, 'GET', '/config/tags/north')) as { config_version: number };
    assert.ok(tags.config_version < latest, 'north, equal to the imported layer, keeps its version');
  } finally {
    await gw.close();
  }

  // Again: the kept layers are above every imported version now, nothing is given a version twice.
  const counts = await run.again();
  assert.equal([counts.defaults_reversioned, counts.overrides_reversioned, counts.tag_layers_reversioned, counts.config_version], [0, 0, 0, next]);
});

// Found in review: a layer only the database had kept its version, though for the imported devices
// it concerns it is new (the source had none) — at or below what they applied, they never fetched it.
test('layers only the database has get a version above every imported one where they apply to an imported device', async () => {
  const clock = new FakeClock();
  const url = await freshDatabase('onlyhere');

  // The database: the source's final defaults; a canary layer and a meter-2 override the source
  // lacks; layers and overrides no imported device gets (south, meter-9's, an emptied one).
  const db = await startTestGateway({ clock, backend: 'embedded', env: { DATABASE_URL: url } });
  await db.register('meter-2');
  await db.register('meter-9');
  await ok(db, 'PUT', '/config/defaults', { heartbeat_interval: 60 });
  await ok(db, 'PUT', '/config/tags/canary', { upload_frequency: 300 });
  await ok(db, 'PUT', '/config/tags/south', { upload_frequency: 600 });
  await ok(db, 'PUT', '/config/tags/emptied', { upload_frequency: 900 });
  await ok(db, 'DELETE', '/config/tags/emptied');
  await ok(db, 'PUT', '/config/meter-2', { poll_frequency: 9 });
  await ok(db, 'PUT', '/config/meter-9', { poll_frequency: 11 });
  const before = { south: await tagVersion(db, 'south'), emptied: await tagVersion(db, 'emptied'), 'meter-9': (await view(db, 'meter-9')).config_version };
  await db.close();

  // The source: no canary layer, no overrides, versions above the database's; both devices applied theirs.
  const source = await startTestGateway({ clock, dir: await tempDir(), backend: 'embedded' });
  const m1 = await SimDevice.register(source, 'meter-1');
  const m2 = await SimDevice.register(source, 'meter-2');
  await ok(source, 'PUT', '/devices/meter-1/tags', ['canary', 'emptied']);
  for (const heartbeat of [30, 40, 50, 60, 30, 40, 50, 60, 30, 40, 50, 60]) await ok(source, 'PUT', '/config/defaults', { heartbeat_interval: heartbeat });
  const applied = (await view(source, 'meter-1')).config_version;
  assert.is((await view(source, 'meter-2')).config_version, applied);
  for (const d of [m1, m2]) assert.is((await d.diagnostics(diag({ config_version: applied }))).status, 200);
  const latest = (await ok(source, 'GET', '/config/fleet')).latest_version as number;
  assert.ok(latest > Math.max(...Object.values(before)), 'the source is ahead of the database');
  await source.close();

  const run = await importForced(source.config.DATA_DIR, url);
  const next = latest + 1;

  const gw = await gatewayOn(clock, url);
  try {
    for (const [id, field, value] of [['meter-1', 'upload_frequency', 300], ['meter-2', 'poll_frequency', 9]] as const) {
      const v = await view(gw, id);
      assert.is(v.config[field], value, `${id}: the database's layer`);
      assert.equal([v.applied_version, v.config_version, v.behind], [applied, next, true], `${id}: above the version it applied, shown behind`);
    }
    const after = { south: await tagVersion(gw, 'south'), emptied: await tagVersion(gw, 'emptied'), 'meter-9': (await view(gw, 'meter-9')).config_version };
    assert.equal(after, before, 'no imported device gets south or meter-9\'s override; the emptied layer sets nothing');
  } finally {
    await gw.close();
  }
  assert.ok(
    run.report.includes(
      `0 device overrides copied, 1 only in the database given version ${next} (of imported devices), ` +
        `0 tag layers copied, 1 only in the database given version ${next} (carried by imported devices), ` +
        `0 membership stamps copied or raised; config_version is now ${next} (imported up to ${latest})`,
    ),
    run.report,
  );

  // Again: nothing is given a version twice.
  const counts = await run.again();
  assert.equal([counts.overrides_only_in_database_reversioned, counts.tag_layers_only_in_database_reversioned, counts.config_version], [0, 0, next]);
});

// Found in review: a device the database keeps its own record of, tagged otherwise than in the
// source with a tag whose layer is the same on both sides, kept its membership stamp — at or below
// what it applied, it never fetched the values it gained (a tag only the database's record has) or
// lost (a tag only the source's record had).
test('kept devices tagged otherwise than in the source get a membership stamp above every imported version', async () => {
  const clock = new FakeClock();
  const url = await freshDatabase('retagged');

  // The database: the source's final defaults and the same canary and north layers; its own
  // records of the devices — meter-1 with canary, meter-2 without north, meter-3 as the source's,
  // meter-4 with a tag that has no layer.
  const db = await startTestGateway({ clock, backend: 'embedded', env: { DATABASE_URL: url } });
  for (const id of ['meter-1', 'meter-2', 'meter-3', 'meter-4']) await db.register(id);
  await ok(db, 'PUT', '/config/defaults', { heartbeat_interval: 60 });
  await ok(db, 'PUT', '/config/tags/canary', { upload_frequency: 300 });
  await ok(db, 'PUT', '/config/tags/north', { poll_frequency: 7 });
  await ok(db, 'PUT', '/devices/meter-1/tags', ['canary']);
  await ok(db, 'PUT', '/devices/meter-3/tags', ['north']);
  await ok(db, 'PUT', '/devices/meter-4/tags', ['spare']);
  const dbLatest = (await ok(db, 'GET', '/config/fleet')).latest_version as number;
  await db.close();

  // The source: the same layers, meter-2 and meter-3 with north, versions above the database's;
  // every device applied its configuration.
  const source = await startTestGateway({ clock, dir: await tempDir(), backend: 'embedded' });
  const sims = [];
  for (const id of ['meter-1', 'meter-2', 'meter-3', 'meter-4']) sims.push(await SimDevice.register(source, id));
  await ok(source, 'PUT', '/config/tags/canary', { upload_frequency: 300 });
  await ok(source, 'PUT', '/config/tags/north', { poll_frequency: 7 });
  await ok(source, 'PUT', '/devices/meter-2/tags', ['north']);
  await ok(source, 'PUT', '/devices/meter-3/tags', ['north']);
  for (const heartbeat of [30, 40, 50, 60, 30, 40, 50, 60]) await ok(source, 'PUT', '/config/defaults', { heartbeat_interval: heartbeat });
  const applied: Record<string, number> = {};
  for (const d of sims) {
    applied[d.id] = (await view(source, d.id)).config_version;
    assert.is((await d.diagnostics(diag({ config_version: applied[d.id] }))).status, 200);
  }
  const latest = (await ok(source, 'GET', '/config/fleet')).latest_version as number;
  assert.ok(latest > dbLatest, 'the source is ahead of the database');
  await source.close();

  const run = await importForced(source.config.DATA_DIR, url);
  const next = latest + 1;

  const gw = await gatewayOn(clock, url);
  try {
    const one = await view(gw, 'meter-1');
    assert.is(one.config.upload_frequency, 300, "meter-1: canary's layer, which only the database's record applies");
    const two = await view(gw, 'meter-2');
    assert.is.not(two.config.poll_frequency, 7, "meter-2: without north's layer, which only the source's record applied");
    // Both directions at once: [applied, effective version, behind].
    assert.equal(
      { 'meter-1': [one.applied_version, one.config_version, one.behind], 'meter-2': [two.applied_version, two.config_version, two.behind] },
      { 'meter-1': [applied['meter-1'], next, true], 'meter-2': [applied['meter-2'], next, true] },
      'meter-1 (gained canary) and meter-2 (lost north): above the version they applied, shown behind',
    );
    for (const id of ['meter-3', 'meter-4']) {
      const v = await view(gw, id);
      assert.ok(v.config_version <= applied[id]! && !v.behind, `${id} (tags as the source's, or differing in a tag without a layer): keeps its stamp, up to date`);
    }
  } finally {
    await gw.close();
  }
  assert.ok(
    run.report.includes(
      `0 membership stamps copied or raised, 2 as high already, 2 given version ${next} (kept devices tagged otherwise than in the source); config_version is now ${next} (imported up to ${latest})`,
    ),
    run.report,
  );

  // Again: nothing is given a version twice.
  const counts = await run.again();
  assert.equal([counts.memberships_reversioned, counts.config_version], [0, next]);
});

test.run();

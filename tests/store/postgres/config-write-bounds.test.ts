/**
 * The database-side bounds of a configuration change on PostgreSQL (configWriter): a change that
 * stops mid-way (its replica frozen) does not keep the fleet's lock for good, and a change that
 * spent most of its wait in the queue still gets the whole wait for a row lock after it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PgConfigRepo, configWriter } from '../../../server/store/postgres/config.ts';
import { connect, type Sql } from '../../../server/store/postgres/connect.ts';
import { PgDeviceRepo } from '../../../server/store/postgres/devices.ts';
import { migrate } from '../../../server/store/postgres/migrate.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two replicas' pools on one database, migrated and with the fleet's config row (as a store opens it). */
async function twoReplicas(): Promise<[Sql, Sql]> {
  const url = await freshDatabase('cfgbounds');
  const a = connect(url, { max: 3 });
  await migrate(a);
  await new PgConfigRepo(a).init(Date.now());
  return [a, connect(url, { max: 3 })];
}

test('a change that stops inside its transaction loses the fleet lock after the idle bound; the other replica goes on', async () => {
  const [a, b] = await twoReplicas();
  try {
    const writeA = configWriter(a, new PgDeviceRepo(a), 5000, 300);
    const writeB = configWriter(b, new PgDeviceRepo(b), 5000, 300);
    // A takes the lock, then stops sending for 2.5 s (a frozen replica).
    let aLocked!: () => void;
    const locked = new Promise<void>((r) => (aLocked = r));
    const stalled = writeA(async ({ config }) => {
      await config.latestVersion();
      aLocked();
      await later(2500);
      return config.latestVersion();
    }).then(
      () => 'committed',
      () => 'ended',
    );
    await locked;
    const started = Date.now();
    assert.is(await writeB(async ({ config }) => config.latestVersion()), 1);
    const waited = Date.now() - started;
    assert.ok(waited < 1500, `B waited ${waited} ms: A's idle session kept the lock`);
    assert.is(await stalled, 'ended', "A's session was ended: its change is not committed");
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
});

test('a change that waited most of the bound for its turn still gets the whole bound for a row lock', async () => {
  const [a, other] = await twoReplicas();
  try {
    const devices = new PgDeviceRepo(a);
    assert.ok(await devices.create({ device_id: 'row-1', created_at: new Date().toISOString(), key_mode: 'derived', key_version: 1 }));
    const write = configWriter(a, devices, 1000, 30_000);
    // The first change holds this replica's turn for 800 ms; the second waits behind it.
    const first = write(() => later(800));
    await later(20);
    // Meanwhile another connection holds the device's row (a key rotation) for 400 ms more.
    let rowHeld!: () => void;
    const held = new Promise<void>((r) => (rowHeld = r));
    const rotation = other.begin(async (tx) => {
      await tx`SELECT 1 FROM devices WHERE device_id = 'row-1' FOR UPDATE`;
      rowHeld();
      await later(1200);
    });
    await held;
    const second = write(({ devices: bound }) => bound.setTags('row-1', ['site:a'], Date.now()));
    await first;
    const change = await second;
    assert.equal(change?.record.tags, ['site:a'], 'granted once the rotation committed, within the whole bound');
    await rotation;
  } finally {
    await Promise.all([a.end(), other.end()]);
  }
});

test.run();

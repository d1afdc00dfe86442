/**
 * `fleetgate db import` of an embedded DATA_DIR whose gateway was killed: the device changes it
 * acknowledged are in the device journal only (devices.json holds the registry as of its last
 * compaction, or does not exist yet), and the import copies them all — a revocation above all,
 * which must not come back to life on PostgreSQL.
 */
import { join } from 'node:path';
import postgres from 'postgres';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore } from '../../../server/store/index.ts';
import { importEmbedded } from '../../../server/store/import/index.ts';
import type { DeviceRecord } from '../../../server/store/types.ts';
import { tempDir, testConfig } from '../../helpers/gateway.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

const T = Date.UTC(2026, 2, 1, 10);
const record = (id: string): DeviceRecord => ({ device_id: id, created_at: new Date(T).toISOString(), key_mode: 'derived', key_version: 1 });

test('devices only in the journal of a killed gateway are imported, revocation and rotation included', async () => {
  const dir = await tempDir();
  const clean = await openStore(testConfig(dir));
  await clean.devices.createMany([record('a'), record('b')]);
  await clean.close(); // devices.json holds a and b
  const killed = await openStore(testConfig(dir));
  await killed.devices.create(record('c'));
  await killed.devices.revoke('a', T + 1000);
  await killed.devices.rotateKey('b', T + 2000, 0);
  // (never closed: what a SIGKILL leaves, these three changes in devices-journal/ only)
  void killed;
  const url = await freshDatabase();
  await importEmbedded({ dataDir: join(dir, 'data'), databaseUrl: url, firmwareDir: join(dir, 'firmware'), force: false, sharedMacWindowMs: 86_400_000 });
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql<{ device_id: string; key_version: number; revoked: boolean }[]>`
      SELECT device_id, key_version, revoked_at IS NOT NULL AS revoked FROM devices ORDER BY device_id`;
    assert.equal(
      rows.map((r) => [r.device_id, r.key_version, r.revoked]),
      [
        ['a', 1, true],
        ['b', 2, false],
        ['c', 1, false],
      ],
    );
  } finally {
    await sql.end();
  }
});

test.run();

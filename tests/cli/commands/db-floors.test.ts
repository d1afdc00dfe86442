/**
 * `fleetgate db floors export|raise` around a real backup and restore, on both stores: the
 * embedded DATA_DIR copied and put back, PostgreSQL through pg_dump and pg_restore. A restored
 * backup knows older floors, so messages sent after it would be accepted again; raising the floors
 * from a later export closes that window. Bad files and a DATA_DIR a gateway holds are one line.
 */
import { execFileSync } from 'node:child_process';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore } from '../../../server/store/index.ts';
import type { Store, TelemetryBatch } from '../../../server/store/types.ts';
import { lockDataDir } from '../../../server/store/embedded/data-dir.ts';
import { parseFloors } from '../../../server/store/floors.ts';
import { tempDir, testConfig } from '../../helpers/gateway.ts';
import { freshDatabase, postgresBin } from '../../helpers/postgres.ts';
import { fleetgate } from '../live.ts';

const T = Date.UTC(2026, 0, 1);
const batch = (nonce: number): TelemetryBatch => ({ received_at: T + nonce, nonce, method: 'plain', samples: [{ timestamp: 1_767_225_600 + nonce, power: nonce }] });

interface Backend {
  name: string;
  flags: string[];
  open(): Promise<Store>;
  backup(): Promise<void>;
  restore(): Promise<void>;
}

async function embedded(): Promise<Backend> {
  const dir = await tempDir();
  const data = join(dir, 'data');
  const saved = join(dir, 'backup');
  return {
    name: 'embedded',
    flags: ['--data-dir', data],
    open: () => openStore(testConfig(dir)),
    backup: () => cp(data, saved, { recursive: true }),
    restore: async () => {
      await rm(data, { recursive: true });
      await cp(saved, data, { recursive: true });
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  const dir = await tempDir();
  const dump = join(dir, 'fleet.dump');
  let url = await freshDatabase();
  const bin = postgresBin();
  return {
    name: 'postgres',
    get flags() {
      return ['--database-url', url];
    },
    open: () => openStore(testConfig(dir, { DATABASE_URL: url })),
    backup: async () => void execFileSync(join(bin, 'pg_dump'), ['-Fc', '-f', dump, '-d', url]),
    restore: async () => {
      // Restored into a new, empty database: what an operator does after losing the old one.
      url = await freshDatabase();
      execFileSync(join(bin, 'pg_restore'), ['--no-owner', '-d', url, dump]);
    },
  };
}

for (const make of [embedded, postgresBackend]) {
  test(`${make.name}: a restored backup reopens a replay window; raising the floors of a later export closes it`, async () => {
    const b = await make();
    let store = await b.open();
    await store.nonces.acceptUpload('d1', 5, 'a5', T, batch(5));
    await store.nonces.acceptUpload('d2', 3, 'b3', T, batch(3));
    await store.close();
    await b.backup();
    store = await b.open();
    await store.nonces.acceptUpload('d1', 9, 'a9', T, batch(9));
    await store.nonces.acceptUpload('d3', 2, 'c2', T, batch(2));
    await store.close();

    const out = join(await tempDir(), 'floors.json');
    const exp = await fleetgate(['db', 'floors', 'export', ...b.flags, '--save-as', out]);
    assert.is(exp.code, 0, exp.stderr);
    assert.match(exp.stderr, /floors of 3 devices/);
    const { floors } = parseFloors(await readFile(out, 'utf8'));
    assert.equal([...floors].map(([id, f]) => [id, f.nonce]), [['d1', 9], ['d2', 3], ['d3', 2]]);

    await b.restore();
    store = await b.open();
    assert.is((await store.nonces.get('d1'))?.nonce, 5, 'the backup knows the older floor: nonce 6..9 would be accepted again');
    await store.close();

    const raise = await fleetgate(['db', 'floors', 'raise', out, ...b.flags, '--json']);
    assert.is(raise.code, 0, raise.stderr);
    assert.equal(JSON.parse(raise.stdout).raised, 2, 'd1 and d3 raised; d2 already as high');
    store = await b.open();
    try {
      assert.equal(await store.nonces.acceptUpload('d1', 9, 'a9', T, batch(9)), { outcome: 'replay', lastNonce: 9 }, 'the recorded message is refused');
      assert.equal(await store.nonces.acceptUpload('d3', 2, 'c2', T, batch(2)), { outcome: 'replay', lastNonce: 2 });
      assert.equal(await store.nonces.acceptUpload('d1', 10, 'a10', T, batch(10)), { outcome: 'accepted' }, 'the device carries on');
    } finally {
      await store.close();
    }
  });
}

test('a file that is not a floors export, and a DATA_DIR a gateway holds, are one line each', async () => {
  const dir = await tempDir();
  const data = join(dir, 'data');
  const bad = join(dir, 'bad.json');
  await writeFile(bad, JSON.stringify({ format: 'fleetgate-nonce-floors', version: 1, exported_at: 'x', source: 's', floors: [{ device_id: '../x', nonce: 1, seen_at: 0 }] }));
  const r = await fleetgate(['db', 'floors', 'raise', bad, '--data-dir', data]);
  assert.is(r.code, 2);
  assert.equal(r.stderr, 'fleetgate: not a nonce-floors file: floors.0.device_id: not a valid device id\n');
  await writeFile(bad, '{"format":');
  assert.match((await fleetgate(['db', 'floors', 'raise', bad, '--data-dir', data])).stderr, /^fleetgate: not a nonce-floors file: [^\n]+\n$/);
  assert.is((await fleetgate(['db', 'floors', 'raise', join(dir, 'none.json'), '--data-dir', data])).code, 3);

  const lock = await lockDataDir(data);
  try {
    const held = await fleetgate(['db', 'floors', 'export', '--data-dir', data]);
    assert.is(held.code, 3);
    assert.match(held.stderr, new RegExp(`^fleetgate: DATA_DIR .*in use.*${process.pid}[^\\n]*\\n$`));
  } finally {
    await lock.release();
  }
});

test.run();

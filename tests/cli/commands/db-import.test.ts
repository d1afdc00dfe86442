/**
 * `fleetgate db import` refusals, one line each with its exit code, writing nothing: no database
 * given (2), a DATA_DIR that does not exist (3, and it is not created; --data-dir, else $DATA_DIR), a path that is not a
 * directory or not a fleetgate DATA_DIR (2), a DATA_DIR a gateway holds (3, naming its pid), a
 * database that cannot be reached (4, never the password), and a database holding tables that are
 * not fleetgate's (2); an import stopped part way (4) is finished by a run with --force. (The
 * import itself: tests/store/import.)
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lockDataDir } from '../../../server/store/embedded/data-dir.ts';
import { tempDir } from '../../helpers/gateway.ts';
import { freshDatabase } from '../../helpers/postgres.ts';
import { fleetgate, type CliRun } from '../live.ts';

const DOWN = 'postgres://fleet:hunter2-pw@127.0.0.1:1/fleet';

function oneLine(r: CliRun, code: number, pattern: RegExp): void {
  assert.is(r.code, code, r.stderr);
  assert.match(r.stderr, pattern);
  assert.is(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.is(r.stdout, '');
}

/** A DATA_DIR as a gateway leaves it (a registry with nothing in it is enough to be one). */
async function dataDir(): Promise<string> {
  const dir = join(await tempDir(), 'data');
  await mkdir(dir, { mode: 0o700 });
  await writeFile(join(dir, 'devices.json'), '{"devices":{}}\n');
  return dir;
}

test('no database, a missing DATA_DIR, a file, a directory that is not a DATA_DIR: one line each', async () => {
  const data = await dataDir();
  oneLine(await fleetgate(['db', 'import', '--data-dir', data], { DATABASE_URL: '' }), 2, /^fleetgate: no database: pass --database-url or set DATABASE_URL/);
  const none = join(await tempDir(), 'none');
  oneLine(await fleetgate(['db', 'import', '--data-dir', none, '--database-url', DOWN]), 3, new RegExp(`^fleetgate: DATA_DIR ${none} does not exist \\(ENOENT\\)\\n$`));
  assert.not.ok(existsSync(none), 'the missing DATA_DIR is not created');
  // The spelling issue 14 gave the command names the same directory.
  oneLine(await fleetgate(['db', 'import', '--from', none, '--database-url', DOWN]), 3, new RegExp(`^fleetgate: DATA_DIR ${none} does not exist \\(ENOENT\\)\\n$`));
  const file = join(await tempDir(), 'file');
  await writeFile(file, 'x');
  oneLine(await fleetgate(['db', 'import', '--data-dir', file, '--database-url', DOWN]), 2, /is not a directory\n$/);
  const other = await tempDir();
  await writeFile(join(other, 'notes.txt'), 'x');
  oneLine(await fleetgate(['db', 'import', '--data-dir', other, '--database-url', DOWN]), 2, new RegExp(`^fleetgate: ${other} is not a fleetgate DATA_DIR \\(none of devices.json, nonces.json, nonces.jsonl, … in it\\)\\n$`));
  const viaEnv = join(await tempDir(), 'env-data');
  oneLine(await fleetgate(['db', 'import', '--database-url', DOWN], { DATA_DIR: viaEnv }), 3, new RegExp(`^fleetgate: DATA_DIR ${viaEnv} does not exist`));
});

test('a DATA_DIR a gateway holds is refused, naming the holder', async () => {
  const data = await dataDir();
  const lock = await lockDataDir(data);
  try {
    oneLine(await fleetgate(['db', 'import', '--data-dir', data, '--database-url', await freshDatabase()]), 3, new RegExp(`^fleetgate: DATA_DIR .*in use by another fleetgate \\(pid ${process.pid}\\)`));
  } finally {
    await lock.release();
  }
});

test('an unreachable database: exit 4, one line, never the password; the DATA_DIR lock is released', async () => {
  const data = await dataDir();
  const r = await fleetgate(['db', 'import', '--data-dir', data, '--database-url', DOWN]);
  oneLine(r, 4, /^fleetgate: cannot reach the database at postgres 127\.0\.0\.1:1\/fleet: /);
  assert.not.match(r.stderr, /hunter2/);
  assert.not.ok(existsSync(join(data, '.lock')));
});

test("a database with tables that are not fleetgate's is refused, --force or not, and gets no schema", async () => {
  const url = await freshDatabase();
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql`CREATE TABLE customers (id int)`;
    for (const force of [[], ['--force']]) {
      oneLine(await fleetgate(['db', 'import', '--data-dir', await dataDir(), '--database-url', url, ...force]), 2, /^fleetgate: the database at .* holds 1 table and no fleetgate schema: point --database-url at an empty database\n$/);
    }
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`;
    assert.is(row!.n, 1, 'no fleetgate table was created');
  } finally {
    await sql.end();
  }
});

test('an import that stops part way says where; what was copied stays, and --force finishes it', async () => {
  const data = await dataDir();
  const device = { device_id: 'meter-1', created_at: '2026-03-01T00:00:00.000Z', key_mode: 'derived', key_version: 1 };
  await writeFile(join(data, 'devices.json'), JSON.stringify({ devices: { 'meter-1': device } }));
  const session = { session_id: 'ota_1', device_id: 'meter-1', version: '1.1.0', total_chunks: 4, chunk_size: 1024, encrypted_size: 4096, rollout_id: null, status: 'active',
    started_at: 1, last_activity_at: 1, finished_at: null, next_chunk: 0, highest_chunk: -1, chunks_served: 0, refetches: 0, bytes_served: 0, error: null };
  // A session without its chunk_root: the database refuses it.
  await writeFile(join(data, 'ota-state.json'), JSON.stringify({ devices: {}, sessions: { 'meter-1': session }, versions: {} }));
  const url = await freshDatabase();
  const stopped = await fleetgate(['db', 'import', '--data-dir', data, '--database-url', url]);
  oneLine(stopped, 4, /^fleetgate: import into postgres \S+ stopped while copying OTA state: .*chunk_root.*; what was copied stays: run it again with --force to finish \(nothing is copied twice\)\n$/);
  assert.not.ok(existsSync(join(data, '.lock')), 'the lock is released');

  await writeFile(join(data, 'ota-state.json'), JSON.stringify({ devices: {}, sessions: { 'meter-1': { ...session, chunk_root: 'ab'.repeat(32) } }, versions: {} }));
  const again = await fleetgate(['db', 'import', '--data-dir', data, '--database-url', url, '--force', '--json']);
  assert.is(again.code, 0, again.stderr);
  const kinds = (JSON.parse(again.stdout) as { kinds: { repository: string; counts: Record<string, number> }[] }).kinds;
  assert.equal(kinds.find((k) => k.repository === 'devices')!.counts, { copied: 0, already_there: 1 }, 'the device came over the first time');
  assert.is(kinds.find((k) => k.repository === 'otaState')!.counts.sessions, 1);
});

test.run();

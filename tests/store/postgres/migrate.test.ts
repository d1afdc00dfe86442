/**
 * Migrations as replicas of two versions see them during a rolling upgrade: the newer build has
 * applied a migration the older one has no file for. That migration is `ahead` of the older
 * build, which still starts (migrations are additive); a migration the build should have and has
 * not, or one that changed since it was applied, still stops it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../../server/store/postgres/connect.ts';
import { loadMigrations, migrate, migrationStatus, type Migration } from '../../../server/store/postgres/migrate.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

const all = loadMigrations();
const newest = all.at(-1)!;
/** The build before the newest migration: the same files without it. */
const previous = all.slice(0, -1);
const names = (ms: readonly { version: number; name: string }[]) => ms.map((m) => `${m.version}_${m.name}`);

/** The message `run` fails with (the test fails if it succeeds). */
async function refusal(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    return (err as Error).message;
  }
  assert.unreachable('expected a refusal');
  return '';
}

async function migrated(): Promise<ReturnType<typeof connect>> {
  const sql = connect(await freshDatabase('migrate'), { max: 2 });
  assert.equal(await migrate(sql), all.map((m) => m.version));
  return sql;
}

test('an older build starts on a database a newer build migrated: the newer migration is ahead, nothing is broken', async () => {
  const sql = await migrated();
  try {
    const status = await migrationStatus(sql, previous);
    assert.equal(names(status.ahead), names([newest]));
    assert.equal(status.mismatched, []);
    assert.equal(status.pending, []);
    assert.equal(await migrate(sql, previous), [], 'the older build applies nothing and does not refuse');
    assert.equal((await migrationStatus(sql)).ahead, [], 'the newer build sees its own migration');
  } finally {
    await sql.end();
  }
});

test('a migration the build should have and has not, or one changed since it was applied, still stops it', async () => {
  const sql = await migrated();
  try {
    const middle = all[Math.floor(all.length / 2)]!;
    const missing = all.filter((m) => m !== middle);
    assert.equal(names((await migrationStatus(sql, missing)).mismatched), names([middle]));
    assert.match(await refusal(migrate(sql, missing)), `changed since: ${middle.version}_${middle.name}`);

    const changed: Migration[] = all.map((m) => (m === newest ? { ...m, checksum: '0'.repeat(64) } : m));
    assert.equal(names((await migrationStatus(sql, changed)).mismatched), names([newest]));
    assert.match(await refusal(migrate(sql, changed)), `changed since: ${newest.version}_${newest.name}`);
  } finally {
    await sql.end();
  }
});

test.run();

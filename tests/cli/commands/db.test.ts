/**
 * `fleetgate db migrate|status` against a real PostgreSQL database: pending migrations listed,
 * applied once (a second run is a no-op), status after; no database configured, an unreachable
 * one and a bad URL are one line with the right exit code, never the password.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freshDatabase } from '../../helpers/postgres.ts';
import { fleetgate } from '../live.ts';

test('status lists pending migrations; migrate applies them once; status then shows them applied', async () => {
  const url = await freshDatabase();
  const before = await fleetgate(['db', 'status', '--database-url', url, '--json']);
  assert.is(before.code, 0, before.stderr);
  const pending = JSON.parse(before.stdout) as { applied: unknown[]; pending: { version: number; name: string }[] };
  assert.equal(pending.applied, []);
  assert.ok(pending.pending.length >= 1 && pending.pending[0]!.name === 'core');
  const first = await fleetgate(['db', 'migrate'], { DATABASE_URL: url });
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, /: applied 0001/);
  const second = await fleetgate(['db', 'migrate'], { DATABASE_URL: url });
  assert.match(second.stdout, /: up to date\n$/);
  const after = await fleetgate(['db', 'status'], { DATABASE_URL: url });
  assert.match(after.stdout, new RegExp(`^postgres 127\\.0\\.0\\.1:\\d+/\\w+: ${pending.pending.length} applied, 0 pending\\n`));
  assert.match(after.stdout, /^0001\s+core\s+applied\s+\S+Z$/m);
});

test('no database, a bad URL and an unreachable one are one line with their exit codes, never the password', async () => {
  const none = await fleetgate(['db', 'status'], { DATABASE_URL: '' });
  assert.is(none.code, 2);
  assert.match(none.stderr, /^fleetgate: no database: pass --database-url or set DATABASE_URL/);
  const bad = await fleetgate(['db', 'status', '--database-url', 'mysql://x']);
  assert.is(bad.code, 2);
  const down = await fleetgate(['db', 'migrate', '--database-url', 'postgres://fleet:hunter2-pw@127.0.0.1:1/fleet']);
  assert.is(down.code, 4, down.stderr);
  assert.match(down.stderr, /^fleetgate: cannot reach the database at postgres 127\.0\.0\.1:1\/fleet: /);
  assert.equal(down.stderr.trim().split('\n').length, 1);
  assert.not.match(down.stderr, /hunter2/);
});

test.run();

/**
 * The offline set a PostgreSQL replica keeps in memory (server/store/postgres/events.ts), against a
 * stand-in for the database: while the replica hears the events channel (NotificationWatch) the
 * set is kept by notifications alone; while it does not, the set is read again as it is used, at
 * most once a second, so a status another replica changed during a silently lost listening
 * connection reaches this one without waiting for the reconnect. The real cross-replica path is
 * tests/replicas/*.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Sql } from '../../../server/store/postgres/connect.ts';
import { PgEventRepo, UNHEARD_RELOAD_MS } from '../../../server/store/postgres/events.ts';

function fakeDatabase(offline: string[]) {
  const db = { offline, reads: 0, notify: (_payload: string) => undefined as void };
  const sql = Object.assign(
    async () => {
      db.reads++;
      return db.offline.map((device_id) => ({ device_id }));
    },
    {
      listen: async (_channel: string, fn: (payload: string) => void, onlisten: () => void) => {
        db.notify = fn;
        onlisten();
        return { state: { pid: 1 }, unlisten: async () => undefined };
      },
    },
  );
  return { db, sql: sql as unknown as Sql };
}

const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('heard: notifications keep the set, no reads', async () => {
  const { db, sql } = fakeDatabase(['m1']);
  const repo = new PgEventRepo(sql, 365, { trusted: () => true, follow: () => undefined });
  await repo.listen();
  assert.is(db.reads, 1, 'loaded at listen');
  assert.ok(repo.isOffline('m1'));
  db.notify('online:m1');
  db.notify('offline:m2');
  for (let i = 0; i < 100; i++) repo.isOffline('m1');
  assert.equal([repo.isOffline('m1'), repo.isOffline('m2'), db.reads], [false, true, 1]);
});

test('not heard: the set is read again as it is used, at most once a second', async () => {
  const { db, sql } = fakeDatabase(['m1']);
  let heard = true;
  const repo = new PgEventRepo(sql, 365, { trusted: () => heard, follow: () => undefined });
  await repo.listen();
  // The listening connection is lost without a word: another replica's changes are not heard.
  heard = false;
  db.offline = ['m2'];
  await sleep(UNHEARD_RELOAD_MS + 50); // since the load at listen
  assert.ok(repo.isOffline('m1'), 'answered from memory at once (every signed message asks)');
  await tick();
  assert.is(db.reads, 2, 'and read again');
  assert.equal([repo.isOffline('m1'), repo.isOffline('m2')], [false, true], 'the other replica’s changes are there');
  for (let i = 0; i < 100; i++) repo.isOffline('m3');
  await tick();
  assert.is(db.reads, 2, 'not more than once a second');
  db.offline = [];
  await sleep(UNHEARD_RELOAD_MS + 50);
  repo.isOffline('m2');
  await tick();
  assert.equal([db.reads, repo.isOffline('m2')], [3, false]);
  heard = true;
  await sleep(UNHEARD_RELOAD_MS + 50);
  repo.isOffline('m2');
  await tick();
  assert.is(db.reads, 3, 'heard again: no reads');
});

/** A stand-in whose reads wait until the test answers them; `reconnect()` is postgres.js re-listening. */
function slowDatabase() {
  const reads: { answer(offline: string[]): void; fail(): void }[] = [];
  const db = { reads, notify: (_payload: string) => undefined as void, reconnect: () => undefined as void };
  const sql = Object.assign(
    () =>
      new Promise((resolve, reject) => {
        reads.push({ answer: (offline) => resolve(offline.map((device_id) => ({ device_id }))), fail: () => reject(new Error('connection lost')) });
      }),
    {
      listen: async (_channel: string, fn: (payload: string) => void, onlisten: () => void) => {
        db.notify = fn;
        db.reconnect = onlisten;
        onlisten();
        return { state: { pid: 1 }, unlisten: async () => undefined };
      },
    },
  );
  return { db, sql: sql as unknown as Sql };
}

test('loads run one at a time; a notification during one is applied on top of it; a failed one is asked again', async () => {
  const { db, sql } = slowDatabase();
  let heard = true;
  const repo = new PgEventRepo(sql, 365, { trusted: () => heard, follow: () => undefined });
  const listening = repo.listen();
  await tick();
  db.reads[0]!.answer(['m1']);
  await listening;
  // Unheard, and a reload starts; a reconnect asks for another while it runs.
  heard = false;
  await sleep(UNHEARD_RELOAD_MS + 50);
  repo.isOffline('m1');
  await tick();
  assert.is(db.reads.length, 2);
  db.reconnect();
  await tick();
  assert.is(db.reads.length, 2, 'the second load waits for the first');
  db.notify('offline:m9'); // heard while the first load reads: applied on top of what it reads
  db.reads[1]!.answer(['m1']);
  await tick();
  assert.ok(repo.isOffline('m9'), 'the notification survived the load');
  assert.is(db.reads.length, 3, 'then the second load reads');
  db.notify('offline:m8'); // heard while a load fails: still applied
  db.reads[2]!.fail();
  await tick();
  assert.ok(repo.isOffline('m8'), 'a notification heard during a failed load is kept');
  await sleep(UNHEARD_RELOAD_MS + 50);
  repo.isOffline('m1');
  await tick();
  assert.is(db.reads.length, 4, 'after a failed load, the next use reads again');
  db.reads[3]!.answer([]);
  await tick();
  assert.not.ok(repo.isOffline('m1'));
});

test.run();

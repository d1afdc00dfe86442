/**
 * The device cache of a PostgreSQL replica (server/store/postgres/devices.ts), against a stand-in
 * for the database whose reads return when the test says: a read that a notification overtook
 * (another replica revoked the device while the read was on its way) does not fill the cache, and
 * while notifications are not reaching this replica (NotificationWatch) nothing is served from the
 * cache — judged per channel, since postgres.js re-listens each channel on its own after a lost
 * connection. The real cross-replica path is tests/replicas/*.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Sql } from '../../../server/store/postgres/connect.ts';
import { DEVICES_CHANNEL, PgDeviceRepo } from '../../../server/store/postgres/devices.ts';
import { NotificationWatch } from '../../../server/store/postgres/notification-watch.ts';

interface Read {
  id: string;
  answer(revoked: boolean): void;
}

function fakeDatabase() {
  const reads: Read[] = [];
  let notify: (id: string) => void = () => undefined;
  const sql = Object.assign(
    (_strings: TemplateStringsArray, ...values: unknown[]) =>
      new Promise((resolve) => {
        const id = values[0] as string;
        const row = (revoked: boolean) => ({
          device_id: id,
          created_at: new Date(0),
          key_mode: 'derived',
          key_version: 1,
          previous_key_version: null,
          previous_key_mode: null,
          previous_key_expires_at: null,
          rotated_at: null,
          revoked_at: revoked ? new Date(1000) : null,
          reinstated_at: null,
          psk_bound_at: null,
          tags: [],
        });
        reads.push({ id, answer: (revoked) => resolve([row(revoked)]) });
      }),
    {
      listen: async (_channel: string, fn: (payload: string) => void) => {
        notify = fn;
        return { unlisten: async () => undefined };
      },
    },
  );
  return { sql: sql as unknown as Sql, reads, notify: (id: string) => notify(id) };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a read overtaken by a notification is answered, but not cached: the next get reads again', async () => {
  const db = fakeDatabase();
  const repo = new PgDeviceRepo(db.sql);
  await repo.listen();
  const first = repo.get('m1');
  await tick();
  db.notify('m1'); // revoked on another replica after this read's snapshot, heard before its answer
  db.reads[0]!.answer(false);
  assert.is((await first)?.revoked_at, undefined, 'the read itself answers what it saw');
  const second = repo.get('m1');
  await tick();
  assert.is(db.reads.length, 2, 'not served from the cache');
  db.reads[1]!.answer(true);
  assert.ok((await second)?.revoked_at);
  assert.ok((await repo.get('m1'))?.revoked_at, 'a read nothing overtook is cached');
  assert.is(db.reads.length, 2);
});

test('while notifications are not heard, every get goes to the database and fills nothing', async () => {
  const db = fakeDatabase();
  let heard = false;
  const repo = new PgDeviceRepo(db.sql, { trusted: () => heard, follow: () => undefined });
  await repo.listen();
  for (let i = 0; i < 2; i++) {
    const got = repo.get('m1');
    await tick();
    db.reads[i]!.answer(false);
    await got;
  }
  assert.is(db.reads.length, 2, 'two gets, two reads');
  heard = true;
  const got = repo.get('m1');
  await tick();
  assert.is(db.reads.length, 3, 'nothing was cached meanwhile');
  db.reads[2]!.answer(false);
  await got;
  await repo.get('m1');
  assert.is(db.reads.length, 3, 'cached again once heard');
});

/**
 * A listening connection whose channels the test re-listens one by one after a reconnect, as
 * postgres.js does (each on its own backoff), and a heartbeat connection that delivers to the
 * heartbeat channel while it is listened to.
 */
function fakeListeningDatabase() {
  const listeners = new Map<string, { fn: (payload: string) => void; onlisten?: () => void; state: { pid?: number }; live: boolean }>();
  const reads: string[] = [];
  let backend = 100;
  const listen = async (channel: string, fn: (payload: string) => void, onlisten?: () => void) => {
    const l = { fn, onlisten, state: { pid: backend }, live: true };
    listeners.set(channel, l);
    onlisten?.();
    return { state: l.state, unlisten: async () => undefined };
  };
  const sql = Object.assign(
    (_strings: TemplateStringsArray, ...values: unknown[]) => {
      reads.push(values[0] as string);
      return Promise.resolve([]);
    },
    { listen },
  );
  const beat = {
    unsafe: (text: string) => {
      const payload = /'([0-9a-f]+)'\)$/.exec(text)![1]!;
      const hb = listeners.get('fleetgate_heartbeat');
      if (hb?.live) hb.fn(payload);
      return Promise.resolve([]);
    },
    end: async () => undefined,
  };
  return {
    sql: sql as unknown as Sql,
    beat: beat as unknown as Sql,
    reads,
    /** The listening connection is lost; the next one is another backend. */
    lose: () => {
      backend++;
      listeners.forEach((l) => (l.live = false));
    },
    relisten: (channel: string) => {
      const l = listeners.get(channel)!;
      l.live = true;
      l.state.pid = backend;
      l.onlisten?.();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('trust is per channel: the heartbeat channel listened to again first does not make the device cache trusted', async () => {
  const db = fakeListeningDatabase();
  const watch = new NotificationWatch(db.sql, db.beat, 10, 60);
  const repo = new PgDeviceRepo(db.sql, watch.channel());
  await repo.listen();
  await watch.start();
  try {
    await repo.get('m1');
    await repo.get('m1');
    assert.is(db.reads.length, 1, 'trusted: the second get is served from the cache');
    db.lose();
    await sleep(100);
    await repo.get('m1');
    assert.is(db.reads.length, 2, 'no heartbeat heard: the database is asked');
    db.relisten('fleetgate_heartbeat'); // postgres.js re-listens channels one by one, in any order
    await sleep(50);
    await repo.get('m1');
    await repo.get('m1');
    assert.is(db.reads.length, 4, 'heartbeats heard again, but the device channel is not listened to yet: every get reads');
    db.relisten(DEVICES_CHANNEL);
    await repo.get('m1');
    await repo.get('m1');
    assert.is(db.reads.length, 5, 'listened to on the heartbeat\'s connection: the cache (dropped on re-listen) fills again');
  } finally {
    await watch.close();
  }
});

test.run();

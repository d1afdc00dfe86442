/**
 * The heartbeat connection of a PostgreSQL replica (server/store/postgres/notification-watch.ts)
 * on a real database: a heartbeat's commit does not wait for a WAL flush of its own
 * (synchronous_commit off on that session only; a NOTIFY takes a transaction id, so it would); the
 * watch hears its own heartbeats and trusts a channel listened to on the same connection. (That a
 * NOTIFY takes an id is not asserted here: the id counter is the cluster's, shared with every
 * suite running at the same time.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../../server/store/postgres/connect.ts';
import { NotificationWatch, openHeartbeatConnection } from '../../../server/store/postgres/notification-watch.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

const url = await freshDatabase('heartbeat');

test("a heartbeat commits without waiting for a WAL flush; the pool's sessions are left as they are", async () => {
  const beat = openHeartbeatConnection(url);
  const pool = connect(url, { max: 1 });
  const watch = new NotificationWatch(pool, beat);
  try {
    await watch.start();
    const setting = `SELECT setting AS sync, source, current_setting('application_name') AS app FROM pg_settings WHERE name = 'synchronous_commit'`;
    const [s] = await beat.unsafe<{ sync: string; source: string; app: string }[]>(setting);
    assert.equal(s, { sync: 'off', source: 'session', app: 'fleetgate-heartbeat' });
    // The pool that stores uploads keeps the database's own setting (durable as shipped; the
    // test cluster itself runs without fsync).
    const [p] = await pool.unsafe<{ source: string }[]>(setting);
    assert.is.not(p!.source, 'session');
    // Set by SQL, not in the startup packet (a pooler such as PgBouncer refuses those).
    assert.equal(Object.keys(beat.options.connection).sort(), ['application_name']);
  } finally {
    await watch.close();
    await pool.end();
  }
});

test('the watch hears its own heartbeats and trusts a channel listened to on the same connection', async () => {
  const sql = connect(url, { max: 2 });
  const watch = new NotificationWatch(sql, openHeartbeatConnection(url));
  try {
    const trust = watch.channel();
    assert.is(trust.trusted(), false, 'nothing heard yet');
    const listening = await sql.listen('fleetgate_devices', () => undefined);
    trust.follow(listening.state);
    await watch.start();
    assert.is(trust.trusted(), true);
    await new Promise((r) => setTimeout(r, 1200));
    assert.is(trust.trusted(), true, 'still heard a second later');
  } finally {
    await watch.close();
    await sql.end();
  }
});

test.run();

/**
 * Job leases on a real database (server/store/postgres/leases.ts): one holder per job; a holder
 * whose lease session was replaced (postgres.js reconnects quietly) holds nothing; a check that
 * times out closes the lease session, so its locks go to the next replica at once instead of
 * staying with a pooled connection; and the lease session asks the server for short TCP
 * keepalives, so a holder cut off by a partition loses its locks in ~25 s instead of ~2 h. (The
 * partition itself cannot be played here: a userspace proxy's kernel answers keepalives, and
 * this machine has no packet filter to drop them.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Sql } from '../../../server/store/postgres/connect.ts';
import { LEASE_KEEPALIVE, Leases, openLeaseConnection } from '../../../server/store/postgres/leases.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

const url = await freshDatabase('leases');
const admin = connect(url, { max: 2 });
const clients: Sql[] = [];
/** A replica's leases; `timeout` is its lease check's limit in seconds. */
const replica = (timeout = 5) =>
  new Leases(
    () => {
      const c = openLeaseConnection(url, timeout);
      clients.push(c);
      return c;
    },
    (timeout + 1) * 1000,
  );
const leaseSessions = () => admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = 'fleetgate-leases' AND datname = current_database()`;
const until = async (what: string, ok: () => Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('one holder per job; the holder keeps it and releases it when it closes', async () => {
  const a = replica();
  const b = replica();
  assert.is(await a.hold('sweep'), true);
  assert.is(await b.hold('sweep'), false);
  assert.is(await b.hold('retention'), true, 'another job is free');
  assert.is(await a.hold('sweep'), true, 'still held');
  assert.equal(a.jobs(), ['sweep']);
  await a.close();
  assert.is(await a.hold('sweep'), false, 'a closed lease set takes nothing');
  assert.is(await b.hold('sweep'), true, 'released at close: taken over at once');
  await b.close();
});

test('a lease session replaced behind the holder holds nothing: the job goes to whoever takes it', async () => {
  const a = replica();
  const b = replica();
  assert.is(await a.hold('sweep'), true);
  const [session] = await leaseSessions();
  await admin`SELECT pg_terminate_backend(${session!.pid})`;
  await until('the lock released', async () => (await leaseSessions()).length === 0);
  assert.is(await b.hold('sweep'), true);
  // postgres.js answers on a new session (or fails once while it notices): never "still mine".
  const again = await a.hold('sweep').catch(() => 'failed');
  assert.is.not(again, true, 'the old holder must not believe it still holds the lease');
  assert.is(await a.hold('sweep'), false);
  assert.equal(a.jobs(), []);
  await a.close();
  await b.close();
});

test('a lease check that times out closes the lease session: its locks go to the next replica at once', async () => {
  const a = replica(1);
  const b = replica();
  assert.is(await a.hold('rollouts'), true);
  // The check reads pg_stat_activity; an exclusive lock on that view makes it wait past its limit.
  const locker = await admin.reserve();
  try {
    await locker`BEGIN`;
    await locker`LOCK TABLE pg_catalog.pg_stat_activity IN ACCESS EXCLUSIVE MODE`;
    const started = Date.now();
    const outcome = await a.hold('rollouts').then(
      () => 'answered',
      (err: { code?: string }) => err.code,
    );
    // The driver's limit (1 s), or ours just above it should the driver miss its own.
    assert.ok(outcome === 'QUERY_TIMEOUT' || outcome === 'LEASE_CHECK_TIMEOUT', String(outcome));
    assert.ok(Date.now() - started < 3000, `gave up after ${Date.now() - started} ms`);
    assert.equal(a.jobs(), []);
    await locker`COMMIT`;
  } finally {
    locker.release();
  }
  // The database still answers: a pooled connection would still hold the lock (for its idle
  // timeout, or for good under load). The lease session is closed instead.
  await until('another replica takes the lease', () => b.hold('rollouts'), 3000);
  await a.close();
  await b.close();
});

test('the lease session asks the server for short TCP keepalives', async () => {
  const lease = openLeaseConnection(url);
  try {
    const [idle] = await lease<{ v: string }[]>`SELECT current_setting('tcp_keepalives_idle') AS v`;
    const [interval] = await lease<{ v: string }[]>`SELECT current_setting('tcp_keepalives_interval') AS v`;
    const [count] = await lease<{ v: string }[]>`SELECT current_setting('tcp_keepalives_count') AS v`;
    assert.equal(
      [idle!.v, interval!.v, count!.v].map(Number),
      [LEASE_KEEPALIVE.tcp_keepalives_idle, LEASE_KEEPALIVE.tcp_keepalives_interval, LEASE_KEEPALIVE.tcp_keepalives_count],
    );
    assert.ok(LEASE_KEEPALIVE.tcp_keepalives_idle + LEASE_KEEPALIVE.tcp_keepalives_interval * LEASE_KEEPALIVE.tcp_keepalives_count <= 30, 'a silent holder is dropped within 30 s');
  } finally {
    await lease.end();
  }
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.end({ timeout: 1 }).catch(() => undefined)));
  await admin.end();
});

test.run();

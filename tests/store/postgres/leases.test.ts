/**
 * Job leases on a real database (server/store/postgres/leases.ts): one holder per job; a holder
 * whose lease session was replaced (postgres.js reconnects quietly) holds nothing, even with
 * checks of two jobs overlapping; a check that gets no answer gives the lease connection up, so
 * when a short partition heals its session ends and the next replica takes the jobs at once
 * (kept, or pooled, it would still hold the locks); and the lease session is kept while idle and
 * set up (by SQL, on each new session) for a statement limit, client checks, short TCP keepalives
 * and a user timeout.
 * Not played here, left to PostgreSQL's own settings: a partition that lasts (a userspace proxy's
 * kernel answers keepalives, and this machine has no packet filter to drop them), and a check
 * statement that waits on the server (it reads no table: nothing to hold it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Sql } from '../../../server/store/postgres/connect.ts';
import { LEASE_SESSION, Leases, openLeaseConnection } from '../../../server/store/postgres/leases.ts';
import { freshDatabase } from '../../helpers/postgres.ts';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';

const url = await freshDatabase('leases');
const admin = connect(url, { max: 2 });
const clients: Sql[] = [];
/** A replica's leases, through `via` (a proxy's URL) if given, giving a check up after `limitMs`. */
const replica = (via = url, limitMs?: number) =>
  new Leases(() => {
    const c = openLeaseConnection(via);
    clients.push(c);
    return c;
  }, limitMs);
const leaseSessions = () => admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = 'fleetgate-leases' AND datname = current_database()`;
/** Job-lease advisory locks held in this database. */
const advisoryLeaseLocks = async () =>
  Number(
    (
      await admin<{ n: string }[]>`SELECT count(*)::text AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 7002
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
    )[0]!.n,
  );
/** A replica whose lease connection goes through a TCP proxy the test can freeze. */
async function behindProxy(limitMs: number) {
  const u = new URL(url);
  const proxy = await startTcpProxy(u.hostname, Number(u.port));
  return { proxy, a: replica(proxy.via(url), limitMs) };
}
const until = async (what: string, ok: () => Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

// A closed client's session ends on the server a moment later: each test starts with no lease held.
test.before.each(async () => {
  await until('no lease left by the last test', async () => (await advisoryLeaseLocks()) === 0);
});

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

test('a lease check with no answer (a partition) gives the lease up: once the network heals its session ends, and another replica takes over at once', async () => {
  // The driver's own limit (5 s, and 5 more for a cancel that cannot get through) comes later.
  const { proxy, a } = await behindProxy(2000);
  const b = replica();
  try {
    assert.is(await a.hold('rollouts'), true);
    proxy.freeze();
    const started = Date.now();
    const outcome = await a.hold('rollouts').then(
      () => 'answered',
      (err: { code?: string }) => err.code,
    );
    assert.is(outcome, 'LEASE_CHECK_TIMEOUT');
    assert.ok(Date.now() - started < 3500, `gave up after ${Date.now() - started} ms`);
    assert.equal(a.jobs(), []);
    assert.is(await b.hold('rollouts'), false, 'the partitioned session still holds the lock');
    // The partition heals with its connections intact: the lease connection, closed meanwhile,
    // closes on the database's side too. Kept instead (or pooled), it would hold the lock still.
    proxy.thaw();
    await until('another replica takes the lease', () => b.hold('rollouts'), 3000);
    assert.is(await a.hold('rollouts'), false, 'a new lease session of the first replica does not get it back');
  } finally {
    await a.close();
    await b.close();
    await proxy.close();
  }
});

test("overlapping checks of two jobs on a replaced session: each answer is the session's, and the holder knows what it holds", async () => {
  const a = replica();
  const b = replica();
  assert.is(await a.hold('sweep'), true);
  const [session] = await leaseSessions();
  await admin`SELECT pg_terminate_backend(${session!.pid})`;
  await until('the lock released', async () => (await advisoryLeaseLocks()) === 0);
  assert.is(await b.hold('sweep'), true);
  // retention is free and taken on the new session; sweep, thought held, is the other replica's.
  const answers = await Promise.all([a.hold('retention').catch(() => 'failed'), a.hold('sweep').catch(() => 'failed')]);
  assert.equal(answers, [true, false]);
  assert.equal(a.jobs(), ['retention'], 'what it answered it holds, it knows it holds');
  assert.is(await a.hold('retention'), true);
  assert.is(await advisoryLeaseLocks(), 2);
  await a.close();
  await b.close();
});

test('a check answered after the leases were closed takes nothing', async () => {
  const { proxy, a } = await behindProxy(5000);
  try {
    assert.is(await a.hold('sweep'), true);
    proxy.freeze();
    const late = a.hold('notify-digests');
    await new Promise((r) => setTimeout(r, 100));
    const closing = a.close();
    proxy.thaw(); // the check's answer arrives while the lease connection closes
    assert.is(await late.catch(() => 'failed'), false);
    await closing;
    assert.equal(a.jobs(), []);
    await until('the closed session gone', async () => (await advisoryLeaseLocks()) === 0, 3000);
  } finally {
    await proxy.close();
  }
});

test('while the database is silent, repeated checks of a job share one: at most one waits per job', async () => {
  const { proxy, a } = await behindProxy(500);
  try {
    assert.is(await a.hold('sweep'), true);
    proxy.freeze();
    const started = Date.now();
    // A timer asking every few milliseconds, for two jobs: 20 checks of 500 ms each, one after
    // another, would take 10 s; shared, two.
    const asks: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      asks.push(a.hold('notify-digests').catch((e: { code?: string }) => e.code));
      asks.push(a.hold('sweep').catch((e: { code?: string }) => e.code));
      await new Promise((r) => setTimeout(r, 10));
    }
    const outcomes = new Set(await Promise.all(asks));
    assert.equal([...outcomes], ['LEASE_CHECK_TIMEOUT']);
    assert.ok(Date.now() - started < 2500, `all answered after ${Date.now() - started} ms`);
  } finally {
    await a.close();
    await proxy.close();
  }

});

test('a job name that is not simple is refused', async () => {
  const a = replica();
  const refused = await a.hold("x') OR true --").then(
    () => 'taken',
    (err: Error) => err.message,
  );
  assert.match(refused, /lowercase letters, digits and dashes/);
  assert.is(await advisoryLeaseLocks(), 0);
  await a.close();
});

test('the lease session is kept while idle and set up for keepalives, a statement limit, a user timeout and client checks', async () => {
  const lease = openLeaseConnection(url);
  try {
    assert.is(lease.options.idle_timeout, 0, 'never closed for idling: its locks would go with it');
    assert.is(lease.options.max_lifetime, null, 'never replaced for age');
    // By SQL on each new session, not in the startup packet (a pooler such as PgBouncer refuses those).
    assert.equal(Object.keys(lease.options.connection).sort(), ['application_name']);
  } finally {
    await lease.end();
  }
  const a = replica();
  assert.is(await a.hold('sweep'), true);
  /** The lease session's settings, asked on the replica's current lease client. */
  const settings = async () =>
    Object.fromEntries(
      (
        await clients[clients.length - 1]!.unsafe<{ name: string; setting: string }[]>(
          "SELECT name, setting FROM pg_settings WHERE name IN ('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count', 'statement_timeout', 'tcp_user_timeout', 'client_connection_check_interval')",
        )
      ).map((r) => [r.name, Number(r.setting)]),
    );
  const expected = { ...LEASE_SESSION, tcp_user_timeout: 25000, client_connection_check_interval: 1000 };
  assert.equal(await settings(), expected);
  assert.ok(LEASE_SESSION.tcp_keepalives_idle + LEASE_SESSION.tcp_keepalives_interval * LEASE_SESSION.tcp_keepalives_count <= 30, 'a silent holder is dropped within 30 s');
  // A session postgres.js opened anew (the last one ended behind it) is set up again.
  const [session] = await leaseSessions();
  await admin`SELECT pg_terminate_backend(${session!.pid})`;
  await until('the lock released', async () => (await advisoryLeaseLocks()) === 0);
  await a.hold('sweep').catch(() => undefined);
  assert.is(await a.hold('sweep'), true);
  assert.equal(await settings(), expected);
  await a.close();
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.end({ timeout: 1 }).catch(() => undefined)));
  await admin.end();
});

test.run();

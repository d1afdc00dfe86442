/**
 * The one mapping from errors to HTTP answers (server/http/error-handler.ts), for the answers that
 * carry more than a status and a body: a configuration change that waited too long for the one
 * before it is 503 `config_busy` with Retry-After, its message saying nothing was changed; a
 * database that is away or does not answer (real postgres.js and PostgreSQL errors) is 503
 * `unavailable`, while a query PostgreSQL refused for what it says is still a bug (500).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorAnswer } from '../../server/http/error-handler.ts';
import { silentLogger } from '../../server/logger.ts';
import { configBusy } from '../../server/remote-config/repo.ts';
import postgres from 'postgres';
import { freshDatabase } from '../helpers/postgres.ts';
import { freePort } from '../helpers/process.ts';

const where = { path: '/config/tags/a', method: 'PUT' };

test('config_busy: 503, JSON error body, Retry-After', () => {
  const answer = errorAnswer(configBusy(10_000), silentLogger(), where);
  assert.is(answer.status, 503);
  assert.equal(answer.headers, { 'Retry-After': '1' });
  assert.equal([answer.body.success, answer.body.error.code], [false, 'config_busy']);
  assert.match(answer.body.error.message, /after 10000 ms; nothing was changed/);
});

async function failure(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not fail');
}

test('the database away or silent: 503 unavailable with Retry-After; a refused statement: 500', async () => {
  const url = await freshDatabase('errmap');
  const sql = postgres(url, { max: 1, onnotice: () => undefined, query_timeout: 0.3 });
  const dead = postgres(`postgres://fleetgate@127.0.0.1:${await freePort()}/none`, { max: 1, connect_timeout: 2 });
  try {
    const cases: [string, Error][] = [
      ['ECONNREFUSED', await failure(() => dead`SELECT 1`)],
      ['QUERY_TIMEOUT', await failure(() => sql`SELECT pg_sleep(3)`)],
      ['57014', await failure(() => sql.begin(async (tx) => (await tx`SET LOCAL statement_timeout = 50`, await tx`SELECT pg_sleep(1)`)))],
      ['57P01', await failure(() => sql`SELECT pg_terminate_backend(pg_backend_pid())`)],
    ];
    for (const [code, err] of cases) {
      const answer = errorAnswer(err, silentLogger(), where);
      assert.equal([answer.status, answer.body.error.code, answer.headers], [503, 'unavailable', { 'Retry-After': '5' }], `${code}: ${err.message}`);
      assert.match(answer.body.error.message, new RegExp(`\\(${code}\\)`));
    }
    // A host name with several addresses, none listening: Node 20 fails with an AggregateError of
    // the attempts, its code that of the first, no syscall (net.js internalConnectMultiple). This
    // machine's localhost has one address, so it is built here as Node builds it.
    const aggregate = Object.assign(new AggregateError([cases[0]![1]], ''), { code: 'ECONNREFUSED' });
    const viaName = errorAnswer(aggregate, silentLogger(), where);
    assert.equal([viaName.status, viaName.body.error.code], [503, 'unavailable'], `${aggregate.name}: ${aggregate.message}`);
    const refused = await failure(() => sql`SELECT 1/0`);
    assert.is(errorAnswer(refused, silentLogger(), where).status, 500, 'division by zero is a bug, not an outage');
    const protocol = Object.assign(new Error('protocol violation'), { name: 'PostgresError', code: '08P01' });
    assert.is(errorAnswer(protocol, silentLogger(), where).status, 500, 'a protocol violation is a bug a retry would repeat');
  } finally {
    await sql.end();
    await dead.end();
  }
});

test.run();

/**
 * The fleet view and console sessions with two gateways on one PostgreSQL database (in-process):
 * a change made through one gateway shows in the other's read model once it resyncs (its taps
 * only see its own writes), the 24-hour counters of both add up, and a console session opened on
 * one gateway is honoured by the other and ends on both when its token is revoked on either.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { fleetOf } from '../../server/fleet/index.ts';
import { samples, startTestGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import '../helpers/postgres.ts';

async function pair(): Promise<[TestGateway, TestGateway]> {
  const a = await startTestGateway({ backend: 'postgres' });
  // Same database and the same KEYS_DIR (device keys and the console's cookie key derive from it).
  const b = await startTestGateway({ dir: await tempDir(), env: { DATABASE_URL: a.config.DATABASE_URL!, KEYS_DIR: join(a.dir, 'keys') } });
  return [a, b];
}

test('a device registered and heard through one gateway shows in the other after its resync; counts add up', async () => {
  const [a, b] = await pair();
  const key = await a.register('meter-1');
  assert.is((await a.upload('meter-1', key, 1, { aggregated_data: samples(2) })).status, 200);
  assert.is((await b.upload('meter-1', key, 2, { aggregated_data: samples(2) })).status, 200);
  const [fa, fb] = [fleetOf(a.ctx), fleetOf(b.ctx)];
  await Promise.all([fa.idle(), fb.idle()]);
  assert.is(fb.model.get('meter-1'), undefined, 'b has not resynced: it never saw the registration');
  await Promise.all([fa.flush(), fb.flush()]);
  await fb.reload();
  await fa.reload();
  for (const f of [fa, fb]) {
    const row = f.model.get('meter-1')!;
    assert.ok(row, 'registered');
    assert.is(row.last_nonce, 2);
    assert.equal(f.model.activity.last24h('meter-1', Date.now()), { uploads: 2, rejected: 0 }, 'one upload through each');
    assert.equal(f.model.counts().status.online, 1);
  }
  await b.destroy();
  await a.destroy();
});

test('a console session opened on one gateway works on the other and ends on both with its token', async () => {
  const [a, b] = await pair();
  const res = await a.admin('POST', '/tokens', { name: 'vera', role: 'viewer' });
  const { token } = (await res.json()) as { token: string };
  const form = await a.app.request('/ui/login');
  const pre = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const login = await a.app.request('/ui/login', {
    method: 'POST',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, token }).toString(),
  });
  assert.is(login.status, 303);
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('fleetgate_console='))!.split(';')[0]!;
  assert.is((await b.app.request('/ui/', { headers: { cookie } })).status, 200, 'b honours a session a opened');
  assert.is((await b.admin('DELETE', '/tokens/vera')).status, 200);
  for (const gw of [a, b]) assert.is((await gw.app.request('/ui/', { headers: { cookie, 'x-console-live': '1' } })).status, 401);
  await b.destroy();
  await a.destroy();
});

test.run();

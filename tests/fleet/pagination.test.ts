/**
 * `GET /devices?limit=&cursor=` (the fleet read model's pages): walking forward with next_cursor
 * and back with prev_cursor visits every matching device exactly once in the requested order,
 * for any sort; a device added or changed between two pages neither repeats nor hides another;
 * filters and search narrow the total; bad parameters are 400 invalid_query naming the field;
 * without list parameters the answer is the full list as before.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../server/clock.ts';
import { fleetOf } from '../../server/fleet/index.ts';
import { errorCode, samples, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

interface Page {
  total: number;
  count: number;
  devices: { device_id: string; connection: string; tags: string[]; uploads_24h: number; last_seen: string | null }[];
  next_cursor: string | null;
  prev_cursor: string | null;
}

let gw: TestGateway;
const clock = new FakeClock(Date.UTC(2026, 2, 1));
const ids = Array.from({ length: 230 }, (_, i) => `dev-${String(i).padStart(3, '0')}`);

async function page(query: string): Promise<Page> {
  const res = await gw.admin('GET', `/devices?${query}`);
  assert.is(res.status, 200, await res.clone().text());
  return (await res.json()) as Page;
}

async function walk(query: string): Promise<string[]> {
  const seen: string[] = [];
  let p = await page(query);
  assert.is(p.prev_cursor, null);
  for (;;) {
    seen.push(...p.devices.map((d) => d.device_id));
    if (!p.next_cursor) break;
    p = await page(`${query}&cursor=${p.next_cursor}`);
  }
  return seen;
}

test.before(async () => {
  gw = await startTestGateway({ clock });
  const body = { devices: ids.map((id, i) => ({ device_id: id, tags: i % 3 === 0 ? ['site:lyon'] : [] })) };
  const res = await gw.admin('POST', '/devices/bulk', body);
  assert.is(res.status, 201);
  const keys = new Map(((await res.json()) as { devices: { device_id: string; hmac_key: string }[] }).devices.map((d) => [d.device_id, Buffer.from(d.hmac_key, 'hex')]));
  // Every seventh device uploads, 1..3 times, at different times.
  for (let i = 0; i < ids.length; i += 7) {
    for (let n = 1; n <= 1 + (i % 3); n++) {
      clock.advance(1000);
      assert.is((await gw.upload(ids[i]!, keys.get(ids[i]!)!, n, { aggregated_data: samples(1) })).status, 200);
    }
  }
  await fleetOf(gw.ctx).idle();
});
test.after(() => gw.destroy());

test('forward by id: every device once, in order; the counts say the total', async () => {
  const first = await page('limit=50');
  assert.equal([first.total, first.count], [230, 50]);
  assert.equal(await walk('limit=50'), ids);
  assert.equal(await walk('limit=1000'), ids);
  assert.equal(await walk('limit=7&order=desc'), [...ids].reverse());
});

test('any sort: every device once, ordered by the key with unknown values last; back with prev_cursor', async () => {
  for (const sort of ['status', 'last_seen', 'last_upload', 'firmware', 'config', 'uploads_24h', 'rejected_24h']) {
    for (const order of ['asc', 'desc']) {
      const seen = await walk(`limit=33&sort=${sort}&order=${order}`);
      assert.equal([...seen].sort(), ids, `${sort} ${order}`);
    }
  }
  const uploads = (await page('limit=230&sort=uploads_24h&order=desc')).devices.map((d) => d.uploads_24h);
  assert.equal(uploads, [...uploads].sort((a, b) => b - a));
  const seen = (await page('limit=230&sort=last_seen&order=desc')).devices.map((d) => d.last_seen);
  const known = seen.filter((s) => s !== null) as string[];
  assert.is(known.length, 33);
  assert.equal(known, [...known].sort().reverse());
  assert.ok(seen.slice(known.length).every((s) => s === null), 'never seen last');

  const p1 = await page('limit=40&sort=last_seen&order=desc');
  const p2 = await page(`limit=40&sort=last_seen&order=desc&cursor=${p1.next_cursor}`);
  const p3 = await page(`limit=40&sort=last_seen&order=desc&cursor=${p2.next_cursor}`);
  const back = await page(`limit=40&sort=last_seen&order=desc&cursor=${p3.prev_cursor}`);
  assert.equal(back.devices.map((d) => d.device_id), p2.devices.map((d) => d.device_id));
  const front = await page(`limit=40&sort=last_seen&order=desc&cursor=${back.prev_cursor}`);
  assert.equal(front.devices.map((d) => d.device_id), p1.devices.map((d) => d.device_id));
  assert.is(front.prev_cursor, null);
});

test('a device added before the cursor between two pages repeats nothing and hides nothing', async () => {
  const p1 = await page('limit=100');
  assert.is((await gw.admin('POST', '/devices', { device_id: 'dev-000a' })).status, 201);
  const p2 = await page(`limit=100&cursor=${p1.next_cursor}`);
  assert.is(p2.devices[0]!.device_id, 'dev-100');
  assert.is(p2.total, 231);
  await gw.admin('DELETE', '/devices/dev-000a');
});

test('filters and search narrow the total', async () => {
  assert.is((await page('tag=site:lyon&limit=10')).total, 77);
  assert.is((await page('status=online&limit=10')).total, 33);
  assert.is((await page('status=never_seen&limit=10')).total, 230 - 33, 'the revoked dev-000a is revoked, not never seen');
  assert.is((await page('status=revoked&limit=10')).total, 1);
  assert.equal((await page('q=DEV-22&limit=10')).devices.map((d) => d.device_id), ['dev-220', 'dev-221', 'dev-222', 'dev-223', 'dev-224', 'dev-225', 'dev-226', 'dev-227', 'dev-228', 'dev-229']);
  assert.is((await page('behind=1&limit=1')).total, 230, 'no device reported a config version');
  assert.is((await page('firmware=unknown&limit=1')).total, 231, 'the revoked one included');
});

test('bad parameters: 400 invalid_query naming the field', async () => {
  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=x', 'limit'],
    ['cursor=nonsense!', 'cursor'],
    [`cursor=${Buffer.from('[1,2]').toString('base64url')}`, 'cursor'],
    ['status=asleep', 'status'],
    ['sort=colour', 'sort'],
    ['order=up', 'order'],
    ['behind=maybe', 'behind'],
    ['tag=Not A Tag', 'tag'],
  ]) {
    const res = await gw.admin('GET', `/devices?${query}`);
    assert.is(res.status, 400, query);
    const body = (await res.json()) as { error: { code: string; field: string } };
    assert.equal([body.error.code, body.error.field], ['invalid_query', field], query);
  }
  const p = await page('limit=5&sort=last_seen');
  const res = await gw.admin('GET', `/devices?limit=5&sort=id&cursor=${p.next_cursor}`);
  assert.is(res.status, 400);
  assert.is(await errorCode(res), 'invalid_query');
});

test('without list parameters: the whole list, as before', async () => {
  const all = (await (await gw.admin('GET', '/devices')).json()) as { count: number; devices: { device_id: string }[]; next_cursor?: unknown };
  assert.is(all.count, 231);
  assert.is(all.next_cursor, undefined);
  const tagged = (await (await gw.admin('GET', '/devices?tag=site:lyon')).json()) as { count: number };
  assert.is(tagged.count, 77);
});

test.run();

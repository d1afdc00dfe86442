import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock } from '../../server/clock.ts';
import { errorCode, samples, startTestGateway } from '../helpers/gateway.ts';

test('telemetry read-back: from/to (ISO and epoch), limit, CSV, day files', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 20, 23, 59, 0));
  const gw = await startTestGateway({ clock });
  const key = await gw.register('m1');
  await gw.upload('m1', key, 1, { aggregated_data: samples(2) });
  clock.advance(2 * 60_000); // next UTC day
  await gw.upload('m1', key, 2, { aggregated_data: [{ timestamp: 9, voltage: 231.5, note_code: 3 }] });

  const all = (await (await gw.admin('GET', '/telemetry/m1')).json()) as { count: number };
  assert.is(all.count, 3);
  const from = (await (await gw.admin('GET', '/telemetry/m1?from=2026-11-21T00:00:00Z')).json()) as {
    samples: { timestamp: number }[];
  };
  assert.equal(from.samples.map((s) => s.timestamp), [9]);
  const toEpoch = Math.floor(Date.UTC(2026, 10, 21) / 1000);
  const to = (await (await gw.admin('GET', `/telemetry/m1?to=${toEpoch}`)).json()) as { count: number };
  assert.is(to.count, 2);
  const limited = (await (await gw.admin('GET', '/telemetry/m1?limit=1')).json()) as { count: number };
  assert.is(limited.count, 1);

  const csv = await gw.admin('GET', '/telemetry/m1?format=csv');
  assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  const lines = (await csv.text()).trim().split('\n');
  assert.is(lines[0], 'timestamp,received_at,nonce,method,current,note_code,power,voltage');
  assert.is(lines.length, 4);
  assert.match(lines[3]!, /^9,2026-11-21T00:01:00.000Z,2,plain,,3,,231.5$/);

  for (const q of ['from=yesterday', 'limit=0', 'limit=abc', 'format=xml', 'from=2026-01-02&to=2026-01-01']) {
    const res = await gw.admin('GET', `/telemetry/m1?${q}`);
    assert.is(res.status, 400, q);
    assert.is(await errorCode(res), 'invalid_query');
  }
  assert.is((await gw.admin('GET', '/telemetry/ghost')).status, 404);
  await gw.destroy();
});

test('a day file the disk refuses: the upload was acknowledged (WAL), the read is 503 unavailable, not a 500', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 20, 12, 0, 0));
  const gw = await startTestGateway({ clock });
  const key = await gw.register('m1');
  // A directory where the day file belongs: every write to it fails with EISDIR.
  await mkdir(join(gw.config.DATA_DIR, 'telemetry', 'm1', '2026-11-20.jsonl'), { recursive: true });
  assert.is((await gw.upload('m1', key, 1, { aggregated_data: samples(2) })).status, 200);
  const res = await gw.admin('GET', '/telemetry/m1');
  assert.is(res.status, 503);
  assert.is(res.headers.get('retry-after'), '5');
  assert.is(await errorCode(res), 'unavailable');
  await rm(join(gw.config.DATA_DIR, 'telemetry', 'm1', '2026-11-20.jsonl'), { recursive: true });
  const ok = (await (await gw.admin('GET', '/telemetry/m1')).json()) as { count: number };
  assert.is(ok.count, 2, 'nothing acknowledged was lost');
  await gw.destroy();
});

test.run();

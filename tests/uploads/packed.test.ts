import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { METHODS, packSamples } from '../../server/codec/index.ts';
import { errorCode, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway;
let key: Uint8Array;
const ID = 'packer';
const DATA = Array.from({ length: 30 }, (_, i) => ({
  timestamp: 1_700_000_000 + i * 60,
  voltage: 233.5 + Math.round(Math.sin(i / 4) * 100) / 100,
  current: 18.4,
  power: 4.216 + (i > 15 ? 1 : 0),
}));

test.before.each(async () => {
  gw = await startTestGateway();
  key = await gw.register(ID);
});
test.after.each(async () => gw.destroy());

for (const [name, id] of Object.entries(METHODS)) {
  test(`packed upload with ${name} (0x${id.toString(16)}) stores the exact samples`, async () => {
    const res = await gw.upload(ID, key, 1, packSamples(DATA, id));
    assert.is(res.status, 200);
    assert.equal(await res.json(), { success: true, samples: DATA.length });
    const back = (await (await gw.admin('GET', `/telemetry/${ID}`)).json()) as { samples: Record<string, unknown>[] };
    assert.equal(
      back.samples.map(({ timestamp, voltage, current, power }) => ({ timestamp, voltage, current, power })),
      DATA,
    );
    assert.ok(back.samples.every((s) => s.method === name));
  });
}

test('packed batch errors: crc, size, method, ratio each a 400 with its code', async () => {
  const good = packSamples(DATA, 'delta');
  const cases: [Record<string, unknown>, string][] = [
    [{ ...good, crc32: good.crc32 === '00000000' ? '00000001' : '00000000' }, 'crc_mismatch'],
    [{ ...good, original_size: good.original_size + 1 }, 'size_mismatch'],
    [{ ...good, method: 0x42 }, 'unknown_method'],
    [{ ...good, original_size: 5_000_000 }, 'too_large'],
    [{ ...good, compressed_size: good.compressed_size + 1 }, 'size_mismatch'],
  ];
  let nonce = 1;
  for (const [batch, code] of cases) {
    const res = await gw.upload(ID, key, nonce++, batch);
    assert.is(res.status, 400, code);
    assert.is(await errorCode(res), code);
  }
  const stats = (await (await gw.admin('GET', '/security/stats')).json()) as { fleet: { crc_failure: number } };
  assert.is(stats.fleet.crc_failure, 1);
});

test('metrics expose uploads by outcome and samples by method', async () => {
  await gw.upload(ID, key, 1, packSamples(DATA, 'smart'));
  await gw.upload(ID, key, 1, packSamples(DATA, 'smart'));
  const text = await (await gw.admin('GET', '/metrics')).text();
  assert.match(text, /fleetgate_uploads_total\{outcome="accepted"\} 1/);
  assert.match(text, /fleetgate_uploads_total\{outcome="duplicate"\} 1/);
  assert.match(text, /fleetgate_samples_total\{method="smart"\} 30/);
  assert.match(text, /fleetgate_http_requests_total\{route="\/aggregated\/:device_id",method="POST",status="200"\} 2/);
  assert.match(text, /fleetgate_http_request_duration_seconds_bucket/);
});

test.run();

/**
 * The attacks behind the shared limits (server/protocol/limits.ts), performed against a gateway:
 * sample fields named after Object.prototype members (they broke the CSV export of every other
 * row), a packed batch declaring 65,535 samples in a few KB (hundreds of ms of CPU and megabytes
 * of WAL per upload), and register names a frame cannot carry (every later upload failed).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_BATCH_SAMPLES, packFrame, unpackBatch, encodeFrame } from '../../server/codec/index.ts';
import { crc32Hex } from '../../server/codec/crc32.ts';
import { PackedDataError } from '../../server/errors.ts';
import { BATCH_MAX_SAMPLES, RESERVED_FIELD_NAMES } from '../../server/protocol/limits.ts';
import { toCsv } from '../../server/telemetry/routes.ts';
import { decodePayload } from '../../server/uploads/payload.ts';
import { errorCode, startTestGateway } from '../helpers/gateway.ts';

const T0 = 1_700_000_000;

test('plain uploads with a field named after an Object.prototype member are refused; CSV stays intact', async () => {
  const gw = await startTestGateway();
  const key = await gw.register('proto');
  let nonce = 1;
  const good = await gw.upload('proto', key, nonce++, { aggregated_data: [{ timestamp: T0, voltage: 230.1 }] });
  assert.is(good.status, 200);
  for (const name of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
    // Written as text: an object literal would turn "__proto__" into a prototype, not a key.
    const doc = `{"aggregated_data":[{"timestamp":${T0 + nonce},"${name}":1,"voltage":1}]}`;
    const res = await gw.upload('proto', key, nonce++, JSON.parse(doc));
    assert.is(res.status, 400, name);
    assert.is(await errorCode(res), 'invalid_payload', name);
  }
  const csv = await (await gw.admin('GET', '/telemetry/proto?format=csv')).text();
  assert.is(csv.trim().split('\n').length, 2, csv);
  assert.not.match(csv, /function|\[object/);
  await gw.destroy();
});

test('CSV export reads own properties only (rows stored before the rule keep other rows clean)', () => {
  const row = (values: Record<string, number>) => ({ timestamp: T0, received_at: 0, nonce: 1, method: 'plain', values });
  const legacy = JSON.parse('{"constructor":5,"__proto__":6,"toString":7}') as Record<string, number>;
  const lines = toCsv([row(legacy), row({ voltage: 1 })]).trim().split('\n');
  assert.is(lines[0], 'timestamp,received_at,nonce,method,__proto__,constructor,toString,voltage');
  assert.match(lines[1]!, /,6,5,7,$/);
  assert.match(lines[2]!, /,plain,,,,1$/);
});

test('the reserved list covers every Object.prototype member of this engine', () => {
  for (const name of Object.getOwnPropertyNames(Object.prototype)) assert.ok((RESERVED_FIELD_NAMES as readonly string[]).includes(name), name);
  assert.ok((RESERVED_FIELD_NAMES as readonly string[]).includes('timestamp'));
});

/**
 * A frame of n samples x 2 fields whose readings hold for 30 and 45 samples: it packs to a few KB
 * (within every size limit and far below the 1024:1 ratio limit), so only the sample limit stops it.
 */
function bigFrame(n: number): Uint8Array {
  const rows = Array.from({ length: n }, (_, i) => ({ timestamp: T0 + i, a: Math.floor(i / 30) % 50, b: Math.floor(i / 45) % 20 }));
  return encodeFrame(rows);
}

test(`a packed batch of 65,535 samples is refused as too_large before decoding; ${BATCH_MAX_SAMPLES} is the limit`, async () => {
  const gw = await startTestGateway();
  const key = await gw.register('flood');
  const frame = bigFrame(65_535);
  const packed = packFrame(frame, 'rle');
  const batch = {
    compressed_data: Buffer.from(packed).toString('base64'),
    method: 0xad,
    original_size: frame.length,
    compressed_size: packed.length,
    crc32: crc32Hex(frame),
    timestamp: T0,
  };
  assert.ok(frame.length <= packed.length * 1024, 'within the ratio limit: only the sample limit can stop it');
  assert.ok(packed.length < 30_000, `a small upload (${packed.length} bytes packed)`);
  const res = await gw.upload('flood', key, 1, batch);
  assert.is(res.status, 400);
  assert.is(await errorCode(res), 'too_large');
  const stored = (await (await gw.admin('GET', '/telemetry/flood')).json()) as { count: number };
  assert.is(stored.count, 0);

  // exactly the limit is accepted, one more is not (plain uploads share the limit)
  const atLimit = bigFrame(MAX_BATCH_SAMPLES);
  const p = packFrame(atLimit, 'rle');
  const ok = await gw.upload('flood', key, 2, {
    compressed_data: Buffer.from(p).toString('base64'),
    method: 0xad,
    original_size: atLimit.length,
    compressed_size: p.length,
    crc32: crc32Hex(atLimit),
    timestamp: T0,
  });
  assert.is(ok.status, 200);
  await gw.destroy();
  // plain batches share the limit (checked on the document; a body this size is a 413 before that)
  const plain = (n: number) => JSON.stringify({ aggregated_data: Array.from({ length: n }, (_, i) => ({ timestamp: T0 + i, v: 1 })) });
  assert.is(decodePayload(plain(MAX_BATCH_SAMPLES), 1 << 20).samples.length, MAX_BATCH_SAMPLES);
  assert.throws(() => decodePayload(plain(MAX_BATCH_SAMPLES + 1), 1 << 20), /at most 10000 samples/);
});

test('the sample limit is read from the header: the rest of the stream is never decoded', () => {
  const frame = bigFrame(MAX_BATCH_SAMPLES + 1);
  const packed = Buffer.from(packFrame(frame, 'rle'));
  packed.fill(0xff, 64); // garbage after the header: decoding would fail with bad_packed_data
  try {
    unpackBatch({ compressed_data: packed.toString('base64'), method: 0xad, original_size: frame.length, compressed_size: packed.length, crc32: crc32Hex(frame) });
    assert.unreachable('accepted');
  } catch (err) {
    assert.instance(err, PackedDataError);
    assert.is((err as PackedDataError).code, 'too_large');
  }
});

test('config register names the frame cannot carry are refused with 400', async () => {
  const gw = await startTestGateway();
  await gw.register('cfg');
  for (const registers of [['Power'], ['power', 'Power'], ['a'.repeat(32)], ['constructor'], ['toString'], ['bad-name']]) {
    const res = await gw.admin('PUT', '/config/cfg', { registers });
    assert.is(res.status, 400, JSON.stringify(registers));
  }
  const ok = await gw.admin('PUT', '/config/cfg', { registers: ['power', 'a'.repeat(31)] });
  assert.is(ok.status, 200);
  await gw.destroy();
});

test.run();

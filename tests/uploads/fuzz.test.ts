/**
 * Seeded fuzzing of the upload path: thousands of mutated envelopes (structure, types, bytes) and
 * validly signed envelopes around mutated packed batches, so the mutations reach the decoders.
 * The gateway must answer every one with 200/4xx JSON — never a 5xx, never a throw.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packSamples, METHODS } from '../../server/codec/index.ts';
import { signEnvelope, signEncodedPayload } from '../../server/protocol/envelope.ts';
import { samples, startTestGateway } from '../helpers/gateway.ts';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

const ID = 'fuzz-dev';

test('mutated envelopes and packed batches never produce a 5xx', async () => {
  const gw = await startTestGateway();
  const key = await gw.register(ID);
  const rand = prng(0xf1ee7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const statuses = new Map<number, number>();
  let nonce = 1;

  const send = async (body: Uint8Array | string) => {
    const res = await gw.app.request(`/aggregated/${ID}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
    });
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    assert.ok(res.status < 500, `5xx for ${typeof body === 'string' ? body.slice(0, 200) : 'bytes'}`);
    const json = (await res.json()) as { success: boolean; error?: { code: string } };
    if (res.status !== 200) assert.type(json.error?.code, 'string');
  };

  const base = samples(20);
  const packed = Object.values(METHODS).map((m) => packSamples(base as never, m));
  const weird: unknown[] = [null, true, 0, -1, 2 ** 53, 1e308, 'x', '', [], {}, [1], { a: 1 }, '\u0000', 'é'.repeat(100)];

  for (let i = 0; i < 1500; i++) {
    const env = signEnvelope(key, ID, nonce, { aggregated_data: samples(2) }) as unknown as Record<string, unknown>;
    switch (i % 4) {
      case 0: {
        // structural: drop, replace or add fields
        const field = pick(['device_id', 'nonce', 'payload', 'mac', 'extra']);
        if (rand() < 0.3) delete env[field];
        else env[field] = pick(weird);
        await send(JSON.stringify(env));
        break;
      }
      case 1: {
        // byte-level mutation of the serialized body
        const bytes = new TextEncoder().encode(JSON.stringify(env));
        const flips = 1 + Math.floor(rand() * 4);
        for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
        await send(rand() < 0.2 ? bytes.slice(0, Math.floor(rand() * bytes.length)) : bytes);
        break;
      }
      case 2: {
        // authentic envelope around a mutated packed batch: reaches the decoders
        const batch = { ...pick(packed) } as Record<string, unknown>;
        const data = Buffer.from(String(batch.compressed_data), 'base64');
        const mutation = Math.floor(rand() * 6);
        if (mutation === 0) {
          for (let f = 0; f < 3; f++) {
            const at = Math.floor(rand() * data.length);
            data[at] = data[at]! ^ (1 << Math.floor(rand() * 8));
          }
        }
        const mutatedData = mutation === 1 ? data.subarray(0, Math.floor(rand() * data.length)) : data;
        batch.compressed_data = mutatedData.toString('base64');
        if (mutation === 1) batch.compressed_size = mutatedData.length;
        if (mutation === 2) batch.original_size = Math.floor(rand() * 4_000_000);
        if (mutation === 3) batch.method = pick([...Object.values(METHODS), 0, 1, 0xd1, 255, 256, -1]);
        if (mutation === 4) batch.crc32 = pick(['00000000', 'ffffffff', 'zz', 5]);
        if (mutation === 5) batch.compressed_size = pick([0, 1, 1e9, -5, 3.5]);
        await send(JSON.stringify(signEnvelope(key, ID, nonce++, batch)));
        break;
      }
      default: {
        // authentic envelope around a garbage payload document
        const doc = pick([
          () => signEncodedPayload(key, ID, nonce++, Buffer.from(JSON.stringify(pick(weird))).toString('base64')),
          () => signEncodedPayload(key, ID, nonce++, Buffer.from(Array.from({ length: 40 }, () => Math.floor(rand() * 256))).toString('base64')),
          () => signEnvelope(key, ID, nonce++, { aggregated_data: [{ timestamp: pick(weird), v: pick(weird) }] }),
        ])();
        await send(JSON.stringify(doc));
      }
    }
  }
  // The device still works afterwards.
  const ok = await gw.upload(ID, key, nonce + 1, { aggregated_data: samples(1) });
  assert.is(ok.status, 200);
  assert.ok((statuses.get(400) ?? 0) > 500 && (statuses.get(401) ?? 0) > 10, JSON.stringify([...statuses]));
  await gw.destroy();
});

test.run();

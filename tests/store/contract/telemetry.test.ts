/**
 * TelemetryLog contract, on every backend: a batch appended on its own (not through an upload) is
 * read back exactly — values, order, receive time, nonce, packing method — whether its samples
 * came as objects or as the device's own JSON text; receive-time ranges and limits; fleet buckets
 * on the samples' own timestamps (seconds or milliseconds), per field and per device list; and
 * retention by whole days.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { SampleRecord, TelemetryBatch } from '../../../server/store/types.ts';
import { contract } from './backends.ts';

const DAY = 86_400_000;
const T = Date.UTC(2026, 2, 10, 12);
const sec = (ms: number) => Math.floor(ms / 1000);

function batch(receivedAt: number, nonce: number, samples: SampleRecord[], asText = false): TelemetryBatch {
  return { received_at: receivedAt, nonce, method: asText ? 'plain' : 'delta', samples, ...(asText ? { samplesJson: JSON.stringify(samples) } : {}) };
}

contract('append then query: samples read back exactly, in receive order, within the range and limit', async (store) => {
  await store.telemetry.append('m', batch(T, 1, [{ timestamp: sec(T) - 60, voltage: 230.1, power: 1.5 }, { timestamp: sec(T), voltage: 229.9, power: -0.25 }], true));
  await store.telemetry.append('m', batch(T + 60_000, 2, [{ timestamp: sec(T) + 60, power: 2 }]));
  await store.telemetry.append('other', batch(T, 7, [{ timestamp: sec(T), power: 9 }]));
  const all = await store.telemetry.query('m', { limit: 100 });
  assert.equal(all, [
    { timestamp: sec(T) - 60, received_at: T, nonce: 1, method: 'plain', values: { voltage: 230.1, power: 1.5 } },
    { timestamp: sec(T), received_at: T, nonce: 1, method: 'plain', values: { voltage: 229.9, power: -0.25 } },
    { timestamp: sec(T) + 60, received_at: T + 60_000, nonce: 2, method: 'delta', values: { power: 2 } },
  ]);
  assert.equal((await store.telemetry.query('m', { fromMs: T + 1, limit: 100 })).map((s) => s.nonce), [2]);
  assert.equal((await store.telemetry.query('m', { toMs: T, limit: 100 })).map((s) => s.nonce), [1, 1]);
  assert.is((await store.telemetry.query('m', { limit: 2 })).length, 2);
  assert.equal(await store.telemetry.query('nobody', { limit: 10 }), []);
});

contract('after a nonce reset, batches that reuse a nonce with other samples are all read back', async (store) => {
  const up = (nonce: number, power: number, at: number) =>
    store.nonces.acceptUpload('r', nonce, `m${nonce}-${power}`, at, batch(at, nonce, [{ timestamp: sec(at), power }]));
  await up(1, 10, T);
  await up(2, 20, T + 1000);
  await store.nonces.reset('r');
  // A re-provisioned device starts its nonces again.
  await up(1, 30, T + 2000);
  const rows = await store.telemetry.query('r', { limit: 10 });
  assert.equal(rows.map((r) => [r.nonce, r.values.power]), [[1, 10], [2, 20], [1, 30]]);
});

contract('fleet buckets: min/avg/max/count per bucket on the samples own times, by field and device list', async (store) => {
  const t0 = sec(T) - (sec(T) % 300);
  await store.telemetry.append('a', batch(T, 1, [{ timestamp: t0 + 10, power: 1 }, { timestamp: t0 + 20, power: 3 }]));
  // Milliseconds are accepted as device times too.
  await store.telemetry.append('b', batch(T, 1, [{ timestamp: (t0 + 30) * 1000, power: 5 }, { timestamp: (t0 + 310) * 1000, power: 7, voltage: 230 }]));
  const q = { field: 'power', fromMs: t0 * 1000, toMs: (t0 + 600) * 1000, bucketSeconds: 300 };
  assert.equal(await store.telemetry.buckets(q), [
    { t: t0, min: 1, avg: 3, max: 5, count: 3 },
    { t: t0 + 300, min: 7, avg: 7, max: 7, count: 1 },
  ]);
  assert.equal(await store.telemetry.buckets({ ...q, devices: ['a'] }), [{ t: t0, min: 1, avg: 2, max: 3, count: 2 }]);
  assert.equal(await store.telemetry.buckets({ ...q, field: 'voltage' }), [{ t: t0 + 300, min: 230, avg: 230, max: 230, count: 1 }]);
  assert.equal(await store.telemetry.buckets({ ...q, fromMs: (t0 + 300) * 1000 }), [{ t: t0 + 300, min: 7, avg: 7, max: 7, count: 1 }]);
});

contract('prune forgets whole days before the cutoff, keeps the rest, and survives a restart', async (store, { reopen }) => {
  await store.telemetry.append('m', batch(T - 10 * DAY, 1, [{ timestamp: sec(T - 10 * DAY), power: 1 }]));
  await store.telemetry.append('m', batch(T, 2, [{ timestamp: sec(T), power: 2 }]));
  assert.type(await store.telemetry.prune(T - 5 * DAY), 'number');
  assert.equal((await store.telemetry.query('m', { limit: 10 })).map((s) => s.nonce), [2]);
  await store.close();
  const again = await reopen();
  assert.equal((await again.telemetry.query('m', { limit: 10 })).map((s) => s.values.power), [2]);
});

test.run();

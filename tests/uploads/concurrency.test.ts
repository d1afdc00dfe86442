import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmbeddedStore } from '../../server/store/embedded/index.ts';
import { samples, startTestGateway } from '../helpers/gateway.ts';

/** Nonces of every batch line in a device's day files, read from the files themselves. */
async function storedNonces(dataDir: string, deviceId: string): Promise<number[]> {
  const dir = join(dataDir, 'telemetry', deviceId);
  const out: number[] = [];
  for (const name of (await readdir(dir)).sort()) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (line.trim()) out.push((JSON.parse(line) as { nonce: number }).nonce);
    }
  }
  return out;
}

test('200 concurrent uploads across 20 devices: nothing lost or doubled, no replay accepted', async () => {
  const gw = await startTestGateway({ env: { DURABILITY: 'fsync' } });
  const devices = Array.from({ length: 20 }, (_, i) => `meter-${i}`);
  const keys = new Map<string, Uint8Array>();
  for (const id of devices) keys.set(id, await gw.register(id));
  // Each device sends nonces 1..10 concurrently (arrival order is shuffled), each batch 3 samples,
  // plus a replay of every message (same nonce, different payload) and an exact retransmission.
  const jobs: { id: string; body: string; kind: 'first' | 'replay' | 'retransmit' }[] = [];
  for (const id of devices) {
    for (let n = 1; n <= 10; n++) {
      const env = signEnvelope(keys.get(id)!, id, n, { aggregated_data: samples(3, 1_700_000_000 + n * 1000) });
      jobs.push({ id, body: JSON.stringify(env), kind: 'first' });
      jobs.push({ id, body: JSON.stringify(env), kind: 'retransmit' });
      const forged = signEnvelope(keys.get(id)!, id, n, { aggregated_data: samples(1, 42) });
      jobs.push({ id, body: JSON.stringify(forged), kind: 'replay' });
    }
  }
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [jobs[i], jobs[j]] = [jobs[j]!, jobs[i]!];
  }
  const results = await Promise.all(
    jobs.map(async (job) => {
      const res = await gw.app.request(`/aggregated/${job.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: job.body,
      });
      return { job, status: res.status, json: (await res.json()) as { success: boolean; duplicate?: boolean; samples?: number } };
    }),
  );
  assert.ok(results.every((r) => r.status === 200 || r.status === 401), 'only 200 or 401');
  for (const id of devices) {
    const stored = (await (await gw.admin('GET', `/telemetry/${id}?limit=100000`)).json()) as {
      samples: { nonce: number; timestamp: number }[];
    };
    const storedPerNonce = new Map<number, number>();
    for (const s of stored.samples) storedPerNonce.set(s.nonce, (storedPerNonce.get(s.nonce) ?? 0) + 1);
    for (let n = 1; n <= 10; n++) {
      const mine = results.filter((r) => r.job.id === id && JSON.parse(r.job.body).nonce === n);
      const fresh = mine.filter((r) => r.status === 200 && !r.json.duplicate);
      // At most one message per nonce is ever accepted as new (the other is a replay or a duplicate).
      assert.ok(fresh.length <= 1, `${id} nonce ${n}: ${fresh.length} fresh accepts`);
      // What was stored for that nonce is exactly the accepted batch, once.
      const expected = fresh.length === 0 ? 0 : fresh[0]!.json.samples!;
      assert.is(storedPerNonce.get(n) ?? 0, expected, `${id} nonce ${n} stored`);
    }
  }
  await gw.destroy();
});

test('in-order uploads from many devices all land exactly once', async () => {
  const gw = await startTestGateway();
  const ids = Array.from({ length: 20 }, (_, i) => `d${i}`);
  const keys = await Promise.all(ids.map((id) => gw.register(id)));
  const res = await Promise.all(
    ids.flatMap((id, i) => Array.from({ length: 10 }, (_, n) => gw.upload(id, keys[i]!, n + 1, { aggregated_data: samples(2) }))),
  );
  // concurrent sends of increasing nonces: a lower nonce arriving after a higher one is a replay — but every 200 is stored once
  const ok = res.filter((r) => r.status === 200).length;
  let stored = 0;
  for (const id of ids) stored += ((await (await gw.admin('GET', `/telemetry/${id}?limit=1000`)).json()) as { count: number }).count;
  assert.is(stored, ok * 2);
  await gw.destroy();
});

test('a retransmission of an upload in flight is never stored twice, even after a newer claim is given back', async () => {
  // Attack (issue 12.1): upload A (nonce 5) in flight; a signed request with nonce 6 fails with a
  // 5xx and gives its claim back; A re-sent byte for byte used to be accepted as new.
  const gw = await startTestGateway();
  const key = await gw.register('m');
  const log = (gw.ctx.store as unknown as EmbeddedStore).telemetry;
  const original = log.appendWithNonce.bind(log);
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let held = 0;
  log.appendWithNonce = async (...args) => {
    if (held++ === 0) await gate; // hold the first upload's durable write
    return original(...args);
  };
  const envelope = JSON.stringify(signEnvelope(key, 'm', 5, { aggregated_data: samples(2) }));
  const send = () =>
    gw.app.request('/aggregated/m', { method: 'POST', headers: { 'content-type': 'application/json' }, body: envelope });
  const first = send();
  await new Promise((r) => setTimeout(r, 20));
  // What the device-request middleware does for a request that ends in a 5xx: claim, then give back.
  const failed = await gw.ctx.store.nonces.claim('m', 6, 'ff'.repeat(32), gw.ctx.clock.now());
  assert.is(failed.outcome, 'fresh');
  if (failed.outcome === 'fresh') failed.abort();
  const again = send();
  await new Promise((r) => setTimeout(r, 20));
  open();
  const answers = await Promise.all([first, again].map(async (r) => (await r).json() as Promise<{ duplicate?: boolean }>));
  assert.equal(answers.map((a) => a.duplicate === true), [false, true]);
  await gw.ctx.store.telemetry.query('m', { limit: 1 }); // writes the staged day-file lines out
  assert.equal(await storedNonces(gw.config.DATA_DIR, 'm'), [5], 'the batch is in the day file once');
  await gw.destroy();
});

test.run();

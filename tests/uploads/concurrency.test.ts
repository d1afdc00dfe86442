import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { samples, startTestGateway } from '../helpers/gateway.ts';

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

test.run();

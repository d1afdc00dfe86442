/**
 * NonceLedger contract, on every backend: the check-and-set (fresh, duplicate with its stored
 * reply, replay), a claim given back, a retransmission of a message still being answered waiting
 * for it (never judged fresh), uploads stored with their nonce exactly once however many copies
 * arrive at once — from one store or, on PostgreSQL, two replicas — and resets.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { TelemetryBatch } from '../../../server/store/types.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const reply = { status: 200, body: 'e30=', headers: { 'content-type': 'application/json' } };
const batch = (nonce: number, n = 2): TelemetryBatch => ({
  received_at: T + nonce,
  nonce,
  method: 'plain',
  samples: Array.from({ length: n }, (_, i) => ({ timestamp: 1_767_225_600 + nonce * 60 + i, power: nonce * 10 + i })),
});

contract('claim: fresh, committed with a reply, then duplicate (same MAC) or replay', async (store) => {
  const c = await store.nonces.claim('d', 5, 'aa', T);
  assert.is(c.outcome, 'fresh');
  if (c.outcome === 'fresh') await c.commit(reply);
  assert.equal(await store.nonces.claim('d', 5, 'aa', T + 1), { outcome: 'duplicate', reply });
  assert.equal(await store.nonces.claim('d', 5, 'bb', T + 1), { outcome: 'replay', lastNonce: 5 });
  assert.equal(await store.nonces.claim('d', 4, 'cc', T + 1), { outcome: 'replay', lastNonce: 5 });
  assert.equal(await store.nonces.get('d'), { nonce: 5, seen_at: T });
  assert.equal([...(await store.nonces.all())], [['d', { nonce: 5, seen_at: T }]]);
});

contract('an aborted claim gives the nonce back; a retransmission of a claim in flight waits for it', async (store) => {
  const a = await store.nonces.claim('d', 1, 'x', T);
  if (a.outcome === 'fresh') a.abort();
  await new Promise((r) => setTimeout(r, 20));
  const b = await store.nonces.claim('d', 1, 'x', T);
  assert.is(b.outcome, 'fresh');
  let settled = false;
  const retransmission = store.nonces.claim('d', 1, 'x', T).then((c) => ((settled = true), c));
  await new Promise((r) => setTimeout(r, 50));
  assert.is(settled, false, 'waits while the original is in flight');
  if (b.outcome === 'fresh') await b.commit(reply);
  assert.equal(await retransmission, { outcome: 'duplicate', reply });
});

contract('a newer claim given back does not hide an older one still in flight (issue 12.1)', async (store) => {
  const a = await store.nonces.claim('d', 5, 'aa', T);
  const b = await store.nonces.claim('d', 6, 'bb', T);
  assert.equal([a.outcome, b.outcome], ['fresh', 'fresh']);
  if (b.outcome === 'fresh') b.abort();
  await new Promise((r) => setTimeout(r, 20));
  const again = store.nonces.claim('d', 5, 'aa', T);
  await new Promise((r) => setTimeout(r, 30));
  if (a.outcome === 'fresh') await a.commit(reply);
  assert.is((await again).outcome, 'duplicate');
});

contract('an upload waiting on a claim in flight holds up no other device; it then gets the outcome of that claim', async (store) => {
  const held = await store.nonces.claim('m', 5, 'm5', T);
  assert.is(held.outcome, 'fresh');
  let settled = false;
  const waiting = store.nonces.acceptUpload('m', 5, 'm5', T, batch(5)).then((o) => ((settled = true), o));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(await store.nonces.acceptUpload('n', 1, 'n1', T, batch(1)), { outcome: 'accepted' }, 'another device goes on meanwhile');
  assert.is(settled, false, 'still waiting for the claim');
  if (held.outcome === 'fresh') await held.commit(reply);
  assert.equal(await waiting, { outcome: 'duplicate' });
  assert.equal(await store.telemetry.query('m', { limit: 10 }), [], 'the claim stored no batch and the waiting copy none either');
});

contract('acceptUpload: accepted once, then duplicate or replay; the batch is stored with it', async (store) => {
  assert.equal(await store.nonces.acceptUpload('m', 10, 'm10', T, batch(10)), { outcome: 'accepted' });
  assert.equal(await store.nonces.acceptUpload('m', 10, 'm10', T, batch(10)), { outcome: 'duplicate' });
  assert.equal(await store.nonces.acceptUpload('m', 10, 'other', T, batch(10)), { outcome: 'replay', lastNonce: 10 });
  assert.equal(await store.nonces.acceptUpload('m', 9, 'm9', T, batch(9)), { outcome: 'replay', lastNonce: 10 });
  const rows = await store.telemetry.query('m', { limit: 100 });
  assert.equal(rows.map((r) => [r.nonce, r.values.power]), [[10, 100], [10, 101]]);
  assert.is((await store.nonces.get('m'))?.nonce, 10);
});

contract('the same upload sent 50 times at once is stored once; interleaved devices all land', async (store) => {
  const copies = await Promise.all(Array.from({ length: 50 }, () => store.nonces.acceptUpload('m', 7, 'm7', T, batch(7))));
  assert.is(copies.filter((c) => c.outcome === 'accepted').length, 1);
  assert.is(copies.filter((c) => c.outcome === 'duplicate').length, 49);
  const many = await Promise.all(
    Array.from({ length: 20 }, (_, d) => Array.from({ length: 5 }, (_, n) => store.nonces.acceptUpload(`d${d}`, n + 1, `m${n}`, T, batch(n + 1, 1)))).flat(),
  );
  assert.ok(many.every((o) => o.outcome !== 'duplicate'));
  let stored = 0;
  for (let d = 0; d < 20; d++) stored += (await store.nonces.get(`d${d}`)) ? (await store.telemetry.query(`d${d}`, { limit: 100 })).length : 0;
  assert.is(stored, many.filter((o) => o.outcome === 'accepted').length, 'every accepted upload stored once, nothing else');
});

contract(
  'two replicas given the same upload at the same moment, 200 times: exactly one accepts each',
  async (a, { reopen }) => {
    const b = await reopen();
    for (let n = 1; n <= 200; n++) {
      const [x, y] = await Promise.all([a.nonces.acceptUpload('m', n, `m${n}`, T, batch(n, 1)), b.nonces.acceptUpload('m', n, `m${n}`, T, batch(n, 1))]);
      assert.equal([x.outcome, y.outcome].sort(), ['accepted', 'duplicate'], `nonce ${n}`);
    }
    assert.is((await a.telemetry.query('m', { limit: 1000 })).length, 200);
    assert.equal(await b.nonces.acceptUpload('m', 150, 'm150', T, batch(150, 1)), { outcome: 'replay', lastNonce: 200 });
  },
  { only: ['postgres'] },
);

contract('reset forgets one device or all', async (store) => {
  for (const id of ['a', 'b']) await store.nonces.acceptUpload(id, 10, 'm', T, batch(10));
  assert.is(await store.nonces.reset('a'), 1);
  assert.is(await store.nonces.get('a'), undefined);
  assert.is((await store.nonces.get('b'))?.nonce, 10);
  assert.equal(await store.nonces.acceptUpload('a', 1, 'm1', T, batch(1)), { outcome: 'accepted' });
  assert.is(await store.nonces.reset(), 2);
  assert.is((await store.nonces.all()).size, 0);
});

contract('raiseFloors raises, never lowers, matches no message and survives a restart', async (store, { reopen }) => {
  await store.nonces.acceptUpload('low', 3, 'm3', T, batch(3));
  await store.nonces.acceptUpload('high', 50, 'm50', T, batch(50));
  const floors = new Map([
    ['low', { nonce: 20, seen_at: T + 9 }],
    ['high', { nonce: 40, seen_at: T + 9 }],
    ['new', { nonce: 7, seen_at: T + 5 }],
  ]);
  assert.is(await store.nonces.raiseFloors(floors), 2);
  assert.equal(await store.nonces.get('low'), { nonce: 20, seen_at: T }, 'raised; its last-seen time kept');
  assert.equal(await store.nonces.get('high'), { nonce: 50, seen_at: T }, 'never lowered');
  assert.equal(await store.nonces.get('new'), { nonce: 7, seen_at: T + 5 });
  // A message the floor covers is a replay, the floor itself included: a floor has no MAC (only
  // verified MACs, 64 hex digits, ever reach the ledger), so no message is its retransmission.
  assert.equal(await store.nonces.acceptUpload('low', 15, 'm15', T, batch(15)), { outcome: 'replay', lastNonce: 20 });
  assert.equal(await store.nonces.claim('low', 20, 'a'.repeat(64), T), { outcome: 'replay', lastNonce: 20 });
  assert.is(await store.nonces.raiseFloors(floors), 0, 'raising again changes nothing');
  await store.close();
  const again = await reopen();
  assert.equal(await again.nonces.acceptUpload('new', 7, 'm7', T, batch(7)), { outcome: 'replay', lastNonce: 7 });
  assert.equal(await again.nonces.acceptUpload('low', 21, 'm21', T, batch(21)), { outcome: 'accepted' });
});

contract('committed state survives a restart of the store', async (store, { reopen }) => {
  await store.nonces.acceptUpload('m', 3, 'm3', T, batch(3));
  const c = await store.nonces.claim('m', 4, 'm4', T);
  if (c.outcome === 'fresh') await c.commit(reply);
  await store.close();
  const again = await reopen();
  assert.equal(await again.nonces.claim('m', 4, 'm4', T), { outcome: 'duplicate', reply });
  assert.equal(await again.nonces.acceptUpload('m', 3, 'm3', T, batch(3)), { outcome: 'replay', lastNonce: 4 });
});

test.run();

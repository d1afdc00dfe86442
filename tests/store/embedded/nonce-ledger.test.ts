import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import { FileNonceLedger } from '../../../server/store/embedded/nonce-ledger.ts';
import { tempDir } from '../../helpers/gateway.ts';

async function open(dir: string) {
  const writer = new AppendWriter({ fsync: false });
  return { writer, ledger: await FileNonceLedger.open(dir, writer) };
}

test('claim: fresh, duplicate with stored reply, replay', async () => {
  const dir = await tempDir();
  const { ledger, writer } = await open(dir);
  const c1 = await ledger.claim('d', 5, 'aa', 1000);
  assert.is(c1.outcome, 'fresh');
  if (c1.outcome === 'fresh') await c1.commit({ status: 200, body: 'e30=' });
  const dup = await ledger.claim('d', 5, 'aa', 2000);
  assert.equal(dup, { outcome: 'duplicate', reply: { status: 200, body: 'e30=' } });
  assert.equal(await ledger.claim('d', 5, 'bb', 2000), { outcome: 'replay', lastNonce: 5 });
  assert.equal(await ledger.claim('d', 4, 'aa', 2000), { outcome: 'replay', lastNonce: 5 });
  await writer.close();
});

test('state survives reopening; a torn journal line is ignored', async () => {
  const dir = await tempDir();
  let { ledger, writer } = await open(dir);
  for (let n = 1; n <= 3; n++) {
    const c = await ledger.claim('d', n, `m${n}`, n);
    if (c.outcome === 'fresh') await c.commit();
  }
  await writer.close();
  await appendFile(join(dir, 'nonces.jsonl'), '{"d":"d","s":{"nonce":99');
  ({ ledger, writer } = await open(dir));
  assert.is(ledger.state('d')?.nonce, 3);
  assert.is((await ledger.claim('d', 3, 'other', 9)).outcome, 'replay');
  const c = await ledger.claim('d', 4, 'm4', 10);
  if (c.outcome === 'fresh') await c.commit();
  await writer.close();
  // the torn line was isolated by a newline, so the next line parses
  ({ ledger, writer } = await open(dir));
  assert.is(ledger.state('d')?.nonce, 4);
  await writer.close();
});

test('aborted claim gives the nonce back; a concurrent retransmission waits for the original', async () => {
  const dir = await tempDir();
  const { ledger, writer } = await open(dir);
  const a = await ledger.claim('d', 1, 'x', 1);
  assert.is(a.outcome, 'fresh');
  if (a.outcome === 'fresh') a.abort();
  const b = await ledger.claim('d', 1, 'x', 1);
  assert.is(b.outcome, 'fresh');
  const retrans = ledger.claim('d', 1, 'x', 1);
  if (b.outcome === 'fresh') await b.commit({ status: 200, body: '' });
  assert.is((await retrans).outcome, 'duplicate');
  await writer.close();
});

test('every pending claim is tracked: a newer claim given back does not hide an older one still in flight', async () => {
  // Attack (issue 12.1): upload A (nonce 5) in flight, request B (nonce 6) fails with a 5xx and
  // gives its claim back; a byte-for-byte retransmission of A must wait for A, not be fresh.
  const dir = await tempDir();
  const { ledger, writer } = await open(dir);
  const a = await ledger.claim('d', 5, 'aa', 1);
  const b = await ledger.claim('d', 6, 'bb', 1);
  assert.is(a.outcome, 'fresh');
  assert.is(b.outcome, 'fresh');
  if (b.outcome === 'fresh') b.abort();
  let settled = false;
  const retransmission = ledger.claim('d', 5, 'aa', 2).then((c) => ((settled = true), c));
  await new Promise((r) => setTimeout(r, 20));
  assert.is(settled, false, 'the retransmission waits for the original claim');
  if (a.outcome === 'fresh') await a.commit({ status: 200, body: 'e30=' });
  assert.equal(await retransmission, { outcome: 'duplicate', reply: { status: 200, body: 'e30=' } });
  // and once A is given back instead, its retransmission is fresh (the device may retry a 5xx)
  const c = await ledger.claim('d', 7, 'cc', 3);
  const d = await ledger.claim('d', 8, 'dd', 3);
  if (d.outcome === 'fresh') d.abort();
  const retryC = ledger.claim('d', 7, 'cc', 4);
  if (c.outcome === 'fresh') c.abort();
  assert.is((await retryC).outcome, 'fresh');
  await writer.close();
});

test('reset forgets one device or all, durably', async () => {
  const dir = await tempDir();
  let { ledger, writer } = await open(dir);
  for (const id of ['a', 'b']) {
    const c = await ledger.claim(id, 10, 'm', 1);
    if (c.outcome === 'fresh') await c.commit();
  }
  assert.is(await ledger.reset('a'), 1);
  await writer.close();
  ({ ledger, writer } = await open(dir));
  assert.is(ledger.state('a'), undefined);
  assert.is(ledger.state('b')?.nonce, 10);
  assert.is(await ledger.reset(), 1);
  await writer.close();
  ({ ledger, writer } = await open(dir));
  assert.is((await ledger.all()).size, 0);
  await writer.close();
});

test('compaction folds the journal into the snapshot without losing state', async () => {
  const dir = await tempDir();
  let { ledger, writer } = await open(dir);
  // 20k lines triggers compaction; use many devices concurrently so appends race the compaction
  const ids = Array.from({ length: 50 }, (_, i) => `d${i}`);
  for (let round = 1; round <= 420; round++) {
    await Promise.all(
      ids.map(async (id) => {
        const c = await ledger.claim(id, round, `m${round}`, round);
        if (c.outcome === 'fresh') await c.commit();
      }),
    );
  }
  await writer.close();
  const journal = await readFile(join(dir, 'nonces.jsonl'), 'utf8');
  assert.ok(journal.split('\n').length < 20_000, 'journal was compacted');
  ({ ledger, writer } = await open(dir));
  for (const id of ids) assert.is(ledger.state(id)?.nonce, 420, id);
  await writer.close();
});

test.run();

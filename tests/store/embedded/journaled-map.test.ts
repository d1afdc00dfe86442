/**
 * JournaledMap (the command queue and each device's rollout stage on the embedded store) folds its
 * journal into the snapshot once the journal holds as many bytes as the snapshot: a large map is
 * rewritten at most once per its own size journaled, never every few thousand lines. Its state
 * comes back from snapshot + journal after a reopen, before and after a compaction.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import { FaultyWriter } from '../../helpers/faulty-writer.ts';
import { JournaledMap } from '../../../server/store/embedded/journaled-map.ts';
import { tempDir } from '../../helpers/gateway.ts';

interface Rec {
  id: string;
  n: number;
  pad: string;
}
const rec = (i: number, n = 0): Rec => ({ id: `c${i}`, n, pad: 'x'.repeat(200) });
const open = (dir: string) => JournaledMap.open<Rec>(dir, 'things', new AppendWriter({ fsync: false }), { compactAfterBytes: 64 * 1024 });
const size = async (path: string) => (await stat(path)).size;
/** Lets a compaction a write started run to its end. */
const settle = () => new Promise((r) => setTimeout(r, 50));

test('a large snapshot is rewritten only once the journal holds as many bytes as it does', async () => {
  const dir = await tempDir();
  const snapshot = join(dir, 'things.json');
  const journal = join(dir, 'things.jsonl');
  let map = await open(dir);
  for (let i = 0; i < 20_000; i += 1000) await map.put(Array.from({ length: 1000 }, (_, j) => [`c${i + j}`, rec(i + j)] as [string, Rec]));
  await map.compact();
  const bytes = await size(snapshot);
  assert.ok(bytes > 4_000_000, `a snapshot of ${bytes} bytes`);
  const { mtimeMs } = await stat(snapshot);

  // 8,000 single-record changes (~1.9 MB of journal, under the snapshot's size): no rewrite.
  for (let i = 0; i < 8000; i++) await map.put([[`c${i}`, rec(i, 1)]]);
  await settle();
  assert.is((await stat(snapshot)).mtimeMs, mtimeMs, 'the snapshot is not rewritten every few thousand lines');
  const journaled = await size(journal);
  assert.ok(journaled > 1_500_000 && journaled < bytes, `${journaled} bytes journaled`);

  // Past the snapshot's size: folded in, the journal emptied.
  let i = 8000;
  for (; i < 20_000 && (await stat(snapshot)).mtimeMs === mtimeMs; i++) await map.put([[`c${i}`, rec(i, 1)]]);
  await settle();
  assert.ok(i < 20_000, 'folded in');
  const atFold = (i - 1) * 240; // ~240 journal bytes per change
  assert.ok(atFold >= bytes * 0.9 && atFold <= bytes * 1.2, `folded in after ~${atFold} bytes journaled, the snapshot was ${bytes}`);
  assert.ok((await size(journal)) < 10_000, 'the journal was emptied');

  map = await open(dir);
  assert.is(map.size, 20_000);
  assert.is(map.get('c0')?.n, 1);
  assert.is(map.get('c19999')?.n, 0, 'records the journal never touched are kept');
});

test('snapshot + journal come back after a reopen; a torn last line is skipped; deletions stay deleted after a prune', async () => {
  const dir = await tempDir();
  let map = await open(dir);
  await map.put([['a', rec(1)], ['b', rec(2)]]);
  await map.put([['a', rec(1, 5)]]);
  await writeFile(join(dir, 'things.jsonl'), (await readFile(join(dir, 'things.jsonl'), 'utf8')) + '{"k":"c","v":{"id":"c"', { flag: 'w' });
  map = await open(dir);
  assert.equal([map.size, map.get('a')?.n, map.get('c')], [2, 5, undefined]);
  assert.is(await map.prune((v) => v.id === 'c2'), 1);
  await map.put([['d', rec(4)]]);
  map = await open(dir);
  assert.equal([...map.values()].map((v) => v.id).sort(), ['c1', 'c4']);
});

test('the default threshold keeps a small map to one compaction per 4 MiB journaled', async () => {
  const dir = await tempDir();
  const map = await JournaledMap.open<Rec>(dir, 'things', new AppendWriter({ fsync: false }));
  for (let i = 0; i < 6000; i++) await map.put([[`c${i % 10}`, rec(i % 10, i)]]);
  await settle();
  // 6,000 lines of ~250 bytes: 1.5 MB, under 4 MiB (the old rule folded it in at 5,000 lines).
  assert.ok((await size(join(dir, 'things.jsonl'))) > 1_400_000);
});

test('a compaction that fails (disk full) loses nothing and is not started again by every write', async () => {
  const dir = await tempDir();
  const map = await JournaledMap.open<Rec>(dir, 'things', new AppendWriter({ fsync: false }), { compactAfterBytes: 10_000 });
  // The snapshot's write fails as on a full disk; the journal's appends still succeed.
  const snapshot = (map as unknown as { snapshot: { mutate: () => Promise<void> } }).snapshot;
  let attempts = 0;
  snapshot.mutate = async () => {
    attempts++;
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  };
  for (let i = 0; i < 200; i++) await map.put([[`c${i}`, rec(i)]]);
  await settle();
  assert.is(attempts, 1, 'one attempt, then none for 30 s (it serialises the whole map each time)');
  const again = await open(dir);
  assert.is(again.size, 200, 'every change is in the journal');
});


/** The snapshot document's `mutate`, slowed down (and failing if `fail`), to act while a compaction runs. */
function slowSnapshot(map: JournaledMap<Rec>, ms: number, fail = false): void {
  const doc = (map as unknown as { snapshot: { mutate: (change: (d: Record<string, Rec>) => void) => Promise<void> } }).snapshot;
  const mutate = doc.mutate.bind(doc);
  doc.mutate = async (change) => {
    await new Promise((r) => setTimeout(r, ms));
    if (fail) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    return mutate(change);
  };
}

test('retention journals its removals: the snapshot is not rewritten, and a prune during a compaction stays pruned', async () => {
  const dir = await tempDir();
  const snapshot = join(dir, 'things.json');
  let map = await open(dir);
  await map.put(Array.from({ length: 100 }, (_, i) => [`c${i}`, rec(i)] as [string, Rec]));
  await map.compact();
  const { mtimeMs } = await stat(snapshot);
  assert.is(await map.prune((v) => v.id < 'c2'), 12, 'c0, c1, c10..c19');
  assert.is((await stat(snapshot)).mtimeMs, mtimeMs, 'not rewritten for a prune');
  slowSnapshot(map, 30);
  const compaction = map.compact();
  assert.is(await map.prune((v) => v.id.startsWith('c3')), 11, 'pruned while the compaction writes');
  await compaction;
  map = await open(dir);
  assert.is(map.size, 77);
  assert.not.ok([...map.values()].some((v) => v.id < 'c2' || v.id.startsWith('c3')), 'nothing pruned came back');
});

test('a compaction that fails while a change waits for it does not fail that change', async () => {
  const dir = await tempDir();
  let map = await open(dir);
  await map.put([['a', rec(1)]]);
  slowSnapshot(map, 20, true);
  const compaction = map.compact().catch((err: NodeJS.ErrnoException) => err.code);
  await map.put([['b', rec(2)]]);
  assert.is(await compaction, 'ENOSPC');
  map = await open(dir);
  assert.equal([...map.values()].map((v) => v.id).sort(), ['c1', 'c2']);
});

test('changes whose writes fail go back to the last durable value, not to each other; a compaction never writes them', async () => {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: false });
  let map = await JournaledMap.open<Rec>(dir, 'things', writer, { compactAfterBytes: 64 * 1024 });
  await map.put([['a', rec(1, 1)]]);
  writer.failNext = 2;
  const results = await Promise.allSettled([map.put([['a', rec(1, 2)]]), map.put([['a', rec(1, 3)]])]);
  assert.equal(results.map((r) => r.status), ['rejected', 'rejected']);
  assert.is(map.get('a')?.n, 1, 'back to the durable value, not to the first failed change');
  // A change waiting for a compaction (which waits for a write in flight), whose write then
  // fails: the snapshot must not hold it.
  slowSnapshot(map, 20);
  writer.hold();
  const inFlight = map.put([['c', rec(3)]]);
  const compaction = map.compact();
  const waiting = map.put([['b', rec(2)]]).then(
    () => 'written',
    () => 'failed',
  );
  writer.open();
  await inFlight;
  writer.failNext = 1; // b's write, once the compaction is done
  await compaction;
  assert.is(await waiting, 'failed');
  assert.is(map.get('b'), undefined);
  map = await JournaledMap.open<Rec>(dir, 'things', new AppendWriter({ fsync: false }));
  assert.equal([map.get('a')?.n, map.get('b'), map.get('c')?.id], [1, undefined, 'c3']);
});

test('a compaction a change starts holds that change: nothing acknowledged is lost across the fold', async () => {
  const dir = await tempDir();
  let map = await open(dir);
  const snapshot = join(dir, 'things.json');
  let i = 0;
  // Single changes and groups of four, until one of them starts a compaction.
  for (; i < 2000 && (await size(join(dir, 'things.jsonl')).catch(() => 0)) < 60_000; i++) await map.put([[`c${i}`, rec(i)]]);
  await Promise.all(Array.from({ length: 4 }, (_, j) => map.put([[`g${j}`, rec(j)]])));
  for (let k = 0; k < 200 && (await size(snapshot).catch(() => 0)) === 0; k++) await map.put([[`c${i++}`, rec(i)]]);
  await settle();
  assert.ok((await size(snapshot)) > 0, 'a compaction ran');
  const inMemory = [...map.values()].map((v) => v.id).sort();
  map = await open(dir);
  assert.equal([...map.values()].map((v) => v.id).sort(), inMemory);
});

test('a failed write that reached the disk anyway does not bring its change back after a restart', async () => {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: false });
  let map = await JournaledMap.open<Rec>(dir, 'things', writer);
  await map.put([['a', rec(1, 1)]]);
  writer.writeThenFail = 1;
  const failed = await map.put([['a', rec(1, 2)], ['b', rec(2)]]).then(
    () => 'written',
    (err: NodeJS.ErrnoException) => err.code,
  );
  assert.is(failed, 'EIO');
  assert.equal([map.get('a')?.n, map.get('b')], [1, undefined], 'taken back in memory');
  await new Promise((r) => setTimeout(r, 1200)); // the restored values are journaled a second later
  map = await JournaledMap.open<Rec>(dir, 'things', new AppendWriter({ fsync: false }));
  assert.equal([map.get('a')?.n, map.get('b')], [1, undefined], 'and on disk');
});

test('a failed removal does not undo a later change that succeeded (put, then removal again)', async () => {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: false });
  let map = await JournaledMap.open<Rec>(dir, 'things', writer);
  await map.put([['a', rec(1, 1)]]);
  writer.hold();
  const outcomes = Promise.allSettled([map.prune((v) => v.id === 'c1'), map.put([['a', rec(1, 2)]]), map.prune((v) => v.id === 'c1')]);
  writer.failNext = 1; // the first removal's write
  writer.open();
  assert.equal((await outcomes).map((o) => o.status), ['rejected', 'fulfilled', 'fulfilled']);
  assert.is(map.get('a'), undefined, 'removed, as the last acknowledged change says');
  await new Promise((r) => setTimeout(r, 1200));
  map = await JournaledMap.open<Rec>(dir, 'things', new AppendWriter({ fsync: false }));
  assert.is(map.get('a'), undefined);
});

test('what a failed write took back is journaled at close, before the writer goes', async () => {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: false });
  let map = await JournaledMap.open<Rec>(dir, 'things', writer);
  await map.put([['a', rec(1, 1)]]);
  writer.writeThenFail = 1;
  await map.put([['a', rec(1, 2)]]).catch(() => undefined);
  await map.close(); // at once: before the restore timer
  await writer.close();
  map = await JournaledMap.open<Rec>(dir, 'things', new AppendWriter({ fsync: false }));
  assert.is(map.get('a')?.n, 1);
});

test('close waits for a write in flight: the values it carried back are journaled if it fails', async () => {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: false });
  let map = await JournaledMap.open<Rec>(dir, 'things', writer);
  await map.put([['a', rec(1, 1)]]);
  writer.writeThenFail = 1;
  await map.put([['a', rec(1, 2)]]).catch(() => undefined); // on disk, answered as failed: a is taken back
  writer.hold();
  // b's write carries a's restored value; it is still in flight when close is called, then fails.
  const inFlight = map.put([['b', rec(2)]]).then(
    () => 'written',
    (err: NodeJS.ErrnoException) => err.code,
  );
  const closing = map.close();
  writer.failNext = 1;
  writer.open();
  assert.is(await inFlight, 'ENOSPC');
  await closing;
  await writer.close();
  map = await JournaledMap.open<Rec>(dir, 'things', new AppendWriter({ fsync: false }));
  assert.equal([map.get('a')?.n, map.get('b')], [1, undefined], 'a clean close brings no failed change back');
});

test('the temp file of a compaction a crash stopped is deleted at open', async () => {
  const dir = await tempDir();
  const stale = join(dir, '.things.json.4242.0badf00d.tmp');
  await writeFile(stale, '{"half":');
  await open(dir);
  const left = await stat(stale).then(
    () => 'there',
    () => 'gone',
  );
  assert.is(left, 'gone');
});

test.run();

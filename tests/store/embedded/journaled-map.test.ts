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

test.run();

/**
 * JournaledTables: records in memory, a snapshot, and a journal of one line per group commit. A
 * commit resolves once its records are durable; a "crash" here abandons the tables without close(),
 * so the next open sees only what was written. Replay, a torn last line, a write that fails, and
 * compaction (writes go on while it runs; each of its steps is a safe place to stop) — the same
 * steps with real processes killed by SIGKILL are in ota-state-crash.test.ts; the compaction at
 * close, and a snapshot rewritten by an older build (a downgrade) that the journal must not undo.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import { generationFileName } from '../../../server/store/embedded/generations.ts';
import { journalDir, JournaledTables, loadJournaled, type CompactionStep, type JournaledTablesOptions } from '../../../server/store/embedded/journaled-tables.ts';
import { fillDiskDuring, recordDirSyncs } from '../../helpers/fs-faults.ts';
import { tempDir } from '../../helpers/gateway.ts';

interface Doc {
  a: Record<string, { n: number }>;
  b: Record<string, string>;
}
const empty = (): Doc => ({ a: {}, b: {} });
const NAME = 'state';
const open = (dir: string, options: JournaledTablesOptions = {}, writer = new AppendWriter({ fsync: true })) =>
  JournaledTables.open<Doc>(dir, NAME, writer, empty, options);
const onDisk = async (dir: string) => {
  const { data } = await loadJournaled(dir, NAME, empty);
  return { a: { ...data.a }, b: { ...data.b } };
};
const generations = async (dir: string) => (await readdir(journalDir(dir, NAME))).filter((f) => f.endsWith('.jsonl')).sort();

test('each commit is durable when it resolves, as one journal line; a crash keeps every committed record', async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  crashed.set('a', 'x', { n: 1 });
  crashed.set('b', 'x', 'one');
  await crashed.commit();
  assert.equal(await onDisk(dir), { a: { x: { n: 1 } }, b: { x: 'one' } });
  // Three changes at once share one write; the record is written as it is when the write starts.
  await Promise.all([1, 2, 3].map(async (n) => {
    crashed.set('a', 'y', { n });
    await crashed.commit();
  }));
  const lines = (await readFile(join(journalDir(dir, NAME), generationFileName(1, 'jsonl')), 'utf8')).trim().split('\n');
  assert.equal(lines.map((l) => JSON.parse(l)), [{ a: { x: { n: 1 } }, b: { x: 'one' } }, { a: { y: { n: 3 } } }]);
  assert.not.ok(await stat(join(dir, `${NAME}.json`)).then(() => true, () => false), 'the snapshot is not written per change');
  // crashed: abandoned without close()

  const again = await open(dir);
  assert.equal({ a: { ...again.data.a }, b: { ...again.data.b } }, { a: { x: { n: 1 }, y: { n: 3 } }, b: { x: 'one' } });
  again.set('b', 'z', 'after restart');
  await again.commit();
  assert.equal(await generations(dir), [generationFileName(1, 'jsonl'), generationFileName(2, 'jsonl')], 'a restart writes a new generation');
  await again.close();
  assert.is((await onDisk(dir)).b.z, 'after restart');
});

test('a torn last line (its write never finished, never acknowledged) is dropped whole; the lines before it stay', async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  crashed.set('a', 'x', { n: 1 });
  await crashed.commit();
  // The torn write changed two tables: neither may come back.
  await appendFile(join(journalDir(dir, NAME), generationFileName(1, 'jsonl')), '{"a":{"x":{"n":2}},"b":{"x":"tw');
  const again = await open(dir);
  assert.equal({ a: { ...again.data.a }, b: { ...again.data.b } }, { a: { x: { n: 1 } }, b: {} });
  again.set('a', 'x', { n: 3 });
  await again.commit();
  await again.close();
  assert.equal(await onDisk(dir), { a: { x: { n: 3 } }, b: {} }, 'written after the torn line, in a new generation, and read back');
});

test('a write that fails rejects its commits; memory keeps the records and the next write carries them', async () => {
  const dir = await tempDir();
  const real = new AppendWriter({ fsync: true });
  let failNext = true;
  const flaky = {
    append: (path: string, text: string) => {
      if (!failNext) return real.append(path, text);
      failNext = false;
      return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    },
    forget: (path: string) => real.forget(path),
  } as unknown as AppendWriter;
  const tables = await open(dir, {}, flaky);
  tables.set('a', 'x', { n: 1 });
  await tables.commit().then(
    () => assert.unreachable('the write failed'),
    (err: Error) => assert.match(err.message, 'ENOSPC'),
  );
  assert.ok(tables.pending, 'memory holds a record the disk does not');
  assert.equal(tables.data.a.x, { n: 1 });
  tables.set('b', 'y', 'next');
  await tables.commit();
  assert.equal(await onDisk(dir), { a: { x: { n: 1 } }, b: { y: 'next' } });
  assert.not.ok(tables.pending);
  await tables.close();
});

test('a new generation, and the journal folder, are durable names before the first commit into them resolves', async () => {
  const dir = await tempDir();
  const synced = recordDirSyncs();
  try {
    const tables = await open(dir);
    tables.set('a', 'x', { n: 1 });
    await tables.commit();
    assert.ok(synced.dirs.includes(dir), `the folder's entry (${synced.dirs})`);
    assert.ok(synced.dirs.includes(journalDir(dir, NAME)), `the generation's entry (${synced.dirs})`);
  } finally {
    synced.restore();
  }
});

test('a write cut short by a full disk (half a line on disk): the retried records and the next ones replay after a crash', async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  crashed.set('a', 'x', { n: 1 });
  await crashed.commit();
  const disk = fillDiskDuring('"half"');
  try {
    crashed.set('b', 'half', 'y'.repeat(300));
    await crashed.commit().then(
      () => assert.unreachable('the write failed'),
      (err: NodeJS.ErrnoException) => assert.is(err.code, 'ENOSPC'),
    );
  } finally {
    disk.restore();
  }
  assert.ok(disk.tripped(), 'half of the line is on disk');
  crashed.set('a', 'x', { n: 2 });
  await crashed.commit();
  // crashed: abandoned before any compaction; only the journal holds these.
  assert.equal(await onDisk(dir), { a: { x: { n: 2 } }, b: { half: 'y'.repeat(300) } });
});

test('compaction: the snapshot is rewritten once the journal outgrows it, old generations deleted, nothing lost', async () => {
  const dir = await tempDir();
  const tables = await open(dir, { compactAfterBytes: 2000 });
  for (let i = 0; i < 200; i++) {
    tables.set('a', `k${i % 40}`, { n: i });
    await tables.commit();
  }
  await tables.close();
  const snapshot = JSON.parse(await readFile(join(dir, `${NAME}.json`), 'utf8')) as { journal_from: number };
  const left = await generations(dir);
  assert.ok(left.every((g) => Number(g.slice(0, 10)) >= snapshot.journal_from), `only generations after the snapshot are kept: ${left} from ${snapshot.journal_from}`);
  assert.ok(left.length <= 2, `${left.length} generations left`);
  const expected = Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`k${k}`, { n: 160 + k }]));
  assert.equal((await onDisk(dir)).a, expected);
  const journal = (await Promise.all(left.map((g) => stat(join(journalDir(dir, NAME), g))))).reduce((n, s) => n + s.size, 0);
  const snapshotBytes = (await stat(join(dir, `${NAME}.json`))).size;
  assert.ok(journal < 2000 + 2 * snapshotBytes + 200, `the journal is bounded (${journal} bytes, snapshot ${snapshotBytes})`);
});

/** Stops a compaction at `step` for good (the process "dies" there); says when it got there. */
function holdAt(step: CompactionStep) {
  let reached!: () => void;
  const arrived = new Promise<void>((r) => (reached = r));
  return { arrived, compactionStep: (s: CompactionStep) => (s === step ? (reached(), new Promise<void>(() => undefined)) : Promise.resolve()) };
}

for (const step of ['rotated', 'written', 'renamed'] as const) {
  test(`compaction stopped at "${step}": writes meanwhile are durable at once; a crash there loses nothing`, async () => {
    const dir = await tempDir();
    const hold = holdAt(step);
    const crashed = await open(dir, { compactionStep: hold.compactionStep });
    for (let i = 0; i < 20; i++) crashed.set('a', `k${i}`, { n: i });
    await crashed.commit();
    const compaction = crashed.compact();
    await hold.arrived;
    // Off the hot path: these commits resolve while the compaction waits.
    crashed.set('a', 'k0', { n: 100 });
    crashed.set('b', 'during', 'yes');
    await crashed.commit();
    assert.equal((await onDisk(dir)).b, { during: 'yes' });
    // crashed: abandoned here, the compaction never finishing
    void compaction;

    const temps = async () => (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
    assert.is((await temps()).length, step === 'written' ? 1 : 0, 'the snapshot not yet renamed is a temp file');
    const again = await open(dir);
    assert.is(again.data.a.k0?.n, 100);
    assert.is(again.data.a.k19?.n, 19);
    assert.is(again.data.b.during, 'yes');
    assert.equal(await temps(), [], 'a temp file a crash left (as large as the snapshot) is deleted at open');
    await again.compact();
    await again.close();
    assert.equal((await generations(dir)).length, 0, 'a finished compaction leaves no generation behind');
    const disk = await onDisk(dir);
    assert.equal([disk.a.k0?.n, disk.a.k19?.n, disk.b.during], [100, 19, 'yes']);
    // The crashed tables' compaction is never released: a dead process does not come back.
  });
}

test('close compacts: a clean shutdown leaves everything in the snapshot and no generation (all a build without the journal reads)', async () => {
  const dir = await tempDir();
  const tables = await open(dir);
  tables.set('a', 'x', { n: 1 });
  await tables.commit();
  tables.set('b', 'y', 'two');
  await tables.close();
  assert.equal(await generations(dir), []);
  const snapshot = JSON.parse(await readFile(join(dir, `${NAME}.json`), 'utf8')) as Record<string, unknown>;
  assert.equal({ a: snapshot.a, b: snapshot.b }, { a: { x: { n: 1 } }, b: { y: 'two' } });
  // Nothing journaled since: closing again leaves the snapshot as it is.
  const before = await stat(join(dir, `${NAME}.json`));
  await (await open(dir)).close();
  assert.is((await stat(join(dir, `${NAME}.json`))).mtimeMs, before.mtimeMs);
});

/** A logger that keeps the messages of what it logs at warn and above. */
function warnings() {
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (logs.push((JSON.parse(String(chunk)) as { msg: string }).msg), done()) });
  return { logger: pino({ level: 'warn' }, sink), logs };
}

/** What a build from before the journal does (LowdbOtaStateRepo): reads the snapshot alone, rewrites it whole, unknown keys kept. */
async function olderBuildWrites(dir: string, change: (doc: Record<string, Record<string, unknown>>) => void): Promise<void> {
  const path = join(dir, `${NAME}.json`);
  const doc = (await readFile(path, 'utf8').then(JSON.parse, () => ({ a: {}, b: {} }))) as Record<string, Record<string, unknown>>;
  change(doc);
  await writeFile(path, JSON.stringify(doc, null, 2));
}

test('downgrade after a crash, then upgrade: the journal is not replayed over what the older build wrote (the anti-rollback floor stays)', async () => {
  const dir = await tempDir();
  const { logger, logs } = warnings();
  const crashed = await open(dir);
  crashed.set('a', 'd', { n: 1 });
  await crashed.commit();
  await crashed.compact();
  crashed.set('a', 'd', { n: 2 });
  await crashed.commit();
  // crashed: no clean shutdown, the journal holds n: 2. The older build sees n: 1 and moves it to 3.
  await olderBuildWrites(dir, (doc) => (doc.a!.d = { n: 3 }));
  const again = await open(dir, { logger });
  assert.equal(again.data.a.d, { n: 3 }, 'the older build wrote last');
  assert.match(logs.join('\n'), 'rewritten by another build');
  const aside = (await readdir(journalDir(dir, NAME))).filter((f) => f.startsWith('superseded-'));
  assert.is(aside.length, 1, 'the journal is set aside, not deleted');
  assert.equal(await readdir(join(journalDir(dir, NAME), aside[0]!)), [generationFileName(2, 'jsonl')]);
  again.set('b', 'after', 'yes');
  await again.commit();
  // crashed again: the journal written since continues the older build's snapshot.
  assert.equal(await onDisk(dir), { a: { d: { n: 3 } }, b: { after: 'yes' } });
});

test("a fresh install (journal, no snapshot yet) downgraded after a crash: the older build's new snapshot is not overwritten by the journal", async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  crashed.set('a', 'd', { n: 2 });
  await crashed.commit();
  await olderBuildWrites(dir, (doc) => (doc.a = { d: { n: 3 } }));
  assert.equal((await onDisk(dir)).a, { d: { n: 3 } });
});

test('a snapshot rewritten by another build, no journal since: nothing to set aside, no warning', async () => {
  const dir = await tempDir();
  const { logger, logs } = warnings();
  const tables = await open(dir);
  tables.set('a', 'd', { n: 2 });
  await tables.close();
  await olderBuildWrites(dir, (doc) => (doc.a!.d = { n: 3 }));
  const again = await open(dir, { logger });
  assert.equal(again.data.a.d, { n: 3 });
  assert.equal(logs, []);
  await again.close();
});

test('a snapshot written before the journal existed (no journal_from) is read, and kept until the first compaction', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, `${NAME}.json`), JSON.stringify({ a: { old: { n: 7 } }, b: {} }));
  const tables = await open(dir);
  assert.equal(tables.data.a.old, { n: 7 });
  tables.set('b', 'new', 'x');
  await tables.commit();
  await tables.compact();
  await tables.close();
  const snapshot = JSON.parse(await readFile(join(dir, `${NAME}.json`), 'utf8')) as Record<string, unknown>;
  assert.equal(snapshot, { journal_from: 2, a: { old: { n: 7 } }, b: { new: 'x' } });
});

test('an unreadable snapshot refuses to start instead of starting over', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, `${NAME}.json`), '{"a":{');
  await open(dir).then(
    () => assert.unreachable('opened over a broken snapshot'),
    (err: Error) => assert.match(err.message, /state\.json is not valid JSON .*refusing to start over it/),
  );
});

test('ids that are Object.prototype names are ordinary keys, on disk and after replay', async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  crashed.set('a', '__proto__', { n: 1 });
  crashed.set('a', 'constructor', { n: 2 });
  await crashed.commit();
  const again = await open(dir);
  assert.equal(Object.keys(again.data.a).sort(), ['__proto__', 'constructor']);
  assert.is(again.data.a['__proto__']?.n, 1);
  await again.compact();
  await again.close();
  assert.equal(Object.keys((await onDisk(dir)).a).sort(), ['__proto__', 'constructor']);
});

test('a journal from before follows.json (the first journal build wrote none) is replayed over its snapshot, not set aside', async () => {
  const dir = await tempDir();
  const first = await open(dir);
  first.set('a', 'd', { n: 1 });
  await first.commit();
  await first.compact();
  first.set('a', 'd', { n: 2 });
  await first.commit();
  // That build's layout: the snapshot and a journal generation, and no follows.json.
  await rm(join(journalDir(dir, NAME), 'follows.json'));
  const { logger, logs } = warnings();
  const again = await open(dir, { logger });
  assert.equal(again.data.a.d, { n: 2 }, "the journal's newer record, not the snapshot's");
  assert.not.match(logs.join('\n'), 'rewritten by another build');
  assert.equal((await readdir(journalDir(dir, NAME))).filter((f) => f.startsWith('superseded-')), []);
  await again.close();
  assert.equal((await onDisk(dir)).a, { d: { n: 2 } });
});

test.run();

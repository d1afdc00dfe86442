import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, writeSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendWriter, parseJsonLines } from '../../../server/store/embedded/append-writer.ts';
import { failDirSyncs, fillDiskDuring, holdWrite, recordDirSyncs } from '../../helpers/fs-faults.ts';
import { tempDir } from '../../helpers/gateway.ts';

const line = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(i % 50) }) + '\n';

test('a preallocating writer: appends land in order, in place, across many zero-filled chunks', async () => {
  const path = join(await tempDir(), 'sub', 'gen.wal');
  const writer = new AppendWriter({ fsync: true, preallocateBytes: 256 });
  const appends: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) appends.push(writer.append(path, line(i)));
  appends.push(writer.append(path, [line(200), Buffer.from(line(201)), 'x'.repeat(1000) + '\n'])); // larger than a chunk
  await Promise.all(appends);
  await writer.close();
  const bytes = await readFile(path);
  const data = Array.from({ length: 202 }, (_, i) => line(i)).join('') + 'x'.repeat(1000) + '\n';
  assert.is(bytes.subarray(0, Buffer.byteLength(data)).toString(), data);
  const tail = bytes.subarray(Buffer.byteLength(data));
  assert.ok(tail.length > 0 && tail.every((b) => b === 0), `zero-filled space after the data (${tail.length} bytes)`);
  assert.is(parseJsonLines<{ i: number }>(bytes.toString()).filter((l) => typeof l.i === 'number').length, 202, 'readers skip the zero tail');
});

test('without preallocation, files grow by exactly what is appended', async () => {
  const path = join(await tempDir(), 'day.jsonl');
  const writer = new AppendWriter({ fsync: true });
  await Promise.all([writer.append(path, line(1)), writer.append(path, line(2))]);
  await writer.close();
  assert.is((await stat(path)).size, Buffer.byteLength(line(1) + line(2)));
  assert.is(await readFile(path, 'utf8'), line(1) + line(2));
});

for (const preallocateBytes of [0, 256]) {
  test(`a write cut short by a full disk fails its appends; the next line is not glued to the fragment (preallocate ${preallocateBytes})`, async () => {
    const path = join(await tempDir(), 'log.jsonl');
    const writer = new AppendWriter({ fsync: true, preallocateBytes });
    await writer.append(path, line(1));
    const disk = fillDiskDuring('"lost"');
    try {
      await writer.append(path, JSON.stringify({ lost: 'x'.repeat(200) }) + '\n').then(
        () => assert.unreachable('the write failed'),
        (err: NodeJS.ErrnoException) => assert.is(err.code, 'ENOSPC'),
      );
    } finally {
      disk.restore();
    }
    assert.ok(disk.tripped(), 'half of the line was written');
    await writer.append(path, line(2));
    await writer.append(path, line(3));
    await writer.close();
    const lines = parseJsonLines<{ i?: number }>(await readFile(path, 'utf8'));
    assert.equal(lines.map((l) => l.i), [1, 2, 3], 'every acknowledged line reads back');
  });
}

for (const preallocateBytes of [0, 256]) {
  // The failed write's first line was whole on disk: a restart read it back, a change its callers
  // had been told failed (and had taken back in memory).
  test(`a write cut short leaves nothing of its batch on disk, not even whole lines (preallocate ${preallocateBytes})`, async () => {
    const path = join(await tempDir(), 'log.jsonl');
    const writer = new AppendWriter({ fsync: true, preallocateBytes });
    await writer.append(path, line(1));
    const before = await readFile(path);
    const disk = fillDiskDuring('"lost"');
    try {
      const batch = [writer.append(path, JSON.stringify({ lost: 1 }) + '\n'), writer.append(path, JSON.stringify({ lost: 2, pad: 'x'.repeat(200) }) + '\n')];
      for (const p of batch) await p.then(() => assert.unreachable('the write failed'), (err: NodeJS.ErrnoException) => assert.is(err.code, 'ENOSPC'));
    } finally {
      disk.restore();
    }
    assert.ok(disk.tripped(), 'the first line and part of the second were written');
    // Read as a restart would, before anything else is written.
    const after = await readFile(path);
    assert.equal(parseJsonLines<{ i?: number }>(after.toString()), [JSON.parse(line(1))], 'only the acknowledged line');
    if (preallocateBytes === 0) assert.is(after.length, before.length, 'cut back to its size before the write');
    await writer.append(path, line(2));
    await writer.close();
    assert.equal(parseJsonLines<{ i?: number }>(await readFile(path, 'utf8')).map((l) => l.i), [1, 2]);
  });
}

test('a failed write is not cut back over bytes the writer did not put there (the file changed under it)', async () => {
  const path = join(await tempDir(), 'log.jsonl');
  const writer = new AppendWriter({ fsync: true });
  await writer.append(path, line(1));
  await appendFile(path, line(7) + line(8)); // not through the writer (and no `forget`)
  const disk = fillDiskDuring('"lost"');
  try {
    await writer.append(path, JSON.stringify({ lost: 1 }) + '\n').then(() => assert.unreachable('the write failed'), () => undefined);
  } finally {
    disk.restore();
  }
  await writer.close();
  assert.equal(parseJsonLines<{ i?: number }>(await readFile(path, 'utf8')).map((l) => l.i), [1, 7, 8], 'nothing of the others cut');
});

test('a write that fails while its file is being forgotten cuts nothing of another file (the descriptor is closed only after it)', async () => {
  const dir = await tempDir();
  const path = join(dir, 'log.jsonl');
  const other = join(dir, 'other.jsonl');
  const writer = new AppendWriter({ fsync: true });
  await writer.append(path, line(1));
  const disk = holdWrite('"lost"');
  try {
    const failing = writer.append(path, JSON.stringify({ lost: 1 }) + '\n');
    while (!disk.held()) await new Promise((r) => setImmediate(r));
    const forgetting = writer.forget(path); // a compaction replacing the file, say
    await new Promise((r) => setTimeout(r, 50)); // time for the close, if it does not wait
    const fd = openSync(other, 'w'); // takes the lowest free number: the log's, if it was closed already
    writeSync(fd, line(7));
    disk.fail();
    await failing.then(() => assert.unreachable('the write failed'), () => undefined);
    await forgetting;
    closeSync(fd);
  } finally {
    disk.restore();
  }
  await writer.close();
  assert.is(await readFile(other, 'utf8'), line(7), 'the other file is whole');
});

test('a file forgotten while a write is on its way is closed after it: the append lands in its own file', async () => {
  const dir = await tempDir();
  const path = join(dir, 'log.jsonl');
  const other = join(dir, 'other.jsonl');
  const writer = new AppendWriter({ fsync: true });
  await writer.append(path, line(1));
  const disk = holdWrite('"late"');
  let fd: number | undefined;
  try {
    const appending = writer.append(path, JSON.stringify({ i: 2, late: true }) + '\n');
    while (!disk.held()) await new Promise((r) => setImmediate(r));
    const forgetting = writer.forget(path);
    await new Promise((r) => setTimeout(r, 50)); // time for the close, if it does not wait
    fd = openSync(other, 'w'); // the lowest free number: the log's, if it was closed already
    writeSync(fd, line(7));
    await Promise.all([disk.release(), forgetting, appending]);
  } finally {
    if (fd !== undefined) closeSync(fd);
    disk.restore();
  }
  await writer.close();
  assert.is(await readFile(other, 'utf8'), line(7), 'nothing of the log in the other file');
  assert.equal(parseJsonLines<{ i?: number }>(await readFile(path, 'utf8')).map((l) => l.i), [1, 2], 'the acknowledged line is in its own file');
});

test('a file closed while its zero-fill ahead is in flight is closed after it (the zeros never land in a file opened meanwhile)', async () => {
  const dir = await tempDir();
  const path = join(dir, 'gen.wal');
  const other = join(dir, 'other.jsonl');
  const writer = new AppendWriter({ fsync: true, preallocateBytes: 256 });
  await writer.append(path, line(1)); // the first 256 zeros, then the line
  const disk = holdWrite('\u0000');
  try {
    await writer.append(path, JSON.stringify({ i: 2, pad: 'y'.repeat(100) }) + '\n'); // starts the next zero-fill, in the background
    assert.ok(disk.held(), 'the zero-fill ahead is under way');
    const forgetting = writer.forget(path);
    await new Promise((r) => setTimeout(r, 50)); // time for the close, if it does not wait
    const fd = openSync(other, 'w'); // the lowest free number: the WAL's, if it was closed already
    writeSync(fd, line(7));
    await Promise.all([disk.release(), forgetting]);
    closeSync(fd);
  } finally {
    disk.restore();
  }
  await writer.close();
  assert.is(await readFile(other, 'utf8'), line(7), 'no zeros in the other file');
  assert.equal(parseJsonLines<{ i?: number }>(await readFile(path, 'utf8')).map((l) => l.i), [1, 2]);
});

test('a preallocated file found with a torn tail: its first line is isolated by a newline, even after that write failed', async () => {
  const path = join(await tempDir(), 'gen.wal');
  await writeFile(path, '{"torn'); // a crash cut this line short
  const writer = new AppendWriter({ fsync: true, preallocateBytes: 256 });
  const disk = fillDiskDuring('"lost"');
  try {
    await writer.append(path, JSON.stringify({ lost: 'x'.repeat(100) }) + '\n').then(() => assert.unreachable('the write failed'), () => undefined);
  } finally {
    disk.restore();
  }
  await writer.append(path, line(2));
  await writer.close();
  assert.equal(parseJsonLines<{ i?: number }>(await readFile(path, 'utf8')).map((l) => l.i), [2], 'not glued to the torn line');
});

test('with fsync, a file the writer creates (and its new folders) have their names made durable before its first append resolves', async () => {
  const dir = await tempDir();
  const path = join(dir, 'new', 'deeper', 'gen.jsonl');
  const synced = recordDirSyncs();
  try {
    await new AppendWriter({ fsync: true }).append(path, line(1));
    assert.equal(synced.dirs.sort(), [dir, join(dir, 'new'), join(dir, 'new', 'deeper')], 'each new entry: its parent fsynced');
    synced.dirs.length = 0;
    const again = new AppendWriter({ fsync: true });
    await again.append(path, line(2));
    await again.close();
    assert.equal(synced.dirs, [], 'a file that exists costs no directory fsync');
    await new AppendWriter({ fsync: false }).append(join(dir, 'other', 'day.jsonl'), line(3));
    assert.equal(synced.dirs, [], 'DURABILITY=write: none');
  } finally {
    synced.restore();
  }
});

test("a directory fsync that fails with an I/O error fails the append (the new file's name may not be on disk); one the filesystem cannot do is skipped", async () => {
  const dir = await tempDir();
  const writer = new AppendWriter({ fsync: true });
  const eio = failDirSyncs('EIO');
  try {
    const failed = await writer.append(join(dir, 'a.jsonl'), line(1)).then(() => undefined, (err: NodeJS.ErrnoException) => err.code);
    assert.is(failed, 'EIO');
  } finally {
    eio.restore();
  }
  // The file exists now; its name is made durable before the next append is acknowledged.
  const synced = recordDirSyncs();
  try {
    await writer.append(join(dir, 'a.jsonl'), line(2));
    assert.equal(synced.dirs, [dir]);
  } finally {
    synced.restore();
    await writer.close();
  }
  const unsupported = failDirSyncs('EINVAL');
  try {
    await new AppendWriter({ fsync: true }).append(join(dir, 'b.jsonl'), line(2));
  } finally {
    unsupported.restore();
  }
  assert.is(await readFile(join(dir, 'b.jsonl'), 'utf8'), line(2));
});

test.run();

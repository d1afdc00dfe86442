import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendWriter, parseJsonLines } from '../../../server/store/embedded/append-writer.ts';
import { failDirSyncs, fillDiskDuring, recordDirSyncs } from '../../helpers/fs-faults.ts';
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

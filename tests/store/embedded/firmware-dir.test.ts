/**
 * FirmwareDir's change detection: a listing depends on the directory and on each image file's
 * name, size and mtime, so a file rewritten in place (which leaves the directory's mtime as it
 * was) is seen as a change, and an unchanged directory is not.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FirmwareDir } from '../../../server/store/embedded/firmware-images.ts';
import { tempDir } from '../../helpers/gateway.ts';

test('a file rewritten in place is a change; nothing touched is none', async () => {
  const dir = await tempDir('fleetgate-fwdir-');
  const image = join(dir, 'firmware_1.0.0_encrypted.bin');
  await writeFile(join(dir, 'firmware_1.0.0_manifest.json'), '{}');
  await writeFile(image, Buffer.alloc(1000));
  const past = new Date(Date.now() - 60_000);
  for (const p of [image, join(dir, 'firmware_1.0.0_manifest.json'), dir]) await utimes(p, past, past); // settled long ago
  const store = new FirmwareDir(dir);
  await store.list();
  assert.is(await store.changed(), false, 'nothing changed');
  const before = (await stat(dir)).mtimeMs;
  const handle = await open(image, 'r+');
  await handle.write(Buffer.from([1]), 0, 1, 500); // same size, new content (dd conv=notrunc)
  await handle.close();
  assert.is((await stat(dir)).mtimeMs, before, 'the directory did not change');
  assert.is(await store.changed(), true, 'the file did');
  await writeFile(join(dir, 'notes.txt'), 'x');
  for (const p of [image, dir]) await utimes(p, past, past);
  await store.list();
  await writeFile(join(dir, 'notes.txt'), 'longer'); // not an image file: not watched
  assert.is(await store.changed(), false);
});

test.run();

/**
 * server/make-dir.ts: `mkdir -p` that ends. Under /proc Node's recursive mkdir loops forever; a
 * regular file in the way is named "not a directory" (not EEXIST); new directories get the mode.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryError } from '../server/errors.ts';
import { makeDir } from '../server/make-dir.ts';
import { tempDir } from './helpers/gateway.ts';

/** The error makeDir throws, or a failure if it takes more than 2 s (the /proc loop never ends). */
async function failure(dir: string): Promise<DirectoryError> {
  const late = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 2000).unref());
  const outcome = await Promise.race([makeDir(dir).then(() => 'made' as const, (err: unknown) => err), late]);
  if (!(outcome instanceof DirectoryError)) assert.unreachable(`${dir}: expected a DirectoryError, got ${String(outcome)}`);
  return outcome as DirectoryError;
}

test('makes missing parents with the mode; an existing directory is fine', async () => {
  const dir = join(await tempDir(), 'a', 'b', 'c');
  await makeDir(dir, 0o700);
  await makeDir(dir, 0o700);
  assert.is((await stat(dir)).mode & 0o777, 0o700);
  assert.is((await stat(join(dir, '..', '..'))).mode & 0o777, 0o700);
});

test('/proc: one clear error at once, never a loop', async () => {
  assert.match((await failure('/proc/nope')).message, /^\/proc\/nope: cannot create directories in \/proc$/);
  assert.match((await failure('/proc/nope/deeper')).message, /^\/proc\/nope\/deeper: cannot create directories in \/proc$/);
});

test('a regular file in the way is "not a directory", itself or as a parent', async () => {
  const file = join(await tempDir(), 'afile');
  await writeFile(file, 'x');
  const self = await failure(file);
  assert.is(self.message, `${file}: not a directory (a file is in the way)`);
  assert.is(self.path, file);
  assert.is((await failure(join(file, 'sub'))).message, `${join(file, 'sub')}: ${file} is not a directory`);
});

test.run();

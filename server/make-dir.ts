/**
 * Creating the directories fleetgate writes into (DATA_DIR, KEYS_DIR, FIRMWARE_DIR, a provisioning
 * folder), for the gateway and the CLI alike. Like `mkdir -p`, but one component at a time and
 * never Node's `{ recursive: true }`: under /proc (and other file systems that answer ENOENT to a
 * mkdir whose parent exists) that loops forever at full CPU. Every failure is a DirectoryError whose
 * message says what is wrong with which path: a regular file in the way is "not a directory", not
 * EEXIST.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DirectoryError } from './errors.ts';

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** Whether `path` is a directory (false: nothing there); a non-directory in the way throws. */
async function isDirectory(path: string, shown: string): Promise<boolean> {
  try {
    if ((await stat(path)).isDirectory()) return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file; walking up names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new DirectoryError(`${shown}: ${WHY[code ?? ''] ?? code ?? String(err)}`, shown);
  }
  throw new DirectoryError(path === resolve(shown) ? `${shown}: not a directory (a file is in the way)` : `${shown}: ${path} is not a directory`, shown);
}

/**
 * Makes `dir` and any missing parents (new ones get `mode`); an existing directory is fine. Throws
 * DirectoryError naming `dir` when it cannot be made or is not a directory.
 */
export async function makeDir(dir: string, mode = 0o755): Promise<void> {
  const target = resolve(dir);
  const missing: string[] = [];
  for (let p = target; !(await isDirectory(p, dir)); p = dirname(p)) {
    if (dirname(p) === p) break; // the root: nothing above to create from
    missing.unshift(p);
  }
  for (const p of missing) {
    try {
      await mkdir(p, { mode });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Made meanwhile by another process: fine if it is a directory.
      if (code === 'EEXIST' && (await isDirectory(p, dir))) continue;
      // The parent exists (checked above) yet the kernel says ENOENT: a file system without new directories.
      const why = code === 'ENOENT' ? `cannot create directories in ${dirname(p)}` : (WHY[code ?? ''] ?? code ?? String(err));
      throw new DirectoryError(`${dir}: ${why}`, dir);
    }
  }
}

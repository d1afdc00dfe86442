/**
 * Crash-safe file writes for store documents, keys and firmware images: content goes to a temp file in the
 * destination directory (same filesystem, so rename is atomic), is fsynced, and is renamed into
 * place only when the caller says everything succeeded; the directory is fsynced after renames so
 * the new names survive a power cut. A crash at any point leaves either the old file or the
 * complete new one, plus at worst a stray `.*.tmp` that nothing reads (removeStaleTemps deletes
 * them where the size matters).
 */
import { randomBytes } from 'node:crypto';
import { close as closeFd, fsync, open as openFd } from 'node:fs';
import { link, mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temp file being written that will become `finalPath` on commit. */
export interface StagedFile {
  readonly finalPath: string;
  readonly tempPath: string;
  readonly handle: FileHandle;
}

/** Whether `file` is one of `finalPath`'s temp files: `.<name>.<pid>.<8 hex>.tmp` (stageFile). */
function isTempOf(finalPath: string, file: string): boolean {
  const head = `.${basename(finalPath)}.`;
  return file.startsWith(head) && /^\d+\.[0-9a-f]{8}\.tmp$/.test(file.slice(head.length));
}

export async function stageFile(finalPath: string, mode: number): Promise<StagedFile> {
  const tempPath = join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // 'wx' never follows or reuses an existing file; chmod afterwards because open's mode is umasked.
  const handle = await open(tempPath, 'wx', mode);
  try {
    await handle.chmod(mode);
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(tempPath).catch(() => {});
    throw err;
  }
  return { finalPath, tempPath, handle };
}

/**
 * Flush and close every staged file, then rename them into place in the given order.
 * `beforeRename` runs once the staged files are on disk, before any is renamed (crash tests stop there).
 */
export async function commitStaged(files: readonly StagedFile[], beforeRename?: () => Promise<void>): Promise<void> {
  for (const f of files) {
    await f.handle.sync();
    await f.handle.close();
  }
  await beforeRename?.();
  for (const f of files) await rename(f.tempPath, f.finalPath);
  const dirs = new Set(files.map((f) => dirname(f.finalPath)));
  for (const dir of dirs) await syncDir(dir);
}

/** Best-effort cleanup after a failure; never throws (the original error is what matters). */
export async function discardStaged(files: readonly StagedFile[]): Promise<void> {
  for (const f of files) {
    await f.handle.close().catch(() => {});
    await unlink(f.tempPath).catch(() => {});
  }
}

/** Write whole small files (keys, manifests) atomically as one group. */
export async function writeFilesAtomic(entries: readonly { path: string; data: Uint8Array | string; mode: number }[]): Promise<void> {
  const staged: StagedFile[] = [];
  try {
    for (const e of entries) {
      const f = await stageFile(e.path, e.mode);
      staged.push(f);
      await f.handle.writeFile(e.data);
    }
    await commitStaged(staged);
  } catch (err) {
    await discardStaged(staged);
    throw err;
  }
}

/** One whole file, atomically (lowdb documents, snapshots). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  await writeFilesAtomic([{ path, data, mode }]);
}

/**
 * Create `path` with `data` only if it does not exist, never replacing it (even concurrently):
 * the complete temp file is hard-linked to the final name, which fails if the name is taken.
 * Returns false when the file already existed.
 */
export async function createFileExclusive(path: string, data: Uint8Array, mode: number): Promise<boolean> {
  const f = await stageFile(path, mode);
  try {
    await f.handle.writeFile(data);
    await f.handle.sync();
    await f.handle.close();
    try {
      await link(f.tempPath, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    await syncDir(dirname(path));
    return true;
  } finally {
    await f.handle.close().catch(() => {});
    await unlink(f.tempPath).catch(() => {});
  }
}

/**
 * Deletes the temp files a crash left of `finalPath` (a write that never got to its rename);
 * only for a file no other process writes (DATA_DIR is locked by one gateway). Returns how many.
 */
export async function removeStaleTemps(finalPath: string): Promise<number> {
  const files = await readdir(dirname(finalPath)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const stale = files.filter((f) => isTempOf(finalPath, f));
  for (const f of stale) await unlink(join(dirname(finalPath), f)).catch(() => {});
  return stale.length;
}

/**
 * Makes a directory's entries durable (a file created or renamed in it), so they survive a
 * power cut; ext4 happens to order this, other filesystems need the fsync. Some filesystems cannot
 * open or fsync a directory at all (EINVAL, ENOTSUP, EACCES, …): there it is skipped. An I/O error
 * (EIO, ENOSPC) means the entry may not be on disk: the caller's write fails, as a failed fsync of
 * the file itself would.
 */
export function syncDir(dir: string): Promise<void> {
  // The callback API, not a FileHandle: one thread-pool round trip per step, and tests see the fsync.
  return new Promise((resolve, reject) =>
    openFd(dir, 'r', (err, fd) => {
      if (err) return resolve();
      fsync(fd, (syncErr) =>
        closeFd(fd, () => (syncErr && DIR_SYNC_FAILURES.has(syncErr.code ?? '') ? reject(syncErr) : resolve())),
      );
    }),
  );
}

/** fsync errors of a directory that mean its entries may not be durable (others: cannot sync one here). */
const DIR_SYNC_FAILURES = new Set(['EIO', 'ENOSPC', 'EDQUOT', 'EROFS']);

/**
 * mkdir -p; with `durable`, the new directories' names are made durable too (each one's parent
 * fsynced), so a file acknowledged inside one does not vanish with its folder in a power cut.
 */
export async function mkdirDurable(dir: string, mode: number, durable: boolean): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode });
  if (first === undefined || !durable) return;
  for (let d = dir; ; d = dirname(d)) {
    await syncDir(dirname(d));
    if (d === first || dirname(d) === d) break;
  }
}

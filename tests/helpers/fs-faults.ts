/**
 * Disk faults for tests of the stores' writers, injected into `node:fs` itself (the callback API
 * the writers use, re-exported to ES modules with syncBuiltinESMExports), so the code under test
 * is the real one: a disk that fills up in the middle of a write, and a record of the directories
 * fsynced.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

type WriteCallback = (err: NodeJS.ErrnoException | null, written: number) => void;
type WriteArgs = [number, Buffer, number, number, number | null, WriteCallback];

function patch<K extends 'write' | 'fsync'>(name: K, replacement: (typeof fs)[K]): () => void {
  const original = fs[name];
  (fs as Record<K, unknown>)[name] = replacement;
  syncBuiltinESMExports();
  return () => {
    (fs as Record<K, unknown>)[name] = original;
    syncBuiltinESMExports();
  };
}

/**
 * The next write(2) whose bytes contain `marker` writes only the first half of them, and the
 * call that would write the rest fails with ENOSPC — what a filling disk does: a short write,
 * then the error. Once tripped, writes are real again. Call `restore` when done.
 */
export function fillDiskDuring(marker: string): { tripped: () => boolean; restore: () => void } {
  const realWrite = fs.write;
  let failing: Buffer | undefined;
  let tripped = false;
  const restore = patch('write', ((...args: WriteArgs) => {
    const [fd, buffer, offset, length, position, callback] = args;
    if (failing !== undefined && buffer === failing) {
      failing = undefined;
      const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      process.nextTick(callback, err, 0);
      return;
    }
    if (!tripped && Buffer.isBuffer(buffer) && buffer.subarray(offset, offset + length).includes(marker)) {
      tripped = true;
      failing = buffer;
      realWrite(fd, buffer, offset, Math.floor(length / 2), position, callback);
      return;
    }
    realWrite(fd, buffer, offset, length, position, callback);
  }) as unknown as typeof fs.write);
  return { tripped: () => tripped, restore };
}

/**
 * The next write(2) whose bytes contain `marker` is held: nothing is written until `release`
 * (then it is done for real, on the descriptor number it was given) or `fail` (EIO: a slow disk
 * that gives up), for what happens meanwhile. Call `restore` when done.
 */
export function holdWrite(marker: string): { held: () => boolean; release: () => Promise<void>; fail: () => void; restore: () => void } {
  const realWrite = fs.write;
  let pending: WriteArgs | undefined;
  let held = false;
  const restore = patch('write', ((...args: WriteArgs) => {
    const [fd, buffer, offset, length, position, callback] = args;
    if (!held && Buffer.isBuffer(buffer) && buffer.subarray(offset, offset + length).includes(marker)) {
      held = true;
      pending = args;
      return;
    }
    realWrite(fd, buffer, offset, length, position, callback);
  }) as unknown as typeof fs.write);
  const take = () => {
    const args = pending;
    pending = undefined;
    return args;
  };
  /** Resolves once the held write is done (its own callback called). */
  const release = () =>
    new Promise<void>((resolve) => {
      const args = take();
      if (!args) return resolve();
      const callback = args[5];
      realWrite(args[0], args[1], args[2], args[3], args[4], (err, n) => {
        callback(err, n);
        resolve();
      });
    });
  const fail = () => {
    const err = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', errno: -5, syscall: 'write' });
    take()?.[5](err, 0);
  };
  return { held: () => held, release, fail, restore };
}

/** Records the path of every directory fsynced (through fs.fsync) until `restore`. */
export function recordDirSyncs(): { dirs: string[]; restore: () => void } {
  const realFsync = fs.fsync;
  const dirs: string[] = [];
  const restore = patch('fsync', ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
    if (fs.fstatSync(fd).isDirectory()) dirs.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    realFsync(fd, callback);
  }) as typeof fs.fsync);
  return { dirs, restore };
}

/** Every fsync of a directory fails with `code` until `restore` (files' fsyncs are real). */
export function failDirSyncs(code: string): { restore: () => void } {
  const realFsync = fs.fsync;
  const restore = patch('fsync', ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
    if (!fs.fstatSync(fd).isDirectory()) return realFsync(fd, callback);
    process.nextTick(callback, Object.assign(new Error(`${code}: fsync`), { code, syscall: 'fsync' }));
  }) as typeof fs.fsync);
  return { restore };
}

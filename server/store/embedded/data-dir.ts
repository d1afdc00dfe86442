/**
 * Taking DATA_DIR for the embedded store. One gateway process owns a DATA_DIR: two processes on
 * one directory would each keep their own nonce state and accept each other's replays. So at
 * start the gateway checks the directory (its parent must exist; it must be creatable and
 * writable — one line and exit 2 otherwise, never a retry loop) and takes `DATA_DIR/.lock`: a file
 * naming the holder's pid and process start time, created exclusively. A lock whose holder is gone
 * (a SIGKILL, a power cut) is taken over; a live holder makes the second process exit 2 naming it.
 * Taking over a stale lock renames it away first, so of two processes starting at once only one
 * wins. Released (deleted) at shutdown.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DataDirInUseError, DirectoryError, StartupError } from '../../errors.ts';
import { makeDir } from '../../make-dir.ts';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './append-writer.ts';

export const LOCK_FILE = '.lock';

export interface DataDirLock {
  path: string;
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  /** /proc/<pid>/stat start time, so a reused pid is not mistaken for the holder. */
  started: string | null;
}

function processStart(pid: number): string | null {
  try {
    // Field 22 (starttime), after the parenthesised command name which may contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = processStart(holder.pid);
  return holder.started === null || started === null || started === holder.started;
}

function problem(dir: string, err: unknown): StartupError {
  if (err instanceof DirectoryError) return new StartupError(`DATA_DIR ${err.message}: it must be a directory the gateway can create and write`);
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new StartupError(`DATA_DIR ${dir} is not usable (${code}): it must be a directory the gateway can create and write`);
}

/** Checks DATA_DIR and takes its lock; throws StartupError (one line, exit 2) when it cannot. */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const abs = resolve(dir);
  const parent = dirname(abs);
  try {
    if (!(await stat(parent)).isDirectory()) throw new StartupError(`DATA_DIR ${dir}: ${parent} is not a directory`);
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(`DATA_DIR ${dir}: its parent directory ${parent} does not exist (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    await makeDir(abs, PRIVATE_DIR_MODE);
  } catch (err) {
    throw problem(dir, err);
  }
  const path = join(abs, LOCK_FILE);
  const me: Holder = { pid: process.pid, started: processStart(process.pid) };
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const handle = await open(path, 'wx', PRIVATE_FILE_MODE);
      try {
        await handle.writeFile(JSON.stringify(me) + '\n');
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { path, release: () => unlink(path).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw problem(dir, err);
    }
    let holder: Holder;
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as Holder;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: try again
      holder = { pid: 0, started: null }; // unreadable or torn: nobody holds it
    }
    if (holder.pid === process.pid) return { path, release: () => unlink(path).catch(() => undefined) };
    if (holder.pid > 0 && alive(holder)) {
      throw new DataDirInUseError(`DATA_DIR ${dir} is in use by another fleetgate (pid ${holder.pid}); stop it first, or give this one its own DATA_DIR`);
    }
    // Stale: move it out of the way (only one of two racing processes can), then create ours.
    await rename(path, `${path}.stale-${process.pid}`).then(
      () => unlink(`${path}.stale-${process.pid}`).catch(() => undefined),
      () => undefined,
    );
  }
  throw new StartupError(`DATA_DIR ${dir}: could not take ${LOCK_FILE} (kept changing hands)`);
}

/**
 * What the embedded store writes in DATA_DIR (README's table): a directory holding none of these
 * is not a fleetgate DATA_DIR (a gateway that ran once leaves security-stats.json and
 * telemetry-wal/ behind, even with no device registered).
 */
export const STORE_ENTRIES = [
  'devices.json',
  'nonces.json',
  'nonces.jsonl',
  'shared-macs.jsonl',
  'telemetry',
  'telemetry-wal',
  'security-stats.json',
  'ota-state.json',
  'ota-state-journal',
  'devices-journal',
  'ota-rollouts.json',
  'ota-rollout-devices.json',
  'ota-rollout-devices.jsonl',
  'commands.json',
  'commands.jsonl',
  'remote-config.json',
  'diagnostics',
  'diagnostics-index.json',
  'events',
  'events-state.json',
  'audit',
  'tokens.json',
  'console-sessions.json',
  'fleet-activity.json',
] as const;

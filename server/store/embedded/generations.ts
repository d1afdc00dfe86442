/**
 * Numbered log files in one folder (`<10-digit seq>.<ext>`), oldest first: the telemetry WAL
 * (`telemetry-wal/*.wal`) and the journaled tables (`ota-state-journal/*.jsonl`,
 * `devices-journal/*.jsonl`). A writer starts a new generation instead of truncating or rewriting
 * one, so a crash never leaves a log half cut, and whole generations are deleted once what they
 * hold is durable elsewhere.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface Generation {
  seq: number;
  path: string;
}

export function generationFileName(seq: number, ext: string): string {
  return `${String(seq).padStart(10, '0')}.${ext}`;
}

/**
 * The generations in `dir`, oldest first (none if it does not exist); other files are ignored.
 * The folder is left to the AppendWriter to create with the first generation, which makes both
 * names durable under DURABILITY=fsync.
 */
export async function listGenerations(dir: string, ext: string): Promise<Generation[]> {
  const name = new RegExp(`^(\\d{10})\\.${ext}$`);
  const files = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return files
    .map((file) => name.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ seq: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.seq - b.seq);
}

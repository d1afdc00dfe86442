/**
 * Numbered log files in one folder (`<10-digit seq>.<ext>`), oldest first: the telemetry WAL
 * (`telemetry-wal/*.wal`) and the OTA state journal (`ota-state-journal/*.jsonl`). A writer starts a
 * new generation instead of truncating or rewriting one, so a crash never leaves a log half cut,
 * and whole generations are deleted once what they hold is durable elsewhere.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE } from './append-writer.ts';

export interface Generation {
  seq: number;
  path: string;
}

export function generationFileName(seq: number, ext: string): string {
  return `${String(seq).padStart(10, '0')}.${ext}`;
}

/** The generations in `dir` (created if missing), oldest first; other files are ignored. */
export async function listGenerations(dir: string, ext: string): Promise<Generation[]> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const name = new RegExp(`^(\\d{10})\\.${ext}$`);
  return (await readdir(dir))
    .map((file) => name.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ seq: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.seq - b.seq);
}

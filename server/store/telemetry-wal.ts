/**
 * Write-ahead log for telemetry. An accepted batch is made durable by one line appended to a
 * single WAL file (`DATA_DIR/telemetry-wal/<seq>.wal`), group-committed: fifty concurrent uploads
 * from fifty different devices cost one write and one fsync, where writing each device's day file
 * durably would cost fifty. The day files are written later without fsync and made durable at a
 * checkpoint, after which the WAL generations they came from are deleted.
 *
 * Record format, one JSON object per line:
 *   {"d":"<device id>","day":"YYYY-MM-DD","n":<nonce state>,"s":[<sample>, ...]}
 * with the samples exactly as they appear in the day file (one JSON line each there). `n` is the
 * device's anti-replay state after this batch ({"nonce","mac","seen_at"}, see NonceState): the
 * upload's nonce becomes durable in the same write as its samples, so an upload costs one durable
 * write, and a crash keeps both or neither. Records without `n` (written by older versions, or by
 * appends that carry no nonce) are replayed the same way.
 *
 * The nonce states live in the WAL only until a checkpoint: before a generation is deleted, the
 * nonce ledger journals the states it holds (see FileNonceLedger.adoptWalStates).
 *
 * After a crash, `recoverWal` replays every remaining generation into the day files, skipping
 * batches a day file already holds (a batch is identified by its nonce and received_at), and hands
 * the newest nonce state of each device to the ledger before deleting the generations.
 */
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendWriter, parseJsonLines } from './append-writer.ts';
import type { NonceState, TelemetrySample } from './types.ts';

export interface WalRecord {
  d: string;
  day: string;
  n?: NonceState;
  s: TelemetrySample[];
}

/** Nonce states found in WAL generations: the newest per device. */
export type WalNonceStates = Map<string, NonceState>;

/** The WAL line for one batch, from its sample lines already serialised and joined with commas. */
export function walLine(deviceId: string, day: string, samplesJoined: string, nonce?: NonceState): string {
  const n = nonce ? `,"n":${JSON.stringify(nonce)}` : '';
  return `{"d":${JSON.stringify(deviceId)},"day":"${day}"${n},"s":[${samplesJoined}]}\n`;
}

/** Keeps the newest state per device (nonces only grow between resets; see the ledger's reset). */
export function keepNewest(states: WalNonceStates, deviceId: string, state: NonceState): void {
  const known = states.get(deviceId);
  if (!known || known.nonce < state.nonce) states.set(deviceId, state);
}

function isNonceState(n: unknown): n is NonceState {
  if (typeof n !== 'object' || n === null) return false;
  const s = n as Record<string, unknown>;
  return Number.isInteger(s.nonce) && typeof s.mac === 'string' && typeof s.seen_at === 'number';
}

export function batchKey(s: Pick<TelemetrySample, 'nonce' | 'received_at'>): string {
  return `${s.nonce}@${s.received_at}`;
}

const WAL_NAME = /^(\d{10})\.wal$/;

export function walFileName(seq: number): string {
  return `${String(seq).padStart(10, '0')}.wal`;
}

/** WAL generations on disk, oldest first. */
export async function listWal(walDir: string): Promise<{ seq: number; path: string }[]> {
  await mkdir(walDir, { recursive: true });
  return (await readdir(walDir))
    .map((name) => WAL_NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ seq: Number(m[1]), path: join(walDir, m[0]) }))
    .sort((a, b) => a.seq - b.seq);
}

/**
 * Replays WAL generations left by a crash into the day files (`dayPath(device, day)`), makes those
 * files durable, hands the nonce states the generations hold to `adoptNonces` (which must make
 * them durable elsewhere), then deletes the generations. Returns the next free generation number
 * and how many batches had to be replayed.
 */
export async function recoverWal(
  walDir: string,
  dayWriter: AppendWriter,
  dayPath: (deviceId: string, day: string) => string,
  adoptNonces: (states: WalNonceStates) => Promise<void>,
): Promise<{ nextSeq: number; replayed: number }> {
  const generations = await listWal(walDir);
  const byFile = new Map<string, WalRecord[]>();
  const nonces: WalNonceStates = new Map();
  for (const gen of generations) {
    // A torn last line is a batch whose fsync never finished, so it was never acknowledged.
    for (const rec of parseJsonLines<WalRecord>(await readFile(gen.path, 'utf8'))) {
      if (typeof rec?.d !== 'string' || typeof rec.day !== 'string' || !Array.isArray(rec.s) || rec.s.length === 0) continue;
      if (isNonceState(rec.n)) keepNewest(nonces, rec.d, rec.n);
      const path = dayPath(rec.d, rec.day);
      let list = byFile.get(path);
      if (!list) byFile.set(path, (list = []));
      list.push(rec);
    }
  }
  let replayed = 0;
  for (const [path, records] of byFile) {
    const present = new Set<string>();
    try {
      for (const s of parseJsonLines<TelemetrySample>(await readFile(path, 'utf8'))) present.add(batchKey(s));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const missing = records.filter((r) => !present.has(batchKey(r.s[0]!)));
    if (missing.length === 0) continue;
    replayed += missing.length;
    await dayWriter.append(path, missing.map((r) => r.s.map((s) => JSON.stringify(s)).join('\n') + '\n').join(''));
    await dayWriter.sync(path);
  }
  if (nonces.size > 0) await adoptNonces(nonces);
  for (const gen of generations) await unlink(gen.path);
  return { nextSeq: (generations.at(-1)?.seq ?? 0) + 1, replayed };
}

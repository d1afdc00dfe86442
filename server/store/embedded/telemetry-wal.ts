/**
 * Write-ahead log for telemetry. An accepted batch is made durable by one line appended to a
 * single WAL file (`DATA_DIR/telemetry-wal/<seq>.wal`), group-committed: fifty concurrent uploads
 * from fifty different devices cost one write and one fsync, where writing each device's day file
 * durably would cost fifty. The day files are written later without fsync and made durable at a
 * checkpoint, after which the WAL generations they came from are deleted.
 *
 * Record format, one JSON object per line:
 *   {"d":"<device id>","day":"YYYY-MM-DD","n":<nonce state>,"b":<batch line>}
 * where `b` is the batch's day-file line byte for byte (telemetry-lines.ts): the line is built and
 * UTF-8 encoded once, and the same bytes go to the WAL and, later, to the day file. `n` is the
 * device's anti-replay state after this batch ({"nonce","mac","seen_at"}, see NonceState): the
 * upload's nonce becomes durable in the same write as its samples, so an upload costs one durable
 * write, and a crash keeps both or neither. Records without `n` (appends that carry no nonce) are
 * replayed the same way. Older versions wrote `"s":[<sample line>, ...]` (one day-file line per
 * sample) instead of `b`; recovery still replays those.
 *
 * The nonce states live in the WAL only until a checkpoint: before a generation is deleted, the
 * nonce ledger journals the states it holds (see FileNonceLedger.adoptWalStates).
 *
 * After a crash, `recoverWal` replays every remaining generation into the day files, skipping
 * batches a day file already holds (a batch is identified by its nonce and received_at), and hands
 * the newest nonce state of each device to the ledger before deleting the generations.
 */
import { readFile, unlink } from 'node:fs/promises';
import { AppendWriter, parseJsonLines } from './append-writer.ts';
import { generationFileName, listGenerations, type Generation } from './generations.ts';
import { isBatchLine, type BatchLine } from './telemetry-lines.ts';
import type { NonceState, TelemetrySample } from '../types.ts';

export interface WalRecord {
  d: string;
  day: string;
  n?: NonceState;
  b?: BatchLine;
  /** Older versions: the batch as day-file lines of one sample each. */
  s?: TelemetrySample[];
}

/** Nonce states found in WAL generations: the newest per device. */
export type WalNonceStates = Map<string, NonceState>;

/**
 * A WAL record is `walRecordHead(...)`, then the batch line, then `WAL_RECORD_END`: written as
 * three parts, so the batch line's bytes are shared with the day file instead of copied into a
 * second string.
 */
export function walRecordHead(deviceId: string, day: string, nonce?: NonceState): string {
  const n = nonce ? `"n":${nonceStateJson(nonce)},` : '';
  return `{"d":${JSON.stringify(deviceId)},"day":"${day}",${n}"b":`;
}

export const WAL_RECORD_END = '}\n';

/** JSON.stringify(state) for a state built in NonceState's key order, written out: it is per upload. */
function nonceStateJson(state: NonceState): string {
  if (state.reply !== undefined) return JSON.stringify(state);
  return `{"nonce":${state.nonce},"mac":${JSON.stringify(state.mac)},"seen_at":${state.seen_at}}`;
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

/** Identifies a batch in a day file: its lines (one, or one per sample in the old format) share it. */
export function batchKey(s: Pick<TelemetrySample, 'nonce' | 'received_at'>): string {
  return `${s.nonce}@${s.received_at}`;
}

/** The batch key of a WAL record of either format; undefined for a record that holds no batch. */
function recordKey(rec: WalRecord): string | undefined {
  if (isBatchLine(rec.b)) return rec.b.samples.length > 0 ? batchKey(rec.b) : undefined;
  return Array.isArray(rec.s) && rec.s.length > 0 ? batchKey(rec.s[0]!) : undefined;
}

/**
 * The day-file text of a WAL record (`line`, parsed as `rec`), in the format it was written in: a
 * batch line is cut out of the record byte for byte, as the live path would have written it.
 */
function recordLines(rec: WalRecord, line: string): string {
  if (rec.b) {
    const head = walRecordHead(rec.d, rec.day, isNonceState(rec.n) ? rec.n : undefined);
    const exact = line.startsWith(head) && line.endsWith('}');
    return (exact ? line.slice(head.length, -1) : JSON.stringify(rec.b)) + '\n';
  }
  return rec.s!.map((s) => JSON.stringify(s)).join('\n') + '\n';
}

export const walFileName = (seq: number): string => generationFileName(seq, 'wal');

/** WAL generations on disk, oldest first. */
export const listWal = (walDir: string): Promise<Generation[]> => listGenerations(walDir, 'wal');

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
  const byFile = new Map<string, { rec: WalRecord; text: string }[]>();
  const nonces: WalNonceStates = new Map();
  for (const gen of generations) {
    // A torn last line is a batch whose fsync never finished, so it was never acknowledged.
    for (const line of (await readFile(gen.path, 'utf8')).split('\n')) {
      let rec: WalRecord;
      try {
        rec = JSON.parse(line) as WalRecord;
      } catch {
        continue;
      }
      if (typeof rec?.d !== 'string' || typeof rec.day !== 'string' || recordKey(rec) === undefined) continue;
      if (isNonceState(rec.n)) keepNewest(nonces, rec.d, rec.n);
      const path = dayPath(rec.d, rec.day);
      let list = byFile.get(path);
      if (!list) byFile.set(path, (list = []));
      list.push({ rec, text: recordLines(rec, line) });
    }
  }
  let replayed = 0;
  for (const [path, records] of byFile) {
    const present = new Set<string>();
    try {
      for (const line of parseJsonLines<BatchLine | TelemetrySample>(await readFile(path, 'utf8'))) present.add(batchKey(line));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const missing = records.filter((r) => !present.has(recordKey(r.rec)!));
    if (missing.length === 0) continue;
    replayed += missing.length;
    await dayWriter.append(path, missing.map((r) => r.text).join(''));
    await dayWriter.sync(path);
  }
  if (nonces.size > 0) await adoptNonces(nonces);
  for (const gen of generations) await unlink(gen.path);
  return { nextSeq: (generations.at(-1)?.seq ?? 0) + 1, replayed };
}

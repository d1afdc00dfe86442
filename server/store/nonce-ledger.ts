/**
 * The anti-replay ledger: for each device, the last accepted nonce, the MAC of that message, when
 * it was seen and (optionally) the reply it got, so an exact retransmission can be answered again
 * without a second effect.
 *
 * Every device message touches this, so it is not kept in a lowdb document (rewriting a whole
 * document per upload would not scale). Instead: an in-memory map, an append-only journal
 * (`nonces.jsonl`, group-committed by AppendWriter) and a snapshot (`nonces.json`, a lowdb
 * document) that the journal is folded into when it grows. Each journal line holds the full state
 * of one device, so replaying snapshot + journal in order always rebuilds the last durable state.
 *
 * `claim` is the single check-and-set the Store interface promises: a PostgreSQL store would do it
 * as one `UPDATE devices SET last_nonce = $n ... WHERE id = $d AND last_nonce < $n RETURNING` in a
 * transaction that `commit` ends.
 */
import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendWriter, parseJsonLines } from './append-writer.ts';
import { JsonDocument } from './json-document.ts';
import type { Claim, NonceLedger, NonceState, StoredReply } from './types.ts';

interface JournalLine {
  d: string;
  /** Absent on a reset line. */
  s?: NonceState;
}

interface PendingClaim {
  nonce: number;
  mac: string;
  done: Promise<boolean>;
}

const COMPACT_AFTER_LINES = 20_000;

export class FileNonceLedger implements NonceLedger {
  /** Durable state: what the journal + snapshot say. */
  private readonly committed = new Map<string, NonceState>();
  /** Claims accepted in memory whose journal write has not finished yet. */
  private readonly pending = new Map<string, PendingClaim>();
  private journalLines = 0;
  private compacting: Promise<void> | null = null;
  /** Journal appends handed to the writer and not yet durable. */
  private inflight = 0;

  private constructor(
    private readonly journalPath: string,
    private readonly snapshot: JsonDocument<Record<string, NonceState>>,
    private readonly writer: AppendWriter,
  ) {}

  static async open(dataDir: string, writer: AppendWriter): Promise<FileNonceLedger> {
    const snapshot = await JsonDocument.open<Record<string, NonceState>>(join(dataDir, 'nonces.json'), {});
    const ledger = new FileNonceLedger(join(dataDir, 'nonces.jsonl'), snapshot, writer);
    for (const [id, state] of Object.entries(snapshot.data)) ledger.committed.set(id, state);
    let text = '';
    try {
      text = await readFile(ledger.journalPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of parseJsonLines<JournalLine>(text)) {
      ledger.journalLines++;
      if (line.s) ledger.committed.set(line.d, line.s);
      else if (line.d === '*') ledger.committed.clear();
      else ledger.committed.delete(line.d);
    }
    return ledger;
  }

  get(deviceId: string): NonceState | undefined {
    return this.committed.get(deviceId);
  }

  all(): ReadonlyMap<string, NonceState> {
    return this.committed;
  }

  async claim(deviceId: string, nonce: number, mac: string, now: number): Promise<Claim> {
    for (;;) {
      const inFlight = this.pending.get(deviceId);
      if (inFlight && inFlight.nonce >= nonce) {
        // The same or a newer message is being committed right now: wait for its outcome,
        // then judge this one against the durable state (answers retransmissions correctly).
        await inFlight.done;
        continue;
      }
      const last = this.committed.get(deviceId);
      if (last && nonce === last.nonce && mac === last.mac) return { outcome: 'duplicate', reply: last.reply };
      if (last && nonce <= last.nonce) return { outcome: 'replay', lastNonce: last.nonce };
      return this.reserve(deviceId, nonce, mac, now);
    }
  }

  private reserve(deviceId: string, nonce: number, mac: string, now: number): Claim {
    let settle!: (committed: boolean) => void;
    const entry: PendingClaim = { nonce, mac, done: new Promise<boolean>((r) => (settle = r)) };
    this.pending.set(deviceId, entry);
    let finished = false;
    const release = (committed: boolean) => {
      finished = true;
      if (this.pending.get(deviceId) === entry) this.pending.delete(deviceId);
      settle(committed);
    };
    return {
      outcome: 'fresh',
      commit: async (reply?: StoredReply) => {
        if (finished) throw new Error('nonce claim already settled');
        const state: NonceState = { nonce, mac, seen_at: now, ...(reply ? { reply } : {}) };
        try {
          await this.appendJournal({ d: deviceId, s: state });
        } catch (err) {
          release(false);
          throw err;
        }
        // A newer nonce may have been committed meanwhile (pipelined requests); never go back.
        const current = this.committed.get(deviceId);
        if (!current || current.nonce < nonce) this.committed.set(deviceId, state);
        release(true);
      },
      abort: () => {
        if (!finished) release(false);
      },
    };
  }

  async reset(deviceId?: string): Promise<number> {
    const count = deviceId ? (this.committed.has(deviceId) ? 1 : 0) : this.committed.size;
    await this.appendJournal({ d: deviceId ?? '*' });
    if (deviceId) this.committed.delete(deviceId);
    else this.committed.clear();
    return count;
  }

  private async appendJournal(line: JournalLine): Promise<void> {
    while (this.compacting) await this.compacting;
    this.inflight++;
    try {
      await this.writer.append(this.journalPath, JSON.stringify(line) + '\n');
    } finally {
      this.inflight--;
    }
    if (++this.journalLines >= COMPACT_AFTER_LINES && !this.compacting) {
      this.compacting = this.compact().finally(() => (this.compacting = null));
    }
  }

  /**
   * Folds the journal into the snapshot. New journal writes wait (appendJournal awaits
   * `compacting`), so the snapshot covers exactly the lines the truncate removes. A crash between
   * the snapshot write and the truncate only means replaying lines the snapshot already holds.
   */
  private async compact(): Promise<void> {
    // Let appends already handed to the writer land, and their commits update `committed`
    // (those continuations are microtasks, which all run before the next setImmediate).
    while (this.inflight > 0) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setImmediate(r));
    await this.snapshot.mutate((doc) => {
      for (const key of Object.keys(doc)) delete doc[key];
      for (const [id, state] of this.committed) doc[id] = state;
    });
    await this.writer.forget(this.journalPath);
    await truncate(this.journalPath, 0);
    this.journalLines = 0;
  }
}

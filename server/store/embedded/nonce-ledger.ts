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
 * Telemetry uploads do not write the journal: `commitWithTelemetry` puts the nonce state in the
 * batch's telemetry WAL line (one durable write per upload instead of two in a row). Those states
 * are WAL-backed until the telemetry log checkpoints; before it deletes a WAL generation it hands
 * the states over (`adoptWalStates`) and they are journaled here, and after a crash the recovered
 * WAL hands them over the same way. A reset first checkpoints the WAL (with the device's claims
 * held back), so no WAL generation can bring a nonce from before a reset back.
 *
 * `claim` is the single check-and-set the Store interface promises: a PostgreSQL store would do it
 * as one `UPDATE devices SET last_nonce = $n ... WHERE id = $d AND last_nonce < $n RETURNING` in a
 * transaction that `commit` (or `commitWithTelemetry`, with the sample INSERT) ends.
 */
import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendWriter, parseJsonLines } from './append-writer.ts';
import { JsonDocument } from './json-document.ts';
import type { WalNonceStates } from './telemetry-wal.ts';
import type { Claim, NonceLedger, NonceState, NonceSummary, StoredReply, TelemetryBatch, UploadOutcome } from '../types.ts';

/**
 * A claim of this ledger: a fresh one can also commit with an upload's batch, which rides in the
 * same telemetry WAL line as the nonce (one durable write per upload).
 */
export type EmbeddedClaim =
  | (Extract<Claim, { outcome: 'fresh' }> & { commitWithTelemetry(batch: TelemetryBatch): Promise<void> })
  | Exclude<Claim, { outcome: 'fresh' }>;

/** The telemetry log's side of WAL-carried nonce states (JsonlTelemetryLog). */
export interface NonceCarryingLog {
  appendWithNonce(deviceId: string, batch: TelemetryBatch, nonce: NonceState): Promise<void>;
  /** Afterwards, no WAL generation holds a state from before the call. */
  checkpointNow(): Promise<void>;
}

interface JournalLine {
  d: string;
  /** Absent on a reset line. */
  s?: NonceState;
}

interface ResetInProgress {
  /** Undefined: every device. */
  deviceId?: string;
  done: Promise<void>;
}

interface PendingClaim {
  nonce: number;
  mac: string;
  done: Promise<boolean>;
}

const COMPACT_AFTER_LINES = 20_000;

function journalText(deviceId: string, state: NonceState): string {
  return JSON.stringify({ d: deviceId, s: state } satisfies JournalLine) + '\n';
}

export class FileNonceLedger implements NonceLedger {
  /** Durable state: what the journal + snapshot say. */
  private readonly committed = new Map<string, NonceState>();
  /**
   * Claims accepted in memory whose write has not finished yet, every one of them per device
   * (pipelined requests can have several in flight): a retransmission of any of them must wait
   * for that claim's outcome, never be judged against the durable state alone.
   */
  private readonly pending = new Map<string, PendingClaim[]>();
  private journalLines = 0;
  private compacting: Promise<void> | null = null;
  /** Journal appends handed to the writer and not yet durable. */
  private inflight = 0;
  private wal: NonceCarryingLog | undefined;
  private resetting: ResetInProgress | null = null;

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

  /** Lets uploads carry their nonce state in the telemetry WAL (see commitWithTelemetry). */
  carryNoncesIn(log: NonceCarryingLog): void {
    this.wal = log;
  }

  async get(deviceId: string): Promise<NonceSummary | undefined> {
    const s = this.committed.get(deviceId);
    return s && { nonce: s.nonce, seen_at: s.seen_at };
  }

  async all(): Promise<ReadonlyMap<string, NonceSummary>> {
    const out = new Map<string, NonceSummary>();
    for (const [id, s] of this.committed) out.set(id, { nonce: s.nonce, seen_at: s.seen_at });
    return out;
  }

  /** The full durable state, reply included (tests and the WAL recovery check it). */
  state(deviceId: string): NonceState | undefined {
    return this.committed.get(deviceId);
  }

  async acceptUpload(deviceId: string, nonce: number, mac: string, now: number, batch: TelemetryBatch): Promise<UploadOutcome> {
    // judge(), not claim(): the fleet view taps claim() as "a signed message was seen" and
    // acceptUpload() as "an upload was accepted"; one upload is one of those, not both.
    const claim = await this.judge(deviceId, nonce, mac, now);
    if (claim.outcome === 'replay') return claim;
    if (claim.outcome === 'duplicate') return { outcome: 'duplicate' };
    try {
      await claim.commitWithTelemetry(batch);
    } catch (err) {
      claim.abort();
      throw err;
    }
    return { outcome: 'accepted' };
  }

  claim(deviceId: string, nonce: number, mac: string, now: number): Promise<EmbeddedClaim> {
    return this.judge(deviceId, nonce, mac, now);
  }

  private async judge(deviceId: string, nonce: number, mac: string, now: number): Promise<EmbeddedClaim> {
    for (;;) {
      const reset = this.resetting;
      if (reset && (reset.deviceId === undefined || reset.deviceId === deviceId)) {
        await reset.done;
        continue;
      }
      const blocking = this.pending.get(deviceId)?.find((p) => p.nonce >= nonce);
      if (blocking) {
        // The same or a newer message is being committed right now: wait for its outcome,
        // then judge this one again (a retransmission becomes a duplicate, an older one a replay).
        await blocking.done;
        continue;
      }
      const last = this.committed.get(deviceId);
      if (last && nonce === last.nonce && mac === last.mac) return { outcome: 'duplicate', reply: last.reply };
      if (last && nonce <= last.nonce) return { outcome: 'replay', lastNonce: last.nonce };
      return this.reserve(deviceId, nonce, mac, now);
    }
  }

  private reserve(deviceId: string, nonce: number, mac: string, now: number): EmbeddedClaim {
    let settle!: (committed: boolean) => void;
    const entry: PendingClaim = { nonce, mac, done: new Promise<boolean>((r) => (settle = r)) };
    const list = this.pending.get(deviceId);
    if (list) list.push(entry);
    else this.pending.set(deviceId, [entry]);
    let finished = false;
    const release = (committed: boolean) => {
      finished = true;
      const current = this.pending.get(deviceId);
      if (current) {
        const rest = current.filter((p) => p !== entry);
        if (rest.length === 0) this.pending.delete(deviceId);
        else this.pending.set(deviceId, rest);
      }
      settle(committed);
    };
    /** Runs the write that makes `state` durable, then publishes it. */
    const settleWith = async (state: NonceState, write: () => Promise<void>) => {
      if (finished) throw new Error('nonce claim already settled');
      try {
        await write();
      } catch (err) {
        release(false);
        throw err;
      }
      // A newer nonce may have been committed meanwhile (pipelined requests); never go back.
      const current = this.committed.get(deviceId);
      if (!current || current.nonce < nonce) this.committed.set(deviceId, state);
      release(true);
    };
    return {
      outcome: 'fresh',
      commit: (reply?: StoredReply) => {
        const state: NonceState = { nonce, mac, seen_at: now, ...(reply ? { reply } : {}) };
        return settleWith(state, () => this.appendJournal(journalText(deviceId, state), 1));
      },
      commitWithTelemetry: (batch: TelemetryBatch) => {
        const wal = this.wal;
        if (!wal) return Promise.reject(new Error('commitWithTelemetry needs a telemetry log (carryNoncesIn)'));
        const state: NonceState = { nonce, mac, seen_at: now };
        return settleWith(state, () => wal.appendWithNonce(deviceId, batch, state));
      },
      abort: () => {
        if (!finished) release(false);
      },
    };
  }

  async raiseFloors(floors: ReadonlyMap<string, NonceSummary>): Promise<number> {
    // Each raise is a claim of the floor, so it waits for the device's claims in flight and
    // cannot pass a reset; all of them share the journal's group commits.
    const raised = await Promise.all(
      [...floors].map(async ([deviceId, floor]) => {
        const claim = await this.claim(deviceId, floor.nonce, '', this.committed.get(deviceId)?.seen_at ?? floor.seen_at);
        if (claim.outcome !== 'fresh') return false;
        await claim.commit();
        return true;
      }),
    );
    return raised.filter(Boolean).length;
  }

  /**
   * Journals nonce states the telemetry WAL carried, before their generation is deleted (at a
   * checkpoint, or after a crash at recovery). Each device keeps the newer of its state here and
   * the WAL's: at a checkpoint ours is usually as new; after a crash the WAL's may be newer.
   */
  async adoptWalStates(states: WalNonceStates): Promise<void> {
    let text = '';
    for (const [deviceId, walState] of states) {
      const current = this.committed.get(deviceId);
      const newest = current && current.nonce >= walState.nonce ? current : walState;
      this.committed.set(deviceId, newest);
      text += journalText(deviceId, newest);
    }
    await this.appendJournal(text, states.size);
  }

  /**
   * Forgets nonce state. The device's claims (every device's, for a full reset) are held back
   * until it is done; claims already in flight finish first; then the telemetry WAL is
   * checkpointed, so no generation still carries a state from before the reset that a crash
   * recovery could bring back.
   */
  async reset(deviceId?: string): Promise<number> {
    while (this.resetting) await this.resetting.done;
    let finish!: () => void;
    this.resetting = { deviceId, done: new Promise<void>((r) => (finish = r)) };
    try {
      for (;;) {
        const inFlight = deviceId === undefined ? [...this.pending.values()].flat() : (this.pending.get(deviceId) ?? []);
        if (inFlight.length === 0) break;
        await Promise.all(inFlight.map((p) => p.done));
      }
      await this.wal?.checkpointNow();
      const count = deviceId ? (this.committed.has(deviceId) ? 1 : 0) : this.committed.size;
      await this.appendJournal(JSON.stringify({ d: deviceId ?? '*' } satisfies JournalLine) + '\n', 1);
      if (deviceId) this.committed.delete(deviceId);
      else this.committed.clear();
      return count;
    } finally {
      this.resetting = null;
      finish();
    }
  }

  /** `text`: `lines` complete journal lines. */
  private async appendJournal(text: string, lines: number): Promise<void> {
    while (this.compacting) await this.compacting;
    this.inflight++;
    try {
      await this.writer.append(this.journalPath, text);
    } finally {
      this.inflight--;
    }
    this.journalLines += lines;
    if (this.journalLines >= COMPACT_AFTER_LINES && !this.compacting) {
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

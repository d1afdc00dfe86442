/**
 * Randomized model check of the embedded store's two journal primitives against what their headers
 * promise: JournaledMap (put, prune, compact, close) and JournaledTables with takeBackFailed (set +
 * commit, settled, compact, close). Each round (its own seed) runs two to four "process lives"
 * over one DATA_DIR and 3–5 records. A life interleaves at random: changes, reads that wait for a
 * record to be durable, explicit compactions, writes held and then released — in order, as the
 * AppendWriter writes a file's lines — that succeed, fail before reaching the disk (ENOSPC), fail
 * after it (EIO after the bytes), or fail half way (a torn line), the one-second retry timer
 * firing, compactions that fail or stop for good (a kill mid-compaction). It ends with `close`,
 * with the retries drained, or with a crash (held writes may have reached the disk, whole or torn,
 * unanswered). Checked after every step: memory holds each record's newest change while that one
 * is in flight, else its newest acknowledged one (a failed change goes back to the last durable
 * value); and every write asked for carries the records a failed write took back (both headers:
 * the next write journals the restored state). The next life reopens from disk with a fresh
 * writer, and every record must be:
 * - after a clean end (close answered, or the retries drained): its newest acknowledged change,
 *   and what memory held;
 * - after a crash (or a close that failed): that, or a later change whose bytes may be on disk and
 *   that no later line on disk supersedes — one still in flight, or one that failed after reaching
 *   the disk before a later write journaled its restored state (for the map, or a compaction folded
 *   it): the window both headers document ("a crash before that line is durable can bring the
 *   failed change back").
 *
 * Deterministic for a seed: a write completes only when the round says, the retry timer is
 * virtual (fired as a step, never a real second), and after each step the round waits until the
 * primitive is idle or blocked on something the round holds. A failure prints the seed of its
 * round and its steps; JOURNAL_FUZZ_SEED=<seed> JOURNAL_FUZZ_ROUNDS=1 replays that round
 * (JOURNAL_FUZZ_SEED alone: the same run; default: a new random seed each run).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomInt } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { seededRandom } from '../../../scripts/vectors/codec.ts';
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import { JournaledMap } from '../../../server/store/embedded/journaled-map.ts';
import { JournaledTables, type CompactionStep } from '../../../server/store/embedded/journaled-tables.ts';

const ROUNDS = Number(process.env.JOURNAL_FUZZ_ROUNDS ?? 100);
const SEED = process.env.JOURNAL_FUZZ_SEED !== undefined ? Number(process.env.JOURNAL_FUZZ_SEED) >>> 0 : randomInt(2 ** 32);
/** Both primitives retry a failed write's restored state after this long (RETRY_MS in each file). */
const RETRY_MS = 1000;

// ---- randomness -------------------------------------------------------------------------------

interface Rng {
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  weighted<K extends string>(weights: Record<K, number>): K;
}

function rng(seed: number): Rng {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!,
    weighted(weights) {
      const entries = Object.entries(weights) as [keyof typeof weights, number][];
      let x = next() * entries.reduce((n, [, w]) => n + w, 0);
      for (const [k, w] of entries) if ((x -= w) < 0) return k;
      return entries.find(([, w]) => w > 0)![0];
    },
  };
}

// ---- one process life: its retry timers are virtual, and nothing of it runs once it is dead ------

class VirtualTimer {
  constructor(
    readonly life: Life,
    readonly fire: () => void,
  ) {}
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  hasRef(): boolean {
    return false;
  }
}

interface Life {
  dead: boolean;
  timers: VirtualTimer[];
}
let life: Life | null = null;

/**
 * A RETRY_MS timer set during a life waits until the round fires it; any other timer of a life that
 * has died never fires (a JournaledMap compaction of a crashed life polls for its held writes).
 */
function installLifeClock(): () => void {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const owner = life;
    if (owner && ms === RETRY_MS) {
      const timer = new VirtualTimer(owner, () => fn(...args));
      owner.timers.push(timer);
      return timer;
    }
    return realSet(() => owner?.dead || fn(...args), ms);
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((timer: unknown) => {
    if (timer instanceof VirtualTimer) timer.life.timers = timer.life.timers.filter((t) => t !== timer);
    else realClear(timer as NodeJS.Timeout);
  }) as typeof clearTimeout;
  return () => {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  };
}

// ---- the writer: every append waits for the round ------------------------------------------------

type Fate = 'ok' | 'enospc' | 'eio' | 'torn';
/** What became of a write: held; released with a fate; or, at a crash, on disk whole or torn and never answered. */
type Outcome = Fate | 'held' | 'crash-whole' | 'crash-torn';

interface Write {
  no: number;
  path: string;
  text: string;
  outcome: Outcome;
  resolve: () => void;
  reject: (err: Error) => void;
}

const ioError = (code: 'ENOSPC' | 'EIO') => Object.assign(new Error(`${code}: injected by the journal fuzz test`), { code });
/** Bytes of this write may be on disk (a torn one's complete lines replay). */
const mayBeOnDisk = (o: Outcome) => o !== 'held' && o !== 'enospc';
const wholeOnDisk = (o: Outcome) => o === 'ok' || o === 'eio' || o === 'crash-whole';

/**
 * An AppendWriter whose appends are held until `release` (oldest first) gives each its fate; the
 * bytes go through the real writer. One at a time: each is its own group commit (a batch's writes
 * share one fate, which independent fates cover), and a torn one drops the handle as the real writer
 * does. `stopAtForget`: the next `forget` (a JournaledMap compaction, between its snapshot write and
 * its truncate) never returns.
 */
class HeldWriter extends AppendWriter {
  readonly held: Write[] = [];
  private count = 0;
  onWrite: (write: Write) => void = () => undefined;
  onRelease: (write: Write, fate: Fate) => void = () => undefined;
  stopAtForget = false;
  stopped = false;

  override append(path: string, text: string | Uint8Array | readonly (string | Uint8Array)[]): Promise<void> {
    if (typeof text !== 'string') return Promise.reject(new Error('the journals append strings'));
    return new Promise<void>((resolve, reject) => {
      const write: Write = { no: ++this.count, path, text, outcome: 'held', resolve, reject };
      this.held.push(write);
      this.onWrite(write);
    });
  }

  /** Gives the oldest held write its fate; resolves once its bytes are where the fate puts them. */
  async release(fate: Fate, cut: number): Promise<Write> {
    const write = this.held.shift()!;
    write.outcome = fate;
    if (fate === 'torn') {
      await super.append(write.path, write.text.slice(0, cut));
      // As the real writer does after a failed write: the handle goes, the next open isolates the fragment.
      await super.forget(write.path);
    } else if (fate !== 'enospc') await super.append(write.path, write.text);
    this.onRelease(write, fate);
    if (fate === 'ok') write.resolve();
    else write.reject(ioError(fate === 'eio' ? 'EIO' : 'ENOSPC'));
    return write;
  }

  override forget(path: string): Promise<void> {
    if (!this.stopAtForget) return super.forget(path);
    this.stopped = true;
    count('map: compaction stopped');
    return new Promise<void>(() => undefined);
  }

  /** The process dies: the oldest `whole` held writes had reached the disk, the next one `cut` bytes of it. */
  async crash(whole: number, cut: number): Promise<void> {
    for (const write of this.held.slice(0, whole)) {
      await super.append(write.path, write.text);
      write.outcome = 'crash-whole';
    }
    const torn = this.held[whole];
    if (torn && cut > 0) {
      await super.append(torn.path, torn.text.slice(0, cut));
      torn.outcome = 'crash-torn';
    }
    await this.close(); // its file handles; the dead primitive never writes again
  }
}

// ---- the model: what each change's answer says, and what may be on disk ----------------------------

interface Change {
  /** Numbered in the order they were made; 0 stands for the state the life opened with. */
  no: number;
  entries: Map<string, unknown>;
  /** The map's journal lines of this change (to tell its write from a write of restored values). */
  lines: string[];
  state: 'pending' | 'ok' | 'failed';
  write?: Write;
  /** When the round failed its write. */
  failedAt?: number;
}

class Model {
  /** Logical time: writes released, compactions finished. */
  private tick = 0;
  readonly changes: Change[] = [];
  /** Every write asked for, in order (the order of its lines on disk), with the records its whole lines hold. */
  private readonly writes: { write: Write; records: Set<string> }[] = [];
  /**
   * Records a failed write took back, whose restored value the next write must carry (both
   * headers: "journaled again with the next write" / "the next write carries the restored state").
   */
  private readonly owed = new Set<string>();
  private readonly compactedAt: number[] = [];
  private readonly confirmed: { key: string; no: number }[] = [];
  /** Something the primitive did that its header rules out, seen between checks. */
  problem: string | null = null;

  constructor(
    readonly base: Map<string, unknown>,
    /** The records a write's complete lines hold. */
    private readonly records: (text: string) => Set<string>,
    /** A finished compaction folds in what failed writes took back (JournaledMap truncates the journal after). */
    private readonly compactionFolds: boolean,
  ) {}

  change(entries: [string, unknown][], lines: string[] = []): Change {
    const c: Change = { no: this.changes.length + 1, entries: new Map(entries), lines, state: 'pending' };
    this.changes.push(c);
    // Its own line will hold the record: nothing to restore any more.
    for (const [key] of entries) this.owed.delete(key);
    return c;
  }

  answered(c: Change, ok: boolean): void {
    c.state = ok ? 'ok' : 'failed';
  }

  /** A write was asked for; `claim` picks the changes it carries among those not yet written. */
  wrote(write: Write, claim: (unwritten: Change[]) => Change[]): void {
    for (const c of claim(this.changes.filter((c) => c.state === 'pending' && !c.write))) c.write = write;
    const records = this.records(write.text);
    for (const key of this.owed) this.problem ??= records.has(key) ? null : `w${write.no} does not carry ${key}, which a failed write took back`;
    for (const key of records) this.owed.delete(key);
    this.writes.push({ write, records });
  }

  /** The round gives a write its fate; a failed one owes its records (unless a later change of one is on the way). */
  released(write: Write, fate: Fate): void {
    const at = ++this.tick;
    if (fate === 'ok') return;
    for (const c of this.changes) if (c.write === write) c.failedAt = at;
    const later = new Set(this.changes.filter((c) => c.state === 'pending' && c.write !== write).flatMap((c) => [...c.entries.keys()]));
    for (const key of this.records(write.text)) if (!later.has(key)) this.owed.add(key);
  }

  compacted(): void {
    this.compactedAt.push(++this.tick);
    if (this.compactionFolds) this.owed.clear();
  }

  /** A read saw `seen` durable (settled, and memory still held it). */
  confirm(key: string, seen: unknown): string | null {
    const c = this.latest(key, (c) => c.entries.get(key) === seen);
    if (c) this.confirmed.push({ key, no: c.no });
    else if (this.base.get(key) !== seen) return `a read of ${key} confirmed ${JSON.stringify(seen)}, which no change set`;
    return null;
  }

  /** The newest change of `key` (that `also` accepts). */
  private latest(key: string, also: (c: Change) => boolean = () => true): Change | undefined {
    for (let i = this.changes.length - 1; i >= 0; i--) if (this.changes[i]!.entries.has(key) && also(this.changes[i]!)) return this.changes[i];
    return undefined;
  }

  value(no: number, key: string): unknown {
    return no === 0 ? this.base.get(key) : this.changes[no - 1]!.entries.get(key);
  }

  newestAcknowledged(key: string): number {
    let no = 0;
    for (const c of this.changes) if (c.state === 'ok' && c.entries.has(key)) no = c.no;
    for (const c of this.confirmed) if (c.key === key) no = Math.max(no, c.no);
    return no;
  }

  /** Its newest change while that one is in flight; else its newest acknowledged one. */
  expectedInMemory(key: string): unknown {
    const latest = this.latest(key);
    return latest?.state === 'pending' ? latest.entries.get(key) : this.value(this.newestAcknowledged(key), key);
  }

  /**
   * After a crash: the newest acknowledged value, or a later change whose bytes may be on disk —
   * in flight, or failed (the documented window) — unless a later write that is on disk whole
   * holds the record (the restored value, or a later change), or, for the map, a compaction
   * finished after the failure.
   */
  allowedAfterCrash(key: string): unknown[] {
    const acked = this.newestAcknowledged(key);
    const allowed = [this.value(acked, key)];
    for (const c of this.changes) {
      if (c.no <= acked || !c.entries.has(key) || !c.write || !mayBeOnDisk(c.write.outcome)) continue;
      const no = c.write.no;
      if (this.writes.some((w) => w.write.no > no && wholeOnDisk(w.write.outcome) && w.records.has(key))) continue;
      if (c.failedAt !== undefined && this.compactionFolds && this.compactedAt.some((t) => t > c.failedAt!)) continue;
      allowed.push(c.entries.get(key));
    }
    return allowed;
  }
}

// ---- what a round drives ---------------------------------------------------------------------------

/** One primitive in one life, as the round drives it. */
interface Subject {
  /** Makes one random change (the model first: its write may be asked for at once); its step text. */
  change(): string;
  /** A read that waits for a record to be durable, or null if the primitive has none. */
  read(): string | null;
  compact(): Promise<void>;
  close(): Promise<void>;
  memory(key: string): unknown;
  /** Records in memory. */
  size(): number;
  /** Nothing runs but what waits for the round (a held write, a stopped compaction). */
  idle(): boolean;
  failNextCompaction(): string;
  stopNextCompaction(): string;
  /** Takes back a stop not yet reached (a life that ends cleanly is not killed mid-compaction). */
  keepCompactionsGoing(): void;
  readonly stopped: boolean;
}

interface Round {
  seed: number;
  rng: Rng;
  keys: string[];
  steps: string[];
  /** Numbers values, so no two changes ever set equal ones. */
  values: number;
  /** Something an answer showed wrong (found in a callback; the round fails at its next check). */
  problem: string | null;
}

class RoundFailure extends Error {}

function fail(round: Round, message: string): never {
  throw new RoundFailure(`${message}\n  steps:\n    ${round.steps.join('\n    ')}`);
}

/** Waits until the primitive is idle (three turns of the event loop in a row); a hang fails the round. */
async function quiesce(round: Round, subject: Subject): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (let calm = 0; calm < 3; ) {
    await new Promise((r) => setImmediate(r));
    calm = subject.idle() ? calm + 1 : 0;
    if (Date.now() > deadline) fail(round, 'never idle: a step hangs');
  }
}

function checkMemory(round: Round, subject: Subject, model: Model): void {
  const problem = round.problem ?? model.problem;
  if (problem) fail(round, problem);
  let records = 0;
  for (const key of round.keys) {
    const expected = model.expectedInMemory(key);
    if (expected !== undefined) records++;
    if (!isDeepStrictEqual(subject.memory(key), expected)) fail(round, `memory: ${key} is ${JSON.stringify(subject.memory(key))}, expected ${JSON.stringify(expected)}`);
  }
  if (subject.size() !== records) fail(round, `memory holds ${subject.size()} records, expected ${records}`);
}

const FATES: readonly Fate[] = ['ok', 'ok', 'ok', 'enospc', 'eio', 'torn'];

async function release(round: Round, subject: Subject, writer: HeldWriter, fate: Fate): Promise<void> {
  const text = writer.held[0]!.text;
  const cut = 1 + round.rng.int(Math.max(1, text.length - 1));
  const write = await writer.release(fate, cut);
  count(`a write released: ${fate}`);
  round.steps.push(`w${write.no} ${fate}${fate === 'torn' ? ` at ${cut}/${text.length}` : ''}: ${text.trimEnd().split('\n').join(' ')}`);
  await quiesce(round, subject);
}

async function fireTimer(round: Round, subject: Subject): Promise<void> {
  round.steps.push('the 1 s retry timer fires');
  count('the retry timer fired');
  life!.timers.shift()!.fire();
  await quiesce(round, subject);
}

type Ending = 'close' | 'close-in-flight' | 'drain' | 'crash';

interface LifeEnd {
  ending: Ending;
  clean: boolean;
  memory: Map<string, unknown>;
}

/** One life: random steps, then an ending; memory checked after each step. */
async function live(round: Round, subject: Subject, writer: HeldWriter, model: Model): Promise<LifeEnd> {
  const { rng } = round;
  const steps = 2 + rng.int(14);
  for (let i = 0; i < steps; i++) {
    const step = rng.weighted({
      change: 4,
      read: 1,
      release: writer.held.length > 0 ? 5 : 0,
      compact: 1.2,
      timer: life!.timers.length > 0 ? 1.5 : 0,
      failCompaction: 0.25,
      stopCompaction: 0.12,
    });
    if (step === 'release') await release(round, subject, writer, rng.pick(FATES));
    else if (step === 'timer') await fireTimer(round, subject);
    else {
      if (step === 'change') round.steps.push(subject.change());
      else if (step === 'read') round.steps.push(subject.read() ?? subject.change());
      else if (step === 'failCompaction') round.steps.push(subject.failNextCompaction());
      else if (step === 'stopCompaction') round.steps.push(subject.stopNextCompaction());
      else {
        round.steps.push('compact');
        subject.compact().then(
          () => round.steps.push('  compaction done'),
          (err: Error) => round.steps.push(`  compaction failed: ${err.message}`),
        );
      }
      await quiesce(round, subject);
    }
    checkMemory(round, subject, model);
  }

  let ending = rng.weighted<Ending>({ close: 2, 'close-in-flight': 1.5, drain: 1.5, crash: 4 });
  // A compaction stopped for good holds every later write (map) or close: only a crash ends that life.
  if (subject.stopped) ending = 'crash';
  subject.keepCompactionsGoing();
  round.steps.push(`end: ${ending}`);
  let clean = true;
  if (ending === 'crash') {
    const whole = rng.int(writer.held.length + 1);
    const next = writer.held[whole];
    const cut = next && rng.chance(0.5) ? 1 + rng.int(next.text.length - 1) : 0;
    round.steps.push(`crash: ${whole} held writes reached the disk${cut > 0 ? `, and ${cut} bytes of w${next!.no}` : ''}`);
    if (whole + (cut > 0 ? 1 : 0) > 0) count('a crash left unanswered writes on disk');
    await writer.crash(whole, cut);
    clean = false;
  } else {
    if (ending !== 'close-in-flight') while (writer.held.length > 0) await release(round, subject, writer, rng.pick(FATES));
    if (ending === 'drain') {
      // Nothing closes: the retry timer must journal every restored value on its own.
      for (let failures = 0, turns = 0; writer.held.length > 0 || life!.timers.length > 0; turns++) {
        if (turns > 100) fail(round, 'the retries never end');
        if (writer.held.length === 0) await fireTimer(round, subject);
        const fate = failures >= 2 ? 'ok' : rng.pick(FATES);
        if (writer.held.length > 0) await release(round, subject, writer, fate);
        failures = fate === 'ok' ? 0 : failures + 1;
      }
    } else {
      clean = await closeWhileReleasing(round, subject, writer);
    }
    checkMemory(round, subject, model);
    await writer.close();
  }
  life!.dead = true;
  return { ending, clean, memory: new Map(round.keys.map((k) => [k, subject.memory(k)])) };
}

/** Closes, releasing held writes (random fates) until close is answered; then the ones still held. */
async function closeWhileReleasing(round: Round, subject: Subject, writer: HeldWriter): Promise<boolean> {
  let outcome: 'pending' | 'closed' | 'failed' = 'pending';
  subject.close().then(
    () => (outcome = 'closed'),
    (err: Error) => {
      outcome = 'failed';
      round.steps.push(`  close failed: ${err.message}`);
    },
  );
  await quiesce(round, subject);
  while (outcome === 'pending') {
    if (writer.held.length === 0) fail(round, 'close never finishes: nothing is held');
    await release(round, subject, writer, round.rng.pick(FATES));
  }
  while (writer.held.length > 0) await release(round, subject, writer, round.rng.pick(FATES));
  return outcome === 'closed';
}

/** What the rounds of a run exercised: each kind must have happened, or the generator went blind. */
const seen = new Map<string, number>();
const count = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);

/** Watches a change's answer: the model learns it, the steps show it, `check` looks at what it says. */
function answer<T>(round: Round, model: Model, c: Change, promise: Promise<T>, check: (value: T) => string | null = () => null): void {
  promise.then(
    (value) => {
      model.answered(c, true);
      round.steps.push(`  #${c.no} ok`);
      round.problem ??= check(value);
    },
    (err: Error) => {
      model.answered(c, false);
      round.steps.push(`  #${c.no} failed: ${err.message}`);
    },
  );
}

/** `n` distinct keys. */
function pickKeys(round: Round, n: number): string[] {
  const keys = [...round.keys];
  return Array.from({ length: Math.min(n, keys.length) }, () => keys.splice(round.rng.int(keys.length), 1)[0]!);
}

/** A write's lines. */
const linesOf = (text: string) => text.split('\n').slice(0, -1);

/** The write ends with these lines, in any order (a prune's follow the map's; restored values go first). */
function endsWithLines(text: string, expected: string[]): boolean {
  const last = linesOf(text).slice(-expected.length);
  return expected.length > 0 && last.length === expected.length && [...last].sort().join('\n') === [...expected].sort().join('\n');
}

// ---- JournaledMap ----------------------------------------------------------------------------------

interface Val {
  k: string;
  c: number;
}

const mapPrimitive: Primitive = {
  name: 'JournaledMap',
  keys: (rng) => ['a', 'b', 'c', 'd', 'e'].slice(0, 3 + rng.int(3)),
  records: (text) => new Set(linesOf(text).map((line) => (JSON.parse(line) as { k: string }).k)),
  compactionFolds: true,
  async open(round, dir, writer) {
    const map = await JournaledMap.open<Val>(dir, 'things', writer, { compactAfterBytes: round.rng.pick([60, 150, 400, 1 << 20]) });
    return { memory: (key) => map.get(key), size: () => map.size, subject: (model) => mapSubject(round, map, writer, model) };
  },
};

function mapSubject(round: Round, map: JournaledMap<Val>, writer: HeldWriter, model: Model): Subject {
  const { rng } = round;
  const inner = map as unknown as {
    compacting: Promise<void> | null;
    inflight: number;
    snapshot: { mutate: (change: (doc: Record<string, Val>) => void) => Promise<void> };
  };
  let failCompaction = false;
  const mutate = inner.snapshot.mutate.bind(inner.snapshot);
  inner.snapshot.mutate = async (change) => {
    if (!failCompaction) return mutate(change);
    failCompaction = false;
    throw ioError('ENOSPC');
  };
  // Compactions a write starts call this too (this.compact()): the model learns when each finished.
  const compact = map.compact.bind(map);
  map.compact = () => {
    const fresh = inner.compacting === null;
    const running = compact();
    if (fresh) running.then(() => (model.compacted(), count('map: compaction finished')), () => count('map: compaction failed'));
    return running;
  };
  writer.onWrite = (write) =>
    model.wrote(write, (unwritten) => (unwritten[0] && endsWithLines(write.text, unwritten[0].lines) ? [unwritten[0]] : []));
  let closing = false;
  return {
    change() {
      if (rng.chance(0.7)) {
        const entries = pickKeys(round, 1 + rng.int(2)).map((k): [string, Val] => [k, { k, c: ++round.values }]);
        const c = model.change(entries, entries.map(([k, v]) => JSON.stringify({ k, v })));
        answer(round, model, c, map.put(entries));
        return `#${c.no} put ${entries.map(([k, v]) => `${k}=${v.c}`).join(' ')}`;
      }
      const chosen = new Set(pickKeys(round, 1 + rng.int(2)));
      const gone = round.keys.filter((k) => chosen.has(k) && model.expectedInMemory(k) !== undefined);
      const c = gone.length > 0 ? model.change(gone.map((k) => [k, undefined]), gone.map((k) => JSON.stringify({ k }))) : null;
      const pruned = map.prune((v) => chosen.has(v.k));
      const check = (n: number) => (n === gone.length ? null : `prune of ${[...chosen]} dropped ${n} records, memory held ${gone.length} of them`);
      if (c) answer(round, model, c, pruned, check);
      else void pruned.then((n) => (round.problem ??= check(n)));
      return `${c ? `#${c.no} ` : ''}prune ${[...chosen].join(' ')}`;
    },
    read: () => null,
    compact: () => map.compact(),
    close() {
      closing = true;
      return map.close().finally(() => (closing = false));
    },
    memory: (key) => map.get(key),
    size: () => map.size,
    // Blocked on held writes (a compaction, or close, polls for them), or on a stopped compaction.
    idle: () => writer.stopped || inner.inflight > 0 || (inner.compacting === null && !closing),
    failNextCompaction() {
      failCompaction = true;
      return 'the next compaction fails (its snapshot write: ENOSPC)';
    },
    stopNextCompaction() {
      writer.stopAtForget = true;
      return 'the next compaction stops for good between its snapshot write and its truncate';
    },
    keepCompactionsGoing() {
      if (!writer.stopped) writer.stopAtForget = false;
    },
    get stopped() {
      return writer.stopped;
    },
  };
}

// ---- JournaledTables (takeBackFailed) ---------------------------------------------------------------

interface Row {
  c: number;
}
interface Doc {
  r: Record<string, Row>;
  s: Record<string, Row>;
}
const emptyDoc = (): Doc => ({ r: {}, s: {} });
/** Keys are "<table>.<id>". */
const tableKey = (key: string) => key.split('.') as ['r' | 's', string];

/** The compactionStep hook: where the compaction stands, and a failure or a stop armed at one step. */
class CompactionControl {
  stage: 'started' | CompactionStep | 'stopped' = 'started';
  armed: { step: CompactionStep; stop: boolean } | null = null;
  readonly step = async (step: CompactionStep): Promise<void> => {
    this.stage = step;
    if (this.armed?.step !== step) return;
    const { stop } = this.armed;
    this.armed = null;
    if (!stop) throw ioError('ENOSPC');
    this.stage = 'stopped';
    count('tables: compaction stopped');
    return new Promise<void>(() => undefined);
  };
}

const STEPS: readonly CompactionStep[] = ['rotated', 'written', 'renamed'];

const tablesPrimitive: Primitive = {
  name: 'JournaledTables',
  keys: (rng) => ['r.a', 's.a', 'r.b', 's.b', 'r.c'].slice(0, 3 + rng.int(3)),
  records: (text) =>
    new Set(
      linesOf(text).flatMap((line) =>
        Object.entries(JSON.parse(line) as Record<string, object>).flatMap(([table, rows]) => Object.keys(rows).map((id) => `${table}.${id}`)),
      ),
    ),
  // A compaction folds only the generations before it; a failed line after them stays.
  compactionFolds: false,
  async open(round, dir, writer) {
    const control = new CompactionControl();
    const tables = await JournaledTables.open<Doc>(dir, 'state', writer, emptyDoc, {
      takeBackFailed: true,
      compactAfterBytes: round.rng.pick([40, 80, 200, 1 << 20]),
      compactionStep: control.step,
    });
    const memory = (key: string) => {
      const [table, id] = tableKey(key);
      return Object.hasOwn(tables.data[table], id) ? tables.data[table][id] : undefined;
    };
    const size = () => Object.keys(tables.data.r).length + Object.keys(tables.data.s).length;
    return { memory, size, subject: (model) => tablesSubject(round, tables, control, writer, model, memory, size) };
  },
};

function tablesSubject(
  round: Round,
  tables: JournaledTables<Doc>,
  control: CompactionControl,
  writer: HeldWriter,
  model: Model,
  memory: (key: string) => unknown,
  size: () => number,
): Subject {
  const { rng } = round;
  const inner = tables as unknown as { compaction: Promise<void> | null; scheduled: boolean };
  const compact = tables.compact.bind(tables);
  tables.compact = () => {
    if (inner.compaction === null) control.stage = 'started';
    const running = compact();
    running.then(() => count('tables: compaction finished'), () => count('tables: compaction failed'));
    return running;
  };
  // A write carries every change set before it started: its commit joined that write.
  writer.onWrite = (write) => model.wrote(write, (unwritten) => unwritten);
  const arm = (stop: boolean) => {
    control.armed = { step: rng.pick(STEPS), stop };
    return `the next compaction ${stop ? 'stops for good' : 'fails (ENOSPC)'} at "${control.armed.step}"`;
  };
  return {
    change() {
      const entries = pickKeys(round, 1 + rng.int(2)).map((k): [string, Row] => [k, { c: ++round.values }]);
      const c = model.change(entries);
      for (const [key, row] of entries) tables.set(...tableKey(key), row);
      answer(round, model, c, tables.commit());
      return `#${c.no} set ${entries.map(([k, v]) => `${k}=${v.c}`).join(' ')}, commit`;
    },
    read() {
      // As the device registry answers from memory: wait until durable, then trust it only if memory still holds it.
      const key = rng.pick(round.keys);
      const before = memory(key);
      tables.settled(...tableKey(key)).then(
        () => {
          if (memory(key) !== before) return round.steps.push(`  read of ${key}: memory changed, decides again`);
          round.problem ??= model.confirm(key, before);
          round.steps.push(`  read of ${key} confirmed`);
          count('tables: read confirmed');
        },
        (err: Error) => round.steps.push(`  read of ${key} failed: ${err.message}`),
      );
      return `read ${key} (memory: ${JSON.stringify(before)})`;
    },
    compact: () => tables.compact(),
    close: () => tables.close(),
    memory,
    size,
    // A compaction still at "started" waits for the write in flight, which the round holds.
    idle: () => !inner.scheduled && (inner.compaction === null || control.stage === 'started' || control.stage === 'stopped'),
    failNextCompaction: () => arm(false),
    stopNextCompaction: () => arm(true),
    keepCompactionsGoing() {
      if (control.armed?.stop) control.armed = null;
    },
    get stopped() {
      return control.stage === 'stopped';
    },
  };
}

// ---- rounds ----------------------------------------------------------------------------------------

interface Primitive {
  name: string;
  keys: (rng: Rng) => string[];
  /** The records a write's lines hold. */
  records: (text: string) => Set<string>;
  compactionFolds: boolean;
  /** Opens the primitive over `dir` (a new life); `subject` drives it once the model knows what it opened with. */
  open(round: Round, dir: string, writer: HeldWriter): Promise<Opened>;
}

interface Opened {
  memory: (key: string) => unknown;
  size: () => number;
  subject: (model: Model) => Subject;
}

/** What the next life opened with, against what the last one's answers allow. */
function checkReopened(round: Round, end: LifeEnd, model: Model, disk: Map<string, unknown>): void {
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));
  for (const [key, got] of disk) {
    if (end.clean) {
      const acked = model.value(model.newestAcknowledged(key), key);
      if (!isDeepStrictEqual(got, acked)) {
        fail(round, `after a clean ${end.ending}, ${key} is ${show(got)} on disk; its newest acknowledged change set ${show(acked)}`);
      }
      if (!isDeepStrictEqual(got, end.memory.get(key))) fail(round, `after a clean ${end.ending}, ${key} is ${show(got)} on disk; memory held ${show(end.memory.get(key))}`);
      continue;
    }
    const allowed = model.allowedAfterCrash(key);
    if (!allowed.some((v) => isDeepStrictEqual(v, got))) {
      fail(round, `after a ${end.ending}, ${key} is ${show(got)} on disk; allowed: ${allowed.map(show).join(', ')}`);
    }
    if (!isDeepStrictEqual(got, allowed[0])) count(`${end.ending}: a change not acknowledged came back`);
  }
}

async function runRound(primitive: Primitive, seed: number, root: string): Promise<string[]> {
  const r = rng(seed);
  const round: Round = { seed, rng: r, keys: primitive.keys(r), steps: [], values: 0, problem: null };
  const dir = await mkdtemp(join(root, 'round-'));
  const lives = 2 + r.int(3);
  let last: { end: LifeEnd; model: Model } | null = null;
  try {
    for (let n = 0; ; n++) {
      life = { dead: false, timers: [] };
      const writer = new HeldWriter({ fsync: false });
      const opened = await primitive.open(round, dir, writer);
      const disk = new Map(round.keys.map((k) => [k, opened.memory(k)]));
      const records = [...disk.values()].filter((v) => v !== undefined).length;
      if (opened.size() !== records) fail(round, `reopened with ${opened.size()} records, ${records} of them under the keys the round used`);
      if (last) checkReopened(round, last.end, last.model, disk);
      round.steps.push(`life ${n + 1} opens with ${JSON.stringify(Object.fromEntries(disk))}`);
      if (n === lives) break;
      const model = new Model(disk, primitive.records, primitive.compactionFolds);
      writer.onRelease = (write, fate) => model.released(write, fate);
      const end = await live(round, opened.subject(model), writer, model);
      count(`${primitive.name}: ended by ${end.ending}${end.clean ? '' : ' (not clean)'}`);
      last = { end, model };
    }
  } finally {
    life!.dead = true;
    life = null;
    if (process.env.KEEP_TEST_DIRS !== '1') rmSync(dir, { recursive: true, force: true });
  }
  return round.steps;
}

const FILE = 'tests/store/embedded/journal-fuzz.test.ts';

async function runRounds(primitive: Primitive, first: number, rounds: number, root: string): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const seed = (first + i) >>> 0;
    try {
      await runRound(primitive, seed, root);
    } catch (err) {
      const what = err instanceof RoundFailure ? err.message : (err as Error).stack;
      const failure = new Error(`${primitive.name}, round seed ${seed} (replay: JOURNAL_FUZZ_SEED=${seed} JOURNAL_FUZZ_ROUNDS=1 npx tsx ${FILE}):\n${what}`);
      failure.stack = failure.message.split('\n')[0]; // uvu prints the message; a stack of this runner says nothing
      throw failure;
    }
  }
}

/** Rounds work on tmpfs where there is one: their fsyncs are beside the point, and cost most of the time on disk. */
async function scratchRoot(): Promise<string> {
  const root = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'fleetgate-journal-fuzz-'));
  process.on('exit', () => process.env.KEEP_TEST_DIRS === '1' || rmSync(root, { recursive: true, force: true }));
  return root;
}

let root = '';
let restoreClock = () => undefined as void;
test.before(async () => {
  root = await scratchRoot();
  restoreClock = installLifeClock();
});
test.after(() => restoreClock());

for (const primitive of [mapPrimitive, tablesPrimitive]) {
  test(`${primitive.name}: random rounds keep every acknowledged change, and bring a failed one back only in the documented window`, async () => {
    await runRounds(primitive, SEED, ROUNDS, root);
  });
}

test('a seed replays the same round, step for step', async () => {
  for (const primitive of [mapPrimitive, tablesPrimitive]) {
    for (let i = 0; i < 3; i++) {
      const seed = (SEED + 7919 * (i + 1)) >>> 0;
      assert.equal(await runRound(primitive, seed, root), await runRound(primitive, seed, root), `${primitive.name}, seed ${seed}`);
    }
  }
});

test('the rounds went through every kind of step and ending', () => {
  if (ROUNDS < 100) return; // a replay of a few rounds need not
  const kinds = [
    ...['ok', 'enospc', 'eio', 'torn'].map((fate) => `a write released: ${fate}`),
    'a crash left unanswered writes on disk',
    'the retry timer fired',
    ...['map', 'tables'].flatMap((p) => ['finished', 'failed', 'stopped'].map((how) => `${p}: compaction ${how}`)),
    'tables: read confirmed',
    ...['JournaledMap', 'JournaledTables'].flatMap((name) => ['close', 'close-in-flight', 'drain', 'crash (not clean)'].map((e) => `${name}: ended by ${e}`)),
    // The window both headers document was reached, so the check of it ran.
    'crash: a change not acknowledged came back',
  ];
  const summary = [...seen].map(([kind, n]) => `${n}\t${kind}`).sort().join('\n');
  if (process.env.JOURNAL_FUZZ_SHOW) console.log(summary);
  for (const kind of kinds) assert.ok(seen.has(kind), `never happened: ${kind}; what did:\n${summary}`);
});

test.run();

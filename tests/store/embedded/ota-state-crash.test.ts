/**
 * The embedded OTA state survives SIGKILL at any point, compaction included: a child process
 * (ota-state-crash-child.ts) reports results and prints each once durable; it is killed while its
 * compaction is stopped at each step (writes going on meanwhile), and at random moments while
 * compactions come every few results. After each kill the state must open, and every
 * acknowledged result must be there: each device's success count at least the results
 * acknowledged for it, its completed counter at least the highest acknowledged, and the counters
 * of every acknowledged result's version (each result has a version of its own, so that record is
 * written once and only the generation or snapshot holding it can bring it back).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir } from 'node:fs/promises';
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import type { CompactionStep } from '../../../server/store/embedded/journaled-tables.ts';
import { JournalOtaStateRepo } from '../../../server/store/embedded/ota-state-repo.ts';
import { silentLogger } from '../../../server/logger.ts';
import { tempDir } from '../../helpers/gateway.ts';
import { runCrashChild } from '../../helpers/crash-child.ts';

const CHILD = 'tests/store/embedded/ota-state-crash-child.ts';

/** Acknowledged results per device (how many, and the highest counter), and every acknowledged counter. */
type Acks = Map<string, { count: number; max: number }> & { counters?: number[] };

/**
 * Runs the child on `dataDir` and SIGKILLs it once `killAfter` acks have come (counting only
 * those after `at <holdAt>` when holding), or lets it kill itself (DIE_AFTER_OPEN); adds its acks
 * to `acks`.
 */
function runAndKill(dataDir: string, acks: Acks, killAfter: number, env: { HOLD_AT?: CompactionStep; COUNTER_BASE: string; DIE_AFTER_OPEN?: string }): Promise<void> {
  return runCrashChild({
    script: CHILD,
    env: { DATA_DIR: dataDir, ...env },
    killAfter,
    holding: env.HOLD_AT !== undefined,
    onAck: ([device, counter]) => {
      const a = acks.get(device!) ?? { count: 0, max: -1 };
      acks.set(device!, { count: a.count + 1, max: Math.max(a.max, Number(counter)) });
      (acks.counters ??= []).push(Number(counter));
    },
    endedWell: (_code, signal, seen) => signal === 'SIGKILL' && (seen >= killAfter || env.DIE_AFTER_OPEN !== undefined),
  });
}

async function assertAllThere(dataDir: string, acks: Acks, what: string): Promise<void> {
  const repo = await JournalOtaStateRepo.open(dataDir, new AppendWriter({ fsync: true }), silentLogger());
  try {
    for (const [device, a] of acks) {
      const state = await repo.device(device);
      assert.ok(state && state.successes >= a.count, `${what}: ${device} has ${state?.successes} results, ${a.count} acknowledged`);
      assert.ok(state.completed_counter >= a.max, `${what}: ${device} completed counter ${state.completed_counter}, acknowledged ${a.max}`);
    }
    // Each result is of a version of its own: its counters' record is written once, never again.
    const versions = await repo.versionCounters();
    for (const counter of acks.counters ?? []) assert.is(versions[`1.0.${counter}`]?.successes, 1, `${what}: version 1.0.${counter}`);
  } finally {
    await repo.close();
  }
}

for (const step of ['rotated', 'written', 'renamed'] as const) {
  test(`SIGKILL while a compaction is stopped at "${step}" (30 results acknowledged meanwhile) loses nothing`, async () => {
    const dataDir = await tempDir();
    const acks: Acks = new Map();
    await runAndKill(dataDir, acks, 30, { HOLD_AT: step, COUNTER_BASE: '0' });
    await assertAllThere(dataDir, acks, step);
  });
}

/** Acks after which each random run is killed: OTA_CRASH_KILL_POINTS=57,120,… repeats a failed run's. */
const killPoints = process.env.OTA_CRASH_KILL_POINTS?.split(',').map(Number) ?? Array.from({ length: 4 }, () => 40 + Math.floor(Math.random() * 160));

test(`SIGKILL at random moments (the first between a session's open and its result), compactions every few results, five runs on one DATA_DIR: nothing acknowledged is lost`, async () => {
  const dataDir = await tempDir();
  const acks: Acks = new Map();
  const reproduce = `OTA_CRASH_KILL_POINTS=${killPoints.join(',')}`;
  try {
    // Leaves sessions open: the devices are offered new versions by the next run.
    await runAndKill(dataDir, acks, 0, { COUNTER_BASE: '100000', DIE_AFTER_OPEN: '25' });
    await assertAllThere(dataDir, acks, 'run 1');
    for (const [i, killAfter] of killPoints.entries()) {
      await runAndKill(dataDir, acks, killAfter, { COUNTER_BASE: String((i + 2) * 100_000) });
      await assertAllThere(dataDir, acks, `run ${i + 2}`);
    }
  } catch (err) {
    (err as Error).message += ` (kill points: ${reproduce})`;
    throw err;
  }
  const journal = await readdir(`${dataDir}/ota-state-journal`);
  assert.ok(journal.length <= 3, `compactions kept the journal short: ${journal}`);
});

test.run();

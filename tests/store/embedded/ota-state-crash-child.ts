/**
 * A process for ota-state-crash.test.ts to kill with SIGKILL: opens the embedded OTA state in
 * DATA_DIR with a journal that is compacted every few kB, then four workers each give their own
 * eight devices a session and its result, one after the other, printing `ack <device> <counter>`
 * once the result is durable (stdout is a pipe: written synchronously). With HOLD_AT=<step>, the
 * first compaction stops at that step for good, printing `at <step>`, while results go on.
 * COUNTER_BASE keeps each run's results new to the devices.
 */
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import type { CompactionStep } from '../../../server/store/embedded/journaled-tables.ts';
import { JournalOtaStateRepo } from '../../../server/store/embedded/ota-state-repo.ts';
import { silentLogger } from '../../../server/logger.ts';

const dataDir = process.env.DATA_DIR!;
const holdAt = process.env.HOLD_AT as CompactionStep | undefined;
const base = Number(process.env.COUNTER_BASE ?? 0);

const repo = await JournalOtaStateRepo.open(dataDir, new AppendWriter({ fsync: true }), silentLogger(), {
  compactAfterBytes: 8192,
  compactionStep: async (step) => {
    if (step !== holdAt) return;
    process.stdout.write(`at ${step}\n`);
    await new Promise(() => undefined);
  },
});

async function worker(w: number): Promise<never> {
  for (let n = 0; ; n++) {
    const device = `w${w}-d${n % 8}`;
    const counter = base + n * 4 + w; // one version per result, across workers too
    const version = `1.0.${counter}`;
    const image = { version, chunk_root: `root-${counter}`, total_chunks: 4, chunk_size: 1024, encrypted_size: 4096 };
    await repo.openSession(device, image, 'ro_crash', Date.now(), 300_000, () => `ota_${w}_${counter}`);
    await repo.complete(device, { version, success: true, error: null, counter }, Date.now());
    process.stdout.write(`ack ${device} ${counter}\n`);
  }
}

await Promise.all([0, 1, 2, 3].map(worker));

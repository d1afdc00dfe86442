/**
 * A process for ota-state-crash.test.ts to kill with SIGKILL: opens the embedded OTA state in
 * DATA_DIR with a journal that is compacted every few kB, then four workers each give their own
 * eight devices a session and its result, one after the other, printing `ack <device> <counter>`
 * once the result is durable (stdout is a pipe: written synchronously). With HOLD_AT=<step>, the
 * first compaction stops at that step for good, printing `at <step>`, while results go on.
 * COUNTER_BASE keeps each run's results new to the devices; a session an earlier run left open
 * (killed between its open and its result) is reported failed first. With DIE_AFTER_OPEN=<n>, the
 * process SIGKILLs itself right after the first session opened once n results are acknowledged.
 */
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import type { CompactionStep } from '../../../server/store/embedded/journaled-tables.ts';
import { JournalOtaStateRepo } from '../../../server/store/embedded/ota-state-repo.ts';
import { silentLogger } from '../../../server/logger.ts';

const dataDir = process.env.DATA_DIR!;
const holdAt = process.env.HOLD_AT as CompactionStep | undefined;
const base = Number(process.env.COUNTER_BASE ?? 0);
const dieAfterOpen = process.env.DIE_AFTER_OPEN === undefined ? Infinity : Number(process.env.DIE_AFTER_OPEN);
const WORKERS = [0, 1, 2, 3];
const deviceOf = (w: number, n: number) => `w${w}-d${n % 8}`;
let acked = 0;

const repo = await JournalOtaStateRepo.open(dataDir, new AppendWriter({ fsync: true }), silentLogger(), {
  compactAfterBytes: 8192,
  compactionStep: async (step) => {
    if (step !== holdAt) return;
    process.stdout.write(`at ${step}\n`);
    await new Promise(() => undefined);
  },
});

// A device whose update was cut short reports it failed before it is offered the next version;
// the gateway refuses a new version while a session of another is active (409 ota_session_active).
for (const w of WORKERS) {
  for (let n = 0; n < 8; n++) {
    const left = await repo.session(deviceOf(w, n));
    if (left?.status !== 'active') continue;
    await repo.complete(left.device_id, { version: left.version, success: false, error: 'interrupted', counter: null }, Date.now());
  }
}

async function worker(w: number): Promise<never> {
  for (let n = 0; ; n++) {
    const device = deviceOf(w, n);
    const counter = base + n * 4 + w; // one version per result, across workers too
    const version = `1.0.${counter}`;
    const image = { version, chunk_root: `root-${counter}`, total_chunks: 4, chunk_size: 1024, encrypted_size: 4096 };
    await repo.openSession(device, image, 'ro_crash', Date.now(), 300_000, () => `ota_${w}_${counter}`);
    if (acked >= dieAfterOpen) process.kill(process.pid, 'SIGKILL');
    await repo.complete(device, { version, success: true, error: null, counter }, Date.now());
    acked++;
    process.stdout.write(`ack ${device} ${counter}\n`);
  }
}

await Promise.all(WORKERS.map(worker));

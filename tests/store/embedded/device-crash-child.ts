/**
 * A process for device-crash.test.ts to kill with SIGKILL: opens the embedded store in DATA_DIR
 * with a device journal compacted every few kB, then four workers each register devices and take
 * each through rotation, revocation, reinstatement and a retag, printing `ack <device> <step>` once
 * each step is durable (stdout is a pipe: written synchronously). With HOLD_AT=<step>, the first compaction stops at
 * that step for good, printing `at <step>`, while registrations go on. PREFIX keeps each run's
 * devices new. With STOP_AFTER=<n>, the store is closed cleanly after n acks and the process exits.
 */
import { openEmbeddedStore } from '../../../server/store/embedded/index.ts';
import type { CompactionStep } from '../../../server/store/embedded/journaled-tables.ts';

const dataDir = process.env.DATA_DIR!;
const holdAt = process.env.HOLD_AT as CompactionStep | undefined;
const prefix = process.env.PREFIX ?? 'r0';
const stopAfter = process.env.STOP_AFTER === undefined ? Infinity : Number(process.env.STOP_AFTER);
let acked = 0;

const store = await openEmbeddedStore(dataDir, {
  fsync: true,
  devicesJournal: {
    compactAfterBytes: 4096,
    compactionStep: async (step) => {
      if (step !== holdAt) return;
      process.stdout.write(`at ${step}\n`);
      await new Promise(() => undefined);
    },
  },
});

function ack(device: string, step: number): void {
  process.stdout.write(`ack ${device} ${step}\n`);
  if (++acked === stopAfter) void store.close().then(() => process.exit(0));
}

/**
 * Each worker registers a device per round and moves its four previous ones one step further
 * through a life: 1 registered, 2 key rotated, 3 revoked, 4 reinstated, 5 retagged `done`.
 */
async function worker(w: number): Promise<void> {
  const id = (n: number) => `${prefix}-w${w}-${n}`;
  const d = store.devices;
  for (let n = 0; acked < stopAfter; n++) {
    await d.create({ device_id: id(n), created_at: new Date().toISOString(), key_mode: 'derived', key_version: 1, tags: [`worker:${w}`] });
    ack(id(n), 1);
    if (n >= 1 && (await d.rotateKey(id(n - 1), Date.now(), 60_000)).outcome === 'rotated') ack(id(n - 1), 2);
    if (n >= 2 && (await d.revoke(id(n - 2), Date.now()))) ack(id(n - 2), 3);
    if (n >= 3 && (await d.reinstate(id(n - 3), Date.now())).outcome === 'reinstated') ack(id(n - 3), 4);
    if (n >= 4 && (await d.setTags(id(n - 4), ['done', `worker:${w}`], Date.now()))) ack(id(n - 4), 5);
  }
}

await Promise.all([0, 1, 2, 3].map(worker));

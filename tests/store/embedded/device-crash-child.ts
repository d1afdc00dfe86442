/**
 * A process for device-crash.test.ts to kill with SIGKILL: opens the embedded store in DATA_DIR
 * with a device journal compacted every few kB, then four workers each register devices one after
 * the other and rotate the key of every third, printing `ack <device> <key_version>` once durable
 * (stdout is a pipe: written synchronously). With HOLD_AT=<step>, the first compaction stops at
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

function ack(device: string, keyVersion: number): void {
  process.stdout.write(`ack ${device} ${keyVersion}\n`);
  if (++acked === stopAfter) void store.close().then(() => process.exit(0));
}

async function worker(w: number): Promise<void> {
  for (let n = 0; acked < stopAfter; n++) {
    const device = `${prefix}-w${w}-${n}`;
    await store.devices.create({ device_id: device, created_at: new Date().toISOString(), key_mode: 'derived', key_version: 1, tags: [`worker:${w}`] });
    ack(device, 1);
    if (n % 3 === 2) {
      const rotated = await store.devices.rotateKey(`${prefix}-w${w}-${n - 2}`, Date.now(), 60_000);
      if (rotated.outcome === 'rotated') ack(rotated.device.device_id, rotated.device.key_version);
    }
  }
}

await Promise.all([0, 1, 2, 3].map(worker));

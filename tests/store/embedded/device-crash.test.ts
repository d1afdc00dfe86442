/**
 * The embedded device registry survives SIGKILL at any point, its compaction included: a child
 * process (device-crash-child.ts) registers devices and takes each through a rotation, a
 * revocation, a reinstatement and a retag, printing each step once durable; it is killed while its
 * compaction is stopped at each step (changes going on meanwhile), and at random moments while
 * compactions come every few kB. After each kill every device must be at least at the step
 * acknowledged for it. A last run closes cleanly: then devices.json alone holds the whole registry,
 * as a build from before the journal reads it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEVICES_NAME, emptyDeviceTables } from '../../../server/store/embedded/device-repo.ts';
import { loadJournaled, type CompactionStep } from '../../../server/store/embedded/journaled-tables.ts';
import type { DeviceRecord } from '../../../server/store/types.ts';
import { tempDir } from '../../helpers/gateway.ts';
import { runCrashChild } from '../../helpers/crash-child.ts';

const CHILD = 'tests/store/embedded/device-crash-child.ts';

/** The step of its life each device was acknowledged at (device-crash-child.ts), the highest. */
type Acks = Map<string, number>;

/** Runs the child on `dataDir`, SIGKILLs it after `killAfter` acks (counted from `at <step>` when holding); adds its acks. */
function run(dataDir: string, acks: Acks, killAfter: number, env: { PREFIX: string; HOLD_AT?: CompactionStep; STOP_AFTER?: string }): Promise<void> {
  return runCrashChild({
    script: CHILD,
    env: { DATA_DIR: dataDir, ...env },
    killAfter,
    holding: env.HOLD_AT !== undefined,
    onAck: ([device, step]) => acks.set(device!, Math.max(acks.get(device!) ?? 0, Number(step))),
    ...(env.STOP_AFTER === undefined ? {} : { endedWell: (code: number | null) => code === 0 }),
  });
}

/** The step of its life a record shows (a later step may be there too: done, not yet acknowledged). */
function stepOf(d: DeviceRecord | undefined): number {
  if (!d) return 0;
  if (d.tags?.includes('done')) return 5;
  if (d.reinstated_at) return 4;
  if (d.revoked_at) return 3;
  return d.key_version >= 2 ? 2 : 1;
}

async function assertAllThere(devices: Record<string, DeviceRecord>, acks: Acks, what: string): Promise<void> {
  for (const [device, step] of acks) {
    const got = stepOf(devices[device]);
    assert.ok(got >= step, `${what}: ${device} is at step ${got}, step ${step} was acknowledged`);
  }
}

const onDisk = async (dir: string) => (await loadJournaled(dir, DEVICES_NAME, emptyDeviceTables)).data.devices;

for (const step of ['rotated', 'written', 'renamed'] as const) {
  test(`SIGKILL while a compaction is stopped at "${step}" (40 changes acknowledged meanwhile) loses nothing`, async () => {
    const dataDir = await tempDir();
    const acks: Acks = new Map();
    await run(dataDir, acks, 40, { PREFIX: 'a', HOLD_AT: step });
    await assertAllThere(await onDisk(dataDir), acks, step);
  });
}

/** Acks after which each random run is killed: DEVICE_CRASH_KILL_POINTS=57,120 repeats a failed run's. */
const killPoints = process.env.DEVICE_CRASH_KILL_POINTS?.split(',').map(Number) ?? Array.from({ length: 2 }, () => 30 + Math.floor(Math.random() * 150));

test('SIGKILL at random moments with compactions every few kB, then a clean shutdown, on one DATA_DIR: nothing acknowledged is lost', async () => {
  const dataDir = await tempDir();
  const acks: Acks = new Map();
  try {
    for (const [i, killAfter] of killPoints.entries()) {
      await run(dataDir, acks, killAfter, { PREFIX: `r${i}` });
      await assertAllThere(await onDisk(dataDir), acks, `run ${i + 1}`);
    }
    const { journal_from } = JSON.parse(await readFile(join(dataDir, 'devices.json'), 'utf8')) as { journal_from?: number };
    assert.ok((journal_from ?? 0) > 1, `compactions happened between the kills (journal_from ${journal_from})`);
  } catch (err) {
    (err as Error).message += ` (kill points: DEVICE_CRASH_KILL_POINTS=${killPoints.join(',')})`;
    throw err;
  }
  await run(dataDir, acks, Infinity, { PREFIX: 'last', STOP_AFTER: '20' });
  // devices.json alone, as a build from before the journal reads it.
  const whole = JSON.parse(await readFile(join(dataDir, 'devices.json'), 'utf8')) as { devices: Record<string, DeviceRecord> };
  await assertAllThere(whole.devices, acks, 'devices.json after a clean shutdown');
});

test.run();

/**
 * A check that moves nothing but the device's last_check_at is not written to the embedded OTA
 * state (an fsync for a time that decides nothing): the time is kept in memory and folded into the
 * next write (a change, the progress timer, or close). A check that changes
 * the version or raises the counter is durable before it returns, as every decision is.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import { loadJournaled } from '../../../server/store/embedded/journaled-tables.ts';
import { emptyOtaTables, JournalOtaStateRepo, OTA_STATE_NAME } from '../../../server/store/embedded/ota-state-repo.ts';
import { createLogger } from '../../../server/logger.ts';
import { tempDir } from '../../helpers/gateway.ts';

const T = Date.UTC(2026, 0, 1);
/** The devices a fresh open would find: the snapshot with the journal replayed. */
const onDisk = async (dir: string) => (await loadJournaled(dir, OTA_STATE_NAME, emptyOtaTables)).data.devices;
const openRepo = (dir: string) => JournalOtaStateRepo.open(dir, new AppendWriter({ fsync: true }), createLogger('silent'));

test('a time-only check leaves the file alone; a new version or counter is written before the answer', async () => {
  const dir = await tempDir();
  const repo = await openRepo(dir);
  try {
    await repo.noteCheck('m', { version: '1.0.0', counter: 2 }, T);
    const first = (await onDisk(dir)).m!;
    assert.equal([first.current_version, first.last_check_at], ['1.0.0', T], 'the first check: durable');
    const before = await onDisk(dir);
    assert.is((await repo.noteCheck('m', { version: '1.0.0', counter: 2 }, T + 1000)).last_check_at, T + 1000);
    assert.is((await repo.noteCheck('m', { version: '1.0.0', counter: null }, T + 2000)).last_check_at, T + 2000);
    assert.equal(await onDisk(dir), before, 'same version and counter: not written');
    assert.is((await repo.device('m'))?.last_check_at, T + 2000, 'but answered from memory');

    await repo.noteCheck('m', { version: '1.0.0', counter: 3 }, T + 3000);
    assert.equal([(await onDisk(dir)).m!.reported_counter, (await onDisk(dir)).m!.last_check_at], [3, T + 3000], 'a raised counter: durable');
    await repo.noteCheck('m', { version: '1.1.0', counter: 3 }, T + 4000);
    assert.is((await onDisk(dir)).m!.current_version, '1.1.0', 'a new version: durable');
    await repo.noteCheck('m', { version: '1.1.0', counter: 3 }, T + 5000);
  } finally {
    await repo.close();
  }
  assert.is((await onDisk(dir)).m!.last_check_at, T + 5000, 'close writes the time kept in memory');
});

test('a check that would be answered from memory while a change is being written waits for that write', async () => {
  const dir = await tempDir();
  const repo = await openRepo(dir);
  try {
    await repo.noteCheck('m', { version: '1.0.0', counter: 2 }, T);
    const order: string[] = [];
    const upgrade = repo.noteCheck('m', { version: '1.1.0', counter: 2 }, T + 1).then(() => order.push('new version on disk'));
    // The same check again at once (a retransmission): in memory 1.1.0 is already there, on disk not yet.
    const again = repo.noteCheck('m', { version: '1.1.0', counter: 2 }, T + 2).then(() => order.push('repeat answered'));
    await Promise.all([upgrade, again]);
    assert.equal(order, ['new version on disk', 'repeat answered']);
    assert.is((await onDisk(dir)).m!.current_version, '1.1.0');
  } finally {
    await repo.close();
  }
});

test.run();

/**
 * Rollout progress on the embedded store when its writes fail (disk full): a stage that was not
 * written is not shown, so the same report can write it later; and deleting a rollout whose
 * removal cannot be written fails and leaves the progress where it was, so the devices are not
 * offered the rollout again from nothing. Memory and disk agree afterwards.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import { FaultyWriter } from '../../helpers/faulty-writer.ts';
import { LowdbRolloutRepo } from '../../../server/store/embedded/rollout-repo.ts';
import { upgradeRollout } from '../../../server/ota/rollouts.ts';
import { tempDir } from '../../helpers/gateway.ts';

const T = Date.UTC(2026, 0, 1);


test('a delete whose removal fails keeps the progress visible', async () => {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: false });
  const repo = await LowdbRolloutRepo.open(dir, writer);
  await repo.create(upgradeRollout({ id: 'ro_1', version: '1.2.0', target: 'all', steps: [{ percent: 100 }], notes: '', created_at: T }));
  await repo.noteStage('ro_1', 'dev-1', 'offered', T + 1);
  await repo.noteStage('ro_1', 'dev-2', 'offered', T + 2);
  writer.failing = true;
  const outcome = await repo.delete('ro_1').then(
    (r) => r,
    (err: NodeJS.ErrnoException) => err.code,
  );
  assert.is(outcome, 'ENOSPC');
  assert.equal((await repo.progress('ro_1')).map((p) => p.device_id).sort(), ['dev-1', 'dev-2']);
  assert.ok(await repo.get('ro_1'));
});

test('a stage whose write fails is not shown, and the same report writes it later', async () => {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: false });
  let repo = await LowdbRolloutRepo.open(dir, writer);
  await repo.create(upgradeRollout({ id: 'ro_1', version: '1.2.0', target: 'all', steps: [{ percent: 100 }], notes: '', created_at: T }));
  writer.failing = true;
  const failed = await repo.noteStage('ro_1', 'dev-1', 'offered', T + 1).then(
    () => 'written',
    (err: NodeJS.ErrnoException) => err.code,
  );
  assert.is(failed, 'ENOSPC');
  assert.equal(await repo.progress('ro_1'), [], 'not shown: it is not on disk');
  writer.failing = false;
  await repo.noteStage('ro_1', 'dev-1', 'offered', T + 2);
  await repo.noteStage('ro_1', 'dev-2', 'offered', T + 3);
  const inMemory = (await repo.progress('ro_1')).map((p) => p.device_id);
  assert.equal(inMemory, ['dev-1', 'dev-2']);
  repo = await LowdbRolloutRepo.open(dir, new AppendWriter({ fsync: false }));
  assert.equal((await repo.progress('ro_1')).map((p) => p.device_id).sort(), inMemory);
});

test('a device that starts downloading while the rollout is being deleted keeps it: started', async () => {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: false });
  const repo = await LowdbRolloutRepo.open(dir, writer);
  await repo.create(upgradeRollout({ id: 'ro_1', version: '1.2.0', target: 'all', steps: [{ percent: 100 }], notes: '', created_at: T }));
  await repo.noteStage('ro_1', 'dev-1', 'offered', T + 1);
  writer.hold();
  const deleting = repo.delete('ro_1');
  await new Promise((r) => setImmediate(r)); // the removal's write has started (held)
  const downloading = repo.noteStage('ro_1', 'dev-2', 'downloading', T + 2);
  writer.open();
  await downloading;
  assert.is(await deleting, 'started');
  assert.ok(await repo.get('ro_1'), 'the rollout is kept');
  assert.equal((await repo.progress('ro_1')).map((p) => p.device_id), ['dev-2']);
});

test.run();

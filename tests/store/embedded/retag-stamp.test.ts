/**
 * On the embedded store a device's new tags reach memory only once the membership stamp they need
 * is durable: a compaction of the device registry writes every record as memory holds it, so tags
 * in memory before their stamp could reach disk through a compaction another request started, and
 * a crash then would leave them without it (the device's version could drop). Nothing else waits
 * for the stamp.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore } from '../../../server/store/index.ts';
import { tempDir, testConfig } from '../../helpers/gateway.ts';

const T = Date.UTC(2026, 0, 1);

test('new tags are not in memory before their stamp is durable; then both are, on disk too', async () => {
  const dir = await tempDir();
  const store = await openStore(testConfig(dir));
  try {
    await store.config.updateTagLayer('canary', { upload_frequency: 120 }, T, 'token:x', () => undefined);
    await store.devices.create({ device_id: 'm', created_at: new Date(T).toISOString(), key_mode: 'derived', key_version: 1 });
    await store.devices.create({ device_id: 'other', created_at: new Date(T).toISOString(), key_mode: 'derived', key_version: 1 });
    const retag = store.devices.setTags('m', ['canary'], T);
    assert.is((await store.devices.get('m'))?.tags, undefined, 'not in memory while the stamp is being written');
    const change = await retag;
    assert.ok(change?.config_version, 'stamped');
    assert.equal((await store.devices.get('m'))?.tags, ['canary']);
    assert.is((await store.config.memberships()).get('m'), change!.config_version);
    const untag = await store.devices.setTags('other', [], T);
    assert.is(untag?.config_version, null, 'no layer comes or goes: no stamp, applied at once');
  } finally {
    await store.close();
  }
  const reopened = await openStore(testConfig(dir));
  try {
    assert.equal((await reopened.devices.get('m'))?.tags, ['canary']);
    assert.ok((await reopened.config.memberships()).get('m'));
  } finally {
    await reopened.close();
  }
});

test.run();

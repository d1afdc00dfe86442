/**
 * ConfigRepo contract for tag layers and membership stamps, on every backend: a tag's layer merged
 * (null drops a field, `priority` replaced), versioned only when it changes, refused by `check`
 * without a trace, emptied by a clear (kept, at a new version); `layersOf` reading a device's tags
 * with the layers that apply; `DeviceRepo.setTags` stamping a device from the one counter exactly
 * when it adds or removes a tag with a layer (a cleared one too); a restart; and two replicas
 * writing tag layers, overrides and tags at once never handing out one version twice.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { ConfigValues } from '../../../server/remote-config/fields.ts';
import { resolve } from '../../../server/remote-config/layers.ts';
import type { DeviceRecord } from '../../../server/store/types.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const ok = () => undefined;
const at = (ms: number) => new Date(ms).toISOString();
const device = (id: string, tags: string[] = []): DeviceRecord => ({ device_id: id, created_at: at(T), key_mode: 'derived', key_version: 1, ...(tags.length ? { tags } : {}) });

contract('a tag layer: merged, null drops a field, priority replaced; versioned only when it changes; check can refuse', async (store) => {
  const none = await store.config.updateTagLayer('canary', { upload_frequency: null }, T, 'admin', ok);
  assert.equal(none, { changed: false, layer: { values: {}, version: 0, updated_at: at(T), updated_by: 'admin', priority: 0 } });
  assert.is(await store.config.tagLayer('canary'), undefined, 'nulls on a tag without a layer write nothing');
  const a = await store.config.updateTagLayer('canary', { upload_frequency: 120, registers: ['b', 'a'] }, T + 1, 'token:ops', ok);
  assert.equal(a, { changed: true, layer: { values: { upload_frequency: 120, registers: ['b', 'a'] }, version: 2, updated_at: at(T + 1), updated_by: 'token:ops', priority: 0 } });
  let seen: ConfigValues | undefined;
  const b = await store.config.updateTagLayer('canary', { registers: null, heartbeat_interval: 30, priority: 5 }, T + 2, 'admin', (v) => (seen = v));
  assert.equal(seen, { upload_frequency: 120, heartbeat_interval: 30 }, 'check sees the merged fields (not the priority)');
  assert.equal([b.layer.version, b.layer.priority, JSON.stringify(b.layer.values)], [3, 5, '{"upload_frequency":120,"heartbeat_interval":30}']);
  assert.is((await store.config.updateTagLayer('canary', { upload_frequency: 120, priority: 5 }, T + 3, 'admin', ok)).changed, false);
  const p = await store.config.updateTagLayer('canary', { priority: 7 }, T + 4, 'admin', ok);
  assert.equal([p.changed, p.layer.version, p.layer.priority, p.layer.values], [true, 4, 7, b.layer.values], 'a priority alone is a change');
  const refused = await store.config.updateTagLayer('canary', { poll_frequency: 9 }, T, 'admin', () => { throw new Error('no'); }).then(() => 'resolved', (e: Error) => e.message);
  assert.is(refused, 'no');
  assert.equal(await store.config.tagLayer('canary'), p.layer, 'a refused change leaves nothing behind');
  await store.config.updateTagLayer('site:lyon', { compression_method: 'delta' }, T + 5, 'admin', ok);
  assert.equal([...(await store.config.tagLayers()).keys()].sort(), ['canary', 'site:lyon']);
  assert.is(await store.config.latestVersion(), 5);
  assert.is((await store.config.defaults()).version, 1, 'the defaults keep their own version');
});

contract('clearTagLayer: emptied (fields and priority) at a new version and kept; nothing to clear is undefined', async (store) => {
  assert.is(await store.config.clearTagLayer('canary', T, 'admin'), undefined);
  await store.config.updateTagLayer('canary', { heartbeat_interval: 30, priority: 3 }, T, 'admin', ok);
  const cleared = await store.config.clearTagLayer('canary', T + 1, 'token:ops');
  assert.equal(cleared, { changed: true, layer: { values: {}, version: 3, updated_at: at(T + 1), updated_by: 'token:ops', priority: 0 } });
  assert.equal(await store.config.tagLayer('canary'), cleared!.layer, 'kept: its version still counts for the devices with the tag');
  assert.is(await store.config.clearTagLayer('canary', T + 2, 'admin'), undefined);
  await store.config.updateTagLayer('only-priority', { priority: 4 }, T, 'admin', ok);
  assert.is((await store.config.clearTagLayer('only-priority', T, 'admin'))?.layer.priority, 0, 'a layer with only a priority can be cleared');
  assert.is(await store.config.latestVersion(), 5);
});

contract('layersOf: the device tags with their layers (cleared ones too), its overrides and membership; an unknown device has none', async (store) => {
  await store.devices.create(device('d', ['canary', 'plain', 'site:lyon']));
  await store.config.updateTagLayer('canary', { upload_frequency: 120 }, T, 'admin', ok);
  await store.config.updateTagLayer('site:lyon', { upload_frequency: 90, priority: 1 }, T, 'admin', ok);
  await store.config.updateTagLayer('other', { poll_frequency: 2 }, T, 'admin', ok);
  await store.config.clearTagLayer('canary', T, 'admin');
  await store.config.updateOverride('d', { heartbeat_interval: 20 }, T, 'admin', ok);
  const l = await store.config.layersOf('d');
  assert.equal(l.device_tags, ['canary', 'plain', 'site:lyon']);
  assert.equal([...l.tags.keys()].sort(), ['canary', 'site:lyon']);
  assert.equal([l.tags.get('canary')!.version, l.tags.get('site:lyon')!.version], [5, 3]);
  assert.equal([l.override?.values, l.membership, l.defaults.version], [{ heartbeat_interval: 20 }, undefined, 1]);
  assert.equal(resolve(l).config_version, 6, 'the highest stamp concerning the device: its override');
  const nobody = await store.config.layersOf('nobody');
  assert.equal([nobody.device_tags, nobody.tags.size, nobody.override, nobody.membership], [[], 0, undefined, undefined]);
});

contract('setTags stamps a device from the one counter exactly when it adds or removes a tag with a layer', async (store) => {
  await store.devices.create(device('d', ['site:lyon']));
  await store.config.updateTagLayer('canary', { upload_frequency: 120 }, T, 'admin', ok); // v2
  const unrelated = await store.devices.setTags('d', ['floor-2', 'site:lyon'], T);
  assert.is(unrelated?.config_version, null, 'tags without layers: no stamp, no new version');
  assert.is(await store.config.latestVersion(), 2);
  const added = await store.devices.setTags('d', ['canary', 'floor-2'], T);
  assert.equal([added?.config_version, added?.previous], [3, ['floor-2', 'site:lyon']]);
  assert.equal([await store.config.latestVersion(), (await store.config.layersOf('d')).membership], [3, 3]);
  assert.is((await store.devices.setTags('d', ['canary'], T))?.config_version, null, 'the layered tags stay the same');
  // Another layer gets a higher version; dropping that tag must not lower the device's version.
  await store.config.updateTagLayer('site:lyon', { upload_frequency: 90 }, T, 'admin', ok); // v4
  assert.is((await store.devices.setTags('d', ['canary', 'site:lyon'], T))?.config_version, 5);
  await store.config.updateTagLayer('site:lyon', { poll_frequency: 3 }, T, 'admin', ok); // v6
  assert.is(resolve(await store.config.layersOf('d')).config_version, 6);
  assert.is((await store.devices.setTags('d', ['canary'], T))?.config_version, 7);
  assert.is(resolve(await store.config.layersOf('d')).config_version, 7, 'untagged: still rising');
  // A cleared layer counts as a layer (its version counted for the device while it had the tag).
  await store.config.clearTagLayer('canary', T, 'admin'); // v8
  assert.is((await store.devices.setTags('d', [], T))?.config_version, 9);
  assert.equal([...(await store.config.memberships())], [['d', 9]]);
  assert.equal((await store.devices.get('d'))?.tags, undefined);
});

contract('tag layers and memberships survive a restart', async (store, { reopen }) => {
  await store.devices.create(device('d'));
  await store.config.updateTagLayer('canary', { upload_frequency: 120, priority: 2 }, T, 'admin', ok);
  await store.devices.setTags('d', ['canary'], T);
  await store.close();
  const again = await reopen();
  assert.equal(await again.config.tagLayer('canary'), { values: { upload_frequency: 120 }, version: 2, updated_at: at(T), updated_by: 'admin', priority: 2 });
  assert.equal([...(await again.config.memberships())], [['d', 3]]);
  assert.equal((await again.config.layersOf('d')).device_tags, ['canary']);
  assert.is((await again.config.updateTagLayer('canary', { upload_frequency: 121 }, T, 'admin', ok)).layer.version, 4);
});

contract('two replicas writing tag layers, overrides and tags at once: every change its own version, none lost', async (a, { replica }) => {
  const b = await replica();
  for (let d = 0; d < 5; d++) await a.devices.create(device(`d${d}`));
  // Layers exist first, so each retag below adds or removes one: a stamp each.
  await a.config.updateTagLayer('t0', { poll_frequency: 1 }, T, 'admin', ok);
  await a.config.updateTagLayer('t1', { poll_frequency: 1 }, T, 'admin', ok);
  const changes: Promise<number>[] = [];
  for (let i = 0; i < 40; i++) {
    const store = i % 2 ? a : b;
    if (i % 4 === 0) changes.push(store.config.updateTagLayer(`t${(i / 4) % 2}`, { upload_frequency: 100 + i }, T, 'admin', ok).then((r) => r.layer.version));
    else if (i % 4 === 1) changes.push(store.config.updateTagLayer(`t${i % 3}`, { heartbeat_interval: 10 + i }, T, 'admin', ok).then((r) => r.layer.version));
    else if (i % 4 === 2) changes.push(store.config.updateOverride(`d${i % 5}`, { poll_frequency: 1 + i }, T, 'admin', ok).then((r) => r.layer.version));
    else changes.push(store.devices.setTags(`d${i % 5}`, i % 8 === 3 ? ['t0', `x${i}`] : [`x${i}`], T).then((r) => r!.config_version ?? -1));
  }
  const versions = await Promise.all(changes);
  const stamped = versions.filter((v) => v !== -1);
  assert.is(new Set(stamped).size, stamped.length, `a version handed out twice: ${versions.join(',')}`);
  const latest = await b.config.latestVersion();
  assert.is(Math.max(...stamped), latest);
  assert.is(latest, 3 + stamped.length, 'no version skipped or lost: the counter moved once per change');
  // Both replicas' fields of each layer survived.
  assert.equal(Object.keys((await a.config.tagLayer('t1'))!.values).sort(), ['heartbeat_interval', 'poll_frequency', 'upload_frequency']);
});

test.run();

/**
 * ConfigRepo contract, on every backend: the initial state (version 1, empty defaults), defaults
 * and per-device overrides merged (null drops a field), a version only for a real change, `check`
 * run on the merged values and able to refuse the change, clearing overrides, values kept as given
 * (key order included), a restart — and the one fleet-wide counter: two replicas (one store for
 * embedded) updating at once never hand out one version twice, and never lose an update.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { ConfigValues } from '../../../server/remote-config/fields.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const ok = () => undefined;

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const outcome = await p.then(
    () => 'resolved',
    (err: Error) => err.message,
  );
  assert.match(outcome, pattern);
}

contract('a new store: version 1, empty defaults by system, no overrides', async (store) => {
  assert.is(await store.config.latestVersion(), 1);
  assert.equal(await store.config.defaults(), { values: {}, version: 1, updated_at: new Date(T).toISOString(), updated_by: 'system' });
  assert.is(await store.config.override('d'), undefined);
  assert.is((await store.config.overrides()).size, 0);
}, { now: T });

contract('defaults: merged, versioned only when they change; check sees the merged values and can refuse', async (store) => {
  const r1 = await store.config.updateDefaults({ upload_frequency: 120, poll_frequency: 10 }, T + 1, 'admin', ok);
  assert.equal(r1, { changed: true, layer: { values: { upload_frequency: 120, poll_frequency: 10 }, version: 2, updated_at: new Date(T + 1).toISOString(), updated_by: 'admin' } });
  let seen: ConfigValues | undefined;
  const r2 = await store.config.updateDefaults({ upload_frequency: 120 }, T + 2, 'other', (v) => (seen = v));
  assert.equal(r2, { changed: false, layer: r1.layer });
  assert.equal(seen, { upload_frequency: 120, poll_frequency: 10 });
  assert.is(await store.config.latestVersion(), 2, 'no version for a no-op');
  const refused = store.config.updateDefaults({ poll_frequency: 500 }, T + 3, 'admin', (v) => {
    if ((v.poll_frequency ?? 0) > (v.upload_frequency ?? 0)) throw new Error('poll slower than upload');
  });
  await rejects(refused, /poll slower/);
  assert.equal(await store.config.defaults(), r1.layer, 'a refused change leaves nothing behind');
  assert.is(await store.config.latestVersion(), 2);
  const r3 = await store.config.updateDefaults({ registers: ['b', 'a'], compression_enabled: false }, T + 4, 'admin', ok);
  assert.is(JSON.stringify(r3.layer.values), '{"upload_frequency":120,"poll_frequency":10,"registers":["b","a"],"compression_enabled":false}');
  assert.is(JSON.stringify((await store.config.defaults()).values), JSON.stringify(r3.layer.values), 'stored as given, key order included');
});

contract('overrides: per device, null drops a field, nulls on a device without overrides change nothing', async (store) => {
  const none = await store.config.updateOverride('d', { heartbeat_interval: null }, T, 'admin', ok);
  assert.equal(none, { changed: false, layer: { values: {}, version: 0, updated_at: new Date(T).toISOString(), updated_by: 'admin' } });
  assert.is(await store.config.override('d'), undefined);
  const a = await store.config.updateOverride('d', { heartbeat_interval: 30, upload_frequency: 300 }, T + 1, 'admin', ok);
  assert.equal([a.changed, a.layer.version], [true, 2]);
  let seen: ConfigValues | undefined;
  const b = await store.config.updateOverride('d', { heartbeat_interval: null, compression_method: 'delta' }, T + 2, 'device:x', (v) => (seen = v));
  assert.equal(seen, { upload_frequency: 300, compression_method: 'delta' });
  assert.equal(b.layer, { values: { upload_frequency: 300, compression_method: 'delta' }, version: 3, updated_at: new Date(T + 2).toISOString(), updated_by: 'device:x' });
  assert.equal((await store.config.updateOverride('d', { upload_frequency: 300 }, T + 3, 'admin', ok)).changed, false);
  await store.config.updateOverride('e', { poll_frequency: 1 }, T + 4, 'admin', ok);
  await store.config.updateDefaults({ poll_frequency: 2 }, T + 5, 'admin', ok);
  assert.equal(await store.config.override('d'), b.layer);
  assert.equal([...(await store.config.overrides())].sort(), [
    ['d', b.layer],
    ['e', (await store.config.override('e'))!],
  ]);
  assert.is(await store.config.latestVersion(), 5);
  await rejects(store.config.updateOverride('d', { poll_frequency: 9 }, T, 'admin', () => { throw new Error('no'); }), /no/);
  assert.equal(await store.config.override('d'), b.layer);
});

contract('clearOverride: an empty layer at a new version; nothing to clear is undefined', async (store) => {
  assert.is(await store.config.clearOverride('d', T, 'admin'), undefined);
  await store.config.updateOverride('d', { heartbeat_interval: 30 }, T, 'admin', ok);
  const cleared = await store.config.clearOverride('d', T + 1, 'admin');
  assert.equal(cleared, { changed: true, layer: { values: {}, version: 3, updated_at: new Date(T + 1).toISOString(), updated_by: 'admin' } });
  assert.equal(await store.config.override('d'), cleared!.layer, 'kept, so the device version still rises');
  assert.is(await store.config.clearOverride('d', T + 2, 'admin'), undefined);
  assert.is(await store.config.latestVersion(), 3);
});

contract('config and its version survive a restart', async (store, { reopen }) => {
  await store.config.updateDefaults({ upload_frequency: 90 }, T, 'admin', ok);
  await store.config.updateOverride('d', { poll_frequency: 3 }, T, 'admin', ok);
  await store.close();
  const again = await reopen();
  assert.is(await again.config.latestVersion(), 3);
  assert.equal((await again.config.defaults()).values, { upload_frequency: 90 });
  assert.equal((await again.config.override('d'))?.values, { poll_frequency: 3 });
  assert.is((await again.config.updateDefaults({ upload_frequency: 91 }, T, 'admin', ok)).layer.version, 4);
});

contract('two replicas updating config at once: every change gets its own version, none is lost', async (a, { replica }) => {
  const b = await replica();
  const changes = Array.from({ length: 40 }, (_, i) => {
    const store = i % 2 ? a : b;
    if (i % 4 === 0) return store.config.updateDefaults({ upload_frequency: 100 + i }, T, 'admin', ok);
    // Each device gets two different fields from the two replicas: both must survive.
    const field = i % 4 === 1 ? { poll_frequency: 1 + i } : { heartbeat_interval: 10 + i };
    return store.config.updateOverride(`d${Math.floor(i / 4)}`, field, T, 'admin', ok);
  });
  const versions = (await Promise.all(changes)).map((r) => r.layer.version);
  assert.equal([...versions].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 2));
  assert.is(await b.config.latestVersion(), 41);
  for (let d = 0; d < 10; d++) assert.equal(Object.keys((await a.config.override(`d${d}`))!.values).sort(), ['heartbeat_interval', 'poll_frequency']);
});

test.run();

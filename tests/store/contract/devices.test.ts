/**
 * DeviceRepo contract, on every backend: create (once), bulk create (all or nothing), which of
 * some ids exist, rotation with and without grace (shared → derived), revocation, reinstatement,
 * the psk-bound latch, list order — and for a shared store, a change made by one replica seen by
 * another at once.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { DeviceRecord } from '../../../server/store/types.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const rec = (id: string, mode: 'derived' | 'shared' = 'derived'): DeviceRecord => ({
  device_id: id,
  created_at: new Date(T).toISOString(),
  key_mode: mode,
  key_version: mode === 'shared' ? 0 : 1,
});

contract('create once, get, list in id order; ids that are Object property names are data', async (store) => {
  assert.is(await store.devices.get('constructor'), undefined);
  assert.is(await store.devices.create(rec('b')), true);
  assert.is(await store.devices.create(rec('b')), false);
  assert.is(await store.devices.create(rec('constructor')), true);
  assert.is(await store.devices.create(rec('A-1')), true);
  assert.equal(await store.devices.get('b'), rec('b'));
  assert.equal((await store.devices.list()).map((d) => d.device_id), ['A-1', 'b', 'constructor']);
});

contract('createMany is all or nothing and names the ids that exist', async (store) => {
  await store.devices.create(rec('x2'));
  assert.equal(await store.devices.createMany([rec('x1'), rec('x2'), rec('x3')]), ['x2']);
  assert.is(await store.devices.get('x1'), undefined);
  assert.equal(await store.devices.createMany([rec('x1'), rec('x3', 'shared')]), []);
  assert.is((await store.devices.get('x3'))?.key_mode, 'shared');
});

contract('existing names the registered ids among those given (revoked ones too), in the order given', async (store) => {
  await store.devices.createMany([rec('e1'), rec('e2'), rec('e3')]);
  await store.devices.revoke('e2', T);
  assert.equal(await store.devices.existing(['nobody', 'e3', 'e2', 'constructor', 'e1']), ['e3', 'e2', 'e1']);
  assert.equal(await store.devices.existing([]), []);
});

contract('rotate with grace keeps the previous key; immediate does not; shared becomes derived; revoked refuses', async (store) => {
  await store.devices.create(rec('d'));
  await store.devices.create(rec('s', 'shared'));
  const r1 = await store.devices.rotateKey('d', T + 1000, 60_000);
  assert.is(r1.outcome, 'rotated');
  if (r1.outcome !== 'rotated') return;
  assert.equal(
    [r1.device.key_version, r1.device.previous_key_version, r1.device.previous_key_expires_at],
    [2, 1, new Date(T + 61_000).toISOString()],
  );
  const r2 = await store.devices.rotateKey('d', T + 2000, 0);
  assert.ok(r2.outcome === 'rotated' && r2.device.key_version === 3 && r2.device.previous_key_version === undefined);
  const s = await store.devices.rotateKey('s', T, 1000);
  assert.ok(s.outcome === 'rotated' && s.device.key_mode === 'derived' && s.device.previous_key_mode === 'shared');
  assert.equal(await store.devices.get('d'), r2.outcome === 'rotated' ? r2.device : undefined, 'stored as returned');
  assert.equal(await store.devices.rotateKey('nobody', T, 0), { outcome: 'unknown' });
  await store.devices.revoke('d', T + 3000);
  assert.equal(await store.devices.rotateKey('d', T, 0), { outcome: 'revoked' });
});

contract('revoke is idempotent; reinstate gives a new derived version and clears the revocation', async (store) => {
  await store.devices.create(rec('d'));
  assert.is(await store.devices.revoke('nobody', T), undefined);
  const first = await store.devices.revoke('d', T + 1);
  const again = await store.devices.revoke('d', T + 2);
  assert.is(first?.revoked_at, new Date(T + 1).toISOString());
  assert.equal(again, first);
  const back = await store.devices.reinstate('d', T + 5);
  assert.ok(back.outcome === 'reinstated' && back.device.key_version === 2 && back.device.revoked_at === undefined);
  assert.equal((await store.devices.reinstate('d', T + 6)).outcome, 'not_revoked');
  assert.equal(await store.devices.reinstate('nobody', T), { outcome: 'unknown' });
});

contract('the psk-bound latch is set once, only for shared devices', async (store) => {
  await store.devices.create(rec('s', 'shared'));
  await store.devices.create(rec('d'));
  await store.devices.markPskBound('s', T + 10);
  await store.devices.markPskBound('s', T + 20);
  await store.devices.markPskBound('d', T + 10);
  assert.is((await store.devices.get('s'))?.psk_bound_at, new Date(T + 10).toISOString());
  assert.is((await store.devices.get('d'))?.psk_bound_at, undefined);
});

contract('tags are replaced as given and kept with every later change', async (store) => {
  await store.devices.create({ ...rec('t'), tags: ['a', 'site:x'] });
  assert.equal((await store.devices.get('t'))?.tags, ['a', 'site:x']);
  const changed = await store.devices.setTags('t', ['canary'], T);
  assert.equal([changed?.record.tags, changed?.previous, changed?.config_version], [['canary'], ['a', 'site:x'], null], 'no config layer: no stamp');
  const rotated = await store.devices.rotateKey('t', T, 0);
  assert.ok(rotated.outcome === 'rotated' && rotated.device.tags?.[0] === 'canary');
  assert.equal((await store.devices.get('t'))?.tags, ['canary']);
  assert.is((await store.devices.setTags('t', [], T))?.record.tags, undefined);
  assert.is(await store.devices.setTags('nobody', ['x'], T), undefined);
  assert.equal(await store.devices.createMany([{ ...rec('u'), tags: ['z'] }]), []);
  assert.equal((await store.devices.list()).map((d) => d.tags ?? []), [[], ['z']]);
});

contract(
  'a second replica sees a revocation and a rotation made by the first at once (no stale cache)',
  async (a, { reopen }) => {
    const b = await reopen();
    await a.devices.create(rec('m'));
    assert.is((await b.devices.get('m'))?.key_version, 1, 'b caches m');
    await a.devices.revoke('m', T);
    const deadline = Date.now() + 2000;
    while ((await b.devices.get('m'))?.revoked_at === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok((await b.devices.get('m'))?.revoked_at, 'revocation reached b');
    // An id registered on a, unknown to b a moment ago, is found by b within its one-second negative cache.
    assert.is(await b.devices.get('late'), undefined);
    await a.devices.create(rec('late'));
    const until = Date.now() + 2500;
    while (!(await b.devices.get('late')) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(await b.devices.get('late'));
  },
  { only: ['postgres'] },
);

test.run();

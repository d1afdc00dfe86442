/**
 * The store taps on a real store (both backends): an accepted upload reaches the read model as one
 * sighting marked as an upload, a fresh signed request as one sighting that is not, and a
 * duplicate or replay as none. (The embedded ledger's acceptUpload used to go through its own
 * tapped claim(), so each upload was reported twice.) And what a configuration change writes
 * through the repositories of its scope reaches the model too, after the change committed.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { observeStore, type FleetChanges } from '../../server/fleet/observe.ts';
import { silentLogger } from '../../server/logger.ts';
import type { DeviceRecord, TelemetryBatch } from '../../server/store/types.ts';
import { contract } from '../store/contract/backends.ts';

const T = Date.UTC(2026, 0, 1);
const batch = (nonce: number): TelemetryBatch => ({ received_at: T, nonce, method: 'plain', samples: [{ timestamp: 1_767_225_600 + nonce * 60, power: nonce }] });

contract('one sighting per accepted upload or fresh request, none for a duplicate or replay', async (store) => {
  const seen: unknown[][] = [];
  const ignore = () => undefined;
  const to = new Proxy({} as FleetChanges, { get: (_t, name) => (name === 'seen' ? (...args: unknown[]) => seen.push(args) : ignore) });
  observeStore(store, to, silentLogger());
  assert.equal(await store.nonces.acceptUpload('m', 1, 'm1', T, batch(1)), { outcome: 'accepted' });
  assert.equal(await store.nonces.acceptUpload('m', 1, 'm1', T, batch(1)), { outcome: 'duplicate' });
  assert.equal(await store.nonces.acceptUpload('m', 0, 'm0', T, batch(0)), { outcome: 'replay', lastNonce: 1 });
  const claim = await store.nonces.claim('m', 2, 'm2', T + 1);
  if (claim.outcome === 'fresh') claim.abort();
  assert.equal(seen, [
    ['m', 1, T, true],
    ['m', 2, T + 1, false],
  ]);
});

// Found in review: on PostgreSQL a configuration change writes through repositories bound to its
// transaction, which the taps on the store's own did not see — a device registered (or retagged,
// or a layer changed) through one never reached the read model.
contract('a configuration change reports what it wrote through its own repositories, once it has committed', async (store, { backend }) => {
  const told: unknown[] = [];
  const to = new Proxy({} as FleetChanges, {
    get: (_t, name) => (name === 'record' ? (r: DeviceRecord) => told.push(['record', r.device_id]) : name === 'config' ? () => told.push(['config']) : () => undefined),
  });
  observeStore(store, to, silentLogger());
  await store.configWrite(async ({ config, devices }) => {
    await devices.create({ device_id: 'd', created_at: new Date(T).toISOString(), key_mode: 'derived', key_version: 1 });
    await config.updateTagLayer('a', { upload_frequency: 120 }, T, 'admin', () => undefined);
    // PostgreSQL: not committed yet, so not told yet. The embedded store's writes are there at once.
    assert.is(told.length, backend === 'postgres' ? 0 : 2);
  });
  assert.equal(told, [['record', 'd'], ['config']]);
});

test.run();

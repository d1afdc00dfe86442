/**
 * The store taps on a real store (both backends): an accepted upload reaches the read model as one
 * sighting marked as an upload, a fresh signed request as one sighting that is not, and a
 * duplicate or replay as none. (The embedded ledger's acceptUpload used to go through its own
 * tapped claim(), so each upload was reported twice.)
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { observeStore, type FleetChanges } from '../../server/fleet/observe.ts';
import { silentLogger } from '../../server/logger.ts';
import type { TelemetryBatch } from '../../server/store/types.ts';
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

test.run();

/**
 * Upload nonces that ride in the telemetry WAL (Claim.commitWithTelemetry): one durable write per
 * upload, and every crash point still keeps samples and nonce together. A "crash" here abandons a
 * store without close(): only what was written (and fsynced) so far is on disk for the next open.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TelemetryBatch } from '../../../server/store/index.ts';
import type { EmbeddedClaim } from '../../../server/store/embedded/nonce-ledger.ts';
import { openEmbeddedStore, type EmbeddedStore } from '../../../server/store/embedded/index.ts';
import { walFileName } from '../../../server/store/embedded/telemetry-wal.ts';
import { tempDir } from '../../helpers/gateway.ts';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ALL = { limit: 1_000_000 };

/** Background flushes and checkpoints never run on their own: the test decides what is on disk. */
const open = (dir: string) => openEmbeddedStore(dir, { fsync: true, telemetry: { flushMs: 1e9, checkpointMs: 1e9 } });

function batch(nonce: number): TelemetryBatch {
  return { received_at: T0 + nonce, nonce, method: 'plain', samples: [{ timestamp: 1_763_900_000 + nonce, power: nonce }] };
}

function fresh(claim: EmbeddedClaim): Extract<EmbeddedClaim, { outcome: 'fresh' }> {
  if (claim.outcome !== 'fresh') throw new Error(`expected a fresh claim, got ${JSON.stringify(claim)}`);
  return claim;
}

async function upload(store: EmbeddedStore, device: string, nonce: number, mac = `mac${nonce}`): Promise<void> {
  await fresh(await store.nonces.claim(device, nonce, mac, T0 + nonce)).commitWithTelemetry(batch(nonce));
}

const journal = async (dir: string) => readFile(join(dir, 'nonces.jsonl'), 'utf8').catch(() => '');
const walFiles = async (dir: string) => (await readdir(join(dir, 'telemetry-wal'))).sort();

test('an upload is one durable write: its nonce is only in the WAL line, and a crash recovers both', async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  await upload(crashed, 'm1', 5, 'aa');
  assert.is(await journal(dir), '', 'the nonce journal was not written');
  assert.match(await readFile(join(dir, 'telemetry-wal', walFileName(1)), 'utf8'), '"n":{"nonce":5,"mac":"aa"');
  // crashed: abandoned without close()

  const store = await open(dir);
  assert.is(store.nonces.state('m1')?.nonce, 5);
  assert.equal(await store.nonces.claim('m1', 5, 'aa', T0 + 99), { outcome: 'duplicate', reply: undefined });
  assert.equal(await store.nonces.claim('m1', 5, 'bb', T0 + 99), { outcome: 'replay', lastNonce: 5 });
  assert.equal(await store.nonces.claim('m1', 4, 'aa', T0 + 99), { outcome: 'replay', lastNonce: 5 });
  assert.is((await store.telemetry.query('m1', ALL)).length, 1, 'samples replayed once');
  assert.equal(await walFiles(dir), [], 'recovered generations are deleted');
  assert.match(await journal(dir), '"nonce":5', 'the recovered nonce was journaled before the WAL went');
  await store.close();
});

test('a torn WAL line (fsync never finished, never acknowledged) brings back neither samples nor nonce', async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  await upload(crashed, 'm1', 5);
  await appendFile(join(dir, 'telemetry-wal', walFileName(1)), '{"d":"m1","day":"2026-11-23","n":{"nonce":6,"mac":"x","seen_at":1},"s":[{"timest');
  const store = await open(dir);
  assert.is(store.nonces.state('m1')?.nonce, 5);
  assert.is((await store.telemetry.query('m1', ALL)).length, 1);
  fresh(await store.nonces.claim('m1', 6, 'mac6', T0)).abort();
  await store.close();
});

test('a checkpoint journals the newest WAL-carried state of each device before deleting the generation', async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  await upload(crashed, 'm1', 5);
  await upload(crashed, 'm1', 6);
  await upload(crashed, 'm2', 1);
  await crashed.telemetry.checkpointNow();
  assert.equal(await walFiles(dir), []);
  const lines = (await journal(dir)).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.map((l) => [l.d, l.s.nonce]).sort(), [['m1', 6], ['m2', 1]]);

  const store = await open(dir);
  assert.is(store.nonces.state('m1')?.nonce, 6);
  assert.is(store.nonces.state('m2')?.nonce, 1);
  assert.is((await store.telemetry.query('m1', ALL)).length, 2);
  await store.close();
});

test('recovery keeps the newer of the journal and the WAL (a signed request journaled after an upload)', async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  await upload(crashed, 'm1', 8);
  await fresh(await crashed.nonces.claim('m1', 10, 'poll', T0)).commit({ status: 200, body: 'e30=' });
  const store = await open(dir);
  assert.is(store.nonces.state('m1')?.nonce, 10);
  assert.equal(await store.nonces.claim('m1', 10, 'poll', T0), { outcome: 'duplicate', reply: { status: 200, body: 'e30=' } });
  await store.close();
});

test('a nonce reset is not undone by a WAL recovered after a crash', async () => {
  const dir = await tempDir();
  const crashed = await open(dir);
  await upload(crashed, 'm1', 100);
  await upload(crashed, 'm2', 100);
  assert.is(await crashed.nonces.reset('m1'), 1);
  await upload(crashed, 'm2', 101); // a WAL generation newer than the reset

  const store = await open(dir);
  assert.is(store.nonces.state('m1'), undefined, 'the rebooted device may start from 1 again');
  assert.is(store.nonces.state('m2')?.nonce, 101);
  await upload(store, 'm1', 1);
  assert.is((await store.telemetry.query('m1', ALL)).length, 2, 'the samples themselves are kept');
  assert.is(await store.nonces.reset(), 2);
  const again = await open(dir);
  assert.is((await again.nonces.all()).size, 0);
  await again.close();
});

test('a reset waits for the device\'s claim in flight and holds its new claims back; other devices go on', async () => {
  const dir = await tempDir();
  const store = await open(dir);
  const inFlight = fresh(await store.nonces.claim('m1', 7, 'mac7', T0));
  let resetDone = false;
  const reset = store.nonces.reset('m1').then((n) => ((resetDone = true), n));
  let laterSettled = false;
  const later = store.nonces.claim('m1', 8, 'mac8', T0).then((c) => ((laterSettled = true), c));
  await upload(store, 'm2', 1); // not held back
  await new Promise((r) => setTimeout(r, 20));
  assert.not.ok(resetDone, 'the reset waits for the claim in flight');
  assert.not.ok(laterSettled, 'a new claim of the device waits for the reset');
  await inFlight.commitWithTelemetry(batch(7));
  assert.is(await reset, 1);
  assert.is(store.nonces.state('m1'), undefined);
  fresh(await later).abort();
  assert.is(store.nonces.state('m2')?.nonce, 1);
  await store.close();
});

test.run();

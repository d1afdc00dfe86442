/**
 * The bound on uploads waiting for the store (server/uploads/in-flight.ts): past the deadline an
 * upload is answered 503 while its work runs on and still counts; past the count, 503 at once;
 * past the bytes held together, 503 for the upload that would go over; a store that answers in
 * time changes nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UnavailableError } from '../../server/errors.ts';
import { UploadsInFlight } from '../../server/uploads/in-flight.ts';

const never = () => new Promise<string>(() => undefined);

test('answers in time: the outcome, value or error, passes through', async () => {
  const limit = new UploadsInFlight(1000, 2);
  assert.is(await limit.run(async () => 'stored'), 'stored');
  const failed = await limit.run(async () => Promise.reject(new Error('disk'))).catch((e: Error) => e.message);
  assert.is(failed, 'disk');
});

test('past the deadline: 503 retry with the same nonce; the work still counts until it settles', async () => {
  const limit = new UploadsInFlight(100, 2);
  const alive = setTimeout(() => undefined, 5000); // the limiter's own timer does not keep a process up
  let finish: (v: string) => void = () => undefined;
  const started = performance.now();
  const late = limit.run(() => new Promise<string>((resolve) => (finish = resolve)));
  const hung = limit.run(never);
  const [a, b] = await Promise.allSettled([late, hung]);
  const waited = performance.now() - started;
  clearTimeout(alive);
  for (const r of [a, b]) {
    assert.is(r.status, 'rejected');
    assert.instance((r as PromiseRejectedResult).reason, UnavailableError);
    assert.match((r as PromiseRejectedResult).reason.message, /did not answer within 0.1 s; retry with the same nonce/);
  }
  assert.ok(waited >= 100 && waited < 1000, `answered after ${waited} ms`);
  assert.ok(limit.saturated(), 'readiness reports it');
  const full = await limit.run(async () => 'x').catch((e: Error) => e);
  assert.instance(full, UnavailableError, 'both answered uploads still run: the third is refused at once');
  assert.match((full as Error).message, /2 uploads are waiting for the store/);
  finish('stored late');
  await new Promise((r) => setImmediate(r));
  assert.not.ok(limit.saturated());
  assert.is(await limit.run(async () => 'room again'), 'room again', 'one settled: room for one more');
});

test('past the bytes held together: the upload that would go over is refused, 503; what settles frees its bytes', async () => {
  const limit = new UploadsInFlight(10_000, 100, 1000);
  let finish: () => void = () => undefined;
  const big = limit.run(async (hold) => {
    hold.charge(600);
    await new Promise<void>((resolve) => (finish = resolve));
    return 'big stored';
  });
  await new Promise((r) => setImmediate(r));
  assert.is(limit.bytes, 600);
  const over = await limit.run(async (hold) => (hold.charge(500), 'stored')).catch((e: Error) => e);
  assert.instance(over, UnavailableError);
  assert.match((over as Error).message, /uploads waiting for the store hold 600 bytes; retry with the same nonce/);
  assert.is(await limit.run(async (hold) => (hold.charge(400), 'fits')), 'fits', 'what fits beside it goes');
  assert.is(limit.bytes, 600, 'a settled upload frees its bytes');
  finish();
  assert.is(await big, 'big stored');
  assert.is(limit.bytes, 0);
  assert.is(await limit.run(async (hold) => (hold.charge(1000), 'room again')), 'room again');
});

test.run();

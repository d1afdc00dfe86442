/**
 * Periodic background passes (server/periodic.ts): one at a time, a failure logged and the next
 * pass run as usual, and at close the timer stops and a pass still running is waited for — so the
 * store, closed after, never sees its writes fail.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runPeriodically } from '../server/periodic.ts';
import { createLogger } from '../server/logger.ts';

function fakeApp() {
  const closers: (() => Promise<void> | void)[] = [];
  const errors: string[] = [];
  const logger = createLogger('silent');
  logger.error = ((_obj: unknown, msg: string) => void errors.push(msg)) as typeof logger.error;
  return { ctx: { onClose: (fn: () => Promise<void> | void) => void closers.push(fn), logger }, errors, close: async () => { for (const fn of closers.reverse()) await fn(); } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('passes never overlap; a failure is logged and the next pass runs', async () => {
  const app = fakeApp();
  let running = 0;
  let most = 0;
  let passes = 0;
  runPeriodically(app.ctx, 'job', 5, async () => {
    running++;
    most = Math.max(most, running);
    passes++;
    await sleep(20);
    running--;
    if (passes === 1) throw new Error('boom');
  });
  await sleep(120);
  await app.close();
  assert.is(most, 1, 'one at a time');
  assert.ok(passes >= 2, `${passes} passes`);
  assert.equal(app.errors, ['job failed']);
});

test('close waits for the pass running and starts no other', async () => {
  const app = fakeApp();
  const order: string[] = [];
  const now = runPeriodically(app.ctx, 'job', 60_000, async () => {
    order.push('pass started');
    await sleep(50);
    order.push('pass done');
  });
  void now();
  await sleep(5);
  await app.close();
  order.push('closed');
  await now();
  await sleep(20);
  assert.equal(order, ['pass started', 'pass done', 'closed']);
});

test.run();

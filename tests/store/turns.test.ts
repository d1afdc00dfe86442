/**
 * Turns (server/store/turns.ts): one at a time in arrival order, a bounded wait, and work a turn
 * started without waiting for it takes a turn of its own once that one is done.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Turns } from '../../server/store/turns.ts';

class Busy extends Error {}
const turns = (waitMs = 1000) => new Turns(waitMs, () => new Busy('busy'));
const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('one at a time, in the order asked', async () => {
  const t = turns();
  const log: string[] = [];
  const step = (name: string, ms: number) =>
    t.run(async () => {
      log.push(`${name}>`);
      await later(ms);
      log.push(`<${name}`);
      return name;
    });
  assert.equal(await Promise.all([step('a', 20), step('b', 1), step('c', 5)]), ['a', 'b', 'c']);
  assert.equal(log, ['a>', '<a', 'b>', '<b', 'c>', '<c']);
});

test('a turn not given within the bound is refused, and its work never runs', async () => {
  const t = turns(50);
  let ran = false;
  const holder = t.run(() => later(200));
  const refused = await t.run(async () => (ran = true)).catch((err: unknown) => err);
  assert.instance(refused, Busy);
  assert.is(ran, false);
  await holder;
  assert.is(await t.run(async () => 'free again'), 'free again');
});

test('work a finished turn left running takes a turn of its own later', async () => {
  const t = turns(1000);
  let leftover: Promise<string> | undefined;
  await t.run(async () => {
    leftover = later(10).then(() => t.run(async () => 'its own turn'));
  });
  assert.is(await leftover, 'its own turn');
});

test.run();

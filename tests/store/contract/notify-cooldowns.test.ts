/**
 * NotifyCooldownRepo contract, on every backend: the first event of a device is sent and starts
 * its cooldown; events within it are held (the latest DIGEST_KEEP kept, all counted); a digest is
 * due once the cooldown ends, handed out once, and starts a new cooldown; on PostgreSQL two
 * replicas deriving a device's events at once still send one and hold the rest.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { DeviceEvent } from '../../../server/events/rules.ts';
import { DIGEST_KEEP } from '../../../server/notify/cooldowns.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const MIN = 60_000;
let seq = 0;
const event = (device: string): DeviceEvent => ({ event_id: `${device}:${++seq}`, device_id: device, type: 'offline', at: new Date(T).toISOString(), details: {} });

contract('first event sent, later ones held until the cooldown ends, then one digest, once', async (store) => {
  const c = store.notifyCooldowns;
  assert.is(await c.admit(event('a'), T, MIN), 'send');
  assert.is(await c.admit(event('b'), T, MIN), 'send');
  const held = [event('a'), event('a')];
  for (const e of held) assert.is(await c.admit(e, T + 1000, MIN), 'held');
  assert.equal(await c.takeDue(T + MIN - 1, MIN, 100), [], 'still cooling down');
  const due = await c.takeDue(T + MIN, MIN, 100);
  assert.equal(due, [{ device_id: 'a', count: 2, events: held }]);
  assert.equal(await c.takeDue(T + MIN, MIN, 100), [], 'handed out once');
  // The digest was a notification: a new cooldown from then.
  assert.is(await c.admit(event('a'), T + MIN + 1000, MIN), 'held');
  assert.is(await c.admit(event('b'), T + MIN, MIN), 'send', "b's cooldown ended with nothing held");
});

contract('a long storm keeps the latest events and counts them all', async (store) => {
  const c = store.notifyCooldowns;
  await c.admit(event('s'), T, MIN);
  const storm = Array.from({ length: DIGEST_KEEP + 5 }, () => event('s'));
  for (const e of storm) await c.admit(e, T + 1, MIN);
  const [d] = await c.takeDue(T + MIN, MIN, 10);
  assert.is(d!.count, DIGEST_KEEP + 5);
  assert.equal(d!.events.map((e) => e.event_id), storm.slice(-DIGEST_KEEP).map((e) => e.event_id));
});

contract(
  'two replicas admitting one device at once: one send, the rest held; one digest',
  async (a, { reopen }) => {
    const b = await reopen();
    const out = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).notifyCooldowns.admit(event('x'), T, MIN)));
    assert.is(out.filter((d) => d === 'send').length, 1);
    const digests = await Promise.all([a.notifyCooldowns.takeDue(T + MIN, MIN, 10), b.notifyCooldowns.takeDue(T + MIN, MIN, 10)]);
    assert.equal(digests.flat().map((d) => d.count), [19]);
  },
  { only: ['postgres'] },
);

test.run();

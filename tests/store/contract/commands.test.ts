/**
 * CommandRepo contract, on every backend: create (within the open-command limit), list and get,
 * poll (oldest first, no redelivery before the ack timeout, redelivery after it, a re-sent poll
 * gets its command again, expiry by deadline and by attempts), results and cancels with every
 * outcome, the fleet-wide expiry sweep, retention, a restart — and the races: two replicas (one
 * store for embedded) polling one device at once never deliver one command twice in one delivery,
 * never overfill a queue, never expire a command twice.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { DeliveryRules } from '../../../server/commands/repo.ts';
import { newCommand, type CommandRecord } from '../../../server/commands/types.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const rules: DeliveryRules = { ackTimeoutMs: 60_000, maxAttempts: 3 };
let ids = 0;

function cmd(device: string, extra: Partial<CommandRecord> = {}): CommandRecord {
  const fields = { command_id: `c${++ids}`, device_id: device, created_at: T, created_by: 'admin', expires_at: null };
  return { ...newCommand({ ...fields, command_type: 'set_power', parameters: { power: '50%', z: 1, a: [1, 2] } }), ...extra };
}

contract('create, get, list (oldest first, by status), open count; the record comes back as stored', async (store) => {
  const a = cmd('d');
  const b = cmd('d', { command_type: 'reboot', parameters: {}, expires_at: T + 5000 });
  assert.is(await store.commands.create(a, 10), 'created');
  assert.is(await store.commands.create(b, 10), 'created');
  await store.commands.create(cmd('other'), 10);
  const got = await store.commands.get(a.command_id);
  assert.equal({ ...got!, seq: 0 }, a);
  assert.is(JSON.stringify(got!.parameters), JSON.stringify(a.parameters), 'parameters keep their key order');
  assert.is(await store.commands.get('nope'), undefined);
  assert.equal((await store.commands.list('d')).map((c) => c.command_id), [a.command_id, b.command_id]);
  assert.ok((await store.commands.list('d'))[0]!.seq < (await store.commands.list('d'))[1]!.seq);
  assert.equal(await store.commands.list('d', 'sent'), []);
  assert.is(await store.commands.openCount('d'), 2);
  assert.is(await store.commands.openCount('nobody'), 0);
});

contract('the open-command limit counts pending and sent, not finished', async (store) => {
  const first = cmd('d');
  assert.is(await store.commands.create(first, 2), 'created');
  assert.is(await store.commands.create(cmd('d'), 2), 'created');
  assert.is(await store.commands.create(cmd('d'), 2), 'queue_full');
  assert.is(await store.commands.create(cmd('e'), 2), 'created', 'per device');
  await store.commands.poll('d', 1, T, rules);
  assert.is(await store.commands.create(cmd('d'), 2), 'queue_full', 'a sent command is still open');
  await store.commands.finish('d', first.command_id, 'completed', { ok: true }, 2, T);
  assert.is(await store.commands.create(cmd('d'), 2), 'created');
});

contract('poll: oldest first, marked sent; not again before the ack timeout; redelivered after it with attempts + 1', async (store) => {
  const a = cmd('d');
  const b = cmd('d');
  await store.commands.create(a, 10);
  await store.commands.create(b, 10);
  const p1 = await store.commands.poll('d', 1, T, rules);
  assert.is(p1.delivered?.command_id, a.command_id);
  assert.equal([p1.delivered?.status, p1.delivered?.attempts, p1.delivered?.sent_nonce, p1.delivered?.first_sent_at], ['sent', 1, 1, T]);
  assert.is(p1.repeated, false);
  assert.is((await store.commands.poll('d', 2, T + 1, rules)).delivered?.command_id, b.command_id);
  assert.equal(await store.commands.poll('d', 3, T + 59_999, rules), { repeated: false, expired: [] });
  const again = await store.commands.poll('d', 4, T + 60_000, rules);
  assert.equal([again.delivered?.command_id, again.delivered?.attempts, again.delivered?.first_sent_at, again.delivered?.last_sent_at], [a.command_id, 2, T, T + 60_000]);
  assert.equal(await store.commands.get(a.command_id), again.delivered);
  assert.equal(await store.commands.poll('empty', 1, T, rules), { repeated: false, expired: [] });
});

contract('a poll re-sent with the nonce that delivered a command gets it again: no new delivery', async (store) => {
  const a = cmd('d');
  await store.commands.create(a, 10);
  await store.commands.create(cmd('d'), 10);
  const first = await store.commands.poll('d', 7, T, rules);
  const again = await store.commands.poll('d', 7, T + 120_000, rules);
  assert.equal(again, { delivered: first.delivered, repeated: true, expired: [] });
  assert.is((await store.commands.get(a.command_id))?.attempts, 1);
});

contract('expiry in a poll: past expires_at (pending or sent) and past max attempts; the next deliverable one goes out', async (store) => {
  const soon = cmd('d', { expires_at: T + 30_000 });
  const unread = cmd('d', { expires_at: T + 30_000 });
  const later = cmd('d', { expires_at: T + 3_600_000 });
  for (const c of [soon, unread, later]) await store.commands.create(c, 10);
  assert.is((await store.commands.poll('d', 1, T, rules)).delivered?.command_id, soon.command_id);
  const p = await store.commands.poll('d', 2, T + 30_000, rules);
  assert.is(p.delivered?.command_id, later.command_id);
  assert.equal(p.expired.map((c) => [c.command_id, c.status, c.status_reason, c.finished_at]), [
    [soon.command_id, 'expired', 'expires_in', T + 30_000],
    [unread.command_id, 'expired', 'expires_in', T + 30_000],
  ]);
  assert.is((await store.commands.get(unread.command_id))?.status, 'expired');
  // `later` goes out three times, then expires for max_attempts once the ack timeout has passed again.
  await store.commands.poll('d', 3, T + 90_000, rules);
  await store.commands.poll('d', 4, T + 150_000, rules);
  assert.is((await store.commands.get(later.command_id))?.attempts, 3);
  const last = await store.commands.poll('d', 5, T + 210_000, rules);
  assert.is(last.delivered, undefined);
  assert.equal(last.expired.map((c) => [c.command_id, c.status_reason]), [[later.command_id, 'max_attempts']]);
  assert.is(await store.commands.openCount('d'), 0);
});

contract('finish: finished, repeated (same nonce and status), already final, not sent, foreign, unknown', async (store) => {
  const a = cmd('d');
  const pending = cmd('d');
  await store.commands.create(a, 10);
  await store.commands.create(pending, 10);
  await store.commands.poll('d', 1, T, rules);
  assert.equal(await store.commands.finish('d', 'nope', 'completed', null, 2, T), { outcome: 'unknown' });
  assert.equal(await store.commands.finish('x', a.command_id, 'completed', null, 2, T), { outcome: 'foreign' });
  assert.is((await store.commands.finish('d', pending.command_id, 'completed', null, 2, T)).outcome, 'not_sent');
  const done = await store.commands.finish('d', a.command_id, 'failed', { error: 'stuck', n: [1] }, 3, T + 5);
  assert.is(done.outcome, 'finished');
  const stored = await store.commands.get(a.command_id);
  assert.equal([stored?.status, stored?.result, stored?.result_nonce, stored?.finished_at, stored?.status_reason], ['failed', { error: 'stuck', n: [1] }, 3, T + 5, null]);
  assert.equal(await store.commands.finish('d', a.command_id, 'failed', { error: 'stuck', n: [1] }, 3, T + 9), { outcome: 'repeated', command: stored! });
  assert.is((await store.commands.finish('d', a.command_id, 'completed', null, 3, T + 9)).outcome, 'already_final');
  assert.is((await store.commands.finish('d', a.command_id, 'failed', null, 4, T + 9)).outcome, 'already_final');
  // A result without a body is stored as null.
  await store.commands.poll('d', 5, T, rules);
  await store.commands.finish('d', pending.command_id, 'completed', undefined, 6, T);
  assert.is((await store.commands.get(pending.command_id))?.result, null);
});

contract('cancel: a pending command only', async (store) => {
  const a = cmd('d');
  const b = cmd('d');
  await store.commands.create(a, 10);
  await store.commands.create(b, 10);
  await store.commands.poll('d', 1, T, rules);
  assert.is((await store.commands.cancel(a.command_id, T, 'admin')).outcome, 'not_pending');
  const c = await store.commands.cancel(b.command_id, T + 1, 'admin');
  assert.equal(c.outcome === 'cancelled' && [c.command.status, c.command.status_reason, c.command.finished_at], ['cancelled', 'cancelled by admin', T + 1]);
  assert.is((await store.commands.cancel(b.command_id, T, 'admin')).outcome, 'not_pending');
  assert.equal(await store.commands.cancel('nope', T, 'admin'), { outcome: 'unknown' });
  assert.is((await store.commands.poll('d', 2, T + 120_000, rules)).delivered?.command_id, a.command_id, 'the cancelled one is never delivered');
});

contract('expireDue: every due command of the fleet, once; prune drops finished ones before the cutoff', async (store) => {
  const due = [cmd('a', { expires_at: T + 10 }), cmd('b', { expires_at: T + 10 }), cmd('b')];
  for (const c of due) await store.commands.create(c, 10);
  await store.commands.poll('b', 1, T, { ...rules, maxAttempts: 1 });
  const expired = await store.commands.expireDue(T + 60_000, { ...rules, maxAttempts: 1 });
  assert.equal(expired.map((c) => [c.command_id, c.status_reason]).sort(), [
    [due[0]!.command_id, 'expires_in'],
    [due[1]!.command_id, 'expires_in'],
  ]);
  const maxed = await store.commands.expireDue(T + 60_000, { ...rules, maxAttempts: 0 });
  assert.equal(maxed, [], 'the third was never delivered: attempts do not expire a pending command');
  assert.equal(await store.commands.expireDue(T + 60_000, rules), []);
  const open = cmd('c');
  await store.commands.create(open, 10);
  assert.is(await store.commands.prune(T + 60_001), 2);
  assert.is(await store.commands.get(due[0]!.command_id), undefined);
  assert.ok(await store.commands.get(open.command_id));
  assert.ok(await store.commands.get(due[2]!.command_id));
});

contract('queues and every status change survive a restart', async (store, { reopen }) => {
  const a = cmd('d');
  const b = cmd('d');
  await store.commands.create(a, 10);
  await store.commands.create(b, 10);
  await store.commands.poll('d', 1, T, rules);
  await store.commands.cancel(b.command_id, T, 'admin');
  await store.close();
  const again = await reopen();
  assert.equal((await again.commands.list('d')).map((c) => [c.command_id, c.status]), [
    [a.command_id, 'sent'],
    [b.command_id, 'cancelled'],
  ]);
  assert.is((await again.commands.poll('d', 1, T + 1, rules)).repeated, true);
  assert.is(await again.commands.create(cmd('d'), 2), 'created');
});

contract('two replicas polling one device at once, 100 times: a command goes to one of them, once', async (a, { replica }) => {
  const b = await replica();
  let nonce = 0;
  for (let round = 0; round < 100; round++) {
    const c = cmd('d');
    await a.commands.create(c, 1000);
    const [x, y] = await Promise.all([a.commands.poll('d', ++nonce, T, rules), b.commands.poll('d', ++nonce, T, rules)]);
    const got = [x.delivered?.command_id, y.delivered?.command_id].filter((id) => id !== undefined);
    assert.equal(got, [c.command_id], `round ${round}`);
  }
  const all = await a.commands.list('d');
  assert.ok(all.every((c) => c.attempts === 1 && c.status === 'sent'));
});

contract('two replicas polling a full queue at once hand out each command once, oldest first', async (a, { replica }) => {
  const b = await replica();
  const queued = Array.from({ length: 60 }, () => cmd('d'));
  for (const c of queued) await a.commands.create(c, 1000);
  const delivered: string[] = [];
  for (let nonce = 1; delivered.length < queued.length; nonce += 2) {
    const [x, y] = await Promise.all([a.commands.poll('d', nonce, T, rules), b.commands.poll('d', nonce + 1, T, rules)]);
    if (x.delivered && y.delivered) assert.is.not(x.delivered.command_id, y.delivered.command_id);
    for (const p of [x, y]) if (p.delivered) delivered.push(p.delivered.command_id);
  }
  assert.equal([...delivered].sort(), queued.map((c) => c.command_id).sort());
  assert.is(new Set(delivered).size, queued.length);
});

contract('two replicas creating at once never overfill a queue', async (a, { replica }) => {
  const b = await replica();
  const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).commands.create(cmd('d'), 10)));
  assert.is(outcomes.filter((o) => o === 'created').length, 10);
  assert.is(await a.commands.openCount('d'), 10);
});

contract('two replicas sweeping at once expire each command once', async (a, { replica }) => {
  const b = await replica();
  for (let i = 0; i < 50; i++) await a.commands.create(cmd(`d${i % 7}`, { expires_at: T }), 100);
  const [x, y, z] = await Promise.all([a.commands.expireDue(T, rules), b.commands.expireDue(T, rules), a.commands.poll('d3', 1, T, rules)]);
  const all = [...x, ...y, ...z.expired].map((c) => c.command_id);
  assert.is(all.length, 50);
  assert.is(new Set(all).size, 50);
});

test.run();

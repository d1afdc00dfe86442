/**
 * CommandRepo.openCounts, on every backend: every device's open commands by status in one read —
 * pending and sent counted apart, finished ones not at all, devices without open commands absent —
 * the same numbers a per-device list gives.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { newCommand } from '../../../server/commands/types.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const rules = { ackTimeoutMs: 60_000, maxAttempts: 3 };
let n = 0;
const cmd = (device: string) => newCommand({ command_id: `oc${++n}`, device_id: device, created_at: T, created_by: 'admin', expires_at: null, command_type: 'reboot', parameters: {} });

contract('open commands per device by status, in one read', async (store) => {
  assert.equal([...(await store.commands.openCounts())], []);
  for (const d of ['a', 'a', 'a', 'b', 'constructor']) assert.is(await store.commands.create(cmd(d), 10), 'created');
  const delivered = await store.commands.poll('a', 1, T, rules);
  assert.ok(delivered.delivered);
  assert.equal((await store.commands.finish('a', delivered.delivered!.command_id, 'completed', 'ok', 2, T)).outcome, 'finished');
  assert.ok((await store.commands.poll('a', 3, T, rules)).delivered);
  const b = await store.commands.poll('b', 1, T, rules);
  await store.commands.finish('b', b.delivered!.command_id, 'failed', 'no', 2, T);
  const counts = await store.commands.openCounts();
  // Entries, not an object: a device named "constructor" would confuse a deep comparison of objects.
  assert.equal([...counts].sort(([x], [y]) => (x < y ? -1 : 1)), [['a', { pending: 1, sent: 1 }], ['constructor', { pending: 1, sent: 0 }]]);
});

test.run();

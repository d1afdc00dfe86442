/**
 * AuditRepo contract, on every backend: records appended in order and read back as given,
 * chronological queries (from `since`: the first `limit`; without: the newest `limit`), filters by
 * device, by actor and by action (exact, or a prefix ending in "."), retention by whole days, a restart —
 * and two replicas (one store for embedded) appending at once losing nothing.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { AuditEntry } from '../../../server/audit/log.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 10, 12);
const DAY = 86_400_000;
const at = (ms: number) => new Date(ms).toISOString();

const entry = (ms: number, action: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({ at: at(ms), actor: 'admin', action, ...extra });

contract('append keeps the order given (same time included); entries come back as given', async (store) => {
  const batch = [
    entry(T, 'command.created', { device_id: 'd', command_id: 'c1', details: { z: 1, a: { b: [1, 'x'] } } }),
    entry(T, 'command.sent', { actor: 'device:d', device_id: 'd', command_id: 'c1' }),
    entry(T, 'config.defaults_updated', { details: { config_version: 2 } }),
  ];
  await store.audit.append(batch);
  await store.audit.append([entry(T, 'command.expired', { actor: 'system', device_id: 'd' })]);
  await store.audit.append([]);
  const all = await store.audit.query({ limit: 100 });
  assert.equal(all, [...batch, entry(T, 'command.expired', { actor: 'system', device_id: 'd' })]);
  assert.is(JSON.stringify(all[0]), JSON.stringify(batch[0]), 'key order kept');
});

contract('query: newest limit without since, first limit from since; device and action filters', async (store) => {
  const rows: AuditEntry[] = [];
  for (let i = 0; i < 12; i++) {
    const actions = ['command.created', 'command_x.y', 'commands.z', 'config.device_updated'];
    rows.push(entry(T + i * 1000, actions[i % 4]!, i % 3 === 0 ? { device_id: 'd' } : {}));
  }
  for (const r of rows) await store.audit.append([r]);
  assert.equal(await store.audit.query({ limit: 3 }), rows.slice(-3));
  assert.equal(await store.audit.query({ limit: 3, sinceMs: T + 4000 }), rows.slice(4, 7));
  assert.equal(await store.audit.query({ limit: 100, sinceMs: T + 4500 }), rows.slice(5));
  assert.equal(await store.audit.query({ limit: 100, deviceId: 'd' }), rows.filter((r) => r.device_id === 'd'));
  assert.equal(await store.audit.query({ limit: 100, action: 'command.' }), rows.filter((r) => r.action === 'command.created'), 'a prefix is a prefix up to its dot');
  assert.equal(await store.audit.query({ limit: 100, action: 'command' }), [], 'without the dot: an exact action');
  assert.equal(await store.audit.query({ limit: 2, action: 'config.device_updated' }), rows.filter((r) => r.action === 'config.device_updated').slice(-2));
  assert.equal(await store.audit.query({ limit: 100, action: 'command.', deviceId: 'd', sinceMs: T + 1 }), rows.filter((r, i) => i > 0 && r.action === 'command.created' && r.device_id === 'd'));
  assert.equal(await store.audit.query({ limit: 5, sinceMs: T + DAY }), []);
});

contract('query by actor: exactly that actor, with the other filters', async (store) => {
  const rows = [
    entry(T, 'command.created', { actor: 'token:ops', device_id: 'd' }),
    entry(T + 1, 'command.sent', { actor: 'device:d', device_id: 'd' }),
    entry(T + 2, 'config.defaults_updated', { actor: 'token:ops' }),
    entry(T + 3, 'command.created', { actor: 'token:opsx', device_id: 'd' }),
  ];
  await store.audit.append(rows);
  assert.equal(await store.audit.query({ limit: 100, actor: 'token:ops' }), [rows[0], rows[2]]);
  assert.equal(await store.audit.query({ limit: 1, actor: 'token:ops' }), [rows[2]]);
  assert.equal(await store.audit.query({ limit: 100, actor: 'token:ops', action: 'command.', sinceMs: T }), [rows[0]]);
  assert.equal(await store.audit.query({ limit: 100, actor: 'device:d', deviceId: 'd' }), [rows[1]]);
  assert.equal(await store.audit.query({ limit: 100, actor: 'nobody' }), []);
});

contract('prune: records of whole days before the cutoff go', async (store) => {
  await store.audit.append([entry(T - 2 * DAY, 'a.old'), entry(T - DAY - 12 * 3_600_000, 'a.edge'), entry(T, 'a.new')]);
  assert.ok((await store.audit.prune(T - DAY)) >= 1);
  assert.equal((await store.audit.query({ limit: 10 })).map((e) => e.action), ['a.edge', 'a.new']);
  assert.is(await store.audit.prune(T - DAY), 0);
});

contract('the log survives a restart', async (store, { reopen }) => {
  await store.audit.append([entry(T, 'x.one'), entry(T + 1, 'x.two')]);
  await store.close();
  const again = await reopen();
  assert.equal((await again.audit.query({ limit: 10 })).map((e) => e.action), ['x.one', 'x.two']);
});

contract('two replicas appending at once: every record kept, each batch in its order', async (a, { replica }) => {
  const b = await replica();
  await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).audit.append([entry(T, `b${i}.first`), entry(T, `b${i}.second`)])));
  const all = await a.audit.query({ limit: 1000 });
  assert.is(all.length, 80);
  for (let i = 0; i < 40; i++) assert.ok(all.findIndex((e) => e.action === `b${i}.first`) < all.findIndex((e) => e.action === `b${i}.second`));
});

test.run();

/**
 * EventRepo contract, on every backend: transitions derive from the stored state and store the new
 * state with its events (none when the rule derives nothing), an event already stored is stored
 * once, `isOffline` without I/O, queries (from `since`, or the newest `limit`; by device and type),
 * retention by whole days, a restart — and the races: two replicas (one store for embedded)
 * deriving for one device at once produce one event, and a device declared offline on one replica
 * is offline on the other, which then emits `online` for it.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { onBootReport, onSeen, onSilence, type DeviceEvent } from '../../../server/events/rules.ts';
import type { PostgresStore } from '../../../server/store/postgres/index.ts';
import type { Store } from '../../../server/store/types.ts';
import { contract, eventually } from './backends.ts';

const T = Date.UTC(2026, 0, 10, 12);
const DAY = 86_400_000;
const silence = (now: number) => ({ now, lastSeen: now - 200_000, startedAt: now - 200_000, thresholdMs: 180_000 });

const offline = (store: Store, id: string, now = T + 200_000) => store.events.transition(id, (s) => onSilence(id, s, silence(now)));
const back = (store: Store, id: string, at = T + 300_000) => store.events.transition(id, (s) => onSeen(id, s, at));

contract('offline then online: state, isOffline and the events, stored as derived', async (store) => {
  assert.is(await store.events.state('d'), undefined);
  assert.equal(await store.events.transition('d', (s) => onSeen('d', s, T)), [], 'nothing derived, nothing stored');
  assert.is(await store.events.state('d'), undefined);
  const [off] = await offline(store, 'd');
  assert.equal([off?.event_id, off?.type], ['d:offline:1', 'offline']);
  assert.equal(await store.events.state('d'), { status: 'offline', transitions: 1, boot_id: null, offline_since: T, returned_at: null });
  assert.ok(store.events.isOffline('d'));
  assert.not.ok(store.events.isOffline('e'));
  assert.equal(await offline(store, 'd'), [], 'already offline');
  const [on] = await back(store, 'd');
  assert.equal([on?.event_id, on?.details], ['d:online:2', { offline_since: new Date(T).toISOString(), offline_seconds: 300 }]);
  assert.not.ok(store.events.isOffline('d'));
  assert.equal((await store.events.query({ limit: 10 })), [off, on]);
  assert.equal([...(await store.events.states())], [['d', { status: 'online', transitions: 2, boot_id: null, offline_since: T, returned_at: T + 300_000 }]]);
});

contract("one gateway's transitions for a device apply in the order they were asked for", async (store) => {
  // The events service relies on it: a message's online transition is asked before the boot
  // report it carries, and must be stored first.
  for (let round = 0; round < 20; round++) {
    const id = `o${round}`;
    const seenOrder: string[] = [];
    await offline(store, id);
    // A busy pool: the first transition's connection is the slower one to come.
    const busy = Array.from({ length: round % 4 }, (_, i) => store.events.query({ limit: 1 + i }));
    await Promise.all([
      ...busy,
      store.events.transition(id, (s) => (seenOrder.push('online'), onSeen(id, s, T + 300_000))),
      store.events.transition(id, (s) => (seenOrder.push('boot'), onBootReport(id, s, { boot_id: 'b9', reset_reason: 'poweron', uptime_seconds: 5 }, T + 300_001))),
    ]);
    assert.equal(seenOrder, ['online', 'boot'], `round ${round}`);
  }
});

contract('boot reports: the first boot id silently, then reboot / power events; a state change without events is stored', async (store) => {
  const boot = (id: string, reset: 'watchdog' | 'poweron', at: number) => store.events.transition('d', (s) => onBootReport('d', s, { boot_id: id, reset_reason: reset, uptime_seconds: 5 }, at));
  assert.equal(await boot('b1', 'poweron', T), []);
  assert.is((await store.events.state('d'))?.boot_id, 'b1');
  assert.equal((await boot('b2', 'watchdog', T + 1000)).map((e) => e.event_id), ['d:reboot:b2']);
  assert.equal((await boot('b3', 'poweron', T + 2000)).map((e) => e.event_id), ['d:power_loss:b3', 'd:power_restored:b3']);
  const stored = await store.events.query({ limit: 10, deviceId: 'd' });
  assert.equal(stored.map((e) => e.type), ['reboot', 'power_loss', 'power_restored']);
  assert.is(JSON.stringify(stored[1]!.details), JSON.stringify((await store.events.query({ limit: 1, type: 'power_loss' }))[0]!.details));
  assert.equal(Object.keys(stored[1]!.details), ['boot_id', 'previous_boot_id', 'reset_reason', 'booted_at', 'was_offline', 'offline_since'], 'details keep their key order');
});

contract('an event already stored (same deterministic id) is stored once', async (store) => {
  const event: DeviceEvent = { event_id: 'd:reboot:b9', device_id: 'd', type: 'reboot', at: new Date(T).toISOString(), details: { n: 1 } };
  const next = { status: 'online' as const, transitions: 0, boot_id: 'b9', offline_since: null, returned_at: null };
  await store.events.transition('d', () => ({ next, events: [event] }));
  await store.events.transition('d', () => ({ next, events: [event] }));
  assert.equal(await store.events.query({ limit: 10 }), [event]);
});

contract('query: from since (oldest first, first limit) or the newest limit; by device and type', async (store) => {
  for (let i = 0; i < 5; i++) {
    const id = `d${i % 2}`;
    await store.events.transition(id, (s) => onSilence(id, s, silence(T + 200_000 + i * 1000)));
    await store.events.transition(id, (s) => onSeen(id, s, T + 200_500 + i * 1000));
  }
  const all = await store.events.query({ limit: 100 });
  assert.is(all.length, 10);
  assert.equal(all.map((e) => e.at), [...all.map((e) => e.at)].sort());
  assert.equal(await store.events.query({ limit: 3 }), all.slice(-3));
  assert.equal(await store.events.query({ limit: 3, sinceMs: T + 201_000 }), all.slice(2, 5));
  assert.equal(await store.events.query({ limit: 100, deviceId: 'd1' }), all.filter((e) => e.device_id === 'd1'));
  assert.equal(await store.events.query({ limit: 2, type: 'online', deviceId: 'd0' }), all.filter((e) => e.device_id === 'd0' && e.type === 'online').slice(-2));
  assert.equal(await store.events.query({ limit: 10, sinceMs: T + DAY }), []);
});

contract('prune: events of whole days past retention go', async (store) => {
  await offline(store, 'old', T - 3 * DAY);
  await offline(store, 'edge', T - 2 * DAY - 12 * 3_600_000); // start of the cutoff day: stays
  await offline(store, 'new', T);
  assert.ok((await store.events.prune(T)) >= 1);
  assert.equal((await store.events.query({ limit: 10 })).map((e) => e.device_id), ['edge', 'new']);
  assert.ok(store.events.isOffline('old'), 'the state is not an event: it stays');
}, { env: { EVENTS_RETENTION_DAYS: '2' } });

contract('state, offline set and events survive a restart', async (store, { reopen }) => {
  await offline(store, 'd');
  await offline(store, 'e');
  await back(store, 'e');
  await store.close();
  const again = await reopen();
  assert.ok(again.events.isOffline('d'));
  assert.not.ok(again.events.isOffline('e'));
  assert.equal((await back(again, 'd')).map((e) => e.event_id), ['d:online:2']);
  assert.is((await again.events.query({ limit: 10 })).length, 4);
});

contract('two replicas deriving for the same devices at once: one event each', async (a, { replica }) => {
  const b = await replica();
  const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
  const down = await Promise.all(ids.flatMap((id) => [offline(a, id), offline(b, id)]));
  assert.is(down.flat().length, 30);
  const up = await Promise.all(ids.flatMap((id) => [back(a, id), back(b, id), back(a, id)]));
  assert.is(up.flat().length, 30);
  assert.is((await b.events.query({ limit: 1000 })).length, 60);
});

contract('two replicas deriving different observations for one device at once: neither state change is lost', async (a, { replica }) => {
  const b = await replica();
  const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
  const boot = (store: Store, id: string, bootId: string) =>
    store.events.transition(id, (s) => onBootReport(id, s, { boot_id: bootId, reset_reason: 'poweron', uptime_seconds: 1 }, T + 300_000));
  for (const id of ids) {
    await boot(a, id, 'b1');
    await offline(a, id);
  }
  // The device comes back (seen on A) with its boot report (on B): both observations must land.
  await Promise.all(ids.flatMap((id) => [back(a, id), boot(b, id, 'b2')]));
  for (const id of ids) {
    const s = await a.events.state(id);
    assert.equal([s?.status, s?.boot_id], ['online', 'b2'], id);
  }
});

contract('offline declared on one replica is seen by the other, whose seen hook then emits online', async (a, { replica }) => {
  const b = await replica();
  await offline(a, 'd');
  await eventually(() => b.events.isOffline('d'), 'replica B sees the device offline');
  const [on] = await back(b, 'd');
  assert.is(on?.type, 'online');
  await eventually(() => !a.events.isOffline('d'), 'replica A sees it online again');
  assert.equal(await back(a, 'd'), [], 'and derives nothing more');
});

contract(
  'a replica whose listening connection was lost reads the offline set again (notifications missed meanwhile)',
  async (store, { replica }) => {
    const b = await replica();
    const sql = (store as PostgresStore).sql;
    await offline(store, 'gone');
    await eventually(() => b.events.isOffline('gone'), 'B hears of it');
    // Changed behind every gateway's back: no notification will ever tell of these.
    await sql`INSERT INTO event_states VALUES ('quiet', 'offline', 1, NULL, ${T}, NULL)`;
    await sql`UPDATE event_states SET status = 'online' WHERE device_id = 'gone'`;
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'listen%' AND pid <> pg_backend_pid()`;
    await eventually(() => b.events.isOffline('quiet') && !b.events.isOffline('gone'), 'B reloads the set when it listens again', 15_000);
  },
  { only: ['postgres'] },
);

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialState, onBootReport, onSeen, onSilence, type DeviceEventState } from '../../server/events/rules.ts';

const T0 = Date.UTC(2026, 0, 1);
const H = 60_000 * 3; // threshold: 3 × 60 s

test('silence: offline only past the threshold, counted from the later of last seen and gateway start', () => {
  assert.is(onSilence('d', undefined, { now: T0 + H, lastSeen: T0, startedAt: 0, thresholdMs: H }), null);
  const t = onSilence('d', undefined, { now: T0 + H + 1, lastSeen: T0, startedAt: 0, thresholdMs: H })!;
  assert.is(t.next.status, 'offline');
  assert.equal(t.events.map((e) => [e.event_id, e.type]), [['d:offline:1', 'offline']]);
  assert.is(t.events[0]!.details['last_seen'], new Date(T0).toISOString());
  // device silent for a day, but the gateway started a minute ago: grace period
  assert.is(onSilence('d', undefined, { now: T0 + 86_400_000, lastSeen: T0, startedAt: T0 + 86_400_000 - 60_000, thresholdMs: H }), null);
  // already offline: nothing more
  assert.is(onSilence('d', t.next, { now: T0 + 10 * H, lastSeen: T0, startedAt: 0, thresholdMs: H }), null);
});

test('seen: online only when coming back from offline', () => {
  assert.is(onSeen('d', undefined, T0), null);
  assert.is(onSeen('d', initialState(), T0), null);
  const offline: DeviceEventState = { ...initialState(), status: 'offline', transitions: 1, offline_since: T0 };
  const t = onSeen('d', offline, T0 + 600_000)!;
  assert.equal(t.events.map((e) => [e.event_id, e.details['offline_seconds']]), [['d:online:2', 600]]);
  assert.equal([t.next.status, t.next.returned_at, t.next.offline_since], ['online', T0 + 600_000, T0]);
});

test('boot reports: first boot silent, same boot nothing, reboot vs power loss vs deepsleep', () => {
  const first = onBootReport('d', undefined, { boot_id: 'a', reset_reason: 'poweron', uptime_seconds: 5 }, T0)!;
  assert.equal(first.events, []);
  assert.is(first.next.boot_id, 'a');
  assert.is(onBootReport('d', first.next, { boot_id: 'a', reset_reason: 'poweron', uptime_seconds: 50 }, T0), null);
  for (const reason of ['watchdog', 'panic', 'software', 'external', 'unknown'] as const) {
    const t = onBootReport('d', first.next, { boot_id: 'b', reset_reason: reason, uptime_seconds: 30 }, T0 + 60_000)!;
    assert.equal(t.events.map((e) => e.type), ['reboot'], reason);
    assert.is(t.events[0]!.details['booted_at'], new Date(T0 + 30_000).toISOString());
  }
  for (const reason of ['poweron', 'brownout'] as const) {
    const t = onBootReport('d', first.next, { boot_id: 'b', reset_reason: reason, uptime_seconds: 30 }, T0 + 60_000)!;
    assert.equal(t.events.map((e) => e.event_id), ['d:power_loss:b', 'd:power_restored:b']);
    assert.is(t.events[0]!.details['was_offline'], false);
  }
  const sleep = onBootReport('d', first.next, { boot_id: 'c', reset_reason: 'deepsleep', uptime_seconds: 1 }, T0)!;
  assert.equal([sleep.events, sleep.next.boot_id], [[], 'c']);
});

test('power loss after an outage says since when it was offline', () => {
  const back: DeviceEventState = { status: 'online', transitions: 2, boot_id: 'a', offline_since: T0, returned_at: T0 + 3_600_000 };
  const t = onBootReport('d', back, { boot_id: 'b', reset_reason: 'brownout', uptime_seconds: 20 }, T0 + 3_600_000)!;
  assert.equal(t.events[0]!.details['was_offline'], true);
  assert.equal(t.events[0]!.details['offline_since'], new Date(T0).toISOString());
  assert.equal([t.next.offline_since, t.next.returned_at], [null, null]);
});

test.run();

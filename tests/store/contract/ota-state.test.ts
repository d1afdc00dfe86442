/**
 * OtaStateRepo contract, on every backend: the reported counter floor only rises; a session is
 * created, resumed, refused (409) or replaced by the rules of sessions.ts, with its counters;
 * chunks are checked against the session and advance it (refetches counted); a result closes the
 * session and a repeated report is not counted again; state survives a restart. On PostgreSQL,
 * two replicas on one database: sessions opened at both at once (one creates, the other resumes or
 * is refused), chunk and download counts that add up, a repeated report reaching the other replica
 * (and the same report at both at once) counted once, and a session finished on one replica
 * refused at once by the other.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { ConflictError } from '../../../server/errors.ts';
import type { SessionImage } from '../../../server/ota/sessions.ts';
import { OTA_HISTORY_LIMIT } from '../../../server/ota/state.ts';
import type { Store } from '../../../server/store/types.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const IDLE = 300_000;
const image = (version: string, root = `r-${version}`, chunks = 10): SessionImage => ({
  version,
  chunk_root: root,
  total_chunks: chunks,
  chunk_size: 1024,
  encrypted_size: chunks * 1024,
});
let ids = 0;
const newId = () => `ota_${++ids}`;
const open = (s: Store, device: string, img: SessionImage, now = T, rollout: string | null = null) => s.otaState.openSession(device, img, rollout, now, IDLE, newId);
const conflictCode = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConflictError) return err.code;
    throw err;
  }
  throw new Error('expected a 409');
};
const counters = async (s: Store, v: string) => (await s.otaState.versionCounters())[v];

contract('noteCheck remembers the version and only raises the reported floor', async (store) => {
  assert.is(await store.otaState.device('d'), undefined);
  let d = await store.otaState.noteCheck('d', { version: '1.0.0', counter: 5 }, T);
  assert.equal([d.current_version, d.reported_counter, d.completed_counter, d.last_check_at], ['1.0.0', 5, 0, T]);
  d = await store.otaState.noteCheck('d', { version: '0.9.0', counter: 3 }, T + 1);
  assert.equal([d.current_version, d.reported_counter, d.last_check_at], ['0.9.0', 5, T + 1]);
  d = await store.otaState.noteCheck('d', { version: '1.1.0', counter: null }, T + 2);
  assert.is(d.reported_counter, 5);
  assert.equal(await store.otaState.device('d'), d);
  await store.otaState.noteCheck('constructor', { version: '1.0.0', counter: 0xffffffff }, T);
  assert.equal((await store.otaState.devices()).map((x) => x.device_id).sort(), ['constructor', 'd']);
  assert.is((await store.otaState.device('constructor'))?.reported_counter, 0xffffffff);
});

contract('sessions: create, resume, 409 for another version, replace when idle or re-packaged; counters', async (store) => {
  const a = await open(store, 'd', image('1.0.0'));
  assert.is(a.outcome, 'created');
  assert.is(a.session.status, 'active');
  const again = await open(store, 'd', image('1.0.0'), T + 1000);
  assert.is(again.outcome, 'resumed');
  assert.is(again.session.session_id, a.session.session_id);
  assert.is(again.session.last_activity_at, T + 1000);
  assert.is(await conflictCode(open(store, 'd', image('2.0.0'), T + 2000)), 'ota_session_active');
  const repackaged = await open(store, 'd', image('1.0.0', 'other-root'), T + 3000);
  assert.is(repackaged.outcome, 'replaced');
  assert.is(repackaged.replaced?.session_id, a.session.session_id);
  assert.is(repackaged.replaced?.status, 'replaced');
  const idle = await open(store, 'd', image('2.0.0'), T + 3000 + IDLE + 1, 'ro_1');
  assert.is(idle.outcome, 'replaced');
  assert.is(idle.session.rollout_id, 'ro_1');
  assert.equal(await store.otaState.session('d'), idle.session);
  const c1 = await counters(store, '1.0.0');
  assert.equal([c1?.sessions_started, c1?.sessions_resumed, c1?.sessions_replaced], [2, 1, 2]);
  assert.is((await counters(store, '2.0.0'))?.sessions_started, 1);
});

contract('chunks: checked against the session, advance it in order, refetches counted; downloads counted', async (store) => {
  assert.is(await conflictCode(store.otaState.recordChunk('d', '1.0.0', 'r-1.0.0', 0, 1024, T)), 'no_ota_session');
  await open(store, 'd', image('1.0.0'));
  assert.is(await conflictCode(store.otaState.recordChunk('d', '2.0.0', 'r-2.0.0', 0, 1024, T)), 'ota_session_version_mismatch');
  assert.is(await conflictCode(store.otaState.recordChunk('d', '1.0.0', 'stale-root', 0, 1024, T)), 'ota_image_changed');
  let s = await store.otaState.recordChunk('d', '1.0.0', 'r-1.0.0', 0, 1024, T + 10);
  assert.equal([s.next_chunk, s.highest_chunk, s.chunks_served], [1, 0, 1]);
  for (const [i, n] of [1, 2, 1, 5, 3].entries()) s = await store.otaState.recordChunk('d', '1.0.0', 'r-1.0.0', n, 1000, T + 20 + i);
  assert.equal([s.next_chunk, s.highest_chunk, s.chunks_served, s.refetches, s.bytes_served, s.last_activity_at], [4, 5, 6, 1, 6024, T + 24]);
  assert.equal(await store.otaState.session('d'), s, 'the stored session is what recordChunk said');
  store.otaState.recordDownload('1.0.0', 4096);
  store.otaState.recordDownload('1.0.0', 100);
  const c = await counters(store, '1.0.0');
  assert.equal([c?.chunks_served, c?.chunk_bytes, c?.downloads, c?.download_bytes], [6, 6024, 2, 4196]);
});

contract('complete: closes the session, records the result, raises the floor; a repeat is not counted', async (store) => {
  await store.otaState.noteCheck('d', { version: '1.0.0', counter: 1 }, T);
  await open(store, 'd', image('2.0.0'), T, 'ro_9');
  await store.otaState.recordChunk('d', '2.0.0', 'r-2.0.0', 0, 1024, T + 1);
  const done = await store.otaState.complete('d', { version: '2.0.0', success: true, error: null, counter: 7 }, T + 5);
  assert.ok(done.counted);
  assert.equal([done.session?.status, done.session?.finished_at, done.session?.next_chunk, done.rollout_id], ['completed', T + 5, 1, 'ro_9']);
  assert.equal([done.device.current_version, done.device.completed_counter, done.device.reported_counter, done.device.successes], ['2.0.0', 7, 1, 1]);
  assert.equal(done.device.last_result, { version: '2.0.0', success: true, error: null, at: T + 5 });
  const repeat = await store.otaState.complete('d', { version: '2.0.0', success: true, error: null, counter: 7 }, T + 6);
  assert.equal([repeat.counted, repeat.session, repeat.rollout_id, repeat.device.successes], [false, null, null, 1]);
  const failed = await store.otaState.complete('d', { version: '2.0.0', success: false, error: 'boot loop', counter: 7 }, T + 7);
  assert.equal([failed.counted, failed.device.failures, failed.device.current_version], [true, 1, '2.0.0']);
  const c = await counters(store, '2.0.0');
  assert.equal([c?.successes, c?.failures], [1, 1]);
  assert.is((await store.otaState.session('d'))?.status, 'completed');
  // A report for a device the store never saw: counted, no session.
  const fresh = await store.otaState.complete('e', { version: '1.0.0', success: false, error: null, counter: null }, T);
  assert.equal([fresh.counted, fresh.session, fresh.device.failures, fresh.device.completed_counter], [true, null, 1, 0]);
});

contract('history: each counted result, newest first, a repeat not added, at most OTA_HISTORY_LIMIT; kept across a restart', async (store, { reopen, backend }) => {
  const report = (version: string, success: boolean, error: string | null = null) => ({ version, success, error, counter: null });
  await store.otaState.complete('h', report('1.0.0', true), T);
  await store.otaState.complete('h', report('1.0.0', true), T + 1); // a repeat
  await store.otaState.complete('h', report('2.0.0', false, 'rolled_back'), T + 2);
  const h = (await store.otaState.device('h'))?.history;
  assert.equal(h, [
    { version: '2.0.0', success: false, error: 'rolled_back', at: T + 2 },
    { version: '1.0.0', success: true, error: null, at: T + 1 },
  ], 'the repeat moved the time of the entry it repeats');
  for (let i = 0; i < OTA_HISTORY_LIMIT + 5; i++) await store.otaState.complete('h', report(`3.0.${i}`, i % 2 === 0), T + 10 + i);
  const long = (await store.otaState.device('h'))?.history ?? [];
  assert.is(long.length, OTA_HISTORY_LIMIT);
  assert.equal([long[0]?.version, long.at(-1)?.version], [`3.0.${OTA_HISTORY_LIMIT + 4}`, '3.0.5']);
  if (backend === 'embedded') await store.close();
  const again = await reopen();
  assert.equal((await again.otaState.device('h'))?.history, long);
});

contract('abandonSilent closes active sessions silent since the cutoff, once; the device then starts a new one', async (store, { backend, reopen }) => {
  const HOUR = 3_600_000;
  await open(store, 'quiet', image('1.0.0'), T);
  await open(store, 'busy', image('1.0.0'), T);
  await store.otaState.recordChunk('busy', '1.0.0', 'r-1.0.0', 0, 1024, T + 2 * HOUR);
  await open(store, 'done', image('1.0.0'), T);
  await store.otaState.complete('done', { version: '1.0.0', success: true, error: null, counter: 1 }, T + 1000);
  const now = T + 2 * HOUR + 1000;
  // On PostgreSQL a second replica runs the job at the same moment (the lease makes that rare).
  const other = backend === 'postgres' ? await reopen() : undefined;
  const closed = (await Promise.all([store.otaState.abandonSilent(now - HOUR, now), other ? other.otaState.abandonSilent(now - HOUR, now) : []])).flat();
  assert.equal(closed.map((s) => [s.device_id, s.status, s.finished_at]), [['quiet', 'abandoned', now]], 'closed once, only the silent active one');
  assert.match(closed[0]!.error ?? '', /^abandoned: no request for 7201 s$/);
  assert.is((await store.otaState.session('quiet'))?.status, 'abandoned');
  assert.is((await store.otaState.session('busy'))?.status, 'active');
  assert.is((await store.otaState.session('done'))?.status, 'completed');
  assert.is(await conflictCode(store.otaState.recordChunk('quiet', '1.0.0', 'r-1.0.0', 1, 1024, now)), 'no_ota_session');
  assert.is((await open(store, 'quiet', image('1.0.0'), now)).outcome, 'created');
  assert.equal(await store.otaState.abandonSilent(now - HOUR, now), []);
});

contract('state, sessions, progress, check times and counters survive a restart (progress flushed at close)', async (store, { reopen }) => {
  await store.otaState.noteCheck('d', { version: '1.0.0', counter: 3 }, T);
  const { session } = await open(store, 'd', image('1.0.0'));
  await store.otaState.recordChunk('d', '1.0.0', 'r-1.0.0', 0, 1024, T + 1);
  store.otaState.recordDownload('1.0.0', 77);
  // A check that moves nothing but its time (embedded: kept in memory, written later or at close).
  assert.is((await store.otaState.noteCheck('d', { version: '1.0.0', counter: 3 }, T + 5)).last_check_at, T + 5);
  assert.is((await store.otaState.device('d'))?.last_check_at, T + 5);
  assert.equal((await store.otaState.devices()).map((x) => x.last_check_at), [T + 5]);
  await store.close();
  const again = await reopen();
  assert.is((await again.otaState.device('d'))?.reported_counter, 3);
  assert.is((await again.otaState.device('d'))?.last_check_at, T + 5);
  const s = await again.otaState.session('d');
  assert.equal([s?.session_id, s?.next_chunk, s?.bytes_served], [session.session_id, 1, 1024]);
  const c = await counters(again, '1.0.0');
  assert.equal([c?.sessions_started, c?.chunks_served, c?.download_bytes], [1, 1, 77]);
});

contract(
  'two replicas: a session opened at both at once is created once (the other resumes it, or is refused)',
  async (a, { reopen }) => {
    const b = await reopen();
    for (let n = 0; n < 40; n++) {
      const [x, y] = await Promise.all([open(a, `same${n}`, image('1.0.0')), open(b, `same${n}`, image('1.0.0'))]);
      assert.equal([x.outcome, y.outcome].sort(), ['created', 'resumed'], `device same${n}`);
      assert.is(x.session.session_id, y.session.session_id);
      const outcomes = await Promise.allSettled([open(a, `diff${n}`, image('1.0.0')), open(b, `diff${n}`, image('2.0.0'))]);
      assert.equal(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected'], `device diff${n}`);
    }
    const c = await counters(a, '1.0.0');
    const c2 = await counters(a, '2.0.0');
    assert.is(c?.sessions_resumed, 40);
    assert.is((c?.sessions_started ?? 0) + (c2?.sessions_started ?? 0), 80);
  },
  { only: ['postgres'] },
);

contract(
  'two replicas: chunks and downloads served by both add up; a session finished on one is refused by the other',
  async (a, { reopen }) => {
    const b = await reopen();
    await open(a, 'd', image('1.0.0', 'r-1.0.0', 100));
    const served = [];
    for (let i = 0; i < 100; i++) {
      served.push((i % 2 ? a : b).otaState.recordChunk('d', '1.0.0', 'r-1.0.0', i, 1000, T + i));
      (i % 3 ? a : b).otaState.recordDownload('1.0.0', 10);
    }
    await Promise.all(served);
    await Promise.all([a.otaState.flush(), b.otaState.flush()]);
    const s = await a.otaState.session('d');
    assert.equal([s?.chunks_served, s?.bytes_served, s?.highest_chunk, s?.last_activity_at], [100, 100_000, 99, T + 99]);
    const c = await counters(b, '1.0.0');
    assert.equal([c?.chunks_served, c?.chunk_bytes, c?.downloads, c?.download_bytes], [100, 100_000, 100, 1000]);
    await a.otaState.complete('d', { version: '1.0.0', success: true, error: null, counter: 1 }, T + 200);
    assert.is(await conflictCode(b.otaState.recordChunk('d', '1.0.0', 'r-1.0.0', 0, 1000, T + 201)), 'no_ota_session');
  },
  { only: ['postgres'] },
);

contract(
  'two replicas: a report repeated to the other replica, or sent to both at once, is counted once',
  async (a, { reopen }) => {
    const b = await reopen();
    await open(a, 'd', image('1.0.0'));
    const first = await a.otaState.complete('d', { version: '1.0.0', success: false, error: 'x', counter: null }, T + 1);
    const repeat = await b.otaState.complete('d', { version: '1.0.0', success: false, error: 'x', counter: null }, T + 2);
    assert.equal([first.counted, repeat.counted, repeat.device.failures], [true, false, 1]);
    for (let n = 0; n < 40; n++) {
      await a.otaState.noteCheck(`m${n}`, { version: '0.9.0', counter: 1 }, T); // the row exists: only its lock serializes the two
      await open(a, `m${n}`, image('1.0.0'));
      const report = { version: '1.0.0', success: true, error: null, counter: 2 };
      const both = await Promise.all([a.otaState.complete(`m${n}`, report, T + 3), b.otaState.complete(`m${n}`, report, T + 3)]);
      assert.equal(both.map((o) => o.counted).sort(), [false, true], `device m${n}`);
      assert.equal(both.map((o) => o.session === null).sort(), [false, true], 'one of them closed the session');
    }
    const c = await counters(a, '1.0.0');
    assert.equal([c?.successes, c?.failures], [40, 1]);
    assert.is((await b.otaState.devices()).reduce((n, d) => n + d.successes, 0), 40);
  },
  { only: ['postgres'] },
);

test.run();

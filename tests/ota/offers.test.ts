/**
 * The pure rules of releases (server/ota/releases.ts), offers (offers.ts) and rollout progress
 * (rollout-progress.ts), each on its own: transitions and the security-counter rule; the offer set
 * as rollouts ∪ general releases (published builds only, never a draft, a yank or a build below the
 * floor; the highest wins; a completed rollout keeps offering, a paused one does not); stages only
 * moving forward; the figures and when a rollout is complete.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConflictError } from '../../server/errors.ts';
import type { CatalogImage } from '../../server/ota/catalog.ts';
import { bestOffer, offerSet, ReleaseIndex } from '../../server/ota/offers.ts';
import { checkCounter, draftRelease, legacyRelease, publish, yank, type Release } from '../../server/ota/releases.ts';
import { errorCode, nextProgress, readyToComplete, rolloutFigures, type RolloutDeviceProgress } from '../../server/ota/rollout-progress.ts';
import { upgradeRollout, type Rollout } from '../../server/ota/rollouts.ts';
import { emptyDeviceState, type DeviceOtaState } from '../../server/ota/state.ts';
import type { DeviceRecord } from '../../server/store/types.ts';

const T = Date.UTC(2026, 0, 1);
const image = (version: string, counter = 1): CatalogImage => ({ version, build: `b${version}`, header: { securityCounter: counter } }) as unknown as CatalogImage;
const release = (version: string, state: Release['state'], general = false, counter = 1): Release => ({
  ...draftRelease({ version, build: `b${version}`, security_counter: counter }, 'upload', 'token:a', T),
  state,
  general,
});
const device = (id: string, tags: string[] = []): DeviceRecord => ({ device_id: id, created_at: '', key_mode: 'derived', key_version: 1, tags });
const rollout = (id: string, version: string, over: Partial<Rollout> = {}): Rollout => upgradeRollout({ id, version, target: 'all', steps: [{ percent: 100 }], created_at: T, ...over });
const conflict = (fn: () => unknown, code: string) => {
  try {
    fn();
    assert.unreachable(`expected ${code}`);
  } catch (err) {
    assert.instance(err, ConflictError);
    assert.is((err as ConflictError).code, code);
  }
};

test('releases: draft → published → yanked, by whom and when; a draft is never yanked, a yank never undone', () => {
  const d = draftRelease({ version: '1.0.0', build: 'b', security_counter: 3 }, 'firmware_dir', 'system', T);
  assert.equal([d.state, d.general, d.created_by, d.published_at], ['draft', false, 'system', null]);
  conflict(() => yank(d, 'token:a', T, null), 'not_published');
  const p = publish(d, 'token:a', T + 1, { general: false }).release;
  assert.equal([p.state, p.published_by, p.published_at], ['published', 'token:a', T + 1]);
  const y = yank(p, 'token:b', T + 2, 'bad').release;
  assert.equal([y.state, y.yanked_by, y.yank_reason, y.published_by], ['yanked', 'token:b', 'bad', 'token:a']);
  conflict(() => publish(y, 'token:a', T + 3, { general: false }), 'release_yanked');
  const legacy = legacyRelease({ version: '0.9.0', build: 'l', security_counter: 1 }, T);
  assert.equal([legacy.state, legacy.general, legacy.origin, legacy.published_by], ['published', true, 'legacy', 'system']);
});

test('counter rule: below a published or yanked release needs allow_lower_counter; drafts and itself do not count', () => {
  const all = [release('1.0.0', 'published', false, 3), release('1.1.0', 'yanked', false, 5), release('1.2.0', 'draft', false, 9)];
  conflict(() => checkCounter(release('2.0.0', 'draft', false, 4), all, false), 'lower_security_counter');
  checkCounter(release('2.0.0', 'draft', false, 4), all, true);
  checkCounter(release('2.0.0', 'draft', false, 5), all, false);
  checkCounter(release('1.1.0', 'draft', false, 5), [release('1.1.0', 'published', false, 5)], false);
});

test('offer set: covering active or completed rollouts ∪ general releases; published builds only, at or above the floor', () => {
  const images = ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '2.0.0'].map((v) => image(v, v === '2.0.0' ? 1 : 2));
  const releases = new ReleaseIndex([
    release('1.0.0', 'published', true),
    release('1.1.0', 'published'),
    release('1.2.0', 'draft'),
    release('1.3.0', 'yanked', true),
    release('2.0.0', 'published'),
  ]);
  const rollouts = [
    rollout('r1', '1.1.0', { status: 'completed' }),
    rollout('r2', '1.2.0'),
    rollout('r3', '2.0.0', { status: 'paused' }),
    rollout('r4', '1.3.0'),
  ];
  const set = offerSet(device('d'), images, releases, rollouts, 0);
  assert.equal([...set.keys()].sort(), ['1.0.0', '1.1.0']);
  assert.is(set.get('1.1.0')!.rollout!.id, 'r1');
  assert.is(set.get('1.0.0')!.rollout, null);
  assert.is(bestOffer(set)!.image.version, '1.1.0');
  const active = offerSet(device('d'), images, releases, [...rollouts, rollout('r5', '2.0.0')], 0);
  assert.is(bestOffer(active)!.image.version, '2.0.0');
  assert.not.ok(offerSet(device('d'), images, releases, [rollout('r5', '2.0.0')], 2).has('2.0.0'), 'below the floor');
  assert.not.ok(offerSet(device('d'), images, releases, [rollout('r6', '2.0.0', { target: 'tag:lab' })], 0).has('2.0.0'), 'not covered');
  assert.is(offerSet(device('d', ['lab']), images, releases, [rollout('r6', '2.0.0', { target: 'tag:lab' })], 0).get('2.0.0')!.rollout!.id, 'r6');
  const two = offerSet(device('d'), images, releases, [rollout('old', '2.0.0'), rollout('new', '2.0.0', { created_at: T + 1 })], 0);
  assert.is(two.get('2.0.0')!.rollout!.id, 'new', 'the newest of two rollouts of one version');
});

test('stages: offered only first, downloading from offered or failed, a success final, a failure keeps its error', () => {
  const ev = (stage: RolloutDeviceProgress['stage'], error: string | null = null) => ({ rollout_id: 'r', device_id: 'd', stage, error });
  const offered = nextProgress(undefined, ev('offered'), T)!;
  assert.is(nextProgress(offered, ev('offered'), T), undefined);
  const dl = nextProgress(offered, ev('downloading'), T)!;
  assert.is(nextProgress(dl, ev('offered'), T), undefined);
  const failed = nextProgress(dl, ev('failed', 'rolled_back: x'), T)!;
  assert.equal([failed.stage, failed.error], ['failed', 'rolled_back: x']);
  const retry = nextProgress(failed, ev('downloading'), T)!;
  assert.equal([retry.stage, retry.error], ['downloading', null]);
  const ok = nextProgress(retry, ev('succeeded'), T)!;
  for (const s of ['offered', 'downloading', 'failed', 'succeeded'] as const) assert.is(nextProgress(ok, ev(s), T), undefined, s);
  assert.equal(['rolled_back: image 1', 'chunk_hash: 3', 'boot loop', null].map(errorCode), ['rolled_back', 'chunk_hash', 'other', 'other']);
});

test('figures and completion: done = succeeded or running it (or newer); past the deadline no longer pending', () => {
  const r = rollout('r', '2.0.0', { target: 'tag:site', device_deadline_seconds: 3600 });
  const fleet = ['a', 'b', 'c', 'd', 'e'].map((id) => device(id, ['site']));
  fleet.push(device('outside'));
  const state = (id: string, v: string): DeviceOtaState => ({ ...emptyDeviceState(id), current_version: v });
  const states = new Map([['b', state('b', '2.0.0')], ['c', state('c', '2.1.0')], ['d', state('d', '1.0.0')]]);
  const progress: RolloutDeviceProgress[] = [
    { rollout_id: 'r', device_id: 'a', stage: 'succeeded', error: null, updated_at: T },
    { rollout_id: 'r', device_id: 'd', stage: 'failed', error: 'rolled_back: x', updated_at: T },
    { rollout_id: 'r', device_id: 'e', stage: 'downloading', error: null, updated_at: T },
  ];
  const f = rolloutFigures(r, fleet, states, progress, T + 1000);
  assert.equal(
    [f.targeted, f.in_target, f.succeeded, f.failed, f.downloading, f.failed_by_error, f.done, f.pending, f.past_deadline],
    [5, 5, 1, 1, 1, { rolled_back: 1 }, 3, 2, 0],
  );
  assert.not.ok(readyToComplete(r, f));
  const late = rolloutFigures(r, fleet, states, progress, T + 3_600_001);
  assert.equal([late.done, late.pending, late.past_deadline], [3, 0, 2]);
  assert.ok(readyToComplete(r, late));
  assert.not.ok(readyToComplete({ ...r, status: 'paused' }, late));
  assert.not.ok(readyToComplete(r, rolloutFigures(r, [device('x')], states, [], T)), 'covering nobody is not complete');
});

test.run();

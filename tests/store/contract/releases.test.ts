/**
 * ReleaseRepo contract, on every backend: drafts recorded once per build (a second build of a
 * version is another record), transitions through the pure rules of releases.ts (publish, yank,
 * a yanked release never published again, no-op transitions write nothing), legacy seeding once
 * per store, state surviving a restart. On PostgreSQL, two replicas: one seeds, the other finds it
 * seeded; a draft raced from both is created once; a yank on one reaches the other's cached list.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { ConflictError } from '../../../server/errors.ts';
import { draftRelease, legacyRelease, publish, yank, type Release } from '../../../server/ota/releases.ts';
import { PgReleaseRepo } from '../../../server/store/postgres/releases.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const build = (n: number) => n.toString(16).padStart(64, '0');
const draft = (version: string, n: number, counter = 1): Release =>
  draftRelease({ version, build: build(n), security_counter: counter }, 'upload', 'token:alice', T + n);

contract('drafts: one record per build, an existing record is never replaced', async (store) => {
  const first = await store.releases.addDraft(draft('1.0.0', 1));
  assert.equal(first, { release: draft('1.0.0', 1), created: true });
  const again = await store.releases.addDraft({ ...draft('1.0.0', 1), created_by: 'system', origin: 'firmware_dir' });
  assert.equal(again, { release: draft('1.0.0', 1), created: false }, 'the first record stays');
  await store.releases.addDraft(draft('1.0.0', 2));
  await store.releases.addDraft(draft('0.9.0', 3));
  assert.equal(
    (await store.releases.list()).map((r) => [r.version, r.build.slice(-1), r.state]),
    [['1.0.0', '1', 'draft'], ['1.0.0', '2', 'draft'], ['0.9.0', '3', 'draft']],
  );
});

contract('transitions: publish, publish again (no change), yank, never published again', async (store) => {
  await store.releases.addDraft(draft('1.0.0', 1));
  assert.is(await store.releases.change('1.0.0', build(9), (r) => publish(r, 'token:bob', T, { general: false })), undefined, 'unknown build');
  const published = await store.releases.change('1.0.0', build(1), (r) => publish(r, 'token:bob', T + 10, { general: false }));
  assert.equal([published?.changed, published?.release.state, published?.release.published_by, published?.release.published_at], [true, 'published', 'token:bob', T + 10]);
  const again = await store.releases.change('1.0.0', build(1), (r) => publish(r, 'token:eve', T + 11, { general: false }));
  assert.equal([again?.changed, again?.release.published_by], [false, 'token:bob']);
  const general = await store.releases.change('1.0.0', build(1), (r) => publish(r, 'token:eve', T + 12, { general: true }));
  assert.equal([general?.changed, general?.release.general, general?.release.published_by], [true, true, 'token:bob']);
  const yanked = await store.releases.change('1.0.0', build(1), (r) => yank(r, 'token:eve', T + 20, 'boot loop'));
  assert.equal([yanked?.release.state, yanked?.release.yanked_by, yanked?.release.yank_reason], ['yanked', 'token:eve', 'boot loop']);
  try {
    await store.releases.change('1.0.0', build(1), (r) => publish(r, 'token:bob', T + 30, { general: false }));
    assert.unreachable('a yanked release was published again');
  } catch (err) {
    assert.instance(err, ConflictError);
    assert.is((err as ConflictError).code, 'release_yanked');
  }
  const [stored] = await store.releases.list();
  assert.equal([stored?.state, stored?.updated_at], ['yanked', T + 20]);
});

contract('seedLegacy records the builds once; later calls record nothing', async (store) => {
  const legacy = [legacyRelease({ version: '1.0.0', build: build(1), security_counter: 2 }, T), legacyRelease({ version: '1.1.0', build: build(2), security_counter: 2 }, T)];
  assert.equal(await store.releases.seedLegacy(legacy), legacy);
  assert.equal(await store.releases.seedLegacy([legacyRelease({ version: '2.0.0', build: build(3), security_counter: 2 }, T)]), []);
  const listed = await store.releases.list();
  assert.equal(listed.map((r) => [r.version, r.state, r.general, r.origin, r.published_by]), [
    ['1.0.0', 'published', true, 'legacy', 'system'],
    ['1.1.0', 'published', true, 'legacy', 'system'],
  ]);
});

contract('an empty first seeding still marks the store seeded', async (store) => {
  assert.equal(await store.releases.seedLegacy([]), []);
  assert.equal(await store.releases.seedLegacy([legacyRelease({ version: '1.0.0', build: build(1), security_counter: 0 }, T)]), []);
  assert.equal(await store.releases.list(), []);
});

contract('records and the seeded mark survive a restart', async (store, { reopen }) => {
  await store.releases.seedLegacy([]);
  await store.releases.addDraft(draft('1.0.0', 1));
  await store.releases.change('1.0.0', build(1), (r) => publish(r, 'token:bob', T + 5, { general: true }));
  await store.close();
  const again = await reopen();
  const [r] = await again.releases.list();
  assert.equal([r?.state, r?.general, r?.published_at, r?.created_by], ['published', true, T + 5, 'token:alice']);
  assert.equal(await again.releases.seedLegacy([legacyRelease({ version: '2.0.0', build: build(2), security_counter: 0 }, T)]), []);
});

contract(
  'two replicas: seeded once, a draft raced from both is created once, a yank reaches the other cached list',
  async (a, { reopen }) => {
    const b = await reopen();
    const legacy = [legacyRelease({ version: '1.0.0', build: build(1), security_counter: 0 }, T)];
    const seeded = await Promise.all([a.releases.seedLegacy(legacy), b.releases.seedLegacy(legacy)]);
    assert.equal(seeded.map((s) => s.length).sort(), [0, 1]);
    const raced = await Promise.all([a.releases.addDraft(draft('2.0.0', 2)), b.releases.addDraft(draft('2.0.0', 2))]);
    assert.equal(raced.map((r) => r.created).sort(), [false, true]);
    assert.equal((await b.releases.list()).map((r) => r.state), ['published', 'draft'], 'b lists (and caches) both');
    await a.releases.change('1.0.0', build(1), (r) => yank(r, 'token:eve', T + 1, null));
    const deadline = Date.now() + 2000;
    while ((await b.releases.list())[0]?.state !== 'yanked' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.is((await b.releases.list())[0]?.state, 'yanked');
  },
  { only: ['postgres'] },
);

// A publish of a build the catalog had just found raced the catalog's own draft: addDraft answered
// "already recorded", then the record was not in the list (the replica's cached list predated it
// and the notification had not arrived) and the publish answered 500.
contract(
  'a draft another replica recorded is listed once addDraft answers created: false, before any notification arrives',
  async (a, { reopen }) => {
    const b = await reopen();
    assert.equal(await a.releases.list(), [], 'a caches the empty list');
    if (!(a.releases instanceof PgReleaseRepo)) throw new Error('expected the PostgreSQL release repository');
    await a.releases.close(); // a hears no notification from here on: the worst case of one still on its way
    assert.is((await b.releases.addDraft(draft('2.0.0', 2))).created, true);
    assert.is((await a.releases.addDraft(draft('2.0.0', 2))).created, false);
    assert.equal((await a.releases.list()).map((r) => [r.version, r.state]), [['2.0.0', 'draft']]);
  },
  { only: ['postgres'] },
);

test.run();

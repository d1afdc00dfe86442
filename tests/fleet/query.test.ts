/**
 * The list query (server/fleet/query.ts) and the store taps (server/fleet/observe.ts) as units:
 * cursors round-trip and anything else is refused; the order is total (nulls last in both
 * directions, ids break ties); a tap sees each successful call's result and arguments, keeps a
 * synchronous method synchronous, and never fails or changes the call it watches.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../server/errors.ts';
import { silentLogger } from '../../server/logger.ts';
import { tap } from '../../server/fleet/observe.ts';
import { compareKeys, decodeCursor, encodeCursor, parseFleetQuery, type Cursor } from '../../server/fleet/query.ts';

test('cursors round-trip; a tampered or foreign one is invalid_query', () => {
  const c: Cursor = { sort: 'last_seen', order: 'desc', value: 1_767_225_600_000, id: 'meter-1', dir: 'next' };
  assert.equal(decodeCursor(encodeCursor(c)), c);
  for (const bad of ['', 'x'.repeat(600), '!!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('["last_seen","up",1,"m","next"]').toString('base64url'), Buffer.from('["id","asc",{},"m","next"]').toString('base64url')]) {
    assert.throws(() => decodeCursor(bad), (e: unknown) => e instanceof ValidationError && e.code === 'invalid_query', bad);
  }
});

test('parse: defaults, every filter, and a cursor must match the sort it was made for', () => {
  const q = (params: Record<string, string>) => parseFleetQuery((n) => params[n]);
  assert.equal(q({}), { sort: 'id', order: 'asc', limit: 100 });
  assert.equal(q({ q: ' Meter ', status: 'offline', tag: 'site:lyon', firmware: '1.0.0', behind: '1', sort: 'firmware', order: 'desc', limit: '7' }), {
    q: 'Meter',
    status: 'offline',
    tag: 'site:lyon',
    firmware: '1.0.0',
    behind: true,
    sort: 'firmware',
    order: 'desc',
    limit: 7,
  });
  const cursor = encodeCursor({ sort: 'id', order: 'asc', value: 'a', id: 'a', dir: 'next' });
  assert.is(q({ cursor }).cursor?.id, 'a');
  assert.throws(() => q({ cursor, sort: 'status' }), /cursor/);
});

test('order: by value, nulls last either way, then by id; semver for firmware', () => {
  const keys = [
    { value: null, id: 'n' },
    { value: 2, id: 'b' },
    { value: 1, id: 'c' },
    { value: 2, id: 'a' },
  ];
  const sorted = (order: 'asc' | 'desc') => [...keys].sort((x, y) => compareKeys(x, y, 'last_seen', order)).map((k) => k.id);
  assert.equal(sorted('asc'), ['c', 'a', 'b', 'n']);
  assert.equal(sorted('desc'), ['a', 'b', 'c', 'n']);
  const fw = [{ value: '1.0.10', id: 'x' }, { value: '1.0.9', id: 'y' }].sort((x, y) => compareKeys(x, y, 'firmware', 'asc')).map((k) => k.value);
  assert.equal(fw, ['1.0.9', '1.0.10']);
});

test('tap: sees results and arguments; sync stays sync; a failing observer fails nothing; a failed call is not seen', async () => {
  const seen: unknown[] = [];
  class Repo {
    n = 0;
    add(x: number): number {
      return (this.n += x);
    }
    async save(x: number): Promise<string> {
      if (x < 0) throw new Error('refused');
      return `saved ${x}`;
    }
  }
  const repo = new Repo();
  tap(repo, 'add', (result, x) => seen.push(['add', result, x]), silentLogger());
  tap(repo, 'save', (result, x) => {
    seen.push(['save', result, x]);
    throw new Error('observer bug');
  }, silentLogger());
  assert.is(repo.add(2), 2, 'synchronous, this kept');
  assert.is(await repo.save(5), 'saved 5');
  await repo.save(-1).then(
    () => assert.unreachable(),
    (e: Error) => assert.is(e.message, 'refused'),
  );
  assert.equal(seen, [['add', 2, 2], ['save', 'saved 5', 5]]);
});

test.run();

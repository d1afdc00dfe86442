/**
 * ConsoleSessionRepo contract, on every backend: a session is found by its id hash until it is
 * deleted, ended with its token, or expired and pruned; it survives a restart; and on a shared
 * store a session created or ended by one replica is seen so by another at once.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { ConsoleSession } from '../../../server/ui/sessions-repo.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const session = (id: string, token = 'tok-a', expiresIn = 3_600_000): ConsoleSession => ({
  id_hash: id.padEnd(64, '0'),
  token_hash: token.padEnd(64, 'f'),
  token_name: token,
  role: 'viewer',
  source: '127.0.0.1',
  created_at: T,
  expires_at: T + expiresIn,
});

contract('create, get, delete; ends with its token; expired ones pruned; ids that are Object property names are data', async (store) => {
  const repo = store.consoleSessions;
  assert.is(await repo.get(session('a').id_hash), undefined);
  await repo.create(session('a'));
  await repo.create(session('b', 'tok-b'));
  await repo.create(session('c', 'tok-a', 10));
  await repo.create({ ...session('x'), id_hash: '__proto__' });
  assert.equal(await repo.get(session('a').id_hash), session('a'));
  assert.is((await repo.get('__proto__'))?.token_name, 'tok-a');
  assert.is(await repo.get('constructor'), undefined);
  assert.is(await repo.prune(T + 11), 1, 'c expired');
  assert.is(await repo.get(session('c').id_hash), undefined);
  assert.is(await repo.deleteByToken(session('a').token_hash), 2, 'a and __proto__ were opened with tok-a');
  assert.is(await repo.get(session('a').id_hash), undefined);
  assert.ok(await repo.get(session('b').id_hash));
  assert.is(await repo.delete(session('b').id_hash), true);
  assert.is(await repo.delete(session('b').id_hash), false);
  assert.is(await repo.deleteByToken('nobody'), 0);
});

contract('sessions survive a restart', async (store, { reopen, backend }) => {
  await store.consoleSessions.create(session('keep'));
  if (backend === 'embedded') await store.close();
  const again = await reopen();
  assert.equal(await again.consoleSessions.get(session('keep').id_hash), session('keep'));
});

contract(
  'a second replica honours a session the first created and refuses it once the first ended it',
  async (a, { reopen }) => {
    const b = await reopen();
    await a.consoleSessions.create(session('shared'));
    assert.ok(await b.consoleSessions.get(session('shared').id_hash));
    await a.consoleSessions.delete(session('shared').id_hash);
    assert.is(await b.consoleSessions.get(session('shared').id_hash), undefined);
  },
  { only: ['postgres'] },
);

test.run();

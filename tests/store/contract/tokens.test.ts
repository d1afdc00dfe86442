/**
 * TokenRepo contract, on every backend: create once per name, look up live tokens by hash, list
 * by name with revoked ones kept, revoke once; on a shared store a revocation on one replica is
 * seen by the other at once (tokens are never cached).
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { TokenRecord } from '../../../server/auth/tokens.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const rec = (name: string, hash: string): TokenRecord => ({ name, role: 'operator', hash, created_at: new Date(T).toISOString(), created_by: 'token:bootstrap' });

contract('create once, find by hash, list by name, revoke once', async (store) => {
  assert.is(await store.tokens.create(rec('bob', 'h2')), true);
  assert.is(await store.tokens.create(rec('alice', 'h1')), true);
  assert.is(await store.tokens.create(rec('alice', 'h3')), false);
  assert.equal(await store.tokens.byHash('h1'), rec('alice', 'h1'));
  assert.is(await store.tokens.byHash('nope'), undefined);
  assert.equal((await store.tokens.list()).map((t) => t.name), ['alice', 'bob']);
  const out = await store.tokens.revoke('alice', T + 5, 'token:root');
  assert.equal([out?.outcome, out?.record.revoked_at, out?.record.revoked_by], ['revoked', new Date(T + 5).toISOString(), 'token:root']);
  assert.is((await store.tokens.revoke('alice', T + 9, 'token:x'))?.outcome, 'already');
  assert.is(await store.tokens.revoke('carol', T, 'x'), undefined);
  assert.is(await store.tokens.byHash('h1'), undefined, 'a revoked token is not found');
  assert.is((await store.tokens.list()).length, 2, 'revoked tokens stay listed');
});

contract(
  'a token revoked through one replica is unknown to the other at once',
  async (a, { reopen }) => {
    const b = await reopen();
    await a.tokens.create(rec('eve', 'he'));
    assert.ok(await b.tokens.byHash('he'));
    await a.tokens.revoke('eve', T, 'token:bootstrap');
    assert.is(await b.tokens.byHash('he'), undefined);
  },
  { only: ['postgres'] },
);

test.run();

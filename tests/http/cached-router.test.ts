import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Hono } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';
import { CachedRouter } from '../../server/http/cached-router.ts';

/** Routes with the order-dependent overlaps our table has (RegExpRouter refuses them). */
const ROUTES: [string, string][] = [
  ['ALL', '/*'],
  ['GET', '/commands/status/:command_id'],
  ['GET', '/commands/:device_id/poll'],
  ['GET', '/commands/:device_id'],
  ['GET', '/config/fleet'],
  ['GET', '/config/:device_id'],
  ['POST', '/aggregated/:device_id'],
];

const PATHS: [string, string][] = [
  ['GET', '/commands/status/c-1'],
  ['GET', '/commands/status/poll'],
  ['GET', '/commands/status'],
  ['GET', '/commands/m1/poll'],
  ['GET', '/config/fleet'],
  ['GET', '/config/m1'],
  ['POST', '/aggregated/m1'],
  ['POST', '/aggregated/m2'],
  ['GET', '/aggregated/m1'],
  ['DELETE', '/nowhere'],
];

test('answers exactly as TrieRouter, on first sight and from the cache', () => {
  const trie = new TrieRouter<string>();
  const cached = new CachedRouter<string>();
  for (const [m, p] of ROUTES) {
    trie.add(m, p, `${m} ${p}`);
    cached.add(m, p, `${m} ${p}`);
  }
  for (let round = 0; round < 2; round++) {
    for (const [m, p] of PATHS) assert.equal(cached.match(m, p), trie.match(m, p), `${m} ${p} (round ${round})`);
  }
  assert.is(cached.size, PATHS.length);
});

test('a route added later is seen: adding clears the cache', () => {
  const cached = new CachedRouter<string>();
  cached.add('GET', '/a/:id', 'param');
  assert.equal(cached.match('GET', '/a/fixed')[0].map(([h]) => h), ['param']);
  cached.add('GET', '/a/fixed', 'static');
  assert.equal(cached.match('GET', '/a/fixed')[0].map(([h]) => h), ['param', 'static']);
});

test('the cache stays bounded under a scan of distinct paths', () => {
  const cached = new CachedRouter<string>(100);
  cached.add('POST', '/aggregated/:device_id', 'upload');
  for (let i = 0; i < 1000; i++) {
    const [[handler, params]] = cached.match('POST', `/aggregated/d${i}`)[0] as [[string, Record<string, string>]];
    assert.is(handler, 'upload');
    assert.equal({ ...params }, { device_id: `d${i}` });
    assert.ok(cached.size <= 100);
  }
});

test('in a Hono app, params of cached matches belong to their own path', async () => {
  const app = new Hono({ router: new CachedRouter() });
  app.get('/commands/status/:command_id', (c) => c.text(`status ${c.req.param('command_id')}`));
  app.get('/commands/:device_id/poll', (c) => c.text(`poll ${c.req.param('device_id')}`));
  for (let i = 0; i < 2; i++) {
    assert.is(await (await app.request('/commands/status/c%2F1')).text(), 'status c/1');
    assert.is(await (await app.request('/commands/m1/poll')).text(), 'poll m1');
    assert.is(await (await app.request('/commands/m2/poll')).text(), 'poll m2');
    assert.is(await (await app.request('/commands/status/poll')).text(), 'status poll');
  }
});

test.run();

/**
 * A wrong method on a path that exists is 405 `method_not_allowed` with `Allow` listing the
 * methods that path takes (HEAD with GET), as the usual JSON error; a path nobody serves stays 404.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway;

test.before(async () => {
  gw = await startTestGateway();
});

test.after(async () => {
  await gw.destroy();
});

const answer = async (method: string, path: string) => {
  const res = await gw.admin(method, path);
  return { status: res.status, allow: res.headers.get('allow'), body: (await res.json()) as { success: boolean; error: { code: string; message: string } } };
};

test('a wrong method on an existing path: 405 with Allow, JSON error', async () => {
  const r = await answer('DELETE', '/devices');
  assert.equal([r.status, r.allow, r.body], [405, 'GET, HEAD, POST', { success: false, error: { code: 'method_not_allowed', message: 'DELETE is not allowed on /devices; use GET, HEAD, POST' } }]);
  const publish = await answer('PUT', '/ota/images/1.0.0/publish');
  assert.equal([publish.status, publish.allow], [405, 'POST'], 'a path with parameters');
  const upload = await answer('GET', '/aggregated/meter-1');
  assert.equal([upload.status, upload.allow], [405, 'POST'], 'a device route');
});

test('a path nobody serves is still 404, whatever the method', async () => {
  for (const method of ['GET', 'DELETE']) {
    const r = await answer(method, '/no/such/thing');
    assert.equal([r.status, r.allow, r.body.error.code], [404, null, 'not_found']);
  }
});

test('the right method still works', async () => {
  assert.is((await answer('GET', '/devices')).status, 200);
});

test.run();

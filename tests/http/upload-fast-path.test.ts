import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request as httpRequest } from 'node:http';
import { bytesToHex } from '../../server/crypto/hmac.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { responseSignature } from '../../server/protocol/device-request.ts';
import { listen } from '../../server/server.ts';
import { ADMIN_TOKEN, samples, startTestGateway } from '../helpers/gateway.ts';

interface Answer {
  status: number;
  type: string | null;
  signature: string | null;
  body: string;
}

async function answer(res: Response): Promise<Answer> {
  return { status: res.status, type: res.headers.get('content-type'), signature: res.headers.get('x-signature'), body: await res.text() };
}

/** A raw HTTP/1.1 request (no fetch niceties), for bodies fetch would not send as they are. */
function raw(url: string, path: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'] ?? null, signature: (res.headers['x-signature'] as string) ?? null, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('on a real socket, uploads answer exactly as the Hono route does: success, duplicate, replay, every rejection', async () => {
  const gw = await startTestGateway();
  const fastPath = gw.fastPath;
  assert.ok(fastPath, 'the fast path is on without fault injection');
  let taken = 0;
  const server = await listen({ ...gw, fastPath: (req, res) => fastPath(req, res) && ++taken > 0 }, '127.0.0.1', 0);
  try {
    // Device "fast-1" goes over the socket (fast path), "hono-1" through app.request (the Hono
    // route); the same sequence for both, compared answer by answer with the ids swapped.
    const keys = { fast: await gw.register('fast-1'), hono: await gw.register('hono-1') };
    const send = async (via: 'fast' | 'hono', path: string, init: { headers?: Record<string, string>; body: string }) => {
      const options = { method: 'POST', headers: init.headers ?? { 'content-type': 'application/json' }, body: init.body };
      return answer(via === 'fast' ? await fetch(`${server.url}${path}`, options) : await gw.app.request(path, options));
    };
    const envelope = (via: 'fast' | 'hono', nonce: number, tweak: (e: Record<string, unknown>) => void = () => undefined) => {
      const e = signEnvelope(keys[via], `${via}-1`, nonce, { aggregated_data: samples(3) }) as unknown as Record<string, unknown>;
      tweak(e);
      return JSON.stringify(e);
    };
    const scenarios: [string, (via: 'fast' | 'hono') => Promise<Answer>][] = [
      ['accepted', (v) => send(v, `/aggregated/${v}-1`, { body: envelope(v, 5) })],
      ['duplicate', (v) => send(v, `/aggregated/${v}-1`, { body: envelope(v, 5) })],
      ['replay', (v) => send(v, `/aggregated/${v}-1`, { body: envelope(v, 4) })],
      ['bad signature', (v) => send(v, `/aggregated/${v}-1`, { body: envelope(v, 6, (e) => (e.mac = '0'.repeat(64))) })],
      ['unknown device', (v) => send(v, `/aggregated/${v}-2`, { body: envelope(v, 1, (e) => (e.device_id = `${v}-2`)) })],
      ['device mismatch', (v) => send(v, `/aggregated/${v}-1`, { body: envelope(v, 6, (e) => (e.device_id = `${v}-9`)) })],
      ['bad payload', (v) => send(v, `/aggregated/${v}-1`, { body: envelope(v, 6, (e) => (e.payload = 'not base64!')) })],
      ['malformed JSON', (v) => send(v, `/aggregated/${v}-1`, { body: '{"device_id":' })],
      ['not JSON', (v) => send(v, `/aggregated/${v}-1`, { headers: { 'content-type': 'text/plain' }, body: envelope(v, 6) })],
      ['over the limit (declared)', (v) => send(v, `/aggregated/${v}-1`, { body: 'x'.repeat(gw.config.BODY_LIMIT_BYTES + 1) })],
      ['accepted after all that', (v) => send(v, `/aggregated/${v}-1`, { body: envelope(v, 7) })],
    ];
    for (const [name, run] of scenarios) {
      const fast = await run('fast');
      const hono = await run('hono');
      // app.request sends no Content-Length, so Hono meets the limit while reading: same code, its own words.
      const normalize = (a: Answer, body: string) => ({ ...a, signature: a.signature !== null, body: name.startsWith('over') ? body.replace(/"message":"[^"]*"/, '') : body });
      assert.equal(normalize(fast, fast.body), normalize(hono, hono.body.replaceAll('hono-', 'fast-')), name);
    }
    // Signed answers verify with the device's key over the request's nonce.
    const ok = await send('fast', '/aggregated/fast-1', { body: envelope('fast', 8) });
    assert.is(ok.signature, bytesToHex(responseSignature(keys.fast, 8, Buffer.from(ok.body))));

    // Over the limit without a Content-Length (chunked): cut off while reading, the connection survives.
    const big = await raw(server.url, '/aggregated/fast-1', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, Buffer.alloc(gw.config.BODY_LIMIT_BYTES + 10, 0x20));
    assert.is(big.status, 413);
    assert.is(JSON.parse(big.body).error.code, 'payload_too_large');

    // Targets the fast path leaves to Hono still work (a query string here).
    assert.is((await send('fast', '/aggregated/fast-1?via=hono', { body: envelope('fast', 9) })).status, 200);

    assert.is(taken, 11 + 1 + 1, 'every upload over the socket took the fast path, except the one with a query string');

    // Request metrics count fast-path answers under the route pattern, like Hono's.
    const metrics = await (await gw.app.request('/metrics', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const count = (status: number) => Number(new RegExp(`fleetgate_http_requests_total\\{route="/aggregated/:device_id",method="POST",status="${status}"\\} (\\d+)`).exec(metrics)?.[1]);
    assert.is(count(200), 2 * 3 + 1 + 1, 'accepted, duplicate, accepted again on both channels; the signed check; the query-string upload');
    assert.is(count(413), 3);
    assert.is(count(415), 2);
  } finally {
    await server.stop();
  }
});

test('with fault injection on, every request goes through Hono (faults rewrite answers there)', async () => {
  const gw = await startTestGateway({ env: { FAULTS_ENABLED: '1' } });
  assert.is(gw.fastPath, undefined);
  await gw.close();
});

test.run();

/**
 * cli/admin-client.ts against small stub servers: the gateway's base path is kept (a gateway
 * behind a proxy prefix), answers that are not the gateway's become one clear error (exit 4), and
 * which hosts count as this machine (the only ones that get the local admin_token file).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { adminRequest, gatewayUrl, isLoopback, query } from '../../cli/admin-client.ts';
import { CliError } from '../../cli/errors.ts';

async function stub(handler: (req: IncomingMessage, body: string) => [number, string]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const [status, text] = handler(req, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

test('requests keep the base path, send the token and a JSON body', async () => {
  let seen: { url?: string; auth?: string; type?: string; body?: string } = {};
  const s = await stub((req, body) => {
    seen = { url: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body };
    return [200, '{"success":true,"ok":1}'];
  });
  const res = await adminRequest({ url: `${s.url}/fleet/`, token: 't0ken' }, 'PUT', `/config/m-1${query({ a: 1, b: undefined, c: 'x y' })}`, { poll_frequency: 5 });
  assert.equal(res, { success: true, ok: 1 });
  assert.equal(seen, { url: '/fleet/config/m-1?a=1&c=x+y', auth: 'Bearer t0ken', type: 'application/json', body: '{"poll_frequency":5}' });
  s.server.close();
});

test('an answer that is not JSON, and an error answer, are CliErrors with exit 4', async () => {
  const s = await stub((req) => (req.url === '/html' ? [200, '<html>'] : [503, '{"success":false,"error":{"code":"unavailable","message":"store closed"}}']));
  for (const [path, message] of [
    ['/html', /^gateway answered 200 with a body that is not JSON \(is http:\/\/127\.0\.0\.1:\d+ a fleetgate gateway\?\)$/],
    ['/x', /^gateway answered 503 unavailable: store closed$/],
  ] as const) {
    try {
      await adminRequest({ url: s.url, token: 't' }, 'GET', path);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, CliError);
      assert.is((err as CliError).exitCode, 4);
      assert.match((err as Error).message, message);
    }
  }
  s.server.close();
});

test('loopback hosts, URL checks', () => {
  for (const u of ['http://127.0.0.1:5001', 'http://localhost:1', 'http://[::1]:5001', 'http://127.8.9.10']) assert.ok(isLoopback(new URL(u)), u);
  for (const u of ['http://10.0.0.1', 'http://gw.example', 'http://127.0.0.1.nip.io', 'http://localhost.example']) assert.not.ok(isLoopback(new URL(u)), u);
  assert.is(gatewayUrl({ url: 'https://gw.example:8443/base' }).href, 'https://gw.example:8443/base');
  assert.throws(() => gatewayUrl({ url: 'gw.example' }), /--url must be an http/);
});

test.run();

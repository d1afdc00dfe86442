/**
 * readBodyBytes over a real socket (@hono/node-server), where it reads the Node request stream:
 * chunked and fixed-length bodies, the limit (413, connection still usable), bodiless GETs, and a
 * client that disconnects mid-body.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { readBodyBytes } from '../../server/http/body.ts';
import { createErrorHandler } from '../../server/http/error-handler.ts';
import { silentLogger } from '../../server/logger.ts';

const LIMIT = 1024;
const settled: string[] = [];

const app = new Hono();
app.onError(createErrorHandler(silentLogger()));
app.all('/echo', async (c) => {
  try {
    const body = await readBodyBytes(c, LIMIT);
    settled.push(`ok ${body.length}`);
    return c.json({ bytes: body.length, sum: body.reduce((a, b) => a + b, 0) });
  } catch (err) {
    settled.push(`error ${(err as Error).message}`);
    throw err;
  }
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise((r) => server.once('listening', r));
const port = (server.address() as AddressInfo).port;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function send(method: string, chunks: Buffer[], headers: Record<string, string> = {}): Promise<{ status: number; body: string; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/echo', method, agent, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

test('a chunked body under the limit is read whole', async () => {
  const r = await send('POST', [Buffer.alloc(300, 1), Buffer.alloc(400, 2)]); // no content-length: chunked
  assert.is(r.status, 200);
  assert.equal(JSON.parse(r.body), { bytes: 700, sum: 300 + 800 });
});

test('a chunked body over the limit is a 413 JSON error, and the keep-alive connection still works', async () => {
  const big = await send('POST', [Buffer.alloc(800, 1), Buffer.alloc(800, 1)]);
  assert.is(big.status, 413);
  assert.is(JSON.parse(big.body).error.code, 'payload_too_large');
  const next = await send('POST', [Buffer.from('hello')]);
  assert.is(next.status, 200);
  assert.is(JSON.parse(next.body).bytes, 5);
  assert.ok(next.socket === big.socket, 'the same connection was reused');
});

test('a declared Content-Length over the limit is refused before reading', async () => {
  const body = Buffer.alloc(LIMIT + 1, 7);
  const r = await send('POST', [body], { 'content-length': String(body.length) });
  assert.is(r.status, 413);
});

test('a GET without a body resolves at once with zero bytes', async () => {
  const r = await send('GET', []);
  assert.is(r.status, 200);
  assert.equal(JSON.parse(r.body), { bytes: 0, sum: 0 });
});

test('a client that disconnects mid-body settles the read (no hang) and the server keeps serving', async () => {
  settled.length = 0;
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n' + 'a'.repeat(100));
  await new Promise((r) => setTimeout(r, 100));
  socket.destroy();
  for (let i = 0; i < 50 && settled.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled.length, 1);
  assert.match(settled[0]!, /^error /);
  assert.is((await send('POST', [Buffer.from('ok')])).status, 200);
});

test.after(() => {
  agent.destroy();
  server.close();
});

test.run();

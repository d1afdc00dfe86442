/**
 * Which body limit applies where, as server/README.md (Conventions, Bodies) states it: device
 * routes take BODY_LIMIT_BYTES, admin routes their fixed ADMIN_BODY_LIMITS whatever
 * BODY_LIMIT_BYTES says, and a 413 names the limit that applied. The README lists every admin limit.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_BODY_LIMITS } from '../../server/http/body.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ROOT } from '../helpers/process.ts';

let gw: TestGateway;

test.before(async () => {
  gw = await startTestGateway({ env: { BODY_LIMIT_BYTES: '2048' } });
});

test.after(async () => {
  await gw.destroy();
});

/** A JSON body of `size` bytes (an object with one padding string). */
const bodyOf = (size: number) => JSON.stringify({ pad: 'x'.repeat(size - 10) });

async function post(path: string, body: string, declare: boolean, token = true): Promise<{ status: number; message: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}) };
  if (declare) headers['content-length'] = String(Buffer.byteLength(body));
  // Undeclared: a stream, as a chunked request arrives.
  const payload = declare ? body : new Blob([body]).stream();
  const res = await gw.app.request(path, { method: 'POST', headers, body: payload, ...(declare ? {} : { duplex: 'half' }) } as RequestInit);
  const answer = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, message: answer.error?.message ?? '' };
}

test('device routes take BODY_LIMIT_BYTES; the 413 names it', async () => {
  for (const declare of [true, false]) {
    const r = await post('/aggregated/meter-1', bodyOf(3000), declare, false);
    assert.is(r.status, 413);
    assert.match(r.message, declare ? 'body is 3000 bytes; the limit is 2048 bytes' : 'body exceeds the limit of 2048 bytes');
  }
});

test('admin routes have their fixed limits whatever BODY_LIMIT_BYTES says; the 413 names the one that applied', async () => {
  const small = await post('/devices', bodyOf(3000), true);
  assert.equal([small.status === 413, small.status], [false, 400], 'over BODY_LIMIT_BYTES, under the admin limit: read and judged');
  for (const declare of [true, false]) {
    const r = await post('/devices', bodyOf(ADMIN_BODY_LIMITS.default + 1), declare);
    assert.is(r.status, 413);
    assert.match(r.message, `${ADMIN_BODY_LIMITS.default} bytes`);
  }
  const fanOut = await post('/commands', bodyOf(ADMIN_BODY_LIMITS.commandFanOut + 1), true);
  assert.equal([fanOut.status, fanOut.message], [413, `body is ${ADMIN_BODY_LIMITS.commandFanOut + 1} bytes; the limit is ${ADMIN_BODY_LIMITS.commandFanOut} bytes`]);
  const underFanOut = await post('/commands', bodyOf(ADMIN_BODY_LIMITS.default + 1), true);
  assert.is(underFanOut.status, 400, 'POST /commands takes more than the default');
});

test('server/README.md states BODY_LIMIT_BYTES for device routes and every fixed admin limit', () => {
  const readme = readFileSync(join(ROOT, 'server', 'README.md'), 'utf8');
  const bodies = readme.slice(readme.indexOf('- **Bodies**'), readme.indexOf('\n- **', readme.indexOf('- **Bodies**') + 1));
  assert.match(bodies, /device routes .* `BODY_LIMIT_BYTES`/s);
  const size = (n: number) => (n >= 1 << 20 ? `${n / (1 << 20)} MiB` : `${n / 1024} KiB`);
  for (const [name, n] of Object.entries(ADMIN_BODY_LIMITS)) assert.ok(bodies.includes(size(n)), `${name}: ${size(n)} is not in the Bodies paragraph`);
});

test.run();

/**
 * DATA_DIR belongs to one gateway process (issue 14): a second `npm start` on the same directory
 * exits at once with code 2 and one line naming the directory and the holder's pid; a lock left
 * by a SIGKILLed gateway is taken over; an unusable DATA_DIR (/proc/nope, a missing parent, a
 * file) is one line and exit 2, immediately — it used to spin at 100 % CPU forever.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN_TOKEN, tempDir } from '../../helpers/gateway.ts';
import { runProcess, startGatewayProcess } from '../../helpers/process.ts';
import { buildGateway, GATEWAY_NODE_FLAGS } from '../../../scripts/build-gateway.ts';

async function startOnce(env: Record<string, string>) {
  const started = Date.now();
  const r = await runProcess(process.execPath, [...GATEWAY_NODE_FLAGS, await buildGateway()], {
    env: { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ADMIN_TOKEN, ...env },
    timeoutMs: 15_000,
  });
  return { ...r, ms: Date.now() - started };
}

test('a second gateway on the same DATA_DIR exits 2 naming the directory and the holder; a SIGKILLed holder is taken over', async () => {
  const dir = await tempDir();
  const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), ADMIN_TOKEN };
  const first = await startGatewayProcess(env, { bundle: true });
  const second = await startOnce(env);
  assert.is(second.code, 2, second.stderr);
  assert.equal(second.stderr.trim().split('\n').length, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`^fleetgate: DATA_DIR ${env.DATA_DIR.replace(/[/.]/g, '\\$&')} is in use by another fleetgate \\(pid ${first.child.pid}\\)`));
  assert.is(await first.kill('SIGKILL'), null);
  const third = await startGatewayProcess(env, { bundle: true });
  assert.ok((await fetch(`${third.url}/health`)).ok, 'the stale lock was taken over');
  assert.is(await third.kill('SIGTERM'), 0);
  // a clean stop releases the lock: the next start needs no takeover
  const fourth = await startGatewayProcess(env, { bundle: true });
  assert.is(await fourth.kill('SIGTERM'), 0);
});

test('an unusable DATA_DIR is one line and exit 2, at once', async () => {
  const dir = await tempDir();
  const file = join(dir, 'a-file');
  await writeFile(file, 'x');
  for (const [dataDir, expected] of [
    ['/proc/nope', /^fleetgate: DATA_DIR \/proc\/nope: cannot create directories in \/proc: it must be/],
    [join(dir, 'missing', 'data'), /^fleetgate: DATA_DIR .* its parent directory .* does not exist/],
    [join(file, 'data'), /^fleetgate: DATA_DIR .*a-file.* is not a directory/],
  ] as const) {
    const r = await startOnce({ DATA_DIR: dataDir, KEYS_DIR: join(dir, 'keys') });
    assert.is(r.code, 2, `${dataDir}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(r.ms < 10_000, `${dataDir} took ${r.ms} ms`);
  }
});

test('an unreachable database is one line and exit 2, without the password', async () => {
  const dir = await tempDir();
  const r = await startOnce({ DATABASE_URL: 'postgres://fleet:s3cr3t-pw@127.0.0.1:1/fleet', KEYS_DIR: join(dir, 'keys') });
  assert.is(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^fleetgate: cannot open the database at postgres 127\.0\.0\.1:1\/fleet: /);
  assert.not.match(r.stderr + r.stdout, /s3cr3t/);
});

test.run();

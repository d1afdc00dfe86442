/**
 * `fleetgate serve` from the bundle: the gateway chunk loads, listens where --port/--host say,
 * answers, and stops with exit 0 on SIGTERM. Configured by a `.env` in its folder, it is found by
 * `fleetgate status` run in the same folder (same loader, server/dotenv.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../../helpers/gateway.ts';
import { freePort, ROOT } from '../../helpers/process.ts';
import { fleetgate, TOKEN } from '../live.ts';

/** `fleetgate serve <args>` in `cwd`, once /health answers on `port`; stop() sends SIGTERM and gives the exit code. */
async function serve(args: string[], env: Record<string, string | undefined>, cwd: string, port: number): Promise<{ stop(): Promise<number | null>; output(): string }> {
  const child = spawn(process.execPath, [join(ROOT, 'cli/bin.js'), 'serve', ...args], { cwd, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  process.once('exit', () => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    assert.ok(Date.now() < deadline && child.exitCode === null, `gateway did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    stop: () => (child.kill('SIGTERM'), exited),
    output: () => output,
  };
}

test('serve --port --host runs the gateway; SIGTERM stops it cleanly', async () => {
  const dir = await tempDir('fleetgate-serve-');
  const port = await freePort();
  const gw = await serve(
    ['--port', String(port), '--host', '127.0.0.1'],
    { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), FIRMWARE_DIR: join(dir, 'fw'), ADMIN_TOKEN: TOKEN, PORT: '1', HOST: '0.0.0.0' },
    ROOT,
    port,
  );
  const devices = await fetch(`http://127.0.0.1:${port}/devices`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(devices.status, 200);
  assert.is(await gw.stop(), 0, gw.output());
});

test('a folder with a .env: `fleetgate serve` there and `fleetgate status` there find each other', async () => {
  const dir = await tempDir('fleetgate-serve-');
  const port = await freePort();
  // No ADMIN_TOKEN: the gateway writes keys/admin_token, which the CLI finds through .env's KEYS_DIR.
  await writeFile(join(dir, '.env'), `PORT=${port}\nHOST=127.0.0.1\nDATA_DIR=data\nKEYS_DIR=gw-keys\nFIRMWARE_DIR=fw\nDURABILITY=write\n`);
  const unset = { PORT: undefined, HOST: undefined, DATA_DIR: undefined, KEYS_DIR: undefined, FIRMWARE_DIR: undefined, ADMIN_TOKEN: undefined, DATABASE_URL: undefined };
  const gw = await serve([], unset, dir, port);
  const status = await fleetgate(['status', '--json'], unset as unknown as Record<string, string>, undefined, { cwd: dir });
  assert.is(status.code, 0, status.stderr);
  assert.is((JSON.parse(status.stdout) as { devices: { total: number } }).devices.total, 0);
  assert.is(await gw.stop(), 0, gw.output());
});

test('start errors name the address: a port in use, a host that does not exist (one line, DATA_DIR freed)', async () => {
  const dir = await tempDir('fleetgate-serve-');
  const port = await freePort();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
  const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), FIRMWARE_DIR: join(dir, 'fw'), ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'silent', DURABILITY: 'write' };
  try {
    let r = await fleetgate(['serve', '--port', String(port), '--host', '127.0.0.1'], env, undefined, { timeoutMs: 20_000 });
    assert.is(r.stderr, `fleetgate: cannot listen on 127.0.0.1:${port}: the port is in use by another process (set PORT, or --port)\n`);
    assert.is(r.code, 2, 'exit 2, as npm start');
    assert.not.ok(existsSync(join(dir, 'data', '.lock')), 'DATA_DIR lock released');
    r = await fleetgate(['serve', '--port', String(port), '--host', 'no-such-host.invalid'], env, undefined, { timeoutMs: 20_000 });
    assert.is(r.stderr, `fleetgate: cannot listen on no-such-host.invalid:${port}: no such host (HOST must be an address or a name of this machine)\n`);
    assert.is(r.code, 2);
  } finally {
    taken.close();
  }
});

test.run();

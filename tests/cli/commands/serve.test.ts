/**
 * `fleetgate serve` from the bundle: the gateway chunk loads, listens where --port/--host say,
 * answers, and stops with exit 0 on SIGTERM.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../../helpers/gateway.ts';
import { freePort, ROOT } from '../../helpers/process.ts';
import { TOKEN } from '../live.ts';

test('serve --port --host runs the gateway; SIGTERM stops it cleanly', async () => {
  const dir = await tempDir('fleetgate-serve-');
  const port = await freePort();
  const child = spawn(process.execPath, ['cli/bin.js', 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), FIRMWARE_DIR: join(dir, 'fw'), ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', PORT: '1', HOST: '0.0.0.0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 20_000;
  let health: Response | undefined;
  while (!health) {
    try {
      health = await fetch(`http://127.0.0.1:${port}/health`);
    } catch {
      assert.ok(Date.now() < deadline && child.exitCode === null, `gateway did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.is(health.status, 200);
  const devices = await fetch(`http://127.0.0.1:${port}/devices`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(devices.status, 200);
  child.kill('SIGTERM');
  assert.is(await exited, 0, output);
});

test.run();

/**
 * DATA_DIR holds device ids, telemetry and nonce state: every file in it is created 0600 and every
 * folder 0700 whatever the umask (issue 12.12), and the gateway warns at start when DATA_DIR itself
 * is readable by group or others.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { FakeClock } from '../../../server/clock.ts';
import { createGateway } from '../../../server/app.ts';
import { diag, SimDevice } from '../../control-plane/device.ts';
import { samples, startTestGateway, tempDir, testConfig } from '../../helpers/gateway.ts';

async function walk(dir: string): Promise<{ path: string; mode: number; dir: boolean }[]> {
  const out: { path: string; mode: number; dir: boolean }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push({ path, mode: (await stat(path)).mode & 0o777, dir: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...(await walk(path)));
  }
  return out;
}

test('with umask 000, everything the gateway writes in DATA_DIR is 0600 (files) / 0700 (folders)', async () => {
  const previous = process.umask(0);
  try {
    const clock = new FakeClock();
    const gw = await startTestGateway({ clock, env: { DURABILITY: 'fsync' } });
    const dev = await SimDevice.register(gw, 'meter-1');
    assert.is((await gw.upload('meter-1', dev.key, 1, { aggregated_data: samples(3) })).status, 200);
    dev.nonce = 1;
    await gw.admin('POST', '/commands/meter-1', { command_type: 'reboot' });
    await dev.poll();
    await dev.diagnostics(diag());
    await gw.admin('PUT', '/config/meter-1', { heartbeat_interval: 30 });
    clock.advance(3_600_000);
    await gw.close(); // flushes day files, snapshots and stats
    const entries = await walk(gw.config.DATA_DIR);
    assert.ok(entries.length > 10, `${entries.length} entries`);
    assert.ok(entries.some((e) => e.path.includes('telemetry')) && entries.some((e) => e.path.endsWith('.json')));
    const wrong = entries.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`);
    assert.equal(wrong, []);
    assert.is((await stat(gw.config.DATA_DIR)).mode & 0o777, 0o700);
  } finally {
    process.umask(previous);
  }
});

test('a DATA_DIR readable by group or others is warned about at start', async () => {
  const dir = await tempDir();
  const config = testConfig(dir);
  await mkdir(config.DATA_DIR, { recursive: true });
  await chmod(config.DATA_DIR, 0o755);
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const gw = await createGateway(config, { logger: pino({ level: 'warn' }, sink) });
  await gw.close();
  const warning = lines.map((l) => JSON.parse(l) as { msg: string; mode?: string }).find((l) => l.msg.startsWith('DATA_DIR is readable'));
  assert.ok(warning, lines.join(''));
  assert.is(warning!.mode, '755');
});

test.run();

/**
 * The README's "Running several replicas" section is executable: its ```sh replicas blocks run as
 * one bash script (tests/readme/script.ts) against a fresh PostgreSQL database of the run's
 * cluster. The script sees what the section's setup block gives a reader — `DATABASE_URL`,
 * `PORT_A` / `PORT_B` (free ports here), `KEYS_DIR`, `fleetgate` and `fleetgate-sim` on PATH — and
 * starts the two replicas itself (`fleetgate serve`, in the background), which the runner kills
 * with the script's process group when it ends.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { ROOT, runProcess } from '../helpers/process.ts';
import { failedLine, readmeScript, runScript } from './script.ts';

const SIM = join(ROOT, 'firmware', 'host', 'build', 'fleetgate-sim');
const RUN_TIMEOUT_MS = 120_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

test('the section shows two replicas, a device using both in any order, and a firmware update across them', async () => {
  const script = readmeScript(await readFile(join(ROOT, 'README.md'), 'utf8'), 'replicas');
  for (const step of [/fleetgate serve/, /fleetgate-sim/, /\$B\/aggregated/, /\bpoll\b/, /\bconfig\b/, /\bota\b/, /jq -e/]) assert.match(script, step);

  const dir = await tempDir('fleetgate-replicas-');
  const [bin, home, work] = [join(dir, 'bin'), join(dir, 'home'), join(dir, 'work')];
  await Promise.all([bin, home, work].map((d) => mkdir(d, { recursive: true })));
  await Promise.all([symlink(join(ROOT, 'cli', 'bin.js'), join(bin, 'fleetgate')), symlink(SIM, join(bin, 'fleetgate-sim'))]);
  const scriptPath = join(dir, 'replicas.sh');
  await (await import('node:fs/promises')).writeFile(scriptPath, script);
  const [build, tools, url] = await Promise.all([
    runProcess('bash', [join(ROOT, 'scripts', 'setup-firmware.sh'), '--no-test'], { env: { DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 15 * 60_000 }),
    runProcess('bash', [join(ROOT, 'scripts', 'apt-install.sh'), 'curl', 'jq'], { timeoutMs: 10 * 60_000 }),
    freshDatabase(),
  ]);
  for (const [what, r] of [['setup-firmware.sh --no-test', build], ['apt-install.sh curl jq', tools]] as const) {
    assert.is(r.code, 0, `${what} failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  }
  const run = await runScript(
    scriptPath,
    work,
    {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: home,
      LANG: 'C.UTF-8',
      DATABASE_URL: url,
      PORT_A: String(await freePort()),
      PORT_B: String(await freePort()),
      KEYS_DIR: join(dir, 'keys'),
      LOG_LEVEL: 'warn',
    },
    RUN_TIMEOUT_MS,
  );
  if (run.code !== 0) {
    console.log(`--- replicas section output (last 80 lines) ---\n${run.output.split('\n').slice(-80).join('\n')}`);
    for (const log of ['replica-a.log', 'replica-b.log']) console.log(`--- ${log} ---\n${(await readFile(join(work, log), 'utf8').catch(() => '')).slice(-3000)}`);
  }
  assert.is(run.code, 0, failedLine(run.output) ?? `the section exited with ${run.code}`);
  console.log(`replicas section ran in ${(run.ms / 1000).toFixed(1)} s`);
});

test.run();

/**
 * `fleetgate telemetry` against a live gateway (table, --json, --csv, time bounds), and the CLI on
 * pipes: a reader that goes away early (`| head -1`) ends the command quietly, exit 0, no EPIPE
 * stack trace, for output far larger than a pipe's buffer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { ROOT, runProcess } from '../../helpers/process.ts';
import { startLiveGateway, type LiveGateway } from '../live.ts';

let live: LiveGateway;
const START = 1_763_000_000;
const COUNT = 3000;

test.before(async () => {
  live = await startLiveGateway();
  const dev = await live.device('meter-1');
  const samples = Array.from({ length: COUNT }, (_, i) => ({ timestamp: START + i * 60, voltage: 230 + (i % 10) / 10, power: 500 + i }));
  // 500 a batch: a signed envelope carries them base64-encoded, within the 64 KiB body limit.
  for (let i = 0; i < COUNT; i += 500) await dev.upload(samples.slice(i, i + 500));
});
test.after(async () => {
  await live.gw.kill();
});

test('telemetry: a table of the device timestamps and fields, --json, --csv as the gateway writes it', async () => {
  const table = (await live.ok(['telemetry', 'meter-1', '--limit', '3'])).trimEnd().split('\n');
  assert.equal(table, [
    'TIME                  POWER  VOLTAGE  METHOD',
    '2025-11-13T02:13:20Z    500      230  plain',
    '2025-11-13T02:14:20Z    501    230.1  plain',
    '2025-11-13T02:15:20Z    502    230.2  plain',
  ]);
  const json = JSON.parse(await live.ok(['telemetry', 'meter-1', '--limit', '2', '--json'])) as Record<string, unknown>[];
  assert.equal(Object.keys(json[0]!).sort(), ['method', 'nonce', 'power', 'received_at', 'timestamp', 'voltage']);
  assert.is(json[1]!.power, 501);
  const csv = (await live.ok(['telemetry', 'meter-1', '--limit', '2', '--csv'])).split('\n');
  assert.is(csv[0], 'timestamp,received_at,nonce,method,power,voltage');
  assert.match(csv[1]!, new RegExp(`^${START},\\S+Z,1,plain,500,230$`));
  assert.is(await live.ok(['telemetry', 'meter-1', '--from', '2020-01-01', '--to', '2020-01-02']), 'no samples for meter-1 in that range\n');
  // Relative bounds: everything was received within the last hour, nothing in the future.
  assert.is((JSON.parse(await live.ok(['telemetry', 'meter-1', '--from', '1h', '--limit', '100000', '--json'])) as unknown[]).length, COUNT);
  const cases: [string[], number, RegExp][] = [
    [['telemetry', 'meter-1', '--from', 'yesterday'], 4, /^fleetgate: gateway answered 400 invalid_query: from must be ISO-8601/],
    [['telemetry', 'meter-1', '--limit', '-1'], 2, /^fleetgate: --limit must be a non-negative integer/],
    [['telemetry', 'meter-1', '--csv', '--json'], 2, /^fleetgate: --csv and --json exclude each other/],
    [['telemetry', 'nobody'], 4, /^fleetgate: gateway answered 404 /],
  ];
  for (const [args, code, message] of cases) {
    const r = await live.run(args);
    assert.is(r.code, code, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

/** Runs the CLI with its stdout read by nobody: the pipe is closed before the command writes. */
function closedReader(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['cli/bin.js', ...args], { cwd: ROOT, env: { ...process.env, ...live.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('a reader that goes away: exit 0, nothing on stderr (table, JSON, CSV, help)', async () => {
  for (const args of [
    ['telemetry', 'meter-1', '--limit', '100000'],
    ['telemetry', 'meter-1', '--limit', '100000', '--json'],
    ['telemetry', 'meter-1', '--limit', '100000', '--csv'],
    ['device', 'list'],
    ['--help'],
  ]) {
    const r = await closedReader(args);
    assert.is(r.stderr, '', `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.code, 0, args.join(' '));
  }
});

test('fleetgate telemetry ... | head -1 in a shell with pipefail', async () => {
  const r = await runProcess('bash', ['-o', 'pipefail', '-c', 'node cli/bin.js telemetry meter-1 --limit 100000 --csv | head -1'], { env: live.env });
  assert.is(r.stdout, 'timestamp,received_at,nonce,method,power,voltage\n');
  assert.is(r.stderr, '');
  assert.is(r.code, 0);
});

test.run();

/**
 * CLI start-up: wall time of whole `fleetgate` processes, hyperfine-style (spawn → exit, many
 * runs, median and p90), against `node -e ''` measured in the same rounds as the baseline: the
 * ratio says what the CLI adds to starting node at all. Runs are interleaved (one of each command
 * per round) so the machine's drift touches every command alike.
 *   --version                       no gateway, no request
 *   status / device list            against a local bundled gateway with 100, then 10,000 devices
 * Targets (issue 16): --version < 150 ms, status < 300 ms.
 * `npm run bench -- cli`, or `npx tsx scripts/bench/cli.ts` for this suite alone.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { buildCli } from '../build-cli.ts';
import { BENCH_ADMIN_TOKEN, ROOT, registerDevices, startGateway } from './harness.ts';

const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 30);

function timeRun(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(ms);
    });
  });
}

interface Case {
  name: string;
  args: string[];
  target_ms?: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(cases: Case[], env: Record<string, string>) {
  const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (const c of cases) await timeRun(c.args, env); // warm the page cache and the bundle
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) times.get(c.name)!.push(await timeRun(c.args, env));
  }
  const baseline = [...times.get("node -e ''")!].sort((a, b) => a - b);
  const baseMedian = quantile(baseline, 0.5);
  return cases.map((c) => {
    const sorted = [...times.get(c.name)!].sort((a, b) => a - b);
    const median = quantile(sorted, 0.5);
    return {
      name: c.name,
      median_ms: Math.round(median * 10) / 10,
      p90_ms: Math.round(quantile(sorted, 0.9) * 10) / 10,
      ratio_vs_node: Math.round((median / baseMedian) * 100) / 100,
      ...(c.target_ms === undefined ? {} : { target_ms: c.target_ms, meets_target: median < c.target_ms }),
    };
  });
}

export async function runCliBench() {
  await buildCli();
  const gw = await startGateway();
  try {
    const env = { FLEETGATE_URL: gw.url, FLEETGATE_TOKEN: BENCH_ADMIN_TOKEN };
    const cli = (...args: string[]) => ['cli/bin.js', ...args];
    const base: Case = { name: "node -e ''", args: ['-e', ''] };
    await registerDevices(gw.url, 'bench-', 100);
    const small = await measure(
      [
        base,
        { name: 'fleetgate --version', args: cli('--version'), target_ms: 150 },
        { name: 'fleetgate status (100 devices)', args: cli('status'), target_ms: 300 },
        { name: 'fleetgate device list (100 devices)', args: cli('device', 'list') },
      ],
      env,
    );
    await registerDevices(gw.url, 'bulk-', 9_900);
    const large = await measure(
      [
        base,
        { name: 'fleetgate status (10,000 devices)', args: cli('status'), target_ms: 300 },
        { name: 'fleetgate device list (10,000 devices)', args: cli('device', 'list') },
      ],
      env,
    );
    const rows = [...small, ...large.filter((r) => r.name !== base.name)];
    for (const r of rows) console.log(`  ${r.name.padEnd(40)} median ${String(r.median_ms).padStart(6)} ms  p90 ${String(r.p90_ms).padStart(6)} ms  ×${r.ratio_vs_node} of node -e`);
    // Its own date: a partial `npm run bench -- cli` keeps the other suites' older figures.
    return { date: new Date().toISOString().slice(0, 10), rounds: ROUNDS, rows };
  } finally {
    await gw.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runCliBench(), null, 2));
  process.exit(0);
}

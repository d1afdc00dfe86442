/**
 * `npm run bench`: every benchmark, each measured against a baseline in the same run, written to
 * scripts/bench/results.json and printed as the markdown table that goes in scripts/bench/README.md.
 * Benchmarks whose module is absent are skipped (features land independently).
 * Select some with `npm run bench -- codec ingest`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine } from './harness.ts';

type Runner = () => Promise<unknown>;
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

const suites: [string, string, string][] = [
  ['codec', './codec.ts', 'runCodecBench'],
  ['codec_c', './codec-c.ts', 'runCCodecBench'],
  ['ingest', './ingest.ts', 'runIngestBench'],
  ['poll', './poll.ts', 'runPollBench'],
  ['ota', './ota.ts', 'runOtaBench'],
  ['ota_state', './ota-state.ts', 'runOtaStateBench'],
  ['registrations', './registrations.ts', 'runRegistrationsBench'],
  ['cli', './cli.ts', 'runCliBench'],
  ['postgres', './postgres.ts', 'runPostgresBench'],
  ['import', './import.ts', 'runImportBench'],
  ['fleet', './fleet.ts', 'runFleetBench'],
  ['config', './config-lag.ts', 'runConfigBench'],
];

const wanted = process.argv.slice(2);
// A partial run (`npm run bench -- poll`) updates its suites and keeps the others' last figures.
const out = here('./results.json');
const previous = wanted.length > 0 && existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
const results: Record<string, unknown> = { ...previous, machine: machine() };
for (const [name, file, fn] of suites) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  if (!existsSync(here(file))) {
    console.log(`- ${name}: skipped (${file} not present)`);
    continue;
  }
  console.log(`- ${name}: running`);
  const mod = (await import(pathToFileURL(here(file)).href)) as Record<string, Runner>;
  try {
    results[name] = await mod[fn]!();
  } catch (err) {
    results[name] = { error: (err as Error).message };
    console.log(`  ${name} failed: ${(err as Error).message}`);
  }
}
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
console.log(`\nwrote ${out}\n`);
const { renderTable } = await import('./report.ts');
console.log(renderTable(results));
process.exit(0);

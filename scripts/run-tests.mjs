#!/usr/bin/env node
/**
 * Runs every uvu suite under tests/ (files named *.test.ts), each in its own Node process with tsx,
 * two at a time (the CI machine has two cores), then prints one closing line
 * "N passed, N failed" summed from uvu's own totals. Exit code is non-zero if any suite failed,
 * crashed, or reported no tests at all.
 *
 * Shared services are started once per run, not once per suite: when a selected suite uses
 * PostgreSQL (it imports tests/helpers/postgres.ts), one throwaway cluster is started before the
 * suites (scripts/pg-cluster.mjs) and its URL passed to them as FLEETGATE_TEST_PG_URL; each suite
 * works in databases of its own. It is stopped and removed at the end. Likewise one headless
 * Chromium (scripts/browser.mjs) for the suites that drive a browser (they import
 * tests/helpers/browser.ts), passed as FLEETGATE_TEST_BROWSER_WS; each suite works in browser
 * contexts of its own.
 *
 * Usage: node scripts/run-tests.mjs [filter...]   (filters are substrings of the test path)
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? Math.min(2, os.availableParallelism()));

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

// The gateways and CLI processes the suites start run in the repository folder, and both read a
// `.env` there: a developer's own (its DATABASE_URL, KEYS_DIR, PORT...) would reach them, and the
// results — or the database written to — would depend on the machine.
if (existsSync(join(root, '.env'))) {
  console.error('[run-tests] a .env in the repository folder would configure the gateways and CLI processes the tests start; move it aside (e.g. to .env.local) to run the tests');
  process.exit(2);
}

const files = collect(join(root, 'tests'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 300_000);

/**
 * One PostgreSQL cluster for the run, if a selected suite needs it (and none was given): it imports
 * the helper, or every gateway runs on PostgreSQL (FLEETGATE_TEST_BACKEND=postgres).
 */
let cluster;
const needsPostgres =
  process.env.FLEETGATE_TEST_BACKEND === 'postgres' || files.some((f) => /helpers\/postgres\.ts/.test(readFileSync(join(root, f), 'utf8')));
if (needsPostgres && !process.env.FLEETGATE_TEST_PG_URL) {
  const { startCluster } = await import('./pg-cluster.mjs');
  const started = Date.now();
  cluster = await startCluster();
  process.env.FLEETGATE_TEST_PG_URL = cluster.url;
  console.log(`[run-tests] PostgreSQL for this run on port ${cluster.port} (${Date.now() - started} ms)`);
  const stop = () => cluster.stop();
  process.once('exit', stop);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
}
/** One headless Chromium for the run, if a selected suite drives a browser (and none was given). */
const needsBrowser = files.some((f) => /helpers\/browser\.ts/.test(readFileSync(join(root, f), 'utf8')));
if (needsBrowser && !process.env.FLEETGATE_TEST_BROWSER_WS) {
  const { startBrowser } = await import('./browser.mjs');
  const started = Date.now();
  const browser = await startBrowser();
  process.env.FLEETGATE_TEST_BROWSER_WS = browser.wsEndpoint;
  console.log(`[run-tests] Chromium for this run, pid ${browser.pid} (${Date.now() - started} ms)`);
  process.once('exit', () => browser.stop());
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
}
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function runOne(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    // A hung suite must not hang CI: kill it and report it as failed.
    const timer = setTimeout(() => {
      output += `\n[run-tests] ${file} timed out after ${fileTimeoutMs / 1000}s; killed\n`;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = stripAnsi(output);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      const failed = Math.max(total - passed - skipped, code === 0 && total > 0 ? 0 : 1);
      resolve({ file, code, signal, text, total, passed, skipped, failed, ms: Date.now() - started });
    });
  });
}

const results = [];
let next = 0;
async function worker() {
  while (next < files.length) {
    const file = files[next++];
    const r = await runOne(file);
    results.push(r);
    const status = r.failed === 0 ? 'ok  ' : 'FAIL';
    console.log(`${status} ${r.file}  (${r.passed}/${r.total}, ${(r.ms / 1000).toFixed(1)}s)`);
    if (r.failed > 0) console.log(r.text.split('\n').map((l) => '    ' + l).join('\n'));
  }
}
await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
if (files.length === 0) {
  console.log('no test files matched');
  process.exit(1);
}
console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(failed === 0 ? 0 : 1);

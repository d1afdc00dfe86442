/**
 * A throwaway headless Chromium for the browser tests: Debian's `chromium` (installed by
 * scripts/setup-chromium.sh when missing; puppeteer-core never downloads one), a fresh profile in
 * a temp directory, the DevTools protocol on a free loopback port. `stop()` kills it (the whole
 * process group: Chromium forks helpers) and removes the profile.
 *
 * `scripts/run-tests.mjs` starts one per test run, shared by every suite that needs it (each works
 * in an isolated browser context of its own), and passes its endpoint as
 * FLEETGATE_TEST_BROWSER_WS. Plain JavaScript so the test runner can import it without a loader.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SETUP = fileURLToPath(new URL('./setup-chromium.sh', import.meta.url));

/** Flags known to work headless in containers and CI (root, no GPU, no network beyond loopback). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--remote-debugging-address=127.0.0.1',
  '--remote-debugging-port=0',
];

/**
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<{ wsEndpoint: string, pid: number, dir: string, stop(): void }>}
 */
export async function startBrowser(options = {}) {
  const bin = execFileSync('bash', [SETUP], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
  const dir = mkdtempSync(join(tmpdir(), 'fleetgate-chromium-'));
  const child = spawn(bin, [...CHROMIUM_FLAGS, `--user-data-dir=${join(dir, 'profile')}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const wsEndpoint = await new Promise((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start within ${(options.timeoutMs ?? 30_000) / 1000}s: ${err.slice(-2000)}`)), options.timeoutMs ?? 30_000);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d) => {
        err += d;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`chromium exited (${code ?? signal}) before it listened: ${err.slice(-2000)}`));
      });
    });
    // Chromium logs harmless D-Bus complaints on stderr forever: keep draining it.
    child.stderr.resume();
    child.unref();
    return { wsEndpoint, pid: child.pid, dir, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

/**
 * Runs the real gateway as a child process on a free port, for tests that need a real socket, a
 * SIGKILL, or a restart: from the sources (`node --import tsx server/main.ts`), or as `npm start`
 * runs it (the esbuild bundle, `{ bundle: true }`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGateway, GATEWAY_NODE_FLAGS } from '../../scripts/build-gateway.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `bundle`: run this checkout's `npm start` bundle instead of the sources; `build`: run another
 * checkout's bundle (`<build>/.build/gateway.mjs`, e.g. an older version for a rolling upgrade).
 */
export async function startGatewayProcess(env: Record<string, string>, options: { bundle?: boolean; build?: string } = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const args = options.build
    ? [...GATEWAY_NODE_FLAGS, join(options.build, '.build', 'gateway.mjs')]
    : options.bundle
      ? [...GATEWAY_NODE_FLAGS, await buildGateway()]
      : ['--import', 'tsx', 'server/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: options.build ?? ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A failed assertion skips the test's own kill(): never let a stray gateway keep this test
  // process alive (unref) or outlive it (killed on exit).
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stderr as unknown as { unref(): void }).unref();
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited early (${child.exitCode}): ${out}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    kill: async (signal = 'SIGTERM') => {
      child.ref(); // keep this process alive until the exit is seen
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a command to completion; resolves with exit code and output. */
export function runProcess(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A child that exits without reading its input (or before this line runs: `bash` on a fast
    // path) closes the pipe; the write's EPIPE is its choice, not a failure of the test process.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/**
 * What the firmware end-to-end suites share: running fleetgate-sim (firmware/host/build, the C
 * device core with its POSIX port) and reading its JSON lines, an admin client for the gateway it
 * talks to (whose URL may change when a suite restarts it), the CLI, and deterministic firmware
 * images to package. The simulator is built by scripts/setup-firmware.sh --no-test, which takes a
 * flock on the build dir, so suites that build it at once take turns.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, runProcess } from './process.ts';

export const SIM = join(ROOT, 'firmware', 'host', 'build', 'fleetgate-sim');

/**
 * JSON as these tests read it — the simulator's lines and the admin API's answers — member by
 * member, whatever a test asserts on (the answers' shapes are pinned by the OpenAPI tests).
 */
export type Json = any;
export type Line = Record<string, Json>;

export interface SimRun {
  code: number | null;
  lines: Line[];
  stderr: string;
  /** The last line of `action` that is not a progress event (the result line for ota). */
  last(action: string): Line;
}

export function describeRun(r: { code: number | null; lines: Line[]; stderr: string }): string {
  return `exit ${r.code}\n${r.lines.map((l) => JSON.stringify(l)).join('\n')}\n${r.stderr}`;
}

/** One invocation of the simulator (args: its options and command, --state-dir included). */
export async function runSim(args: string[], timeoutMs = 60_000): Promise<SimRun> {
  const r = await runProcess(SIM, args, { timeoutMs });
  const lines: Line[] = [];
  for (const text of r.stdout.split('\n')) {
    if (text.trim() === '') continue;
    try {
      lines.push(JSON.parse(text) as Line);
    } catch {
      assert.unreachable(`fleetgate-sim printed a line that is not JSON: ${text}\n${r.stderr}`);
    }
  }
  const run: SimRun = {
    code: r.code,
    lines,
    stderr: r.stderr,
    last(action: string) {
      const found = lines.filter((l) => l.action === action && (l.event === undefined || l.event === 'result'));
      assert.ok(found.length > 0, `no "${action}" line\n${describeRun(run)}`);
      return found[found.length - 1]!;
    },
  };
  return run;
}

/** Builds the host tree (core, tests, simulator) without running the unit tests. */
export async function buildSim(): Promise<void> {
  const built = await runProcess('bash', [join(ROOT, 'scripts', 'setup-firmware.sh'), '--no-test'], {
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    timeoutMs: 15 * 60_000,
  });
  assert.is(built.code, 0, `setup-firmware.sh --no-test failed:\n${built.stdout.slice(-3000)}\n${built.stderr.slice(-3000)}`);
}

/**
 * The tests of a suite that runs in order against one gateway: no `step` runs unless `setup`
 * passed; a failure prints the gateway's last output and keeps the suite's temp dir
 * (FLEETGATE_E2E_KEEP=1 keeps it anyway, =0 never), which `cleanUp` removes otherwise.
 */
export function orderedSuite(gateway: () => { output(): string } | undefined) {
  let setupDone = false;
  let failed = false;
  const run = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      const g = gateway();
      if (g) console.log(`--- gateway output ---\n${g.output().slice(-4000)}`);
      throw err;
    }
  };
  return {
    setup(name: string, fn: () => Promise<void>): void {
      test(name, () => run(async () => {
        await fn();
        setupDone = true;
      }));
    },
    step(name: string, fn: () => Promise<void>): void {
      test(name, async () => {
        if (!setupDone) assert.unreachable('setup failed; see the first failing test');
        await run(fn);
      });
    },
    async cleanUp(dir: string): Promise<void> {
      if (process.env.FLEETGATE_E2E_KEEP === '1' || (failed && process.env.FLEETGATE_E2E_KEEP !== '0')) console.log(`e2e state kept in ${dir}`);
      else if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The fleetgate CLI of this checkout. */
export const fleetgate = (args: string[]) => runProcess(process.execPath, ['cli/bin.js', ...args], { timeoutMs: 60_000 });

/** Admin requests to the gateway at url() with a bearer token; bodies are JSON. */
export function adminApi(url: () => string, token: string) {
  async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }
  async function adminOk(method: string, path: string, body?: unknown): Promise<Json> {
    const r = await admin(method, path, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }
  /** Waits until GET /ota/images (the catalog, rescanned on OTA requests) shows what `ready` wants. */
  async function waitForCatalog(ready: (images: Json) => boolean, what: string): Promise<Json> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const j = await adminOk('GET', '/ota/images');
      if (ready(j)) return j;
      if (Date.now() > deadline) assert.unreachable(`gateway catalog never showed ${what}: ${JSON.stringify(j)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { admin, adminOk, waitForCatalog };
}

/** Whether a GET /ota/images answer lists version v. */
export const listed = (j: Json, v: string): boolean => (j.images as Json[]).some((i) => i.version === v);

/**
 * Moves packaged builds from a staging dir into FIRMWARE_DIR, image and hash table first, then
 * the manifest, as the packager writes them. A gateway lists a build that arrives after its first
 * start as a draft (builds present at the first start are published to every device).
 */
export async function moveBuilds(stageDir: string, fwDir: string, versions: readonly string[]): Promise<void> {
  for (const v of versions) {
    for (const part of ['encrypted.bin', 'hashes.bin', 'manifest.json']) {
      await rename(join(stageDir, `firmware_${v}_${part}`), join(fwDir, `firmware_${v}_${part}`));
    }
  }
}

/** A deterministic ESP32-app-like image: magic 0xE9, then xorshift bytes. */
export function firmwareBytes(seed: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (0x9e3779b9 ^ seed) >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  b[0] = 0xe9;
  return b;
}

/**
 * What the CLI tests share: running `fleetgate` as a user does (node cli/bin.js, which runs the
 * esbuild bundle), a real gateway process to point it at, and simulated devices that upload and
 * make signed requests to it over HTTP.
 */
import { join } from 'node:path';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { SimDevice } from '../control-plane/device.ts';
import { tempDir } from '../helpers/gateway.ts';
import { ROOT, runProcess, startGatewayProcess, type GatewayProcess } from '../helpers/process.ts';

export const TOKEN = 'cli-test-admin-token-0123456789';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `fleetgate <args>` with a clean environment for the CLI's own variables; `timeoutMs` (default
 * 60 s) for commands that must end quickly rather than hang (killed then: code null).
 */
export function fleetgate(args: string[], env: Record<string, string> = {}, input?: string, options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return runProcess(process.execPath, [join(ROOT, 'cli/bin.js'), ...args], {
    env: { FLEETGATE_URL: '', FLEETGATE_TOKEN: '', ADMIN_TOKEN: '', KEYS_DIR: '', FIRMWARE_DIR: '', ...env },
    ...(input === undefined ? {} : { input }),
    ...options,
  });
}

export interface LiveGateway {
  gw: GatewayProcess;
  dir: string;
  keysDir: string;
  firmwareDir: string;
  /** FLEETGATE_URL and FLEETGATE_TOKEN for this gateway. */
  env: Record<string, string>;
  /** `fleetgate` aimed at this gateway; fails the test unless it exits 0. */
  ok(args: string[]): Promise<string>;
  run(args: string[], env?: Record<string, string>): Promise<CliRun>;
  device(id: string): Promise<LiveDevice>;
}

export interface LiveDevice extends SimDevice {
  upload(samples: Record<string, number>[]): Promise<void>;
}

/**
 * A bundled gateway on a fresh directory. `prepare` runs first with the directories, to put keys
 * and firmware images in place (the gateway reads its catalog when it starts).
 */
export async function startLiveGateway(prepare?: (dirs: { keysDir: string; firmwareDir: string }) => Promise<void>): Promise<LiveGateway> {
  const dir = await tempDir('fleetgate-cli-');
  const keysDir = join(dir, 'keys');
  const firmwareDir = join(dir, 'firmware');
  await prepare?.({ keysDir, firmwareDir });
  const gw = await startGatewayProcess(
    { DATA_DIR: join(dir, 'data'), KEYS_DIR: keysDir, FIRMWARE_DIR: firmwareDir, ADMIN_TOKEN: TOKEN, DURABILITY: 'write' },
    { bundle: true },
  );
  const env = { FLEETGATE_URL: gw.url, FLEETGATE_TOKEN: TOKEN };
  const run = (args: string[], extra: Record<string, string> = {}) => fleetgate(args, { ...env, ...extra });
  return {
    gw,
    dir,
    keysDir,
    firmwareDir,
    env,
    run,
    async ok(args) {
      const r = await run(args);
      if (r.code !== 0) throw new Error(`fleetgate ${args.join(' ')} → ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    async device(id) {
      const r = await run(['device', 'add', id, '--json']);
      if (r.code !== 0) throw new Error(`device add ${id}: ${r.stderr}`);
      const key = hexToBytes((JSON.parse(r.stdout) as { hmac_key: string }).hmac_key);
      const sim = new SimDevice(id, key, (path, init) => fetch(gw.url + path, init)) as LiveDevice;
      sim.upload = async (samples) => {
        const res = await fetch(`${gw.url}/aggregated/${id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(signEnvelope(key, id, ++sim.nonce, { aggregated_data: samples })),
        });
        if (res.status !== 200) throw new Error(`upload ${id}: ${res.status} ${await res.text()}`);
      };
      return sim;
    },
  };
}

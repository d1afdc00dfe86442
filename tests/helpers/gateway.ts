/**
 * Test harness: a gateway on a fresh temp DATA_DIR/KEYS_DIR, driven in-process through
 * `app.request` (no socket) or on a real port. Also helpers to act as a device.
 *
 * The store is the embedded one, or PostgreSQL with `backend: 'postgres'` (or
 * FLEETGATE_TEST_BACKEND=postgres for a whole suite): a fresh database per temp dir, on the run's
 * cluster (tests/helpers/postgres.ts), used again when the test restarts a gateway on that dir.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { createGateway, type Gateway } from '../../server/app.ts';
import type { Clock } from '../../server/clock.ts';
import { parseConfig, type Config } from '../../server/config.ts';
import type { Store } from '../../server/store/types.ts';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestGateway extends Gateway {
  dir: string;
  config: Config;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** Registers a device and returns its key. */
  register(deviceId: string): Promise<Uint8Array>;
  upload(deviceId: string, key: Uint8Array, nonce: number, document: unknown): Promise<Response>;
  deviceRequest(deviceId: string, key: Uint8Array, nonce: number, method: string, path: string, body?: unknown): Promise<Response>;
  destroy(): Promise<void>;
}

const tempDirs: string[] = [];
// Every test file runs in its own process: its temp dirs go when it exits, pass or fail.
// KEEP_TEST_DIRS=1 keeps them for a post-mortem.
process.on('exit', () => {
  if (process.env.KEEP_TEST_DIRS === '1') return;
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export async function tempDir(prefix = 'fleetgate-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function testConfig(dir: string, env: Record<string, string> = {}): Config {
  const raw = parseConfig({
    DATA_DIR: join(dir, 'data'),
    KEYS_DIR: join(dir, 'keys'),
    FIRMWARE_DIR: join(dir, 'firmware'),
    DURABILITY: 'write',
    ...env,
  });
  return { ...raw, adminToken: ADMIN_TOKEN };
}

export type TestBackend = 'embedded' | 'postgres';

/** The backend a suite runs on unless a test says otherwise (FLEETGATE_TEST_BACKEND). */
export function testBackend(): TestBackend {
  const b = process.env.FLEETGATE_TEST_BACKEND ?? 'embedded';
  if (b !== 'embedded' && b !== 'postgres') throw new Error(`FLEETGATE_TEST_BACKEND must be embedded or postgres, not ${b}`);
  return b;
}

const databases = new Map<string, string>();

/**
 * Gateways on PostgreSQL still open when the suite ends (a failed test never reached its close or
 * destroy) are closed then: their LISTEN connection would keep the test process alive until the
 * runner kills it.
 */
const openOnPostgres = new Set<Gateway>();
test.after(async () => {
  for (const gw of openOnPostgres) await gw.close().catch(() => undefined);
});

/** DATABASE_URL for a gateway on `dir`: the same database every time that dir is used. */
async function backendEnv(dir: string, backend: TestBackend): Promise<Record<string, string>> {
  if (backend === 'embedded') return {};
  let url = databases.get(dir);
  if (!url) {
    const { freshDatabase } = await import('./postgres.ts');
    url = await freshDatabase();
    databases.set(dir, url);
  }
  return { DATABASE_URL: url };
}

export async function startTestGateway(
  options: { env?: Record<string, string>; clock?: Clock; dir?: string; backend?: TestBackend } = {},
): Promise<TestGateway> {
  const dir = options.dir ?? (await tempDir());
  const config = testConfig(dir, { ...(await backendEnv(dir, options.backend ?? testBackend())), ...options.env });
  const gw = await createGateway(config, options.clock ? { clock: options.clock } : {});
  if (config.DATABASE_URL) {
    const close = gw.close;
    let closing: Promise<void> | undefined;
    gw.close = () => {
      openOnPostgres.delete(gw);
      return (closing ??= close());
    };
    openOnPostgres.add(gw);
  }
  const admin = async (method: string, path: string, body?: unknown) =>
    gw.app.request(path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return {
    ...gw,
    dir,
    config,
    admin,
    async register(deviceId) {
      const res = await admin('POST', '/devices', { device_id: deviceId });
      if (res.status !== 201) throw new Error(`register ${deviceId}: ${res.status} ${await res.text()}`);
      const json = (await res.json()) as { hmac_key: string };
      return hexToBytes(json.hmac_key);
    },
    async upload(deviceId, key, nonce, document) {
      return gw.app.request(`/aggregated/${deviceId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(signEnvelope(key, deviceId, nonce, document)),
      });
    },
    async deviceRequest(deviceId, key, nonce, method, path, body) {
      const bytes = body === undefined ? undefined : new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
      return gw.app.request(path, {
        method,
        headers: {
          ...signRequestHeaders(key, deviceId, nonce, method, path, bytes),
          ...(bytes ? { 'content-type': 'application/json' } : {}),
        },
        ...(bytes ? { body: bytes } : {}),
      });
    },
    async destroy() {
      await gw.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export function samples(n: number, start = 1_700_000_000): Record<string, number>[] {
  return Array.from({ length: n }, (_, i) => ({
    timestamp: start + i * 60,
    voltage: 230 + (i % 7) * 0.1,
    current: 2.5 + (i % 3) * 0.01,
    power: 575 + i,
  }));
}

export async function errorCode(res: Response): Promise<string | undefined> {
  const json = (await res.json()) as { error?: { code?: string } };
  return json.error?.code;
}

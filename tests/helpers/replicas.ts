/**
 * Several real gateway processes (the `npm start` bundle) sharing one fresh PostgreSQL database
 * and one KEYS_DIR — as replicas behind a load balancer are deployed — each with a FIRMWARE_DIR
 * and a DATA_DIR of its own (the latter unused with DATABASE_URL set).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN_TOKEN, tempDir } from './gateway.ts';
import { freshDatabase } from './postgres.ts';
import { startGatewayProcess, type GatewayProcess } from './process.ts';

export interface Replicas {
  url: string;
  dir: string;
  keysDir: string;
  replicas: GatewayProcess[];
  /** Starts one more replica on the same database and keys (`build`: another checkout's bundle). */
  add(env?: Record<string, string>, build?: string): Promise<GatewayProcess>;
  admin(replica: GatewayProcess, method: string, path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export async function startReplicas(count: number, env: Record<string, string> = {}): Promise<Replicas> {
  const url = await freshDatabase('replicas');
  const dir = await tempDir('fleetgate-replicas-');
  const keysDir = join(dir, 'keys');
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const replicas: GatewayProcess[] = [];
  let n = 0;
  const add = async (extra: Record<string, string> = {}, build?: string) => {
    const i = n++;
    const p = await startGatewayProcess(
      { DATABASE_URL: url, KEYS_DIR: keysDir, DATA_DIR: join(dir, `data-${i}`), FIRMWARE_DIR: join(dir, `firmware-${i}`), ADMIN_TOKEN, ...env, ...extra },
      build ? { build } : { bundle: true },
    );
    replicas.push(p);
    return p;
  };
  // The first creates the keys (master secret) and applies the migrations; then the rest start together.
  // (None with count 0: the caller adds them itself, e.g. of two versions.)
  if (count > 0) {
    await add();
    await Promise.all(Array.from({ length: count - 1 }, () => add()));
  }
  return {
    url,
    dir,
    keysDir,
    replicas,
    add,
    admin: (replica, method, path, body) =>
      fetch(`${replica.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    stop: async () => {
      await Promise.all(replicas.map((r) => r.kill('SIGTERM')));
    },
  };
}

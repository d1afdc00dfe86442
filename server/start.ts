/**
 * Starting the gateway (`npm start` / `fleetgate serve`, through server/main.ts): loads `.env` if
 * present, validates configuration (one line and exit code 2 on a bad value), resolves the admin
 * token, and serves until SIGTERM/SIGINT.
 */
import { existsSync } from 'node:fs';
import { createGateway } from './app.ts';
import { resolveAdminToken } from './admin-token.ts';
import { parseConfig } from './config.ts';
import { ConfigError } from './errors.ts';
import { lockDataDir } from './store/embedded/data-dir.ts';
import { createLogger } from './logger.ts';
import { listen } from './server.ts';

export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  let raw;
  try {
    if (env === process.env && existsSync('.env')) process.loadEnvFile('.env');
    raw = parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError || (err as NodeJS.ErrnoException).code !== undefined) {
      process.stderr.write(`fleetgate: ${(err as Error).message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(raw.LOG_LEVEL);
  // The embedded store is one process's: take DATA_DIR before anything touches it.
  const lock = raw.DATABASE_URL ? undefined : await lockDataDir(raw.DATA_DIR);
  const { token, generatedAt } = await resolveAdminToken(raw.ADMIN_TOKEN, raw.KEYS_DIR);
  if (generatedAt) logger.warn({ path: generatedAt }, 'ADMIN_TOKEN not set: generated one (mode 0600); read it from this file');
  let gateway;
  try {
    gateway = await createGateway({ ...raw, adminToken: token }, { logger, processMetrics: true });
  } catch (err) {
    await lock?.release();
    throw err;
  }
  const running = await listen(gateway, raw.HOST, raw.PORT);
  const store = gateway.ctx.store;
  logger.info(
    { url: `http://${raw.HOST}:${running.port}`, backend: store.backend, store: store.location, durability: raw.DURABILITY },
    'fleetgate listening',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    // Readiness turns 503 at once, so a load balancer stops sending; in-flight requests finish
    // (bounded), then the store closes (leases released, pool ended) and the lock goes.
    gateway.ctx.draining = true;
    void running
      .stop()
      .then(() => lock?.release())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}


/**
 * Starting the gateway (`npm start` / `fleetgate serve`, through server/main.ts): loads `.env` if
 * present, validates configuration (one line and exit code 2 on a bad value), resolves the admin
 * token, and serves until SIGTERM/SIGINT.
 */
import { createGateway } from './app.ts';
import { resolveAdminToken } from './admin-token.ts';
import { parseConfig } from './config.ts';
import { loadDotEnv } from './dotenv.ts';
import { ConfigError } from './errors.ts';
import { lockDataDir } from './store/embedded/data-dir.ts';
import { createLogger } from './logger.ts';
import { listen } from './server.ts';

export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  let raw;
  try {
    if (env === process.env) loadDotEnv();
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
  let running;
  try {
    running = await listen(gateway, raw.HOST, raw.PORT);
  } catch (err) {
    // Not listening (port taken, no such host): close what was opened and free DATA_DIR at once.
    await gateway.close().catch(() => undefined);
    await lock?.release();
    throw err;
  }
  const store = gateway.ctx.store;
  logger.info(
    { url: `http://${raw.HOST}:${running.port}`, backend: store.backend, store: store.location, durability: raw.DURABILITY },
    'fleetgate listening',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    // A repeated signal changes nothing (`npm start` forwards the terminal's SIGINT to a process
    // that got it already); the steps below are bounded anyway.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    // Readiness turns 503 at once, so a load balancer stops sending; in-flight requests finish
    // (bounded), then the store closes (leases released, pool ended; bounded) and the lock goes.
    // Every step has a limit: what is acknowledged is already durable, so exiting past one loses
    // nothing a crash would not (exit code 1 says the stop was not clean).
    gateway.ctx.draining = true;
    void running
      .stop({ drainMs: raw.SHUTDOWN_DRAIN_SECONDS * 1000, closeMs: raw.SHUTDOWN_CLOSE_SECONDS * 1000 })
      .then(async (outcome) => {
        if (!outcome.drained) logger.warn({ seconds: raw.SHUTDOWN_DRAIN_SECONDS }, 'requests still in flight after SHUTDOWN_DRAIN_SECONDS: their connections were closed');
        if (outcome.error !== undefined) logger.error({ err: outcome.error }, 'the store failed to close');
        else if (!outcome.closed) logger.error({ seconds: raw.SHUTDOWN_CLOSE_SECONDS, store: store.location }, 'the store did not close within SHUTDOWN_CLOSE_SECONDS: exiting anyway');
        // A store still closing keeps DATA_DIR: the lock names this pid, which is gone once we exit.
        if (outcome.closed) await lock?.release();
        const clean = outcome.drained && outcome.closed;
        logger.info({ clean }, 'stopped');
        process.exit(clean ? 0 : 1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}


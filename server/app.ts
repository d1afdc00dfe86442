/**
 * Builds the gateway: opens the store, wires the shared services into an AppContext and mounts
 * every feature's routes on one Hono app. `createGateway` is what main.ts serves and what the tests
 * drive (in-process via `app.request`, or on a real port via server/server.ts).
 */
import { Hono } from 'hono';
import { DeviceAuthenticator } from './auth/authenticator.ts';
import { AuthRateLimiter } from './auth/rate-limit.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { AppContext, AppEnv } from './context.ts';
import { loadOrCreateMasterSecret } from './devices/keys.ts';
import { reservedDeviceIds } from './devices/ids.ts';
import { DeviceRegistry } from './devices/registry.ts';
import { FaultInjector } from './faults/injector.ts';
import { deviceRoutes } from './devices/routes.ts';
import { hexToBytes } from './crypto/hmac.ts';
import { adminAuth } from './http/admin-auth.ts';
import { AdminTokens } from './auth/tokens.ts';
import { tokenRoutes } from './auth/routes.ts';
import { AuditLog } from './audit/log.ts';
import { CachedRouter } from './http/cached-router.ts';
import { deviceRequestAuth } from './http/device-request.ts';
import { MethodNotAllowedError } from './errors.ts';
import { createErrorHandler, errorResponse } from './http/error-handler.ts';
import { uploadFastPath, type FastPath } from './http/upload-fast-path.ts';
import { silentLogger, type Logger } from './logger.ts';
import { Metrics } from './observability/metrics.ts';
import { observabilityRoutes } from './observability/routes.ts';
import { openApiRoutes } from './openapi/routes.ts';
import { securityRoutes } from './security/routes.ts';
import { SecurityStats } from './security/stats.ts';
import { openStore, type Store } from './store/index.ts';
import { telemetryRoutes } from './telemetry/routes.ts';
import { uploadRoutes } from './uploads/routes.ts';
import { features } from './features.ts';
import { UploadsInFlight } from './uploads/in-flight.ts';

/** The methods the routes use: what a 405's Allow may list (HEAD is answered from GET). */
const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export interface GatewayOptions {
  clock?: Clock;
  logger?: Logger;
  /** Collect Node process metrics (off in tests: they register global timers). */
  processMetrics?: boolean;
  /** A store the caller opened (tests composing one); the gateway closes it. Default: openStore(config). */
  store?: Store;
}

export interface Gateway {
  app: Hono<AppEnv>;
  ctx: AppContext;
  /** Node-level handler for the requests it takes before Hono (served on a real socket only). */
  fastPath?: FastPath;
  close(): Promise<void>;
}

export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger();
  const store = options.store ?? (await openStore(config, { logger, now: clock.now() }));
  const closers: (() => Promise<void> | void)[] = [() => store.close()];
  const { secret, created } = await loadOrCreateMasterSecret(config.KEYS_DIR);
  if (created) logger.warn({ path: `${config.KEYS_DIR}/device_master.key` }, 'created a new device master secret');
  const securityStats = new SecurityStats(store.securityStats, clock);
  closers.push(() => securityStats.close());
  const registry = new DeviceRegistry(
    store,
    secret,
    config.HMAC_PSK ? { psk: hexToBytes(config.HMAC_PSK), allowRaw: config.ALLOW_SHARED_PSK } : undefined,
    config.KEY_ROTATION_GRACE_SECONDS * 1000,
  );
  const metrics = new Metrics(options.processMetrics ?? false);
  const limiter = new AuthRateLimiter(
    { perAddress: config.AUTH_FAILURES_PER_ADDRESS, perDevice: config.AUTH_FAILURES_PER_DEVICE, windowMs: config.AUTH_FAILURE_WINDOW_SECONDS * 1000 },
    (scope) => metrics.authRateLimited.inc({ scope }),
  );
  const auth = new DeviceAuthenticator(registry, store.nonces, store.sharedMacs, securityStats, limiter, clock, logger);
  const tokens = new AdminTokens(store.tokens, config.adminToken);

  const ctx = {
    config,
    store,
    clock,
    logger,
    metrics,
    registry,
    auth,
    securityStats,
    faults: new FaultInjector(config, clock, logger),
    draining: false,
    uploadsInFlight: new UploadsInFlight(),
    audit: new AuditLog(store.audit, clock, config.AUDIT_RETENTION_DAYS),
    tokens,
    requireAdmin: adminAuth(tokens),
    onClose: (fn: () => Promise<void> | void) => void closers.push(fn),
  } as Omit<AppContext, 'requireDevice'> as AppContext;
  ctx.requireDevice = deviceRequestAuth(ctx);

  const router = new CachedRouter<Parameters<typeof app.router.add>[2]>();
  const app: Hono<AppEnv> = new Hono<AppEnv>({ router });
  metrics.instrument(app, () => router.lastMatch);
  // App-wide middleware does not see uploads served by the fast path (server/http/upload-fast-path.ts)
  // on a real socket: anything added here that uploads need must also be applied there, or turn it off.
  // Fault injection rewrites device responses after they were signed; only installed on test fleets
  // (and the fast path is off then).
  if (ctx.faults.enabled) app.use('*', ctx.faults.middleware());
  const handleError = createErrorHandler(logger);
  app.onError(handleError);
  app.notFound((c) => {
    // A path that exists with other methods: 405 listing them (Hono itself only answers 404).
    const allowed = router.methodsWithRoute(c.req.path, ROUTE_METHODS);
    if (allowed.includes('GET')) allowed.splice(allowed.indexOf('GET') + 1, 0, 'HEAD'); // Hono answers HEAD from GET
    if (allowed.length > 0) return handleError(new MethodNotAllowedError(c.req.method, c.req.path, allowed), c);
    return errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`);
  });

  app.route('/', observabilityRoutes(ctx));
  app.route('/', openApiRoutes(ctx, () => app.routes));
  app.route('/', deviceRoutes(ctx));
  app.route('/', tokenRoutes(ctx));
  app.route('/', uploadRoutes(ctx));
  app.route('/', telemetryRoutes(ctx));
  app.route('/', securityRoutes(ctx));
  for (const feature of features) app.route('/', await feature(ctx));
  const resolve = (method: string, path: string) => {
    const [handlers] = app.router.match(method, path) as unknown as [[[unknown, { path: string }], unknown][]];
    // Handlers run in order and the first route's answer ends the request: it is the one dispatched to.
    return handlers.map(([[, route]]) => route.path).find((p) => p !== '/*');
  };
  for (const id of reservedDeviceIds(app.routes, resolve)) registry.reservedIds.add(id);

  return {
    app,
    ctx,
    fastPath: uploadFastPath(ctx),
    close: async () => {
      for (const fn of closers.reverse()) await fn();
    },
  };
}

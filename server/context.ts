/**
 * What every feature's routes are built from: configuration, store, clock, logger, metrics and the
 * shared services. Built once in app.ts; tests build it with a temp DATA_DIR and a fake clock.
 */
import type { MiddlewareHandler } from 'hono';
import type { DeviceAuthenticator } from './auth/authenticator.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { DeviceRegistry } from './devices/registry.ts';
import type { FaultInjector } from './faults/injector.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { SecurityStats } from './security/stats.ts';
import type { Store } from './store/index.ts';
import type { Actor, AuditLog } from './audit/log.ts';
import type { AdminTokens } from './auth/tokens.ts';
import type { UploadsInFlight } from './uploads/in-flight.ts';

export interface AppContext {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  registry: DeviceRegistry;
  auth: DeviceAuthenticator;
  securityStats: SecurityStats;
  /** Fault injection (FAULTS_ENABLED): `take(deviceId, type)` / `corrupt(bytes)`; see server/faults/injector.ts. */
  faults: FaultInjector;
  /** The audit log every admin action and device-driven change is recorded in. */
  audit: AuditLog;
  /** Admin tokens and their roles. */
  tokens: AdminTokens;
  /** Per-route middleware: an admin token (bootstrap or named) whose role allows the route (server/auth/roles.ts). */
  requireAdmin: MiddlewareHandler<AppEnv>;
  /** Per-route middleware: signed device request (X-Device-Id / X-Nonce / X-Signature). */
  requireDevice: MiddlewareHandler<AppEnv>;
  /** Set on SIGTERM: GET /health/ready answers 503 so load balancers stop sending requests. */
  draining: boolean;
  /** Uploads waiting for the store, however they came in (Hono route or fast path): one bound per gateway. */
  uploadsInFlight: UploadsInFlight;
  /** Closers run at shutdown, in reverse order of registration. */
  onClose(fn: () => Promise<void> | void): void;
}

/** Per-request variables set by middleware. */
export type AppEnv = {
  Variables: {
    /** Who made the request, as the audit log names them: `token:<name>` or `device:<id>`. */
    actor: Actor;
    /** The admin token's role (admin routes). */
    role: import('./auth/roles.ts').Role;
    device: import('./store/index.ts').DeviceRecord;
    deviceKey: Uint8Array;
    nonce: number;
    rawBody: Uint8Array;
    /**
     * Set on a streamed download's exact retransmission: the stored answer (ETag, extent) the
     * route must serve again, with no side effect (server/http/device-request.ts).
     */
    retransmission: import('./store/index.ts').StoredReply | undefined;
  };
};

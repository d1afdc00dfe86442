/**
 * The device control plane as one feature: builds its services (audit log, remote config, command
 * queue, diagnostics, events, notifications), connects them — diagnostics tell remote config which
 * version a device applied and tell events its boot identity; every signed message tells events the
 * device is alive (`ctx.auth.onSeen`); events go to the notifier — mounts their routes, and runs
 * the periodic work: the silence/expiry sweep every EVENTS_CHECK_INTERVAL_SECONDS and retention
 * pruning at start and hourly. `controlPlaneOf(ctx)` gives tests (and the bench) the services.
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import type { AuditLog } from '../audit/log.ts';
import { auditRoutes } from '../audit/routes.ts';
import { commandRoutes } from '../commands/routes.ts';
import { CommandService } from '../commands/service.ts';
import type { DiagnosticsRepo } from '../diagnostics/repo.ts';
import { diagnosticsRoutes } from '../diagnostics/routes.ts';
import { eventRoutes } from '../events/routes.ts';
import { EventService } from '../events/service.ts';
import { faultRoutes } from '../faults/routes.ts';
import { Notifier } from '../notify/notifier.ts';
import { notifyRoutes } from '../notify/routes.ts';
import { remoteConfigRoutes } from '../remote-config/routes.ts';
import { RemoteConfigService } from '../remote-config/service.ts';
import { runPeriodically } from '../periodic.ts';

export interface ControlPlane {
  audit: AuditLog;
  remoteConfig: RemoteConfigService;
  commands: CommandService;
  diagnostics: DiagnosticsRepo;
  events: EventService;
  notifier: Notifier;
  /** One round of the periodic work (offline sweep + command expiry); tests call it under a fake clock. */
  sweep(): Promise<void>;
  /** Retention pruning (diagnostics, audit, events, finished commands). */
  prune(): Promise<void>;
}

const planes = new WeakMap<AppContext, ControlPlane>();

export function controlPlaneOf(ctx: AppContext): ControlPlane {
  const plane = planes.get(ctx);
  if (!plane) throw new Error('the control plane feature is not mounted on this gateway');
  return plane;
}

const HOUR_MS = 3_600_000;

export async function controlPlane(ctx: AppContext): Promise<Hono<AppEnv>> {
  const { config, store, clock, logger } = ctx;
  const now = clock.now();
  const audit = ctx.audit;
  const remoteConfig = new RemoteConfigService(store, ctx.registry, audit, clock);
  ctx.registry.tagGuard = (write) => remoteConfig.guardTags(write);
  const commands = new CommandService(ctx, store.commands, audit, remoteConfig);
  const diagnostics = store.diagnostics;
  remoteConfig.appliedSource = { one: (id) => diagnostics.applied(id), all: () => diagnostics.appliedAll() };
  const events = new EventService(ctx, store.events, remoteConfig);
  ctx.auth.onSeen((deviceId, at) => events.seen(deviceId, at));
  const notifier = new Notifier(config, clock, logger, { cooldowns: store.notifyCooldowns, exclusive: (job, run) => store.exclusive(job, run) });
  events.onEvent((e) => notifier.notify(e));
  ctx.onClose(() => notifier.close());
  // Registered after the notifier's closer, so it runs before it (closers run in reverse).
  ctx.onClose(() => events.idle());

  const plane: ControlPlane = {
    audit,
    remoteConfig,
    commands,
    diagnostics,
    events,
    notifier,
    async sweep() {
      await events.sweep();
      await commands.sweep();
    },
    async prune() {
      const t = clock.now();
      await diagnostics.prune(t);
      await audit.prune(t);
      await events.repo.prune(t);
      await commands.prune();
      if (config.TELEMETRY_RETENTION_DAYS > 0) await store.telemetry.prune(t - config.TELEMETRY_RETENTION_DAYS * 86_400_000);
      await store.maintain(t);
    },
  };
  planes.set(ctx, plane);

  // Periodic work runs once per fleet: with a store shared by several gateways, only in the one
  // holding the job's lease (store.exclusive); it moves to another gateway if that one stops.
  // Awaited (a gateway starts pruned) but never fatal: a database slow to answer delays it to the next run.
  await store.exclusive('retention', () => plane.prune()).catch((err: unknown) => logger.error({ err }, 'retention at start failed; next run in an hour'));
  runPeriodically(ctx, 'control-plane sweep', config.EVENTS_CHECK_INTERVAL_SECONDS * 1000, () => store.exclusive('sweep', () => plane.sweep()));
  runPeriodically(ctx, 'retention pruning', HOUR_MS, () => store.exclusive('retention', () => plane.prune()));

  const app = new Hono<AppEnv>();
  app.route('/', commandRoutes(ctx, commands));
  app.route('/', remoteConfigRoutes(ctx, remoteConfig));
  app.route('/', diagnosticsRoutes(ctx, diagnostics, events, remoteConfig));
  app.route('/', eventRoutes(ctx, events.repo));
  app.route('/', auditRoutes(ctx, audit));
  app.route('/', notifyRoutes(ctx, notifier));
  if (ctx.faults.enabled) app.route('/', faultRoutes(ctx, commands, audit));
  return app;
}

/**
 * The fleet feature (registered in server/features.ts after the control plane and OTA, whose
 * services it reads): taps the store (observe.ts), loads the read model, registers the fleet
 * series in /metrics, and runs the model's periodic work. `fleetOf(ctx)` gives the paginated
 * device list, the console and tests the service. README.md beside this file explains the model.
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { controlPlaneOf } from '../control-plane/index.ts';
import { registerFleetMetrics } from '../observability/fleet-metrics.ts';
import { otaOf } from '../ota/routes.ts';
import type { FirmwareCatalog } from '../ota/catalog.ts';
import { observeStore } from './observe.ts';
import { FLEET_RESYNC_MS, FleetService } from './service.ts';

const services = new WeakMap<AppContext, FleetService>();

export function fleetOf(ctx: AppContext): FleetService {
  const fleet = services.get(ctx);
  if (!fleet) throw new Error('the fleet feature is not mounted on this gateway');
  return fleet;
}

const HOUR_MS = 3_600_000;

export const newestVersion = (c: FirmwareCatalog): string | null => c.listImages().at(-1)?.version ?? null;

export async function fleetFeature(ctx: AppContext): Promise<Hono<AppEnv>> {
  const { store, logger, clock } = ctx;
  const plane = controlPlaneOf(ctx);
  const ota = otaOf(ctx);
  const metrics = registerFleetMetrics(ctx.metrics.registry);
  const fleet = new FleetService(
    { store, config: plane.remoteConfig, latestFirmware: async () => newestVersion(await ota.catalog.fresh()) },
    {
      clock,
      logger,
      // One gateway owns an embedded store and sees every change; replicas sharing a database do not.
      resyncMs: store.backend === 'embedded' ? 0 : FLEET_RESYNC_MS,
      onBytesServed: (kind, bytes) => metrics.bytesServed.inc({ kind }, bytes),
    },
  );
  observeStore(store, fleet, logger);
  await fleet.start();
  metrics.observe(fleet.model);
  ota.catalog.onReload((c) => fleet.setLatestFirmware(newestVersion(c)));
  services.set(ctx, fleet);

  const guard = (p: Promise<unknown>) => void p.catch((err: unknown) => logger.error({ err }, 'fleet activity retention failed'));
  guard(store.exclusive('fleet-activity-retention', () => fleet.prune()));
  const pruneTimer = setInterval(() => guard(store.exclusive('fleet-activity-retention', () => fleet.prune())), HOUR_MS);
  pruneTimer.unref();
  ctx.onClose(async () => {
    clearInterval(pruneTimer);
    // The security counters' last flush feeds the model's rejection counts: take it before the model's own.
    await ctx.securityStats.flush().catch((err: unknown) => logger.error({ err }, 'security counters flush failed'));
    await fleet.close();
  });
  return new Hono<AppEnv>();
}

/**
 * The OTA feature (registered in server/features.ts): builds the live catalog, image cache, state
 * and rollout stores and the service, and mounts the routes; server/ota/README.md documents each
 * with curl.
 *   GET        /ota/check/:device_id?version=&security_counter=   device   offer (rollout, else newest)
 *   POST       /ota/initiate/:device_id  {"firmware_version"}     device   start/resume a session
 *   GET        /ota/chunk/:device_id?version=&chunk=N             device   one chunk, base64 JSON
 *   POST       /ota/complete/:device_id  {"success","error"?,...} device   report the result
 *   GET        /ota/manifest/:version                             device   the signed manifest (format 2: ≤ 4 KiB)
 *   GET        /ota/hashes/:version?page=N                        device   hash page N + inclusion proof (binary "FGHP")
 *   GET|HEAD   /ota/firmware/:version                             device | admin | public   byte ranges
 *   GET        /ota/images                                        admin    catalog
 *   GET        /ota/status/:device_id, /ota/stats                 admin    sessions, progress, results
 *   POST|GET   /ota/rollouts, GET|PATCH /ota/rollouts/:id, POST /ota/rollouts/:id/{pause,resume}   admin
 * `otaOf(ctx)` gives tests and the benchmark the service.
 */
import { Hono, type Context } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { readAdminJson, parseJson, requireJsonContentType } from '../http/body.ts';
import { pathWithQuery } from '../http/device-request.ts';
import { FirmwareDir } from '../store/embedded/firmware-images.ts';
import { ImageCache } from './image-cache.ts';
import { gatewaySecretsIn, loadPublicKeys, type PublicKeys } from './keys.ts';
import { LiveCatalog } from './live-catalog.ts';
import { downloadAuth, downloadHandler } from './serve-download.ts';
import { OtaService } from './service.ts';

const services = new WeakMap<AppContext, OtaService>();

export function otaOf(ctx: AppContext): OtaService {
  const ota = services.get(ctx);
  if (!ota) throw new Error('the OTA feature is not mounted on this gateway');
  return ota;
}

export async function otaFeature(ctx: AppContext): Promise<Hono<AppEnv>> {
  const { config, logger } = ctx;
  // With the fleet's verify keys in KEYS_DIR, manifests whose signature fails are never served.
  let verifyKeys: PublicKeys | undefined;
  try {
    verifyKeys = await loadPublicKeys(config.KEYS_DIR);
  } catch {
    logger.info({ keys_dir: config.KEYS_DIR }, 'no OTA verify keys in KEYS_DIR: manifests are checked for consistency only');
  }
  const secrets = await gatewaySecretsIn(config.KEYS_DIR);
  if (secrets.length > 0) {
    logger.warn(
      { keys_dir: config.KEYS_DIR, files: secrets },
      'KEYS_DIR holds firmware signing or encryption secrets: anyone who takes this host can sign or decrypt firmware for the whole fleet. Keep them on the build machine and give the gateway only the public key (fleetgate keys init --public-only)',
    );
  }
  // A shared store (PostgreSQL) serves every replica; this gateway's FIRMWARE_DIR feeds it.
  const store = ctx.store.firmware;
  const inbox = store.kind === 'directory' ? undefined : new FirmwareDir(config.FIRMWARE_DIR);
  const catalog = await LiveCatalog.open(store, logger, { verifyKeys, inbox });
  ctx.onClose(() => catalog.close());
  const cache = new ImageCache(store, config.OTA_CACHE_MAX_BYTES, logger);
  catalog.onReload((c) => cache.retain(c));
  const ota = new OtaService(ctx, catalog, cache, ctx.store.otaState, ctx.store.rollouts);
  services.set(ctx, ota);

  const app = new Hono<AppEnv>();
  const device = ctx.requireDevice;
  const admin = ctx.requireAdmin;
  const deviceBody = (c: Context<AppEnv>) => {
    requireJsonContentType(c);
    return parseJson(c.get('rawBody'));
  };

  // --- device routes (signed requests, signed answers)
  app.get('/ota/check/:device_id', device, async (c) => {
    return c.json(await ota.check(c.get('device').device_id, { version: c.req.query('version'), security_counter: c.req.query('security_counter') }));
  });
  app.post('/ota/initiate/:device_id', device, async (c) => {
    return c.json(await ota.initiate(c.get('device').device_id, deviceBody(c)));
  });
  app.get('/ota/chunk/:device_id', device, async (c) => {
    return c.json(await ota.chunk(c.get('device').device_id, { version: c.req.query('version'), chunk: c.req.query('chunk') }, pathWithQuery(c)));
  });
  app.post('/ota/complete/:device_id', device, async (c) => {
    return c.json(await ota.complete(c.get('device').device_id, deviceBody(c)));
  });
  // The streaming OTA path (SPEC §11): manifest, then hash pages, then byte ranges of
  // /ota/firmware. Answers are small and stored like any signed answer (a retransmission gets the
  // stored bytes); the image itself comes through the streamed download route below.
  app.get('/ota/manifest/:version', device, async (c) => c.json(await ota.manifest(c.get('device').device_id, c.req.param('version'))));
  app.get('/ota/hashes/:version', device, async (c) => {
    const deviceId = c.get('device').device_id;
    let page: Uint8Array = await ota.hashPage(deviceId, c.req.param('version'), c.req.query('page'));
    // Test fleets only: a tampered page (signed like any answer); the device's proof check must catch it.
    if (ctx.faults.take(deviceId, 'ota_page_tamper', c.req.path)) page = ctx.faults.corrupt(page);
    return c.body(page as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/octet-stream' });
  });

  // --- downloads (device, admin or public)
  app.get('/ota/firmware/:version', downloadAuth(ctx), downloadHandler(ctx, ota));

  // --- admin
  app.get('/ota/images', admin, async (c) => c.json(await ota.images()));
  app.get('/ota/status/:device_id', admin, async (c) => c.json(await ota.status(assertDeviceId(c.req.param('device_id')))));
  app.get('/ota/stats', admin, async (c) => c.json(await ota.stats()));
  /** Each rollout change is one audit record naming who made it. */
  const audited = async (c: Context<AppEnv>, action: string, rollout: { id: string; version: string; status: string; percent: number }) => {
    await ctx.audit.record({ actor: c.get('actor'), action, details: { rollout_id: rollout.id, version: rollout.version, status: rollout.status, percent: rollout.percent } });
    return rollout;
  };
  app.post('/ota/rollouts', admin, async (c) =>
    c.json({ success: true, rollout: await audited(c, 'rollout.created', await ota.createRollout(await readAdminJson(c))) }, 201),
  );
  app.get('/ota/rollouts', admin, async (c) => {
    const rollouts = await ota.listRollouts();
    return c.json({ success: true, count: rollouts.length, rollouts });
  });
  app.get('/ota/rollouts/:id', admin, async (c) => c.json({ success: true, rollout: await ota.getRollout(c.req.param('id')) }));
  app.patch('/ota/rollouts/:id', admin, async (c) =>
    c.json({ success: true, rollout: await audited(c, 'rollout.updated', await ota.patchRollout(c.req.param('id'), await readAdminJson(c))) }),
  );
  app.post('/ota/rollouts/:id/pause', admin, async (c) =>
    c.json({ success: true, rollout: await audited(c, 'rollout.paused', await ota.updateRollout(c.req.param('id'), { status: 'paused' })) }),
  );
  app.post('/ota/rollouts/:id/resume', admin, async (c) =>
    c.json({ success: true, rollout: await audited(c, 'rollout.resumed', await ota.updateRollout(c.req.param('id'), { status: 'active' })) }),
  );
  return app;
}

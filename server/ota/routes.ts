/**
 * The OTA feature (registered in server/features.ts): builds the live catalog, image cache,
 * verification key, the release, rollout and OTA services, starts the rollout steering job, and
 * mounts the routes; server/ota/README.md documents each with curl.
 *   GET        /ota/check/:device_id?version=&security_counter=   device   offer (rollouts ∪ general releases)
 *   POST       /ota/initiate/:device_id  {"firmware_version"}     device   start/resume a session
 *   GET        /ota/chunk/:device_id?version=&chunk=N             device   one chunk, base64 JSON
 *   POST       /ota/complete/:device_id  {"success","error"?,...} device   report the result
 *   GET        /ota/manifest/:version                             device   the signed manifest (format 2: ≤ 4 KiB)
 *   GET        /ota/hashes/:version?page=N                        device   hash page N + inclusion proof (binary "FGHP")
 *   GET|HEAD   /ota/firmware/:version                             device | admin | public   byte ranges
 *   GET        /ota/images                                        viewer   builds, release states, who and when
 *   PUT        /ota/images/:version        multipart              admin    upload a build (a draft)
 *   POST       /ota/images/:version/publish|yank                  admin    release it, withdraw it
 *   GET        /ota/status/:device_id, /ota/stats                 viewer   sessions, progress, results
 *   POST|GET   /ota/rollouts, GET|PATCH|DELETE /ota/rollouts/:id,
 *   POST       /ota/rollouts/:id/{pause,resume,cancel}            operator rollouts and their steering
 * `otaOf(ctx)` gives tests and the benchmark the service (and `.rollouts.steer()`, the job's pass).
 */
import { Hono, type Context } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { ADMIN_BODY_LIMITS, readAdminJson, parseJson, requireJsonContentType } from '../http/body.ts';
import { pathWithQuery } from '../http/device-request.ts';
import { FirmwareDir } from '../store/embedded/firmware-images.ts';
import { ImageCache } from './image-cache.ts';
import { ConflictError } from '../errors.ts';
import { gatewaySecretsIn } from './keys.ts';
import { LiveCatalog } from './live-catalog.ts';
import { ReleaseService } from './release-service.ts';
import { RolloutService } from './rollout-service.ts';
import { downloadAuth, downloadHandler } from './serve-download.ts';
import { OtaService } from './service.ts';
import type { OtaSession } from './sessions.ts';
import { VerificationKey } from './verification-key.ts';
import { runPeriodically } from '../periodic.ts';

const services = new WeakMap<AppContext, OtaService>();

export function otaOf(ctx: AppContext): OtaService {
  const ota = services.get(ctx);
  if (!ota) throw new Error('the OTA feature is not mounted on this gateway');
  return ota;
}

export async function otaFeature(ctx: AppContext): Promise<Hono<AppEnv>> {
  const { config, logger } = ctx;
  const secrets = await gatewaySecretsIn(config.KEYS_DIR);
  if (secrets.length > 0) {
    logger.warn(
      { keys_dir: config.KEYS_DIR, files: secrets },
      'KEYS_DIR holds firmware signing or encryption secrets: anyone who takes this host can sign or decrypt firmware for the whole fleet. Keep them on the build machine and give the gateway only the public key (fleetgate keys init --public-only)',
    );
  }
  // Signatures are checked at publish, with the key as KEYS_DIR holds it then: the catalog lists
  // every consistent build (a draft offered to nobody), whatever key signed it.
  const key = new VerificationKey(config.KEYS_DIR, logger);
  // A shared store (PostgreSQL) serves every replica; this gateway's FIRMWARE_DIR feeds it.
  const store = ctx.store.firmware;
  const inbox = store.kind === 'directory' ? undefined : new FirmwareDir(config.FIRMWARE_DIR);
  const catalog = await LiveCatalog.open(store, logger, { inbox });
  ctx.onClose(() => catalog.close());
  const cache = new ImageCache(store, config.OTA_CACHE_MAX_BYTES, logger);
  catalog.onReload((c) => cache.retain(c));
  const releases = new ReleaseService(ctx, catalog, ctx.store.releases, key);
  await releases.start();
  const rollouts = new RolloutService(ctx, ctx.store.rollouts, {
    releases: () => releases.index(),
    requirePublished: async (version) => {
      const image = (await catalog.freshWith(version)).requireImage(version);
      const state = (await releases.index()).of(image)?.state ?? 'draft';
      if (state !== 'published') throw new ConflictError(`firmware ${version} is ${state === 'draft' ? 'a draft' : state}: publish it first (POST /ota/images/${version}/publish)`, 'release_not_published');
    },
  });
  const ota = new OtaService(ctx, catalog, cache, ctx.store.otaState, releases, rollouts);
  services.set(ctx, ota);
  startSteering(ctx, rollouts);
  startSessionCleanup(ctx);

  const app = new Hono<AppEnv>();
  const device = ctx.requireDevice;
  const admin = ctx.requireAdmin;
  const deviceBody = (c: Context<AppEnv>) => {
    requireJsonContentType(c);
    return parseJson(c.get('rawBody'));
  };

  // --- device routes (signed requests, signed answers)
  app.get('/ota/check/:device_id', device, async (c) => {
    return c.json(await ota.check(c.get('device'), { version: c.req.query('version'), security_counter: c.req.query('security_counter') }));
  });
  app.post('/ota/initiate/:device_id', device, async (c) => {
    return c.json(await ota.initiate(c.get('device'), deviceBody(c)));
  });
  app.get('/ota/chunk/:device_id', device, async (c) => {
    return c.json(await ota.chunk(c.get('device').device_id, { version: c.req.query('version'), chunk: c.req.query('chunk') }, pathWithQuery(c)));
  });
  app.post('/ota/complete/:device_id', device, async (c) => {
    return c.json(await ota.complete(c.get('device'), deviceBody(c)));
  });
  // The streaming OTA path (SPEC §11): manifest, then hash pages, then byte ranges of
  // /ota/firmware. Answers are small and stored like any signed answer (a retransmission gets the
  // stored bytes); the image itself comes through the streamed download route below.
  app.get('/ota/manifest/:version', device, async (c) => c.json(await ota.manifest(c.get('device'), c.req.param('version'))));
  app.get('/ota/hashes/:version', device, async (c) => {
    const deviceId = c.get('device').device_id;
    let page: Uint8Array = await ota.hashPage(c.get('device'), c.req.param('version'), c.req.query('page'));
    // Test fleets only: a tampered page (signed like any answer); the device's proof check must catch it.
    if (ctx.faults.take(deviceId, 'ota_page_tamper', c.req.path)) page = ctx.faults.corrupt(page);
    return c.body(page as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/octet-stream' });
  });

  // --- downloads (device, admin or public)
  app.get('/ota/firmware/:version', downloadAuth(ctx), downloadHandler(ctx, ota));

  // --- admin: images and releases
  app.get('/ota/images', admin, async (c) => c.json(await ota.images()));
  app.put('/ota/images/:version', admin, async (c) => {
    const body = c.req.raw.body as AsyncIterable<Uint8Array> | null;
    const out = await releases.upload(c.req.param('version'), c.req.header('content-type'), c.req.header('content-length'), body, c.get('actor'));
    return c.json(out.body, out.status as 200 | 201);
  });
  app.post('/ota/images/:version/publish', admin, async (c) =>
    c.json(await releases.publish(c.req.param('version'), await readAdminJson(c, ADMIN_BODY_LIMITS.release, { emptyAs: {} }), c.get('actor'))),
  );
  app.post('/ota/images/:version/yank', admin, async (c) =>
    c.json(await releases.yank(c.req.param('version'), await readAdminJson(c, ADMIN_BODY_LIMITS.release, { emptyAs: {} }), c.get('actor'))),
  );
  app.get('/ota/status/:device_id', admin, async (c) => c.json(await ota.status(assertDeviceId(c.req.param('device_id')))));
  app.get('/ota/stats', admin, async (c) => c.json(await ota.stats()));

  // --- admin: rollouts
  const id = (c: Context<AppEnv>) => c.req.param('id') ?? '';
  app.post('/ota/rollouts', admin, async (c) => c.json({ success: true, rollout: await rollouts.create(await readAdminJson(c), c.get('actor')) }, 201));
  app.get('/ota/rollouts', admin, async (c) => {
    const list = await rollouts.list();
    return c.json({ success: true, count: list.length, rollouts: list });
  });
  app.get('/ota/rollouts/:id', admin, async (c) => c.json({ success: true, rollout: await rollouts.show(id(c)) }));
  app.patch('/ota/rollouts/:id', admin, async (c) => c.json({ success: true, rollout: await rollouts.patch(id(c), await readAdminJson(c), c.get('actor')) }));
  app.delete('/ota/rollouts/:id', admin, async (c) => c.json(await rollouts.delete(id(c), c.get('actor'))));
  app.post('/ota/rollouts/:id/pause', admin, async (c) => c.json({ success: true, rollout: await rollouts.pause(id(c), c.get('actor')) }));
  app.post('/ota/rollouts/:id/resume', admin, async (c) => c.json({ success: true, rollout: await rollouts.resume(id(c), c.get('actor')) }));
  app.post('/ota/rollouts/:id/cancel', admin, async (c) => c.json({ success: true, rollout: await rollouts.cancel(id(c), c.get('actor')) }));
  return app;
}

/**
 * The stale-session cleanup job: in the one gateway holding the `ota-sessions` lease, every
 * minute (or a quarter of the threshold when it is shorter), active sessions silent for
 * OTA_SESSION_ABANDON_SECONDS are closed as abandoned.
 */
function startSessionCleanup(ctx: AppContext): void {
  const silentMs = ctx.config.OTA_SESSION_ABANDON_SECONDS * 1000;
  runPeriodically(ctx, 'OTA session cleanup', Math.min(60_000, Math.max(1000, silentMs / 4)), () => ctx.store.exclusive('ota-sessions', () => abandonSilentSessions(ctx)));
}

/** One pass of the cleanup job (tests call it directly). */
export async function abandonSilentSessions(ctx: AppContext): Promise<OtaSession[]> {
  const now = ctx.clock.now();
  const closed = await ctx.store.otaState.abandonSilent(now - ctx.config.OTA_SESSION_ABANDON_SECONDS * 1000, now);
  for (const s of closed) ctx.logger.info({ device_id: s.device_id, version: s.version, session_id: s.session_id }, 'OTA session abandoned');
  return closed;
}

/**
 * The steering job: every ROLLOUT_STEER_INTERVAL_SECONDS, in the one gateway holding the
 * `rollouts` lease (store.exclusive), one pass of RolloutService.steer. Passes never overlap.
 */
function startSteering(ctx: AppContext, rollouts: RolloutService): void {
  runPeriodically(ctx, 'rollout steering', ctx.config.ROLLOUT_STEER_INTERVAL_SECONDS * 1000, () => ctx.store.exclusive('rollouts', () => rollouts.steer()));
}

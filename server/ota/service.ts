/**
 * The OTA serving logic behind the device routes: which image a device is offered (offers.ts:
 * the highest version of its offer set — active or completed rollouts covering it and published
 * general releases — newer than what it runs, never below its security-counter floor), the gate
 * of every route that serves a build (410 `yanked`, 409 `not_assigned`), download sessions over
 * the JSON chunk route, result reports feeding statistics and rollouts, and the admin views.
 * Releases (release-service.ts) and rollouts (rollout-service.ts) have services of their own;
 * routes only parse HTTP and call in here.
 */
import { randomBytes } from 'node:crypto';
import semver from 'semver';
import { z } from 'zod';
import type { Actor } from '../audit/log.ts';
import type { AppContext } from '../context.ts';
import { ConflictError, GoneError, NotFoundError, RangeNotSatisfiableError, ValidationError } from '../errors.ts';
import { parseWith } from '../http/validate.ts';
import type { OtaRefusal } from '../protocol/limits.ts';
import type { DeviceRecord } from '../store/types.ts';
import type { CatalogImage, FirmwareCatalog } from './catalog.ts';
import type { ImageCache } from './image-cache.ts';
import type { LiveCatalog } from './live-catalog.ts';
import { MAX_U32, type FirmwareManifest } from './manifest.ts';
import { bestOffer, offerSet, type OfferEntry } from './offers.ts';
import type { ReleaseService } from './release-service.ts';
import { rolloutForResult, type Rollout } from './rollouts.ts';
import type { RolloutService } from './rollout-service.ts';
import { iso, sessionView } from './sessions.ts';
import { counterFloor, ZERO_COUNTERS, type DeviceOtaState, type OtaStateRepo, type VersionCounters } from './state.ts';

export interface Offer {
  image: CatalogImage | undefined;
  rollout: Rollout | undefined;
  floor: number;
}

/** SemVer 2.0 without build metadata: what `semver.valid(v) === v` accepts (for the OpenAPI document). */
export const SEMVER_PATTERN = '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][a-zA-Z0-9-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][a-zA-Z0-9-]*))*))?$';

export const semverString = z
  .string()
  .max(64)
  .refine((v) => semver.valid(v) === v, 'must be a semantic version like 1.0.5')
  .meta({ pattern: SEMVER_PATTERN });
const counterText = z
  .string()
  .regex(/^\d{1,10}$/, 'must be an unsigned 32-bit integer')
  .transform(Number)
  .refine((n) => n <= MAX_U32, 'must be an unsigned 32-bit integer');

export const initiateSchema = z
  .object({ firmware_version: semverString.optional(), version: semverString.optional() })
  .refine((b) => b.firmware_version !== undefined || b.version !== undefined, { message: 'send "firmware_version"', path: ['firmware_version'] });

/** Both shapes in use: {"success", "error"?, "version"?} and the C client's {"version", "status", "check"?, "detail"?}. */
export const completeSchema = z
  .object({
    success: z.boolean().optional(),
    status: z.enum(['success', 'failed', 'failure']).optional(),
    version: semverString.optional(),
    firmware_version: semverString.optional(),
    error: z.string().max(500).optional(),
    check: z.string().max(64).optional(),
    detail: z.string().max(500).optional(),
  })
  .refine((b) => b.success !== undefined || b.status !== undefined, { message: 'send "success": true or false', path: ['success'] })
  .refine((b) => b.success === undefined || b.status === undefined || b.success === (b.status === 'success'), {
    message: '"success" and "status" disagree',
    path: ['status'],
  });

/** The manifest as /ota/check shows it: without format 1's chunk table or format 2's page counts. */
export function checkView(m: FirmwareManifest) {
  if (m.format_version === 1) {
    const { chunk_hashes: _table, ...rest } = m;
    return rest;
  }
  const { page_entries: _entries, total_pages: _pages, ...rest } = m;
  return rest;
}

/**
 * A refusal devices act on (limits.ts OTA_REFUSALS: the firmware drops the download for good when
 * the answer is signed), as the error of the status the limits give it.
 */
export function otaRefusal(code: OtaRefusal, message: string): GoneError | ConflictError {
  return code === 'yanked' ? new GoneError(message, code) : new ConflictError(message, code);
}

const yankedError = (version: string, reason?: string | null) =>
  otaRefusal('yanked', `firmware ${version} was yanked${reason ? ` (${reason})` : ''}: it is no longer served`);

export class OtaService {
  readonly idleMs: number;

  constructor(
    private readonly ctx: AppContext,
    readonly catalog: LiveCatalog,
    readonly cache: ImageCache,
    readonly state: OtaStateRepo,
    readonly releases: ReleaseService,
    readonly rollouts: RolloutService,
  ) {
    this.idleMs = ctx.config.OTA_SESSION_IDLE_SECONDS * 1000;
  }

  // ------------------------------------------------------------------------------------------
  // Offers and the gate of every route that serves a build

  /** What /ota/check would offer the device now: the highest version of its offer set (offers.ts). */
  async offer(device: DeviceRecord | undefined, catalog: FirmwareCatalog, state: DeviceOtaState | undefined): Promise<Offer> {
    const floor = counterFloor(state);
    if (!device) return { image: undefined, rollout: undefined, floor };
    const [releases, rollouts] = await Promise.all([this.releases.index(), this.rollouts.repo.list()]);
    const best = bestOffer(offerSet(device, catalog.listImages(), releases, rollouts, floor));
    return { image: best?.image, rollout: best?.rollout ?? undefined, floor };
  }

  /**
   * Whether a device may be served this build: a yanked release is 410 `yanked`, a build not in
   * the device's offer set 409 `not_assigned` — unless the device had already started downloading
   * it (a session for this build, or its rollout stage) before its rollout was paused or
   * cancelled. The counter floor is checked by the callers that need it. Resolves the assignment
   * (null: a download under way).
   */
  async admit(device: DeviceRecord, image: CatalogImage): Promise<OfferEntry | null> {
    const releases = await this.releases.index();
    const release = releases.of(image);
    if (release?.state === 'yanked') {
      throw yankedError(image.version, release.yank_reason);
    }
    const notAssigned = () => otaRefusal('not_assigned', `firmware ${image.version} is not offered to this device`);
    if (release?.state !== 'published') throw notAssigned();
    const entry = offerSet(device, [image], releases, await this.rollouts.repo.list(), 0).get(image.version);
    if (entry) return entry;
    if (await this.downloadUnderWay(device.device_id, image)) return null;
    throw notAssigned();
  }

  /** A session for exactly this build, or a rollout stage `downloading` for its version. */
  private async downloadUnderWay(deviceId: string, image: CatalogImage): Promise<boolean> {
    const session = await this.state.session(deviceId);
    if (session?.status === 'active' && session.version === image.version && session.chunk_root === image.root) return true;
    const progress = (await this.rollouts.repo.deviceProgress(deviceId)).filter((p) => p.stage === 'downloading');
    if (progress.length === 0) return false;
    const versions = new Map((await this.rollouts.repo.list()).map((r) => [r.id, r.version]));
    return progress.some((p) => versions.get(p.rollout_id) === image.version);
  }

  /** Who may download by range: a device its admitted builds, anonymous callers published ones, admins any. */
  async admitDownload(device: DeviceRecord | undefined, actor: Actor | undefined, image: CatalogImage): Promise<void> {
    if (device) {
      await this.admit(device, image);
      return;
    }
    if (actor !== 'public') return;
    const release = (await this.releases.index()).of(image);
    if (release?.state === 'yanked') throw yankedError(image.version);
    if (release?.state !== 'published') throw new NotFoundError(`firmware version ${image.version} not found`, 'firmware_not_found');
  }

  /**
   * Devices this process recorded as offered, by rollout: /ota/check runs on every poll, and an
   * `offered` stage never changes once written, so it is written once per process (bounded).
   */
  private readonly offeredSeen = new Set<string>();

  private async noteStage(rollout: Rollout | null | undefined, deviceId: string, stage: 'offered' | 'downloading'): Promise<void> {
    if (!rollout) return;
    if (stage === 'offered') {
      const key = `${rollout.id}\n${deviceId}`;
      if (this.offeredSeen.has(key)) return;
      if (this.offeredSeen.size >= 100_000) this.offeredSeen.clear();
      this.offeredSeen.add(key);
    }
    // Progress is a figure, not a decision: a failure to record it must not fail the device's request.
    await this.rollouts.repo.noteStage(rollout.id, deviceId, stage, this.ctx.clock.now()).catch((err: unknown) => {
      this.ctx.logger.error({ err, rollout_id: rollout.id, device_id: deviceId }, 'rollout progress not recorded');
    });
  }

  async check(device: DeviceRecord, query: { version?: string | undefined; security_counter?: string | undefined }) {
    const deviceId = device.device_id;
    const current = parseWith(semverString, query.version, 'invalid_version', { query: 'version' });
    const counter = query.security_counter === undefined ? null : parseWith(counterText, query.security_counter, 'invalid_security_counter', { query: 'security_counter' });
    const catalog = await this.catalog.fresh();
    const state = await this.state.noteCheck(deviceId, { version: current, counter }, this.ctx.clock.now());
    const { image, rollout } = await this.offer(device, catalog, state);
    if (!image || !semver.gt(image.version, current)) {
      return {
        update_available: false,
        current_version: current,
        latest_version: image?.version ?? null,
        reason: image ? 'up_to_date' : 'no_eligible_image',
      };
    }
    await this.noteStage(rollout, deviceId, 'offered');
    // At most 22 members and no arrays: small device JSON tokenizers (48 tokens in the C client)
    // must parse this. Format 1's chunk table comes with /ota/initiate (chunk_root commits to it);
    // format 2's page counts are in the signed header that GET /ota/manifest returns.
    const m = checkView(image.manifest);
    return {
      update_available: true,
      current_version: current,
      latest_version: image.version,
      firmware_size: m.original_size,
      rollout_id: rollout?.id ?? null,
      ...m,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Sessions

  async initiate(device: DeviceRecord, body: unknown) {
    const deviceId = device.device_id;
    const parsed = parseWith(initiateSchema, body);
    const version = (parsed.firmware_version ?? parsed.version)!;
    const { image, assigned } = await this.eligibleImage(device, version);
    const current = await this.state.session(deviceId);
    const continuing = current?.status === 'active' && current.version === version && current.chunk_root === image.root ? current.rollout_id : null;
    const rolloutId = assigned?.rollout?.id ?? continuing;
    const m = image.manifest;
    const { session, outcome, replaced } = await this.state.openSession(
      deviceId,
      { version, chunk_root: image.root, total_chunks: m.total_chunks, chunk_size: m.chunk_size, encrypted_size: m.encrypted_size },
      rolloutId,
      this.ctx.clock.now(),
      this.idleMs,
      () => `ota_${randomBytes(8).toString('hex')}`,
    );
    if (replaced) this.ctx.logger.info({ device_id: deviceId, replaced: replaced.session_id, version: replaced.version }, 'stale OTA session replaced');
    await this.noteStage(assigned?.rollout, deviceId, 'downloading');
    return {
      success: true,
      session_id: session.session_id,
      version,
      outcome,
      resumed: outcome === 'resumed',
      next_chunk: session.next_chunk,
      total_chunks: m.total_chunks,
      chunk_size: m.chunk_size,
      encrypted_size: m.encrypted_size,
      idle_timeout_seconds: this.idleMs / 1000,
      // Last: the C client takes the first "manifest" member it finds (fg_ota_gateway.c).
      manifest: m satisfies FirmwareManifest,
    };
  }

  /**
   * GET /ota/manifest/:version: the signed manifest a device verifies before fetching hash pages
   * and byte ranges (format 2: ≤ 4 KiB whatever the image size). Same refusals as initiate: an
   * image below the device's counter floor (409), an image that fails its own check (503).
   */
  async manifest(device: DeviceRecord, version: string): Promise<FirmwareManifest> {
    const { image, assigned } = await this.eligibleImage(device, parseWith(semverString, version, 'invalid_version', { path: 'version' }));
    // The range path has no session: fetching the manifest is where a download starts.
    await this.noteStage(assigned?.rollout, device.device_id, 'downloading');
    return image.manifest;
  }

  /** GET /ota/hashes/:version?page=N: hash page N with its inclusion proof ("FGHP", SPEC §11.3). */
  async hashPage(device: DeviceRecord, version: string, pageText: string | undefined): Promise<Buffer> {
    const { image } = await this.eligibleImage(device, parseWith(semverString, version, 'invalid_version', { path: 'version' }));
    if (pageText === undefined || !/^\d{1,10}$/.test(pageText)) {
      throw new ValidationError('page must be a non-negative integer', 'invalid_page', { field: 'page' });
    }
    if (!image.pages) throw new ConflictError(`firmware ${version} uses manifest format 1: it has no hash pages`, 'no_hash_pages');
    const page = Number(pageText);
    if (page >= image.pages.totalPages) {
      throw new RangeNotSatisfiableError(`page ${page} is out of range: firmware ${version} has pages 0..${image.pages.totalPages - 1}`);
    }
    return image.pages.answer(page);
  }

  /** The image if this device may have it: admitted (released to it), not below its counter floor, servable. */
  private async eligibleImage(device: DeviceRecord, version: string): Promise<{ image: CatalogImage; assigned: OfferEntry | null }> {
    const image = (await this.catalog.fresh()).requireImage(version);
    const assigned = await this.admit(device, image);
    const floor = counterFloor(await this.state.device(device.device_id));
    if (image.header.securityCounter < floor) {
      throw new ConflictError(
        `firmware ${version} has security counter ${image.header.securityCounter}, below this device's ${floor}`,
        'security_counter_too_low',
      );
    }
    await this.cache.open(image); // a broken image is refused (503) before anything else happens
    return { image, assigned };
  }

  async chunk(deviceId: string, query: { version?: string | undefined; chunk?: string | undefined }, path: string) {
    const version = parseWith(semverString, query.version, 'invalid_version', { query: 'version' });
    if (query.chunk === undefined || !/^\d{1,10}$/.test(query.chunk)) {
      throw new ValidationError('chunk must be a non-negative integer', 'invalid_chunk', { field: 'chunk' });
    }
    const index = Number(query.chunk);
    const catalog = await this.catalog.fresh();
    const image = catalog.requireImage(version);
    // A session in progress hears of a yank at its next chunk.
    const release = (await this.releases.index()).of(image);
    if (release?.state === 'yanked') throw yankedError(version, release.yank_reason);
    if (index >= image.header.totalChunks) {
      throw new RangeNotSatisfiableError(`chunk ${index} is out of range: firmware ${version} has chunks 0..${image.header.totalChunks - 1}`);
    }
    const source = await this.cache.open(image);
    let bytes: Uint8Array = await this.cache.chunk(source, index);
    await this.state.recordChunk(deviceId, version, image.root, index, bytes.length, this.ctx.clock.now());
    // Fault injection: the bytes are corrupted after everything else was decided, so only the
    // device's check of chunk_hashes[index] can notice (it then fetches the chunk again).
    if (this.ctx.faults.take(deviceId, 'ota_hash_mismatch', path)) bytes = this.ctx.faults.corrupt(bytes);
    return {
      success: true,
      version,
      chunk_index: index,
      chunk_size: bytes.length,
      total_chunks: image.header.totalChunks,
      // The signed table's entry, not a hash of what is sent: the device must check against it.
      chunk_sha256: image.chunkHashes.toString('hex', index * 32, index * 32 + 32),
      chunk_data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    };
  }

  /** A result without a session: the rollout the device has a stage in for that version, else the newest covering it. */
  private async rolloutOfResult(device: DeviceRecord, version: string): Promise<string | undefined> {
    const all = await this.rollouts.repo.list();
    const ofVersion = new Map(all.filter((r) => r.version === version).map((r) => [r.id, r]));
    const staged = (await this.rollouts.repo.deviceProgress(device.device_id)).filter((p) => ofVersion.has(p.rollout_id));
    const newest = staged.map((p) => ofVersion.get(p.rollout_id)!).sort((a, b) => b.created_at - a.created_at)[0];
    return newest?.id ?? rolloutForResult(all, device, version)?.id;
  }

  async complete(device: DeviceRecord, body: unknown) {
    const deviceId = device.device_id;
    const b = parseWith(completeSchema, body);
    const success = b.success ?? b.status === 'success';
    const session = await this.state.session(deviceId);
    const version = b.version ?? b.firmware_version ?? (session?.status === 'active' ? session.version : undefined);
    if (version === undefined) {
      throw new ConflictError('no active OTA session to complete: send "version" with the report', 'no_ota_session');
    }
    const error = success ? null : (b.error ?? ([b.check, b.detail].filter((x) => x).join(': ') || null));
    const counter = (await this.catalog.fresh()).getImage(version)?.header.securityCounter ?? null;
    const now = this.ctx.clock.now();
    const out = await this.state.complete(deviceId, { version, success, error, counter }, now);
    let rollout: Rollout | undefined;
    if (out.counted) {
      const id = out.rollout_id ?? (await this.rolloutOfResult(device, version));
      rollout = id === undefined ? undefined : await this.rollouts.recordResult(id, deviceId, { success, error });
    }
    const log = success ? this.ctx.logger.info.bind(this.ctx.logger) : this.ctx.logger.warn.bind(this.ctx.logger);
    log({ device_id: deviceId, version, success, error }, 'OTA result reported');
    return {
      success: true,
      recorded: success ? 'success' : 'failure',
      counted: out.counted,
      version,
      session_id: out.session?.session_id ?? null,
      current_version: out.device.current_version,
      rollout: rollout ? { id: rollout.id, status: rollout.status, paused_reason: rollout.paused_reason } : null,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Admin views

  async status(deviceId: string) {
    const catalog = await this.catalog.fresh();
    const [state, session, record] = await Promise.all([this.state.device(deviceId), this.state.session(deviceId), this.ctx.registry.get(deviceId)]);
    if (!record && !state && !session) throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    const now = this.ctx.clock.now();
    const offer = await this.offer(record, catalog, state);
    return {
      success: true,
      device_id: deviceId,
      current_version: state?.current_version ?? null,
      security_counter_floor: offer.floor,
      reported_counter: state?.reported_counter ?? 0,
      completed_counter: state?.completed_counter ?? 0,
      last_check_at: state?.last_check_at ? iso(state.last_check_at) : null,
      offered_version: offer.image?.version ?? null,
      update_available: offer.image !== undefined && (state?.current_version == null || semver.gt(offer.image.version, state.current_version)),
      rollout_id: offer.rollout?.id ?? null,
      successes: state?.successes ?? 0,
      failures: state?.failures ?? 0,
      last_result: state?.last_result ? { ...state.last_result, at: iso(state.last_result.at) } : null,
      history: (state?.history ?? []).map((r) => ({ ...r, at: iso(r.at) })),
      session: session ? sessionView(session, now, this.idleMs) : null,
    };
  }

  async stats() {
    const catalog = await this.catalog.fresh();
    const now = this.ctx.clock.now();
    const [counters, sessions] = await Promise.all([this.state.versionCounters(), this.state.sessions()]);
    const perVersion: Record<string, VersionCounters & { active_sessions: number; stale_sessions: number; completed_sessions: number; failed_sessions: number }> = {};
    const versions = new Set([...Object.keys(counters), ...catalog.listImages().map((i) => i.version)]);
    for (const v of versions) perVersion[v] = { ...(counters[v] ?? ZERO_COUNTERS), active_sessions: 0, stale_sessions: 0, completed_sessions: 0, failed_sessions: 0 };
    for (const s of sessions) {
      const v = perVersion[s.version];
      if (!v) continue;
      if (s.status === 'active') {
        v.active_sessions++;
        if (now - s.last_activity_at > this.idleMs) v.stale_sessions++;
      } else if (s.status === 'completed') v.completed_sessions++;
      else if (s.status === 'failed') v.failed_sessions++;
    }
    const totals = { ...ZERO_COUNTERS, active_sessions: 0, stale_sessions: 0, completed_sessions: 0, failed_sessions: 0 };
    for (const v of Object.values(perVersion)) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += v[k];
    return {
      success: true,
      totals: { ...totals, bytes_served: totals.chunk_bytes + totals.download_bytes },
      versions: Object.fromEntries([...versions].sort(semver.compare).map((v) => [v, perVersion[v]])),
      active_sessions: sessions.filter((s) => s.status === 'active').map((s) => sessionView(s, now, this.idleMs)),
      cache: this.cache.stats(),
    };
  }

  /** GET /ota/images: every build with its release state, and the rollouts offering each version. */
  async images() {
    const byVersion = new Map<string, string[]>();
    for (const r of await this.rollouts.repo.list()) {
      if (r.status !== 'active' && r.status !== 'completed') continue;
      byVersion.set(r.version, [...(byVersion.get(r.version) ?? []), r.id]);
    }
    const listing = await this.releases.images(byVersion);
    return { ...listing, images: listing.images.map((i) => ({ ...i, cached: this.cache.isCached((this.catalog.current.getImage(i.version) ?? i) as CatalogImage) })) };
  }
}

/**
 * The OTA serving logic behind the routes: which image a device is offered (its rollout's version,
 * else the newest image no rollout holds back; never one below the device's security-counter
 * floor, never a lower semver than it runs), download sessions over the JSON chunk route, result
 * reports feeding statistics and rollouts (with their auto-pause), and the admin views. Routes
 * only parse HTTP and call in here; state lives behind OtaStateRepo and RolloutRepo.
 */
import { randomBytes } from 'node:crypto';
import semver from 'semver';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { assertDeviceId, DEVICE_ID_JSON_SCHEMA } from '../devices/ids.ts';
import { ConflictError, NotFoundError, RangeNotSatisfiableError, ValidationError } from '../errors.ts';
import { parseWith } from '../http/validate.ts';
import type { CatalogImage, FirmwareCatalog } from './catalog.ts';
import type { ImageCache } from './image-cache.ts';
import type { LiveCatalog } from './live-catalog.ts';
import { MAX_U32, type FirmwareManifest } from './manifest.ts';
import { assignedRollout, heldVersions, rolloutForResult, rolloutView, type Rollout, type RolloutPatch } from './rollouts.ts';
import type { RolloutRepo } from './rollouts-repo.ts';
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

const percentSchema = z
  .number()
  .min(0)
  .max(100)
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, 'at most two decimals');
const targetSchema = z.union([
  z.literal('all'),
  z
    .array(z.string().meta(DEVICE_ID_JSON_SCHEMA))
    .min(1)
    .max(10_000)
    .transform((ids, ctx) => {
      for (const id of ids) {
        try {
          assertDeviceId(id);
        } catch {
          ctx.addIssue({ code: 'custom', message: `"${id}" is not a valid device id` });
          return z.NEVER;
        }
      }
      return [...new Set(ids)];
    }),
]);

export const createRolloutSchema = z.object({
  version: semverString,
  devices: targetSchema,
  percent: percentSchema.default(100),
  failure_threshold: z.number().min(0).max(1).optional(),
  min_results: z.number().int().min(1).max(1_000_000).optional(),
  notes: z.string().max(500).default(''),
});

export const patchRolloutSchema = z
  .object({
    percent: percentSchema.optional(),
    status: z.enum(['active', 'paused']).optional(),
    devices: targetSchema.optional(),
  })
  .strict()
  .refine((p) => p.percent !== undefined || p.status !== undefined || p.devices !== undefined, 'send "percent", "status" or "devices"');

/** The manifest as /ota/check shows it: without format 1's chunk table or format 2's page counts. */
export function checkView(m: FirmwareManifest) {
  if (m.format_version === 1) {
    const { chunk_hashes: _table, ...rest } = m;
    return rest;
  }
  const { page_entries: _entries, total_pages: _pages, ...rest } = m;
  return rest;
}

export class OtaService {
  readonly idleMs: number;

  constructor(
    private readonly ctx: AppContext,
    readonly catalog: LiveCatalog,
    readonly cache: ImageCache,
    readonly state: OtaStateRepo,
    readonly rollouts: RolloutRepo,
  ) {
    this.idleMs = ctx.config.OTA_SESSION_IDLE_SECONDS * 1000;
  }

  // ------------------------------------------------------------------------------------------
  // Offers

  /** What /ota/check would offer the device now, given the catalog, its state and the rollouts. */
  offer(deviceId: string, catalog: FirmwareCatalog, state: DeviceOtaState | undefined, all: readonly Rollout[]): Offer {
    const floor = counterFloor(state);
    const eligible = (v: string) => (catalog.getImage(v)?.header.securityCounter ?? -1) >= floor;
    const rollout = assignedRollout(all, deviceId, eligible);
    if (rollout) return { image: catalog.getImage(rollout.version), rollout, floor };
    const held = heldVersions(all);
    const image = catalog
      .listImages()
      .filter((i) => !held.has(i.version) && i.header.securityCounter >= floor)
      .at(-1);
    return { image, rollout: undefined, floor };
  }

  async check(deviceId: string, query: { version?: string | undefined; security_counter?: string | undefined }) {
    const current = parseWith(semverString, query.version, 'invalid_version');
    const counter = query.security_counter === undefined ? null : parseWith(counterText, query.security_counter, 'invalid_security_counter');
    const catalog = await this.catalog.fresh();
    const state = await this.state.noteCheck(deviceId, { version: current, counter }, this.ctx.clock.now());
    const { image, rollout } = this.offer(deviceId, catalog, state, await this.rollouts.list());
    if (!image || !semver.gt(image.version, current)) {
      return {
        update_available: false,
        current_version: current,
        latest_version: image?.version ?? null,
        reason: image ? 'up_to_date' : 'no_eligible_image',
      };
    }
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

  async initiate(deviceId: string, body: unknown) {
    const parsed = parseWith(initiateSchema, body);
    const version = (parsed.firmware_version ?? parsed.version)!;
    const catalog = await this.catalog.fresh();
    const image = catalog.requireImage(version);
    const [deviceState, rollouts] = await Promise.all([this.state.device(deviceId), this.rollouts.list()]);
    const floor = counterFloor(deviceState);
    if (image.header.securityCounter < floor) {
      throw new ConflictError(
        `firmware ${version} has security counter ${image.header.securityCounter}, below this device's ${floor}`,
        'security_counter_too_low',
      );
    }
    await this.cache.open(image); // a broken image is refused (503) before a session exists
    const assigned = this.offer(deviceId, catalog, deviceState, rollouts).rollout;
    const rolloutId = assigned?.version === version ? assigned.id : (rolloutForResult(rollouts, deviceId, version)?.id ?? null);
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
  async manifest(deviceId: string, version: string): Promise<FirmwareManifest> {
    const image = await this.eligibleImage(deviceId, parseWith(semverString, version, 'invalid_version'));
    return image.manifest;
  }

  /** GET /ota/hashes/:version?page=N: hash page N with its inclusion proof ("FGHP", SPEC §11.3). */
  async hashPage(deviceId: string, version: string, pageText: string | undefined): Promise<Buffer> {
    const image = await this.eligibleImage(deviceId, parseWith(semverString, version, 'invalid_version'));
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

  /** The image if this device may have it: not below its counter floor, and servable. */
  private async eligibleImage(deviceId: string, version: string): Promise<CatalogImage> {
    const image = (await this.catalog.fresh()).requireImage(version);
    const floor = counterFloor(await this.state.device(deviceId));
    if (image.header.securityCounter < floor) {
      throw new ConflictError(
        `firmware ${version} has security counter ${image.header.securityCounter}, below this device's ${floor}`,
        'security_counter_too_low',
      );
    }
    await this.cache.open(image); // a broken image is refused (503)
    return image;
  }

  async chunk(deviceId: string, query: { version?: string | undefined; chunk?: string | undefined }, path: string) {
    const version = parseWith(semverString, query.version, 'invalid_version');
    if (query.chunk === undefined || !/^\d{1,10}$/.test(query.chunk)) {
      throw new ValidationError('chunk must be a non-negative integer', 'invalid_chunk', { field: 'chunk' });
    }
    const index = Number(query.chunk);
    const catalog = await this.catalog.fresh();
    const image = catalog.requireImage(version);
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

  async complete(deviceId: string, body: unknown) {
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
      const id = out.rollout_id ?? rolloutForResult(await this.rollouts.list(), deviceId, version)?.id;
      const r = id === undefined ? undefined : await this.rollouts.recordResult(id, success, now);
      rollout = r?.rollout;
      if (r?.paused) {
        const w = r.rollout.window;
        this.ctx.logger.warn(
          { rollout_id: r.rollout.id, version, failures: w.failures, results: w.successes + w.failures },
          'rollout paused: failure rate above threshold',
        );
      }
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
    const [state, session, record, rollouts] = await Promise.all([
      this.state.device(deviceId),
      this.state.session(deviceId),
      this.ctx.registry.get(deviceId),
      this.rollouts.list(),
    ]);
    if (!record && !state && !session) throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    const now = this.ctx.clock.now();
    const offer = this.offer(deviceId, catalog, state, rollouts);
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

  async images() {
    const catalog = await this.catalog.fresh();
    const held = heldVersions(await this.rollouts.list());
    return {
      success: true,
      dir: this.ctx.config.FIRMWARE_DIR,
      store: catalog.location,
      count: catalog.listImages().length,
      images: catalog.listImages().map((i) => ({
        version: i.version,
        security_counter: i.header.securityCounter,
        original_size: i.header.originalSize,
        encrypted_size: i.header.encryptedSize,
        chunk_size: i.header.chunkSize,
        total_chunks: i.header.totalChunks,
        etag: `"${i.root}"`,
        format_version: i.header.formatVersion,
        key_id: i.header.keyId,
        aes_key_id: i.header.aesKeyId,
        created_at: i.manifest.created_at,
        release_notes: i.manifest.release_notes,
        held_by_rollout: held.has(i.version),
        cached: this.cache.isCached(i),
      })),
      problems: catalog.problems,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Rollouts

  private async fleet(): Promise<string[]> {
    return (await this.ctx.store.devices.list()).filter((d) => !d.revoked_at).map((d) => d.device_id);
  }

  private async requireKnownDevices(target: 'all' | string[]): Promise<void> {
    if (target === 'all') return;
    const known = new Set((await this.ctx.store.devices.list()).map((d) => d.device_id));
    const unknown = target.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new NotFoundError(`unknown device ${unknown[0]}${unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : ''}`, 'unknown_device');
  }

  async createRollout(body: unknown) {
    const b = parseWith(createRolloutSchema, body);
    (await this.catalog.freshWith(b.version)).requireImage(b.version);
    await this.requireKnownDevices(b.devices);
    const now = this.ctx.clock.now();
    const rollout = await this.rollouts.create({
      id: `ro_${randomBytes(6).toString('hex')}`,
      version: b.version,
      target: b.devices,
      percent: b.percent,
      status: 'active',
      paused_reason: null,
      failure_threshold: b.failure_threshold ?? this.ctx.config.ROLLOUT_FAILURE_THRESHOLD,
      min_results: b.min_results ?? this.ctx.config.ROLLOUT_MIN_RESULTS,
      results: { successes: 0, failures: 0 },
      window: { successes: 0, failures: 0 },
      notes: b.notes,
      created_at: now,
      updated_at: now,
      paused_at: null,
    });
    this.ctx.logger.info({ rollout_id: rollout.id, version: rollout.version, percent: rollout.percent }, 'rollout created');
    return rolloutView(rollout, await this.fleet());
  }

  async listRollouts() {
    const [fleet, rollouts] = await Promise.all([this.fleet(), this.rollouts.list()]);
    return rollouts.map((r) => rolloutView(r, fleet));
  }

  async getRollout(id: string) {
    const r = await this.rollouts.get(id);
    if (!r) throw new NotFoundError(`rollout ${id} not found`, 'rollout_not_found');
    return rolloutView(r, await this.fleet());
  }

  async patchRollout(id: string, body: unknown) {
    const p = parseWith(patchRolloutSchema, body);
    if (p.devices !== undefined) await this.requireKnownDevices(p.devices);
    return this.updateRollout(id, { percent: p.percent, status: p.status, target: p.devices });
  }

  async updateRollout(id: string, patch: RolloutPatch) {
    const r = await this.rollouts.update(id, patch, this.ctx.clock.now());
    this.ctx.logger.info({ rollout_id: r.id, status: r.status, percent: r.percent }, 'rollout changed');
    return rolloutView(r, await this.fleet());
  }
}

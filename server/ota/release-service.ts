/**
 * Releases behind the routes: the image listing with each build's state and who changed it,
 * uploads (`PUT /ota/images/:version`, streamed into the image store), publish (every check of
 * publish-check.ts at that moment, the security-counter rule) and yank, each audited once with its
 * actor; the seeding of legacy builds at start; drafts for builds that arrive in FIRMWARE_DIR;
 * and the device-side gate: which build a device may be served at all (published, not yanked).
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import type { Actor } from '../audit/log.ts';
import type { AppContext } from '../context.ts';
import { ConflictError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.ts';
import { boundaryOf, collect, drain, readMultipart, type Part } from '../http/multipart.ts';
import { parseWith } from '../http/validate.ts';
import { OTA_IMAGE_MAX_BYTES, OTA_V1_MANIFEST_MAX_BYTES } from '../protocol/limits.ts';
import { checkImageEntry, type CatalogImage, type FirmwareCatalog } from './catalog.ts';
import { isFirmwareCheckError } from './checks.ts';
import type { LiveCatalog } from './live-catalog.ts';
import { ReleaseIndex } from './offers.ts';
import { checkForPublish } from './publish-check.ts';
import { checkCounter, draftRelease, legacyRelease, publish, shortBuild, yank, type Release, type ReleaseOrigin } from './releases.ts';
import type { ReleaseRepo } from './releases-repo.ts';
import type { PutOutcome } from './image-store.ts';
import type { VerificationKey } from './verification-key.ts';
import { semverString } from './service.ts';
import { verifyManifest } from './verify.ts';

export const publishSchema = z
  .object({
    allow_lower_counter: z.boolean().default(false).describe('Publish although a released build has a higher security counter.'),
    general: z.boolean().default(false).describe('Offer it to every device, not only through rollouts.'),
  })
  .strict();
export const yankSchema = z.object({ reason: z.string().max(500).optional().describe('Why: in the audit log and in the devices\' 410 message.') }).strict();

/** The manifest signature of a build with the gateway's key now, as the listing shows it. */
export interface SignatureCheck {
  status: 'valid' | 'invalid' | 'unchecked';
  problem?: string;
}

/** A chunk-hash table is 32 bytes per chunk, and chunks are at least 256 bytes. */
const HASHES_MAX_BYTES = (OTA_IMAGE_MAX_BYTES / 256) * 32;

export class ReleaseService {
  /** Signature checks shown in the listing, by build and key id (an RSA verify is not free). */
  private readonly signatureChecks = new Map<string, SignatureCheck>();
  /** Builds being uploaded on this replica: recorded by the upload once stored (origin `upload`). */
  private readonly uploading = new Set<string>();
  /** Drafts being recorded after catalog reloads, one reload after another: a listing waits for them. */
  private registering: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: AppContext,
    private readonly catalog: LiveCatalog,
    readonly repo: ReleaseRepo,
    readonly key: VerificationKey,
  ) {}

  async index(): Promise<ReleaseIndex> {
    return new ReleaseIndex(await this.repo.list());
  }

  /**
   * At start: the first time releases run on this store, the builds it holds become published
   * general releases (those whose signature checks out with the key KEYS_DIR holds, if it holds
   * one: an older gateway with a key never served the others); then every build without a record
   * becomes a draft, now and whenever the catalog reloads.
   */
  async start(): Promise<void> {
    const catalog = this.catalog.current;
    const { keys } = await this.key.current();
    const now = this.ctx.clock.now();
    const legacy = catalog.listImages().filter((i) => !keys || this.signature(i, keys).status === 'valid');
    const seeded = await this.repo.seedLegacy(legacy.map((i) => legacyRelease({ version: i.version, build: i.build, security_counter: i.header.securityCounter }, now)));
    for (const r of seeded) {
      await this.ctx.audit.record({ actor: 'system', action: 'release.published', details: { version: r.version, build: r.build, general: true, legacy: true } });
    }
    if (seeded.length > 0) this.ctx.logger.info({ versions: seeded.map((r) => r.version) }, 'images present before releases existed are published to every device');
    await this.registerDrafts(catalog);
    this.catalog.onReload((c) => {
      this.registering = this.registering
        .then(() => this.registerDrafts(c))
        .catch((err: unknown) => this.ctx.logger.error({ err }, 'recording new firmware builds failed'));
    });
  }

  /** A draft record (audited once, whichever replica) for each build the catalog lists without one. */
  async registerDrafts(catalog: FirmwareCatalog, origin: ReleaseOrigin = 'firmware_dir', by: Actor = 'system'): Promise<void> {
    const index = await this.index();
    for (const image of catalog.listImages()) {
      if (index.of(image) || this.uploading.has(image.build)) continue;
      const { created } = await this.repo.addDraft(this.draftOf(image, origin, by));
      if (created) await this.auditUploaded(image, origin, by);
    }
  }

  private draftOf(image: CatalogImage, origin: ReleaseOrigin, by: Actor): Release {
    return draftRelease({ version: image.version, build: image.build, security_counter: image.header.securityCounter }, origin, by, this.ctx.clock.now());
  }

  private auditUploaded(image: CatalogImage, origin: ReleaseOrigin, by: Actor) {
    return this.ctx.audit.record({
      actor: by,
      action: 'release.uploaded',
      details: { version: image.version, build: image.build, security_counter: image.header.securityCounter, origin },
    });
  }

  // ------------------------------------------------------------------------------------------
  // The listing

  private signature(image: CatalogImage, keys: NonNullable<Awaited<ReturnType<VerificationKey['current']>>['keys']>): SignatureCheck {
    const cacheKey = `${image.build}:${keys.keyId}`;
    let found = this.signatureChecks.get(cacheKey);
    if (!found) {
      try {
        verifyManifest(image.manifest, keys);
        found = { status: 'valid' };
      } catch (err) {
        found = { status: 'invalid', problem: isFirmwareCheckError(err) ? `${err.check}: ${err.message}` : (err as Error).message };
      }
      this.signatureChecks.set(cacheKey, found);
    }
    return found;
  }

  async images(activeRollouts: ReadonlyMap<string, string[]>) {
    const catalog = await this.catalog.fresh();
    // A build the catalog just found may not be recorded yet (that runs behind its reload): the
    // listing shows records once they are stored, not while their write is still on its way.
    await this.registering;
    await this.registerDrafts(catalog);
    const index = await this.index();
    const key = await this.key.current();
    return {
      success: true,
      dir: this.ctx.config.FIRMWARE_DIR,
      store: catalog.location,
      verification_key: key.keys ? { key_id: key.keys.keyId } : { key_id: null, problem: key.problem },
      count: catalog.listImages().length,
      images: catalog.listImages().map((i) => {
        const r = index.of(i);
        const state = r?.state ?? 'draft';
        const rollouts = activeRollouts.get(i.version) ?? [];
        return {
          version: i.version,
          build: i.build,
          state,
          general: r?.general ?? false,
          offered_to: state !== 'published' ? 'nobody' : r?.general ? 'everyone' : rollouts.length > 0 ? 'rollouts' : 'nobody yet (no rollout)',
          rollouts,
          security_counter: i.header.securityCounter,
          original_size: i.header.originalSize,
          encrypted_size: i.header.encryptedSize,
          chunk_size: i.header.chunkSize,
          total_chunks: i.header.totalChunks,
          etag: `"${i.root}"`,
          format_version: i.header.formatVersion,
          key_id: i.header.keyId,
          aes_key_id: i.header.aesKeyId,
          signature: key.keys ? this.signature(i, key.keys) : ({ status: 'unchecked', problem: 'no verification key' } as SignatureCheck),
          created_at: i.manifest.created_at,
          release_notes: i.manifest.release_notes,
          release: r ? releaseView(r) : null,
          replaces: index.replacedBuilds(i).map((x) => ({ build: x.build, state: x.state })),
        };
      }),
      problems: catalog.problems,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Upload, publish, yank

  /**
   * PUT /ota/images/:version, multipart/form-data: `manifest` (the manifest JSON), `hashes` (format
   * 2's chunk-hash table) and `image` (the encrypted image), in that order. The image streams into
   * the store, each chunk checked against its signed hash on the way; nothing is stored unless all
   * of it matches. A build of a version that was ever released under another build is refused.
   */
  async upload(versionText: string, contentType: string | undefined, contentLength: string | undefined, body: AsyncIterable<Uint8Array> | null, by: Actor) {
    const version = parseWith(semverString, versionText, 'invalid_version', { path: 'version' });
    const boundary = boundaryOf(contentType);
    if (!boundary) throw new UnsupportedMediaTypeError('send multipart/form-data with the parts manifest, hashes (format 2) and image');
    const max = OTA_V1_MANIFEST_MAX_BYTES + HASHES_MAX_BYTES + OTA_IMAGE_MAX_BYTES + 64 * 1024;
    if (contentLength !== undefined && Number(contentLength) > max) throw new PayloadTooLargeError(`body is ${contentLength} bytes; the limit is ${max}`);
    if (!body) throw new ValidationError('the body is empty', 'invalid_multipart');
    const parts = readMultipart(body, boundary);
    const next = async (name: string, optional = false): Promise<Part | undefined> => {
      const { value, done } = await parts.next();
      if (!done && value.name === name) return value;
      if (optional && !done) return value;
      throw new ValidationError(`expected the part "${name}"${done ? '' : `, got "${value.name}"`} (parts: manifest, hashes for format 2, image)`, 'invalid_multipart');
    };
    const manifestText = (await collect((await next('manifest'))!.body, OTA_V1_MANIFEST_MAX_BYTES, 'the manifest')).toString('utf8');
    let part = await next('hashes', true);
    let hashTable: Buffer | undefined;
    if (part?.name === 'hashes') {
      hashTable = await collect(part.body, HASHES_MAX_BYTES, 'the hash table');
      part = await next('image');
    }
    if (part?.name !== 'image') throw new ValidationError(`expected the part "image", got "${part?.name}"`, 'invalid_multipart');
    const size = (() => {
      try {
        return (JSON.parse(manifestText) as { encrypted_size?: unknown }).encrypted_size;
      } catch {
        return undefined;
      }
    })();
    let image: CatalogImage;
    try {
      image = checkImageEntry({ ref: 'upload', name: 'the uploaded manifest', version, manifestText, size: typeof size === 'number' ? size : undefined, hashTable });
    } catch (err) {
      if (isFirmwareCheckError(err)) throw err;
      throw new ValidationError(`the upload is not a packaged image: ${(err as Error).message}`, 'invalid_image');
    }
    if (image.size > OTA_IMAGE_MAX_BYTES) throw new PayloadTooLargeError(`the image is ${image.size} bytes; the limit is ${OTA_IMAGE_MAX_BYTES}`);
    const released = (await this.index()).all.find((r) => r.version === version && r.state !== 'draft' && r.build !== image.build);
    if (released) {
      throw new ConflictError(
        `firmware ${version} is ${released.state} as build ${shortBuild(released.build)}: a released version is never replaced; package the change as a new version`,
        'release_exists',
      );
    }
    // The record after the bytes, so a refused upload leaves no draft behind. The database store
    // commits it with the build (another replica never lists the build unrecorded); here, the
    // build is skipped by registerDrafts until recorded as this upload, not as a FIRMWARE_DIR
    // arrival. A crash in between leaves a stored build without a record: the next start records
    // it as a draft (registerDrafts), which is what it is.
    const draft = this.draftOf(image, 'upload', by);
    this.uploading.add(image.build);
    let outcome: PutOutcome;
    try {
      outcome = await this.ctx.store.firmware.put(image, capped(part.body, image.size), `upload by ${by} on ${hostname()}`, draft);
      if (outcome !== 'older') await this.repo.addDraft(draft);
    } finally {
      this.uploading.delete(image.build);
    }
    await drain(part); // a build stored already is not read again: the rest of its bytes go unread
    for (let rest = await parts.next(); !rest.done; rest = await parts.next()) await drain(rest.value);
    if (outcome === 'older') throw new ConflictError(`the store holds a build of ${version} packaged later than this one`, 'older_build');
    if (outcome === 'stored') await this.auditUploaded(image, 'upload', by);
    await this.catalog.reload();
    const r = (await this.index()).of(image)!;
    return { status: outcome === 'stored' ? 201 : 200, body: { success: true, outcome, release: releaseView(r) } };
  }

  /** The build the store holds for `version` now (admin routes reload for a version just stored). */
  private async imageOf(versionText: string): Promise<CatalogImage> {
    const version = parseWith(semverString, versionText, 'invalid_version', { path: 'version' });
    return (await this.catalog.freshWith(version)).requireImage(version);
  }

  async publish(versionText: string, body: unknown, by: Actor) {
    const opts = parseWith(publishSchema, body);
    const image = await this.imageOf(versionText);
    let index = await this.index();
    let record = index.of(image);
    if (!record) {
      ({ release: record } = await this.repo.addDraft(this.draftOf(image, this.ctx.store.firmware.kind === 'directory' ? 'firmware_dir' : 'upload', by)));
      index = await this.index();
    }
    // Nothing to check for a no-op (publishing again), nor for a refusal the rule decides alone.
    const noop = publish(record, by, this.ctx.clock.now(), opts);
    if (noop.changed && record.state === 'draft') {
      checkCounter(record, index.all, opts.allow_lower_counter);
      await checkForPublish(image, await this.key.current(), this.ctx.store.firmware);
    }
    const out = await this.repo.change(image.version, image.build, (r) => publish(r, by, this.ctx.clock.now(), opts));
    if (!out) throw new NotFoundError(`firmware ${image.version} build ${shortBuild(image.build)} is not recorded`, 'firmware_not_found');
    if (out.changed) {
      await this.ctx.audit.record({
        actor: by,
        action: 'release.published',
        details: { version: image.version, build: image.build, security_counter: image.header.securityCounter, general: out.release.general, allow_lower_counter: opts.allow_lower_counter },
      });
      this.ctx.logger.info({ version: image.version, build: image.build, general: out.release.general, by }, 'firmware release published');
    }
    return { success: true, changed: out.changed, release: releaseView(out.release) };
  }

  /** Yanks every published build of the version (normally one). */
  async yank(versionText: string, body: unknown, by: Actor) {
    const version = parseWith(semverString, versionText, 'invalid_version', { path: 'version' });
    const { reason } = parseWith(yankSchema, body);
    const records = (await this.index()).all.filter((r) => r.version === version);
    if (records.length === 0) {
      (await this.catalog.freshWith(version)).requireImage(version); // 404 for an unknown version
      throw new ConflictError(`firmware ${version} is a draft: only a published release can be yanked`, 'not_published');
    }
    const targets = records.filter((r) => r.state !== 'draft');
    if (targets.length === 0) throw new ConflictError(`firmware ${version} is a draft: only a published release can be yanked`, 'not_published');
    const changed: Release[] = [];
    let last: Release = targets[0]!;
    for (const t of targets) {
      const out = await this.repo.change(t.version, t.build, (r) => yank(r, by, this.ctx.clock.now(), reason ?? null));
      if (!out) continue;
      last = out.release;
      if (out.changed) changed.push(out.release);
    }
    if (changed.length > 0) {
      await this.ctx.audit.record({ actor: by, action: 'release.yanked', details: { version, builds: changed.map((r) => r.build), reason: reason ?? null } });
      this.ctx.logger.warn({ version, by, reason }, 'firmware release yanked: no new download starts, downloads under way are refused');
    }
    return { success: true, changed: changed.length > 0, release: releaseView(changed.at(-1) ?? last) };
  }
}

/** The image part, refused past `size` bytes (the store checks the exact length and every chunk). */
async function* capped(pieces: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const p of pieces) {
    total += p.length;
    if (total > size) throw new PayloadTooLargeError(`the image part is longer than the manifest's encrypted_size (${size} bytes)`);
    yield p;
  }
}

export function releaseView(r: Release) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
  return {
    version: r.version,
    build: r.build,
    state: r.state,
    general: r.general,
    security_counter: r.security_counter,
    origin: r.origin,
    recorded_at: iso(r.created_at),
    recorded_by: r.created_by,
    published_at: isoOrNull(r.published_at),
    published_by: r.published_by,
    yanked_at: isoOrNull(r.yanked_at),
    yanked_by: r.yanked_by,
    yank_reason: r.yank_reason,
  };
}

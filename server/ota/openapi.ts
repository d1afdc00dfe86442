/**
 * OpenAPI descriptions of the OTA routes (routes.ts and serve-download.ts beside this file):
 * device routes (check, sessions and chunks, the streaming path's manifest, hash pages and byte
 * ranges), releases (upload, publish, yank, the listing) and rollouts. Manifests are described by
 * the schemas they are parsed with (manifest.ts); request bodies by the services' own
 * (service.ts, release-service.ts, rollout-service.ts).
 */
import { z } from 'zod';
import type { Config } from '../config.ts';
import { deviceIdParam, isoTime, keyed, success } from '../openapi/common.ts';
import { agrees, type Agree, type Auth, type ParamDoc, type RouteDocs } from '../openapi/describe.ts';
import { OTA_PAGE_HEADER_SIZE, OTA_PAGE_MAGIC } from '../protocol/limits.ts';
import type { Actor } from '../audit/log.ts';
import type { CatalogProblem } from './catalog.ts';
import type { ImageCacheStats } from './image-cache.ts';
import { firmwareManifestSchema, manifestV1Schema, manifestV2Schema, MAX_U32 } from './manifest.ts';
import { OTA_IMAGE_MAX_BYTES } from '../protocol/limits.ts';
import type { Target } from '../devices/tags.ts';
import { publishSchema, yankSchema, type releaseView, type ReleaseService } from './release-service.ts';
import type { RolloutFigures } from './rollout-progress.ts';
import { createRolloutSchema, patchRolloutSchema, type RolloutService } from './rollout-service.ts';
import type { StepGates } from './rollout-steps.ts';
import type { RolloutStep } from './rollouts.ts';
import { completeSchema, initiateSchema, SEMVER_PATTERN, type checkView } from './service.ts';
import type { sessionView } from './sessions.ts';
import type { VersionCounters } from './state.ts';

const count = z.number().int().min(0);
const versionString = z.string().describe('A firmware version (SemVer).');
const versionParam: ParamDoc = { schema: { type: 'string', pattern: SEMVER_PATTERN, maxLength: 64 }, description: 'The firmware version (SemVer, no build metadata).' };

/** What /ota/check shows of a manifest: format 1 without its chunk table, format 2 without its page counts. */
const checkedManifest = z.discriminatedUnion('format_version', [manifestV1Schema.omit({ chunk_hashes: true }), manifestV2Schema.omit({ page_entries: true, total_pages: true })]);
agrees<Agree<typeof checkedManifest, ReturnType<typeof checkView>>>();

const offerFields = { update_available: z.literal(true), current_version: versionString, latest_version: versionString, firmware_size: count, rollout_id: z.string().nullable() };
const checkAnswer = z.union([
  z.object({
    update_available: z.literal(false),
    current_version: versionString,
    latest_version: versionString.nullable(),
    reason: z.enum(['up_to_date', 'no_eligible_image']),
  }),
  // The manifest's members next to the offer's (at most 22, no arrays: small device JSON parsers).
  manifestV1Schema.omit({ chunk_hashes: true }).extend(offerFields),
  manifestV2Schema.omit({ page_entries: true, total_pages: true }).extend(offerFields),
]);

const otaResult = z.object({ version: versionString, success: z.boolean(), error: z.string().nullable(), at: isoTime });
const sessionSchema = z.object({
  session_id: z.string(),
  device_id: z.string(),
  version: versionString,
  status: z.enum(['active', 'completed', 'failed', 'replaced', 'abandoned']),
  rollout_id: z.string().nullable(),
  started_at: isoTime,
  last_activity_at: isoTime,
  finished_at: isoTime.nullable(),
  idle_seconds: count,
  stale: z.boolean().describe('Active but idle longer than OTA_SESSION_IDLE_SECONDS.'),
  total_chunks: count,
  next_chunk: count,
  chunks_served: count,
  refetches: count,
  progress_percent: z.number().min(0).max(100),
  bytes_served: count,
  encrypted_size: count,
  error: z.string().nullable(),
});
agrees<Agree<typeof sessionSchema, ReturnType<typeof sessionView>>>();

const results = z.object({ successes: count, failures: count, total: count, failure_rate: z.number().min(0).max(1) });
const tagTarget = z.string().regex(/^tag:[a-z0-9_.:-]{1,64}$/) as unknown as z.ZodType<`tag:${string}`>;
const target = z.union([z.literal('all'), tagTarget, z.array(z.string())]).describe('"all", "tag:<tag>" or listed device ids.');
agrees<Agree<typeof target, Target>>();
const step = z.object({
  percent: z.number().min(0).max(100).optional(),
  target: target.optional(),
  after_success: z.number().min(0).max(1).optional(),
  min_results: count.optional(),
  soak_seconds: count.optional(),
});
agrees<Agree<typeof step, RolloutStep>>();
const gates = z.object({ after_success: z.number().min(0).max(1), min_results: count, soak_seconds: count });
agrees<Agree<typeof gates, StepGates>>();
const rolloutStatus = z.enum(['active', 'paused', 'completed', 'cancelled']);
const pausedReason = z.enum(['manual', 'failure_threshold', 'step_success_rate']);
const rolloutSchema = z.object({
  id: z.string(),
  version: versionString,
  target,
  devices: target.describe('The older name of `target`.'),
  percent: z.number().min(0).max(100).describe('The share of the target the steps reached so far cover.'),
  steps: z.array(step),
  step: z.object({
    index: count,
    of: count,
    started_at: isoTime,
    results: z.object({ successes: count, failures: count, total: count }).describe('Results since this step started (or the last resume): what the next step judges.'),
    next: step.extend({ index: count, gates }).nullable(),
    waiting_for: z.array(z.string()).describe('What the steering job waits for before judging the next step.'),
  }),
  status: rolloutStatus,
  paused_reason: pausedReason.nullable(),
  failure_threshold: z.number().min(0).max(1),
  min_results: z.number().int().min(1),
  device_deadline_seconds: count,
  results: results.describe('Every result since creation.'),
  window: results.describe('Results since creation or the last resume: what the auto-pause rule judges.'),
  notes: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
  paused_at: isoTime.nullable(),
  finished_at: isoTime.nullable(),
  finish_reason: z.enum(['all_devices_done', 'cancelled', 'release_yanked']).nullable(),
  covered_devices: count.optional().describe('Active devices the rollout offers its version to now.'),
  fleet_devices: count.optional(),
});
agrees<Agree<typeof rolloutSchema, ReturnType<RolloutService['view']>>>();
const figures = z.object({
  targeted: count.describe('Devices covered now.'),
  in_target: count,
  offered: count,
  downloading: count,
  succeeded: count,
  failed: count,
  failed_by_error: keyed(count).describe('Failed devices by the code of their last error (rolled_back, chunk_hash, …).'),
  done: count,
  past_deadline: count,
  pending: count,
});
agrees<Agree<typeof figures, RolloutFigures>>();
const rolloutDetail = rolloutSchema.extend({ figures: figures.extend({ failure_rate: z.number().min(0).max(1), failure_threshold: z.number().min(0).max(1) }) });
agrees<Agree<typeof rolloutDetail, Awaited<ReturnType<RolloutService['show']>>>>();
const changedRollout = success({ rollout: rolloutSchema.extend({ changed: z.boolean().describe('False when the rollout was in that state already (nothing recorded).') }) });
const oneRollout = success({ rollout: rolloutSchema });

const actor = (z.string() as unknown as z.ZodType<Actor>).describe('token:<name>, system, …');
const releaseSchema = z.object({
  version: versionString,
  build: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 of the signed manifest header.'),
  state: z.enum(['draft', 'published', 'yanked']),
  general: z.boolean(),
  security_counter: count,
  origin: z.enum(['legacy', 'upload', 'firmware_dir']),
  recorded_at: isoTime,
  recorded_by: actor,
  published_at: isoTime.nullable(),
  published_by: actor.nullable(),
  yanked_at: isoTime.nullable(),
  yanked_by: actor.nullable(),
  yank_reason: z.string().nullable(),
});
agrees<Agree<typeof releaseSchema, ReturnType<typeof releaseView>>>();

const versionCounters = z.object({
  sessions_started: count,
  sessions_resumed: count,
  sessions_replaced: count,
  successes: count,
  failures: count,
  chunks_served: count,
  chunk_bytes: count,
  downloads: count.describe('Answers with image bytes from GET /ota/firmware/:version.'),
  download_bytes: count,
});
agrees<Agree<typeof versionCounters, VersionCounters>>();
const sessionCounts = { active_sessions: count, stale_sessions: count, completed_sessions: count, failed_sessions: count };

const cacheStats = z.object({ max_bytes: count, cached_bytes: count, cached_images: count, streamed_images: count, hits: count, loads: count });
agrees<Agree<typeof cacheStats, ImageCacheStats>>();
const problem = z.object({ file: z.string(), reason: z.string() });
agrees<Agree<typeof problem, CatalogProblem>>();

const hexId = z.string().regex(/^[0-9a-f]+$/);
const imageSchema = z.object({
  version: versionString,
  build: z.string(),
  state: z.enum(['draft', 'published', 'yanked']),
  general: z.boolean(),
  offered_to: z.string().describe('everyone (general), rollouts, nobody yet (no rollout), nobody (a draft or yanked).'),
  rollouts: z.array(z.string()).describe('Active or completed rollouts offering this version.'),
  security_counter: count,
  original_size: count,
  encrypted_size: count,
  chunk_size: count,
  total_chunks: count,
  etag: z.string().describe('The strong ETag downloads carry (the signed chunk or hash root).'),
  format_version: z.union([z.literal(1), z.literal(2)]),
  key_id: hexId,
  aes_key_id: hexId,
  signature: z.object({ status: z.enum(['valid', 'invalid', 'unchecked']), problem: z.string().optional() }).describe("The manifest signature with the gateway's verification key now."),
  created_at: z.string(),
  release_notes: z.string(),
  release: releaseSchema.nullable(),
  replaces: z.array(z.object({ build: z.string(), state: z.enum(['draft', 'published', 'yanked']) })).describe('Released builds of this version the current one replaced.'),
  cached: z.boolean(),
});
const imagesAnswer = success({
  dir: z.string(),
  store: z.string(),
  verification_key: z.object({ key_id: hexId.nullable(), problem: z.string().optional() }),
  count,
  images: z.array(imageSchema),
  problems: z.array(problem),
});
type ImagesBuilt = Awaited<ReturnType<ReleaseService['images']>>;
agrees<Agree<typeof imageSchema, ImagesBuilt['images'][number] & { cached: boolean }>>();
const releaseAnswer = success({ changed: z.boolean(), release: releaseSchema });
const uploadBody = {
  type: 'object',
  required: ['manifest', 'image'],
  properties: {
    manifest: { type: 'string', contentMediaType: 'application/json', description: 'firmware_<version>_manifest.json as packaged.' },
    hashes: { type: 'string', contentMediaType: 'application/octet-stream', description: 'Format 2: the chunk-hash table (firmware_<version>_hashes.bin).' },
    image: { type: 'string', contentMediaType: 'application/octet-stream', description: `The encrypted image (at most ${OTA_IMAGE_MAX_BYTES} bytes).` },
  },
  description: 'Parts in this order: manifest, hashes (format 2), image. The image is streamed into the store, each chunk checked against its signed hash.',
};

/** Device routes that serve a build: a draft or a release not offered to the device, a yanked one. */
const servingErrors = { 409: ['not_assigned'], 410: ['yanked'] } as const;
const imageErrors = { 404: ['firmware_not_found'], 409: ['security_counter_too_low'] } as const;

export function otaDocs(config: Config): RouteDocs {
  const downloadAuth: Auth[] = config.OTA_PUBLIC_DOWNLOADS ? ['device', 'admin', 'open'] : ['device', 'admin'];
  return {
    'GET /ota/check/:device_id': {
      summary: 'Device: is there an update for me?',
      description:
        "Offers the highest version of the device's offer set — active or completed rollouts covering it, and published general releases — that is newer (SemVer) than the one it runs; never a draft, a yanked release, or one below its security-counter floor. Reporting `security_counter` raises the floor.",
      auth: 'device',
      query: {
        version: { ...versionParam, required: true, description: 'The version the device runs.' },
        security_counter: { schema: { type: 'integer', minimum: 0, maximum: MAX_U32 }, description: "The running image's security counter." },
      },
      responses: { 200: { description: 'The offer (with the manifest\'s members when there is one).', schema: checkAnswer } },
      errors: { 400: ['invalid_version', 'invalid_security_counter'] },
    },
    'POST /ota/initiate/:device_id': {
      summary: 'Device: start or resume a download session (JSON chunk route)',
      description:
        'One session per device: the same image resumes it; an idle one (OTA_SESSION_IDLE_SECONDS) is replaced; another version while one is active is a 409. Only a version offered to the device (409 `not_assigned`), never a yanked one (410).',
      auth: 'device',
      body: { schema: initiateSchema },
      responses: {
        200: {
          description: 'The session, with the full manifest (format 1: its chunk table).',
          schema: success({
            session_id: z.string(),
            version: versionString,
            outcome: z.enum(['created', 'resumed', 'replaced']),
            resumed: z.boolean(),
            next_chunk: count,
            total_chunks: count,
            chunk_size: count,
            encrypted_size: count,
            idle_timeout_seconds: z.number().min(0),
            manifest: firmwareManifestSchema,
          }),
        },
      },
      errors: { 400: ['invalid_request'], 404: ['firmware_not_found'], 409: ['security_counter_too_low', 'ota_session_active', 'not_assigned'], 410: ['yanked'] },
    },
    'GET /ota/chunk/:device_id': {
      summary: 'Device: one chunk as base64 JSON',
      description: "Check `chunk_sha256` (the signed table's entry) before using the bytes; a mismatch means fetch it again.",
      auth: 'device',
      query: {
        version: { ...versionParam, required: true },
        chunk: { schema: { type: 'integer', minimum: 0 }, required: true, description: 'The chunk index, from 0 (416 past the last).' },
      },
      responses: {
        200: {
          description: 'The chunk.',
          schema: success({
            version: versionString,
            chunk_index: count,
            chunk_size: count,
            total_chunks: count,
            chunk_sha256: z.string().regex(/^[0-9a-f]{64}$/),
            chunk_data: z.string().describe('Base64 of the encrypted bytes.'),
          }),
        },
      },
      errors: {
        400: ['invalid_version', 'invalid_chunk'],
        404: ['firmware_not_found'],
        409: ['no_ota_session', 'ota_session_version_mismatch', 'ota_image_changed'],
        410: ['yanked'],
        416: ['range_not_satisfiable'],
      },
    },
    'POST /ota/complete/:device_id': {
      summary: 'Device: report the result of an update',
      description: 'Either `{"success", "error"?, "version"?}` or `{"version", "status", "check"?, "detail"?}`. Without a version, the active session\'s is meant. Failures count toward the rollout\'s auto-pause.',
      auth: 'device',
      body: { schema: completeSchema },
      responses: {
        200: {
          description: 'Recorded (a repeat of the same report is not counted again).',
          schema: success({
            recorded: z.enum(['success', 'failure']),
            counted: z.boolean(),
            version: versionString,
            session_id: z.string().nullable(),
            current_version: versionString.nullable(),
            rollout: z.object({ id: z.string(), status: rolloutStatus, paused_reason: pausedReason.nullable() }).nullable(),
          }),
        },
      },
      errors: { 400: ['invalid_request'], 409: ['no_ota_session'] },
    },
    'GET /ota/manifest/:version': {
      summary: 'Device: the signed manifest (streaming path)',
      description: 'Format 2: at most 4 KiB whatever the image size; verify it before fetching hash pages and byte ranges (server/ota/SPEC.md §11).',
      auth: 'device',
      params: { version: versionParam },
      responses: { 200: { description: 'The manifest.', schema: firmwareManifestSchema } },
      errors: { ...imageErrors, 400: ['invalid_version'], 409: [...imageErrors[409], ...servingErrors[409]], 410: servingErrors[410] },
    },
    'GET /ota/hashes/:version': {
      summary: 'Device: a hash page with its inclusion proof (binary)',
      description: `"${OTA_PAGE_MAGIC}" answer (${OTA_PAGE_HEADER_SIZE}-byte header, the page's chunk digests, the proof): server/ota/SPEC.md §11.3.`,
      auth: 'device',
      params: { version: versionParam },
      query: { page: { schema: { type: 'integer', minimum: 0 }, required: true, description: 'The page index, from 0 (416 past the last).' } },
      responses: { 200: { description: 'The page.', contentType: 'application/octet-stream', schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
      errors: { 400: ['invalid_version', 'invalid_page'], 404: ['firmware_not_found'], 409: ['security_counter_too_low', 'no_hash_pages', 'not_assigned'], 410: ['yanked'], 416: ['range_not_satisfiable'] },
    },
    'GET /ota/firmware/:version': {
      summary: 'Download the encrypted image (byte ranges)',
      description: [
        `A signed device request (a version offered to it: 409 \`not_assigned\` otherwise), an admin token (any build, drafts included)${config.OTA_PUBLIC_DOWNLOADS ? ', or nothing (OTA_PUBLIC_DOWNLOADS=1: published releases)' : ''}. A yanked release is 410 to all but admins. Single byte ranges (206), If-Range, If-None-Match (304).`,
        'A device\'s answer is signed over "<ETag> <Content-Range>" (206) or "<ETag> <Content-Length>" (200) instead of its body; a retransmission is served the extent the original got (server/ota/SPEC.md §10).',
      ].join('\n\n'),
      auth: downloadAuth,
      params: { version: { schema: { type: 'string' }, description: 'The firmware version.' } },
      headers: {
        Range: { schema: { type: 'string' }, description: 'One range, `bytes=<first>-[<last>]` or `bytes=-<suffix>` (others are ignored: whole image).' },
        'If-Range': { schema: { type: 'string' }, description: 'The ETag: the range only if the image is still that one.' },
        'If-None-Match': { schema: { type: 'string' }, description: 'An ETag: 304 if it is still current.' },
      },
      head: 'Size and ETag of the encrypted image',
      responses: {
        200: { description: 'The whole image.', contentType: 'application/octet-stream', schema: { type: 'string', contentMediaType: 'application/octet-stream' }, headers: downloadHeaders(false) },
        206: { description: 'One range.', contentType: 'application/octet-stream', schema: { type: 'string', contentMediaType: 'application/octet-stream' }, headers: downloadHeaders(true) },
        304: { description: 'Not modified (If-None-Match).', headers: { ETag: downloadHeaders(false).ETag! } },
      },
      errors: { 404: ['firmware_not_found'], 409: ['image_changed', 'not_assigned'], 410: ['yanked'], 416: ['range_not_satisfiable'] },
    },
    'GET /ota/images': {
      summary: 'Every build, its release state and who changed it',
      description: "Builds whose manifest is consistent, each with its state (draft, published, yanked), who recorded, published and yanked it and when, who it is offered to, and its signature with the gateway's key now; anything inconsistent is listed under `problems`, never served.",
      auth: 'admin',
      responses: { 200: { description: 'The catalog.', schema: imagesAnswer } },
    },
    'PUT /ota/images/:version': {
      summary: 'Upload a build (a draft)',
      description: 'A draft: stored, downloadable by admins, offered to no device until published. A version that was ever released under another build is never replaced (409 `release_exists`).',
      auth: 'admin',
      params: { version: versionParam },
      body: { schema: uploadBody, contentType: 'multipart/form-data' },
      responses: {
        201: { description: 'Stored.', schema: success({ outcome: z.literal('stored'), release: releaseSchema }) },
        200: { description: 'This build was stored already.', schema: success({ outcome: z.enum(['unchanged']), release: releaseSchema }) },
      },
      errors: {
        400: ['invalid_version', 'invalid_multipart', 'invalid_image', 'firmware_check_failed'],
        409: ['release_exists', 'older_build'],
        413: ['payload_too_large'],
        415: ['unsupported_media_type'],
      },
    },
    'POST /ota/images/:version/publish': {
      summary: 'Publish a build',
      description:
        "Checks the build now — the manifest signature with the gateway's verification key as KEYS_DIR holds it, the header against the JSON, the chunk-hash table, every stored ciphertext chunk — and the security-counter rule; a 409 names the failing check. Publishing again changes nothing (`changed: false`).",
      auth: 'admin',
      params: { version: versionParam },
      body: { schema: publishSchema, required: false },
      responses: { 200: { description: 'Published.', schema: releaseAnswer } },
      errors: {
        400: ['invalid_version', 'invalid_request'],
        404: ['firmware_not_found'],
        409: ['release_yanked', 'lower_security_counter', 'no_verification_key', 'signature_invalid', 'manifest_invalid', 'hash_table_mismatch', 'chunk_hash_mismatch', 'image_size_mismatch'],
      },
    },
    'POST /ota/images/:version/yank': {
      summary: 'Withdraw a published release',
      description: 'No new download starts; every device route answers 410 `yanked`, downloads in progress at their next request. Final: a yanked release is never published again.',
      auth: 'admin',
      params: { version: versionParam },
      body: { schema: yankSchema, required: false },
      responses: { 200: { description: 'Yanked (`changed: false` when it was already).', schema: releaseAnswer } },
      errors: { 400: ['invalid_version', 'invalid_request'], 404: ['firmware_not_found'], 409: ['not_published'] },
    },
    'GET /ota/status/:device_id': {
      summary: "A device's OTA state",
      auth: 'admin',
      params: { device_id: deviceIdParam },
      responses: {
        200: {
          description: 'Versions, counters, offer, results and session.',
          schema: success({
            device_id: z.string(),
            current_version: versionString.nullable(),
            security_counter_floor: count,
            reported_counter: count,
            completed_counter: count,
            last_check_at: isoTime.nullable(),
            offered_version: versionString.nullable(),
            update_available: z.boolean(),
            rollout_id: z.string().nullable(),
            successes: count,
            failures: count,
            last_result: otaResult.nullable(),
            history: z.array(otaResult).describe('The latest results, newest first (at most 10; a repeated report is not a new one).'),
            session: sessionSchema.nullable(),
          }),
        },
      },
      errors: { 400: ['invalid_device_id'], 404: ['unknown_device'] },
    },
    'GET /ota/stats': {
      summary: 'OTA counters per version, active sessions, image cache',
      auth: 'admin',
      responses: {
        200: {
          description: 'The statistics.',
          schema: success({
            totals: versionCounters.extend({ ...sessionCounts, bytes_served: count }),
            versions: keyed(versionCounters.extend(sessionCounts)),
            active_sessions: z.array(sessionSchema),
            cache: cacheStats,
          }),
        },
      },
    },
    'POST /ota/rollouts': {
      summary: 'Start a rollout',
      description:
        'Offers a published release to a target ("all", "tag:<tag>", device ids) step by step: `percent` (one step) or `steps`, each a stable percent of the target or a target within it, entered when the previous step has `min_results` results, `after_success` success rate and `soak_seconds`. The steering job advances, pauses, completes; it pauses itself when the failure rate passes `failure_threshold` after `min_results` results.',
      auth: 'admin',
      body: { schema: createRolloutSchema },
      responses: { 201: { description: 'Created.', schema: oneRollout } },
      errors: { 400: ['invalid_request'], 404: ['firmware_not_found', 'unknown_device'], 409: ['release_not_published'] },
    },
    'GET /ota/rollouts': {
      summary: 'List rollouts (finished ones too)',
      auth: 'admin',
      responses: { 200: { description: 'Every rollout.', schema: success({ count, rollouts: z.array(rolloutSchema) }) } },
    },
    'GET /ota/rollouts/:id': {
      summary: 'Show a rollout with its figures',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      responses: { 200: { description: 'The rollout, with devices by stage, failures by error and completion.', schema: success({ rollout: rolloutDetail }) } },
      errors: { 404: ['rollout_not_found'] },
    },
    'PATCH /ota/rollouts/:id': {
      summary: 'Change a rollout (a wider percent, its target, pause or resume)',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      body: { schema: patchRolloutSchema },
      responses: { 200: { description: 'The rollout after the change.', schema: changedRollout } },
      errors: { 400: ['invalid_request'], 404: ['rollout_not_found', 'unknown_device'], 409: ['rollout_finished', 'percent_decrease', 'rollout_has_steps'] },
    },
    'DELETE /ota/rollouts/:id': {
      summary: 'Delete a rollout no device has started',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      responses: { 200: { description: 'Deleted.', schema: success({ deleted: z.string() }) } },
      errors: { 404: ['rollout_not_found'], 409: ['rollout_started'] },
    },
    'POST /ota/rollouts/:id/pause': {
      summary: 'Pause a rollout',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      responses: { 200: { description: 'Paused.', schema: changedRollout } },
      errors: { 404: ['rollout_not_found'], 409: ['rollout_finished'] },
    },
    'POST /ota/rollouts/:id/resume': {
      summary: 'Resume a rollout (its failure window and its step start again)',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      responses: { 200: { description: 'Active again.', schema: changedRollout } },
      errors: { 404: ['rollout_not_found'], 409: ['rollout_finished'] },
    },
    'POST /ota/rollouts/:id/cancel': {
      summary: 'Cancel a rollout (it stays in the history)',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      responses: { 200: { description: 'Cancelled.', schema: changedRollout } },
      errors: { 404: ['rollout_not_found'] },
    },
  };
}

function rolloutIdParam(): ParamDoc {
  return { schema: { type: 'string', minLength: 1 }, description: 'The rollout id (`ro_…`).' };
}

function downloadHeaders(partial: boolean): Record<string, ParamDoc> {
  return {
    ETag: { schema: { type: 'string' }, description: "The image's strong ETag (its signed root)." },
    'Accept-Ranges': { schema: { const: 'bytes' }, description: 'Byte ranges are served.' },
    'Content-Length': { schema: { type: 'string', pattern: '^\\d+$' }, description: 'Bytes in this answer.' },
    ...(partial ? { 'Content-Range': { schema: { type: 'string', pattern: '^bytes \\d+-\\d+/\\d+$' }, description: 'The range served.' } } : {}),
  };
}

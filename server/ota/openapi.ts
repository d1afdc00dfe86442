/**
 * OpenAPI descriptions of the OTA routes (routes.ts and serve-download.ts beside this file):
 * device routes (check, sessions and chunks, the streaming path's manifest, hash pages and byte
 * ranges) and the admin views and rollouts. Manifests are described by the schemas they are parsed
 * with (manifest.ts); request bodies by the service's own (service.ts).
 */
import { z } from 'zod';
import type { Config } from '../config.ts';
import { deviceIdParam, isoTime, keyed, success } from '../openapi/common.ts';
import { agrees, type Agree, type Auth, type ParamDoc, type RouteDocs } from '../openapi/describe.ts';
import { OTA_PAGE_HEADER_SIZE, OTA_PAGE_MAGIC } from '../protocol/limits.ts';
import type { CatalogProblem } from './catalog.ts';
import type { ImageCacheStats } from './image-cache.ts';
import { firmwareManifestSchema, manifestV1Schema, manifestV2Schema, MAX_U32 } from './manifest.ts';
import type { rolloutView } from './rollouts.ts';
import { completeSchema, createRolloutSchema, initiateSchema, patchRolloutSchema, SEMVER_PATTERN, type checkView } from './service.ts';
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

const sessionSchema = z.object({
  session_id: z.string(),
  device_id: z.string(),
  version: versionString,
  status: z.enum(['active', 'completed', 'failed', 'replaced']),
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
const rolloutSchema = z.object({
  id: z.string(),
  version: versionString,
  devices: z.union([z.literal('all'), z.array(z.string())]).describe('"all" or the listed device ids.'),
  percent: z.number().min(0).max(100),
  status: z.enum(['active', 'paused']),
  paused_reason: z.enum(['manual', 'failure_threshold']).nullable(),
  failure_threshold: z.number().min(0).max(1),
  min_results: z.number().int().min(1),
  results: results.describe('Every result since creation.'),
  window: results.describe('Results since creation or the last resume: what the auto-pause rule judges.'),
  notes: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
  paused_at: isoTime.nullable(),
  covered_devices: count.optional().describe('Active devices the rollout offers its version to now.'),
  fleet_devices: count.optional(),
});
agrees<Agree<typeof rolloutSchema, ReturnType<typeof rolloutView>>>();
const oneRollout = success({ rollout: rolloutSchema });

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
  security_counter: count,
  original_size: count,
  encrypted_size: count,
  chunk_size: count,
  total_chunks: count,
  etag: z.string().describe('The strong ETag downloads carry (the signed chunk or hash root).'),
  format_version: z.union([z.literal(1), z.literal(2)]),
  key_id: hexId,
  aes_key_id: hexId,
  created_at: z.string(),
  release_notes: z.string(),
  held_by_rollout: z.boolean().describe('A rollout targets this version: only its devices are offered it.'),
  cached: z.boolean(),
});

const imageErrors = { 404: ['firmware_not_found'], 409: ['security_counter_too_low'] } as const;

export function otaDocs(config: Config): RouteDocs {
  const downloadAuth: Auth[] = config.OTA_PUBLIC_DOWNLOADS ? ['device', 'admin', 'open'] : ['device', 'admin'];
  return {
    'GET /ota/check/:device_id': {
      summary: 'Device: is there an update for me?',
      description:
        "Offers the device's rollout version, else the newest image no rollout holds back; never one below its security-counter floor, never a lower SemVer than it runs. Reporting `security_counter` raises the floor.",
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
      description: 'One session per device: the same image resumes it; an idle one (OTA_SESSION_IDLE_SECONDS) is replaced; another version while one is active is a 409.',
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
      errors: { 400: ['invalid_request'], 404: ['firmware_not_found'], 409: ['security_counter_too_low', 'ota_session_active'] },
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
      errors: { 400: ['invalid_version', 'invalid_chunk'], 404: ['firmware_not_found'], 416: ['range_not_satisfiable'] },
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
            rollout: z.object({ id: z.string(), status: z.enum(['active', 'paused']), paused_reason: z.enum(['manual', 'failure_threshold']).nullable() }).nullable(),
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
      errors: { ...imageErrors, 400: ['invalid_version'] },
    },
    'GET /ota/hashes/:version': {
      summary: 'Device: a hash page with its inclusion proof (binary)',
      description: `"${OTA_PAGE_MAGIC}" answer (${OTA_PAGE_HEADER_SIZE}-byte header, the page's chunk digests, the proof): server/ota/SPEC.md §11.3.`,
      auth: 'device',
      params: { version: versionParam },
      query: { page: { schema: { type: 'integer', minimum: 0 }, required: true, description: 'The page index, from 0 (416 past the last).' } },
      responses: { 200: { description: 'The page.', contentType: 'application/octet-stream', schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
      errors: { 400: ['invalid_version', 'invalid_page'], 404: ['firmware_not_found'], 409: ['security_counter_too_low', 'no_hash_pages'], 416: ['range_not_satisfiable'] },
    },
    'GET /ota/firmware/:version': {
      summary: 'Download the encrypted image (byte ranges)',
      description: [
        `A signed device request, an admin token${config.OTA_PUBLIC_DOWNLOADS ? ', or nothing (OTA_PUBLIC_DOWNLOADS=1)' : ''}. Single byte ranges (206), If-Range, If-None-Match (304).`,
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
      errors: { 404: ['firmware_not_found'], 409: ['image_changed'], 416: ['range_not_satisfiable'] },
    },
    'GET /ota/images': {
      summary: 'The firmware catalog',
      description: 'Images that passed their checks; anything that failed is listed under `problems`, never served.',
      auth: 'admin',
      responses: {
        200: {
          description: 'The catalog.',
          schema: success({ dir: z.string(), store: z.string(), count, images: z.array(imageSchema), problems: z.array(problem) }),
        },
      },
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
            last_result: z.object({ version: versionString, success: z.boolean(), error: z.string().nullable(), at: isoTime }).nullable(),
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
      description: 'Offers `version` to a stable `percent` of the target (each device has a fixed bucket per rollout); pauses itself when the failure rate passes `failure_threshold` after `min_results` results.',
      auth: 'admin',
      body: { schema: createRolloutSchema },
      responses: { 201: { description: 'Created.', schema: oneRollout } },
      errors: { 400: ['invalid_request'], 404: ['firmware_not_found', 'unknown_device'] },
    },
    'GET /ota/rollouts': {
      summary: 'List rollouts',
      auth: 'admin',
      responses: { 200: { description: 'Every rollout.', schema: success({ count, rollouts: z.array(rolloutSchema) }) } },
    },
    'GET /ota/rollouts/:id': {
      summary: 'Show a rollout',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      responses: { 200: { description: 'The rollout.', schema: oneRollout } },
      errors: { 404: ['rollout_not_found'] },
    },
    'PATCH /ota/rollouts/:id': {
      summary: 'Change a rollout (percent, status, target)',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      body: { schema: patchRolloutSchema },
      responses: { 200: { description: 'The rollout after the change.', schema: oneRollout } },
      errors: { 400: ['invalid_request'], 404: ['rollout_not_found', 'unknown_device'] },
    },
    'POST /ota/rollouts/:id/pause': {
      summary: 'Pause a rollout',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      responses: { 200: { description: 'Paused.', schema: oneRollout } },
      errors: { 404: ['rollout_not_found'] },
    },
    'POST /ota/rollouts/:id/resume': {
      summary: 'Resume a rollout (its failure window starts again)',
      auth: 'admin',
      params: { id: rolloutIdParam() },
      responses: { 200: { description: 'Active again.', schema: oneRollout } },
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

/**
 * OpenAPI description of `POST /aggregated/:device_id`. Its input is checked by hand for speed
 * (ingest.ts `parseEnvelope`, payload.ts), so its schemas are written here as JSON Schema from the
 * same constants (server/protocol/limits.ts, the codec's method table, this gateway's limits):
 * what they accept is exactly what those checks accept — tests/uploads/openapi.test.ts runs both
 * on the same inputs. Beyond JSON Schema's reach, a packed batch's cross-field rules (ratio,
 * sizes against the data) and its frame are checked by the codec (server/codec/SPEC.md §9.2).
 */
import { z } from 'zod';
import type { Config } from '../config.ts';
import { METHODS } from '../codec/index.ts';
import { DEVICE_ID_JSON_SCHEMA } from '../devices/ids.ts';
import type { JsonSchema, RouteDocs } from '../openapi/describe.ts';
import { BATCH_MAX_SAMPLES, FRAME_MAX_BYTES, PACKED_MAX_BYTES, PACKED_MAX_RATIO, PLAIN_FIELD_NAME_PATTERN, PLAIN_MAX_FIELDS, RESERVED_FIELD_NAMES } from '../protocol/limits.ts';

/** Padded base64 (RFC 4648 §4) in its one canonical spelling: the unused bits of the last symbol are zero. */
export const CANONICAL_BASE64 = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$';

/** One plain sample: a numeric `timestamp` and at most PLAIN_MAX_FIELDS other numbers. */
export const plainSampleSchema: JsonSchema = {
  type: 'object',
  required: ['timestamp'],
  properties: { timestamp: { type: 'number', description: "The sample's time (the device's clock)." } },
  maxProperties: PLAIN_MAX_FIELDS + 1,
  propertyNames: { pattern: PLAIN_FIELD_NAME_PATTERN.source, not: { enum: RESERVED_FIELD_NAMES.filter((n) => n !== 'timestamp') } },
  additionalProperties: { type: 'number' },
};

/** The payload document of an upload (what the envelope's base64 `payload` decodes to). */
export function payloadSchema(config: Pick<Config, 'MAX_UNPACKED_BYTES'>): JsonSchema {
  return {
    description: 'Exactly one of `aggregated_data` (plain samples) or `compressed_data` (a packed batch, server/codec/SPEC.md §2).',
    oneOf: [
      {
        title: 'Plain samples',
        type: 'object',
        required: ['aggregated_data'],
        properties: {
          aggregated_data: { type: 'array', minItems: 1, maxItems: BATCH_MAX_SAMPLES, items: plainSampleSchema },
          compressed_data: false,
        },
      },
      {
        title: 'Packed batch',
        description: `Also checked by the codec before any decoding: original_size ≤ ${PACKED_MAX_RATIO} × compressed_size, compressed_data's length = 4·⌈compressed_size/3⌉, at most ${BATCH_MAX_SAMPLES} samples; then the frame (size_mismatch, bad_frame, crc_mismatch, …).`,
        type: 'object',
        required: ['compressed_data', 'method', 'original_size', 'compressed_size', 'crc32'],
        properties: {
          aggregated_data: false,
          compressed_data: { type: 'string', pattern: CANONICAL_BASE64, contentEncoding: 'base64', description: 'The packed stream.' },
          method: { enum: Object.values(METHODS), description: `Method id: ${Object.entries(METHODS).map(([n, id]) => `${id} ${n}`).join(', ')}.` },
          original_size: { type: 'integer', minimum: 0, maximum: Math.min(config.MAX_UNPACKED_BYTES, FRAME_MAX_BYTES), description: 'Bytes of the unpacked frame (MAX_UNPACKED_BYTES).' },
          compressed_size: { type: 'integer', minimum: 0, maximum: PACKED_MAX_BYTES, description: 'Bytes of the packed stream.' },
          crc32: { type: 'string', pattern: '^[0-9a-fA-F]{8}$', description: 'CRC-32 of the unpacked frame, hex.' },
          timestamp: { type: 'number', description: 'When the batch was made; not interpreted.' },
        },
      },
    ],
  };
}

/** The EcoWatt upload envelope (server/protocol/SPEC.md). */
export function envelopeSchema(config: Pick<Config, 'BODY_LIMIT_BYTES' | 'MAX_UNPACKED_BYTES'>): JsonSchema {
  return {
    type: 'object',
    required: ['device_id', 'nonce', 'payload', 'mac'],
    properties: {
      device_id: { ...DEVICE_ID_JSON_SCHEMA, description: "Equal to the path's device id (400 device_mismatch)." },
      nonce: { type: 'integer', minimum: 0, maximum: 0xffffffff, description: "Above the device's last accepted nonce (shared with signed requests)." },
      payload: {
        type: 'string',
        minLength: 1,
        // decodePayloadText: refused when the decoded bytes could exceed BODY_LIMIT_BYTES.
        maxLength: Math.floor((config.BODY_LIMIT_BYTES * 4) / 3),
        pattern: CANONICAL_BASE64,
        contentEncoding: 'base64',
        contentMediaType: 'application/json',
        contentSchema: payloadSchema(config),
        description: 'Base64 of the UTF-8 JSON payload document (contentSchema).',
      },
      mac: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'HMAC-SHA256(device key, nonce as 4 bytes big-endian ‖ the payload string as sent), hex.' },
    },
  };
}

export function uploadDocs(config: Config): RouteDocs {
  return {
    'POST /aggregated/:device_id': {
      summary: 'Upload telemetry (signed envelope)',
      description: [
        'The device authenticates with the MAC inside the envelope, not with headers. A malformed or forged message never consumes a nonce; an exact retransmission (same nonce and MAC) is answered with `duplicate: true` and stored once.',
        'Answers to a message whose MAC verified — errors such as `replay` or a bad payload included — carry X-Signature; answers to messages that could not be tied to a device (malformed envelope, failed authentication, rate limited) do not.',
      ].join('\n\n'),
      auth: 'envelope',
      body: { schema: envelopeSchema(config), description: `At most BODY_LIMIT_BYTES (${config.BODY_LIMIT_BYTES}) bytes of JSON.` },
      responses: {
        200: {
          description: 'Stored (or a retransmission of a stored upload).',
          schema: z.object({ success: z.literal(true), samples: z.number().int().min(1), duplicate: z.literal(true).optional() }),
        },
      },
    },
  };
}

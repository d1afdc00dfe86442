/**
 * Decoding and validating the document inside an upload envelope: either plain
 * `{"aggregated_data": [{field: number, ..., "timestamp": n}]}` or a packed batch
 * `{"compressed_data", "method", "original_size", "compressed_size", "crc32", "timestamp"}`
 * (unpacked by server/codec, which owns that format). Everything here is pure CPU work done before
 * the nonce is claimed, so a malformed message never burns a nonce or stores anything.
 */
import { z } from 'zod';
import { PackedDataError, ValidationError } from '../errors.ts';
import { parseWith } from '../http/validate.ts';
import { methodName, unpackBatch } from '../codec/index.ts';

export interface DecodedSample {
  timestamp: number;
  values: Record<string, number>;
}

export interface DecodedPayload {
  /** "plain" or the packing method's name. */
  method: string;
  samples: DecodedSample[];
  /** For packed batches: bytes on the wire vs unpacked frame bytes. */
  packedBytes?: number;
  frameBytes?: number;
}

export const MAX_PLAIN_SAMPLES = 10_000;
const MAX_FIELDS = 64;
const FIELD_NAME = /^[A-Za-z0-9_]{1,64}$/;
/** Field names already checked: a fleet uses a handful, and a Set hit is cheaper than the regex. */
const knownFields = new Set<string>();
const KNOWN_FIELDS_LIMIT = 4096;

function validFieldName(key: string): boolean {
  if (knownFields.has(key)) return true;
  if (!FIELD_NAME.test(key)) return false;
  if (knownFields.size < KNOWN_FIELDS_LIMIT) knownFields.add(key);
  return true;
}
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * Checks one plain sample and returns its values. Hand-written rather than a zod schema: it runs
 * for every sample of every upload, and a record schema with refinements copies each object.
 */
function plainSample(raw: unknown, index: number): DecodedSample {
  const where = `aggregated_data.${index}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError(`${where}: must be an object of numbers`, 'invalid_payload', { field: where });
  }
  const obj = raw as Record<string, unknown>;
  const values: Record<string, number> = {};
  let timestamp: number | undefined;
  let count = 0;
  for (const key in obj) {
    const v = obj[key];
    if (!validFieldName(key)) throw new ValidationError(`${where}.${key}: field names are 1-64 chars of A-Z a-z 0-9 _`, 'invalid_payload', { field: `${where}.${key}` });
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(`${where}.${key}: must be a finite number`, 'invalid_payload', { field: `${where}.${key}` });
    if (key === 'timestamp') timestamp = v;
    else if (++count > MAX_FIELDS) throw new ValidationError(`${where}: at most ${MAX_FIELDS} fields per sample`, 'invalid_payload', { field: where });
    else values[key] = v;
  }
  if (timestamp === undefined) throw new ValidationError(`${where}.timestamp: timestamp is required`, 'invalid_payload', { field: `${where}.timestamp` });
  return { timestamp, values };
}

/** The plain batch's sample array, checked by hand for the same reason as plainSample. */
function plainSamples(raw: unknown): DecodedSample[] {
  const bad = (message: string): never => {
    throw new ValidationError(`aggregated_data: ${message}`, 'invalid_payload', { field: 'aggregated_data' });
  };
  if (!Array.isArray(raw)) return bad('must be an array of samples');
  if (raw.length === 0) bad('must hold at least one sample');
  if (raw.length > MAX_PLAIN_SAMPLES) bad(`at most ${MAX_PLAIN_SAMPLES} samples per batch`);
  const samples = new Array<DecodedSample>(raw.length);
  for (let i = 0; i < raw.length; i++) samples[i] = plainSample(raw[i], i);
  return samples;
}

const packedSchema = z.object({
  compressed_data: z.string(),
  method: z.number().int().min(0).max(255),
  original_size: z.number().int().min(0),
  compressed_size: z.number().int().min(0),
  crc32: z.string().regex(/^[0-9a-fA-F]{8}$/, 'must be 8 hex digits'),
  timestamp: finite.optional(),
});

/** Decodes the envelope's base64 payload to JSON; 400 on any malformation. */
export function decodePayloadDocument(payload: string, maxBytes: number): unknown {
  if ((payload.length / 4) * 3 > maxBytes) throw new ValidationError('payload is too large', 'invalid_payload');
  // Node's decoder skips characters outside the alphabet; encoding the result back and comparing
  // accepts exactly canonical padded base64 (what every encoder emits), natively and in one pass
  // each way — a validating regex cost more than the HMAC on the ingest profile.
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.toString('base64') !== payload) throw new ValidationError('payload is not valid base64', 'invalid_payload');
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    throw new ValidationError('payload is not valid UTF-8', 'invalid_payload');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('payload is not valid JSON', 'invalid_payload');
  }
}

export function decodePayload(document: unknown, maxUnpackedBytes: number): DecodedPayload {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ValidationError('payload must be a JSON object', 'invalid_payload');
  }
  const hasPlain = 'aggregated_data' in document;
  const hasPacked = 'compressed_data' in document;
  if (hasPlain === hasPacked) {
    throw new ValidationError('payload must have exactly one of aggregated_data or compressed_data', 'invalid_payload');
  }
  if (hasPlain) return { method: 'plain', samples: plainSamples((document as { aggregated_data: unknown }).aggregated_data) };
  const batch = parseWith(packedSchema, document, 'invalid_payload');
  const frame = unpackBatch(
    {
      compressed_data: batch.compressed_data,
      method: batch.method,
      original_size: batch.original_size,
      compressed_size: batch.compressed_size,
      crc32: batch.crc32.toLowerCase(),
    },
    { maxUnpackedBytes },
  );
  if (frame.samples.length === 0) throw new PackedDataError('packed batch holds no samples', 'bad_packed_data');
  return {
    method: methodName(batch.method) ?? String(batch.method),
    samples: frame.samples.map(({ timestamp, ...values }) => ({ timestamp, values })),
    packedBytes: batch.compressed_size,
    frameBytes: batch.original_size,
  };
}

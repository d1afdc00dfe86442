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
import { BATCH_MAX_SAMPLES, PLAIN_FIELD_NAME_MAX, PLAIN_MAX_FIELDS, isPlainFieldName } from '../protocol/limits.ts';
import type { SampleRecord } from '../store/index.ts';

export interface DecodedPayload {
  /** "plain" or the packing method's name. */
  method: string;
  /** The samples as sent (plain: the parsed objects themselves, checked, not copied). */
  samples: SampleRecord[];
  /** A plain batch's `aggregated_data` in the device's own JSON text, when it is safe to store as is. */
  samplesJson?: string;
  /** For packed batches: bytes on the wire vs unpacked frame bytes. */
  packedBytes?: number;
  frameBytes?: number;
}

/** One limit for plain and packed batches (server/protocol/limits.ts). */
export const MAX_PLAIN_SAMPLES = BATCH_MAX_SAMPLES;
const MAX_FIELDS = PLAIN_MAX_FIELDS;
/** Field names already checked: a fleet uses a handful, and a Set hit is cheaper than the regex. */
const knownFields = new Set<string>();
const KNOWN_FIELDS_LIMIT = 4096;

/** `timestamp` is the sample's time; any other key must be a plain field name, never a reserved one. */
function validFieldName(key: string): boolean {
  if (knownFields.has(key)) return true;
  if (key !== 'timestamp' && !isPlainFieldName(key)) return false;
  if (knownFields.size < KNOWN_FIELDS_LIMIT) knownFields.add(key);
  return true;
}
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * Checks one plain sample in place. Hand-written rather than a zod schema: it runs for every
 * sample of every upload, and a record schema with refinements copies each object.
 */
function checkPlainSample(raw: unknown, index: number): void {
  const where = `aggregated_data.${index}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError(`${where}: must be an object of numbers`, 'invalid_payload', { field: where });
  }
  const obj = raw as Record<string, unknown>;
  let timestamp = false;
  let count = 0;
  for (const key in obj) {
    const v = obj[key];
    if (!validFieldName(key)) {
      throw new ValidationError(`${where}.${key}: field names are 1-${PLAIN_FIELD_NAME_MAX} chars of A-Z a-z 0-9 _ and not a reserved name`, 'invalid_payload', {
        field: `${where}.${key}`,
      });
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(`${where}.${key}: must be a finite number`, 'invalid_payload', { field: `${where}.${key}` });
    if (key === 'timestamp') timestamp = true;
    else if (++count > MAX_FIELDS) throw new ValidationError(`${where}: at most ${MAX_FIELDS} fields per sample`, 'invalid_payload', { field: where });
  }
  if (!timestamp) throw new ValidationError(`${where}.timestamp: timestamp is required`, 'invalid_payload', { field: `${where}.timestamp` });
}

/** The plain batch's sample array, checked by hand for the same reason as checkPlainSample. */
function plainSamples(raw: unknown): SampleRecord[] {
  const bad = (message: string): never => {
    throw new ValidationError(`aggregated_data: ${message}`, 'invalid_payload', { field: 'aggregated_data' });
  };
  if (!Array.isArray(raw)) return bad('must be an array of samples');
  if (raw.length === 0) bad('must hold at least one sample');
  if (raw.length > MAX_PLAIN_SAMPLES) bad(`at most ${MAX_PLAIN_SAMPLES} samples per batch`);
  for (let i = 0; i < raw.length; i++) checkPlainSample(raw[i], i);
  return raw as SampleRecord[];
}

const PLAIN_HEAD = /^[ \t]*\{[ \t]*"aggregated_data"[ \t]*:[ \t]*$/;
const PLAIN_TAIL = /^[ \t]*\}[ \t]*$/;

/**
 * The text of a checked plain document's `aggregated_data` array, exactly as the device wrote it,
 * or undefined when it cannot be cut out safely (then the samples are serialised again).
 * Safe means: the document is `{"aggregated_data": [...]}` with nothing else, written without
 * escapes or line breaks. Checked samples hold only field names of [A-Za-z0-9_] and numbers, so
 * neither bracket occurs inside the array: it runs from the first "[" to the first "]". The head
 * and tail checks rule out any other member (a duplicate key included), so the slice parses to
 * exactly the array that was checked.
 */
function plainArrayText(text: string): string | undefined {
  const open = text.indexOf('[');
  const close = text.indexOf(']', open);
  if (open < 0 || close < 0) return undefined;
  if (!PLAIN_HEAD.test(text.slice(0, open)) || !PLAIN_TAIL.test(text.slice(close + 1))) return undefined;
  const array = text.slice(open, close + 1);
  return array.includes('\n') || array.includes('\r') ? undefined : array;
}

const packedSchema = z.object({
  compressed_data: z.string(),
  method: z.number().int().min(0).max(255),
  original_size: z.number().int().min(0),
  compressed_size: z.number().int().min(0),
  crc32: z.string().regex(/^[0-9a-fA-F]{8}$/, 'must be 8 hex digits'),
  timestamp: finite.optional(),
});

/** Decodes the envelope's base64 payload to its UTF-8 text; 400 on any malformation. */
export function decodePayloadText(payload: string, maxBytes: number): string {
  if ((payload.length / 4) * 3 > maxBytes) throw new ValidationError('payload is too large', 'invalid_payload');
  // Node's decoder skips characters outside the alphabet; encoding the result back and comparing
  // accepts exactly canonical padded base64 (what every encoder emits), natively and in one pass
  // each way — a validating regex cost more than the HMAC on the ingest profile.
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.toString('base64') !== payload) throw new ValidationError('payload is not valid base64', 'invalid_payload');
  try {
    return utf8Strict.decode(bytes);
  } catch {
    throw new ValidationError('payload is not valid UTF-8', 'invalid_payload');
  }
}

/** Parses and checks the payload document (the text decodePayloadText returned). */
export function decodePayload(text: string, maxUnpackedBytes: number): DecodedPayload {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ValidationError('payload is not valid JSON', 'invalid_payload');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ValidationError('payload must be a JSON object', 'invalid_payload');
  }
  const hasPlain = 'aggregated_data' in document;
  const hasPacked = 'compressed_data' in document;
  if (hasPlain === hasPacked) {
    throw new ValidationError('payload must have exactly one of aggregated_data or compressed_data', 'invalid_payload');
  }
  if (hasPlain) {
    const samples = plainSamples((document as { aggregated_data: unknown }).aggregated_data);
    return { method: 'plain', samples, samplesJson: plainArrayText(text) };
  }
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
    samples: frame.samples,
    packedBytes: batch.compressed_size,
    frameBytes: batch.original_size,
  };
}

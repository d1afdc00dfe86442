/**
 * Telemetry ingest: the domain side of `POST /aggregated/:device_id`. Authenticates the envelope,
 * decodes the payload, claims the nonce, then stores the samples and the nonce in one atomic
 * write — so a crash either keeps both (a resend is a duplicate or a replay) or neither (a resend
 * is accepted as new), and the device is never told "stored" for a batch that is not.
 */
import type { AppContext } from '../context.ts';
import { isValidDeviceId } from '../devices/ids.ts';
import { BadSignatureError, GatewayError, ValidationError } from '../errors.ts';
import { verifyEnvelopeMac } from '../protocol/envelope.ts';
import type { TelemetryBatch } from '../store/index.ts';
import type { UploadHold } from './in-flight.ts';
import { decodePayload, decodePayloadText, type DecodedPayload } from './payload.ts';

type EnvelopeFields = { device_id: string; nonce: number; payload: string; mac: string };

/**
 * The envelope check, written out by hand: it runs for every upload (and every forged one), and
 * four field checks are cheaper without a schema library. Same messages as our zod errors.
 */
function parseEnvelope(body: unknown): EnvelopeFields {
  const bad = (field: string, message: string): never => {
    throw new ValidationError(`${field}: ${message}`, 'invalid_envelope', { field });
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('(body)', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  if (!isValidDeviceId(b.device_id)) bad('device_id', 'must be 1-64 characters of A-Z a-z 0-9 _ . -');
  const nonce = b.nonce;
  if (typeof nonce !== 'number' || !Number.isInteger(nonce) || nonce < 0 || nonce > 0xffffffff) {
    bad('nonce', 'must be an unsigned 32-bit integer');
  }
  if (typeof b.payload !== 'string' || b.payload.length === 0) bad('payload', 'must be a non-empty base64 string');
  if (typeof b.mac !== 'string' || !/^[0-9a-fA-F]{64}$/.test(b.mac)) bad('mac', 'must be 64 hex characters (HMAC-SHA256)');
  return b as EnvelopeFields;
}

export interface UploadResult {
  success: true;
  samples: number;
  duplicate?: true;
}

/** What to answer an identified device: the result or a rejection, signed with its key and nonce. */
export interface UploadReply {
  key: Uint8Array;
  nonce: number;
  outcome: UploadResult | GatewayError;
}

export class UploadService {
  constructor(private readonly ctx: AppContext) {}

  /**
   * Throws for messages that cannot be tied to a device (malformed envelope, unknown device, bad
   * MAC); anything after the MAC check is answered through the returned reply, so it gets signed.
   * A store that does not answer in time is an UnavailableError (ctx.uploadsInFlight).
   */
  ingest(pathDeviceId: string, body: unknown, source: string): Promise<UploadReply> {
    return this.ctx.uploadsInFlight.run((hold) => this.ingestNow(pathDeviceId, body, source, hold));
  }

  private async ingestNow(pathDeviceId: string, body: unknown, source: string, hold: UploadHold): Promise<UploadReply> {
    const { ctx } = this;
    const envelope = parseEnvelope(body);
    if (envelope.device_id !== pathDeviceId) {
      throw new ValidationError(`body device_id ${envelope.device_id} does not match the path ${pathDeviceId}`, 'device_mismatch');
    }
    const msg = {
      deviceId: envelope.device_id,
      nonce: envelope.nonce,
      mac: envelope.mac.toLowerCase(),
      verify: (key: Uint8Array) => verifyEnvelopeMac(key, envelope),
      source,
    };
    let key: Uint8Array;
    try {
      ({ key } = await ctx.auth.identify(msg));
    } catch (err) {
      this.countFailure(err);
      throw err;
    }
    try {
      return { key, nonce: envelope.nonce, outcome: await this.accept(envelope, msg, hold) };
    } catch (err) {
      if (err instanceof GatewayError) return { key, nonce: envelope.nonce, outcome: err };
      throw err;
    }
  }

  private async accept(envelope: EnvelopeFields, msg: Parameters<AppContext['auth']['claimNonce']>[0], hold: UploadHold): Promise<UploadResult> {
    const { ctx } = this;

    let decoded: DecodedPayload;
    let text: string;
    try {
      text = decodePayloadText(envelope.payload, ctx.config.BODY_LIMIT_BYTES);
      decoded = decodePayload(text, ctx.config.MAX_UNPACKED_BYTES);
    } catch (err) {
      const crc = err instanceof GatewayError && err.code === 'crc_mismatch';
      ctx.securityStats.record(crc ? 'crc_failure' : 'malformed', envelope.device_id, true);
      this.countFailure(err);
      throw err;
    }

    try {
      // Held until the store answers: a packed batch's unpacked frame, a plain one's text.
      hold.charge(decoded.frameBytes ?? text.length);
    } catch (err) {
      this.countFailure(err);
      throw err;
    }

    const batch: TelemetryBatch = {
      received_at: ctx.clock.now(),
      nonce: envelope.nonce,
      method: decoded.method,
      samples: decoded.samples,
      samplesJson: decoded.samplesJson,
    };
    let outcome;
    try {
      outcome = await ctx.auth.acceptUpload(msg, batch);
    } catch (err) {
      if (err instanceof GatewayError) {
        this.countFailure(err);
        throw err;
      }
      ctx.metrics.uploads.inc({ outcome: 'storage_error' });
      ctx.logger.error({ err, device_id: envelope.device_id }, 'could not store upload');
      throw err;
    }
    if (outcome === 'duplicate') {
      ctx.securityStats.record('duplicate', envelope.device_id, true);
      ctx.metrics.uploads.inc({ outcome: 'duplicate' });
      return { success: true, samples: decoded.samples.length, duplicate: true };
    }
    ctx.securityStats.record('accepted', envelope.device_id, true);
    ctx.metrics.uploads.inc({ outcome: 'accepted' });
    ctx.metrics.samples.inc({ method: decoded.method }, batch.samples.length);
    return { success: true, samples: batch.samples.length };
  }

  private countFailure(err: unknown): void {
    // Authentication failures all answer bad_signature; the metric keeps why (unknown_device, …).
    const outcome = err instanceof BadSignatureError ? err.reason : err instanceof GatewayError ? err.code : 'error';
    this.ctx.metrics.uploads.inc({ outcome });
  }
}

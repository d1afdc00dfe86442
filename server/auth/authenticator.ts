/**
 * The one authentication path for signed device messages (upload envelopes and signed requests):
 * check the failure limits, find the device, check the MAC against its candidate keys in constant
 * time, and only then claim the nonce — so unauthenticated traffic can neither probe nor disturb a
 * device's nonce state.
 *
 * Every failure answers the same 401 `bad_signature` with the same work done (an unknown or
 * revoked id still costs one MAC check against a dummy key), so an unauthenticated caller cannot
 * tell whether an id exists; the real reason is logged and counted. Shared-key devices are only
 * those an admin listed: a message signed with the raw fleet key (whose MAC does not cover the
 * device id) is bound to the first device that used it, so re-posting it as another device fails;
 * a message signed with the id-bound key marks the device as re-flashed, and the raw key is
 * refused for it from then on.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { CandidateKey, DeviceRegistry } from '../devices/registry.ts';
import { BadSignatureError, ReplayError, type AuthFailureReason } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { SecurityStats } from '../security/stats.ts';
import type { Claim, DeviceRecord, NonceLedger, SharedMacRegistry, TelemetryBatch } from '../store/index.ts';
import type { AuthRateLimiter } from './rate-limit.ts';

export interface SignedMessage {
  deviceId: string;
  nonce: number;
  /** The MAC/signature as received (hex). */
  mac: string;
  /** Whether `mac` is right for this key; the caller knows what the message bytes are. */
  verify(key: Uint8Array): boolean;
  /** The sender's address, for the failure limits. */
  source: string;
}

export interface Authenticated {
  device: DeviceRecord;
  key: Uint8Array;
  claim: Exclude<Claim, { outcome: 'replay' }>;
}

/** Told about every accepted signed message (control plane: last-seen and online events). */
export type SeenListener = (deviceId: string, at: number) => void;

/** Checked against when there is no real key, so every failure costs the same MAC computation. */
const DUMMY_KEY = new Uint8Array(randomBytes(32));

export class DeviceAuthenticator {
  private readonly seenListeners: SeenListener[] = [];

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly nonces: NonceLedger,
    private readonly sharedMacs: SharedMacRegistry,
    private readonly stats: SecurityStats,
    private readonly limiter: AuthRateLimiter,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Identifies the device and checks the MAC; throws BadSignatureError (any reason) or RateLimitedError. */
  async identify(msg: SignedMessage): Promise<{ device: DeviceRecord; key: Uint8Array }> {
    const now = this.clock.now();
    this.limiter.check(msg.source, msg.deviceId, now);
    const device = await this.registry.get(msg.deviceId);
    const candidates = device && !device.revoked_at ? this.registry.candidateKeys(device, now) : [];
    // Check every candidate, not stopping at the first match, so timing does not reveal which key matched.
    let match: CandidateKey | undefined;
    for (const c of candidates) if (msg.verify(c.key) && !match) match = c;
    if (candidates.length === 0) msg.verify(DUMMY_KEY);
    if (!device) return this.fail(msg, 'unknown_device', false, now);
    if (device.revoked_at) return this.fail(msg, 'revoked', true, now);
    if (!match) return this.fail(msg, 'bad_signature', true, now);
    if (match.label === 'raw') {
      // The raw fleet key's MAC covers nonce and payload only: the first device to use it owns it.
      const owner = await this.sharedMacs.bind(msg.mac.slice(0, 32).toLowerCase(), device.device_id, now);
      if (owner !== device.device_id) return this.fail(msg, 'cross_device', true, now, { owner });
    } else if (match.label === 'bound') {
      await this.registry.notePskBound(device, now);
    }
    this.limiter.succeeded(msg.source, msg.deviceId, now);
    return { device, key: match.key };
  }

  private fail(msg: SignedMessage, reason: AuthFailureReason, known: boolean, now: number, extra: Record<string, unknown> = {}): never {
    this.limiter.failed(msg.source, msg.deviceId, now);
    this.stats.record(reason === 'unknown_device' || reason === 'revoked' ? 'unknown_device' : 'bad_signature', msg.deviceId, known);
    const level = reason === 'cross_device' ? 'warn' : 'debug';
    this.logger[level]({ device_id: msg.deviceId, reason, source: msg.source, ...extra }, 'device message failed authentication');
    throw new BadSignatureError(reason);
  }

  /**
   * Registers a listener called synchronously whenever a device's message passed the MAC check and
   * its nonce was accepted (fresh or an exact retransmission). Listeners must be quick and must not
   * throw; a throwing listener is logged and ignored, never failing the request.
   */
  onSeen(listener: SeenListener): void {
    this.seenListeners.push(listener);
  }

  /** Claims the nonce of an identified message; throws ReplayError. */
  async claimNonce(msg: SignedMessage): Promise<Authenticated['claim']> {
    const claim = await this.nonces.claim(msg.deviceId, msg.nonce, msg.mac.toLowerCase(), this.clock.now());
    if (claim.outcome === 'replay') this.replay(msg, claim.lastNonce);
    this.notifySeen(msg);
    return claim;
  }

  /**
   * An identified upload: its nonce and batch stored together (UploadOutcome); throws ReplayError.
   * `batch.received_at` is the acceptance time.
   */
  async acceptUpload(msg: SignedMessage, batch: TelemetryBatch): Promise<'accepted' | 'duplicate'> {
    const out = await this.nonces.acceptUpload(msg.deviceId, msg.nonce, msg.mac.toLowerCase(), batch.received_at, batch);
    if (out.outcome === 'replay') this.replay(msg, out.lastNonce);
    this.notifySeen(msg);
    return out.outcome;
  }

  private replay(msg: SignedMessage, lastNonce: number): never {
    this.stats.record('replay', msg.deviceId, true);
    throw new ReplayError(`nonce ${msg.nonce} is not above the last accepted nonce ${lastNonce}`, { last_nonce: lastNonce });
  }

  private notifySeen(msg: SignedMessage): void {
    if (this.seenListeners.length > 0) {
      const at = this.clock.now();
      for (const listener of this.seenListeners) {
        try {
          listener(msg.deviceId, at);
        } catch (err) {
          this.logger.error({ err, device_id: msg.deviceId }, 'seen listener failed');
        }
      }
    }
  }
}

/**
 * The one authentication path for signed device messages (upload envelopes and signed requests):
 * find the device, check the MAC against its current (and, during a rotation, previous) key in
 * constant time, and only then claim the nonce — so unauthenticated traffic can neither probe nor
 * disturb a device's nonce state. Legacy devices signing with the fleet-wide HMAC_PSK are
 * auto-registered as shared-key devices when ALLOW_SHARED_PSK is on.
 */
import type { Clock } from '../clock.ts';
import type { DeviceRegistry } from '../devices/registry.ts';
import { BadSignatureError, ReplayError, UnknownDeviceError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { SecurityStats } from '../security/stats.ts';
import type { Claim, DeviceRecord, NonceLedger } from '../store/index.ts';

export interface SignedMessage {
  deviceId: string;
  nonce: number;
  /** The MAC/signature as received (hex). */
  mac: string;
  /** Whether `mac` is right for this key; the caller knows what the message bytes are. */
  verify(key: Uint8Array): boolean;
}

export interface Authenticated {
  device: DeviceRecord;
  key: Uint8Array;
  claim: Exclude<Claim, { outcome: 'replay' }>;
}

/** Told about every accepted signed message (control plane: last-seen and online events). */
export type SeenListener = (deviceId: string, at: number) => void;

export class DeviceAuthenticator {
  private readonly seenListeners: SeenListener[] = [];

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly nonces: NonceLedger,
    private readonly stats: SecurityStats,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly allowSharedPsk: boolean,
  ) {}

  /** Identifies the device and checks the MAC; throws UnknownDeviceError or BadSignatureError. */
  async identify(msg: SignedMessage): Promise<{ device: DeviceRecord; key: Uint8Array }> {
    const now = this.clock.now();
    let device = this.registry.get(msg.deviceId);
    if (!device) {
      const shared = this.registry.shared;
      if (this.allowSharedPsk && shared && msg.verify(shared)) {
        device = await this.registry.registerShared(msg.deviceId, now);
        this.logger.info({ device_id: msg.deviceId }, 'auto-registered legacy device on the shared key');
      } else {
        this.stats.record('unknown_device', msg.deviceId, false);
        throw new UnknownDeviceError(`device ${msg.deviceId} is not registered`);
      }
    }
    if (device.revoked_at) {
      this.stats.record('unknown_device', msg.deviceId, true);
      throw new UnknownDeviceError(`device ${msg.deviceId} is revoked`);
    }
    const candidates = this.registry.candidateKeys(device, now);
    // Check every candidate, not stopping at the first match, so timing does not reveal which key matched.
    let key: Uint8Array | undefined;
    for (const c of candidates) if (msg.verify(c.key) && !key) key = c.key;
    if (!key) {
      this.stats.record('bad_signature', msg.deviceId, true);
      throw new BadSignatureError(
        device.key_mode === 'shared' && !this.allowSharedPsk
          ? `device ${msg.deviceId} uses the shared key, which is disabled (ALLOW_SHARED_PSK)`
          : 'signature does not match',
      );
    }
    return { device, key };
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
    if (claim.outcome === 'replay') {
      this.stats.record('replay', msg.deviceId, true);
      throw new ReplayError(`nonce ${msg.nonce} is not above the last accepted nonce ${claim.lastNonce}`, {
        last_nonce: claim.lastNonce,
      });
    }
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
    return claim;
  }
}

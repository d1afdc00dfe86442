/**
 * Limits on failed device authentications, per source address and per device id, so a flood of
 * forged messages is cut off cheaply (before its HMAC) and a guesser is slowed — without ever
 * limiting a device's valid traffic: a (device, address) pair that authenticated recently is
 * exempt from both limits, so a device keeps working from its own address while others flood its
 * id, or flood from a NAT it shares.
 *
 * Each key (an address, a device id) has a token bucket of `limit` failures refilled over
 * `windowMs`; an empty bucket answers 429 `rate_limited` with Retry-After until a token is back.
 * Memory is bounded: at most `maxKeys` buckets and known-good pairs each (oldest dropped first),
 * so random addresses or ids cannot grow it. Counted per scope in /metrics. In memory, per
 * replica: several replicas each apply the limit.
 */
import { RateLimitedError } from '../errors.ts';

export interface AuthLimits {
  /** Failures a source address may have per window. */
  perAddress: number;
  /** Failures a device id may have per window (from addresses it has not authenticated from). */
  perDevice: number;
  windowMs: number;
  maxKeys?: number;
  /**
   * How long a (device, address) pair stays exempt after it authenticated. Its time is refreshed at
   * most once per min(60 s, a tenth of this), so it may lapse up to that much earlier.
   */
  knownGoodMs?: number;
}

export type LimitScope = 'address' | 'device';

interface Bucket {
  tokens: number;
  at: number;
}

class Buckets {
  private readonly map = new Map<string, Bucket>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  get empty(): boolean {
    return this.map.size === 0;
  }

  /**
   * Drops the least recently failed entry if it has refilled: called on every check, so the map
   * empties once failures stop, even of keys never seen again (a scan's addresses), and the
   * upload path goes back to looking nothing up.
   */
  prune(now: number): void {
    const oldest = this.map.entries().next().value;
    if (oldest && this.refilled(oldest[1], now) >= this.limit) this.map.delete(oldest[0]);
  }

  /** Milliseconds until a failure would be allowed again; 0 if one is allowed now. */
  waitMs(key: string, now: number): number {
    const b = this.map.get(key);
    if (!b) return 0;
    const tokens = this.refilled(b, now);
    if (tokens >= this.limit) {
      this.map.delete(key); // refilled: it says no more than no entry, and empty maps are skipped
      return 0;
    }
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * this.windowMs) / this.limit);
  }

  take(key: string, now: number): void {
    const b = this.map.get(key);
    if (b) {
      this.map.delete(key); // re-insert: the map's order is least recently failed first
      this.map.set(key, { tokens: Math.max(0, this.refilled(b, now) - 1), at: now });
      return;
    }
    if (this.map.size >= this.maxKeys) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, { tokens: this.limit - 1, at: now });
  }

  private refilled(b: Bucket, now: number): number {
    return Math.min(this.limit, b.tokens + ((now - b.at) * this.limit) / this.windowMs);
  }
}

export class AuthRateLimiter {
  private readonly addresses: Buckets;
  private readonly devices: Buckets;
  /**
   * Device → address → last successful authentication (ms), the devices least recently refreshed
   * first. Nested rather than keyed by a joined string: the upload path looks a pair up twice per
   * request, and a joined key is a new string to build and hash each time.
   */
  private readonly knownGood = new Map<string, Map<string, number>>();
  private knownGoodPairs = 0;
  private readonly maxKeys: number;
  private readonly knownGoodMs: number;
  private readonly refreshMs: number;
  constructor(
    limits: AuthLimits,
    /** Told about every refusal (the /metrics counter). */
    private readonly onLimited: (scope: LimitScope) => void = () => undefined,
  ) {
    this.maxKeys = limits.maxKeys ?? 100_000;
    this.knownGoodMs = limits.knownGoodMs ?? 24 * 3_600_000;
    this.refreshMs = Math.min(60_000, this.knownGoodMs / 10);
    this.addresses = new Buckets(limits.perAddress, limits.windowMs, this.maxKeys);
    this.devices = new Buckets(limits.perDevice, limits.windowMs, this.maxKeys);
  }

  /** Throws RateLimitedError when the address or the device id is out of failures (and the pair is not known good). */
  check(address: string, deviceId: string, now: number): void {
    // The usual case on the upload path: no failures anywhere, nothing to look up.
    if (this.addresses.empty && this.devices.empty) return;
    this.addresses.prune(now);
    this.devices.prune(now);
    if (this.isKnownGood(deviceId, address, now)) return;
    const byAddress = this.addresses.waitMs(address, now);
    if (byAddress > 0) this.refuse('address', byAddress);
    const byDevice = this.devices.waitMs(deviceId, now);
    if (byDevice > 0) this.refuse('device', byDevice);
  }

  failed(address: string, deviceId: string, now: number): void {
    this.addresses.take(address, now);
    this.devices.take(deviceId, now);
  }

  succeeded(address: string, deviceId: string, now: number): void {
    // Called for every authenticated request: a pair refreshed within the last minute (or tenth of
    // knownGoodMs) is left as it is, which saves the map writes on the upload path; eviction order
    // is then least recently refreshed first, good to that minute.
    const addresses = this.knownGood.get(deviceId);
    const at = addresses?.get(address);
    if (at !== undefined && now - at < this.refreshMs) return;
    if (addresses) {
      this.knownGood.delete(deviceId); // re-inserted last: most recently refreshed
      this.knownGood.set(deviceId, addresses);
      if (at === undefined) this.knownGoodPairs++;
      addresses.set(address, now);
    } else {
      this.knownGood.set(deviceId, new Map([[address, now]]));
      this.knownGoodPairs++;
    }
    while (this.knownGoodPairs > this.maxKeys) {
      const [oldest, pairs] = this.knownGood.entries().next().value!;
      this.knownGood.delete(oldest);
      this.knownGoodPairs -= pairs.size;
    }
  }

  private isKnownGood(deviceId: string, address: string, now: number): boolean {
    const at = this.knownGood.get(deviceId)?.get(address);
    return at !== undefined && now - at < this.knownGoodMs;
  }

  private refuse(scope: LimitScope, waitMs: number): never {
    this.onLimited(scope);
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new RateLimitedError(`too many failed authentications from this ${scope === 'address' ? 'address' : 'device id'}; retry in ${seconds} s`, seconds);
  }
}

/**
 * The few primitives every signed message in fleetgate uses: HMAC-SHA256, the 4-byte big-endian
 * nonce prefix, and a constant-time comparison. One helper each, used everywhere, so a MAC is
 * never compared with `===` by accident.
 *
 * HMAC and SHA-256 run on node:crypto (OpenSSL): it is on every upload's hot path, and the native
 * HMAC of a 1 KiB message takes ~7 µs against ~26 µs for @noble/hashes on the same machine.
 * @noble/hashes supplies the strict hex codecs.
 */
import { createHash, createHmac } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';

export { hexToBytes };

/** Lowercase hex (native: it runs for every signed answer). */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** HMAC-SHA256 over the concatenation of `parts` (strings are taken as UTF-8). */
export function hmacSha256(key: Uint8Array, ...parts: (Uint8Array | string)[]): Uint8Array {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest(); // a Buffer is a Uint8Array; no copy
}

export function sha256Bytes(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest();
}

/** A u32 nonce as 4 bytes big-endian, the prefix of every signed device message. */
export function nonceBytes(nonce: number): Uint8Array {
  if (!Number.isInteger(nonce) || nonce < 0 || nonce > 0xffffffff) {
    throw new RangeError(`nonce must be an unsigned 32-bit integer, got ${nonce}`);
  }
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(nonce, 0);
  return out;
}

/** Constant-time equality for MACs and tokens. Length is not secret, so a length mismatch returns early. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Constant-time comparison of a received lowercase-hex MAC with the expected bytes, done on the
 * hex text (a character outside 0-9a-f can never match, so no separate validation is needed).
 */
export function macHexEquals(receivedHex: string, expected: Uint8Array): boolean {
  const expectedHex = bytesToHex(expected);
  if (receivedHex.length !== expectedHex.length) return false;
  let diff = 0;
  for (let i = 0; i < expectedHex.length; i++) diff |= receivedHex.charCodeAt(i) ^ expectedHex.charCodeAt(i);
  return diff === 0;
}

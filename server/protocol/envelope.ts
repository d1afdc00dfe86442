/**
 * The signed upload envelope — the existing EcoWatt device protocol, kept wire-compatible:
 *
 *   POST /aggregated/<device_id>
 *   {"device_id": "...", "nonce": <u32>, "payload": "<base64 of UTF-8 JSON>", "mac": "<hex>"}
 *   mac = lowercase hex HMAC-SHA256(device key, nonce as 4 bytes big-endian ‖ payload string bytes)
 *
 * The MAC covers the base64 text exactly as sent (not the decoded JSON), so the gateway never has
 * to re-serialise anything to check it. This module is the only implementation of the format: the
 * gateway, the CLI (`fleetgate sign`), the vector generator and the tests all use it.
 */
import { bytesToHex, hmacSha256, macHexEquals, nonceBytes } from '../crypto/hmac.ts';

export interface Envelope {
  device_id: string;
  nonce: number;
  payload: string;
  mac: string;
}

export function envelopeMac(key: Uint8Array, nonce: number, payload: string): Uint8Array {
  return hmacSha256(key, nonceBytes(nonce), payload);
}

/** Builds an envelope around a payload document (any JSON value; it is serialised compactly). */
export function signEnvelope(key: Uint8Array, deviceId: string, nonce: number, document: unknown): Envelope {
  const payload = Buffer.from(JSON.stringify(document), 'utf8').toString('base64');
  return signEncodedPayload(key, deviceId, nonce, payload);
}

/** Builds an envelope around an already base64-encoded payload string. */
export function signEncodedPayload(key: Uint8Array, deviceId: string, nonce: number, payload: string): Envelope {
  return { device_id: deviceId, nonce, payload, mac: bytesToHex(envelopeMac(key, nonce, payload)) };
}

export function verifyEnvelopeMac(key: Uint8Array, envelope: Pick<Envelope, 'nonce' | 'payload' | 'mac'>): boolean {
  return macHexEquals(envelope.mac.toLowerCase(), envelopeMac(key, envelope.nonce, envelope.payload));
}

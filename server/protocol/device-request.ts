/**
 * Signed device requests and signed responses — every device route other than the upload envelope.
 *
 * Request headers:
 *   X-Device-Id: <id>
 *   X-Nonce: <decimal u32>            (shares the device's counter with uploads; strictly increasing)
 *   X-Signature: lowercase hex HMAC-SHA256(device key,
 *                  nonce 4 bytes BE ‖ METHOD ‖ " " ‖ path-with-query ‖ "\n" ‖ raw body bytes)
 * Response header:
 *   X-Signature: lowercase hex HMAC-SHA256(device key, request nonce 4 bytes BE ‖ response body bytes)
 *
 * The response signature binds the answer to the request's nonce, so a device on plain HTTP can
 * tell a genuine, fresh answer from an injected or replayed one. METHOD is upper case; the path is
 * exactly as sent on the request line (percent-encoding untouched), query string included.
 */
import { bytesToHex, hmacSha256, macHexEquals, nonceBytes } from '../crypto/hmac.ts';

export const HEADER_DEVICE_ID = 'X-Device-Id';
export const HEADER_NONCE = 'X-Nonce';
export const HEADER_SIGNATURE = 'X-Signature';

const EMPTY = new Uint8Array(0);

export function requestSignature(
  key: Uint8Array,
  nonce: number,
  method: string,
  pathWithQuery: string,
  body: Uint8Array = EMPTY,
): Uint8Array {
  return hmacSha256(key, nonceBytes(nonce), `${method.toUpperCase()} ${pathWithQuery}\n`, body);
}

export function signRequestHeaders(
  key: Uint8Array,
  deviceId: string,
  nonce: number,
  method: string,
  pathWithQuery: string,
  body?: Uint8Array,
): Record<string, string> {
  return {
    [HEADER_DEVICE_ID]: deviceId,
    [HEADER_NONCE]: String(nonce),
    [HEADER_SIGNATURE]: bytesToHex(requestSignature(key, nonce, method, pathWithQuery, body)),
  };
}

export function responseSignature(key: Uint8Array, nonce: number, body: Uint8Array): Uint8Array {
  return hmacSha256(key, nonceBytes(nonce), body);
}

export function verifyResponseSignature(key: Uint8Array, nonce: number, body: Uint8Array, signatureHex: string): boolean {
  return macHexEquals(signatureHex.toLowerCase(), responseSignature(key, nonce, body));
}

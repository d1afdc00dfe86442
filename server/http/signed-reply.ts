/**
 * Responses signed for a device: X-Signature = HMAC-SHA256(device key, request nonce BE ‖ body).
 * Used for every answer to an identified device — successes and rejections alike (a replay's
 * `last_nonce` is only safe for a device to act on when it can tell the answer is genuine).
 */
import { bytesToHex } from '../crypto/hmac.ts';
import { GatewayError } from '../errors.ts';
import { HEADER_SIGNATURE, responseSignature } from '../protocol/device-request.ts';
import { errorBody } from './error-handler.ts';

/** A signed JSON answer as bytes and headers, for any transport (Hono below, the upload fast path). */
export interface SignedAnswer {
  status: number;
  bytes: Buffer;
  headers: Record<string, string>;
}

export function signedAnswer(key: Uint8Array, nonce: number, status: number, value: unknown): SignedAnswer {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  return { status, bytes, headers: { 'content-type': 'application/json', [HEADER_SIGNATURE]: bytesToHex(responseSignature(key, nonce, bytes)) } };
}

/** The error's usual JSON answer, signed. */
export function signedErrorAnswer(key: Uint8Array, nonce: number, err: GatewayError): SignedAnswer {
  return signedAnswer(key, nonce, err.status, errorBody(err.code, err.message, err.details));
}

/** The answer as a web Response (what Hono routes return). */
export function answerResponse(a: SignedAnswer): Response {
  return new Response(a.bytes, { status: a.status, headers: a.headers });
}

export function signedJson(key: Uint8Array, nonce: number, status: number, value: unknown): Response {
  return answerResponse(signedAnswer(key, nonce, status, value));
}

export function signedError(key: Uint8Array, nonce: number, err: GatewayError): Response {
  return answerResponse(signedErrorAnswer(key, nonce, err));
}

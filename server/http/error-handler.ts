/**
 * The single mapping from errors to HTTP responses. Domain code throws typed GatewayErrors; this
 * turns them into `{"success": false, "error": {"code", "message", ...details}}` with their status.
 * A store that failed or did not answer (the disk, the database) is 503 `unavailable` with Retry-After. Anything else untyped is
 * a bug: logged with its stack, answered 500 `internal_error` without details.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfigBusyError, GatewayError, MethodNotAllowedError, RateLimitedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { unavailableCode } from '../store/unavailable.ts';

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { success: false as const, error: { code, message, ...(details ?? {}) } };
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: Record<string, unknown>) {
  return c.json(errorBody(code, message, details), status);
}

/** An error's answer, for any transport: status, JSON body and extra headers. */
export interface ErrorAnswer {
  status: ContentfulStatusCode;
  body: ReturnType<typeof errorBody>;
  headers?: Record<string, string>;
}

/** The mapping itself; `where` is logged with errors that are ours or the system's, not the client's. */
export function errorAnswer(err: Error, logger: Logger, where: { path: string; method: string }): ErrorAnswer {
  if (err instanceof RateLimitedError) {
    return { status: 429, body: errorBody(err.code, err.message, err.details), headers: { 'Retry-After': String(err.retryAfterSeconds) } };
  }
  if (err instanceof ConfigBusyError) {
    // The change it waited for is normally done within a second.
    return { status: err.status, body: errorBody(err.code, err.message), headers: { 'Retry-After': '1' } };
  }
  if (err instanceof MethodNotAllowedError) return { status: 405, body: errorBody(err.code, err.message), headers: { Allow: err.allowed.join(', ') } };
  if (err instanceof GatewayError) return { status: err.status, body: errorBody(err.code, err.message, err.details) };
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? 'payload_too_large' : status === 400 ? 'invalid_request' : 'http_error';
    return { status, body: errorBody(code, err.message || 'request rejected') };
  }
  const unavailable = unavailableCode(err);
  if (unavailable !== undefined) {
    // The disk, the OS or the database failed us, not the client: 503 so callers retry.
    logger.error({ err, ...where }, 'storage error');
    return { status: 503, body: errorBody('unavailable', `storage is unavailable (${unavailable}); retry later`), headers: { 'Retry-After': '5' } };
  }
  logger.error({ err, ...where }, 'unhandled error');
  return { status: 500, body: errorBody('internal_error', 'internal error') };
}

export function createErrorHandler(logger: Logger) {
  return function handleError(err: Error, c: Context) {
    const answer = errorAnswer(err, logger, { path: c.req.path, method: c.req.method });
    for (const [name, value] of Object.entries(answer.headers ?? {})) c.header(name, value);
    return c.json(answer.body, answer.status);
  };
}

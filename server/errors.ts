/**
 * Every failure a request can meet, as one typed error class each. Domain modules throw these;
 * `server/http/error-handler.ts` is the single place that turns them into an HTTP status and a
 * JSON body `{"success": false, "error": {"code", "message"}}`. Codes are part of the API:
 * devices and scripts branch on them, so a code is never renamed or reused.
 */

export abstract class GatewayError extends Error {
  abstract readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 416 | 429 | 503;
  /** Stable machine-readable code sent to clients. */
  abstract readonly code: string;
  /** Extra fields merged into the error object of the response (never secrets). */
  readonly details?: Record<string, unknown>;

  constructor(message: string, details?: Record<string, unknown>) {
    // Expected failures (a forged upload, a bad parameter) need no stack trace, and capturing one
    // is the costliest part of rejecting a message — cheap rejection matters under a flood.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = new.target.name;
    if (details) this.details = details;
  }
}

/** Input that does not parse or validate. `code` narrows what was wrong. */
export class ValidationError extends GatewayError {
  readonly status = 400;
  readonly code: string;
  constructor(message: string, code = 'invalid_request', details?: Record<string, unknown>) {
    super(message, details);
    this.code = code;
  }
}

/** Packed telemetry that cannot be unpacked (bad method bytes, size or CRC mismatch, ...). */
export class PackedDataError extends ValidationError {
  constructor(message: string, code = 'bad_packed_data') {
    super(message, code);
  }
}

/** Why a device message failed authentication: logged and counted, never told to the sender. */
export type AuthFailureReason = 'unknown_device' | 'revoked' | 'bad_signature' | 'cross_device';

/**
 * A device message that failed authentication, for whatever reason: unknown id, revoked id, wrong
 * MAC, or a raw fleet-key message re-posted as another device. Every one answers the same 401
 * `bad_signature` body, so an unauthenticated caller cannot enumerate ids; `reason` stays on the
 * server (logs, security stats, metrics).
 */
export class BadSignatureError extends GatewayError {
  readonly status = 401;
  readonly code = 'bad_signature';
  constructor(readonly reason: AuthFailureReason = 'bad_signature') {
    super('signature does not match');
  }
}

export class ReplayError extends GatewayError {
  readonly status = 401;
  readonly code = 'replay';
}

export class AdminAuthError extends GatewayError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

/** An authenticated admin whose role does not allow this route. */
export class ForbiddenError extends GatewayError {
  readonly status = 403;
  readonly code = 'forbidden';
}

export class NotFoundError extends GatewayError {
  readonly status = 404;
  readonly code: string;
  constructor(message: string, code = 'not_found') {
    super(message);
    this.code = code;
  }
}

/** The path exists, not with this method: 405 with `Allow` (RFC 9110 §15.5.6). */
export class MethodNotAllowedError extends GatewayError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  constructor(
    method: string,
    path: string,
    /** Sent as Allow. */
    readonly allowed: readonly string[],
  ) {
    super(`${method} is not allowed on ${path}; use ${allowed.join(', ')}`);
  }
}

export class ConflictError extends GatewayError {
  readonly status = 409;
  readonly code: string;
  constructor(message: string, code = 'conflict', details?: Record<string, unknown>) {
    super(message, details);
    this.code = code;
  }
}

/** What was asked for existed and was withdrawn on purpose (a yanked firmware release). */
export class GoneError extends GatewayError {
  readonly status = 410;
  readonly code: string;
  constructor(message: string, code = 'gone', details?: Record<string, unknown>) {
    super(message, details);
    this.code = code;
  }
}

export class PayloadTooLargeError extends GatewayError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends GatewayError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

export class RangeNotSatisfiableError extends GatewayError {
  readonly status = 416;
  readonly code = 'range_not_satisfiable';
}

export class RateLimitedError extends GatewayError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(
    message: string,
    /** Seconds until a retry may succeed; sent as Retry-After. */
    readonly retryAfterSeconds: number,
  ) {
    super(message, { retry_after: retryAfterSeconds });
  }
}

/** A dependency (disk, store) failed; the request may be retried. Never used for bad input. */
export class UnavailableError extends GatewayError {
  readonly status = 503;
  readonly code = 'unavailable';
}

/**
 * A configuration change waited its bounded time for the one it must follow (config changes are
 * checked one at a time across the fleet, remote-config/fleet-check.ts) and gave up; nothing was
 * written, and the same request may simply be sent again.
 */
export class ConfigBusyError extends GatewayError {
  readonly status = 503;
  readonly code = 'config_busy';
}

/** Invalid configuration at start-up: printed as one line, exit code 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * The environment refuses to start the gateway (DATA_DIR unusable or held by another process, the
 * database unreachable): one line, exit code 2, like a bad setting.
 */
export class StartupError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * A directory fleetgate needs cannot be created or used: a regular file in the way, a file system
 * that refuses new directories (/proc, read-only), no permission. The message names the path and
 * says which; the CLI prints it as one line (exit 3), the gateway at start as one line (exit 2).
 */
export class DirectoryError extends ConfigError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

/** DATA_DIR is held by another live fleetgate process (its lock file names the pid). */
export class DataDirInUseError extends StartupError {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirInUseError';
  }
}

/** Why `fleetgate db import` will not run (each a one-line refusal with its own exit code). */
export type ImportRefusal = 'missing' | 'not_a_store' | 'in_use' | 'unreachable' | 'not_empty';

/** `fleetgate db import` refuses its source or target; nothing was written to the database. */
export class ImportRefusedError extends Error {
  constructor(
    readonly reason: ImportRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'ImportRefusedError';
  }
}

/**
 * `fleetgate db import` stopped part way through a kind (the database went away, a DATA_DIR file
 * could not be read or held what the database refuses). What was copied stays; running the import
 * again with --force finishes it without copying anything twice.
 */
export class ImportStoppedError extends Error {
  constructor(
    readonly kind: string,
    readonly reason: unknown,
  ) {
    super(`stopped while copying ${kind}: ${((reason as Error)?.message ?? String(reason)).replace(/\s*\n\s*/g, ' ')}`);
    this.name = 'ImportStoppedError';
  }
}

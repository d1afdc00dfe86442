#include "fleetgate/fg_err.h"

#include "fleetgate/fg_limits.h"

const char *fg_err_name(int err) {
  if (err >= 0) {
    return "ok";
  }
  if (FG_ERR_IS_MBEDTLS(err)) {
    return "mbedtls";
  }
  if (FG_ERR_IS_PORT(err)) {
    return "port";
  }
  switch (err) {
    case FG_ERR_INVALID_ARG: return "invalid_arg";
    case FG_ERR_BUFFER_TOO_SMALL: return "buffer_too_small";
    case FG_ERR_FORMAT: return "format";
    case FG_ERR_NOT_FOUND: return "not_found";
    case FG_ERR_IO: return "io";
    case FG_ERR_AUTH: return "auth";
    case FG_ERR_CRC: return "crc";
    case FG_ERR_HASH: return "hash";
    case FG_ERR_UNSUPPORTED: return "unsupported";
    case FG_ERR_NONCE_EXHAUSTED: return "nonce_exhausted";
    case FG_ERR_ROLLBACK: return "rollback";
    case FG_ERR_TRANSPORT: return "transport";
    case FG_ERR_HTTP_STATUS: return "http_status";
    case FG_ERR_STATE: return "state";
    case FG_ERR_RANGE: return "range";
    case FG_ERR_SIGNATURE: return "signature";
    case FG_ERR_PADDING: return "padding";
    case FG_ERR_KEY_ID: return "key_id";
    case FG_ERR_NOTHING: return "nothing";
    case FG_ERR_INTERRUPTED: return "interrupted";
    case FG_ERR_MISMATCH: return "mismatch";
    /* the gateway's error codes: the device records and shows why by these names */
    case FG_ERR_YANKED: return FG_LIMIT_OTA_REFUSAL_YANKED;
    case FG_ERR_NOT_ASSIGNED: return FG_LIMIT_OTA_REFUSAL_NOT_ASSIGNED;
    case FG_ERR_BAD_FRAME: return "bad_frame";
    case FG_ERR_SIZE_MISMATCH: return "size_mismatch";
    case FG_ERR_BAD_PACKED: return "bad_packed_data";
    case FG_ERR_TOO_LARGE: return "too_large";
    case FG_ERR_UNKNOWN_METHOD: return "unknown_method";
    default: return "unknown";
  }
}

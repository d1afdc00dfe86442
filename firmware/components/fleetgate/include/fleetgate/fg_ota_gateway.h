/**
 * @file fg_ota_gateway.h
 * @brief fg_ota_source_t over the gateway's signed device API (fg_client): every answer is
 *        signature-verified before it is used, on top of the manifest/page/chunk checks.
 *
 * Routes (server/ota/SPEC.md §10-11; all signed device requests, query values percent-encoded):
 *   GET  /ota/check/<id>?version=<running>&security_counter=<min>
 *        -> {"update_available":bool,"version":V,"latest_version":V,...}  (<= 22 members)
 *   GET  /ota/manifest/<V>          -> the manifest JSON (format 2: <= 4 KiB), into the caller's
 *                                      manifest buffer
 *   GET  /ota/hashes/<V>?page=N     -> "FGHP" page answer (binary), into the page buffer
 *   GET  /ota/firmware/<V>  Range   -> 206, one chunk, streamed-answer signature over
 *                                      "<ETag> <Content-Range>" (fg_client_get_range)
 *   POST /ota/complete/<id>  {"success":bool,"version":V,"error"?:"<check>: <detail>"}
 * Answers go straight into the buffer the OTA machine passes (a copy of the client with that
 * buffer as its receive buffer, same key and nonce counter), so no answer is held twice.
 * `security_counter` tells the gateway the device's anti-rollback minimum, so it never offers
 * (nor serves a manifest of) an image the device would refuse. Path formats are the
 * FG_ROUTE_OTA_* macros below.
 */
#ifndef FLEETGATE_FG_OTA_GATEWAY_H
#define FLEETGATE_FG_OTA_GATEWAY_H

#include "fleetgate/fg_client.h"
#include "fleetgate/fg_ota.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FG_ROUTE_OTA_CHECK_FMT
#define FG_ROUTE_OTA_CHECK_FMT "/ota/check/%s?version=%s&security_counter=%lu"
#endif
#ifndef FG_ROUTE_OTA_MANIFEST_FMT
#define FG_ROUTE_OTA_MANIFEST_FMT "/ota/manifest/%s"
#endif
#ifndef FG_ROUTE_OTA_HASHES_FMT
#define FG_ROUTE_OTA_HASHES_FMT "/ota/hashes/%s?page=%lu"
#endif
#ifndef FG_ROUTE_OTA_FIRMWARE_FMT
#define FG_ROUTE_OTA_FIRMWARE_FMT "/ota/firmware/%s"
#endif
#ifndef FG_ROUTE_OTA_COMPLETE_FMT
#define FG_ROUTE_OTA_COMPLETE_FMT "/ota/complete/%s"
#endif

typedef struct {
  fg_client_t *client;
  /** Sent with check: the device's anti-rollback minimum (fg_rollback_min()). */
  uint32_t security_counter;
  uint32_t last_status;
  char last_error[48];
} fg_ota_gateway_t;

void fg_ota_gateway_init(fg_ota_source_t *src, fg_ota_gateway_t *gw, fg_client_t *client);

#ifdef __cplusplus
}
#endif
#endif

/**
 * @file fg_ota_gateway.h
 * @brief fg_ota_source_t over the gateway's signed device API (fg_client): every OTA answer is
 *        response-signature-verified before it is used, on top of the manifest/chunk checks.
 *
 * Routes (README.md (OTA serving); all signed device requests, query values percent-encoded):
 *   GET  /ota/check/<id>?version=<running>&security_counter=<min>
 *        -> {"update_available":bool,"version":V,"latest_version":V,...}  (no chunk table)
 *   POST /ota/initiate/<id>   {"firmware_version":V}
 *        -> {"success":true,"session_id",...,"next_chunk","manifest":{SPEC §4 manifest}}
 *           (the manifest object itself is accepted too)
 *   GET  /ota/chunk/<id>?version=V&chunk=N
 *        -> {"chunk_index":N,"chunk_size":len,"chunk_data":"<base64>",...} (or raw chunk bytes)
 *   POST /ota/complete/<id>   {"success":bool,"version":V,"error"?:"<check>: <detail>"}
 * `security_counter` tells the gateway the device's anti-rollback minimum, so it never offers
 * (nor starts a session for) an image the device would refuse. The path formats are the
 * FG_ROUTE_OTA_* macros below, so they can follow the gateway.
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
#ifndef FG_ROUTE_OTA_INITIATE_FMT
#define FG_ROUTE_OTA_INITIATE_FMT "/ota/initiate/%s"
#endif
#ifndef FG_ROUTE_OTA_CHUNK_FMT
#define FG_ROUTE_OTA_CHUNK_FMT "/ota/chunk/%s?version=%s&chunk=%lu"
#endif
#ifndef FG_ROUTE_OTA_COMPLETE_FMT
#define FG_ROUTE_OTA_COMPLETE_FMT "/ota/complete/%s"
#endif

typedef struct {
  fg_client_t *client;
  /** Sent with check: the device's anti-rollback minimum (fg_rollback_min()). */
  uint32_t security_counter;
  /** JSON chunk answers are decoded from client->rx into the chunk buffer. */
  uint32_t last_status;
  char last_error[48];
} fg_ota_gateway_t;

void fg_ota_gateway_init(fg_ota_source_t *src, fg_ota_gateway_t *gw, fg_client_t *client);

#ifdef __cplusplus
}
#endif
#endif

/**
 * @file fg_ota_gateway.h
 * @brief fg_ota_source_t over the gateway's signed device API (fg_client): every OTA answer is
 *        response-signature-verified before it is used, on top of the manifest/chunk checks.
 *
 * Routes (EcoWatt-style; all signed device requests):
 *   GET  /ota/check/<id>?version=<running>        -> {"update_available":bool,"version":...}
 *   POST /ota/initiate/<id>   {"version":V}       -> {..."manifest":{SPEC §4 manifest}...}
 *                                                    (or the manifest object itself)
 *   GET  /ota/chunk/<id>?version=V&chunk=N        -> raw chunk bytes, or JSON with the chunk as
 *                                                    base64 in "data" / "chunk_data"
 *   POST /ota/complete/<id>   {"version","status":"success"|"failed","check","detail"}
 * The path formats are the FG_ROUTE_OTA_* macros below, so they can follow the gateway.
 */
#ifndef FLEETGATE_FG_OTA_GATEWAY_H
#define FLEETGATE_FG_OTA_GATEWAY_H

#include "fleetgate/fg_client.h"
#include "fleetgate/fg_ota.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FG_ROUTE_OTA_CHECK_FMT
#define FG_ROUTE_OTA_CHECK_FMT "/ota/check/%s?version=%s"
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
  /** JSON chunk answers are decoded from client->rx into the chunk buffer. */
  uint32_t last_status;
  char last_error[48];
} fg_ota_gateway_t;

void fg_ota_gateway_init(fg_ota_source_t *src, fg_ota_gateway_t *gw, fg_client_t *client);

#ifdef __cplusplus
}
#endif
#endif

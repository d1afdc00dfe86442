# Source lists of the portable core and its ports, shared by the ESP-IDF component
# (CMakeLists.txt beside this file) and the host build (firmware/host/CMakeLists.txt).
set(FG_DIR ${CMAKE_CURRENT_LIST_DIR})
set(FG_CORE_SRCS
  ${FG_DIR}/src/fg_err.c
  ${FG_DIR}/src/fg_hex.c
  ${FG_DIR}/src/fg_base64.c
  ${FG_DIR}/src/fg_crypto.c
  ${FG_DIR}/src/fg_json.c
  ${FG_DIR}/src/fg_kv.c
  ${FG_DIR}/src/fg_sign.c
  ${FG_DIR}/src/fg_envelope.c
  ${FG_DIR}/src/fg_nonce.c
  ${FG_DIR}/src/fg_crc32.c
  ${FG_DIR}/src/fg_frame.c
  ${FG_DIR}/src/fg_codec.c
  ${FG_DIR}/src/fg_client.c
  ${FG_DIR}/src/fg_control.c
  ${FG_DIR}/src/fg_manifest.c
  ${FG_DIR}/src/fg_hash_tree.c
  ${FG_DIR}/src/fg_ota_verify.c
  ${FG_DIR}/src/fg_rollback.c
  ${FG_DIR}/src/fg_ota.c
  ${FG_DIR}/src/fg_ota_gateway.c
  ${FG_DIR}/src/fg_semver.c
)
set(FG_PORT_POSIX_SRCS
  ${FG_DIR}/port/posix/fg_posix_kv.c
  ${FG_DIR}/port/posix/fg_posix_sys.c
  ${FG_DIR}/port/posix/fg_posix_http.c
  ${FG_DIR}/port/posix/fg_posix_flash.c
)
set(FG_PORT_ESP_SRCS
  ${FG_DIR}/port/esp-idf/fg_esp_kv.c
  ${FG_DIR}/port/esp-idf/fg_esp_sys.c
  ${FG_DIR}/port/esp-idf/fg_esp_http.c
  ${FG_DIR}/port/esp-idf/fg_esp_flash.c
)
set(FG_INCLUDE_DIRS ${FG_DIR}/include)

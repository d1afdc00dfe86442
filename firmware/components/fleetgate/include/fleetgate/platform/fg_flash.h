/**
 * @file fg_flash.h
 * @brief Port interface: writer for the inactive firmware slot (OTA).
 *
 * ESP-IDF: the next OTA partition via esp_partition_* (erase-on-first-touch per 4 KiB sector, so
 * a download can resume after a reboot without re-erasing written data), and
 * esp_ota_set_boot_partition() on finish. POSIX: a file per slot in the state dir.
 * Offsets are plaintext image offsets: the core writes decrypted firmware.
 */
#ifndef FLEETGATE_PLATFORM_FG_FLASH_H
#define FLEETGATE_PLATFORM_FG_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_flash {
  /** Prepares the inactive slot for an image of image_size bytes. resume_offset = 0 starts
   *  afresh; resume_offset > 0 means bytes [0, resume_offset) were written by an interrupted
   *  download of the same image and must be kept (only sectors beyond it may be erased).
   *  FG_ERR_RANGE if the image does not fit the slot. */
  int (*begin)(void *ctx, size_t image_size, size_t resume_offset);
  /** Writes len bytes at offset. Writes are sequential; after a resume the first write may
   *  repeat bytes already written (with identical content, so NOR flash needs no erase). */
  int (*write)(void *ctx, size_t offset, const uint8_t *data, size_t len);
  /** Reads back what was written (used to hash the image before it is activated). */
  int (*read)(void *ctx, size_t offset, uint8_t *data, size_t len);
  /** Marks the slot as the next boot image (pending verification: the new firmware must call
   *  confirm() or the bootloader rolls back on the next reset). */
  int (*finish)(void *ctx, size_t image_size);
  /** Drops a partially written image. */
  int (*abort)(void *ctx);
  /** Called by the running firmware once it passed its local self-test: cancels the pending
   *  rollback. No-op (0) when nothing is pending; an error must be handled (the image is not
   *  confirmed then). */
  int (*confirm)(void *ctx);
  /** Reads the *running* image (to check it is the one a pending update record names). */
  int (*read_running)(void *ctx, size_t offset, uint8_t *data, size_t len);
  /** The running image failed its self-test: mark it invalid and go back to the previous one
   *  (ESP-IDF: esp_ota_mark_app_invalid_rollback_and_reboot(), which does not return). */
  int (*reject)(void *ctx);
  void *ctx;
} fg_flash_t;

#ifdef __cplusplus
}
#endif
#endif

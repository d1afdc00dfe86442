/**
 * @file fg_frame.h
 * @brief The sample frame (server/codec/SPEC.md §3): a self-describing, column-major batch of
 *        readings. "FGSF" v1 header with field names and decimal scales, then u32 timestamps,
 *        then one i32 column per field.
 *
 * The device builds a frame in a caller buffer (fg_frame_init + fg_frame_put_*), then packs it
 * (fg_codec.h). All multi-byte values are little-endian, written with explicit byte stores.
 */
#ifndef FLEETGATE_FG_FRAME_H
#define FLEETGATE_FG_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_FRAME_MAGIC "FGSF"
#define FG_FRAME_VERSION 1u
/* limits shared with the gateway: fg_limits.h, generated from server/protocol/limits.ts */
#define FG_FRAME_MAX_FIELDS ((uint32_t)FG_LIMIT_FRAME_MAX_FIELDS)
#define FG_FRAME_MAX_SAMPLES ((uint32_t)FG_LIMIT_FRAME_MAX_SAMPLES)
/** Samples one upload may carry (the gateway refuses more, packed or plain). */
#define FG_FRAME_BATCH_MAX_SAMPLES ((uint32_t)FG_LIMIT_BATCH_MAX_SAMPLES)
#define FG_FRAME_NAME_MAX ((uint32_t)FG_LIMIT_FIELD_NAME_MAX)
#define FG_FRAME_SCALE_MIN FG_LIMIT_SCALE_EXP_MIN
#define FG_FRAME_SCALE_MAX FG_LIMIT_SCALE_EXP_MAX
#define FG_FRAME_MAX_BYTES ((uint32_t)FG_LIMIT_FRAME_MAX_BYTES)
#define FG_FRAME_MAX_HEADER (8u + FG_FRAME_MAX_FIELDS * (2u + FG_FRAME_NAME_MAX) + 3u)

/** True if name is one of the reserved names (FG_LIMIT_RESERVED_NAMES, exact compare). */
bool fg_frame_name_reserved(const char *name);

typedef struct {
  char name[FG_FRAME_NAME_MAX + 1]; /**< [a-z0-9_], 1..31, not a reserved name */
  int8_t scale_exp;                 /**< value = raw * 10^scale_exp, -9..9 */
} fg_frame_field_t;

typedef struct {
  uint8_t field_count;    /**< 0..32 */
  uint16_t sample_count;  /**< 1..65535 */
  fg_frame_field_t fields[FG_FRAME_MAX_FIELDS];
} fg_frame_layout_t;

/** True if name is a valid field name (SPEC §3.3 rule 3, uniqueness aside). */
bool fg_frame_name_valid(const char *name);

/** Header size H = align4(8 + sum(2 + name_len)); 0 if the layout is invalid. */
size_t fg_frame_header_size(const fg_frame_layout_t *l);

/** Total size H + 4*N*(F+1); 0 if invalid or over FG_FRAME_MAX_BYTES. */
size_t fg_frame_size(const fg_frame_layout_t *l);

/** Validates the layout and writes the header into buf (cap >= fg_frame_size), zeroing the
 *  columns. @return the frame size or a negative FG_ERR_*. */
int fg_frame_init(uint8_t *buf, size_t cap, const fg_frame_layout_t *l);

void fg_frame_put_ts(uint8_t *frame, const fg_frame_layout_t *l, uint32_t i, uint32_t ts);
void fg_frame_put_raw(uint8_t *frame, const fg_frame_layout_t *l, uint32_t field, uint32_t i,
                      int32_t raw);
/** raw = round(value / 10^scale_exp) (half away from zero); FG_ERR_RANGE if not finite or not
 *  in i32. */
int fg_frame_put_value(uint8_t *frame, const fg_frame_layout_t *l, uint32_t field, uint32_t i,
                       double value);

/** Decimals (0..6) a value needs; binary float noise (0.1+0.2) counts as the short form. */
int fg_frame_decimals(double value);

/** A parsed frame (pointers into the caller's bytes). */
typedef struct {
  fg_frame_layout_t layout;
  size_t header_size;
  size_t frame_size;  /**< implied by the header */
  const uint8_t *columns; /**< start of the timestamp column (frame + header_size) */
} fg_frame_view_t;

/**
 * Validates the header (SPEC §3.3 rules 1-6) of the len bytes at buf. With exact=true also rule
 * 7 (len equals the implied size); otherwise len only needs to cover the header.
 * @return 0, FG_ERR_BAD_FRAME, FG_ERR_TOO_LARGE (rule 6) or FG_ERR_SIZE_MISMATCH (rule 7).
 */
int fg_frame_parse(const uint8_t *buf, size_t len, bool exact, fg_frame_view_t *view);

uint32_t fg_frame_get_ts(const fg_frame_view_t *v, uint32_t i);
int32_t fg_frame_get_raw(const fg_frame_view_t *v, uint32_t field, uint32_t i);
/** raw / 10^-scale for negative scales, raw * 10^scale otherwise (SPEC §3.2). */
double fg_frame_get_value(const fg_frame_view_t *v, uint32_t field, uint32_t i);

#ifdef __cplusplus
}
#endif
#endif

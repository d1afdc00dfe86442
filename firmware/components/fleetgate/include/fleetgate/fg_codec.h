/**
 * @file fg_codec.h
 * @brief Packed telemetry (server/codec/SPEC.md v1): varints, transforms, the six coders, the
 *        five methods (encoder + decoder) and the packed-batch JSON object.
 *
 * The encoder follows the reference choice rules of SPEC §7.1 exactly (price every allowed
 * (transform, coder) pair by its exact size, keep the first strictly smallest), so its output is
 * byte-identical to the gateway's reference packer and to tests/vectors/codec.json.
 *
 * Memory: no heap. pack/unpack take the frame / output buffers and a scratch array of
 * fg_codec_scratch_words() u32 words (2 words per row of the largest block: N rows, or 256 for
 * adaptive). Every loop is bounded by the input length or the row count.
 */
#ifndef FLEETGATE_FG_CODEC_H
#define FLEETGATE_FG_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FG_METHOD_DICTIONARY 0xD0
#define FG_METHOD_DELTA 0xDE
#define FG_METHOD_RLE 0xAD
#define FG_METHOD_ADAPTIVE 0xBF
#define FG_METHOD_SMART 0xFF

#define FG_TRANSFORM_NONE 0x00
#define FG_TRANSFORM_DELTA 0x01
#define FG_TRANSFORM_DELTA2 0x02

#define FG_CODER_RAW 0x00
#define FG_CODER_VARINT 0x01
#define FG_CODER_RLE 0x02
#define FG_CODER_DICT 0x03
#define FG_CODER_BITPACK 0x04
#define FG_CODER_RICE 0x05

#define FG_CODEC_ADAPTIVE_ROWS 256u
#define FG_CODEC_BITPACK_GROUP 128u
#define FG_CODEC_RICE_GROUP 32u
#define FG_CODEC_MAX_PACKED 2097152u
#define FG_CODEC_MAX_RATIO 1024u

/* ---- primitives (exposed for tests) --------------------------------------------------------- */
uint32_t fg_codec_zigzag(int32_t x);
int32_t fg_codec_unzigzag(uint32_t u);
/** Writes the varint of v (1..5 bytes) to out; returns its length. */
size_t fg_codec_varint_put(uint32_t v, uint8_t out[5]);
/** Canonical varint decode; returns bytes consumed or FG_ERR_BAD_PACKED. */
int fg_codec_varint_get(const uint8_t *in, size_t len, uint32_t *v);

/* ---- methods -------------------------------------------------------------------------------- */
/** Method id from a name ("smart"), a hex ("0xFF", "ff") or decimal ("255") string. */
int fg_codec_method_parse(const char *s);
/** Name of an assigned method id, NULL otherwise. */
const char *fg_codec_method_name(int method);
bool fg_codec_method_valid(int method);

/** Scratch words pack/unpack need for a frame of `samples` rows. */
size_t fg_codec_scratch_words(int method, uint32_t samples);
/** Upper bound of the packed size of a frame with `method` (its worst allowed coder). */
size_t fg_codec_pack_bound(int method, size_t frame_size, uint32_t fields, uint32_t samples);

/**
 * Packs a complete frame with `method`.
 * @return the packed length, or FG_ERR_BAD_FRAME / FG_ERR_UNKNOWN_METHOD /
 *         FG_ERR_BUFFER_TOO_SMALL / FG_ERR_TOO_LARGE (ratio over 1024 or over 2 MiB: split the
 *         batch).
 */
int fg_codec_pack(int method, const uint8_t *frame, size_t frame_len, uint8_t *out, size_t cap,
                  uint32_t *scratch, size_t scratch_words);

/**
 * Unpacks a packed stream into the frame (exactly original_size bytes into out).
 * Checks SPEC §9.2 rules 8-11 (CRC is the caller's: fg_codec_batch_unpack does it).
 * @return original_size or FG_ERR_BAD_FRAME / FG_ERR_TOO_LARGE / FG_ERR_SIZE_MISMATCH /
 *         FG_ERR_BAD_PACKED / FG_ERR_UNKNOWN_METHOD.
 */
int fg_codec_unpack(int method, const uint8_t *packed, size_t len, size_t original_size,
                    uint8_t *out, size_t cap, uint32_t *scratch, size_t scratch_words);

/* ---- single blocks (exposed for tests / custom encoders) ------------------------------------ */
/** Encodes m words as one block "transform coder body"; scratch: 2*m words. */
int fg_codec_block_encode(uint8_t transform, uint8_t coder, const uint32_t *words, uint32_t m,
                          uint8_t *out, size_t cap, uint32_t *scratch);
/** Decodes one block of m words (coder must be in allowed_mask, bit per coder id).
 *  *consumed receives the block's length; scratch: m words (DICT table). */
int fg_codec_block_decode(uint32_t allowed_mask, const uint8_t *in, size_t len, size_t *consumed,
                          uint32_t *words, uint32_t m, uint32_t *scratch);

/* ---- packed batch JSON (SPEC §2) ------------------------------------------------------------ */
/**
 * Writes {"compressed_data":"<b64>","method":M,"original_size":O,"compressed_size":C,
 * "crc32":"<8 hex>","timestamp":T} (the gateway's member order) into out.
 * @return the JSON length or a negative FG_ERR_*.
 */
int fg_codec_batch_json(int method, const uint8_t *frame, size_t frame_len, const uint8_t *packed,
                        size_t packed_len, uint32_t timestamp, char *out, size_t cap);

/**
 * The gateway's unpackBatch (SPEC §9.2, checks 1-13 in order) on a packed-batch JSON object:
 * decodes base64 into packed_buf, unpacks into frame_out, checks the CRC and the frame.
 * @return the frame length or the FG_ERR_* of the first failing check.
 */
int fg_codec_batch_unpack(const char *json, size_t len, uint8_t *packed_buf, size_t packed_cap,
                          uint8_t *frame_out, size_t frame_cap, uint32_t *scratch,
                          size_t scratch_words);

/** The SPEC error code for an FG_ERR_* ("bad_frame", "crc_mismatch", ...), "" if none. */
const char *fg_codec_error_code(int err);

#ifdef __cplusplus
}
#endif
#endif

/**
 * fleetgate-codec-bench: packs a CSV/JSON sample file with every method using the device core
 * built as for the device (-Os, no sanitizers) and prints one JSON document:
 *   per method: packed size, ratio, encode and decode MB/s (of frame bytes), and the peak working
 *   memory = caller buffers (frame + packed output bound + scratch words) + measured stack
 *   (painted-stack high-water mark of one pack / unpack call).
 *
 * usage: fleetgate-codec-bench [--batch N] [--limit N] [--min-time-ms N] FILE
 *   FILE   e.g. ../shared/data/household_power_1min.txt (';' CSV, header, '?' rows skipped)
 *   --batch N        rows per frame (default: all rows in one frame, max 65535)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fg_samples.h"
#include "fg_stackmeter.h"
#include "fleetgate/fg_codec.h"
#include "fleetgate/fg_crc32.h"
#include "fleetgate/fg_err.h"

static double prv_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
  int method;
  const uint8_t *frame;
  size_t frame_len;
  uint8_t *packed;
  size_t cap;
  uint32_t *scratch;
  size_t sw;
  uint8_t *out;
  int packed_len;
  int result;
} job_t;

static void prv_pack(void *p) {
  job_t *j = (job_t *)p;
  j->result = fg_codec_pack(j->method, j->frame, j->frame_len, j->packed, j->cap, j->scratch, j->sw);
}

static void prv_unpack(void *p) {
  job_t *j = (job_t *)p;
  j->result = fg_codec_unpack(j->method, j->packed, (size_t)j->packed_len, j->frame_len, j->out,
                              j->frame_len, j->scratch, j->sw);
}

int main(int argc, char **argv) {
  size_t batch = 0;
  size_t limit = 0;
  double min_time = 0.25;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
      batch = (size_t)strtoul(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
      limit = (size_t)strtoul(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--min-time-ms") == 0 && i + 1 < argc) {
      min_time = strtod(argv[++i], NULL) / 1000.0;
    } else if (argv[i][0] != '-') {
      path = argv[i];
    } else {
      fprintf(stderr, "usage: fleetgate-codec-bench [--batch N] [--limit N] [--min-time-ms N] FILE\n");
      return 2;
    }
  }
  if (path == NULL) {
    fprintf(stderr, "usage: fleetgate-codec-bench [--batch N] [--limit N] [--min-time-ms N] FILE\n");
    return 2;
  }
  fg_samples_t s;
  const char *err = fg_samples_load(path, limit, &s);
  if (err != NULL) {
    fprintf(stderr, "fleetgate-codec-bench: %s\n", err);
    return 3;
  }
  if (batch == 0 || batch > s.n_samples) {
    batch = s.n_samples > 65535 ? 65535 : s.n_samples;
  }
  /* frames of `batch` rows covering the file */
  const size_t n_frames = (s.n_samples + batch - 1) / batch;
  uint8_t **frames = (uint8_t **)calloc(n_frames, sizeof(uint8_t *));
  size_t *flens = (size_t *)calloc(n_frames, sizeof(size_t));
  fg_frame_layout_t lay;
  size_t total_frame = 0;
  size_t max_frame = 0;
  for (size_t f = 0; f < n_frames; f++) {
    const size_t first = f * batch;
    const size_t count = s.n_samples - first < batch ? s.n_samples - first : batch;
    const int n = fg_samples_frame(&s, first, count, &frames[f], &lay);
    if (n < 0) {
      fprintf(stderr, "fleetgate-codec-bench: cannot build a frame: %s\n", fg_err_name(n));
      return 3;
    }
    flens[f] = (size_t)n;
    total_frame += (size_t)n;
    max_frame = (size_t)n > max_frame ? (size_t)n : max_frame;
  }
  static const int methods[] = {FG_METHOD_DICTIONARY, FG_METHOD_DELTA, FG_METHOD_RLE,
                                FG_METHOD_ADAPTIVE, FG_METHOD_SMART};
  printf("{\"tool\":\"fleetgate-codec-bench\",\"build\":\"-Os, no sanitizers (device flags)\","
         "\"file\":\"%s\",\"rows\":%zu,\"fields\":%u,\"batch_rows\":%zu,\"frames\":%zu,"
         "\"frame_bytes\":%zu,\"methods\":[",
         path, s.n_samples, s.n_fields, batch, n_frames, total_frame);
  for (size_t mi = 0; mi < sizeof(methods) / sizeof(methods[0]); mi++) {
    const int m = methods[mi];
    const size_t sw = fg_codec_scratch_words(m, (uint32_t)batch);
    const size_t cap = fg_codec_pack_bound(m, max_frame, s.n_fields, (uint32_t)batch);
    job_t j = {.method = m, .cap = cap, .sw = sw};
    j.packed = (uint8_t *)malloc(cap);
    j.scratch = (uint32_t *)malloc(sw * 4);
    j.out = (uint8_t *)malloc(max_frame);
    size_t packed_total = 0;
    int ok = 1;
    /* correctness + sizes */
    for (size_t f = 0; f < n_frames && ok; f++) {
      j.frame = frames[f];
      j.frame_len = flens[f];
      const int n = fg_codec_pack(m, frames[f], flens[f], j.packed, cap, j.scratch, sw);
      if (n < 0) {
        ok = 0;
        break;
      }
      j.packed_len = n;
      packed_total += (size_t)n;
      if (fg_codec_unpack(m, j.packed, (size_t)n, flens[f], j.out, flens[f], j.scratch, sw) !=
              (int)flens[f] ||
          memcmp(j.out, frames[f], flens[f]) != 0) {
        ok = 0;
      }
    }
    /* stack of one pack / unpack of the largest frame */
    j.frame = frames[0];
    j.frame_len = flens[0];
    const size_t stack_pack = fg_stackmeter_run(prv_pack, &j);
    j.packed_len = j.result;
    const size_t stack_unpack = fg_stackmeter_run(prv_unpack, &j);
    /* throughput */
    double t0 = prv_now(), t1;
    size_t iters = 0;
    do {
      for (size_t f = 0; f < n_frames; f++) {
        (void)fg_codec_pack(m, frames[f], flens[f], j.packed, cap, j.scratch, sw);
      }
      iters++;
      t1 = prv_now();
    } while (t1 - t0 < min_time);
    const double enc = (double)total_frame * (double)iters / (t1 - t0) / 1e6;
    /* decode: keep each frame's packed bytes */
    uint8_t **pk = (uint8_t **)calloc(n_frames, sizeof(uint8_t *));
    int *pl = (int *)calloc(n_frames, sizeof(int));
    for (size_t f = 0; f < n_frames; f++) {
      pk[f] = (uint8_t *)malloc(cap);
      pl[f] = fg_codec_pack(m, frames[f], flens[f], pk[f], cap, j.scratch, sw);
    }
    t0 = prv_now();
    iters = 0;
    do {
      for (size_t f = 0; f < n_frames; f++) {
        (void)fg_codec_unpack(m, pk[f], (size_t)pl[f], flens[f], j.out, flens[f], j.scratch, sw);
      }
      iters++;
      t1 = prv_now();
    } while (t1 - t0 < min_time);
    const double dec = (double)total_frame * (double)iters / (t1 - t0) / 1e6;
    for (size_t f = 0; f < n_frames; f++) {
      free(pk[f]);
    }
    free(pk);
    free(pl);
    /* working memory of the encode path on a device: frame + output + scratch + stack */
    const size_t packed_max = (size_t)j.packed_len; /* first frame */
    const size_t buffers_enc = max_frame + cap + sw * 4;
    const size_t buffers_dec = max_frame + packed_max + fg_codec_scratch_words(m, (uint32_t)batch) / 3 * 2 * 4;
    printf("%s{\"method\":\"%s\",\"id\":%d,\"ok\":%s,\"packed_bytes\":%zu,\"ratio\":%.3f,"
           "\"encode_mb_s\":%.2f,\"decode_mb_s\":%.2f,"
           "\"encode_peak_working_bytes\":%zu,\"encode_buffers_bytes\":%zu,\"encode_stack_bytes\":%zu,"
           "\"decode_peak_working_bytes\":%zu,\"decode_buffers_bytes\":%zu,\"decode_stack_bytes\":%zu,"
           "\"scratch_bytes\":%zu,\"output_bound_bytes\":%zu}",
           mi == 0 ? "" : ",", fg_codec_method_name(m), m, ok ? "true" : "false", packed_total,
           packed_total ? (double)total_frame / (double)packed_total : 0.0, enc, dec,
           buffers_enc + stack_pack, buffers_enc, stack_pack, buffers_dec + stack_unpack,
           buffers_dec, stack_unpack, sw * 4, cap);
    free(j.packed);
    free(j.scratch);
    free(j.out);
  }
  printf("]}\n");
  for (size_t f = 0; f < n_frames; f++) {
    free(frames[f]);
  }
  free(frames);
  free(flens);
  fg_samples_free(&s);
  return 0;
}

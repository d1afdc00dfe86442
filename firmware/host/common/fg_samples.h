/**
 * Host-only helper (simulator, benchmark): loads a batch of samples from a JSON array
 * ([{"timestamp":n,"power":1.5,...},...]) or a CSV file (header row; ',' or ';' separated; a
 * "timestamp" column of Unix seconds, or "Date"+"Time" columns as dd/mm/yyyy;hh:mm:ss in UTC as
 * in the UCI household power dataset; rows with '?' or empty cells are skipped). Field names are
 * lower-cased and anything outside [a-z0-9_] becomes '_' (the frame's name rule).
 */
#ifndef FG_SAMPLES_H
#define FG_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_frame.h"

typedef struct {
  uint32_t n_fields;
  char names[FG_FRAME_MAX_FIELDS][FG_FRAME_NAME_MAX + 1];
  size_t n_samples;
  uint32_t *ts;   /**< n_samples */
  double *values; /**< n_samples * n_fields, row-major */
} fg_samples_t;

/** Loads a file (format from the content: '[' = JSON, else CSV). 0 or an error message. */
const char *fg_samples_load(const char *path, size_t limit, fg_samples_t *s);
void fg_samples_free(fg_samples_t *s);

/**
 * Builds the frame of rows [first, first+count): layout with each field's scale chosen from its
 * values' decimals (SPEC §3.2). Returns the frame size or a negative FG_ERR_*; *frame is malloc'd.
 */
int fg_samples_frame(const fg_samples_t *s, size_t first, size_t count, uint8_t **frame,
                     fg_frame_layout_t *layout);

/** The rows as {"aggregated_data":[...]} (malloc'd, NUL-terminated). */
char *fg_samples_aggregated_json(const fg_samples_t *s, size_t first, size_t count, size_t *len);

#endif

#include "fg_test_vectors.h"

#include <stdlib.h>

#include "fg_host_file.h"
#include "fg_test.h"

cJSON *fg_test_load_vectors(const char *file) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", FG_VECTORS_DIR, file);
  char *text = fg_host_read_file(path, NULL);
  FG_CHECK(text != NULL);
  if (text == NULL) {
    return NULL;
  }
  cJSON *root = cJSON_Parse(text);
  free(text);
  FG_CHECK(root != NULL);
  return root;
}

const char *fg_test_str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

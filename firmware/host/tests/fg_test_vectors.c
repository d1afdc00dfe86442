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

int fg_test_ota_keys(fg_ota_keys_t *keys, uint8_t **der) {
  cJSON *v1 = fg_test_load_vectors("manifest.json");
  if (v1 == NULL) {
    return 0;
  }
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(v1, "keys");
  size_t der_len = 0;
  *der = fg_test_hex(fg_test_str(k, "public_key_der_hex"), &der_len);
  uint8_t *aes = fg_test_hex(fg_test_str(k, "aes_key_hex"), NULL);
  FG_CHECK_EQ(fg_ota_keys_init(keys, *der, der_len, aes), 0);
  free(aes);
  cJSON_Delete(v1);
  return 1;
}

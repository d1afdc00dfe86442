#include "fleetgate/fg_ota.h"

#include <stdio.h>
#include <string.h>

#include "fleetgate/fg_crypto.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_rollback.h"
#include "fleetgate/fg_semver.h"

#define PRV_RESUME_MAGIC 0x524F4746u /* "FGOR" */
#define PRV_RESUME_LEN (4 + 32 + 4 + 16)

typedef struct {
  uint8_t header_sha256[32];
  uint32_t next_chunk;
  uint8_t iv[16];
} prv_resume_t;

static void prv_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t prv_get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int prv_resume_load(const fg_kv_t *kv, prv_resume_t *r) {
  uint8_t b[PRV_RESUME_LEN];
  size_t len = 0;
  const int rc = kv->get(kv->ctx, FG_OTA_KV_RESUME, b, sizeof(b), &len);
  if (rc != 0) {
    return rc;
  }
  if (len != PRV_RESUME_LEN || prv_get32(b) != PRV_RESUME_MAGIC) {
    return FG_ERR_FORMAT;
  }
  memcpy(r->header_sha256, b + 4, 32);
  r->next_chunk = prv_get32(b + 36);
  memcpy(r->iv, b + 40, 16);
  return FG_OK;
}

static int prv_resume_save(const fg_kv_t *kv, const prv_resume_t *r) {
  uint8_t b[PRV_RESUME_LEN];
  prv_put32(b, PRV_RESUME_MAGIC);
  memcpy(b + 4, r->header_sha256, 32);
  prv_put32(b + 36, r->next_chunk);
  memcpy(b + 40, r->iv, 16);
  return kv->set(kv->ctx, FG_OTA_KV_RESUME, b, sizeof(b));
}

int fg_ota_forget_resume(const fg_kv_t *kv) {
  if (kv == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  return kv->erase(kv->ctx, FG_OTA_KV_RESUME);
}

static void prv_emit(const fg_ota_config_t *cfg, fg_ota_event_type_t type, const char *version,
                     uint32_t chunk, uint32_t total, uint32_t attempt, const char *check) {
  if (cfg->on_event == NULL) {
    return;
  }
  const fg_ota_event_t ev = {.type = type, .version = version, .chunk = chunk,
                             .total_chunks = total, .attempt = attempt, .check = check};
  cfg->on_event(cfg->user, &ev);
}

/* Reports a verification failure to the gateway and returns err. */
static int prv_fail_report_why(const fg_ota_source_t *src, const fg_ota_config_t *cfg,
                               const char *version, fg_ota_result_t *res, fg_ota_check_t check,
                               int32_t chunk, int err, const char *why) {
  res->failed_check = (uint8_t)check;
  res->failed_chunk = chunk;
  if (src->report != NULL && check != FG_OTA_CHECK_NONE) {
    char detail[128];
    if (why != NULL) {
      (void)snprintf(detail, sizeof(detail), "%s", why);
    } else if (chunk >= 0) {
      (void)snprintf(detail, sizeof(detail), "check %s failed at chunk %ld",
                     fg_ota_check_name(check), (long)chunk);
    } else {
      (void)snprintf(detail, sizeof(detail), "check %s failed", fg_ota_check_name(check));
    }
    if (src->report(src->ctx, version, false, fg_ota_check_name(check), detail) == 0) {
      prv_emit(cfg, FG_OTA_EV_REPORTED, version, 0, res->total_chunks, 0, fg_ota_check_name(check));
    }
  }
  return err;
}

static int prv_fail_report(const fg_ota_source_t *src, const fg_ota_config_t *cfg,
                           const char *version, fg_ota_result_t *res, fg_ota_check_t check,
                           int32_t chunk, int err) {
  return prv_fail_report_why(src, cfg, version, res, check, chunk, err, NULL);
}

/* SHA-256 of the written plaintext, read back from the slot through the flash port. */
static int prv_hash_flash(const fg_flash_t *flash, size_t size, uint8_t *buf, size_t cap,
                          uint8_t out[32]) {
  fg_sha256_t h;
  int rc = fg_sha256_start(&h);
  if (rc != 0) {
    return rc;
  }
  for (size_t off = 0; off < size && rc == 0;) {
    const size_t n = (size - off) < cap ? (size - off) : cap;
    rc = flash->read(flash->ctx, off, buf, n);
    if (rc == 0) {
      rc = fg_sha256_update(&h, buf, n);
    }
    off += n;
  }
  if (rc != 0) {
    fg_sha256_free(&h);
    return rc;
  }
  return fg_sha256_finish(&h, out);
}

static int prv_download(const fg_platform_t *plat, const fg_ota_source_t *src,
                        const fg_ota_config_t *cfg, fg_ota_verify_t *v, const fg_manifest_t *m,
                        fg_ota_result_t *res) {
  const fg_flash_t *flash = plat->flash;
  const char *version = v->hdr.version;
  const uint32_t total = v->hdr.total_chunks;
  /* resume? */
  prv_resume_t rec;
  uint32_t start = 0;
  if (prv_resume_load(plat->kv, &rec) == 0 &&
      fg_ct_equal(rec.header_sha256, v->header_sha256, 32) && rec.next_chunk > 0 &&
      rec.next_chunk <= total) {
    start = rec.next_chunk;
  }
  size_t resume_offset = (size_t)start * v->hdr.chunk_size;
  if (resume_offset > v->hdr.original_size) {
    resume_offset = v->hdr.original_size; /* interrupted between the last chunk and finish */
  }
  int rc = flash->begin(flash->ctx, v->hdr.original_size, resume_offset);
  if (rc != 0) {
    return rc;
  }
  if (start > 0) {
    rc = fg_ota_verify_resume(v, start, rec.iv);
    if (rc != 0) {
      return rc;
    }
    res->resumed = true;
    res->resumed_at = start;
    prv_emit(cfg, FG_OTA_EV_RESUME, version, start, total, 0, NULL);
  } else {
    memcpy(rec.header_sha256, v->header_sha256, 32);
    rec.next_chunk = 0;
    memcpy(rec.iv, v->hdr.iv, 16);
    rc = prv_resume_save(plat->kv, &rec);
    if (rc != 0) {
      return rc;
    }
  }
  res->next_chunk = start;
  const uint8_t max_attempts = cfg->max_chunk_attempts == 0 ? 3 : cfg->max_chunk_attempts;
  const uint32_t persist_every = cfg->persist_every == 0 ? 1 : cfg->persist_every;
  for (uint32_t n = start; n < total; n++) {
    if (cfg->stop_after_chunks > 0 && res->chunks_written >= cfg->stop_after_chunks) {
      rec.next_chunk = n;
      memcpy(rec.iv, v->iv, 16);
      rc = prv_resume_save(plat->kv, &rec);
      prv_emit(cfg, FG_OTA_EV_INTERRUPTED, version, n, total, 0, NULL);
      return rc != 0 ? rc : FG_ERR_INTERRUPTED;
    }
    const uint32_t expect = fg_manifest_chunk_len(&v->hdr, n);
    if (expect > cfg->chunk_cap) {
      return FG_ERR_BUFFER_TOO_SMALL;
    }
    size_t plain_len = 0;
    for (uint8_t attempt = 1;; attempt++) {
      size_t len = 0;
      rc = src->chunk(src->ctx, version, n, cfg->chunk_buf, cfg->chunk_cap, &len);
      if (rc == 0) {
        uint8_t iv_next[16] = {0};
        if (len >= 16) {
          memcpy(iv_next, cfg->chunk_buf + len - 16, 16);
        }
        rc = fg_ota_verify_chunk(v, n, cfg->chunk_buf, len, cfg->chunk_buf, &plain_len);
        if (rc == 0) {
          memcpy(rec.iv, iv_next, 16);
          break;
        }
        const fg_ota_check_t check = (fg_ota_check_t)v->failed_check;
        if (check == FG_OTA_CHECK_PADDING) {
          return prv_fail_report(src, cfg, version, res, check, (int32_t)n, rc);
        }
        prv_emit(cfg, FG_OTA_EV_CHUNK_REJECTED, version, n, total, attempt, fg_ota_check_name(check));
        if (attempt >= max_attempts) {
          /* keep the resume record: a later run retries this chunk */
          return prv_fail_report(src, cfg, version, res, check, (int32_t)n, rc);
        }
        res->refetches++;
        continue;
      }
      if (rc == FG_ERR_BUFFER_TOO_SMALL) {
        return prv_fail_report(src, cfg, version, res, FG_OTA_CHECK_CHUNK_LENGTH, (int32_t)n, rc);
      }
      if (attempt >= max_attempts) {
        return rc; /* transport trouble: resume record kept */
      }
      res->refetches++;
    }
    rc = flash->write(flash->ctx, (size_t)n * v->hdr.chunk_size, cfg->chunk_buf, plain_len);
    if (rc != 0) {
      return rc;
    }
    res->chunks_written++;
    res->next_chunk = n + 1;
    rec.next_chunk = n + 1;
    if ((res->chunks_written % persist_every) == 0 || n + 1 == total) {
      rc = prv_resume_save(plat->kv, &rec);
      if (rc != 0) {
        return rc;
      }
    }
    prv_emit(cfg, FG_OTA_EV_CHUNK, version, n, total, 0, NULL);
  }
  /* every chunk is in flash: hash what is actually there, then the signature */
  uint8_t digest[32];
  rc = prv_hash_flash(flash, v->hdr.original_size, cfg->chunk_buf, cfg->chunk_cap, digest);
  if (rc != 0) {
    return rc;
  }
  rc = fg_ota_verify_finish(v, digest, m->fw_sig, m->fw_sig_len);
  if (rc != 0) {
    (void)flash->abort(flash->ctx);
    (void)fg_ota_forget_resume(plat->kv);
    return prv_fail_report(src, cfg, version, res, (fg_ota_check_t)v->failed_check, -1, rc);
  }
  rc = flash->finish(flash->ctx, v->hdr.original_size);
  if (rc != 0) {
    return rc;
  }
  (void)fg_ota_forget_resume(plat->kv);
  rc = fg_rollback_set_pending(plat->kv, v->hdr.security_counter, version);
  if (rc != 0) {
    return rc;
  }
  prv_emit(cfg, FG_OTA_EV_VERIFIED, version, total, total, 0, NULL);
  return FG_OK;
}

int fg_ota_run(const fg_platform_t *plat, const fg_ota_keys_t *keys, const fg_ota_source_t *src,
               const fg_ota_config_t *cfg, const char *current_version, const char *version,
               fg_ota_result_t *res) {
  if (plat == NULL || plat->kv == NULL || plat->flash == NULL || keys == NULL || src == NULL ||
      cfg == NULL || res == NULL || cfg->chunk_buf == NULL || cfg->table == NULL ||
      cfg->manifest_buf == NULL || cfg->toks == NULL || src->initiate == NULL ||
      src->chunk == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(res, 0, sizeof(*res));
  res->failed_chunk = -1;
  char offered[FG_MANIFEST_VERSION_MAX + 1];
  if (version == NULL || version[0] == '\0') {
    if (src->check == NULL) {
      return FG_ERR_INVALID_ARG;
    }
    int rc = src->check(src->ctx, current_version != NULL ? current_version : "", offered,
                        sizeof(offered));
    if (rc != 0) {
      return rc;
    }
    if (offered[0] == '\0') {
      return FG_ERR_NOTHING;
    }
    version = offered;
    prv_emit(cfg, FG_OTA_EV_AVAILABLE, version, 0, 0, 0, NULL);
  }
  if (strlen(version) > FG_MANIFEST_VERSION_MAX) {
    return FG_ERR_INVALID_ARG;
  }
  snprintf(res->version, sizeof(res->version), "%s", version);

  size_t mlen = 0;
  int rc = src->initiate(src->ctx, version, cfg->manifest_buf, cfg->manifest_cap, &mlen);
  if (rc != 0) {
    return rc;
  }
  static fg_manifest_t s_manifest; /* 1 KiB: kept off the stack (one OTA at a time) */
  fg_manifest_t *m = &s_manifest;
  fg_json_doc_t doc;
  rc = fg_json_parse(&doc, cfg->manifest_buf, mlen, cfg->toks, cfg->toks_cap);
  if (rc == FG_ERR_BUFFER_TOO_SMALL) {
    return rc;
  }
  if (rc > 0) {
    rc = fg_manifest_from_json(&doc, 0, m, cfg->table, cfg->table_cap);
    if (rc == FG_ERR_BUFFER_TOO_SMALL) {
      return rc;
    }
  }
  if (rc < 0) {
    return prv_fail_report(src, cfg, version, res, FG_OTA_CHECK_MANIFEST_FORMAT, -1, FG_ERR_FORMAT);
  }
  uint32_t min_counter = 0;
  rc = fg_rollback_min(plat->kv, &min_counter);
  if (rc != 0) {
    return rc;
  }
  fg_ota_verify_t v;
  rc = fg_ota_verify_header(&v, keys, m->header, m->header_sig, m->header_sig_len);
  if (rc == 0) {
    rc = fg_ota_verify_copies(&v, m);
  }
  if (rc == 0 && strcmp(v.hdr.version, version) != 0) {
    /* an authentic manifest, but not of the version we asked for */
    v.failed_check = FG_OTA_CHECK_MANIFEST_MISMATCH;
    rc = FG_ERR_MISMATCH;
  }
  if (rc == 0) {
    rc = fg_ota_verify_rollback(&v, min_counter);
  }
  if (rc == 0 && !cfg->allow_downgrade && current_version != NULL) {
    /* the version is authentic now (signed header): the device's own policy on versions */
    int order = 0;
    if (fg_semver_cmp(v.hdr.version, current_version, &order) == 0 && order < 0) {
      v.failed_check = FG_OTA_CHECK_DOWNGRADE;
      rc = FG_ERR_ROLLBACK;
    }
  }
  if (rc == 0) {
    rc = fg_ota_verify_chunk_table(&v, cfg->table, m->chunk_hash_count);
  }
  res->security_counter = v.hdr.security_counter;
  res->total_chunks = v.hdr.total_chunks;
  if (rc != 0) {
    const fg_ota_check_t check = (fg_ota_check_t)v.failed_check;
    fg_ota_verify_free(&v);
    char why[128];
    if (check == FG_OTA_CHECK_DOWNGRADE) {
      (void)snprintf(why, sizeof(why), "version %s is older than the running %.40s", version,
                     current_version);
    }
    return prv_fail_report_why(src, cfg, version, res, check, -1, rc,
                               check == FG_OTA_CHECK_DOWNGRADE ? why : NULL);
  }
  prv_emit(cfg, FG_OTA_EV_MANIFEST, version, 0, v.hdr.total_chunks, 0, NULL);
  rc = prv_download(plat, src, cfg, &v, m, res);
  fg_ota_verify_free(&v);
  if (rc != 0) {
    if (res->failed_check == FG_OTA_CHECK_NONE && v.failed_check != FG_OTA_CHECK_NONE &&
        rc != FG_ERR_INTERRUPTED && rc != FG_ERR_TRANSPORT) {
      res->failed_check = v.failed_check;
      res->failed_chunk = v.failed_chunk;
    }
    return rc;
  }
  if (src->report != NULL) {
    rc = src->report(src->ctx, version, true, "", "installed; reboot to activate");
    if (rc != 0) {
      return rc; /* the image is installed; the report can be repeated */
    }
    prv_emit(cfg, FG_OTA_EV_REPORTED, version, 0, res->total_chunks, 0, NULL);
  }
  res->complete = true;
  return FG_OK;
}

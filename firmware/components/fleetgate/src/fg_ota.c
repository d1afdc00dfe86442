#include "fleetgate/fg_ota.h"

#include <stdio.h>
#include <string.h>

#include "fleetgate/fg_crypto.h"
#include "fleetgate/fg_err.h"
#include "fg_le_private.h"
#include "fleetgate/fg_hash_tree.h"
#include "fleetgate/fg_rollback.h"
#include "fleetgate/fg_semver.h"

#define PRV_RESUME_MAGIC 0x524F4746u /* "FGOR" */
#define PRV_VERSION_FIELD (FG_MANIFEST_VERSION_MAX + 1) /* NUL-padded */
/* magic, header SHA-256, next chunk, IV of the next chunk, version (so a refusal of a version
 * finds its record without the manifest). A record of another length (the 56-byte one before
 * the version was added) is ignored: the download starts afresh, nothing worse. */
#define PRV_RESUME_LEN (4 + 32 + 4 + 16 + PRV_VERSION_FIELD)
#define PRV_WITHDRAWN_MAGIC 0x414F4746u /* "FGOA" */
/* magic, reason (-FG_ERR_YANKED / -FG_ERR_NOT_ASSIGNED), chunks written, version */
#define PRV_WITHDRAWN_LEN (4 + 4 + 4 + PRV_VERSION_FIELD)

typedef struct {
  uint8_t header_sha256[32];
  uint32_t next_chunk;
  uint8_t iv[16];
  char version[PRV_VERSION_FIELD];
} prv_resume_t;

/* One OTA run: the inputs and the verifier, so helpers take one pointer. */
typedef struct {
  const fg_platform_t *plat;
  const fg_ota_source_t *src;
  const fg_ota_config_t *cfg;
  fg_ota_verify_t v;
  fg_ota_result_t *res;
  const char *version;
  uint8_t max_attempts;
} prv_run_t;

static int prv_resume_load(const fg_kv_t *kv, prv_resume_t *r) {
  uint8_t b[PRV_RESUME_LEN];
  size_t len = 0;
  const int rc = kv->get(kv->ctx, FG_OTA_KV_RESUME, b, sizeof(b), &len);
  if (rc != 0) {
    return rc;
  }
  if (len != PRV_RESUME_LEN || fg_le32_load(b) != PRV_RESUME_MAGIC) {
    return FG_ERR_FORMAT;
  }
  memcpy(r->header_sha256, b + 4, 32);
  r->next_chunk = fg_le32_load(b + 36);
  memcpy(r->iv, b + 40, 16);
  memcpy(r->version, b + 56, PRV_VERSION_FIELD);
  r->version[PRV_VERSION_FIELD - 1] = '\0';
  return FG_OK;
}

static int prv_resume_save(const fg_kv_t *kv, const prv_resume_t *r) {
  uint8_t b[PRV_RESUME_LEN];
  fg_le32_store(b, PRV_RESUME_MAGIC);
  memcpy(b + 4, r->header_sha256, 32);
  fg_le32_store(b + 36, r->next_chunk);
  memcpy(b + 40, r->iv, 16);
  memcpy(b + 56, r->version, PRV_VERSION_FIELD);
  return kv->set(kv->ctx, FG_OTA_KV_RESUME, b, sizeof(b));
}

int fg_ota_forget_resume(const fg_kv_t *kv) {
  if (kv == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  return kv->erase(kv->ctx, FG_OTA_KV_RESUME);
}

int fg_ota_withdrawn(const fg_kv_t *kv, fg_ota_withdrawn_t *out) {
  if (kv == NULL || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  uint8_t b[PRV_WITHDRAWN_LEN];
  size_t len = 0;
  const int rc = kv->get(kv->ctx, FG_OTA_KV_WITHDRAWN, b, sizeof(b), &len);
  if (rc != 0) {
    return rc;
  }
  const uint32_t reason = fg_le32_load(b + 4);
  if (len != PRV_WITHDRAWN_LEN || fg_le32_load(b) != PRV_WITHDRAWN_MAGIC ||
      (reason != (uint32_t)-FG_ERR_YANKED && reason != (uint32_t)-FG_ERR_NOT_ASSIGNED)) {
    return FG_ERR_FORMAT;
  }
  out->reason = -(int)reason;
  out->chunks = fg_le32_load(b + 8);
  memcpy(out->version, b + 12, PRV_VERSION_FIELD);
  out->version[PRV_VERSION_FIELD - 1] = '\0';
  return FG_OK;
}

void fg_ota_withdrawn_json(fg_jsonw_t *w, const fg_ota_withdrawn_t *a) {
  fg_jsonw_obj_begin(w);
  fg_jsonw_key(w, "version");
  fg_jsonw_str(w, a->version);
  fg_jsonw_key(w, "reason");
  fg_jsonw_str(w, fg_err_name(a->reason));
  fg_jsonw_key(w, "chunks");
  fg_jsonw_u64(w, a->chunks);
  fg_jsonw_obj_end(w);
}

/* The gateway refused the version for good, and said so in an authenticated answer. */
static bool prv_refused(int rc) {
  return rc == FG_ERR_YANKED || rc == FG_ERR_NOT_ASSIGNED;
}

static void prv_emit(const prv_run_t *r, fg_ota_event_type_t type, uint32_t chunk, uint32_t total,
                     uint32_t attempt, const char *check) {
  if (r->cfg->on_event == NULL) {
    return;
  }
  const fg_ota_event_t ev = {.type = type, .version = r->version, .chunk = chunk,
                             .total_chunks = total, .attempt = attempt, .check = check};
  r->cfg->on_event(r->cfg->user, &ev);
}

/* Reports a verification failure to the gateway and returns err. */
static int prv_fail_report(prv_run_t *r, fg_ota_check_t check, int32_t chunk, int err,
                           const char *why) {
  r->res->failed_check = (uint8_t)check;
  r->res->failed_chunk = chunk;
  if (r->src->report != NULL && check != FG_OTA_CHECK_NONE) {
    char detail[128];
    if (why != NULL) {
      (void)snprintf(detail, sizeof(detail), "%s", why);
    } else if (chunk >= 0) {
      (void)snprintf(detail, sizeof(detail), "check %s failed at chunk %ld",
                     fg_ota_check_name(check), (long)chunk);
    } else {
      (void)snprintf(detail, sizeof(detail), "check %s failed", fg_ota_check_name(check));
    }
    if (r->src->report(r->src->ctx, r->version, false, fg_ota_check_name(check), detail) == 0) {
      prv_emit(r, FG_OTA_EV_REPORTED, 0, r->res->total_chunks, 0, fg_ota_check_name(check));
    }
  }
  return err;
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

/* Makes sure the hash page holding chunk n's hash is held and verified (fetching it if not). */
static int prv_ensure_page(prv_run_t *r, uint32_t n) {
  const uint32_t page = fg_ota_verify_page_of(&r->v, n);
  if (r->v.page == page) {
    return FG_OK;
  }
  for (uint8_t attempt = 1;; attempt++) {
    size_t len = 0;
    int rc = r->src->hash_page(r->src->ctx, r->version, page, r->cfg->page_buf, r->cfg->page_cap, &len);
    const bool fetched = rc == 0;
    if (prv_refused(rc)) {
      return rc; /* final: no second request */
    }
    if (fetched) {
      r->res->pages_fetched++;
      rc = fg_ota_verify_page(&r->v, page, r->cfg->page_buf, len);
      if (rc == 0) {
        prv_emit(r, FG_OTA_EV_PAGE, page, r->v.hdr.total_pages, attempt, NULL);
        return FG_OK;
      }
      prv_emit(r, FG_OTA_EV_PAGE_REJECTED, page, r->v.hdr.total_pages, attempt, "hash_page");
    }
    if (attempt >= r->max_attempts) {
      /* an authentic page that never verifies is an attack or a broken gateway: report it. A
       * fetch that failed (transport, an unsigned or forged answer, an error status) is no check
       * and is not reported: anyone on the network can cause one. The resume record is kept. */
      return fetched ? prv_fail_report(r, FG_OTA_CHECK_HASH_PAGE, (int32_t)n, rc, NULL) : rc;
    }
    r->res->refetches++;
  }
}

/* Fetches and verifies chunk n into cfg->chunk_buf (its plaintext, *plain_len bytes). */
static int prv_fetch_chunk(prv_run_t *r, uint32_t n, uint8_t iv_next[16], size_t *plain_len) {
  const fg_manifest_header_t *h = &r->v.hdr;
  const fg_ota_range_t range = {.chunk = n, .offset = n * h->chunk_size,
                                .length = fg_manifest_chunk_len(h, n),
                                .total = h->encrypted_size, .root = h->root};
  for (uint8_t attempt = 1;; attempt++) {
    int rc = prv_ensure_page(r, n);
    if (rc != 0) {
      return rc;
    }
    size_t len = 0;
    rc = r->src->chunk(r->src->ctx, r->version, &range, r->cfg->chunk_buf, r->cfg->chunk_cap, &len);
    if (rc == 0) {
      if (len >= 16) {
        memcpy(iv_next, r->cfg->chunk_buf + len - 16, 16);
      }
      rc = fg_ota_verify_chunk(&r->v, n, r->cfg->chunk_buf, len, r->cfg->chunk_buf, plain_len);
      if (rc == 0) {
        return FG_OK;
      }
      const fg_ota_check_t check = (fg_ota_check_t)r->v.failed_check;
      if (check == FG_OTA_CHECK_PADDING) {
        return prv_fail_report(r, check, (int32_t)n, rc, NULL);
      }
      prv_emit(r, FG_OTA_EV_CHUNK_REJECTED, n, h->total_chunks, attempt, fg_ota_check_name(check));
      if (attempt >= r->max_attempts) {
        /* keep the resume record: a later run retries this chunk */
        return prv_fail_report(r, check, (int32_t)n, rc, NULL);
      }
    } else if (prv_refused(rc) || attempt >= r->max_attempts) {
      return rc; /* transport trouble: resume record kept */
    }
    r->res->refetches++;
  }
}

static int prv_download(prv_run_t *r, const fg_manifest_t *m) {
  const fg_platform_t *plat = r->plat;
  const fg_flash_t *flash = plat->flash;
  const fg_manifest_header_t *h = &r->v.hdr;
  const uint32_t total = h->total_chunks;
  prv_resume_t rec;
  uint32_t start = 0;
  if (prv_resume_load(plat->kv, &rec) == 0 &&
      fg_ct_equal(rec.header_sha256, r->v.header_sha256, 32) && rec.next_chunk > 0 &&
      rec.next_chunk <= total) {
    start = rec.next_chunk;
  }
  size_t resume_offset = (size_t)start * h->chunk_size;
  if (resume_offset > h->original_size) {
    resume_offset = h->original_size; /* interrupted between the last chunk and activation */
  }
  int rc = flash->begin(flash->ctx, h->original_size, resume_offset);
  if (rc != 0) {
    return rc;
  }
  if (start > 0) {
    rc = fg_ota_verify_resume(&r->v, start, rec.iv);
    if (rc != 0) {
      return rc;
    }
    r->res->resumed = true;
    r->res->resumed_at = start;
    prv_emit(r, FG_OTA_EV_RESUME, start, total, 0, NULL);
  } else {
    memcpy(rec.header_sha256, r->v.header_sha256, 32);
    rec.next_chunk = 0;
    memcpy(rec.iv, h->iv, 16);
    memset(rec.version, 0, sizeof(rec.version));
    memcpy(rec.version, h->version, strlen(h->version));
    rc = prv_resume_save(plat->kv, &rec);
    if (rc != 0) {
      return rc;
    }
  }
  r->res->next_chunk = start;
  const uint32_t persist_every = r->cfg->persist_every == 0 ? 1 : r->cfg->persist_every;
  for (uint32_t n = start; n < total; n++) {
    if (r->cfg->stop_after_chunks > 0 && r->res->chunks_written >= r->cfg->stop_after_chunks) {
      rec.next_chunk = n;
      memcpy(rec.iv, r->v.iv, 16);
      rc = prv_resume_save(plat->kv, &rec);
      prv_emit(r, FG_OTA_EV_INTERRUPTED, n, total, 0, NULL);
      return rc != 0 ? rc : FG_ERR_INTERRUPTED;
    }
    uint8_t iv_next[16] = {0};
    size_t plain_len = 0;
    rc = prv_fetch_chunk(r, n, iv_next, &plain_len);
    if (rc != 0) {
      return rc;
    }
    rc = flash->write(flash->ctx, (size_t)n * h->chunk_size, r->cfg->chunk_buf, plain_len);
    if (rc != 0) {
      return rc;
    }
    r->res->chunks_written++;
    r->res->next_chunk = n + 1;
    rec.next_chunk = n + 1;
    memcpy(rec.iv, iv_next, 16);
    if ((r->res->chunks_written % persist_every) == 0 || n + 1 == total) {
      rc = prv_resume_save(plat->kv, &rec);
      if (rc != 0) {
        return rc;
      }
    }
    prv_emit(r, FG_OTA_EV_CHUNK, n, total, 0, NULL);
  }
  /* every chunk is in flash: hash what is actually there, then the signature */
  uint8_t digest[32];
  rc = prv_hash_flash(flash, h->original_size, r->cfg->chunk_buf, r->cfg->chunk_cap, digest);
  if (rc != 0) {
    return rc;
  }
  rc = fg_ota_verify_finish(&r->v, digest, m->fw_sig, m->fw_sig_len);
  if (rc != 0) {
    (void)flash->abort(flash->ctx);
    (void)fg_ota_forget_resume(plat->kv);
    return prv_fail_report(r, (fg_ota_check_t)r->v.failed_check, -1, rc, NULL);
  }
  /* The pending record goes first: a power cut after it but before the switch leaves a record
   * of an image that does not run (dropped at the next boot); the reverse order would leave a
   * running image whose counter never becomes the minimum. */
  fg_rollback_pending_t pending;
  memset(&pending, 0, sizeof(pending));
  pending.counter = h->security_counter;
  pending.image_size = h->original_size;
  memcpy(pending.sha256, h->firmware_sha256, 32);
  memcpy(pending.version, h->version, sizeof(pending.version));
  pending.state = FG_PENDING_INSTALLED;
  rc = fg_rollback_set_pending(plat->kv, &pending);
  if (rc != 0) {
    return rc;
  }
  prv_emit(r, FG_OTA_EV_ACTIVATING, total, total, 0, NULL);
  rc = flash->finish(flash->ctx, h->original_size);
  if (rc != 0) {
    return rc; /* resume record kept: the next run re-checks and switches again */
  }
  (void)fg_ota_forget_resume(plat->kv);
  (void)plat->kv->erase(plat->kv->ctx, FG_OTA_KV_WITHDRAWN); /* the device has moved on */
  prv_emit(r, FG_OTA_EV_VERIFIED, total, total, 0, NULL);
  return FG_OK;
}

/* The gateway withdrew the version (prv_refused): nothing of this download is kept. The slot
 * writer is dropped (finish() never ran: the slot is not bootable), the resume record of this
 * version is erased (no later run continues a withdrawn image; another version's record stays),
 * and why is recorded for status and diagnostics. Nothing is reported: the gateway decided it,
 * and /ota/complete would count a device failure against the rollout. */
static int prv_drop_withdrawn(prv_run_t *r, int why) {
  const fg_kv_t *kv = r->plat->kv;
  (void)r->plat->flash->abort(r->plat->flash->ctx);
  uint32_t chunks = r->res->next_chunk;
  prv_resume_t rec;
  if (prv_resume_load(kv, &rec) == 0 && strcmp(rec.version, r->version) == 0) {
    chunks = rec.next_chunk > chunks ? rec.next_chunk : chunks; /* saved every persist_every */
    (void)fg_ota_forget_resume(kv);
  }
  uint8_t b[PRV_WITHDRAWN_LEN];
  memset(b, 0, sizeof(b));
  fg_le32_store(b, PRV_WITHDRAWN_MAGIC);
  fg_le32_store(b + 4, (uint32_t)-why);
  fg_le32_store(b + 8, chunks);
  memcpy(b + 12, r->version, strlen(r->version)); /* <= FG_MANIFEST_VERSION_MAX: checked */
  (void)kv->set(kv->ctx, FG_OTA_KV_WITHDRAWN, b, sizeof(b)); /* why is shown; losing it loses nothing */
  r->res->withdrawn = true;
  prv_emit(r, FG_OTA_EV_WITHDRAWN, chunks, r->res->total_chunks, 0, fg_err_name(why));
  return why;
}

/* The authenticated manifest's checks that decide before any flash write. */
static int prv_verify_manifest(prv_run_t *r, const fg_ota_keys_t *keys, const fg_manifest_t *m,
                               const char *current_version, char *why, size_t why_cap) {
  uint32_t min_counter = 0;
  int rc = fg_rollback_min(r->plat->kv, &min_counter);
  if (rc != 0) {
    return rc;
  }
  rc = fg_ota_verify_header(&r->v, keys, m->header, m->header_len, m->header_sig, m->header_sig_len);
  if (rc == 0) {
    rc = fg_ota_verify_copies(&r->v, m);
  }
  if (rc == 0 && strcmp(r->v.hdr.version, r->version) != 0) {
    /* an authentic manifest, but not of the version we asked for */
    r->v.failed_check = FG_OTA_CHECK_MANIFEST_MISMATCH;
    rc = FG_ERR_MISMATCH;
  }
  if (rc == 0) {
    rc = fg_ota_verify_rollback(&r->v, min_counter);
  }
  if (rc == 0 && !r->cfg->allow_downgrade && current_version != NULL) {
    /* the version is authentic now (signed header): the device's own policy on versions */
    int order = 0;
    if (fg_semver_cmp(r->v.hdr.version, current_version, &order) == 0 && order < 0) {
      r->v.failed_check = FG_OTA_CHECK_DOWNGRADE;
      (void)snprintf(why, why_cap, "version %s is older than the running %.40s", r->version,
                     current_version);
      rc = FG_ERR_ROLLBACK;
    }
  }
  if (rc == 0 && r->v.hdr.format_version != FG_MANIFEST_FORMAT_V2) {
    r->v.failed_check = FG_OTA_CHECK_HEADER_FORMAT;
    (void)snprintf(why, why_cap, "manifest format %u: this device streams format 2 images only",
                   (unsigned)r->v.hdr.format_version);
    rc = FG_ERR_UNSUPPORTED;
  }
  if (rc == 0 && fg_manifest_chunk_len(&r->v.hdr, 0) > r->cfg->chunk_cap) {
    r->v.failed_check = FG_OTA_CHECK_CHUNK_LENGTH;
    (void)snprintf(why, why_cap, "chunk_size %lu is above this device's %lu",
                   (unsigned long)r->v.hdr.chunk_size, (unsigned long)r->cfg->chunk_cap);
    rc = FG_ERR_UNSUPPORTED;
  }
  if (rc == 0 && FG_HASH_PAGE_BYTES(r->v.hdr.page_entries) > r->cfg->page_cap) {
    r->v.failed_check = FG_OTA_CHECK_HASH_PAGE;
    (void)snprintf(why, why_cap, "page_entries %lu: pages too large for this device",
                   (unsigned long)r->v.hdr.page_entries);
    rc = FG_ERR_UNSUPPORTED;
  }
  if (rc == 0) {
    rc = fg_ota_verify_pages_begin(&r->v);
  }
  return rc;
}

int fg_ota_run(const fg_platform_t *plat, const fg_ota_keys_t *keys, const fg_ota_source_t *src,
               const fg_ota_config_t *cfg, const char *current_version, const char *version,
               fg_ota_result_t *res) {
  if (plat == NULL || plat->kv == NULL || plat->flash == NULL || keys == NULL || src == NULL ||
      cfg == NULL || res == NULL || cfg->chunk_buf == NULL || cfg->page_buf == NULL ||
      cfg->manifest_buf == NULL || cfg->toks == NULL || src->manifest == NULL ||
      src->hash_page == NULL || src->chunk == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(res, 0, sizeof(*res));
  res->failed_chunk = -1;
  prv_run_t r = {.plat = plat, .src = src, .cfg = cfg, .res = res, .version = version,
                 .max_attempts = cfg->max_chunk_attempts == 0 ? 3 : cfg->max_chunk_attempts};
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
    r.version = offered;
    prv_emit(&r, FG_OTA_EV_AVAILABLE, 0, 0, 0, NULL);
  }
  if (strlen(r.version) > FG_MANIFEST_VERSION_MAX) {
    return FG_ERR_INVALID_ARG;
  }
  snprintf(res->version, sizeof(res->version), "%s", r.version);

  size_t mlen = 0;
  int rc = src->manifest(src->ctx, r.version, cfg->manifest_buf, cfg->manifest_cap, &mlen);
  if (rc != 0) {
    return prv_refused(rc) ? prv_drop_withdrawn(&r, rc) : rc;
  }
  static fg_manifest_t s_manifest; /* ~1.1 KiB: kept off the stack (one OTA at a time) */
  fg_manifest_t *m = &s_manifest;
  memset(m, 0, sizeof(*m));
  fg_json_doc_t doc;
  rc = fg_json_parse(&doc, cfg->manifest_buf, mlen, cfg->toks, cfg->toks_cap);
  if (rc > 0) {
    rc = doc.toks[0].type == FG_JSON_OBJECT ? fg_manifest_from_json(&doc, 0, m, NULL, 0) : FG_ERR_FORMAT;
  }
  if (rc < 0) {
    /* a format 1 manifest needs the whole chunk table: not this device's path (header_format
     * names it once the header is read); anything else is malformed */
    const bool v1 = rc == FG_ERR_BUFFER_TOO_SMALL && m->format_version == FG_MANIFEST_FORMAT_V1;
    return prv_fail_report(&r, v1 ? FG_OTA_CHECK_HEADER_FORMAT : FG_OTA_CHECK_MANIFEST_FORMAT, -1,
                           v1 ? FG_ERR_UNSUPPORTED : FG_ERR_FORMAT,
                           v1 ? "manifest format 1: this device streams format 2 images only" : NULL);
  }
  char why[128] = "";
  rc = prv_verify_manifest(&r, keys, m, current_version, why, sizeof(why));
  res->security_counter = r.v.hdr.security_counter;
  res->total_chunks = r.v.hdr.total_chunks;
  res->chunk_size = r.v.hdr.chunk_size;
  if (rc != 0) {
    const fg_ota_check_t check = (fg_ota_check_t)r.v.failed_check;
    fg_ota_verify_free(&r.v);
    return prv_fail_report(&r, check, -1, rc, why[0] != '\0' ? why : NULL);
  }
  prv_emit(&r, FG_OTA_EV_MANIFEST, 0, r.v.hdr.total_chunks, 0, NULL);
  rc = prv_download(&r, m);
  fg_ota_verify_free(&r.v);
  if (prv_refused(rc)) {
    return prv_drop_withdrawn(&r, rc);
  }
  if (rc != 0) {
    if (res->failed_check == FG_OTA_CHECK_NONE && r.v.failed_check != FG_OTA_CHECK_NONE &&
        rc != FG_ERR_INTERRUPTED && rc != FG_ERR_TRANSPORT) {
      res->failed_check = r.v.failed_check;
      res->failed_chunk = r.v.failed_chunk;
    }
    return rc;
  }
  res->complete = true;
  return FG_OK;
}

int fg_ota_boot(const fg_platform_t *plat, uint8_t *buf, size_t cap, fg_rollback_pending_t *pending,
                fg_boot_state_t *state) {
  if (plat == NULL || plat->kv == NULL || state == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  int rc = fg_rollback_boot_state(plat->kv, plat->flash, buf, cap, pending, state);
  if (rc != 0 || *state != FG_BOOT_ROLLED_BACK) {
    return rc;
  }
  prv_resume_t rec;
  if (prv_resume_load(plat->kv, &rec) == 0) {
    *state = FG_BOOT_NORMAL; /* never switched: activation is redone by the next run */
    return fg_rollback_clear_pending(plat->kv);
  }
  return FG_OK;
}

int fg_ota_report_outcome(const fg_platform_t *plat, const fg_ota_source_t *src,
                          const char *running_version, fg_boot_state_t state,
                          const fg_rollback_pending_t *pending) {
  if (plat == NULL || plat->kv == NULL || src == NULL || src->report == NULL ||
      running_version == NULL || pending == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  int rc;
  if (state == FG_BOOT_CONFIRMED) {
    /* only now, from the new image itself: it booted and confirmed itself */
    rc = src->report(src->ctx, running_version, true, "", "booted and confirmed");
  } else if (state == FG_BOOT_ROLLED_BACK) {
    char detail[128];
    (void)snprintf(detail, sizeof(detail), "image %s did not confirm itself; running %.40s",
                   pending->version, running_version);
    rc = src->report(src->ctx, pending->version, false, FG_LIMIT_OTA_REPORT_ROLLED_BACK, detail);
  } else {
    return FG_ERR_NOTHING;
  }
  if (rc != 0) {
    return rc; /* kept: reported on a later attempt */
  }
  return fg_rollback_clear_pending(plat->kv);
}

/**
 * fleetgate-sim: a device simulator built from the firmware's portable core and its POSIX port.
 * One invocation = one action of a device whose flash (NVS kv, OTA slots, otadata) and RAM
 * (current nonce epoch/counter, boot time, reset reason) live in --state-dir, so a sequence of
 * invocations behaves like one running device until `reboot`. Every action prints one JSON line
 * on stdout (OTA also prints one line per progress event); diagnostics go to stderr.
 *
 * Exit codes (as the fleetgate CLI): 0 ok, 1 a verification failed (bad signature on an answer,
 * OTA check), 2 usage, 3 local I/O, 4 the gateway refused or could not be reached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fg_host_file.h"
#include "fg_samples.h"
#include "fleetgate/fg_base64.h"
#include "fleetgate/fg_client.h"
#include "fleetgate/fg_codec.h"
#include "fleetgate/fg_control.h"
#include "fleetgate/fg_crc32.h"
#include "fleetgate/fg_envelope.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hash_tree.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_json.h"
#include "fleetgate/fg_nonce.h"
#include "fleetgate/fg_ota.h"
#include "fleetgate/fg_ota_gateway.h"
#include "fleetgate/fg_rollback.h"
#include "fleetgate/port/fg_posix.h"

#define EXIT_VERIFY 1
#define EXIT_USAGE 2
#define EXIT_IO 3
#define EXIT_REMOTE 4

/* The 4 MB board's OTA slots (firmware/partitions.csv: ota_0/ota_1 of 0x1E0000 bytes). */
#define SLOT_SIZE 0x1E0000u
#define RX_CAP (16u * 1024u)
/* Largest chunk the device accepts: the firmware's largest allocation (16 KiB). */
#define FG_SIM_CHUNK_CAP 16384u

/* ---- options ------------------------------------------------------------------------------ */
typedef struct {
  const char *state_dir;
  const char *url;
  const char *device_id;
  const char *key_hex;
  const char *keys_dir;
  const char *fw_version;
  uint32_t timeout_ms;
  int attempts;
  uint32_t drop_responses;
  int no_auto_confirm;
  int fail_selftest;
  const char *kill_at;
  /* command options */
  const char *command;
  const char *method;
  const char *samples;
  size_t batch;
  size_t limit;
  const char *version;
  uint32_t stop_after;
  int max_chunk_attempts;
  int allow_downgrade;
  const char *reason;
  int no_execute;
  const char *last_upload_status;
} opts_t;

static opts_t o;

/* ---- the device ---------------------------------------------------------------------------- */
typedef struct {
  fg_kv_t kv;
  fg_posix_kv_ctx_t kv_ctx;
  fg_clock_t clock;
  fg_random_t rnd;
  fg_http_t http;
  fg_posix_http_ctx_t http_ctx;
  fg_flash_t flash;
  fg_posix_flash_ctx_t flash_ctx;
  fg_platform_t plat;
  fg_nonce_t nonce;
  fg_client_t client;
  uint8_t *rx;
  char device_id[FG_DEVICE_ID_MAX + 1];
  uint8_t key[32];
  int have_key;
  /* RAM (lives in <state>/ram until reboot) */
  uint32_t ram_epoch, ram_counter, ram_boot_epoch;
  int64_t boot_unix;
  char reset_reason[16];
  fg_device_config_t cfg;
  int have_cfg;
  char last_upload_status[64];
} device_t;

static device_t d;
static int s_boot_rolled_back;
/* the update this boot is about (fg_ota_boot), computed at every invocation */
static fg_boot_state_t s_boot_state;
static fg_rollback_pending_t s_pending;

/* ---- JSON line output ---------------------------------------------------------------------- */
typedef struct {
  char buf[16384];
  fg_jsonw_t w;
} line_t;

static void line_begin(line_t *l, const char *action) {
  fg_jsonw_init(&l->w, l->buf, sizeof(l->buf));
  fg_jsonw_obj_begin(&l->w);
  fg_jsonw_key(&l->w, "action");
  fg_jsonw_str(&l->w, action);
}

static void line_end(line_t *l) {
  fg_jsonw_obj_end(&l->w);
  if (fg_jsonw_finish(&l->w) < 0) {
    printf("{\"action\":\"error\",\"ok\":false,\"error\":\"output_overflow\"}\n");
  } else {
    printf("%s\n", l->buf);
  }
  fflush(stdout);
}

static void kv_str(line_t *l, const char *k, const char *v) {
  fg_jsonw_key(&l->w, k);
  if (v == NULL) {
    fg_jsonw_null(&l->w);
  } else {
    fg_jsonw_str(&l->w, v);
  }
}

static void kv_int(line_t *l, const char *k, int64_t v) {
  fg_jsonw_key(&l->w, k);
  fg_jsonw_i64(&l->w, v);
}

static void kv_bool(line_t *l, const char *k, int v) {
  fg_jsonw_key(&l->w, k);
  fg_jsonw_bool(&l->w, v != 0);
}

static int exit_for(int err) {
  switch (err) {
    case FG_OK: return 0;
    case FG_ERR_AUTH:
    case FG_ERR_SIGNATURE:
    case FG_ERR_HASH:
    case FG_ERR_KEY_ID:
    case FG_ERR_PADDING:
    case FG_ERR_MISMATCH:
    case FG_ERR_ROLLBACK: return EXIT_VERIFY;
    case FG_ERR_TRANSPORT:
    case FG_ERR_HTTP_STATUS:
    case FG_ERR_YANKED:
    case FG_ERR_NOT_ASSIGNED: return EXIT_REMOTE;
    case FG_ERR_INVALID_ARG: return EXIT_USAGE;
    default: return EXIT_IO;
  }
}

/* Adds the common failure fields. */
static void kv_error(line_t *l, int err, const fg_client_result_t *res) {
  kv_bool(l, "ok", 0);
  kv_str(l, "error", fg_err_name(err));
  kv_int(l, "code", err);
  if (FG_ERR_IS_MBEDTLS(err)) {
    kv_int(l, "mbedtls_code", FG_ERR_TO_MBEDTLS(err));
  }
  if (res != NULL) {
    kv_int(l, "status", res->status);
    kv_int(l, "nonce", res->nonce);
    kv_bool(l, "verified", res->verified);
    if (res->error_code[0] != '\0') {
      kv_str(l, "error_code", res->error_code);
    }
  }
}

static void die_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char msg[512];
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  line_t l;
  line_begin(&l, o.command != NULL ? o.command : "usage");
  kv_bool(&l, "ok", 0);
  kv_str(&l, "error", "usage");
  kv_str(&l, "message", msg);
  line_end(&l);
  fprintf(stderr, "fleetgate-sim: %s (see --help)\n", msg);
  exit(EXIT_USAGE);
}

static void usage(void) {
  printf(
      "usage: fleetgate-sim --state-dir DIR [global options] <command> [options]\n"
      "\n"
      "global options:\n"
      "  --state-dir DIR        device flash + RAM state (created if missing)       [required]\n"
      "  --url URL              gateway base URL, http://127.0.0.1:PORT\n"
      "  --device-id ID         device id (stored in the state dir once given)\n"
      "  --key-hex HEX          32-byte device key from POST /devices (stored once given)\n"
      "  --keys-dir DIR         KEYS_DIR of `fleetgate keys init` (keys.h, or\n"
      "                         server_public_key.pem + aes_firmware_key.bin) for OTA\n"
      "  --fw-version V         version of the image in slot 0 on first boot (default 1.0.0)\n"
      "  --timeout-ms N         per HTTP exchange (default 10000)\n"
      "  --attempts N           tries per exchange, identical bytes (default 2)\n"
      "  --drop-responses N     lose the first N answers after the gateway processed the\n"
      "                         request (a dropped response): the client retransmits the\n"
      "                         identical bytes, the gateway answers from its stored reply\n"
      "  --no-auto-confirm      a new image never runs its self-test (to test rollback)\n"
      "  --fail-selftest        a new image fails its self-test: it rejects itself\n"
      "  --kill-at POINT        SIGKILL this process at an OTA point: activating (pending\n"
      "                         record written, boot partition not switched) or chunk:N\n"
      "\n"
      "commands:\n"
      "  provision                       store --device-id/--key-hex, print the identity\n"
      "  upload --samples FILE [--method dictionary|delta|rle|adaptive|smart|0xNN|plain]\n"
      "         [--batch N] [--limit N]  upload samples (JSON array or CSV), N per message\n"
      "  poll [--no-execute]             fetch the next command, execute it, post the result\n"
      "  config                          GET /config, validate and apply it\n"
      "  diagnostics | heartbeat [--last-upload-status S]\n"
      "  reboot [--reason R]             reset (R: software, poweron, panic, watchdog, brownout,\n"
      "                                  deepsleep, external, unknown); applies OTA boot rules\n"
      "  confirm                         the running image marks itself valid\n"
      "  ota [--version V] [--stop-after-chunks N] [--max-chunk-attempts N] [--allow-downgrade]\n"
      "                                  download, verify and install into the other slot;\n"
      "                                  an interrupted download resumes on the next `ota`;\n"
      "                                  an image older than the running one is refused\n"
      "                                  (check \"downgrade\") unless --allow-downgrade\n"
      "  status                          local state (no network)\n");
}

static uint32_t parse_u32(const char *s, const char *what) {
  char *end = NULL;
  errno = 0;
  const unsigned long v = strtoul(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v > 0xFFFFFFFFul) {
    die_usage("%s must be a non-negative integer", what);
  }
  return (uint32_t)v;
}

static void parse_args(int argc, char **argv) {
  memset(&o, 0, sizeof(o));
  o.timeout_ms = 10000;
  o.attempts = 2;
  o.max_chunk_attempts = 3;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE(field)                                   \
  do {                                                \
    if (next == NULL) die_usage("%s needs a value", a); \
    field = next;                                     \
    i++;                                              \
  } while (0)
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage();
      exit(0);
    } else if (strcmp(a, "--state-dir") == 0) {
      TAKE(o.state_dir);
    } else if (strcmp(a, "--url") == 0) {
      TAKE(o.url);
    } else if (strcmp(a, "--device-id") == 0) {
      TAKE(o.device_id);
    } else if (strcmp(a, "--key-hex") == 0) {
      TAKE(o.key_hex);
    } else if (strcmp(a, "--keys-dir") == 0) {
      TAKE(o.keys_dir);
    } else if (strcmp(a, "--fw-version") == 0) {
      TAKE(o.fw_version);
    } else if (strcmp(a, "--timeout-ms") == 0) {
      const char *v;
      TAKE(v);
      o.timeout_ms = parse_u32(v, a);
    } else if (strcmp(a, "--attempts") == 0) {
      const char *v;
      TAKE(v);
      o.attempts = (int)parse_u32(v, a);
    } else if (strcmp(a, "--drop-responses") == 0) {
      const char *v;
      TAKE(v);
      o.drop_responses = parse_u32(v, a);
    } else if (strcmp(a, "--no-auto-confirm") == 0) {
      o.no_auto_confirm = 1;
    } else if (strcmp(a, "--fail-selftest") == 0) {
      o.fail_selftest = 1;
    } else if (strcmp(a, "--kill-at") == 0) {
      TAKE(o.kill_at);
    } else if (strcmp(a, "--method") == 0) {
      TAKE(o.method);
    } else if (strcmp(a, "--samples") == 0) {
      TAKE(o.samples);
    } else if (strcmp(a, "--batch") == 0) {
      const char *v;
      TAKE(v);
      o.batch = parse_u32(v, a);
    } else if (strcmp(a, "--limit") == 0) {
      const char *v;
      TAKE(v);
      o.limit = parse_u32(v, a);
    } else if (strcmp(a, "--version") == 0) {
      TAKE(o.version);
    } else if (strcmp(a, "--stop-after-chunks") == 0) {
      const char *v;
      TAKE(v);
      o.stop_after = parse_u32(v, a);
    } else if (strcmp(a, "--max-chunk-attempts") == 0) {
      const char *v;
      TAKE(v);
      o.max_chunk_attempts = (int)parse_u32(v, a);
    } else if (strcmp(a, "--reason") == 0) {
      TAKE(o.reason);
    } else if (strcmp(a, "--allow-downgrade") == 0) {
      o.allow_downgrade = 1;
    } else if (strcmp(a, "--no-execute") == 0) {
      o.no_execute = 1;
    } else if (strcmp(a, "--last-upload-status") == 0) {
      TAKE(o.last_upload_status);
    } else if (a[0] == '-') {
      die_usage("unknown option %s", a);
    } else if (o.command == NULL) {
      o.command = a;
    } else {
      die_usage("unexpected argument %s", a);
    }
#undef TAKE
  }
  if (o.command == NULL) {
    usage();
    exit(EXIT_USAGE);
  }
  if (o.state_dir == NULL) {
    die_usage("--state-dir is required");
  }
}

/* ---- RAM state (survives between invocations, not across `reboot`) ------------------------- */
static void ram_path(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "%s/%s", o.state_dir, name);
}

static int ram_load(void) {
  char p[FG_POSIX_PATH_MAX + 16];
  ram_path(p, sizeof(p), "ram");
  FILE *f = fopen(p, "r");
  if (f == NULL) {
    return 0;
  }
  long long boot = 0;
  char reason[16] = "unknown";
  const int n = fscanf(f, "%u %u %u %lld %15s", &d.ram_epoch, &d.ram_counter, &d.ram_boot_epoch,
                       &boot, reason);
  fclose(f);
  if (n != 5) {
    return 0;
  }
  d.boot_unix = boot;
  snprintf(d.reset_reason, sizeof(d.reset_reason), "%s", reason);
  return 1;
}

static void ram_save(void) {
  char p[FG_POSIX_PATH_MAX + 16];
  ram_path(p, sizeof(p), "ram");
  FILE *f = fopen(p, "w");
  if (f == NULL) {
    return;
  }
  fprintf(f, "%u %u %u %lld %s\n", d.nonce.epoch, d.nonce.counter, d.nonce.boot_epoch,
          (long long)d.boot_unix, d.reset_reason);
  fclose(f);
}

/* ---- setup --------------------------------------------------------------------------------- */
static void kv_put_str(const char *key, const char *v) { d.kv.set(d.kv.ctx, key, v, strlen(v)); }

static int kv_get_str(const char *key, char *out, size_t cap) {
  size_t len = 0;
  if (d.kv.get(d.kv.ctx, key, out, cap - 1, &len) != 0) {
    return -1;
  }
  out[len] = '\0';
  return (int)len;
}

static void load_config(void) {
  fg_config_defaults(&d.cfg);
  char text[2048];
  const int n = kv_get_str("cfg", text, sizeof(text));
  if (n <= 0) {
    return;
  }
  fg_json_tok_t toks[96];
  fg_json_doc_t doc;
  if (fg_json_parse(&doc, text, (size_t)n, toks, 96) > 0) {
    uint32_t ver = 0;
    (void)fg_json_obj_u32(&doc, 0, "config_version", &ver);
    const int c = fg_json_obj_get(&doc, 0, "config");
    if (c > 0 && fg_config_merge(&d.cfg, &doc, c, NULL) == 0) {
      d.cfg.config_version = ver;
      d.have_cfg = 1;
    }
  }
}

static void save_config(void) {
  char cfg[1536];
  char text[2048];
  if (fg_config_to_json(&d.cfg, cfg, sizeof(cfg)) < 0) {
    return;
  }
  snprintf(text, sizeof(text), "{\"config_version\":%lu,\"config\":%s}",
           (unsigned long)d.cfg.config_version, cfg);
  kv_put_str("cfg", text);
}

static const char *running_version(void) {
  const char *v = d.flash_ctx.version[d.flash_ctx.running];
  return v[0] != '\0' ? v : "0.0.0";
}

static void print_boot(const char *reason, int rolled_back) {
  line_t l;
  line_begin(&l, "boot");
  kv_bool(&l, "ok", 1);
  kv_str(&l, "reset_reason", reason);
  kv_str(&l, "firmware_version", running_version());
  kv_int(&l, "running_slot", d.flash_ctx.running);
  kv_bool(&l, "pending_verify", d.flash_ctx.state[d.flash_ctx.running] == FG_POSIX_IMG_PENDING_VERIFY);
  kv_bool(&l, "rolled_back", rolled_back);
  line_end(&l);
}

/* "RAM is live" marker: an invocation that ends any other way than returning or exiting (a
 * SIGKILL: the power cut of the tests) leaves it, and the next invocation then boots afresh —
 * new nonce epoch, bootloader rules — instead of reusing the RAM state the dead one outran. */
static char s_alive_path[FG_POSIX_PATH_MAX + 16];

static void alive_clear(void) {
  if (s_alive_path[0] != '\0') {
    unlink(s_alive_path);
  }
}

static void alive_mark(void) {
  ram_path(s_alive_path, sizeof(s_alive_path), "ram.alive");
  if (access(s_alive_path, F_OK) == 0) {
    char p[FG_POSIX_PATH_MAX + 16];
    ram_path(p, sizeof(p), "ram");
    unlink(p); /* the previous process died mid-way: its RAM is gone */
    ram_path(p, sizeof(p), "next_reset");
    FILE *f = fopen(p, "w");
    if (f != NULL) {
      fprintf(f, "poweron\n");
      fclose(f);
    }
  }
  FILE *f = fopen(s_alive_path, "w");
  if (f != NULL) {
    fclose(f);
  }
  atexit(alive_clear);
}

static void setup(void) {
  memset(&d, 0, sizeof(d));
  mkdir(o.state_dir, 0700);
  if (s_alive_path[0] == '\0') {
    alive_mark();
  }
  int rc = fg_posix_kv_init(&d.kv, &d.kv_ctx, o.state_dir);
  if (rc == 0) {
    rc = fg_posix_flash_init(&d.flash, &d.flash_ctx, o.state_dir, SLOT_SIZE);
  }
  if (rc != 0) {
    line_t l;
    line_begin(&l, o.command);
    kv_error(&l, rc, NULL);
    kv_str(&l, "message", "cannot open the state dir");
    line_end(&l);
    exit(EXIT_IO);
  }
  fg_posix_clock_init(&d.clock);
  fg_posix_random_init(&d.rnd);
  d.plat.kv = &d.kv;
  d.plat.clock = &d.clock;
  d.plat.random = &d.rnd;
  d.plat.flash = &d.flash;
  /* identity: "NVS" provisioning */
  if (o.device_id != NULL) {
    if (!fg_client_device_id_valid(o.device_id)) {
      die_usage("--device-id must be 1-64 characters of A-Z a-z 0-9 _ . -");
    }
    kv_put_str("dev_id", o.device_id);
  }
  if (o.key_hex != NULL) {
    uint8_t k[32];
    if (strlen(o.key_hex) != 64 || fg_hex_decode(o.key_hex, 64, k, 32) != 32) {
      die_usage("--key-hex must be 64 hex characters (32 bytes)");
    }
    d.kv.set(d.kv.ctx, "dev_key", k, 32);
  }
  kv_get_str("dev_id", d.device_id, sizeof(d.device_id));
  size_t klen = 0;
  d.have_key = d.kv.get(d.kv.ctx, "dev_key", d.key, 32, &klen) == 0 && klen == 32;
  /* first boot ever: the factory image in slot 0 */
  if (d.flash_ctx.version[0][0] == '\0' && d.flash_ctx.version[1][0] == '\0') {
    snprintf(d.flash_ctx.version[0], sizeof(d.flash_ctx.version[0]), "%s",
             o.fw_version != NULL ? o.fw_version : "1.0.0");
    fg_posix_flash_save(&d.flash_ctx);
  }
  /* boot or continue */
  rc = fg_nonce_init(&d.nonce, &d.kv);
  if (rc != 0) {
    line_t l;
    line_begin(&l, o.command);
    kv_error(&l, rc, NULL);
    kv_str(&l, "message", "nonce state unreadable");
    line_end(&l);
    exit(EXIT_IO);
  }
  if (ram_load() && d.ram_epoch <= d.nonce.stored_epoch) {
    d.nonce.epoch = d.ram_epoch;
    d.nonce.counter = d.ram_epoch == 0 ? FG_NONCE_PER_EPOCH : d.ram_counter;
    d.nonce.boot_epoch = d.ram_boot_epoch;
  } else {
    /* a power-on (or a reboot): the bootloader's OTA rules, then a fresh RAM */
    char reason[16] = "poweron";
    char p[FG_POSIX_PATH_MAX + 16];
    ram_path(p, sizeof(p), "next_reset");
    FILE *f = fopen(p, "r");
    if (f != NULL) {
      if (fscanf(f, "%15s", reason) != 1) {
        strcpy(reason, "unknown");
      }
      fclose(f);
      unlink(p);
    }
    bool rolled = false;
    fg_posix_flash_boot(&d.flash_ctx, &rolled);
    s_boot_rolled_back = rolled;
    snprintf(d.reset_reason, sizeof(d.reset_reason), "%s", reason);
    d.boot_unix = (int64_t)time(NULL);
    ram_save();
    if (strcmp(o.command, "reboot") != 0) {
      print_boot(reason, rolled);
    }
  }
  load_config();
  /* as the app at boot: which image runs, compared with an installed update's record */
  static uint8_t scratch[4096];
  if (fg_ota_boot(&d.plat, scratch, sizeof(scratch), &s_pending, &s_boot_state) != 0) {
    s_boot_state = FG_BOOT_NORMAL;
  }
}

static void report_outcome(void);

/* --drop-responses: the request reaches the gateway and is processed, its answer is lost. */
static fg_http_t s_real_http;
static uint32_t s_drop_left;
static uint32_t s_dropped;

static int drop_perform(void *ctx, const fg_http_request_t *req, fg_http_response_t *resp) {
  const int rc = s_real_http.perform(ctx, req, resp);
  if (rc == 0 && s_drop_left > 0) {
    s_drop_left--;
    s_dropped++;
    fprintf(stderr, "fleetgate-sim: dropped the %d answer to %s %s\n", resp->status, req->method,
            req->path);
    return FG_ERR_TRANSPORT;
  }
  return rc;
}

/* attempts of the exchange and, with --drop-responses, how many answers were lost */
static void kv_exchange(line_t *l, const fg_client_result_t *res) {
  kv_int(l, "attempts", res->attempts);
  if (o.drop_responses > 0) {
    kv_int(l, "responses_dropped", s_dropped);
  }
}

static void need_network(void) {
  if (o.url == NULL) {
    die_usage("--url is required for %s", o.command);
  }
  if (d.device_id[0] == '\0' || !d.have_key) {
    die_usage("the device is not provisioned: pass --device-id and --key-hex once");
  }
  const int rc = fg_posix_http_init(&d.http, &d.http_ctx, o.url, o.timeout_ms);
  if (rc != 0) {
    die_usage("--url must be http://host:port (got %s)", o.url);
  }
  if (o.drop_responses > 0) {
    s_real_http = d.http;
    s_drop_left = o.drop_responses;
    d.http.perform = drop_perform;
  }
  d.plat.http = &d.http;
  d.rx = (uint8_t *)malloc(RX_CAP);
  fg_client_init(&d.client, &d.plat, d.device_id, d.key, &d.nonce, d.rx, RX_CAP);
  d.client.max_attempts = (uint8_t)(o.attempts < 1 ? 1 : o.attempts > 10 ? 10 : o.attempts);
  d.client.backoff_ms = 200;
  report_outcome();
}

static int do_reboot(const char *reason);

/* The local self-test of a freshly installed image (the app runs it once it has run its loop
 * for CONFIG_FLEETGATE_SELFTEST_SECONDS; here: at the first command after the reboot). It needs
 * no gateway: an unreachable gateway never rolls a good image back. --fail-selftest makes it
 * fail: the image rejects itself and the previous one boots. */
static void selftest(void) {
  if (s_boot_state != FG_BOOT_TRIAL || o.no_auto_confirm) {
    return;
  }
  line_t l;
  if (o.fail_selftest) {
    const int rc = d.flash.reject(d.flash.ctx);
    line_begin(&l, "selftest");
    kv_bool(&l, "ok", 0);
    kv_str(&l, "firmware_version", running_version());
    kv_str(&l, "result", rc == 0 ? "rejected: rolling back" : fg_err_name(rc));
    line_end(&l);
    if (rc == 0) {
      do_reboot("software");
    }
    return;
  }
  uint32_t min = 0;
  const int rc = fg_rollback_confirm(&d.kv, &d.flash, &s_pending, &min);
  line_begin(&l, "confirm");
  kv_bool(&l, "ok", rc == 0);
  if (rc != 0) {
    kv_str(&l, "error", fg_err_name(rc));
  }
  kv_str(&l, "firmware_version", running_version());
  kv_int(&l, "security_counter_min", min);
  kv_str(&l, "trigger", "self_test");
  line_end(&l);
  if (rc == 0) {
    s_boot_state = FG_BOOT_CONFIRMED;
  }
}

/* The outcome of the last update, once the gateway can be reached (the app: each loop turn). */
static void report_outcome(void) {
  if (s_boot_state != FG_BOOT_CONFIRMED && s_boot_state != FG_BOOT_ROLLED_BACK) {
    return;
  }
  fg_ota_gateway_t gw;
  fg_ota_source_t src;
  fg_ota_gateway_init(&src, &gw, &d.client);
  const int rc = fg_ota_report_outcome(&d.plat, &src, running_version(), s_boot_state, &s_pending);
  line_t l;
  line_begin(&l, "ota_report");
  kv_bool(&l, "ok", rc == 0);
  if (rc != 0) {
    kv_str(&l, "error", fg_err_name(rc));
  }
  kv_bool(&l, "success", s_boot_state == FG_BOOT_CONFIRMED);
  kv_str(&l, "version", s_boot_state == FG_BOOT_CONFIRMED ? running_version() : s_pending.version);
  if (s_boot_state == FG_BOOT_ROLLED_BACK) {
    kv_str(&l, "error_reported", FG_LIMIT_OTA_REPORT_ROLLED_BACK);
  }
  line_end(&l);
  if (rc == 0) {
    s_boot_state = FG_BOOT_NORMAL;
  }
}

/* ---- commands ------------------------------------------------------------------------------ */
static int cmd_provision(void) {
  line_t l;
  line_begin(&l, "provision");
  kv_bool(&l, "ok", d.device_id[0] != '\0' && d.have_key);
  kv_str(&l, "device_id", d.device_id[0] ? d.device_id : NULL);
  kv_bool(&l, "key_stored", d.have_key);
  kv_str(&l, "firmware_version", running_version());
  line_end(&l);
  return d.device_id[0] != '\0' && d.have_key ? 0 : EXIT_USAGE;
}

static int upload_one(const char *method_name, int method, const uint8_t *payload, size_t plen,
                      size_t samples, const char *extra_key, size_t orig, size_t comp,
                      uint32_t crc) {
  char *env = (char *)malloc(FG_ENVELOPE_MAX_LEN(strlen(d.device_id), plen));
  fg_client_result_t res;
  const int rc = fg_client_upload(&d.client, payload, plen, env,
                                  FG_ENVELOPE_MAX_LEN(strlen(d.device_id), plen), &res);
  free(env);
  line_t l;
  line_begin(&l, "upload");
  if (rc != 0) {
    kv_error(&l, rc, &res);
  } else {
    kv_bool(&l, "ok", 1);
    kv_int(&l, "status", res.status);
    kv_int(&l, "nonce", res.nonce);
    kv_bool(&l, "verified", res.verified);
    kv_int(&l, "accepted", res.samples);
    kv_bool(&l, "duplicate", res.duplicate);
  }
  kv_str(&l, "method", method_name);
  if (method >= 0) {
    kv_int(&l, "method_id", method);
    kv_int(&l, "original_size", (int64_t)orig);
    kv_int(&l, "compressed_size", (int64_t)comp);
    char crc_hex[9];
    snprintf(crc_hex, sizeof(crc_hex), "%08lx", (unsigned long)crc);
    kv_str(&l, "crc32", crc_hex);
  }
  (void)extra_key;
  kv_int(&l, "samples", (int64_t)samples);
  kv_int(&l, "payload_bytes", (int64_t)plen);
  kv_exchange(&l, &res);
  line_end(&l);
  snprintf(d.last_upload_status, sizeof(d.last_upload_status), "%s",
           rc == 0 ? "ok" : fg_err_name(rc));
  kv_put_str("last_upload", d.last_upload_status);

  return exit_for(rc);
}

static int cmd_upload(void) {
  if (o.samples == NULL) {
    die_usage("upload needs --samples FILE");
  }
  const char *mname = o.method != NULL ? o.method : (d.cfg.compression_enabled ? d.cfg.compression_method : "plain");
  int method = -1;
  if (strcmp(mname, "plain") != 0 && strcmp(mname, "none") != 0) {
    method = fg_codec_method_parse(mname);
    if (method < 0) {
      die_usage("--method must be dictionary|delta|rle|adaptive|smart|0xNN|plain");
    }
    mname = fg_codec_method_name(method);
  } else {
    mname = "plain";
  }
  fg_samples_t s;
  const char *err = fg_samples_load(o.samples, o.limit, &s);
  if (err != NULL) {
    die_usage("%s", err);
  }
  need_network();
  size_t batch = o.batch == 0 ? s.n_samples : o.batch;
  if (batch > FG_FRAME_BATCH_MAX_SAMPLES) {
    batch = FG_FRAME_BATCH_MAX_SAMPLES; /* the gateway's limit per upload */
  }
  int worst = 0;
  for (size_t first = 0; first < s.n_samples;) {
    size_t count = s.n_samples - first < batch ? s.n_samples - first : batch;
    int rc;
    if (method < 0) {
      size_t len = 0;
      char *json = fg_samples_aggregated_json(&s, first, count, &len);
      rc = upload_one("plain", -1, (const uint8_t *)json, len, count, NULL, 0, 0, 0);
      free(json);
    } else {
      uint8_t *frame = NULL;
      fg_frame_layout_t lay;
      const int flen = fg_samples_frame(&s, first, count, &frame, &lay);
      if (flen < 0) {
        line_t l;
        line_begin(&l, "upload");
        kv_error(&l, flen, NULL);
        kv_str(&l, "message", "samples do not fit a frame (values out of i32 after scaling?)");
        line_end(&l);
        fg_samples_free(&s);
        return EXIT_USAGE;
      }
      const size_t sw = fg_codec_scratch_words(method, lay.sample_count);
      uint32_t *scratch = (uint32_t *)malloc(sw * 4);
      const size_t cap = fg_codec_pack_bound(method, (size_t)flen, lay.field_count, lay.sample_count);
      uint8_t *packed = (uint8_t *)malloc(cap);
      const int plen = fg_codec_pack(method, frame, (size_t)flen, packed, cap, scratch, sw);
      if (plen == FG_ERR_TOO_LARGE && count > 1) {
        /* ratio over 1024:1 (e.g. thousands of identical readings): split (SPEC §9.1) */
        free(scratch);
        free(packed);
        free(frame);
        batch = count / 2;
        continue;
      }
      if (plen < 0) {
        line_t l;
        line_begin(&l, "upload");
        kv_error(&l, plen, NULL);
        line_end(&l);
        free(scratch);
        free(packed);
        free(frame);
        fg_samples_free(&s);
        return exit_for(plen);
      }
      const size_t jcap = FG_BASE64_ENCODED_LEN((size_t)plen) + 256;
      char *json = (char *)malloc(jcap);
      const int jlen = fg_codec_batch_json(method, frame, (size_t)flen, packed, (size_t)plen,
                                           s.ts[first + count - 1], json, jcap);
      rc = upload_one(mname, method, (const uint8_t *)json, (size_t)jlen, count, NULL,
                      (size_t)flen, (size_t)plen, fg_crc32(frame, (size_t)flen));
      free(json);
      free(scratch);
      free(packed);
      free(frame);
    }
    if (rc > worst) {
      worst = rc;
    }
    if (rc == EXIT_VERIFY) {
      break; /* do not keep talking to an impostor */
    }
    first += count;
  }
  fg_samples_free(&s);
  ram_save();
  return worst;
}

static int cmd_config_apply_answer(line_t *l, const char *json, size_t len) {
  uint32_t changed = 0;
  const int rc = fg_config_parse_answer(&d.cfg, json, len, &changed);
  if (rc != 0) {
    return rc;
  }
  save_config();
  d.have_cfg = 1;
  kv_int(l, "config_version", d.cfg.config_version);
  fg_jsonw_key(&l->w, "changed");
  fg_jsonw_arr_begin(&l->w);
  static const char *names[] = {"poll_frequency", "upload_frequency", "registers",
                                "compression_enabled", "compression_method", "heartbeat_interval"};
  for (int i = 0; i < 6; i++) {
    if (changed & (1u << i)) {
      fg_jsonw_str(&l->w, names[i]);
    }
  }
  fg_jsonw_arr_end(&l->w);
  char cfg[1536];
  if (fg_config_to_json(&d.cfg, cfg, sizeof(cfg)) > 0) {
    fg_jsonw_key(&l->w, "config");
    fg_jsonw_raw(&l->w, cfg, strlen(cfg));
  }
  return 0;
}

static int cmd_config(void) {
  need_network();
  fg_client_result_t res;
  int rc = fg_client_request(&d.client, "GET", FG_ROUTE_CONFIG, NULL, 0, &res);
  line_t l;
  line_begin(&l, "config");
  if (rc == 0) {
    kv_bool(&l, "ok", 1);
    kv_int(&l, "status", res.status);
    kv_int(&l, "nonce", res.nonce);
    kv_bool(&l, "verified", res.verified);
    kv_exchange(&l, &res);
    rc = cmd_config_apply_answer(&l, (const char *)d.rx, res.body_len);
    if (rc != 0) {
      line_begin(&l, "config");
      kv_error(&l, rc, &res);
      kv_str(&l, "message", "config rejected (out of range or malformed); keeping the old one");
    }
  } else {
    kv_error(&l, rc, &res);
  }
  line_end(&l);

  ram_save();
  return exit_for(rc);
}

static int do_reboot(const char *reason) {
  char p[FG_POSIX_PATH_MAX + 16];
  ram_path(p, sizeof(p), "ram");
  unlink(p);
  ram_path(p, sizeof(p), "next_reset");
  FILE *f = fopen(p, "w");
  if (f != NULL) {
    fprintf(f, "%s\n", reason);
    fclose(f);
  }
  /* the reset happens now: apply the bootloader rules and report the new boot */
  free(d.rx);
  d.rx = NULL;
  setup();
  line_t l;
  line_begin(&l, "reboot");
  kv_bool(&l, "ok", 1);
  kv_str(&l, "reset_reason", d.reset_reason);
  kv_str(&l, "firmware_version", running_version());
  kv_int(&l, "running_slot", d.flash_ctx.running);
  kv_bool(&l, "pending_verify", d.flash_ctx.state[d.flash_ctx.running] == FG_POSIX_IMG_PENDING_VERIFY);
  kv_bool(&l, "rolled_back", s_boot_rolled_back);
  kv_int(&l, "nonce_epoch_stored", d.nonce.stored_epoch);
  line_end(&l);
  return 0;
}

static int execute_command(const fg_command_t *cmd, char *result, size_t cap, int *reboot_after) {
  fg_json_tok_t toks[96];
  fg_json_doc_t doc;
  const int parsed = fg_json_parse(&doc, cmd->params, cmd->params_len, toks, 96);
  if (strcmp(cmd->command_type, "set_power") == 0) {
    char power[16] = "?";
    if (parsed > 0) {
      fg_json_obj_str(&doc, 0, "power", power, sizeof(power));
    }
    snprintf(result, cap, "Power set to %s", power);
    return 1;
  }
  if (strcmp(cmd->command_type, "write_register") == 0) {
    uint32_t reg = 0, val = 0;
    if (parsed > 0) {
      fg_json_obj_u32(&doc, 0, "register", &reg);
      fg_json_obj_u32(&doc, 0, "value", &val);
    }
    snprintf(result, cap, "Register %lu = %lu", (unsigned long)reg, (unsigned long)val);
    return 1;
  }
  if (strcmp(cmd->command_type, "set_relay") == 0) {
    uint32_t relay = 0;
    char state[8] = "?";
    if (parsed > 0) {
      fg_json_obj_u32(&doc, 0, "relay", &relay);
      fg_json_obj_str(&doc, 0, "state", state, sizeof(state));
    }
    snprintf(result, cap, "Relay %lu %s", (unsigned long)relay, state);
    return 1;
  }
  if (strcmp(cmd->command_type, "reboot") == 0) {
    snprintf(result, cap, "Rebooting");
    *reboot_after = 1;
    return 1;
  }
  if (strcmp(cmd->command_type, "set_config") == 0) {
    uint32_t changed = 0;
    const int rc = parsed > 0 ? fg_config_merge(&d.cfg, &doc, 0, &changed) : FG_ERR_FORMAT;
    if (rc != 0) {
      snprintf(result, cap, "Config rejected: %s", fg_err_name(rc));
      return 0;
    }
    uint32_t version = 0;
    if (fg_json_obj_u32(&doc, 0, "config_version", &version) == 0) {
      d.cfg.config_version = version; /* the gateway tags set_config with the version it makes */
    }
    d.have_cfg = 1;
    save_config();
    snprintf(result, cap, "Config applied (%lu fields changed)", (unsigned long)__builtin_popcount(changed));
    return 1;
  }
  if (strcmp(cmd->command_type, "simulate_fault") == 0) {
    /* queued by POST /fault/inject (modbus_timeout, buffer_overflow): {"fault_type","count"} */
    char fault[32] = "";
    uint32_t count = 1;
    if (parsed > 0) {
      fg_json_obj_str(&doc, 0, "fault_type", fault, sizeof(fault));
      fg_json_obj_u32(&doc, 0, "count", &count);
    }
    if (fault[0] == '\0') {
      snprintf(result, cap, "simulate_fault without fault_type");
      return 0;
    }
    snprintf(result, cap, "Simulated %s x%lu", fault, (unsigned long)count);
    return 1;
  }
  snprintf(result, cap, "Unsupported command %s", cmd->command_type);
  return 0;
}

static int cmd_poll(void) {
  need_network();
  char path[128];
  snprintf(path, sizeof(path), FG_ROUTE_POLL_FMT, d.device_id);
  fg_client_result_t res;
  int rc = fg_client_request(&d.client, "GET", path, NULL, 0, &res);
  line_t l;
  line_begin(&l, "poll");
  if (rc != 0) {
    kv_error(&l, rc, &res);
    line_end(&l);
    ram_save();
    return exit_for(rc);
  }
  fg_command_t cmd;
  bool has = false;
  rc = fg_command_parse_poll((const char *)d.rx, res.body_len, &cmd, &has);
  if (rc != 0) {
    kv_error(&l, rc, &res);
    line_end(&l);
    ram_save();
    return exit_for(rc);
  }
  kv_bool(&l, "ok", 1);
  kv_int(&l, "status", res.status);
  kv_int(&l, "nonce", res.nonce);
  kv_bool(&l, "verified", res.verified);
  kv_exchange(&l, &res);
  int reboot_after = 0;
  if (!has) {
    fg_jsonw_key(&l.w, "command");
    fg_jsonw_null(&l.w);
    line_end(&l);
    ram_save();
    return 0;
  }
  fg_jsonw_key(&l.w, "command");
  fg_jsonw_obj_begin(&l.w);
  kv_str(&l, "command_id", cmd.command_id);
  kv_str(&l, "command_type", cmd.command_type);
  kv_int(&l, "attempt", cmd.attempt);
  fg_jsonw_key(&l.w, "parameters");
  fg_jsonw_raw(&l.w, cmd.params, cmd.params_len);
  fg_jsonw_obj_end(&l.w);
  if (o.no_execute) {
    line_end(&l);
    ram_save();
    return 0;
  }
  char result[160];
  const int ok = execute_command(&cmd, result, sizeof(result), &reboot_after);
  char body[512];
  const int blen = fg_command_result_json(cmd.command_id, ok != 0, result, body, sizeof(body));
  snprintf(path, sizeof(path), FG_ROUTE_RESULT_FMT, d.device_id);
  fg_client_result_t res2;
  rc = blen < 0 ? blen : fg_client_request(&d.client, "POST", path, (const uint8_t *)body, (size_t)blen, &res2);
  fg_jsonw_key(&l.w, "result");
  fg_jsonw_obj_begin(&l.w);
  kv_str(&l, "status", ok ? "completed" : "failed");
  kv_str(&l, "result", result);
  kv_int(&l, "http_status", rc == 0 || rc == FG_ERR_HTTP_STATUS || rc == FG_ERR_AUTH ? res2.status : 0);
  kv_bool(&l, "acknowledged", rc == 0);
  if (rc != 0) {
    kv_str(&l, "error", fg_err_name(rc));
  }
  fg_jsonw_obj_end(&l.w);
  if (rc != 0) {
    fg_jsonw_key(&l.w, "ok");
    fg_jsonw_bool(&l.w, false);
  }
  line_end(&l);
  ram_save();
  if (reboot_after && rc == 0) {
    do_reboot("software");
  }
  return exit_for(rc);
}

static int cmd_diagnostics(void) {
  need_network();
  char extra[384];
  char resume[64] = "null";
  uint8_t rec[128]; /* the resume record (fg_ota.c: 88 bytes; next chunk at 36..39) */
  size_t rlen = 0;
  if (d.kv.get(d.kv.ctx, FG_OTA_KV_RESUME, rec, sizeof(rec), &rlen) == 0 && rlen >= 40) {
    snprintf(resume, sizeof(resume), "%lu",
             (unsigned long)((uint32_t)rec[36] | ((uint32_t)rec[37] << 8) |
                             ((uint32_t)rec[38] << 16) | ((uint32_t)rec[39] << 24)));
  }
  uint32_t min = 0;
  fg_rollback_min(&d.kv, &min);
  char gone_json[128] = "null";
  fg_ota_withdrawn_t gone;
  if (fg_ota_withdrawn(&d.kv, &gone) == 0) {
    fg_jsonw_t w;
    fg_jsonw_init(&w, gone_json, sizeof(gone_json));
    fg_ota_withdrawn_json(&w, &gone);
    if (fg_jsonw_finish(&w) < 0) {
      strcpy(gone_json, "null");
    }
  }
  /* the boot id is the first epoch this boot reserves: take the nonce first */
  char body[1024];
  char path[128];
  snprintf(path, sizeof(path), FG_ROUTE_DIAGNOSTICS_FMT, d.device_id);
  uint32_t peek = 0;
  if (d.nonce.boot_epoch == 0) {
    /* reserve now so boot_id is known (the request will use the next nonce of this epoch) */
    if (fg_nonce_next(&d.nonce, &peek) != 0) {
      line_t l;
      line_begin(&l, "diagnostics");
      kv_error(&l, FG_ERR_NONCE_EXHAUSTED, NULL);
      line_end(&l);
      return EXIT_IO;
    }
  }
  snprintf(extra, sizeof(extra),
           "{\"nonce_epochs_left\":%lu,\"security_counter_min\":%lu,\"ota_resume_chunk\":%s,"
           "\"ota_withdrawn\":%s,\"simulator\":true}",
           (unsigned long)fg_nonce_epochs_left(&d.nonce), (unsigned long)min, resume, gone_json);
  char last[64] = "";
  kv_get_str("last_upload", last, sizeof(last));
  const fg_diag_t diag = {
      .firmware_version = running_version(),
      .uptime_s = (uint32_t)((int64_t)time(NULL) - d.boot_unix),
      .boot_id = fg_nonce_boot_id(&d.nonce),
      .reset_reason = fg_diag_reset_reason_valid(d.reset_reason) ? d.reset_reason : "unknown",
      .free_heap = 180000,
      .wifi_rssi = -58,
      .buffer_usage_pct = 0,
      .last_upload_status = o.last_upload_status != NULL ? o.last_upload_status : (last[0] ? last : NULL),
      .config_version = d.have_cfg ? (int64_t)d.cfg.config_version : -1,
      .extra_json = extra,
  };
  const int blen = fg_diag_json(&diag, body, sizeof(body));
  fg_client_result_t res;
  const int rc = blen < 0 ? blen : fg_client_request(&d.client, "POST", path, (const uint8_t *)body, (size_t)blen, &res);
  line_t l;
  line_begin(&l, strcmp(o.command, "heartbeat") == 0 ? "heartbeat" : "diagnostics");
  if (rc != 0) {
    kv_error(&l, rc, blen < 0 ? NULL : &res);
  } else {
    kv_bool(&l, "ok", 1);
    kv_int(&l, "status", res.status);
    kv_int(&l, "nonce", res.nonce);
    kv_bool(&l, "verified", res.verified);
    kv_exchange(&l, &res);
    fg_json_tok_t toks[16];
    fg_json_doc_t doc;
    uint32_t cv = 0;
    if (fg_json_parse(&doc, (const char *)d.rx, res.body_len, toks, 16) > 0 &&
        fg_json_obj_u32(&doc, 0, "config_version", &cv) == 0) {
      kv_int(&l, "gateway_config_version", cv);
      kv_bool(&l, "config_behind", !d.have_cfg || cv != d.cfg.config_version);
    }
  }
  kv_int(&l, "boot_id", diag.boot_id);
  kv_str(&l, "reset_reason", diag.reset_reason);
  kv_str(&l, "firmware_version", diag.firmware_version);
  kv_int(&l, "uptime_seconds", diag.uptime_s);
  line_end(&l);

  ram_save();
  return exit_for(rc);
}

static int cmd_reboot(void) {
  const char *reason = o.reason != NULL ? o.reason : "software";
  if (!fg_diag_reset_reason_valid(reason)) {
    die_usage("--reason must be one of %s", FG_RESET_REASONS);
  }
  return do_reboot(reason);
}

static int cmd_confirm(void) {
  const int was_pending = d.flash_ctx.state[d.flash_ctx.running] == FG_POSIX_IMG_PENDING_VERIFY;
  uint32_t min = 0;
  int rc;
  if (s_boot_state == FG_BOOT_TRIAL) {
    rc = fg_rollback_confirm(&d.kv, &d.flash, &s_pending, &min);
  } else {
    rc = d.flash.confirm(d.flash.ctx);
    (void)fg_rollback_min(&d.kv, &min);
  }
  line_t l;
  line_begin(&l, "confirm");
  kv_bool(&l, "ok", rc == 0);
  kv_str(&l, "firmware_version", running_version());
  kv_bool(&l, "was_pending", was_pending);
  kv_int(&l, "security_counter_min", min);
  kv_str(&l, "trigger", "command");
  line_end(&l);
  return exit_for(rc);
}

/* ---- OTA keys ------------------------------------------------------------------------------ */
static uint8_t s_der[1024];
static size_t s_der_len;
static uint8_t s_aes[32];

static int parse_c_array(const char *text, const char *name, uint8_t *out, size_t cap, size_t *len) {
  char pat[96];
  snprintf(pat, sizeof(pat), "%s[", name);
  const char *p = strstr(text, pat);
  if (p == NULL) {
    return -1;
  }
  p = strchr(p, '{');
  const char *end = p != NULL ? strchr(p, '}') : NULL;
  if (p == NULL || end == NULL) {
    return -1;
  }
  size_t n = 0;
  while ((p = strstr(p, "0x")) != NULL && p < end) {
    if (n >= cap) {
      return -1;
    }
    out[n++] = (uint8_t)strtoul(p + 2, NULL, 16);
    p += 2;
  }
  *len = n;
  return 0;
}

static const char *load_ota_keys(fg_ota_keys_t *keys) {
  if (o.keys_dir == NULL) {
    return "ota needs --keys-dir (KEYS_DIR of `fleetgate keys init`)";
  }
  char path[FG_POSIX_PATH_MAX + 32];
  snprintf(path, sizeof(path), "%s/keys.h", o.keys_dir);
  char *h = fg_host_read_file(path, NULL);
  size_t aes_len = 0;
  if (h != NULL) {
    const int ok = parse_c_array(h, "fleetgate_ota_public_key_der", s_der, sizeof(s_der), &s_der_len) == 0 &&
                   parse_c_array(h, "fleetgate_ota_aes_key", s_aes, sizeof(s_aes), &aes_len) == 0;
    free(h);
    if (!ok || aes_len != 32) {
      return "keys.h: cannot find fleetgate_ota_public_key_der / fleetgate_ota_aes_key";
    }
  } else {
    snprintf(path, sizeof(path), "%s/server_public_key.pem", o.keys_dir);
    char *pem = fg_host_read_file(path, NULL);
    if (pem == NULL) {
      return "keys dir has neither keys.h nor server_public_key.pem";
    }
    /* PEM body -> DER */
    char b64[2048];
    size_t n = 0;
    const char *p = strstr(pem, "-----BEGIN PUBLIC KEY-----");
    const char *e = strstr(pem, "-----END PUBLIC KEY-----");
    if (p == NULL || e == NULL) {
      free(pem);
      return "server_public_key.pem is not an SPKI PEM";
    }
    for (p += 26; p < e && n < sizeof(b64) - 1; p++) {
      if (*p != '\n' && *p != '\r' && *p != ' ') {
        b64[n++] = *p;
      }
    }
    free(pem);
    const int dn = fg_base64_decode(b64, n, s_der, sizeof(s_der));
    if (dn <= 0) {
      return "server_public_key.pem: bad base64";
    }
    s_der_len = (size_t)dn;
    snprintf(path, sizeof(path), "%s/aes_firmware_key.bin", o.keys_dir);
    char *aes = fg_host_read_file(path, &aes_len);
    if (aes == NULL || aes_len != 32) {
      free(aes);
      return "aes_firmware_key.bin missing or not 32 bytes";
    }
    memcpy(s_aes, aes, 32);
    free(aes);
  }
  return fg_ota_keys_init(keys, s_der, s_der_len, s_aes) == 0 ? NULL : "bad OTA keys";
}

/* --kill-at: a power cut at a named point, as a real SIGKILL of this process (nothing is flushed
 * or cleaned up beyond what the port already made durable). */
static void maybe_kill(const fg_ota_event_t *ev) {
  if (o.kill_at == NULL) {
    return;
  }
  char point[32];
  snprintf(point, sizeof(point), "chunk:%lu", (unsigned long)ev->chunk);
  if ((ev->type == FG_OTA_EV_ACTIVATING && strcmp(o.kill_at, "activating") == 0) ||
      (ev->type == FG_OTA_EV_CHUNK && strcmp(o.kill_at, point) == 0)) {
    fflush(stdout);
    raise(SIGKILL);
  }
}

static void on_ota_event(void *user, const fg_ota_event_t *ev) {
  (void)user;
  static const char *names[] = {"", "available", "manifest", "resume", "chunk", "chunk_rejected",
                                "interrupted", "verified", "reported", "page", "page_rejected",
                                "activating", "withdrawn"};
  if (ev->type == FG_OTA_EV_MANIFEST) {
    /* the sim's slot metadata: the inactive slot is being (re)written with this version */
    const uint32_t target = 1 - d.flash_ctx.running;
    snprintf(d.flash_ctx.version[target], sizeof(d.flash_ctx.version[0]), "%s", ev->version);
    fg_posix_flash_save(&d.flash_ctx);
  }
  const bool page = ev->type == FG_OTA_EV_PAGE || ev->type == FG_OTA_EV_PAGE_REJECTED;
  line_t l;
  line_begin(&l, "ota");
  kv_str(&l, "event", names[ev->type]);
  kv_str(&l, "version", ev->version);
  if (ev->type == FG_OTA_EV_CHUNK || ev->type == FG_OTA_EV_CHUNK_REJECTED ||
      ev->type == FG_OTA_EV_RESUME || ev->type == FG_OTA_EV_INTERRUPTED) {
    kv_int(&l, "chunk", ev->chunk);
  }
  if (page) {
    kv_int(&l, "page", ev->chunk);
    kv_int(&l, "total_pages", ev->total_chunks);
  } else {
    kv_int(&l, "total_chunks", ev->total_chunks);
  }
  if (ev->type == FG_OTA_EV_CHUNK_REJECTED || ev->type == FG_OTA_EV_PAGE_REJECTED) {
    kv_int(&l, "attempt", ev->attempt);
    kv_str(&l, "check", ev->check);
  }
  if (ev->type == FG_OTA_EV_REPORTED && ev->check != NULL) {
    kv_str(&l, "check", ev->check);
  }
  if (ev->type == FG_OTA_EV_WITHDRAWN) {
    kv_str(&l, "reason", ev->check);
    kv_int(&l, "chunks", ev->chunk);
  }
  line_end(&l);
  maybe_kill(ev);
}

static int cmd_ota(void) {
  fg_ota_keys_t keys;
  const char *err = load_ota_keys(&keys);
  if (err != NULL) {
    die_usage("%s", err);
  }
  need_network();
  fg_ota_gateway_t gw;
  fg_ota_source_t src;
  fg_ota_gateway_init(&src, &gw, &d.client);
  (void)fg_rollback_min(&d.kv, &gw.security_counter); /* the gateway offers nothing below it */
  /* the device's buffers (firmware/main: heap, freed after the run): one chunk, one page, the
   * manifest and its tokens; nothing sized by the image */
  static uint8_t chunk[FG_SIM_CHUNK_CAP];
  static uint8_t page[FG_HASH_PAGE_MAX_BYTES];
  static char manifest[FG_LIMIT_OTA_MANIFEST_MAX_BYTES];
  static fg_json_tok_t toks[FG_OTA_MANIFEST_TOKENS];
  const fg_ota_config_t cfg = {
      .chunk_buf = chunk, .chunk_cap = sizeof(chunk), .page_buf = page, .page_cap = sizeof(page),
      .manifest_buf = manifest, .manifest_cap = sizeof(manifest), .toks = toks,
      .toks_cap = sizeof(toks) / sizeof(toks[0]),
      .max_chunk_attempts = (uint8_t)(o.max_chunk_attempts < 1 ? 1 : o.max_chunk_attempts),
      .stop_after_chunks = o.stop_after, .persist_every = 1, .on_event = on_ota_event,
      .allow_downgrade = o.allow_downgrade != 0};
  fg_ota_result_t r;
  const int rc = fg_ota_run(&d.plat, &keys, &src, &cfg, running_version(), o.version, &r);
  line_t l;
  line_begin(&l, "ota");
  if (rc == 0) {
    kv_bool(&l, "ok", 1);
  } else if (rc == FG_ERR_NOTHING) {
    kv_bool(&l, "ok", 1);
    kv_bool(&l, "update_available", 0);
  } else {
    kv_bool(&l, "ok", 0);
    kv_str(&l, "error", fg_err_name(rc));
    kv_int(&l, "code", rc);
    if (gw.last_status != 0) {
      kv_int(&l, "status", gw.last_status);
    }
    if (gw.last_error[0] != '\0') {
      kv_str(&l, "error_code", gw.last_error);
    }
  }
  kv_str(&l, "event", "result");
  kv_str(&l, "version", r.version[0] ? r.version : NULL);
  kv_bool(&l, "complete", r.complete);
  kv_int(&l, "security_counter", r.security_counter);
  kv_int(&l, "total_chunks", r.total_chunks);
  kv_int(&l, "chunks_written", r.chunks_written);
  kv_int(&l, "next_chunk", r.next_chunk);
  kv_bool(&l, "resumed", r.resumed);
  kv_int(&l, "resumed_at", r.resumed_at);
  kv_int(&l, "refetches", r.refetches);
  kv_int(&l, "pages_fetched", r.pages_fetched);
  kv_int(&l, "chunk_size", r.chunk_size);
  if (r.failed_check != FG_OTA_CHECK_NONE) {
    kv_str(&l, "check", fg_ota_check_name((fg_ota_check_t)r.failed_check));
    if (r.failed_chunk >= 0) {
      kv_int(&l, "chunk", r.failed_chunk);
    }
  }
  if (r.withdrawn) {
    kv_bool(&l, "withdrawn", 1);
    kv_str(&l, "reason", fg_err_name(rc));
    kv_str(&l, "next_step", "the gateway withdrew this version: dropped, not reported; the next ota check decides afresh");
  }
  if (rc == 0) {
    kv_str(&l, "next_step", "reboot to run the new image: it confirms itself after its self-test, then reports");
  }
  line_end(&l);
  ram_save();
  if (rc == FG_ERR_NOTHING || rc == FG_ERR_INTERRUPTED) {
    return 0;
  }
  return exit_for(rc);
}

static int cmd_status(void) {
  line_t l;
  line_begin(&l, "status");
  kv_bool(&l, "ok", 1);
  kv_str(&l, "device_id", d.device_id[0] ? d.device_id : NULL);
  kv_bool(&l, "provisioned", d.device_id[0] != '\0' && d.have_key);
  kv_str(&l, "firmware_version", running_version());
  kv_int(&l, "running_slot", d.flash_ctx.running);
  static const char *states[] = {"valid", "new", "pending_verify", "aborted"};
  fg_jsonw_key(&l.w, "slots");
  fg_jsonw_arr_begin(&l.w);
  for (int s = 0; s < 2; s++) {
    fg_jsonw_obj_begin(&l.w);
    kv_str(&l, "version", d.flash_ctx.version[s][0] ? d.flash_ctx.version[s] : NULL);
    kv_str(&l, "state", states[d.flash_ctx.state[s] & 3]);
    fg_jsonw_obj_end(&l.w);
  }
  fg_jsonw_arr_end(&l.w);
  kv_str(&l, "reset_reason", d.reset_reason);
  kv_int(&l, "boot_id", fg_nonce_boot_id(&d.nonce));
  kv_int(&l, "nonce_epoch_stored", d.nonce.stored_epoch);
  kv_int(&l, "nonce_epochs_left", fg_nonce_epochs_left(&d.nonce));
  if (d.nonce.epoch != 0 && d.nonce.counter < FG_NONCE_PER_EPOCH) {
    kv_int(&l, "next_nonce", ((int64_t)d.nonce.epoch << 16) | d.nonce.counter);
  } else {
    fg_jsonw_key(&l.w, "next_nonce");
    fg_jsonw_null(&l.w);
  }
  uint32_t min = 0;
  fg_rollback_min(&d.kv, &min);
  kv_int(&l, "security_counter_min", min);
  uint8_t rec[128]; /* the resume record (fg_ota.c: 88 bytes; next chunk at 36..39) */
  size_t rlen = 0;
  fg_jsonw_key(&l.w, "ota_resume_chunk");
  if (d.kv.get(d.kv.ctx, FG_OTA_KV_RESUME, rec, sizeof(rec), &rlen) == 0 && rlen >= 40) {
    fg_jsonw_u64(&l.w, (uint32_t)rec[36] | ((uint32_t)rec[37] << 8) | ((uint32_t)rec[38] << 16) |
                           ((uint32_t)rec[39] << 24));
  } else {
    fg_jsonw_null(&l.w);
  }
  fg_ota_withdrawn_t gone;
  fg_jsonw_key(&l.w, "ota_withdrawn"); /* why the last download was dropped, until an update installs */
  if (fg_ota_withdrawn(&d.kv, &gone) == 0) {
    fg_ota_withdrawn_json(&l.w, &gone);
  } else {
    fg_jsonw_null(&l.w);
  }
  static const char *boot_states[] = {"normal", "trial", "confirmed", "rolled_back"};
  kv_str(&l, "update_state", boot_states[s_boot_state & 3]);
  fg_jsonw_key(&l.w, "pending_update");
  if (s_boot_state != FG_BOOT_NORMAL) {
    fg_jsonw_obj_begin(&l.w);
    kv_str(&l, "version", s_pending.version);
    kv_int(&l, "security_counter", s_pending.counter);
    fg_jsonw_obj_end(&l.w);
  } else {
    fg_jsonw_null(&l.w);
  }
  fg_jsonw_key(&l.w, "config_version");
  if (d.have_cfg) {
    fg_jsonw_u64(&l.w, d.cfg.config_version);
  } else {
    fg_jsonw_null(&l.w);
  }
  char cfg[1536];
  if (fg_config_to_json(&d.cfg, cfg, sizeof(cfg)) > 0) {
    fg_jsonw_key(&l.w, "config");
    fg_jsonw_raw(&l.w, cfg, strlen(cfg));
  }
  line_end(&l);
  return 0;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  setup();
  if (strcmp(o.command, "reboot") != 0 && strcmp(o.command, "status") != 0 &&
      strcmp(o.command, "confirm") != 0) {
    selftest();
  }
  int rc;
  if (strcmp(o.command, "provision") == 0) {
    rc = cmd_provision();
  } else if (strcmp(o.command, "upload") == 0) {
    rc = cmd_upload();
  } else if (strcmp(o.command, "poll") == 0) {
    rc = cmd_poll();
  } else if (strcmp(o.command, "config") == 0) {
    rc = cmd_config();
  } else if (strcmp(o.command, "diagnostics") == 0 || strcmp(o.command, "heartbeat") == 0) {
    rc = cmd_diagnostics();
  } else if (strcmp(o.command, "reboot") == 0) {
    rc = cmd_reboot();
  } else if (strcmp(o.command, "confirm") == 0) {
    rc = cmd_confirm();
  } else if (strcmp(o.command, "ota") == 0) {
    rc = cmd_ota();
  } else if (strcmp(o.command, "status") == 0) {
    rc = cmd_status();
  } else {
    die_usage("unknown command %s", o.command);
    rc = EXIT_USAGE;
  }
  free(d.rx);
  return rc;
}

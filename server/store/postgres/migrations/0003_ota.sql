-- 0003_ota: OTA state (per-device floors and results, download sessions, per-version counters),
-- rollouts, and the firmware images every replica serves.
--
-- Same rules as 0001_core: applied once under the migration lock, never edited once released,
-- additive only (replicas of two versions run side by side during a rolling upgrade).
-- Times the gateway computes are epoch milliseconds (bigint), as in the embedded store.

-- What each device reported (/ota/check) and completed (/ota/complete): its anti-rollback floor
-- is GREATEST(reported_counter, completed_counter). Written by ota-state.ts under this row's lock.
CREATE TABLE ota_devices (
  device_id         text PRIMARY KEY,
  current_version   text,
  reported_counter  bigint NOT NULL DEFAULT 0,
  completed_counter bigint NOT NULL DEFAULT 0,
  last_check_at     bigint,
  result_version    text,
  result_success    boolean,
  result_error      text,
  result_at         bigint,
  successes         integer NOT NULL DEFAULT 0,
  failures          integer NOT NULL DEFAULT 0
);

-- Each device's current download session (one per device: a new one replaces the row). Decisions
-- (create, resume, replace, finish) lock the row; chunk progress arrives written behind, as
-- increments, through fg_ota_progress.
CREATE TABLE ota_sessions (
  device_id        text PRIMARY KEY,
  session_id       text NOT NULL,
  version          text NOT NULL,
  chunk_root       text NOT NULL,
  total_chunks     integer NOT NULL,
  chunk_size       integer NOT NULL,
  encrypted_size   bigint NOT NULL,
  rollout_id       text,
  status           text NOT NULL CHECK (status IN ('active', 'completed', 'failed', 'replaced')),
  started_at       bigint NOT NULL,
  last_activity_at bigint NOT NULL,
  finished_at      bigint,
  next_chunk       integer NOT NULL,
  highest_chunk    integer NOT NULL,
  chunks_served    bigint NOT NULL,
  refetches        bigint NOT NULL,
  bytes_served     bigint NOT NULL,
  error            text
);

-- Per-version statistics; every writer adds (x = x + delta), so replicas' counts add up.
CREATE TABLE ota_version_counters (
  version           text PRIMARY KEY,
  sessions_started  bigint NOT NULL DEFAULT 0,
  sessions_resumed  bigint NOT NULL DEFAULT 0,
  sessions_replaced bigint NOT NULL DEFAULT 0,
  successes         bigint NOT NULL DEFAULT 0,
  failures          bigint NOT NULL DEFAULT 0,
  chunks_served     bigint NOT NULL DEFAULT 0,
  chunk_bytes       bigint NOT NULL DEFAULT 0,
  downloads         bigint NOT NULL DEFAULT 0,
  download_bytes    bigint NOT NULL DEFAULT 0
);

-- Chunks a replica served for one session since its last flush, in the order it served them:
-- applies server/ota/sessions.ts afterChunk to each (next_chunk advances on the chunk it names,
-- a chunk below it is a refetch). Matched by session id, so progress of a session replaced
-- meanwhile is dropped; of one finished meanwhile, still counted (those chunks were served).
CREATE FUNCTION fg_ota_progress(p_device text, p_session text, p_chunks integer[], p_bytes bigint, p_at bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  nxt integer;
  refetched integer := 0;
  i integer;
BEGIN
  SELECT s.next_chunk INTO nxt FROM ota_sessions s WHERE s.device_id = p_device AND s.session_id = p_session FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  FOREACH i IN ARRAY p_chunks LOOP
    IF i < nxt THEN
      refetched := refetched + 1;
    ELSIF i = nxt THEN
      nxt := nxt + 1;
    END IF;
  END LOOP;
  UPDATE ota_sessions s SET
    next_chunk = nxt,
    highest_chunk = GREATEST(s.highest_chunk, (SELECT max(x) FROM unnest(p_chunks) AS x)),
    chunks_served = s.chunks_served + cardinality(p_chunks),
    refetches = s.refetches + refetched,
    bytes_served = s.bytes_served + p_bytes,
    last_activity_at = GREATEST(s.last_activity_at, p_at)
  WHERE s.device_id = p_device;
END $$;

-- Staged rollouts (server/ota/rollouts.ts). `seq` keeps creation order for listings. Results are
-- counted under the row's lock, so the auto-pause rule trips once whichever replica counts.
CREATE TABLE ota_rollouts (
  id                text PRIMARY KEY,
  seq               bigserial NOT NULL UNIQUE,
  version           text NOT NULL,
  target            jsonb NOT NULL,
  percent           double precision NOT NULL,
  status            text NOT NULL CHECK (status IN ('active', 'paused')),
  paused_reason     text CHECK (paused_reason IN ('manual', 'failure_threshold')),
  failure_threshold double precision NOT NULL,
  min_results       integer NOT NULL,
  results_successes integer NOT NULL,
  results_failures  integer NOT NULL,
  window_successes  integer NOT NULL,
  window_failures   integer NOT NULL,
  notes             text NOT NULL,
  created_at        bigint NOT NULL,
  updated_at        bigint NOT NULL,
  paused_at         bigint
);

-- Firmware images (firmware-images.ts). A build is one packaging of a version: the manifest JSON
-- file's text, format 2's chunk-hash table, and the ciphertext in 64 KiB blocks. A build is
-- written in one transaction that also retires the version's previous build, so a half-stored
-- image is never visible; a retired build stays readable for an hour (downloads in flight), then
-- the next store deletes it.
CREATE TABLE firmware_builds (
  build_id   bigserial PRIMARY KEY,
  version    text NOT NULL,
  root       text NOT NULL,
  manifest   json NOT NULL,
  hash_table bytea,
  size       bigint NOT NULL,
  origin     text NOT NULL,
  stored_at  timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
CREATE UNIQUE INDEX firmware_builds_current ON firmware_builds (version) WHERE retired_at IS NULL;

CREATE TABLE firmware_blocks (
  build_id bigint NOT NULL REFERENCES firmware_builds ON DELETE CASCADE,
  block    integer NOT NULL,
  data     bytea NOT NULL,
  PRIMARY KEY (build_id, block)
);
-- Ciphertext does not compress: store it out of line without trying.
ALTER TABLE firmware_blocks ALTER COLUMN data SET STORAGE EXTERNAL;

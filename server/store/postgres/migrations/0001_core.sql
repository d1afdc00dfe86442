-- 0001_core: the device registry, anti-replay state and telemetry.
--
-- Rules for every migration here (server/store/postgres/README.md): numbered, applied in order
-- under an advisory lock, recorded in fleetgate_migrations, never edited once released. Changes
-- are additive (expand now, contract in a later release), because replicas of two versions run
-- side by side during a rolling upgrade.
--
-- Times are epoch milliseconds (bigint) where the gateway computes them, timestamptz where
-- PostgreSQL partitions or filters by them.

CREATE TABLE devices (
  device_id               text PRIMARY KEY,
  created_at              timestamptz NOT NULL,
  key_mode                text NOT NULL CHECK (key_mode IN ('derived', 'shared')),
  key_version             integer NOT NULL,
  previous_key_version    integer,
  previous_key_mode       text CHECK (previous_key_mode IN ('derived', 'shared')),
  previous_key_expires_at timestamptz,
  rotated_at              timestamptz,
  revoked_at              timestamptz,
  reinstated_at           timestamptz,
  psk_bound_at            timestamptz
);

-- The last accepted message of each device: the anti-replay floor, the MAC an exact
-- retransmission repeats, when it was seen, and the stored reply a retransmission gets back.
CREATE TABLE device_nonces (
  device_id text PRIMARY KEY,
  nonce     bigint NOT NULL,
  mac       text NOT NULL,
  seen_at   bigint NOT NULL,
  reply     jsonb
);

-- Nonces claimed by a signed request still being answered (any gateway). A retransmission of one
-- waits for its outcome instead of being judged against device_nonces alone. A claim older than
-- the caller's stale limit belongs to a gateway that died mid-request: it never committed.
CREATE TABLE nonce_claims (
  device_id  text NOT NULL,
  nonce      bigint NOT NULL,
  mac        text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (device_id, nonce)
);

-- Raw fleet-key MACs (legacy shared-key devices) and the device that used each first.
CREATE TABLE shared_macs (
  fingerprint text PRIMARY KEY,
  device_id   text NOT NULL,
  bound_at    bigint NOT NULL
);
CREATE INDEX shared_macs_bound_at ON shared_macs (bound_at);

-- One row per accepted upload. Partitioned by day of the batch's first sample time (the device's
-- clock); a device whose clock is far off lands in the default partition. Retention drops whole
-- partitions (fg_drop_telemetry_before). `samples` is json, not jsonb: the device's own text, key
-- order included, so answers match the embedded store byte for byte.
CREATE TABLE telemetry_batches (
  device_id    text NOT NULL,
  sample_time  timestamptz NOT NULL,
  received_at  bigint NOT NULL,
  nonce        bigint NOT NULL,
  method       text NOT NULL,
  sample_count integer NOT NULL,
  first_ts     double precision NOT NULL,
  last_ts      double precision NOT NULL,
  samples      json NOT NULL
) PARTITION BY RANGE (sample_time);
CREATE TABLE telemetry_batches_default PARTITION OF telemetry_batches DEFAULT;
CREATE INDEX telemetry_batches_device_received ON telemetry_batches (device_id, received_at);

-- Serializes everything that reads and moves one device's nonce state (any gateway), for the
-- rest of the transaction. Uploads in one batch take these in device-id order: no deadlocks.
CREATE FUNCTION fg_lock_device_nonce(p_device text) RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(7001, hashtext(p_device)) $$;

-- The anti-replay check-and-set of a signed request. Outcomes: 'fresh' (claimed: commit or abort
-- it), 'duplicate' (the last accepted message again: its stored reply), 'replay', or 'wait' (a
-- claim for this or a newer nonce is in flight: ask again shortly).
CREATE FUNCTION fg_claim_nonce(p_device text, p_nonce bigint, p_mac text, p_stale_ms integer)
RETURNS TABLE (outcome text, last_nonce bigint, reply jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  cur device_nonces%ROWTYPE;
BEGIN
  PERFORM fg_lock_device_nonce(p_device);
  DELETE FROM nonce_claims c WHERE c.device_id = p_device AND c.claimed_at < clock_timestamp() - make_interval(secs => p_stale_ms / 1000.0);
  IF EXISTS (SELECT 1 FROM nonce_claims c WHERE c.device_id = p_device AND c.nonce >= p_nonce) THEN
    RETURN QUERY SELECT 'wait'::text, NULL::bigint, NULL::jsonb;
    RETURN;
  END IF;
  SELECT * INTO cur FROM device_nonces n WHERE n.device_id = p_device;
  IF FOUND AND cur.nonce = p_nonce AND cur.mac = p_mac THEN
    RETURN QUERY SELECT 'duplicate'::text, cur.nonce, cur.reply;
  ELSIF FOUND AND cur.nonce >= p_nonce THEN
    RETURN QUERY SELECT 'replay'::text, cur.nonce, NULL::jsonb;
  ELSE
    INSERT INTO nonce_claims (device_id, nonce, mac) VALUES (p_device, p_nonce, p_mac);
    RETURN QUERY SELECT 'fresh'::text, cur.nonce, NULL::jsonb;
  END IF;
END $$;

-- Makes a claimed nonce the device's state (unless a newer one was committed meanwhile: pipelined
-- requests never move the floor back) with the reply a retransmission gets. False, changing
-- nothing, when the claim is gone (a nonce reset, or it went stale): the request must fail.
CREATE FUNCTION fg_commit_nonce(p_device text, p_nonce bigint, p_mac text, p_seen_at bigint, p_reply jsonb)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM fg_lock_device_nonce(p_device);
  DELETE FROM nonce_claims c WHERE c.device_id = p_device AND c.nonce = p_nonce;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  INSERT INTO device_nonces AS n (device_id, nonce, mac, seen_at, reply)
  VALUES (p_device, p_nonce, p_mac, p_seen_at, p_reply)
  ON CONFLICT (device_id) DO UPDATE
    SET nonce = EXCLUDED.nonce, mac = EXCLUDED.mac, seen_at = EXCLUDED.seen_at, reply = EXCLUDED.reply
    WHERE n.nonce < EXCLUDED.nonce;
  RETURN true;
END $$;

-- An upload's check-and-set and its batch in one step: 'accepted' (the batch is stored and the
-- nonce advanced, atomically), 'duplicate', 'replay' or 'wait' (as for fg_claim_nonce).
CREATE FUNCTION fg_accept_upload(
  p_device text, p_nonce bigint, p_mac text, p_seen_at bigint,
  p_sample_time timestamptz, p_method text, p_count integer, p_first_ts double precision, p_last_ts double precision, p_samples text,
  p_stale_ms integer)
RETURNS TABLE (outcome text, last_nonce bigint)
LANGUAGE plpgsql AS $$
DECLARE
  cur device_nonces%ROWTYPE;
BEGIN
  PERFORM fg_lock_device_nonce(p_device);
  DELETE FROM nonce_claims c WHERE c.device_id = p_device AND c.claimed_at < clock_timestamp() - make_interval(secs => p_stale_ms / 1000.0);
  IF EXISTS (SELECT 1 FROM nonce_claims c WHERE c.device_id = p_device AND c.nonce >= p_nonce) THEN
    RETURN QUERY SELECT 'wait'::text, NULL::bigint;
    RETURN;
  END IF;
  SELECT * INTO cur FROM device_nonces n WHERE n.device_id = p_device;
  IF FOUND AND cur.nonce = p_nonce AND cur.mac = p_mac THEN
    RETURN QUERY SELECT 'duplicate'::text, cur.nonce;
  ELSIF FOUND AND cur.nonce >= p_nonce THEN
    RETURN QUERY SELECT 'replay'::text, cur.nonce;
  ELSE
    INSERT INTO device_nonces AS n (device_id, nonce, mac, seen_at, reply)
    VALUES (p_device, p_nonce, p_mac, p_seen_at, NULL)
    ON CONFLICT (device_id) DO UPDATE SET nonce = EXCLUDED.nonce, mac = EXCLUDED.mac, seen_at = EXCLUDED.seen_at, reply = NULL;
    INSERT INTO telemetry_batches (device_id, sample_time, received_at, nonce, method, sample_count, first_ts, last_ts, samples)
    VALUES (p_device, p_sample_time, p_seen_at, p_nonce, p_method, p_count, p_first_ts, p_last_ts, p_samples::json);
    RETURN QUERY SELECT 'accepted'::text, p_nonce;
  END IF;
END $$;

-- The daily partition holding `p_day`, created if missing. Rows the default partition already
-- holds for that day (a device clock that ran ahead of the partitions) move into it first, since
-- attaching a partition whose rows sit in the default one fails.
CREATE FUNCTION fg_ensure_telemetry_partition(p_day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  name text := 'telemetry_batches_' || to_char(p_day, 'YYYYMMDD');
  lo timestamptz := (p_day::text || ' 00:00:00+00')::timestamptz;
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE telemetry_batches INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
  EXECUTE format(
    'WITH moved AS (DELETE FROM telemetry_batches_default WHERE sample_time >= %L AND sample_time < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
    lo, lo + interval '1 day', name);
  EXECUTE format('ALTER TABLE telemetry_batches ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, lo + interval '1 day');
  RETURN true;
END $$;

-- Retention: drops every daily partition that ends before `p_before` and deletes the default
-- partition's rows from before it (devices whose clocks were wrong). Returns partitions dropped.
CREATE FUNCTION fg_drop_telemetry_before(p_before timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  part record;
  dropped integer := 0;
BEGIN
  FOR part IN
    SELECT c.relname
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = 'telemetry_batches' AND c.relname ~ '^telemetry_batches_[0-9]{8}$'
  LOOP
    IF (to_date(right(part.relname, 8), 'YYYYMMDD')::text || ' 00:00:00+00')::timestamptz + interval '1 day' <= p_before THEN
      EXECUTE format('DROP TABLE %I', part.relname);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  DELETE FROM telemetry_batches_default WHERE sample_time < p_before;
  RETURN dropped;
END $$;

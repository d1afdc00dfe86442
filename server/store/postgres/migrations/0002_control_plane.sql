-- 0002_control_plane: command queues, remote config, diagnostics, device events, the audit log
-- and security counters (the repositories in server/store/postgres/{commands,config,diagnostics,
-- events,audit,security-stats}.ts). Additive only, like every migration here (0001_core.sql says
-- why).
--
-- Times are epoch milliseconds (bigint) where the gateway computes and compares them (command
-- deadlines, event state); timestamptz where rows are ordered, filtered or dropped by time.
-- Documents the gateway hands back as they were given (command parameters and results, config
-- values, diagnostics reports, event and audit details) are `json`, not `jsonb`: json keeps the
-- text, key order included, so both stores answer byte for byte alike. Nothing queries inside
-- them.
--
-- Retention deletes rows through the time indexes rather than dropping partitions: each hourly
-- prune deletes only what crossed the cutoff since the last one, as many rows as were added in an
-- hour, which these tables (unlike telemetry) never make large.
--
-- Advisory lock namespaces (first key): 7001 nonces (0001), 7002 job leases (leases.ts), 7010
-- device events and 7011 command creation (here).

-- Command queues --------------------------------------------------------------------------------

CREATE TABLE commands (
  command_id    text PRIMARY KEY,
  device_id     text NOT NULL,
  -- Creation order: "oldest first" among commands created in the same millisecond.
  seq           bigint GENERATED ALWAYS AS IDENTITY,
  command_type  text NOT NULL,
  parameters    json NOT NULL,
  status        text NOT NULL CHECK (status IN ('pending', 'sent', 'completed', 'failed', 'expired', 'cancelled')),
  created_at    bigint NOT NULL,
  created_by    text NOT NULL,
  expires_at    bigint,
  attempts      integer NOT NULL DEFAULT 0,
  first_sent_at bigint,
  last_sent_at  bigint,
  -- Nonce of the poll that last delivered it: a poll re-sent with that nonce gets it again.
  sent_nonce    bigint,
  finished_at   bigint,
  status_reason text,
  result        json,
  result_nonce  bigint
);
CREATE INDEX commands_device ON commands (device_id, seq);
-- Open commands only: what a poll and the queue limit look at (a handful per device, however long
-- the history), and what the fleet-wide expiry sweep looks for.
CREATE INDEX commands_open ON commands (device_id, seq) WHERE status IN ('pending', 'sent');
CREATE INDEX commands_open_deadline ON commands (expires_at) WHERE status IN ('pending', 'sent') AND expires_at IS NOT NULL;
CREATE INDEX commands_sent_at ON commands (last_sent_at) WHERE status = 'sent';
CREATE INDEX commands_finished ON commands (finished_at) WHERE finished_at IS NOT NULL;

-- Serializes the creation of one device's commands (any gateway) for the rest of the transaction,
-- so counting its open commands and inserting one is atomic: two gateways cannot both see room
-- for one more command. Row locks would not do: the row that would break the limit is new.
CREATE FUNCTION fg_lock_device_commands(p_device text) RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(7011, hashtext(p_device)) $$;

-- Remote configuration --------------------------------------------------------------------------

-- One row: the fleet's config_version counter and the fleet defaults. Every config write locks
-- this row first (SELECT … FOR UPDATE) and bumps `version` under that lock, so versions are handed
-- out one at a time and committed in the order they were handed out. A sequence would not do:
-- nextval is not transactional, so a version could become visible after a higher one already was,
-- and a device that fetched the higher one would never learn of the change.
CREATE TABLE config_fleet (
  singleton           boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- Highest version handed out.
  version             bigint NOT NULL,
  defaults            json NOT NULL,
  defaults_version    bigint NOT NULL,
  defaults_updated_at timestamptz NOT NULL,
  defaults_updated_by text NOT NULL
);

-- Per-device overrides. A cleared override stays as an empty layer with its new version, so the
-- device's effective version still rises.
CREATE TABLE config_overrides (
  device_id  text PRIMARY KEY,
  overrides  json NOT NULL,
  version    bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL
);

-- Diagnostics -----------------------------------------------------------------------------------

CREATE TABLE diagnostics_reports (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id text NOT NULL,
  at        timestamptz NOT NULL,
  nonce     bigint NOT NULL,
  report    json NOT NULL
);
CREATE INDEX diagnostics_reports_device ON diagnostics_reports (device_id, at, id);
CREATE INDEX diagnostics_reports_at ON diagnostics_reports (at);

-- One row per reporting device, kept in the same statement as each report it counts, so fleet
-- views (summary, config lag at 10,000 devices) read one row per device, never the reports.
CREATE TABLE diagnostics_devices (
  device_id       text PRIMARY KEY,
  entries         bigint NOT NULL,
  latest          json NOT NULL,
  latest_at       timestamptz NOT NULL,
  -- The config_version of the last report that carried one, and that report's time.
  applied_version bigint,
  applied_at      timestamptz
);

-- Device events ---------------------------------------------------------------------------------

-- Derivation state per device (server/events/rules.ts). Changed only inside a transaction that
-- holds the device's event lock (fg_lock_device_events), whether or not the row exists yet.
CREATE TABLE event_states (
  device_id     text PRIMARY KEY,
  status        text NOT NULL CHECK (status IN ('online', 'offline')),
  transitions   integer NOT NULL,
  boot_id       text,
  offline_since bigint,
  returned_at   bigint
);
-- Every gateway loads the offline devices at start (its in-memory isOffline set).
CREATE INDEX event_states_offline ON event_states (device_id) WHERE status = 'offline';

-- Event ids are deterministic (rules.ts): the primary key stores a re-derived event once.
CREATE TABLE device_events (
  event_id  text PRIMARY KEY,
  seq       bigint GENERATED ALWAYS AS IDENTITY,
  device_id text NOT NULL,
  type      text NOT NULL,
  at        timestamptz NOT NULL,
  details   json NOT NULL
);
CREATE INDEX device_events_at ON device_events (at, seq);
CREATE INDEX device_events_device ON device_events (device_id, at, seq);
CREATE INDEX device_events_type ON device_events (type, at, seq);

-- Serializes the event derivation of one device (any gateway) for the rest of the transaction: an
-- advisory lock rather than a row lock, because a device's first transition has no row to lock.
CREATE FUNCTION fg_lock_device_events(p_device text) RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(7010, hashtext(p_device)) $$;

-- Audit log -------------------------------------------------------------------------------------

CREATE TABLE audit_log (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  device_id  text,
  command_id text,
  details    json
);
-- Chronological reads (from `since`, or the newest `limit`), per device, per action or action
-- prefix ("command." is a range in C collation: 'command.' <= action < 'command/').
CREATE INDEX audit_log_at ON audit_log (at, seq);
CREATE INDEX audit_log_device ON audit_log (device_id, at, seq) WHERE device_id IS NOT NULL;
CREATE INDEX audit_log_action ON audit_log ((action COLLATE "C"), at, seq);

-- Security counters -----------------------------------------------------------------------------

-- Totals added up from every gateway (UPDATE … SET n = n + delta): the fleet row, and one row per
-- device (at most MAX_TRACKED_DEVICES of them; `tracked` counts them so adding need not).
CREATE TABLE security_stats_fleet (
  singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  since          timestamptz NOT NULL,
  tracked        integer NOT NULL DEFAULT 0,
  total          bigint NOT NULL DEFAULT 0,
  accepted       bigint NOT NULL DEFAULT 0,
  duplicate      bigint NOT NULL DEFAULT 0,
  bad_signature  bigint NOT NULL DEFAULT 0,
  replay         bigint NOT NULL DEFAULT 0,
  unknown_device bigint NOT NULL DEFAULT 0,
  crc_failure    bigint NOT NULL DEFAULT 0,
  malformed      bigint NOT NULL DEFAULT 0
);

CREATE TABLE security_stats_devices (
  device_id      text PRIMARY KEY,
  total          bigint NOT NULL DEFAULT 0,
  accepted       bigint NOT NULL DEFAULT 0,
  duplicate      bigint NOT NULL DEFAULT 0,
  bad_signature  bigint NOT NULL DEFAULT 0,
  replay         bigint NOT NULL DEFAULT 0,
  unknown_device bigint NOT NULL DEFAULT 0,
  crc_failure    bigint NOT NULL DEFAULT 0,
  malformed      bigint NOT NULL DEFAULT 0
);

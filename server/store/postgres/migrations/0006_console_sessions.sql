-- 0006_console_sessions: the operator console (server/ui) and the fleet read model behind it
-- (server/fleet). Sessions are shared by every replica, so a login on one is honoured by all and
-- a logout or an ended session is refused by all at once; only SHA-256 hashes of the session id
-- and of the admin token are kept (a copy of the database signs in as nobody). The activity
-- tables hold counts by the hour (epoch hours, UTC) added as increments by every replica: the
-- fleet view's uploads and rejections in the last 24 h, and the security page's outcomes chart.

CREATE TABLE console_sessions (
  id_hash    text PRIMARY KEY,
  token_hash text NOT NULL,
  token_name text NOT NULL,
  role       text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  source     text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_token ON console_sessions (token_hash);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

CREATE TABLE fleet_device_hours (
  device_id text NOT NULL,
  hour      bigint NOT NULL,
  uploads   bigint NOT NULL,
  rejected  bigint NOT NULL,
  PRIMARY KEY (device_id, hour)
);
-- Loading the last day and pruning what is older go by hour.
CREATE INDEX fleet_device_hours_hour ON fleet_device_hours (hour);

CREATE TABLE fleet_outcome_hours (
  hour    bigint NOT NULL,
  outcome text NOT NULL,
  count   bigint NOT NULL,
  PRIMARY KEY (hour, outcome)
);

CREATE TABLE fleet_last_uploads (
  device_id text PRIMARY KEY,
  at        bigint NOT NULL
);

-- 0009_notify_cooldowns: notification cooldowns shared by every replica (server/notify/cooldowns.ts),
-- so a device whose events are derived on two replicas still costs one webhook per cooldown.
-- Additive, like every migration here (0001_core.sql says why). One row per device that was ever
-- notified about; `held` keeps the latest events held back for its digest (at most DIGEST_KEEP),
-- `held_count` how many there were.

CREATE TABLE notify_cooldowns (
  device_id    text PRIMARY KEY,
  last_sent_at bigint NOT NULL,
  held_count   integer NOT NULL DEFAULT 0,
  held         json NOT NULL DEFAULT '[]'
);

-- What the digest job looks for: devices with something held.
CREATE INDEX notify_cooldowns_held ON notify_cooldowns (last_sent_at) WHERE held_count > 0;

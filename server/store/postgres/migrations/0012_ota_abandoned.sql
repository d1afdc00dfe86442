-- 0012_ota_abandoned: a session status for the stale-session cleanup job (server/ota/sessions.ts
-- abandonIfSilent): an active session without a request for OTA_SESSION_ABANDON_SECONDS is closed
-- as 'abandoned'. Widening the check is additive: a replica of the previous version reads such a
-- session as not active, which is what it is (its device initiates a new one).
ALTER TABLE ota_sessions DROP CONSTRAINT ota_sessions_status_check;
ALTER TABLE ota_sessions ADD CONSTRAINT ota_sessions_status_check
  CHECK (status IN ('active', 'completed', 'failed', 'replaced', 'abandoned'));

-- What the cleanup job looks for: active sessions by their last request.
CREATE INDEX ota_sessions_active_activity ON ota_sessions (last_activity_at) WHERE status = 'active';

-- 0008_rollout_steering: rollouts with states, steps and per-device progress
-- (server/ota/rollouts.ts, rollout-steps.ts, rollout-progress.ts).
--
-- Rollouts written by 0003 become one-step plans of their percent, in their step since creation.
-- `percent` stays, kept equal to the current step's coverage, for anyone reading the table.

ALTER TABLE ota_rollouts DROP CONSTRAINT ota_rollouts_status_check;
ALTER TABLE ota_rollouts ADD CONSTRAINT ota_rollouts_status_check CHECK (status IN ('active', 'paused', 'completed', 'cancelled'));
ALTER TABLE ota_rollouts DROP CONSTRAINT ota_rollouts_paused_reason_check;
ALTER TABLE ota_rollouts ADD CONSTRAINT ota_rollouts_paused_reason_check CHECK (paused_reason IN ('manual', 'failure_threshold', 'step_success_rate'));

ALTER TABLE ota_rollouts
  ADD COLUMN steps                   jsonb,
  ADD COLUMN step                    integer NOT NULL DEFAULT 0,
  ADD COLUMN steps_started           jsonb,
  ADD COLUMN device_deadline_seconds integer NOT NULL DEFAULT 604800,
  ADD COLUMN step_successes          integer,
  ADD COLUMN step_failures           integer,
  ADD COLUMN finished_at             bigint,
  ADD COLUMN finish_reason           text CHECK (finish_reason IN ('all_devices_done', 'cancelled', 'release_yanked'));
UPDATE ota_rollouts SET
  steps = jsonb_build_array(jsonb_build_object('percent', percent)),
  steps_started = jsonb_build_array(created_at),
  step_successes = window_successes,
  step_failures = window_failures;
ALTER TABLE ota_rollouts
  ALTER COLUMN steps SET NOT NULL,
  ALTER COLUMN steps_started SET NOT NULL,
  ALTER COLUMN step_successes SET NOT NULL,
  ALTER COLUMN step_failures SET NOT NULL;

-- Where each device stands in a rollout. Changed by one upsert whose WHERE clause is the stage
-- rule of rollout-progress.ts (STAGE_FROM), so replicas racing on one device never move it back.
CREATE TABLE ota_rollout_devices (
  rollout_id text NOT NULL REFERENCES ota_rollouts ON DELETE CASCADE,
  device_id  text NOT NULL,
  stage      text NOT NULL CHECK (stage IN ('offered', 'downloading', 'succeeded', 'failed')),
  error      text,
  updated_at bigint NOT NULL,
  PRIMARY KEY (rollout_id, device_id)
);
CREATE INDEX ota_rollout_devices_device ON ota_rollout_devices (device_id);

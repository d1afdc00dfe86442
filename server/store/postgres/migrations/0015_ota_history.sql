-- 0015_ota_history: each device's latest OTA results, newest first (at most 10 (OTA_HISTORY_LIMIT); server/ota/state.ts
-- completionResult decides what is appended), for the console's device page and GET
-- /ota/status/:id. Additive: a replica of the previous version neither reads nor writes it (its
-- UPDATE names its own columns), so results it records during a rolling upgrade are missing from
-- the history, not wrong.
ALTER TABLE ota_devices ADD COLUMN history jsonb NOT NULL DEFAULT '[]';

-- 0005_device_tags: device groups. Tags are sorted and unique (the gateway keeps them so); the
-- GIN index serves `GET /devices?tag=` and "tag:<tag>" targets at fleet size.

ALTER TABLE devices ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE INDEX devices_tags ON devices USING gin (tags);

-- 0014_config_tags: configuration layers by device tag, between the fleet defaults and a device's
-- own overrides (server/remote-config/layers.ts; the repository is server/store/postgres/config.ts).
-- Additive: a replica of the previous version does not read these tables, so during a rolling
-- upgrade it answers without tag layers; none exists until an operator sets one.
--
-- Every write here happens under the config_fleet row lock (0002) and takes its version from that
-- row's counter, like the defaults and the overrides.

-- One row per tag that ever had a layer. A cleared layer stays, empty, with the version of its
-- clearing: the devices with the tag still see their version rise.
CREATE TABLE config_tag_layers (
  tag        text PRIMARY KEY,
  -- As given, key order included (json, not jsonb: 0002 says why).
  fields     json NOT NULL,
  -- Among one device's tag layers the higher priority wins a field; ties go by tag name.
  priority   integer NOT NULL DEFAULT 0,
  version    bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL
);

-- Per device, the version at which a change of its tags last changed which tag layers apply to
-- it. Written in the transaction that changes the tags (devices.ts), so a device's effective
-- version rises with such a change — even when it drops the tag whose layer had the highest
-- version. The fleet lag view reads every row at once (one per retagged device at most).
CREATE TABLE config_memberships (
  device_id text PRIMARY KEY,
  version   bigint NOT NULL
);

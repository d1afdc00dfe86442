-- 0007_releases: firmware releases (server/ota/releases.ts). One record per build of a version —
-- the build is the SHA-256 of the signed manifest header — in state draft, published or yanked,
-- with who moved it there and when. `seq` keeps creation order for listings.
--
-- The builds a database already held when releases first ran are recorded by the gateway (not
-- here: it checks them first) in the transaction that inserts the single ota_release_seed row.

CREATE TABLE ota_releases (
  version          text NOT NULL,
  build            text NOT NULL CHECK (build ~ '^[0-9a-f]{64}$'),
  seq              bigserial NOT NULL UNIQUE,
  state            text NOT NULL CHECK (state IN ('draft', 'published', 'yanked')),
  general          boolean NOT NULL,
  security_counter bigint NOT NULL,
  origin           text NOT NULL CHECK (origin IN ('legacy', 'upload', 'firmware_dir')),
  created_at       bigint NOT NULL,
  created_by       text NOT NULL,
  published_at     bigint,
  published_by     text,
  yanked_at        bigint,
  yanked_by        text,
  yank_reason      text,
  updated_at       bigint NOT NULL,
  PRIMARY KEY (version, build)
);

CREATE TABLE ota_release_seed (
  id        boolean PRIMARY KEY DEFAULT true CHECK (id),
  seeded_at timestamptz NOT NULL DEFAULT now()
);

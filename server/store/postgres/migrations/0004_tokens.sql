-- 0004_tokens: admin tokens with roles. Only a SHA-256 of each token is kept (a copy of the
-- database signs in as nobody); revoked tokens stay, so the audit log's actors stay explained.

CREATE TABLE admin_tokens (
  name       text PRIMARY KEY,
  role       text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  hash       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  revoked_at timestamptz,
  revoked_by text
);

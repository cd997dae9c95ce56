-- 004_leases.sql: named leases, so that scheduled work runs on one node at a
-- time (see jobs/leader.c). A lease is held until expires_at unless renewed.
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

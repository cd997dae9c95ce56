-- 004_leases.sql: named leases, so that scheduled work runs on one node at a
-- time (see jobs/leader.c), and the numbering of live events shared by every
-- node (see store/pg_events.c).
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE SEQUENCE cluetrain_event_seq;

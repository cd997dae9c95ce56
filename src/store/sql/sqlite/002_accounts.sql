-- 002_accounts.sql: accounts, sessions, second factor, audit log (SQLite).

ALTER TABLE users ADD COLUMN totp_secret TEXT;     -- sealed with the installation's key
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0; -- no code twice
ALTER TABLE users ADD COLUMN updated_at INTEGER;

ALTER TABLE api_tokens ADD COLUMN channel_id INTEGER REFERENCES channels(id);
ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER;

-- When a contact's data was erased on request (GDPR Art. 17); the row stays
-- so that the audit log's references remain meaningful.
ALTER TABLE contacts ADD COLUMN erased_at INTEGER;

-- Secrets of a channel (API keys, passwords), sealed with the installation's
-- key, which lives in a file outside the database.
ALTER TABLE channels ADD COLUMN secrets TEXT;

-- Browser sessions. Only a hash of the session id is stored.
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  second_factor_ok INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ip TEXT,
  user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE recovery_codes (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

-- Failed logins per account and per address, for lockouts that expire.
CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  locked_until INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE password_resets (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);

-- Every state change and every login: who, when, what, before and after.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  actor_user_id INTEGER,
  actor_token_id INTEGER,
  action TEXT NOT NULL,
  object_type TEXT,
  object_id INTEGER,
  before TEXT,
  after TEXT,
  ip TEXT
);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id, id);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;

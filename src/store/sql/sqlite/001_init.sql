-- 001_init.sql: the inbox core schema (SQLite).
-- Times are integer milliseconds since the Unix epoch (UTC).

CREATE TABLE channels (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL UNIQUE,
  config TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);

CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  name TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One person, several identities: a channel and the platform's id for them.
CREATE TABLE identities (
  id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  external_id TEXT NOT NULL,
  handle TEXT,
  name TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (channel_id, external_id)
);
CREATE INDEX identities_contact ON identities(contact_id);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent', 'viewer')),
  locale TEXT NOT NULL DEFAULT 'de',
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);

CREATE TABLE teams (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE team_members (
  team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, user_id)
);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent', 'viewer')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);

CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  thread_key TEXT,
  subject TEXT,
  status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
  priority TEXT NOT NULL DEFAULT 'normal'
    CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  language TEXT,
  assignee_id INTEGER REFERENCES users(id),
  team_id INTEGER REFERENCES teams(id),
  snippet TEXT NOT NULL DEFAULT '',
  message_count INTEGER NOT NULL DEFAULT 0,
  last_activity_at INTEGER NOT NULL,
  first_response_at INTEGER,
  resolved_at INTEGER,
  snoozed_until INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX conversations_activity ON conversations(last_activity_at DESC, id DESC);
CREATE INDEX conversations_status ON conversations(status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations(assignee_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_team ON conversations(team_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_channel ON conversations(channel_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_contact ON conversations(contact_id, channel_id, last_activity_at DESC);
CREATE UNIQUE INDEX conversations_thread ON conversations(channel_id, thread_key)
  WHERE thread_key IS NOT NULL;

CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE conversation_tags (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX conversation_tags_tag ON conversation_tags(tag_id, conversation_id);

-- Message ids rise with the time they were received: search orders by id.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id),
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')),
  external_id TEXT,
  in_reply_to TEXT,
  identity_id INTEGER REFERENCES identities(id),
  author_user_id INTEGER REFERENCES users(id),
  author_name TEXT,
  text TEXT NOT NULL,
  attachments TEXT,
  meta TEXT,
  created_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  delivery_state TEXT CHECK (delivery_state IN ('queued', 'sent', 'failed')),
  delivery_error TEXT,
  idempotency_key TEXT UNIQUE
);
CREATE UNIQUE INDEX messages_external ON messages(channel_id, external_id);
CREATE INDEX messages_conversation ON messages(conversation_id, id);

-- German-stemmed full-text index over message text (tokenizer in fts_stem.c).
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, content = 'messages', content_rowid = 'id', tokenize = 'cluetrain_de'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;

-- The durable outbox: every side effect outside the process is a job first.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  locked_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs(state, run_at);

-- 006_concept.sql: the dialog concept and what triage records (SQLite).
-- The same tables and columns as sql/postgres/006_concept.sql.

-- Every version of the concept ever checked in, with its YAML as written.
CREATE TABLE concept_versions (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  source TEXT NOT NULL,
  checksum TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  activated_at INTEGER
);
-- The live version: one row at most.
CREATE TABLE concept_active (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version_id INTEGER NOT NULL REFERENCES concept_versions(id),
  activated_at INTEGER NOT NULL,
  activated_by TEXT NOT NULL
);

-- What triage found in an incoming message, and why ("why": JSON).
ALTER TABLE messages ADD COLUMN language TEXT;
ALTER TABLE messages ADD COLUMN intent TEXT;
-- sentiment in thousandths, -1000 .. 1000: an integer reads the same on
-- both backends (a float's text does not), so migrate-data compares alike.
ALTER TABLE messages ADD COLUMN sentiment INTEGER;
ALTER TABLE messages ADD COLUMN triage TEXT;

-- The conversation's triage state and its response-time clock.
ALTER TABLE conversations ADD COLUMN intent TEXT;
ALTER TABLE conversations ADD COLUMN action TEXT;
ALTER TABLE conversations ADD COLUMN triage TEXT;
ALTER TABLE conversations ADD COLUMN language_unowned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_policy TEXT;
ALTER TABLE conversations ADD COLUMN waiting_since INTEGER;
ALTER TABLE conversations ADD COLUMN first_response_due_at INTEGER;
ALTER TABLE conversations ADD COLUMN next_response_due_at INTEGER;
ALTER TABLE conversations ADD COLUMN resolution_due_at INTEGER;
ALTER TABLE conversations ADD COLUMN next_response_at INTEGER;
CREATE INDEX conversations_first_due ON conversations(first_response_due_at)
  WHERE first_response_due_at IS NOT NULL AND first_response_at IS NULL;
CREATE INDEX conversations_next_due ON conversations(next_response_due_at)
  WHERE next_response_due_at IS NOT NULL;
CREATE INDEX conversations_resolution_due ON conversations(resolution_due_at)
  WHERE resolution_due_at IS NOT NULL AND resolved_at IS NULL;
CREATE INDEX conversations_assignee_status ON conversations(assignee_id, status);

-- "due soon" and "breached", raised once per conversation, target and due time.
CREATE TABLE sla_events (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  target TEXT NOT NULL CHECK (target IN ('first_response', 'next_response', 'resolution')),
  kind TEXT NOT NULL CHECK (kind IN ('due_soon', 'breached')),
  due_at INTEGER NOT NULL,
  raised_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, target, kind, due_at)
);

-- Contact attributes for the concept's rules (JSON object of strings).
ALTER TABLE contacts ADD COLUMN attributes TEXT;

-- Routing: who is away, when each agent works (JSON: {"mon": ["08:00-16:00"], ...};
-- NULL: the office hours), how many open conversations they take (NULL: the team's).
ALTER TABLE users ADD COLUMN away INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN working_hours TEXT;
ALTER TABLE users ADD COLUMN capacity INTEGER;
-- Round robin: the member who got the team's last conversation.
ALTER TABLE teams ADD COLUMN last_assigned_user_id INTEGER;

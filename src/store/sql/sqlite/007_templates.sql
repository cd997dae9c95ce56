-- 007_templates.sql: approved wording (Sprachregelungen) and the replies
-- held for approval (SQLite). The same tables and columns as
-- sql/postgres/007_templates.sql.

-- A reply template. status is where its newest version stands in the
-- workflow (draft -> in_review -> approved) or 'retired'. approved_version
-- is the version agents may use while the newest one is being revised; it
-- may be used until review_due_at plus the grace period.
CREATE TABLE templates (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'in_review', 'approved', 'retired')),
  current_version INTEGER NOT NULL DEFAULT 1,
  approved_version INTEGER,
  review_interval_days INTEGER NOT NULL DEFAULT 180 CHECK (review_interval_days > 0),
  approved_at INTEGER,
  approved_by TEXT,
  review_due_at INTEGER,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX templates_review_due ON templates(review_due_at) WHERE review_due_at IS NOT NULL;

-- Every version ever written, never changed once approved. intents is a
-- JSON array of intent names; variants a JSON array of
-- {"language", "channel", "text"} ("channel": a channel kind or "any").
CREATE TABLE template_versions (
  template_id INTEGER NOT NULL REFERENCES templates(id),
  number INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'draft'
    CHECK (state IN ('draft', 'in_review', 'approved', 'superseded', 'returned')),
  intents TEXT NOT NULL,
  variants TEXT NOT NULL,
  review_interval_days INTEGER NOT NULL DEFAULT 180,
  note TEXT,
  author_user_id INTEGER REFERENCES users(id),
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  submitted_by TEXT,
  submitted_at INTEGER,
  approver_user_id INTEGER REFERENCES users(id),
  approved_by TEXT,
  approved_at INTEGER,
  review_comment TEXT,
  PRIMARY KEY (template_id, number)
);

-- Which template a reply came from, and whether the agent changed its text
-- (1) or sent it as approved (0); NULL when no template was used.
ALTER TABLE messages ADD COLUMN template_id INTEGER REFERENCES templates(id);
ALTER TABLE messages ADD COLUMN template_version INTEGER;
ALTER TABLE messages ADD COLUMN template_deviation INTEGER;
CREATE INDEX messages_template ON messages(template_id, created_at) WHERE template_id IS NOT NULL;

-- Strict wording: a reply that must be approved before the customer sees it.
-- It becomes a message (message_id) only when a supervisor approves it.
CREATE TABLE held_replies (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
  intent TEXT,
  text TEXT NOT NULL,
  template_id INTEGER REFERENCES templates(id),
  template_version INTEGER,
  template_deviation INTEGER,
  author_user_id INTEGER REFERENCES users(id),
  author_name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  decided_by TEXT,
  decider_user_id INTEGER REFERENCES users(id),
  decided_at INTEGER,
  edited INTEGER NOT NULL DEFAULT 0,
  reason TEXT,
  message_id INTEGER REFERENCES messages(id),
  idempotency_key TEXT UNIQUE
);
CREATE INDEX held_replies_pending ON held_replies(state, created_at);
CREATE INDEX held_replies_conversation ON held_replies(conversation_id, id);

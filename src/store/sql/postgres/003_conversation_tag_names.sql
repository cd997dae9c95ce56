-- 003_conversation_tag_names.sql: a conversation's tag names, sorted and
-- comma-separated, kept on its row (see sql/sqlite/003_conversation_tag_names.sql).
ALTER TABLE conversations ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';
UPDATE conversations SET tag_names = coalesce((SELECT string_agg(t.name, ',' ORDER BY t.name)
  FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id
  WHERE ct.conversation_id = conversations.id), '');

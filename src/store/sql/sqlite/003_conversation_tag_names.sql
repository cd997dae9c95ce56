-- 003_conversation_tag_names.sql: a conversation's tag names, sorted and
-- comma-separated, kept on its row so that listing a page of conversations
-- needs no query per row. conversation_tags stays the source for filtering;
-- inbox/update.c writes both in the same transaction.
ALTER TABLE conversations ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';
UPDATE conversations SET tag_names = coalesce((SELECT group_concat(name, ',') FROM
  (SELECT t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id
   WHERE ct.conversation_id = conversations.id ORDER BY t.name)), '');

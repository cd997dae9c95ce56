-- 005_fts_fold.sql: the tokenizer (fts_stem.c) now drops accents and splits
-- words as the PostgreSQL backend does: index every message again with it.
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');

-- 005_fts_fold.sql: full-text search splits text into words as the SQLite
-- tokenizer (store/fts_stem.c) does, so that both backends give the same
-- answers (tests/integration/test_search_parity.py): compatibility
-- decomposition ("²" is "2"), accents and variation selectors dropped, and
-- punctuation and symbols separate words. PostgreSQL's own parser would keep
-- addresses, dates, decimal numbers and "u.a." whole and drop HTML entities.
-- The separators are listed by code point rather than as [^[:alnum:]],
-- whose meaning depends on the database's locale (ASCII only under "C").
-- Then unaccent and the German stemmer, as before.
CREATE FUNCTION cluetrain_fts_text(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(
           normalize(regexp_replace(normalize(t, NFKD),
             '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f\U000e0100-\U000e01ef]+',
             '', 'g'), NFC),
           '[\u0001-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u00bf\u00d7\u00f7\u2000-\u2bff\u2e00-\u2e7f\u3000-\u303f\ufe10-\ufe1f\ufe30-\ufe6f\ufff0-\uffff\U0001f000-\U0001faff]+',
           ' ', 'g');
CREATE OR REPLACE FUNCTION cluetrain_query(words text) RETURNS tsquery
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN (SELECT cluetrain_tsquery_and(phraseto_tsquery('cluetrain_de', cluetrain_fts_text(w)))
          FROM unnest(string_to_array(words, E'\n')) AS w);
DROP INDEX messages_tsv;
ALTER TABLE messages DROP COLUMN tsv;
ALTER TABLE messages ADD COLUMN tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('cluetrain_de'::regconfig, cluetrain_fts_text(text))) STORED;
CREATE INDEX messages_tsv ON messages USING gin (tsv);

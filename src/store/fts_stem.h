/*
 * fts_stem.h: the "cluetrain_de" FTS5 tokenizer (internal to store/).
 *
 * Splits text into words (Unicode letters and digits; punctuation and
 * symbols separate), lower-cases them, drops accents after compatibility
 * decomposition ("Café" is "cafe", "²" is "2") and reduces each word to its
 * German Snowball stem, so "Zähler" and "zähler" match, and "Stromausfälle"
 * finds "Stromausfall". The PostgreSQL backend splits text the same way
 * (cluetrain_fts_text in sql/postgres/005_fts_fold.sql). Byte offsets refer to the original text,
 * so highlight() and snippet() work.
 */
#ifndef CT_FTS_STEM_H
#define CT_FTS_STEM_H

#include <sqlite3.h>

/* Register the tokenizer on db. SQLITE_OK or an SQLite error code. */
int fts_stem_register(sqlite3 *db);

/*
 * Tokenize text the way the index does and call fn(ctx, stem, len) per word.
 * Used by tests and by the query builder to tell whether a word is
 * searchable. Returns the number of words.
 */
int fts_stem_words(const char *text, int len, void (*fn)(void *ctx, const char *w, int n),
		   void *ctx);

/*
 * As fts_stem_words, and fn also gets the word's byte range [start, end) in
 * text (the original bytes, before folding: what a highlighter marks). The
 * stem w (n bytes) is valid only during the call. Used by store_text_hits.
 * Returns the number of words.
 */
int fts_stem_spans(const char *text, int len,
		   void (*fn)(void *ctx, const char *w, int n, int start, int end), void *ctx);

#endif

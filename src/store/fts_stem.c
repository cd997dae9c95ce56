/*
 * fts_stem.c: the German stemming tokenizer for FTS5 (see fts_stem.h).
 *
 * One tokenizer instance holds one Snowball stemmer, which is not
 * thread-safe; SQLite creates an instance per table per connection and a
 * connection is used by one thread at a time, so no locking is needed.
 */
#include "store/fts_stem.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/buf.h"

#define WORD_MAX 256 /* bytes of one word; the rest of a longer word is dropped */

typedef struct stem_tokenizer {
	struct sb_stemmer *stemmer;
} stem_tokenizer;

typedef int (*token_fn)(void *ctx, int flags, const char *tok, int n, int start, int end);

static int is_word_char(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: return 1;
	default: return 0;
	}
}

/* Stem one lower-cased word and hand it to emit. */
static int emit_word(struct sb_stemmer *stemmer, unsigned char *word, int len, int has_mark,
		     token_fn emit, void *ctx, int start, int end)
{
	unsigned char *composed = NULL;
	if (has_mark) {
		composed = utf8proc_NFC(word);
		if (composed) {
			word = composed;
			len = (int)strlen((char *)composed);
		}
	}
	const sb_symbol *stem = sb_stemmer_stem(stemmer, word, len);
	int rc = stem ? emit(ctx, 0, (const char *)stem, sb_stemmer_length(stemmer), start, end)
		      : emit(ctx, 0, (const char *)word, len, start, end);
	free(composed);
	return rc;
}

/* Walk text, collecting words and emitting their stems. */
static int tokenize_with(struct sb_stemmer *stemmer, const char *text, int n, token_fn emit,
			 void *ctx)
{
	unsigned char word[WORD_MAX + 8];
	int wlen = 0, start = -1, has_mark = 0, rc = 0;
	int i = 0;
	while (i <= n && rc == 0) {
		utf8proc_int32_t cp = -1;
		utf8proc_ssize_t step = 1;
		if (i < n) {
			step = utf8proc_iterate((const utf8proc_uint8_t *)text + i, n - i, &cp);
			if (step < 1)
				step = 1, cp = -1;
		}
		if (i < n && cp >= 0 && is_word_char(cp)) {
			if (start < 0)
				start = i;
			utf8proc_int32_t lower = utf8proc_tolower(cp);
			if (utf8proc_category(cp) == UTF8PROC_CATEGORY_MN)
				has_mark = 1;
			if (wlen <= WORD_MAX - 4)
				wlen += (int)utf8proc_encode_char(lower, word + wlen);
		} else if (start >= 0) {
			word[wlen] = '\0';
			rc = emit_word(stemmer, word, wlen, has_mark, emit, ctx, start, i);
			wlen = 0, start = -1, has_mark = 0;
		}
		i += (int)step;
	}
	return rc;
}

static int stem_create(void *unused, const char **args, int nargs, Fts5Tokenizer **out)
{
	(void)unused, (void)args, (void)nargs;
	stem_tokenizer *t = xcalloc(1, sizeof(*t));
	t->stemmer = sb_stemmer_new("german", "UTF_8");
	if (!t->stemmer) {
		free(t);
		return SQLITE_ERROR;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void stem_delete(Fts5Tokenizer *tok)
{
	stem_tokenizer *t = (stem_tokenizer *)tok;
	sb_stemmer_delete(t->stemmer);
	free(t);
}

static int stem_tokenize(Fts5Tokenizer *tok, void *ctx, int flags, const char *text, int n,
			 token_fn emit)
{
	(void)flags;
	stem_tokenizer *t = (stem_tokenizer *)tok;
	return tokenize_with(t->stemmer, text, n, emit, ctx);
}

static fts5_api *fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return api;
}

int fts_stem_register(sqlite3 *db)
{
	fts5_api *api = fts5_api_of(db);
	if (!api)
		return SQLITE_ERROR;
	fts5_tokenizer tokenizer = {stem_create, stem_delete, stem_tokenize};
	return api->xCreateTokenizer(api, "cluetrain_de", NULL, &tokenizer, NULL);
}

typedef struct word_cb {
	void (*fn)(void *ctx, const char *w, int n);
	void *ctx;
	int count;
} word_cb;

static int collect_word(void *ctx, int flags, const char *tok, int n, int start, int end)
{
	(void)flags, (void)start, (void)end;
	word_cb *cb = ctx;
	cb->count++;
	if (cb->fn)
		cb->fn(cb->ctx, tok, n);
	return 0;
}

int fts_stem_words(const char *text, int len, void (*fn)(void *ctx, const char *w, int n),
		   void *ctx)
{
	struct sb_stemmer *stemmer = sb_stemmer_new("german", "UTF_8");
	if (!stemmer)
		abort();
	word_cb cb = {fn, ctx, 0};
	tokenize_with(stemmer, text, len, collect_word, &cb);
	sb_stemmer_delete(stemmer);
	return cb.count;
}

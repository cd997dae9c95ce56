/*
 * fts_stem.c: the German stemming tokenizer for FTS5 (see fts_stem.h).
 *
 * The words are those of the PostgreSQL backend's cluetrain_fts_text(), so
 * that both backends answer a search alike (tests/integration/
 * test_search_parity.py): accents dropped after decomposition, and any run
 * of characters that are neither letters nor digits separates words.
 *
 * One tokenizer instance holds one Snowball stemmer, which is not
 * thread-safe; SQLite creates an instance per table per connection and a
 * connection is used by one thread at a time, so no locking is needed.
 *
 * The same walk finds the words of a text that a search matched, for
 * highlighting (store_text_hits): those whose stem is one of the query's.
 */
#include "store/fts_stem.h"

#include <libstemmer.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/buf.h"
#include "core/wordchar.h"
#include "store/store.h"

#define WORD_MAX 256 /* bytes of one word; the rest of a longer word is dropped */

typedef struct stem_tokenizer {
	struct sb_stemmer *stemmer;
} stem_tokenizer;

typedef int (*token_fn)(void *ctx, int flags, const char *tok, int n, int start, int end);

/*
 * Code points dropped from words: combining diacritical marks (accents,
 * umlaut dots: after decomposition "é" is "e" and one of these) and
 * variation selectors (which make "❤" into "❤️"). The PostgreSQL backend
 * removes the same ranges (sql/postgres), so both index the same words.
 */
static int is_dropped(utf8proc_int32_t cp)
{
	return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
	       (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x20d0 && cp <= 0x20ff) ||
	       (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xfe20 && cp <= 0xfe2f) ||
	       (cp >= 0xe0100 && cp <= 0xe01ef);
}

/* The word rule (core/wordchar.h), shared with triage's keywords. */
enum { SEPARATOR = WORDCHAR_SEPARATOR, LETTER = WORDCHAR_LETTER, MARK = WORDCHAR_MARK };

/* Stem one lower-cased word and hand it to emit. */
static int emit_word(struct sb_stemmer *stemmer, unsigned char *word, int len, int compose,
		     token_fn emit, void *ctx, int start, int end)
{
	unsigned char *composed = NULL;
	if (compose) {
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

/* The word being collected: lower-cased, decomposed, accents dropped. */
typedef struct word_state {
	unsigned char text[WORD_MAX + 8];
	int len;
	int start, end; /* byte offsets in the text; start < 0: no word */
	int compose;    /* holds something NFC may combine with what precedes it */
} word_state;

static void add_char(word_state *w, utf8proc_int32_t cp, int cls, int start, int end)
{
	if (w->start < 0)
		w->start = start;
	w->end = end;
	if (cls == MARK || (cp >= 0x1100 && cp <= 0x11ff)) /* a mark, a Hangul jamo */
		w->compose = 1;
	if (w->len <= WORD_MAX - 4)
		w->len += (int)utf8proc_encode_char(utf8proc_tolower(cp), w->text + w->len);
}

static int end_word(struct sb_stemmer *stemmer, word_state *w, token_fn emit, void *ctx)
{
	if (w->start < 0)
		return 0;
	w->text[w->len] = '\0';
	int rc = emit_word(stemmer, w->text, w->len, w->compose, emit, ctx, w->start, w->end);
	w->len = 0, w->start = -1, w->compose = 0;
	return rc;
}

/*
 * Walk text, collecting words and emitting their stems. Each character is
 * first decomposed (canonically and by compatibility: "²" is "2", "ﬁ" is
 * "fi"), so that accents can be dropped; a word is composed again (NFC)
 * before it is stemmed. The German stemmer removes umlauts itself, so
 * "Zähler" and "Zahler" have the same stem either way.
 */
static int tokenize_with(struct sb_stemmer *stemmer, const char *text, int n, token_fn emit,
			 void *ctx)
{
	word_state w = {.start = -1};
	int i = 0, rc = 0;
	while (i < n && rc == 0) {
		utf8proc_int32_t cp = -1;
		utf8proc_ssize_t step =
			utf8proc_iterate((const utf8proc_uint8_t *)text + i, n - i, &cp);
		if (step < 1)
			step = 1, cp = -1;
		utf8proc_int32_t parts[32];
		utf8proc_ssize_t n_parts = 0;
		if (cp >= 0) {
			n_parts = utf8proc_decompose_char(
				cp, parts, 32, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, NULL);
			if (n_parts < 1 || n_parts > 32)
				parts[0] = cp, n_parts = 1;
		}
		if (n_parts == 0) /* invalid UTF-8 separates words */
			rc = end_word(stemmer, &w, emit, ctx);
		for (utf8proc_ssize_t k = 0; k < n_parts && rc == 0; k++) {
			if (is_dropped(parts[k]))
				continue;
			int cls = (int)wordchar_class_of(parts[k]);
			if (cls == LETTER || (cls == MARK && w.start >= 0))
				add_char(&w, parts[k], cls, i, i + (int)step);
			else
				rc = end_word(stemmer, &w, emit, ctx);
		}
		i += (int)step;
	}
	if (rc == 0)
		rc = end_word(stemmer, &w, emit, ctx);
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

typedef struct span_cb {
	void (*fn)(void *ctx, const char *w, int n, int start, int end);
	void *ctx;
	int count;
} span_cb;

/* tokenize_with's callback for fts_stem_spans: count and pass on. */
static int collect_span(void *ctx, int flags, const char *tok, int n, int start, int end)
{
	(void)flags;
	span_cb *cb = ctx;
	cb->count++;
	if (cb->fn)
		cb->fn(cb->ctx, tok, n, start, end);
	return 0;
}

int fts_stem_spans(const char *text, int len,
		   void (*fn)(void *ctx, const char *w, int n, int start, int end), void *ctx)
{
	/* A stemmer per call: Snowball stemmers are not thread-safe. */
	struct sb_stemmer *stemmer = sb_stemmer_new("german", "UTF_8");
	if (!stemmer)
		abort();
	span_cb cb = {fn, ctx, 0};
	tokenize_with(stemmer, text, len, collect_span, &cb);
	sb_stemmer_delete(stemmer);
	return cb.count;
}

typedef struct word_cb {
	void (*fn)(void *ctx, const char *w, int n);
	void *ctx;
} word_cb;

/* fts_stem_spans's callback for fts_stem_words: the word without its range. */
static void collect_word(void *ctx, const char *w, int n, int start, int end)
{
	(void)start, (void)end;
	word_cb *cb = ctx;
	if (cb->fn)
		cb->fn(cb->ctx, w, n);
}

int fts_stem_words(const char *text, int len, void (*fn)(void *ctx, const char *w, int n),
		   void *ctx)
{
	word_cb cb = {fn, ctx};
	return fts_stem_spans(text, len, collect_word, &cb);
}

/* ---- Search hits (store_text_hits, declared in store.h) ---------------- */

#define HIT_STEMS_MAX 32 /* distinct words of a query that are highlighted */

/* The distinct stems of a query's words. */
typedef struct query_stems {
	int n;
	int len[HIT_STEMS_MAX];
	char stem[HIT_STEMS_MAX][WORD_MAX + 16];
} query_stems;

/* 1 when the n bytes at w are one of q's stems. */
static int is_query_stem(const query_stems *q, const char *w, int n)
{
	for (int i = 0; i < q->n; i++)
		if (q->len[i] == n && memcmp(q->stem[i], w, (size_t)n) == 0)
			return 1;
	return 0;
}

/* fts_stem_spans's callback over the query: keep each new stem. */
static void add_query_stem(void *ctx, const char *w, int n, int start, int end)
{
	(void)start, (void)end;
	query_stems *q = ctx;
	if (n <= 0 || (size_t)n > sizeof(q->stem[0]) || q->n >= HIT_STEMS_MAX ||
	    is_query_stem(q, w, n))
		return;
	memcpy(q->stem[q->n], w, (size_t)n);
	q->len[q->n++] = n;
}

typedef struct hit_list {
	const query_stems *query;
	size_t *starts, *ends;
	size_t max, n;
} hit_list;

/* fts_stem_spans's callback over the text: record words with a query stem. */
static void add_hit(void *ctx, const char *w, int n, int start, int end)
{
	hit_list *h = ctx;
	if (h->n >= h->max || !is_query_stem(h->query, w, n))
		return;
	h->starts[h->n] = (size_t)start;
	h->ends[h->n++] = (size_t)end;
}

/* The length of s as fts_stem_spans takes it (longer texts are cut). */
static int text_len(const char *s)
{
	size_t len = strlen(s);
	return len > INT_MAX ? INT_MAX : (int)len;
}

size_t store_text_hits(const char *query, const char *text, size_t *starts, size_t *ends,
		       size_t max)
{
	if (!query || !text || !max)
		return 0;
	query_stems *q = xcalloc(1, sizeof(*q));
	fts_stem_spans(query, text_len(query), add_query_stem, q);
	hit_list h = {q, starts, ends, max, 0};
	if (q->n)
		fts_stem_spans(text, text_len(text), add_hit, &h);
	free(q);
	return h.n;
}

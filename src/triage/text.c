/*
 * text.c: the text analyzer of triage (see text.h): normalisation, words,
 * stems, and the analysis that ties them to language detection
 * (language.c), sentiment (sentiment.c) and the concept matchers
 * (intents.c).
 *
 * Normalisation is NFKC with Unicode case folding, done code point by code
 * point with utf8proc so that invalid UTF-8 can be replaced (U+FFFD) rather
 * than refused, and without allocating: ASCII runs are lower-cased in
 * place, everything else is decomposed (compatibility, case-folded, default
 * ignorables such as soft hyphens dropped) into a small buffer, put in
 * canonical order and composed again. Accents and umlauts stay ("Störung"
 * -> "störung"), and so does "ß" (full case folding would make it "ss", so
 * that a concept pattern written with "ß" could never match; "ẞ" becomes
 * "ß").
 *
 * Words are split as in store/fts_stem.c (the search tokenizer): runs of
 * letters and digits, marks continuing a word; everything else separates.
 * Unlike the search, accents are kept: rules see the text as written.
 *
 * The hot path (text_analyze) reuses the buffers of the analysis and of the
 * analyzer, so a message costs no allocation once they have grown; stems
 * come from a small per-language cache in front of libstemmer.
 */
#include "triage/text.h"
#include "core/wordchar.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "triage/text_impl.h"

/* ---- Hashing and the dictionary ------------------------------------------ */

uint32_t text_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h ? h : 1;
}

void text_dict_init(text_dict *d)
{
	memset(d, 0, sizeof(*d));
	buf_init(&d->keys, 0);
}

void text_dict_free(text_dict *d)
{
	free(d->hashes);
	free(d->offs);
	free(d->vals);
	buf_free(&d->keys);
	memset(d, 0, sizeof(*d));
}

/* The slot of key in d (whose key matches, or the empty one to fill). */
static size_t dict_find(const text_dict *d, const char *key, size_t n, uint32_t h)
{
	size_t mask = d->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		if (d->hashes[i] == 0)
			return i;
		if (d->hashes[i] == h) {
			const char *k = d->keys.data + d->offs[i];
			if (strncmp(k, key, n) == 0 && k[n] == '\0')
				return i;
		}
	}
}

/* Double d's table (or make the first one). */
static void dict_grow(text_dict *d)
{
	text_dict old = *d;
	d->cap = old.cap ? old.cap * 2 : 64;
	d->hashes = xcalloc(d->cap, sizeof(*d->hashes));
	d->offs = xcalloc(d->cap, sizeof(*d->offs));
	d->vals = xcalloc(d->cap, sizeof(*d->vals));
	for (size_t i = 0; i < old.cap; i++) {
		if (!old.hashes[i])
			continue;
		const char *k = old.keys.data + old.offs[i];
		size_t j = dict_find(d, k, strlen(k), old.hashes[i]);
		d->hashes[j] = old.hashes[i];
		d->offs[j] = old.offs[i];
		d->vals[j] = old.vals[i];
	}
	free(old.hashes);
	free(old.offs);
	free(old.vals);
}

int32_t *text_dict_slot(text_dict *d, const char *key, size_t n)
{
	if ((d->n + 1) * 2 > d->cap)
		dict_grow(d);
	uint32_t h = text_hash(key, n);
	size_t i = dict_find(d, key, n, h);
	if (d->hashes[i] == 0) {
		size_t off = d->keys.len;
		if (buf_append(&d->keys, key, n) || buf_append(&d->keys, "", 1))
			abort(); /* only built from static tables: cannot reach 64 MiB */
		d->hashes[i] = h;
		d->offs[i] = (uint32_t)off;
		d->vals[i] = 0;
		d->n++;
	}
	return &d->vals[i];
}

int text_dict_get(const text_dict *d, const char *key, size_t n, uint32_t h, int32_t *val)
{
	if (!d->cap)
		return 0;
	size_t i = dict_find(d, key, n, h);
	if (d->hashes[i] == 0)
		return 0;
	*val = d->vals[i];
	return 1;
}

/* ---- Normalisation ---------------------------------------------------------- */

#define PENDING_MAX 512 /* code points decomposed and not yet composed */
#define PART_MAX 32     /* the longest decomposition of one code point is 18 */

typedef struct norm_state {
	utf8proc_int32_t cps[PENDING_MAX + PART_MAX];
	size_t n;
	buf *out;
} norm_state;

/* The canonical combining class of cp (0: a starter). */
static int combining_class(utf8proc_int32_t cp)
{
	return utf8proc_get_property(cp)->combining_class;
}

/* Compose and append cps[0..n): canonical order (a stable sort of each run
 * of marks by combining class), composition, UTF-8. */
static ct_err compose_out(norm_state *st, size_t n)
{
	utf8proc_int32_t *c = st->cps;
	for (size_t i = 1; i < n; i++) {
		int cc = combining_class(c[i]);
		if (cc == 0)
			continue;
		for (size_t j = i; j > 0; j--) {
			int prev = combining_class(c[j - 1]);
			if (prev <= cc)
				break;
			utf8proc_int32_t t = c[j - 1];
			c[j - 1] = c[j];
			c[j] = t;
		}
	}
	utf8proc_ssize_t m = utf8proc_normalize_utf32(c, (utf8proc_ssize_t)n,
						      UTF8PROC_COMPOSE | UTF8PROC_STABLE);
	if (m < 0)
		m = (utf8proc_ssize_t)n;
	utf8proc_uint8_t bytes[4 * (PENDING_MAX + PART_MAX)];
	size_t len = 0;
	for (utf8proc_ssize_t i = 0; i < m; i++)
		len += (size_t)utf8proc_encode_char(c[i], bytes + len);
	return buf_append(st->out, bytes, len);
}

/* Append everything pending. */
static ct_err flush(norm_state *st)
{
	ct_err err = CT_OK;
	if (st->n)
		err = compose_out(st, st->n);
	st->n = 0;
	return err;
}

/* The buffer is full (a very long run without ASCII): append up to the
 * last starter that begins a character, keep the rest. */
static ct_err flush_some(norm_state *st)
{
	size_t keep = st->n;
	while (keep > 0) {
		utf8proc_int32_t cp = st->cps[keep - 1];
		keep--;
		if (combining_class(cp) == 0 && !(cp >= 0x1160 && cp <= 0x11ff))
			break;
	}
	if (keep == 0)
		return flush(st);
	ct_err err = compose_out(st, keep);
	memmove(st->cps, st->cps + keep, (st->n - keep) * sizeof(st->cps[0]));
	st->n -= keep;
	return err;
}

/* Decompose one code point (case-folded) onto the pending ones. */
static ct_err push_cp(norm_state *st, utf8proc_int32_t cp)
{
	utf8proc_int32_t parts[PART_MAX];
	utf8proc_ssize_t k;
	if (cp == 0xdf || cp == 0x1e9e) { /* ß, ẞ: kept, see the top of the file */
		parts[0] = 0xdf;
		k = 1;
	} else if (cp == 0) {
		parts[0] = ' ';
		k = 1;
	} else {
		k = utf8proc_decompose_char(cp, parts, PART_MAX,
					    UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
						    UTF8PROC_CASEFOLD | UTF8PROC_IGNORE,
					    NULL);
		if (k < 0 || k > PART_MAX) {
			parts[0] = 0xfffd;
			k = 1;
		}
	}
	ct_err err = CT_OK;
	if (st->n + (size_t)k > PENDING_MAX)
		err = flush_some(st);
	if (st->n + (size_t)k > PENDING_MAX + PART_MAX) /* only marks pending */
		err = err ? err : flush(st);
	memcpy(st->cps + st->n, parts, (size_t)k * sizeof(parts[0]));
	st->n += (size_t)k;
	return err;
}

/* Normalise s into out (appended). The hot path: no allocation but out's. */
static ct_err normalise(const char *s, size_t len, buf *out)
{
	norm_state state; /* not initialised beyond this: 2 KiB */
	norm_state *st = &state;
	st->n = 0;
	st->out = out;
	const unsigned char *u = (const unsigned char *)s;
	ct_err err = CT_OK;
	size_t i = 0;
	while (i < len && !err) {
		if (u[i] < 0x80) {
			size_t j = i;
			while (j < len && u[j] < 0x80 && u[j] != 0)
				j++;
			if (j == i) { /* a NUL byte */
				err = push_cp(st, 0);
				i++;
				continue;
			}
			/* The run's last character may take marks that follow. */
			size_t end = (j < len && u[j] >= 0x80) ? j - 1 : j;
			err = flush(st);
			if (!err && end > i) {
				size_t at = out->len;
				err = buf_append(out, s + i, end - i);
				for (size_t k = at; !err && k < out->len; k++) {
					unsigned char c = (unsigned char)out->data[k];
					out->data[k] = (char)(c | ((unsigned)(c - 'A') < 26u) << 5);
				}
			}
			if (!err && end < j) {
				utf8proc_int32_t c = u[end];
				err = push_cp(st, c >= 'A' && c <= 'Z' ? c + 32 : c);
			}
			i = j;
			continue;
		}
		utf8proc_int32_t cp = -1;
		utf8proc_ssize_t step = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &cp);
		if (step < 1 || cp < 0) {
			step = 1;
			cp = 0xfffd;
		}
		err = push_cp(st, cp);
		i += (size_t)step;
	}
	if (!err)
		err = flush(st);
	return err;
}

ct_err text_normalise(const char *s, size_t len, buf *out)
{
	size_t before = out->len;
	ct_err err = normalise(s, len, out);
	if (err) { /* leave out as it was */
		out->len = before;
		if (out->data)
			out->data[before] = '\0';
	}
	return err;
}

/* ---- Words ----------------------------------------------------------------- */

/* The word rule of the search index too (core/wordchar.h). */
enum { SEPARATOR = WORDCHAR_SEPARATOR, LETTER = WORDCHAR_LETTER, MARK = WORDCHAR_MARK };

/* The class of an ASCII byte. */
static const unsigned char ascii_class[128] = {
	['0'] = LETTER, ['1'] = LETTER, ['2'] = LETTER, ['3'] = LETTER, ['4'] = LETTER,
	['5'] = LETTER, ['6'] = LETTER, ['7'] = LETTER, ['8'] = LETTER, ['9'] = LETTER,
	['a'] = LETTER, ['b'] = LETTER, ['c'] = LETTER, ['d'] = LETTER, ['e'] = LETTER,
	['f'] = LETTER, ['g'] = LETTER, ['h'] = LETTER, ['i'] = LETTER, ['j'] = LETTER,
	['k'] = LETTER, ['l'] = LETTER, ['m'] = LETTER, ['n'] = LETTER, ['o'] = LETTER,
	['p'] = LETTER, ['q'] = LETTER, ['r'] = LETTER, ['s'] = LETTER, ['t'] = LETTER,
	['u'] = LETTER, ['v'] = LETTER, ['w'] = LETTER, ['x'] = LETTER, ['y'] = LETTER,
	['z'] = LETTER, ['A'] = LETTER, ['B'] = LETTER, ['C'] = LETTER, ['D'] = LETTER,
	['E'] = LETTER, ['F'] = LETTER, ['G'] = LETTER, ['H'] = LETTER, ['I'] = LETTER,
	['J'] = LETTER, ['K'] = LETTER, ['L'] = LETTER, ['M'] = LETTER, ['N'] = LETTER,
	['O'] = LETTER, ['P'] = LETTER, ['Q'] = LETTER, ['R'] = LETTER, ['S'] = LETTER,
	['T'] = LETTER, ['U'] = LETTER, ['V'] = LETTER, ['W'] = LETTER, ['X'] = LETTER,
	['Y'] = LETTER, ['Z'] = LETTER,
};

/* The class of the non-ASCII character at s[i] (its length in *step). */
static int class_at(const unsigned char *s, size_t len, size_t i, size_t *step)
{
	utf8proc_int32_t cp = -1;
	utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
	if (n < 1 || cp < 0) {
		*step = 1;
		return SEPARATOR;
	}
	*step = (size_t)n;
	return (int)wordchar_class_of(cp);
}

int text_next_word(const char *s, size_t len, size_t *pos, size_t *start, size_t *wlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = *pos, step = 1;
	for (;; i += step) { /* to the first letter */
		if (i >= len) {
			*pos = len;
			return 0;
		}
		if (u[i] < 0x80) {
			step = 1;
			if (ascii_class[u[i]] == LETTER)
				break;
		} else if (class_at(u, len, i, &step) == LETTER) {
			break;
		}
	}
	*start = i;
	for (i += step; i < len; i += step) { /* to the first separator */
		if (u[i] < 0x80) {
			step = 1;
			if (ascii_class[u[i]] != LETTER)
				break;
		} else if (class_at(u, len, i, &step) == SEPARATOR) {
			break;
		}
	}
	*wlen = i - *start;
	*pos = i;
	return 1;
}

/* ---- Stems ----------------------------------------------------------------- */

/* 1 when slot holds word (n bytes, hash h). */
static int slot_holds(const stem_slot *slot, const char *word, size_t n, uint32_t h)
{
	return slot->hash == h && slot->word_len == n && memcmp(slot->word, word, n) == 0;
}

ct_err text_lang_stem(text_lang *l, const char *word, size_t n, uint32_t hash, buf *out,
		      size_t *off)
{
	*off = out->len;
	const char *stem = word;
	size_t stem_len = n;
	stem_slot hit;
	if (l->stemmer && n <= TEXT_STEM_MAX) {
		/* Two ways per set, the most recently used first. */
		stem_slot *set = NULL;
		if (l->cache && n <= STEM_CACHE_BYTES) {
			set = &l->cache[(hash & (STEM_CACHE_SLOTS / 2 - 1)) * 2];
			if (slot_holds(&set[0], word, n, hash)) {
				stem = set[0].stem;
				stem_len = set[0].stem_len;
				goto out;
			}
			if (slot_holds(&set[1], word, n, hash)) {
				hit = set[1];
				set[1] = set[0];
				set[0] = hit;
				stem = set[0].stem;
				stem_len = set[0].stem_len;
				goto out;
			}
		}
		l->stems_computed++;
		const sb_symbol *s = sb_stemmer_stem(l->stemmer, (const sb_symbol *)word, (int)n);
		if (s) {
			stem = (const char *)s;
			stem_len = (size_t)sb_stemmer_length(l->stemmer);
		}
		if (set && stem_len <= STEM_CACHE_BYTES) {
			set[1] = set[0];
			set[0].hash = hash;
			set[0].word_len = (uint8_t)n;
			set[0].stem_len = (uint8_t)stem_len;
			memcpy(set[0].word, word, n);
			memcpy(set[0].stem, stem, stem_len);
		}
	}
out:;
	ct_err err = buf_append(out, stem, stem_len);
	return err ? err : buf_append(out, "", 1);
}

/* libstemmer's name for an ISO 639-1 code (it knows the codes too, but
 * through the names the intent is plain). */
static const char *stemmer_name(const char *code)
{
	static const char *const names[][2] = {
		{"ar", "arabic"},     {"ca", "catalan"},    {"da", "danish"},     {"de", "german"},
		{"el", "greek"},      {"en", "english"},    {"es", "spanish"},    {"eu", "basque"},
		{"fi", "finnish"},    {"fr", "french"},     {"ga", "irish"},      {"hi", "hindi"},
		{"hu", "hungarian"},  {"hy", "armenian"},   {"id", "indonesian"}, {"it", "italian"},
		{"lt", "lithuanian"}, {"nb", "norwegian"},  {"ne", "nepali"},     {"nl", "dutch"},
		{"no", "norwegian"},  {"pt", "portuguese"}, {"ro", "romanian"},   {"ru", "russian"},
		{"sr", "serbian"},    {"sv", "swedish"},    {"ta", "tamil"},      {"tr", "turkish"},
		{"yi", "yiddish"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i][0], code) == 0)
			return names[i][1];
	return code;
}

ct_err text_stem(const char *language, const char *word, buf *out)
{
	struct sb_stemmer *st = sb_stemmer_new(stemmer_name(language), "UTF_8");
	size_t n = strlen(word);
	ct_err err;
	if (!st || n > TEXT_STEM_MAX) {
		err = buf_append(out, word, n);
	} else {
		const sb_symbol *s = sb_stemmer_stem(st, (const sb_symbol *)word, (int)n);
		err = s ? buf_append(out, s, (size_t)sb_stemmer_length(st))
			: buf_append(out, word, n);
	}
	if (st)
		sb_stemmer_delete(st);
	return err;
}

/* ---- The analyzer ------------------------------------------------------------- */

/* Set up langs[i] for code: stemmer, cache, sentiment lexicon. */
static ct_err lang_init(text_lang *l, const char *code)
{
	memset(l, 0, sizeof(*l));
	size_t n = strlen(code);
	if (n == 0 || n >= sizeof(l->code))
		return CT_ERR_INVALID;
	memcpy(l->code, code, n + 1);
	l->stemmer = sb_stemmer_new(stemmer_name(code), "UTF_8");
	if (l->stemmer)
		l->cache = xcalloc(STEM_CACHE_SLOTS, sizeof(stem_slot));
	text_dict_init(&l->sentiment);
	text_dict_init(&l->sentiment_exact);
	l->lexicon = sentiment_lexicon_for(code);
	return l->lexicon ? sentiment_init(l) : CT_OK;
}

/* Release what lang_init set up (l itself belongs to the analyzer). */
static void lang_free(text_lang *l)
{
	if (l->stemmer)
		sb_stemmer_delete(l->stemmer);
	free(l->cache);
	text_dict_free(&l->sentiment);
	text_dict_free(&l->sentiment_exact);
}

/* 1 when code looks like an ISO 639 code: two or three lower-case letters. */
static int valid_code(const char *code)
{
	size_t n = code ? strlen(code) : 0;
	if (n < 2 || n > 3)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (code[i] < 'a' || code[i] > 'z')
			return 0;
	return 1;
}

text_analyzer *text_analyzer_new(const char *const *languages, size_t n, const char **why)
{
	static const char *ignored;
	if (!why)
		why = &ignored;
	if (n == 0 || n > TEXT_MAX_LANGS / 2) {
		*why = "an analyzer needs one to eight languages";
		return NULL;
	}
	text_analyzer *ta = xcalloc(1, sizeof(*ta));
	buf_init(&ta->scratch, 0);
	text_dict_init(&ta->vocabulary);
	for (size_t i = 0; i < n; i++) {
		if (!valid_code(languages[i])) {
			*why = "a language is not an ISO 639-1 code";
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(languages[i], languages[j]) == 0) {
				*why = "a language is named twice";
				goto fail;
			}
		if (lang_init(&ta->langs[i], languages[i])) {
			*why = "a language's sentiment lexicon could not be set up";
			ta->n_langs = ta->n_detect = i + 1;
			goto fail;
		}
		ta->n_langs = ta->n_detect = i + 1;
	}
	if (language_init(ta, why))
		goto fail;
	return ta;
fail:
	text_analyzer_free(ta);
	return NULL;
}

void text_analyzer_free(text_analyzer *ta)
{
	if (!ta)
		return;
	language_free(ta);
	for (size_t i = 0; i < ta->n_langs; i++)
		lang_free(&ta->langs[i]);
	text_dict_free(&ta->vocabulary);
	buf_free(&ta->scratch);
	free(ta->stem_offs);
	free(ta->noise);
	free(ta);
}

/* The language code's entry, added (for text_analyze_as) when missing;
 * NULL when the code is not valid or there is no room. */
static text_lang *lang_of(text_analyzer *ta, const char *code)
{
	for (size_t i = 0; i < ta->n_langs; i++)
		if (strcmp(ta->langs[i].code, code) == 0)
			return &ta->langs[i];
	if (!valid_code(code) || ta->n_langs >= TEXT_MAX_LANGS)
		return NULL;
	text_lang *l = &ta->langs[ta->n_langs];
	if (lang_init(l, code)) {
		lang_free(l);
		return NULL;
	}
	ta->n_langs++;
	return l;
}

/* ---- The analysis --------------------------------------------------------------- */

void text_analysis_init(text_analysis *a)
{
	memset(a, 0, sizeof(*a));
	buf_init(&a->folded, 0);
	buf_init(&a->stems, 0);
	a->feeling = CONCEPT_SENTIMENT_NEUTRAL;
}

void text_analysis_free(text_analysis *a)
{
	buf_free(&a->folded);
	buf_free(&a->stems);
	free(a->words);
	free(a->hashes);
	free(a->table);
	text_analysis_init(a);
}

/* Room for one more word in a and in ta's per-word scratch. */
static void grow_words(text_analyzer *ta, text_analysis *a)
{
	if (a->n_words == a->cap_words) {
		a->cap_words = a->cap_words ? a->cap_words * 2 : 32;
		a->words = xrealloc(a->words, a->cap_words * sizeof(*a->words));
	}
	if (a->n_words >= a->cap_hashes) {
		a->cap_hashes = a->cap_words;
		a->hashes = xrealloc(a->hashes, 2 * a->cap_hashes * sizeof(*a->hashes));
	}
	if (a->n_words >= ta->cap_scratch) {
		ta->cap_scratch = a->cap_words;
		ta->stem_offs = xrealloc(ta->stem_offs, ta->cap_scratch * sizeof(*ta->stem_offs));
		ta->noise = xrealloc(ta->noise, ta->cap_scratch);
	}
}

int text_noise_chunk(const char *s, size_t n)
{
	if (n >= 4 && memcmp(s, "www.", 4) == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@' || (s[i] == ':' && i + 2 < n && s[i + 1] == '/' && s[i + 2] == '/'))
			return 1;
	return 0;
}

/* Split a->folded into words, with their hashes and noise marks. */
static void split_words(text_analyzer *ta, text_analysis *a)
{
	const char *s = a->folded.data ? a->folded.data : "";
	size_t len = a->folded.len, pos = 0, start = 0, wlen = 0;
	size_t chunk_end = 0; /* the current whitespace-separated chunk ends here */
	int chunk_noise = 0;
	/* Most messages have no URL, address or handle: skip the search. */
	int maybe_noise = memchr(s, '@', len) != NULL;
	for (const char *p = s; !maybe_noise && (p = memchr(p, ':', len - (size_t)(p - s))); p++)
		maybe_noise = (size_t)(s + len - p) >= 3 && p[1] == '/' && p[2] == '/';
	for (const char *p = s; !maybe_noise && (p = memchr(p, 'w', len - (size_t)(p - s))); p++)
		maybe_noise = (size_t)(s + len - p) >= 4 && memcmp(p, "www.", 4) == 0;
	while (text_next_word(s, len, &pos, &start, &wlen)) {
		if (maybe_noise && start >= chunk_end) {
			size_t b = start;
			while (b > 0 && s[b - 1] != ' ' && s[b - 1] != '\t' && s[b - 1] != '\n' &&
			       s[b - 1] != '\r')
				b--;
			size_t e = start;
			while (e < len && s[e] != ' ' && s[e] != '\t' && s[e] != '\n' &&
			       s[e] != '\r')
				e++;
			chunk_end = e;
			chunk_noise = text_noise_chunk(s + b, e - b);
		}
		grow_words(ta, a);
		size_t i = a->n_words++;
		a->words[i] = (text_word){.start = start, .len = wlen, .stem = NULL};
		a->hashes[2 * i] = text_hash(s + start, wlen);
		ta->noise[i] = (uint8_t)chunk_noise;
	}
}

/* Stem every word in l; then point the words at their stems. */
static ct_err stem_words(text_analyzer *ta, text_lang *l, text_analysis *a)
{
	const char *s = a->folded.data;
	for (size_t i = 0; i < a->n_words; i++) {
		const text_word *w = &a->words[i];
		ct_err err = text_lang_stem(l, s + w->start, w->len, a->hashes[2 * i], &a->stems,
					    &ta->stem_offs[i]);
		if (err)
			return err;
	}
	for (size_t i = 0; i < a->n_words; i++) {
		const char *stem = a->stems.data + ta->stem_offs[i];
		a->words[i].stem = stem;
		a->hashes[2 * i + 1] = text_hash(stem, strlen(stem));
	}
	return CT_OK;
}

/* The two lookup tables of a (by stem, by word). */
static void build_tables(text_analysis *a)
{
	size_t cap = 16;
	while (cap < a->n_words * 2)
		cap *= 2;
	if (2 * cap > a->cap_table) {
		free(a->table);
		a->cap_table = 2 * cap;
		a->table = xmalloc(a->cap_table * sizeof(*a->table));
	}
	a->table_cap = cap;
	memset(a->table, 0, 2 * cap * sizeof(*a->table));
	memset(a->filter, 0, sizeof(a->filter));
	for (size_t i = 0; i < a->n_words; i++) {
		const text_word *w = &a->words[i];
		unsigned s = text_filter_bit(w->stem, strlen(w->stem));
		unsigned f = text_filter_bit(a->folded.data + w->start, w->len);
		a->filter[s >> 6] |= 1ull << (s & 63);
		a->filter[16 + (f >> 6)] |= 1ull << (f & 63);
	}
	for (size_t i = 0; i < a->n_words; i++)
		for (size_t t = 0; t < 2; t++) {
			uint32_t *tab = a->table + (t ? cap : 0);
			uint32_t h = a->hashes[2 * i + (t ? 0 : 1)];
			size_t j = h & (cap - 1);
			while (tab[j])
				j = (j + 1) & (cap - 1);
			tab[j] = (uint32_t)i + 1;
		}
}

/* Empty a for a new text, keeping its memory. */
static void reset(text_analysis *a)
{
	buf_reset(&a->folded);
	buf_reset(&a->stems);
	a->n_words = 0;
	a->language[0] = '\0';
	a->sentiment = 0;
	a->feeling = CONCEPT_SENTIMENT_NEUTRAL;
	a->table_cap = 0;
	memset(a->filter, 0, sizeof(a->filter));
}

/* text_analyze and text_analyze_as: language NULL to detect it. */
static ct_err analyze(text_analyzer *ta, const char *language, const char *text, size_t len,
		      text_analysis *out)
{
	reset(out);
	if (!text)
		text = "", len = 0;
	text_lang *l = NULL;
	if (language) {
		l = lang_of(ta, language);
		if (!l)
			return CT_ERR_INVALID;
	}
	ct_err err = normalise(text, len, &out->folded);
	if (err)
		goto fail;
	if (!out->folded.data && (err = buf_append(&out->folded, "", 0)) != CT_OK)
		goto fail;
	split_words(ta, out);
	if (!l)
		l = &ta->langs[language_detect(ta, out, text, len)];
	memcpy(out->language, l->code, sizeof(out->language));
	if ((err = stem_words(ta, l, out)) != CT_OK)
		goto fail;
	build_tables(out);
	sentiment_score(l, out);
	return CT_OK;
fail:
	reset(out);
	return err;
}

ct_err text_analyze(text_analyzer *ta, const char *text, size_t len, text_analysis *out)
{
	return analyze(ta, NULL, text, len, out);
}

ct_err text_analyze_as(text_analyzer *ta, const char *language, const char *text, size_t len,
		       text_analysis *out)
{
	return analyze(ta, language ? language : ta->langs[0].code, text, len, out);
}

/*
 * text_impl.h: what the parts of the text analyzer share (text.c,
 * language.c, sentiment.c, sentiment_lexicon.c, intents.c); not for use
 * outside src/triage/text*.c and its siblings named here.
 *
 * The analyzer keeps, per language it knows, a Snowball stemmer with a
 * small cache of recent stems, and the sentiment lexicon stemmed into a
 * hash table; for detection, the function words of the languages and a
 * libexttextcat classifier. All of it is owned by the analyzer and used by
 * one thread at a time.
 */
#ifndef CT_TEXT_IMPL_H
#define CT_TEXT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "triage/text.h"

#define TEXT_MAX_LANGS 16 /* languages an analyzer detects among, plus extra ones */
#define TEXT_STEM_MAX 64  /* words longer than this (bytes) are their own stem */

/* ---- A string-keyed hash table (open addressing, never shrinks) -------- */

typedef struct text_dict {
	uint32_t *hashes; /* 0: empty slot (real hashes are never 0) */
	uint32_t *offs;   /* key offset in keys */
	int32_t *vals;
	size_t cap, n; /* cap: a power of two */
	buf keys;      /* the keys, each NUL-terminated */
} text_dict;

/* The hash of n bytes (FNV-1a, never 0). */
uint32_t text_hash(const char *s, size_t n);

/* An empty dictionary; text_dict_free releases its memory. */
void text_dict_init(text_dict *d);
void text_dict_free(text_dict *d);
/* The value slot for key (created with value 0 when absent). Borrowed: valid
 * until the next text_dict_slot call. */
int32_t *text_dict_slot(text_dict *d, const char *key, size_t n);
/* 1 and *val set when key is present, else 0. h is text_hash(key, n). */
int text_dict_get(const text_dict *d, const char *key, size_t n, uint32_t h, int32_t *val);

/* The bit (0..1023) of a word or stem in text_analysis.filter: its first
 * three bytes (fewer when it is shorter). */
static inline unsigned text_filter_bit(const char *s, size_t n)
{
	unsigned b0 = (unsigned char)s[0];
	unsigned b1 = n > 1 ? (unsigned char)s[1] : 0;
	unsigned b2 = n > 2 ? (unsigned char)s[2] : 0;
	return ((b0 * 961u) ^ (b1 * 31u) ^ b2 ^ (unsigned)(n > 3) << 9) & 1023u;
}

/* ---- Words ----------------------------------------------------------------- */

/* The next word of the normalised text s[0..len) at or after *pos: 1 with
 * [*start, *start + *wlen) set and *pos past it, or 0 at the end. Words are
 * runs of letters and digits (marks continue a word), as in fts_stem.c. */
int text_next_word(const char *s, size_t len, size_t *pos, size_t *start, size_t *wlen);

/* 1 when the whitespace-separated chunk s[0..n) carries no language: a
 * URL, an e-mail address, an @handle. */
int text_noise_chunk(const char *s, size_t n);

/* ---- Per language ---------------------------------------------------------- */

/* A cache of stems (two-way set-associative, about 550 KiB per language):
 * most words of customer messages recur, and a Snowball stem costs a few
 * hundred nanoseconds. */
#define STEM_CACHE_SLOTS 8192
#define STEM_CACHE_BYTES 30
typedef struct stem_slot {
	uint32_t hash;
	uint8_t word_len, stem_len;
	char word[STEM_CACHE_BYTES];
	char stem[STEM_CACHE_BYTES];
} stem_slot;

struct sb_stemmer;

typedef struct text_lang {
	char code[8];
	struct sb_stemmer *stemmer; /* NULL: libstemmer has none; words are their stems */
	stem_slot *cache;           /* STEM_CACHE_SLOTS, or NULL without a stemmer */
	text_dict sentiment;        /* stem -> SENT_* kind << 24 | lexicon index */
	text_dict sentiment_exact;  /* word -> the same, for "=word" entries */
	const struct sentiment_lexicon *lexicon; /* NULL: no sentiment for it */
	size_t stems_computed;                   /* statistics: cache misses */
} text_lang;

struct text_analyzer {
	text_lang langs[TEXT_MAX_LANGS];
	size_t n_detect; /* langs[0..n_detect) are detected among */
	size_t n_langs;  /* the rest were added by text_analyze_as */
	/* detection */
	void *textcat;        /* libexttextcat handle; NULL with one language */
	void *candidates;     /* its candidate_t output array */
	text_dict vocabulary; /* folded word -> bit mask of langs using it */
	int words_vote;       /* every detected language has function words */
	buf scratch;          /* the text handed to textcat */
	size_t textcat_calls; /* statistics, for tests and benchmarks */
	/* per word of the analysis being built */
	size_t *stem_offs;
	uint8_t *noise; /* 1: inside a URL, e-mail address or @handle */
	size_t cap_scratch;
};

/* The stem of word (n bytes, hash text_hash(word, n)) in lang, appended
 * with its NUL to out; its offset in out in *off. Uses and fills lang's
 * cache. */
ct_err text_lang_stem(text_lang *l, const char *word, size_t n, uint32_t hash, buf *out,
		      size_t *off);

/* ---- Language detection (language.c) ---------------------------------------- */

/* Set up detection among ta->langs[0..n_detect): the function-word table
 * and, with two or more languages, libexttextcat. CT_ERR_NOT_FOUND with
 * *why (static) when a language has no classifier data. */
ct_err language_init(text_analyzer *ta, const char **why);
void language_free(text_analyzer *ta);
/* The index (in ta->langs) of the language of a (folded, split in words,
 * ta->noise marked), whose text was text[0..len). */
size_t language_detect(text_analyzer *ta, const text_analysis *a, const char *text, size_t len);

/* ---- Sentiment (sentiment.c, sentiment_lexicon.c) --------------------------- */

enum {
	SENT_WORD = 1,    /* a weighted word */
	SENT_NEGATION,    /* flips the next sentiment word within 3 words */
	SENT_INTENSIFIER, /* multiplies the next sentiment word by 1.5 */
	SENT_DAMPENER,    /* multiplies the next sentiment word by 0.5 */
	SENT_CONTRAST,    /* "aber", "but": what follows weighs more */
};

typedef struct sentiment_entry {
	const char *word; /* "=word": the word exactly, not its stem */
	float weight;
} sentiment_entry;

typedef struct sentiment_lexicon {
	const char *language;
	const sentiment_entry *words;
	size_t n_words;
	const char *const *negations; /* NULL-ended lists */
	const char *const *intensifiers;
	const char *const *dampeners;
	const char *const *contrasts;
	const char *const *formulas; /* "guten tag": the first word does not count */
} sentiment_lexicon;

typedef struct sentiment_emoji {
	int32_t cp;
	float weight;
} sentiment_emoji;

/* The lexicon of a language (static), or NULL. */
const sentiment_lexicon *sentiment_lexicon_for(const char *language);
/* The emoji weights (static), sorted by code point. */
const sentiment_emoji *sentiment_emojis(size_t *n);

/* Stem lang's lexicon into lang->sentiment. */
ct_err sentiment_init(text_lang *l);
/* Score a (words and stems set) in lang: a->sentiment and a->feeling. */
void sentiment_score(const text_lang *l, text_analysis *a);

#endif

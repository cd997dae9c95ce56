/*
 * text.h: what triage reads from a message's text.
 *
 * text_analyze turns a text into what the concept's rules look at:
 *  - the text normalised (Unicode NFKC, case-folded, accents and umlauts
 *    kept, "ß" kept rather than folded to "ss"; invalid UTF-8 replaced by
 *    U+FFFD) and split into words (runs of letters and digits, as the
 *    search tokenizer store/fts_stem.c splits them), the same way concept
 *    keywords and phrases are prepared;
 *  - the language, among the languages the concept names only: function
 *    words and lexicon words vote, libexttextcat breaks ties (language.c
 *    says how); a text without evidence falls back to the first of them;
 *  - each word's Snowball stem in that language (German and English, and any
 *    other language libstemmer has);
 *  - a sentiment score from a lexicon per language (German and English;
 *    negations, intensifiers, contrast and emoji taken into account),
 *    -1 .. 1, and its label: negative at -0.3 and below, positive at 0.3
 *    and above (sentiment.c).
 *
 * Speed: a message of 100-200 bytes takes a few microseconds (one core);
 * libexttextcat, the costly part, is asked only for short texts whose words
 * do not decide, and stems come from a per-analyzer cache.
 *
 * Ownership: a text_analyzer holds the stemmers and the language
 * classifier; it is not thread-safe, so each thread (each ingest writer,
 * each replay) has its own. text_analysis results are owned by the caller
 * and freed with text_analysis_free; they may be reused for the next
 * text_analyze call (which resets them), so the hot path allocates little.
 */
#ifndef CT_TEXT_H
#define CT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "triage/concept.h"

typedef struct text_analyzer text_analyzer;

/* One word of the normalised text: bytes [start, start + len) of
 * text_analysis.folded, and its stem (NUL-terminated, owned by the analysis,
 * valid until the analysis is reused or freed). */
typedef struct text_word {
	size_t start, len;
	const char *stem;
} text_word;

typedef struct text_analysis {
	buf folded; /* the normalised text */
	text_word *words;
	size_t n_words, cap_words;
	char language[8];          /* detected ISO 639-1 code */
	double sentiment;          /* -1 (negative) .. 1 (positive) */
	concept_sentiment feeling; /* the score as a label */
	buf stems;                 /* storage for the stems (internal) */
	/* Internal, for text_match_intent and text_has_stem: per word its
	 * hashes (hashes[2i] the word's, hashes[2i + 1] its stem's), and two
	 * open-addressing tables of word numbers + 1, table[0..table_cap) by
	 * stem and table[table_cap..2 table_cap) by word. */
	uint32_t *hashes;
	uint32_t *table;
	size_t table_cap, cap_hashes, cap_table;
	uint64_t filter[32]; /* bits by the first bytes: [0..16) of stems, [16..32) of words */
} text_analysis;

/*
 * An analyzer that detects among languages[0..n) (ISO 639-1 codes, one to
 * eight; the first is the fallback). NULL with *why (may be NULL) set to a
 * static text when a code is malformed or named twice, or, with two or more
 * languages, when one has no libexttextcat model. The caller frees it with
 * text_analyzer_free. It holds about 0.6 MB per language (a stem cache).
 */
text_analyzer *text_analyzer_new(const char *const *languages, size_t n, const char **why);
void text_analyzer_free(text_analyzer *ta);

/* Analyse text (len bytes of UTF-8; invalid bytes are replaced; NULL is
 * the empty text) into out, which must have been initialised with
 * text_analysis_init and is reset first. CT_ERR_TOO_LARGE when the
 * normalised text passes 64 MiB. */
ct_err text_analyze(text_analyzer *ta, const char *text, size_t len, text_analysis *out);

/* Analyse as text_analyze, but with the language given, not detected (NULL:
 * the first language). A language the analyzer does not detect among is
 * taken on as well (stems, sentiment when there is a lexicon);
 * CT_ERR_INVALID when the code is malformed or too many were taken on. */
ct_err text_analyze_as(text_analyzer *ta, const char *language, const char *text, size_t len,
		       text_analysis *out);

/* An empty analysis; text_analysis_free releases its memory (and leaves it
 * empty and usable again). */
void text_analysis_init(text_analysis *a);
void text_analysis_free(text_analysis *a);

/* The normalised form of s (as text_analysis.folded): appended to out. On
 * an error (CT_ERR_TOO_LARGE: out's cap) out is left as it was. */
ct_err text_normalise(const char *s, size_t len, buf *out);

/* The stem of one normalised word in a language, appended to out; the
 * word itself when libstemmer has no stemmer for the language or the word
 * is longer than 64 bytes. The same stem text_analyze gives the word. */
ct_err text_stem(const char *language, const char *word, buf *out);

/* The best intent of a concept for an analysed text: the one with the
 * most keyword, phrase and pattern hits in the text's language (each
 * keyword, phrase or pattern found counts once; ties: the first in the
 * document). NULL when none matches. When evidence is not NULL, what
 * matched is appended to it, as written in the concept and separated by
 * ", " ("Stromausfall, strom weg"). Borrowed from c. Reads c and a only, so
 * many threads may share c. PCRE2 patterns run on the folded text; they
 * are much faster JIT-compiled (pcre2_jit_compile) by the concept loader. */
const concept_intent *text_match_intent(const concept *c, const text_analysis *a, buf *evidence);

/* 1 when any of the stems (concept_when.keywords) occurs in the text;
 * *which (may be NULL) gets the index of the first that does. stems may be
 * NULL (0). */
int text_has_stem(const text_analysis *a, const concept_strings *stems, size_t *which);

#endif

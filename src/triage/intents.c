/*
 * intents.c: which of a concept's intents an analysed message expresses,
 * and whether it holds given stems (text_match_intent, text_has_stem in
 * text.h).
 *
 * An intent is recognised, in the message's language, by keywords (the
 * Snowball stems of what the concept wrote, compared with the stems of the
 * message's words), phrases (normalised word sequences, found as
 * consecutive words of the message, so they match on word boundaries and
 * whatever punctuation or spacing stands between the words) and PCRE2
 * patterns (compiled by the concept loader, matched against the folded
 * text). Each keyword, phrase and pattern that is found is one hit; the
 * intent with the most hits wins, the earlier one on a tie.
 *
 * Lookups go through the hash tables that text_analyze builds over the
 * message's words and stems, so a keyword costs one probe, not a pass over
 * the words; a 1024-bit filter over the words' first bytes turns most
 * keywords and phrases away before that. The concept is shared by threads
 * and never written here; the PCRE2 match data is made per call.
 *
 * Patterns cost the most: 50 of them take about 90,000 instructions per
 * message of 120 bytes interpreted, 35,000 JIT-compiled (the concept loader
 * JIT-compiles every pattern: compiling here, on a shared concept, would be
 * a data race); keywords and phrases about 80 each.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <string.h>

#include "triage/text_impl.h"

/* 1 when the filter of a (0: stems, 1: words) may hold the word whose
 * first bytes are s[0..n) (n up to 4: four means "four or more"). Most
 * words that a concept names are not in a given message, and this tells
 * in a few instructions, before any hashing. */
static inline int may_have(const text_analysis *a, int words, const char *s, size_t n)
{
	unsigned b = text_filter_bit(s, n);
	return (a->filter[(words ? 16 : 0) + (b >> 6)] >> (b & 63)) & 1;
}

/* has_stem after its filter said maybe: the hash table. */
static int has_stem_slow(const text_analysis *a, const char *s)
{
	size_t n = strlen(s);
	uint32_t h = text_hash(s, n);
	size_t mask = a->table_cap - 1;
	for (size_t j = h & mask; a->table[j]; j = (j + 1) & mask) {
		size_t i = a->table[j] - 1;
		const char *stem = a->words[i].stem;
		if (a->hashes[2 * i + 1] == h && strncmp(stem, s, n) == 0 && stem[n] == '\0')
			return 1;
	}
	return 0;
}

/* 1 when some word of a has the stem s (NUL-terminated). */
static inline int has_stem(const text_analysis *a, const char *s)
{
	/* the filter reads up to four bytes: as far as the NUL at most */
	size_t n = !s[0] ? 0 : !s[1] ? 1 : !s[2] ? 2 : !s[3] ? 3 : 4;
	if (n == 0 || !a->table_cap || !may_have(a, 0, s, n))
		return 0;
	return has_stem_slow(a, s);
}

/* 1 when the words of a from word i on are those of phrase p[0..len). */
static int phrase_at(const text_analysis *a, size_t i, const char *p, size_t len)
{
	size_t pos = 0, start, wlen;
	const char *s = a->folded.data;
	while (text_next_word(p, len, &pos, &start, &wlen)) {
		if (i >= a->n_words)
			return 0;
		const text_word *w = &a->words[i++];
		if (w->len != wlen || memcmp(s + w->start, p + start, wlen) != 0)
			return 0;
	}
	return 1;
}

/* 1 when c is an ASCII letter or digit. */
static inline int ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* 1 when the phrase (normalised) occurs in a as consecutive words. */
static int has_phrase(const text_analysis *a, const char *p)
{
	if (!a->table_cap)
		return 0;
	/* The common case, a phrase that begins with ASCII: its first word's
	 * first bytes are plain, so the filter can tell before any splitting. */
	size_t k = 0;
	while (k < 4 && ascii_alnum(p[k]))
		k++;
	if (k > 0 && (k == 4 || !(p[k] & 0x80)) && !may_have(a, 1, p, k))
		return 0;
	size_t len = strlen(p), pos = 0, start, wlen;
	if (!text_next_word(p, len, &pos, &start, &wlen) ||
	    !may_have(a, 1, p + start, wlen < 4 ? wlen : 4))
		return 0;
	uint32_t h = text_hash(p + start, wlen);
	const uint32_t *tab = a->table + a->table_cap;
	size_t mask = a->table_cap - 1;
	const char *s = a->folded.data;
	for (size_t j = h & mask; tab[j]; j = (j + 1) & mask) {
		size_t i = tab[j] - 1;
		const text_word *w = &a->words[i];
		if (a->hashes[2 * i] == h && w->len == wlen &&
		    memcmp(s + w->start, p + start, wlen) == 0 &&
		    phrase_at(a, i, p + start, len - start))
			return 1;
	}
	return 0;
}

/* 1 when the pattern matches the folded text. */
static int has_pattern(const text_analysis *a, const concept_pattern *pat, pcre2_match_data *md)
{
	if (!pat->code || !md)
		return 0;
	/* The folded text is valid UTF-8 by construction: skip the check. */
	int rc = pcre2_match(pat->code, (PCRE2_SPTR)a->folded.data, a->folded.len, 0,
			     PCRE2_NO_UTF_CHECK, md, NULL);
	return rc >= 0; /* 0: matched, the ovector was too small to say where */
}

/* The section of intent for a language, or NULL. */
static const concept_intent_language *section(const concept_intent *in, const char *language)
{
	/* the first two bytes first: cheaper than a call */
	for (size_t i = 0; i < in->n_languages; i++) {
		const char *l = in->languages[i].language;
		if (l[0] == language[0] && l[1] == language[1] && strcmp(l, language) == 0)
			return &in->languages[i];
	}
	return NULL;
}

/* Append item to evidence, after ", " unless it is the first since base. */
static void add_evidence(buf *evidence, size_t base, const char *item)
{
	if (evidence->len > base)
		(void)buf_puts(evidence, ", ");
	(void)buf_puts(evidence, item);
}

/* The hits of one section in a; with evidence, what matched is appended
 * ("a, b, c"). */
static size_t hits(const concept_intent_language *l, const text_analysis *a, pcre2_match_data *md,
		   buf *evidence)
{
	size_t n = 0, base = evidence ? evidence->len : 0;
	for (size_t i = 0; i < l->stems.n; i++)
		if (has_stem(a, l->stems.items[i])) {
			n++;
			if (evidence)
				add_evidence(evidence, base,
					     i < l->keywords.n ? l->keywords.items[i]
							       : l->stems.items[i]);
		}
	for (size_t i = 0; i < l->phrases.n; i++)
		if (has_phrase(a, l->phrases.items[i])) {
			n++;
			if (evidence)
				add_evidence(evidence, base, l->phrases.items[i]);
		}
	for (size_t i = 0; i < l->n_patterns; i++)
		if (has_pattern(a, &l->patterns[i], md)) {
			n++;
			if (evidence)
				add_evidence(evidence, base, l->patterns[i].source);
		}
	return n;
}

const concept_intent *text_match_intent(const concept *c, const text_analysis *a, buf *evidence)
{
	if (!c || !a->folded.data)
		return NULL;
	pcre2_match_data *md = NULL;
	const concept_intent *best = NULL;
	const concept_intent_language *best_section = NULL;
	size_t best_hits = 0;
	for (size_t i = 0; i < c->n_intents; i++) {
		const concept_intent_language *l = section(&c->intents[i], a->language);
		if (!l)
			continue;
		if (l->n_patterns && !md)
			md = pcre2_match_data_create(1, NULL);
		size_t n = hits(l, a, md, NULL);
		if (n > best_hits) {
			best_hits = n;
			best = &c->intents[i];
			best_section = l;
		}
	}
	if (best && evidence)
		hits(best_section, a, md, evidence);
	pcre2_match_data_free(md);
	return best;
}

int text_has_stem(const text_analysis *a, const concept_strings *stems, size_t *which)
{
	for (size_t i = 0; stems && i < stems->n; i++)
		if (has_stem(a, stems->items[i])) {
			if (which)
				*which = i;
			return 1;
		}
	return 0;
}

/*
 * test_text.c: unit tests for triage's text analyzer (src/triage/text.c,
 * sentiment.c, intents.c): normalisation (NFKC, case folding with umlauts
 * and ß kept, invalid UTF-8 replaced, pathological input), word splitting,
 * Snowball stems that agree with the stems of concept keywords, reuse of
 * one analysis for many texts, analyzer construction errors, sentiment on
 * clear German and English cases (negation, intensifiers, contrast,
 * emoji), intent matching against a concept built by hand (keywords,
 * phrases on word boundaries, PCRE2 patterns, ties, evidence, language
 * sections), text_has_stem, concurrent matching on one shared concept, and
 * a timing printout (never asserted). Language detection accuracy is in
 * test_language.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <pthread.h>
#include <utf8proc.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "triage/text.h"

static text_analyzer *de_en(void)
{
	const char *langs[] = {"de", "en"};
	const char *why = NULL;
	text_analyzer *ta = text_analyzer_new(langs, 2, &why);
	if (!ta)
		fail_msg("analyzer: %s", why);
	return ta;
}

/* The normalised form of s, in out (size bytes). */
static void norm(const char *s, size_t len, char *out, size_t size)
{
	buf b;
	buf_init(&b, 0);
	assert_int_equal(text_normalise(s, len, &b), CT_OK);
	assert_true(b.len < size);
	memcpy(out, buf_cstr(&b), b.len + 1);
	buf_free(&b);
}

static void assert_norm(const char *in, const char *want)
{
	char got[512];
	norm(in, strlen(in), got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("'%s' normalised to '%s', want '%s'", in, got, want);
}

/* 1 when s[0..n) is valid UTF-8. */
static int valid_utf8(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(n - i), &cp);
		if (k < 1)
			return 0;
		i += (size_t)k;
	}
	return 1;
}

static void test_normalise(void **state)
{
	(void)state;
	assert_norm("Störung", "störung");
	assert_norm("STÖRUNG im NETZ", "störung im netz");
	assert_norm("Straße", "straße"); /* ß is kept */
	assert_norm("STRAẞE", "straße"); /* capital ẞ becomes ß */
	assert_norm("STRASSE", "strasse");
	assert_norm("Sto\xcc\x88rung", "störung"); /* o + combining diaeresis: composed */
	assert_norm("Cafe\xcc\x81", "café");       /* ASCII run ending in a base letter */
	assert_norm("\xef\xac\x81le", "file");     /* ﬁ ligature */
	assert_norm("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3", "abc"); /* fullwidth ＡＢＣ */
	assert_norm("m\xc2\xb2", "m2");                             /* ² */
	assert_norm("Strom\xc2\xad"
		    "ausfall",
		    "stromausfall");                             /* soft hyphen dropped */
	assert_norm("\xe2\x9d\xa4\xef\xb8\x8f", "\xe2\x9d\xa4"); /* ❤️ -> ❤ (no VS16) */
	assert_norm("ÉCOLE ÇA", "école ça");
	assert_norm("ΣΟΦΙΑ", "σοφια");
	assert_norm("", "");
	/* invalid bytes become U+FFFD, never a failure */
	assert_norm("a\xff"
		    "b",
		    "a\xef\xbf\xbd"
		    "b");
	assert_norm("zu\xc3", "zu\xef\xbf\xbd"); /* truncated sequence */
	assert_norm("\xed\xa0\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"); /* surrogate */
	char got[64];
	norm("a\0b", 3, got, sizeof(got)); /* NUL becomes a space */
	assert_string_equal(got, "a b");

	/* appended to what the buffer holds */
	buf b;
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "x:"), CT_OK);
	assert_int_equal(text_normalise("ÄRGER", 6, &b), CT_OK);
	assert_string_equal(buf_cstr(&b), "x:ärger");
	/* a cap that is too small leaves the buffer as it was */
	buf small;
	buf_init(&small, 4);
	assert_int_equal(buf_puts(&small, "ab"), CT_OK);
	assert_int_equal(text_normalise("Störung", strlen("Störung"), &small), CT_ERR_TOO_LARGE);
	assert_string_equal(buf_cstr(&small), "ab");
	buf_free(&small);
	buf_free(&b);
}

/* Thousands of combining marks, long non-ASCII runs, random bytes: no
 * crash, valid UTF-8 out. */
static void test_normalise_hostile(void **state)
{
	(void)state;
	size_t n = 1 + 3000 * 2;
	char *s = malloc(n + 1);
	assert_non_null(s);
	s[0] = 'a';
	for (size_t i = 0; i < 3000; i++)
		memcpy(s + 1 + 2 * i, "\xcc\x81", 2); /* U+0301 */
	s[n] = '\0';
	buf b;
	buf_init(&b, 0);
	assert_int_equal(text_normalise(s, n, &b), CT_OK);
	assert_true(valid_utf8(b.data, b.len));
	free(s);

	/* 5000 Hangul syllables (decomposed into jamo and composed again) */
	buf in;
	buf_init(&in, 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(buf_puts(&in, "한"), CT_OK);
	buf_reset(&b);
	assert_int_equal(text_normalise(in.data, in.len, &b), CT_OK);
	assert_true(valid_utf8(b.data, b.len));
	assert_int_equal(b.len, in.len); /* NFC Hangul stays as it was */
	buf_free(&in);

	text_analyzer *ta = de_en();
	text_analysis a;
	text_analysis_init(&a);
	unsigned seed = 12345;
	char r[300];
	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t)(seed % sizeof(r));
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			r[i] = (char)(seed >> 16);
		}
		seed = seed * 1103515245u + 12345u;
		buf_reset(&b);
		assert_int_equal(text_normalise(r, len, &b), CT_OK);
		assert_true(valid_utf8(b.data, b.len));
		assert_int_equal(text_analyze(ta, r, len, &a), CT_OK);
		assert_true(valid_utf8(a.folded.data, a.folded.len));
		for (size_t i = 0; i < a.n_words; i++)
			assert_true(a.words[i].start + a.words[i].len <= a.folded.len);
		assert_true(a.sentiment >= -1 && a.sentiment <= 1);
	}
	assert_int_equal(text_analyze(ta, NULL, 0, &a), CT_OK);
	assert_int_equal(a.n_words, 0);
	text_analysis_free(&a);
	text_analyzer_free(ta);
	buf_free(&b);
}

/* The words of a, as "w1|w2|...". */
static void words_of(const text_analysis *a, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < a->n_words; i++) {
		const text_word *w = &a->words[i];
		assert_true(n + w->len + 2 < size);
		if (i)
			out[n++] = '|';
		memcpy(out + n, a->folded.data + w->start, w->len);
		n += w->len;
		out[n] = '\0';
	}
}

static void test_words(void **state)
{
	(void)state;
	text_analyzer *ta = de_en();
	text_analysis a;
	text_analysis_init(&a);
	char w[512];
	const char *t = "Hallo, Welt! Zähler-Stand: 24h #Stromausfall @sw_ms don't";
	assert_int_equal(text_analyze_as(ta, "de", t, strlen(t), &a), CT_OK);
	words_of(&a, w, sizeof(w));
	assert_string_equal(w, "hallo|welt|zähler|stand|24h|stromausfall|sw|ms|don|t");
	assert_string_equal(a.language, "de");
	t = "😡😡 ... !!!";
	assert_int_equal(text_analyze(ta, t, strlen(t), &a), CT_OK);
	assert_int_equal(a.n_words, 0);
	t = "na\xcc\x88he x\xcc\x81y"; /* marks continue words */
	assert_int_equal(text_analyze_as(ta, "de", t, strlen(t), &a), CT_OK);
	words_of(&a, w, sizeof(w));
	assert_string_equal(w, "nähe|x\xcc\x81y");
	text_analysis_free(&a);
	text_analyzer_free(ta);
}

/* The stem a concept loader would store for a keyword. */
static void concept_stem(const char *lang, const char *keyword, char *out, size_t size)
{
	buf n, s;
	buf_init(&n, 0);
	buf_init(&s, 0);
	assert_int_equal(text_normalise(keyword, strlen(keyword), &n), CT_OK);
	assert_int_equal(text_stem(lang, buf_cstr(&n), &s), CT_OK);
	assert_true(s.len < size);
	memcpy(out, buf_cstr(&s), s.len + 1);
	buf_free(&n);
	buf_free(&s);
}

static void test_stems(void **state)
{
	(void)state;
	char s1[128], s2[128];
	concept_stem("de", "Stromausfälle", s1, sizeof(s1));
	concept_stem("de", "Stromausfall", s2, sizeof(s2));
	assert_string_equal(s1, s2);
	concept_stem("de", "Zählerstände", s1, sizeof(s1));
	concept_stem("de", "zählerstand", s2, sizeof(s2));
	assert_string_equal(s1, s2);
	concept_stem("en", "outages", s1, sizeof(s1));
	concept_stem("en", "Outage", s2, sizeof(s2));
	assert_string_equal(s1, s2);
	concept_stem("xx", "Wörter", s1, sizeof(s1)); /* no stemmer: the word */
	assert_string_equal(s1, "wörter");

	/* the analysis stems a word as the concept stems the keyword */
	text_analyzer *ta = de_en();
	text_analysis a;
	text_analysis_init(&a);
	const char *t = "STROMAUSFÄLLE und Zählerstände, Rechnungen";
	assert_int_equal(text_analyze(ta, t, strlen(t), &a), CT_OK);
	assert_string_equal(a.language, "de");
	assert_int_equal(a.n_words, 4);
	concept_stem("de", "Stromausfall", s1, sizeof(s1));
	assert_string_equal(a.words[0].stem, s1);
	concept_stem("de", "Zählerstand", s1, sizeof(s1));
	assert_string_equal(a.words[2].stem, s1);
	concept_stem("de", "Rechnung", s1, sizeof(s1));
	assert_string_equal(a.words[3].stem, s1);
	/* the same again: now from the stem cache */
	assert_int_equal(text_analyze(ta, t, strlen(t), &a), CT_OK);
	assert_string_equal(a.words[3].stem, s1);
	/* a word too long for the stemmer is its own stem */
	char longw[300];
	memset(longw, 'x', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = '\0';
	assert_int_equal(text_analyze_as(ta, "de", longw, strlen(longw), &a), CT_OK);
	assert_int_equal(a.n_words, 1);
	assert_string_equal(a.words[0].stem, longw);
	text_analysis_free(&a);
	text_analyzer_free(ta);
}

/* One analysis reused for texts of different sizes: everything reset. */
static void test_reuse(void **state)
{
	(void)state;
	text_analyzer *ta = de_en();
	text_analysis a;
	text_analysis_init(&a);
	buf big;
	buf_init(&big, 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(buf_puts(&big, "Der Zähler läuft und läuft. "), CT_OK);
	assert_int_equal(text_analyze(ta, big.data, big.len, &a), CT_OK);
	assert_int_equal(a.n_words, 2500);
	assert_string_equal(a.language, "de");
	const char *t = "Thanks, all good";
	assert_int_equal(text_analyze(ta, t, strlen(t), &a), CT_OK);
	assert_int_equal(a.n_words, 3);
	assert_string_equal(a.language, "en");
	assert_string_equal(a.folded.data, "thanks, all good");
	assert_string_equal(a.words[0].stem, "thank");
	assert_int_equal(a.feeling, CONCEPT_SENTIMENT_POSITIVE);
	/* text_analyze_as with a language the analyzer does not detect */
	t = "Les compteurs sont cassés";
	assert_int_equal(text_analyze_as(ta, "fr", t, strlen(t), &a), CT_OK);
	assert_string_equal(a.language, "fr");
	assert_string_equal(a.words[1].stem, "compteur");
	assert_int_equal(text_analyze_as(ta, "../x", t, strlen(t), &a), CT_ERR_INVALID);
	assert_int_equal(a.n_words, 0);
	buf_free(&big);
	text_analysis_free(&a);
	text_analysis_free(&a); /* freeing twice is harmless */
	text_analyzer_free(ta);
	text_analyzer_free(NULL);
}

static void test_analyzer_errors(void **state)
{
	(void)state;
	const char *why = NULL;
	const char *bad1[] = {"de", "xx"};
	assert_null(text_analyzer_new(bad1, 2, &why));
	assert_non_null(why);
	why = NULL;
	const char *bad2[] = {"DE", "en"};
	assert_null(text_analyzer_new(bad2, 2, &why));
	assert_non_null(why);
	why = NULL;
	const char *bad3[] = {"de", "de"};
	assert_null(text_analyzer_new(bad3, 2, &why));
	assert_non_null(why);
	why = NULL;
	const char *bad4[] = {"../../etc/passwd", "de"};
	assert_null(text_analyzer_new(bad4, 2, &why));
	assert_non_null(why);
	assert_null(text_analyzer_new(bad1, 0, NULL));
	/* one language needs no classifier data */
	const char *one[] = {"xx"};
	text_analyzer *ta = text_analyzer_new(one, 1, NULL);
	assert_non_null(ta);
	text_analyzer_free(ta);
}

/* The sentiment of text (language detected among de, en). */
static double feel(text_analyzer *ta, text_analysis *a, const char *text)
{
	assert_int_equal(text_analyze(ta, text, strlen(text), a), CT_OK);
	assert_true(a->sentiment >= -1 && a->sentiment <= 1);
	return a->sentiment;
}

static void assert_feeling(text_analyzer *ta, text_analysis *a, const char *text,
			   concept_sentiment want)
{
	double s = feel(ta, a, text);
	if (a->feeling != want)
		fail_msg("'%s' (%s): score %.2f, label %d, want %d", text, a->language, s,
			 (int)a->feeling, (int)want);
}

static void test_sentiment(void **state)
{
	(void)state;
	text_analyzer *ta = de_en();
	text_analysis a;
	text_analysis_init(&a);
	const concept_sentiment P = CONCEPT_SENTIMENT_POSITIVE, N = CONCEPT_SENTIMENT_NEGATIVE,
				O = CONCEPT_SENTIMENT_NEUTRAL;
	assert_feeling(ta, &a, "Vielen Dank für den super Service!", P);
	assert_feeling(ta, &a, "Toller Service, die Dame an der Hotline war echt freundlich", P);
	assert_feeling(ta, &a, "Der Monteur war pünktlich und hat sauber gearbeitet, top!", P);
	assert_feeling(ta, &a, "Ihr seid die Besten ❤️", P);
	assert_feeling(ta, &a, "Unmöglicher Service, niemand ruft zurück", N);
	assert_feeling(ta, &a, "Abzocke!!! Eine absolute Frechheit", N);
	assert_feeling(ta, &a, "Ich bin sehr enttäuscht von euch", N);
	assert_feeling(ta, &a, "Die Hotline ist eine Zumutung 😡", N);
	assert_feeling(ta, &a, "Der Service war nicht gut", N); /* negation */
	assert_feeling(ta, &a, "Ich bin mit euch gar nicht zufrieden", N);
	assert_feeling(ta, &a, "Danke, aber das ist eine Frechheit", N); /* contrast */
	assert_feeling(ta, &a, "Wann wird der Zähler gewechselt?", O);
	assert_feeling(ta, &a, "Zählerstand 12345, Zählernummer 987", O);
	assert_feeling(ta, &a, "Thanks a lot for the great service!", P);
	assert_feeling(ta, &a, "The fitter was on time and really friendly 👍", P);
	assert_feeling(ta, &a, "Absolutely brilliant, thank you so much", P);
	assert_feeling(ta, &a, "Terrible service, nobody calls back", N);
	assert_feeling(ta, &a, "I'm very disappointed with you", N);
	assert_feeling(ta, &a, "This is not acceptable and frankly outrageous", N);
	assert_feeling(ta, &a, "The service was not good at all", N); /* negation */
	assert_feeling(ta, &a, "I don't like waiting, this is ridiculous 😠", N);
	assert_feeling(ta, &a, "When will the meter be replaced?", O);
	/* formulas and words that share a stem with a sentiment word */
	assert_feeling(ta, &a, "Guten Tag, ich habe eine Frage zu meiner Rechnung", O);
	assert_feeling(ta, &a, "Good morning, please call me back", O);
	assert_feeling(ta, &a, "I need help with the form", O);
	assert_feeling(ta, &a, "Ist schon erledigt", O);
	assert_feeling(ta, &a, "Very helpful, thank you", P);
	assert_feeling(ta, &a, "👍", P);
	assert_feeling(ta, &a, "😡", N);
	/* "not bad" is mildly positive, "nicht schlecht" too */
	assert_true(feel(ta, &a, "not bad") > 0);
	assert_true(feel(ta, &a, "Das war nicht schlecht") > 0);
	/* intensifiers strengthen, dampeners weaken */
	double plain = feel(ta, &a, "Das war gut");
	assert_true(feel(ta, &a, "Das war sehr gut") > plain);
	assert_true(feel(ta, &a, "Das war etwas gut") < plain);
	double bad = feel(ta, &a, "That was bad");
	assert_true(feel(ta, &a, "That was really bad") < bad);
	/* a negation does not reach over punctuation */
	assert_true(feel(ta, &a, "Nein. Super gemacht") > 0);
	/* many words: still within -1 .. 1 */
	buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(buf_puts(&b, "great, amazing, brilliant! "), CT_OK);
	assert_true(feel(ta, &a, b.data) > 0.99);
	buf_free(&b);
	/* a language without a lexicon: neutral, but emoji still count */
	assert_int_equal(text_analyze_as(ta, "fr", "C'est génial", 13, &a), CT_OK);
	assert_int_equal(a.feeling, CONCEPT_SENTIMENT_NEUTRAL);
	assert_int_equal(text_analyze_as(ta, "fr", "Merci 👍", strlen("Merci 👍"), &a), CT_OK);
	assert_int_equal(a.feeling, CONCEPT_SENTIMENT_POSITIVE);
	text_analysis_free(&a);
	text_analyzer_free(ta);
}

/* ---- A concept built by hand, as the YAML loader would build it ---------- */

static concept_strings strings(const char *const *list)
{
	concept_strings s = {NULL, 0};
	while (list && list[s.n])
		s.n++;
	s.items = calloc(s.n ? s.n : 1, sizeof(char *));
	assert_non_null(s.items);
	for (size_t i = 0; i < s.n; i++)
		s.items[i] = strdup(list[i]);
	return s;
}

/* Stems of keywords as the loader makes them: normalised, then stemmed. */
static concept_strings stems(const char *lang, const char *const *list)
{
	concept_strings s = strings(list);
	for (size_t i = 0; i < s.n; i++) {
		char st[256];
		concept_stem(lang, s.items[i], st, sizeof(st));
		free(s.items[i]);
		s.items[i] = strdup(st);
	}
	return s;
}

/* Phrases as the loader keeps them: normalised. */
static concept_strings phrases(const char *const *list)
{
	concept_strings s = strings(list);
	for (size_t i = 0; i < s.n; i++) {
		char n[256];
		norm(s.items[i], strlen(s.items[i]), n, sizeof(n));
		free(s.items[i]);
		s.items[i] = strdup(n);
	}
	return s;
}

static void free_strings(concept_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
}

static void set_section(concept_intent_language *l, const char *lang, const char *const *kw,
			const char *const *ph, const char *const *pat)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->language, lang, strlen(lang) + 1);
	l->keywords = strings(kw);
	l->stems = stems(lang, kw);
	l->phrases = phrases(ph);
	while (pat && pat[l->n_patterns])
		l->n_patterns++;
	l->patterns = calloc(l->n_patterns ? l->n_patterns : 1, sizeof(concept_pattern));
	assert_non_null(l->patterns);
	for (size_t i = 0; i < l->n_patterns; i++) {
		int code;
		PCRE2_SIZE off;
		l->patterns[i].source = strdup(pat[i]);
		l->patterns[i].code =
			pcre2_compile((PCRE2_SPTR)pat[i], PCRE2_ZERO_TERMINATED,
				      PCRE2_UTF | PCRE2_CASELESS | PCRE2_UCP, &code, &off, NULL);
		assert_non_null(l->patterns[i].code);
	}
}

static concept *test_concept(void)
{
	concept *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->n_intents = 3;
	c->intents = calloc(3, sizeof(concept_intent));
	assert_non_null(c->intents);
	concept_intent *outage = &c->intents[0], *billing = &c->intents[1],
		       *praise = &c->intents[2];
	outage->name = strdup("outage");
	outage->n_languages = 2;
	outage->languages = calloc(2, sizeof(concept_intent_language));
	set_section(&outage->languages[0], "de",
		    (const char *const[]){"Stromausfall", "Störung", NULL},
		    (const char *const[]){"Strom weg", "kein Strom", NULL},
		    (const char *const[]){"st(ö|oe)rung", "\\bblackout\\b", NULL});
	set_section(&outage->languages[1], "en", (const char *const[]){"outage", NULL},
		    (const char *const[]){"power is out", "no power", NULL}, NULL);
	billing->name = strdup("billing");
	billing->n_languages = 2;
	billing->languages = calloc(2, sizeof(concept_intent_language));
	set_section(&billing->languages[0], "de",
		    (const char *const[]){"Rechnung", "Abschlag", NULL},
		    (const char *const[]){"zu hoch", NULL}, NULL);
	set_section(&billing->languages[1], "en", (const char *const[]){"bill", "invoice", NULL},
		    NULL, (const char *const[]){"\\b\\d+ ?(€|eur|euros?)\\b", NULL});
	praise->name = strdup("praise");
	praise->n_languages = 1;
	praise->languages = calloc(1, sizeof(concept_intent_language));
	set_section(&praise->languages[0], "de", (const char *const[]){"Danke", "Lob", NULL}, NULL,
		    NULL);
	return c;
}

static void free_concept(concept *c)
{
	for (size_t i = 0; i < c->n_intents; i++) {
		concept_intent *in = &c->intents[i];
		for (size_t j = 0; j < in->n_languages; j++) {
			concept_intent_language *l = &in->languages[j];
			free_strings(&l->keywords);
			free_strings(&l->stems);
			free_strings(&l->phrases);
			for (size_t k = 0; k < l->n_patterns; k++) {
				free(l->patterns[k].source);
				pcre2_code_free(l->patterns[k].code);
			}
			free(l->patterns);
		}
		free(in->languages);
		free(in->name);
	}
	free(c->intents);
	free(c);
}

/* The intent's name for text (language detected), or "-"; evidence in ev. */
static const char *intent_of(text_analyzer *ta, const concept *c, const char *text, buf *ev)
{
	text_analysis a;
	text_analysis_init(&a);
	assert_int_equal(text_analyze(ta, text, strlen(text), &a), CT_OK);
	buf_reset(ev);
	const concept_intent *in = text_match_intent(c, &a, ev);
	text_analysis_free(&a);
	return in ? in->name : "-";
}

static void test_match_intent(void **state)
{
	(void)state;
	text_analyzer *ta = de_en();
	concept *c = test_concept();
	buf ev;
	buf_init(&ev, 0);

	assert_string_equal(intent_of(ta, c, "Strom weg seit 6 Uhr!", &ev), "outage");
	assert_string_equal(buf_cstr(&ev), "strom weg");
	/* keyword by stem, pattern on the folded text */
	assert_string_equal(
		intent_of(ta, c, "Stromausfälle in der Weststadt, ist das eine STOERUNG?", &ev),
		"outage");
	assert_string_equal(buf_cstr(&ev), "Stromausfall, st(ö|oe)rung");
	/* the phrase matches across punctuation and case, on word boundaries */
	assert_string_equal(intent_of(ta, c, "Bei uns: KEIN-Strom!", &ev), "outage");
	assert_string_equal(buf_cstr(&ev), "kein strom");
	assert_string_equal(
		intent_of(ta, c, "Ich bin mit dem Strom wegen der Preise unzufrieden", &ev), "-");
	assert_string_equal(intent_of(ta, c, "Der Strom weg", &ev), "outage"); /* at the end */
	/* the most hits win */
	assert_string_equal(intent_of(ta, c, "Die Rechnung ist zu hoch, danke für nichts", &ev),
			    "billing");
	assert_string_equal(buf_cstr(&ev), "Rechnung, zu hoch");
	/* a tie: the earlier intent */
	assert_string_equal(intent_of(ta, c, "Rechnung nach der Störung?", &ev), "outage");
	/* English section */
	assert_string_equal(intent_of(ta, c, "The power is out on Main Street again", &ev),
			    "outage");
	assert_string_equal(buf_cstr(&ev), "power is out");
	assert_string_equal(intent_of(ta, c, "Why is my invoice 142 euros this month?", &ev),
			    "billing");
	assert_string_equal(buf_cstr(&ev), "invoice, \\b\\d+ ?(€|eur|euros?)\\b");
	/* praise has no English section */
	assert_string_equal(intent_of(ta, c, "Thank you, great praise for the team", &ev), "-");
	assert_string_equal(intent_of(ta, c, "Großes Lob und danke", &ev), "praise");
	/* nothing matches: NULL, evidence untouched */
	assert_string_equal(intent_of(ta, c, "Wann öffnet das Freibad?", &ev), "-");
	assert_string_equal(buf_cstr(&ev), "");
	/* evidence is appended to what the buffer holds */
	text_analysis a;
	text_analysis_init(&a);
	const char *t = "Störung!";
	assert_int_equal(text_analyze_as(ta, "de", t, strlen(t), &a), CT_OK);
	buf_reset(&ev);
	assert_int_equal(buf_puts(&ev, "x: "), CT_OK);
	assert_non_null(text_match_intent(c, &a, &ev));
	assert_string_equal(buf_cstr(&ev), "x: Störung, st(ö|oe)rung");
	assert_non_null(text_match_intent(c, &a, NULL));
	/* an empty text, an empty concept */
	assert_int_equal(text_analyze(ta, "", 0, &a), CT_OK);
	assert_null(text_match_intent(c, &a, NULL));
	concept empty;
	memset(&empty, 0, sizeof(empty));
	assert_null(text_match_intent(&empty, &a, NULL));

	/* text_has_stem: the index of the first stem present */
	t = "Die Zählerstände und die Rechnungen";
	assert_int_equal(text_analyze(ta, t, strlen(t), &a), CT_OK);
	concept_strings st =
		stems("de", (const char *const[]){"Abschlag", "Rechnung", "Zählerstand", NULL});
	size_t which = 99;
	assert_int_equal(text_has_stem(&a, &st, &which), 1);
	assert_int_equal(which, 1);
	assert_int_equal(text_has_stem(&a, &st, NULL), 1);
	free_strings(&st);
	st = stems("de", (const char *const[]){"Abschlag", NULL});
	assert_int_equal(text_has_stem(&a, &st, &which), 0);
	free_strings(&st);
	assert_int_equal(text_has_stem(&a, NULL, NULL), 0);

	text_analysis_free(&a);
	buf_free(&ev);
	free_concept(c);
	text_analyzer_free(ta);
}

/* ---- One concept, many threads (each with its own analyzer) -------------- */

typedef struct worker {
	const concept *c;
	int ok;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	text_analyzer *ta = de_en();
	text_analysis a;
	text_analysis_init(&a);
	buf ev;
	buf_init(&ev, 0);
	const char *t[] = {"Stromausfall! Ist das eine Störung?", "Rechnung zu hoch",
			   "The power is out", "Großes Lob"};
	const char *want[] = {"outage", "billing", "outage", "praise"};
	w->ok = 1;
	for (int i = 0; i < 2000; i++) {
		int k = i % 4;
		buf_reset(&ev);
		if (text_analyze(ta, t[k], strlen(t[k]), &a) != CT_OK) {
			w->ok = 0;
			break;
		}
		const concept_intent *in = text_match_intent(w->c, &a, &ev);
		if (!in || strcmp(in->name, want[k]) != 0)
			w->ok = 0;
	}
	buf_free(&ev);
	text_analysis_free(&a);
	text_analyzer_free(ta);
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	concept *c = test_concept();
	pthread_t th[4];
	worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (worker){c, 0};
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_true(w[i].ok);
	}
	free_concept(c);
}

/* ---- Timing (printed, never asserted) ------------------------------------- */

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void test_timing(void **state)
{
	(void)state;
	const char *msgs[] = {
		"Guten Morgen, seit 6:45 haben wir in der Musterstraße keinen Strom mehr. Wann "
		"geht es wieder? Danke für eine kurze Info!",
		"Hi, the power has been out in our street since early this morning and the hotline "
		"is busy. Any update? Thanks",
		"Meine Abschlagszahlung wurde von 85 auf 142 Euro erhöht, das kann doch nicht "
		"stimmen. Bitte um Rückruf, Kundennummer 4711-0815.",
		"Your technician never showed up, I took a day off for nothing. Very disappointed "
		"😡 #stadtwerke",
	};
	text_analyzer *ta = de_en();
	concept *c = test_concept();
	text_analysis a;
	text_analysis_init(&a);
	buf ev;
	buf_init(&ev, 0);
	size_t rounds = 20000, bytes = 0;
	double t0 = now_us();
	for (size_t i = 0; i < rounds; i++) {
		const char *m = msgs[i % 4];
		size_t len = strlen(m);
		bytes += len;
		(void)text_analyze(ta, m, len, &a);
	}
	double t1 = now_us();
	for (size_t i = 0; i < rounds; i++) {
		(void)text_analyze(ta, msgs[i % 4], strlen(msgs[i % 4]), &a);
		buf_reset(&ev);
		(void)text_match_intent(c, &a, &ev);
	}
	double t2 = now_us();
	printf("  text_analyze: %.2f us per message (%zu bytes on average); with "
	       "text_match_intent (3 intents): %.2f us\n",
	       (t1 - t0) / (double)rounds, bytes / rounds, (t2 - t1) / (double)rounds);
	buf_free(&ev);
	text_analysis_free(&a);
	free_concept(c);
	text_analyzer_free(ta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise), cmocka_unit_test(test_normalise_hostile),
		cmocka_unit_test(test_words),     cmocka_unit_test(test_stems),
		cmocka_unit_test(test_reuse),     cmocka_unit_test(test_analyzer_errors),
		cmocka_unit_test(test_sentiment), cmocka_unit_test(test_match_intent),
		cmocka_unit_test(test_threads),   cmocka_unit_test(test_timing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

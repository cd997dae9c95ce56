/*
 * test_fts_stem.c: unit tests for the German stemming tokenizer
 * (src/store/fts_stem.c) through fts_stem_words: case folding, German
 * Snowball stems, Unicode normalisation (decomposed umlauts, compatibility
 * characters), accents and variation selectors dropped as the PostgreSQL
 * backend drops them, combining marks of other scripts kept inside words,
 * word splitting and robustness against invalid UTF-8 and very long words;
 * and the search hits to highlight (store_text_hits): byte ranges of the
 * words whose stem is one of the query's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/fts_stem.h"
#include "store/store.h"

#define MAX_WORDS 16

typedef struct words {
	int n;
	char w[MAX_WORDS][300];
} words;

static void collect(void *ctx, const char *w, int n)
{
	words *ws = ctx;
	if (ws->n >= MAX_WORDS || n < 0 || (size_t)n >= sizeof(ws->w[0]))
		fail_msg("unexpected word #%d of %d bytes", ws->n, n);
	memcpy(ws->w[ws->n], w, (size_t)n);
	ws->w[ws->n][n] = '\0';
	ws->n++;
}

static words tokenize(const char *text)
{
	words ws;
	memset(&ws, 0, sizeof(ws));
	int count = fts_stem_words(text, (int)strlen(text), collect, &ws);
	assert_int_equal(count, ws.n);
	return ws;
}

/* The single stem of a one-word text. */
static void stem_of(const char *text, char *out, size_t size)
{
	words ws = tokenize(text);
	if (ws.n != 1)
		fail_msg("'%s' gave %d words, expected 1", text, ws.n);
	assert_true(strlen(ws.w[0]) < size);
	memcpy(out, ws.w[0], strlen(ws.w[0]) + 1);
}

static void assert_same_stem(const char *a, const char *b)
{
	char sa[300], sb[300];
	stem_of(a, sa, sizeof(sa));
	stem_of(b, sb, sizeof(sb));
	if (strcmp(sa, sb) != 0)
		fail_msg("'%s' -> '%s' but '%s' -> '%s'", a, sa, b, sb);
}

static void test_case_folding(void **state)
{
	(void)state;
	assert_same_stem("Zähler", "zähler");
	assert_same_stem("ZÄHLER", "zähler");
	assert_same_stem("Straße", "straße");
	char s[300];
	stem_of("Zähler", s, sizeof(s));
	/* the stem is lower case: no upper-case ASCII letters remain */
	for (const char *p = s; *p; p++)
		assert_false(*p >= 'A' && *p <= 'Z');
}

static void test_german_stems(void **state)
{
	(void)state;
	assert_same_stem("Stromausfälle", "Stromausfall");
	assert_same_stem("Zählers", "Zähler");
	assert_same_stem("Rechnungen", "Rechnung");
	assert_same_stem("Abschläge", "Abschlag");
	/* stemming really happens: the plural is not just lower-cased */
	char s[300];
	stem_of("Stromausfälle", s, sizeof(s));
	assert_string_not_equal(s, "stromausfälle");
	/* and different words stay different */
	char a[300], b[300];
	stem_of("Zähler", a, sizeof(a));
	stem_of("Strom", b, sizeof(b));
	assert_string_not_equal(a, b);
}

static void test_decomposed_umlaut(void **state)
{
	(void)state;
	/* "Za" + U+0308 COMBINING DIAERESIS + "hler" is the NFD form of "Zähler" */
	assert_same_stem("Za\xcc\x88hler", "Z\xc3\xa4hler");
	assert_same_stem("Stromausfa\xcc\x88lle", "Stromausfall");
	words ws = tokenize("Der Za\xcc\x88hler ist kaputt");
	assert_int_equal(ws.n, 4);
}

static void test_accents_dropped(void **state)
{
	(void)state;
	/* as PostgreSQL's cluetrain_fts_text: after decomposition, accents go */
	assert_same_stem("Café", "cafe");
	assert_same_stem("CAFE\xcc\x81", "café"); /* E + U+0301 COMBINING ACUTE */
	assert_same_stem("Ayşe", "ayse");
	assert_same_stem("İstanbul", "istanbul");
	assert_same_stem("Zähler", "Zahler"); /* the stemmer folds umlauts anyway */
	assert_same_stem("Müller", "muller");
	/* not every letter decomposes: these stay what they are */
	char a[300], b[300];
	stem_of("Łódź", a, sizeof(a));
	stem_of("lodz", b, sizeof(b));
	assert_string_not_equal(a, b);
	/* a mark with nothing to attach to is no word, and splits nothing */
	assert_int_equal(fts_stem_words("\xcc\x81", 2, NULL, NULL), 0);
	words ws = tokenize("eins \xcc\x81 zwei");
	assert_int_equal(ws.n, 2);
}

static void test_compatibility_characters(void **state)
{
	(void)state;
	assert_same_stem("\xef\xac\x81nden", "finden"); /* U+FB01 LATIN SMALL LIGATURE FI */
	assert_same_stem("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3", "abc"); /* full width */
	char s[300];
	stem_of("m\xc2\xb3", s, sizeof(s)); /* m³ is one word, m3 */
	assert_string_equal(s, "m3");
	/* ½ is 1, FRACTION SLASH, 2: two words */
	words ws = tokenize("\xc2\xbd");
	assert_int_equal(ws.n, 2);
	assert_string_equal(ws.w[0], "1");
	assert_string_equal(ws.w[1], "2");
}

static void test_emoji_and_variation_selectors(void **state)
{
	(void)state;
	/* "❤️" is U+2764 and U+FE0F VARIATION SELECTOR-16 (a mark): no word,
	 * else a search for one emoji would find every message with any */
	static const char *const none[] = {"\xe2\x9d\xa4\xef\xb8\x8f",
					   "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
					   "\xf0\x9f\x8f\x8a\xe2\x80\x8d\xe2\x99\x80\xef\xb8\x8f"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		words ws = tokenize(none[i]);
		if (ws.n != 0)
			fail_msg("'%s' gave %d words", none[i], ws.n);
	}
	words ws = tokenize("Herz\xe2\x9d\xa4\xef\xb8\x8fSchmerz");
	assert_int_equal(ws.n, 2);
}

static void test_other_scripts(void **state)
{
	(void)state;
	/* marks of other scripts stay inside their word, which is composed again */
	assert_int_equal(fts_stem_words("हिन्दी", (int)strlen("हिन्दी"), NULL, NULL), 1);
	assert_int_equal(fts_stem_words("עִבְרִית", (int)strlen("עִבְרִית"), NULL, NULL), 1);
	char s[300];
	stem_of("한국어", s, sizeof(s)); /* decomposed to jamo, composed again */
	assert_string_equal(s, "한국어");
	stem_of("が", s, sizeof(s));
	assert_string_equal(s, "が");
	assert_same_stem("Ελληνικά", "ελληνικα");
}

static void test_punctuation_only(void **state)
{
	(void)state;
	static const char *const none[] = {
		"",
		" ",
		"!!!",
		"... ,,, ;;;",
		"- / \\ ( ) [ ] { }",
		"\xe2\x80\x94 \xe2\x80\x9e\xe2\x80\x9c",
		"\t\r\n",
		"\"\"",
		"* + = ?",
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		words ws = tokenize(none[i]);
		if (ws.n != 0)
			fail_msg("'%s' gave %d words", none[i], ws.n);
	}
	assert_int_equal(fts_stem_words("!?", 2, NULL, NULL), 0);
}

static void test_word_splitting(void **state)
{
	(void)state;
	words ws = tokenize("Guten Tag, mein Zähler (Nr. 4711) läuft rückwärts!");
	assert_int_equal(ws.n, 8);
	assert_string_equal(ws.w[5], "4711");
	ws = tokenize("strom-ausfall");
	assert_int_equal(ws.n, 2);
	ws = tokenize("e-mail@stadtwerk.de");
	assert_int_equal(ws.n, 4);
	/* a NULL callback still counts */
	assert_int_equal(fts_stem_words("eins zwei drei", 14, NULL, NULL), 3);
	/* only len bytes are read */
	assert_int_equal(fts_stem_words("eins zwei drei", 4, NULL, NULL), 1);
	assert_int_equal(fts_stem_words("eins", 0, NULL, NULL), 0);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	/* invalid bytes separate words and never crash */
	words ws = tokenize("abc\xff"
			    "def \xc3 ghi \xe2\x82");
	assert_int_equal(ws.n, 3);
	ws = tokenize("\xff\xfe\xfd");
	assert_int_equal(ws.n, 0);
	/* an overlong encoding of '/' is not a letter */
	ws = tokenize("a\xc0\xaf"
		      "b");
	assert_int_equal(ws.n, 2);
}

/* Is s well-formed UTF-8 (no sequence cut in half)? */
static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int extra = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : 3;
		p++;
		for (int i = 0; i < extra; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static void test_long_word(void **state)
{
	(void)state;
	char text[5000];
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	words ws = tokenize(text);
	assert_int_equal(ws.n, 1);
	assert_true(strlen(ws.w[0]) <= 256);
	/* a long word of two-byte letters is cut on a character boundary */
	char umlauts[3001];
	for (int i = 0; i < 1500; i++)
		memcpy(umlauts + 2 * i, "\xc3\xa4", 2);
	umlauts[3000] = '\0';
	ws = tokenize(umlauts);
	assert_int_equal(ws.n, 1);
	assert_true(strlen(ws.w[0]) <= 256);
	assert_true(valid_utf8(ws.w[0]));
}

/* The hits of q in text as "[word]" marks around the original bytes. */
static void marked(const char *q, const char *text, char *out, size_t size)
{
	size_t starts[16], ends[16];
	size_t n = store_text_hits(q, text, starts, ends, 16);
	size_t o = 0, at = 0, len = strlen(text);
	for (size_t i = 0; i <= n; i++) {
		size_t to = i < n ? starts[i] : len;
		assert_true(to >= at && to <= len);
		assert_true(o + (to - at) + 2 < size);
		memcpy(out + o, text + at, to - at);
		o += to - at;
		if (i == n)
			break;
		assert_true(ends[i] > starts[i] && ends[i] <= len);
		assert_true(o + (ends[i] - starts[i]) + 3 < size);
		out[o++] = '[';
		memcpy(out + o, text + starts[i], ends[i] - starts[i]);
		o += ends[i] - starts[i];
		out[o++] = ']';
		at = ends[i];
	}
	out[o] = '\0';
}

static void assert_marked(const char *q, const char *text, const char *expected)
{
	char out[1024];
	marked(q, text, out, sizeof(out));
	if (strcmp(out, expected) != 0)
		fail_msg("query '%s' on '%s' gave '%s', expected '%s'", q, text, out, expected);
}

static void test_hits_follow_the_stems(void **state)
{
	(void)state;
	assert_marked("Stromausfall", "Wieder Stromausfälle! Der Stromausfall dauert.",
		      "Wieder [Stromausfälle]! Der [Stromausfall] dauert.");
	assert_marked("zähler", "Der Zähler, mein zähler, ZÄHLERS Zählerstand",
		      "Der [Zähler], mein [zähler], [ZÄHLERS] Zählerstand");
	/* compounds and other words are no hits */
	assert_marked("zähler", "Zählerstand und Stromzähler", "Zählerstand und Stromzähler");
	/* every word of the query, in any order, each word on its own */
	assert_marked("rechnung  ABSCHLAG", "Abschläge laut Rechnungen: Abschlag",
		      "[Abschläge] laut [Rechnungen]: [Abschlag]");
	/* a phrase written with a hyphen marks its words, not the hyphen */
	assert_marked("strom-ausfall", "Strom ausfall", "[Strom] [ausfall]");
	/* decomposed umlauts: the range covers the original bytes */
	assert_marked("Zähler", "Za\xcc\x88hler!", "[Za\xcc\x88hler]!");
	assert_marked("cafe", "Café\xe2\x9d\xa4", "[Café]\xe2\x9d\xa4");
}

static void test_hits_edge_cases(void **state)
{
	(void)state;
	size_t starts[4], ends[4];
	assert_int_equal(store_text_hits("!!!", "!!! Strom", starts, ends, 4), 0);
	assert_int_equal(store_text_hits("", "Strom", starts, ends, 4), 0);
	assert_int_equal(store_text_hits("strom", "", starts, ends, 4), 0);
	assert_int_equal(store_text_hits(NULL, "Strom", starts, ends, 4), 0);
	assert_int_equal(store_text_hits("strom", NULL, starts, ends, 4), 0);
	assert_int_equal(store_text_hits("strom", "Strom", starts, ends, 0), 0);
	/* at most max ranges, the first ones */
	assert_int_equal(store_text_hits("a", "a a a a a a", starts, ends, 4), 4);
	assert_int_equal(starts[0], 0);
	assert_int_equal(ends[3], 7);
	/* invalid UTF-8 next to a hit stays outside it */
	assert_marked("abc",
		      "\xff"
		      "abc\xfe",
		      "\xff"
		      "[abc]\xfe");
	/* a very long word is one hit over all of its bytes */
	char text[2000];
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(store_text_hits(text, text, starts, ends, 4), 1);
	assert_int_equal(starts[0], 0);
	assert_int_equal(ends[0], sizeof(text) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_folding),
		cmocka_unit_test(test_german_stems),
		cmocka_unit_test(test_decomposed_umlaut),
		cmocka_unit_test(test_punctuation_only),
		cmocka_unit_test(test_word_splitting),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_long_word),
		cmocka_unit_test(test_accents_dropped),
		cmocka_unit_test(test_compatibility_characters),
		cmocka_unit_test(test_emoji_and_variation_selectors),
		cmocka_unit_test(test_other_scripts),
		cmocka_unit_test(test_hits_follow_the_stems),
		cmocka_unit_test(test_hits_edge_cases),
	};
	return cmocka_run_group_tests_name("fts_stem", tests, NULL, NULL);
}

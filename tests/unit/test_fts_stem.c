/*
 * test_fts_stem.c: unit tests for the German stemming tokenizer
 * (src/store/fts_stem.c) through fts_stem_words: case folding, German
 * Snowball stems, Unicode normalisation (decomposed umlauts), word splitting
 * and robustness against invalid UTF-8 and very long words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/fts_stem.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_folding),      cmocka_unit_test(test_german_stems),
		cmocka_unit_test(test_decomposed_umlaut), cmocka_unit_test(test_punctuation_only),
		cmocka_unit_test(test_word_splitting),    cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_long_word),
	};
	return cmocka_run_group_tests_name("fts_stem", tests, NULL, NULL);
}

/*
 * test_language.c: language detection of the text analyzer
 * (src/triage/language.c) on tests/data/language/mixed.tsv, a set of short
 * German and English customer messages written for cluetrain: with the
 * analyzer restricted to de and en, at least 99 % must be right. Prints the
 * accuracy, every misclassified line, how often libexttextcat was asked
 * and the time per message (informational; never asserted). Also: the
 * fallback to the first language for texts without evidence, and the
 * order of the languages deciding that fallback. Run from the repo root.
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

#include "triage/text.h"

#define SET "tests/data/language/mixed.tsv"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

typedef struct sample {
	char lang[8];
	char *text;
} sample;

/* The samples of the set (lines "lang<TAB>text", '#' lines skipped). */
static sample *load(size_t *n)
{
	FILE *f = fopen(SET, "r");
	if (!f)
		fail_msg("cannot open %s (run the tests from the repository root)", SET);
	sample *s = NULL;
	size_t cap = 0;
	*n = 0;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab || tab - line >= 8)
			fail_msg("bad line in %s: %s", SET, line);
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			s = realloc(s, cap * sizeof(*s));
			assert_non_null(s);
		}
		memset(s[*n].lang, 0, sizeof(s[*n].lang));
		memcpy(s[*n].lang, line, (size_t)(tab - line));
		s[*n].text = strdup(tab + 1);
		assert_non_null(s[*n].text);
		(*n)++;
	}
	fclose(f);
	return s;
}

static void test_accuracy(void **state)
{
	(void)state;
	size_t n;
	sample *s = load(&n);
	assert_true(n >= 600);
	const char *langs[] = {"de", "en"};
	const char *why = NULL;
	text_analyzer *ta = text_analyzer_new(langs, 2, &why);
	if (!ta)
		fail_msg("analyzer: %s", why);
	text_analysis a;
	text_analysis_init(&a);
	size_t right = 0, per_lang[2] = {0, 0}, right_lang[2] = {0, 0};
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(text_analyze(ta, s[i].text, strlen(s[i].text), &a), CT_OK);
		int k = strcmp(s[i].lang, "de") == 0 ? 0 : 1;
		per_lang[k]++;
		if (strcmp(a.language, s[i].lang) == 0) {
			right++;
			right_lang[k]++;
		} else {
			printf("  wrong: %s as %s: %s\n", s[i].lang, a.language, s[i].text);
		}
	}
	double acc = 100.0 * (double)right / (double)n;
	printf("  language accuracy: %.2f %% (%zu of %zu; de %zu/%zu, en %zu/%zu)\n", acc, right, n,
	       right_lang[0], per_lang[0], right_lang[1], per_lang[1]);

	/* Timing, for information: the whole analysis, several rounds. */
	size_t rounds = 20, bytes = 0;
	double t0 = now_us();
	for (size_t r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(s[i].text);
			bytes += len;
			(void)text_analyze(ta, s[i].text, len, &a);
		}
	double dt = now_us() - t0;
	printf("  text_analyze: %.2f us per message (mean %zu bytes)\n", dt / (double)(rounds * n),
	       bytes / (rounds * n));

	text_analysis_free(&a);
	text_analyzer_free(ta);
	for (size_t i = 0; i < n; i++)
		free(s[i].text);
	free(s);
	assert_true(acc >= 99.0);
}

/* Without any evidence the first language is the answer. */
static void test_fallback(void **state)
{
	(void)state;
	const char *de_en[] = {"de", "en"}, *en_de[] = {"en", "de"};
	text_analyzer *a1 = text_analyzer_new(de_en, 2, NULL);
	text_analyzer *a2 = text_analyzer_new(en_de, 2, NULL);
	assert_non_null(a1);
	assert_non_null(a2);
	text_analysis a;
	text_analysis_init(&a);
	const char *nothing[] = {"", "👍", "12345", "!!!", "https://example.org/x", "@someone"};
	for (size_t i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++) {
		assert_int_equal(text_analyze(a1, nothing[i], strlen(nothing[i]), &a), CT_OK);
		assert_string_equal(a.language, "de");
		assert_int_equal(text_analyze(a2, nothing[i], strlen(nothing[i]), &a), CT_OK);
		assert_string_equal(a.language, "en");
	}
	/* Clear texts do not depend on the order. */
	const char *de = "Seit heute morgen haben wir keinen Strom mehr";
	const char *en = "We have had no power since this morning";
	assert_int_equal(text_analyze(a2, de, strlen(de), &a), CT_OK);
	assert_string_equal(a.language, "de");
	assert_int_equal(text_analyze(a1, en, strlen(en), &a), CT_OK);
	assert_string_equal(a.language, "en");
	text_analysis_free(&a);
	text_analyzer_free(a1);
	text_analyzer_free(a2);
}

/* One language: no detection, no classifier needed. */
static void test_single_language(void **state)
{
	(void)state;
	const char *de[] = {"de"};
	text_analyzer *ta = text_analyzer_new(de, 1, NULL);
	assert_non_null(ta);
	text_analysis a;
	text_analysis_init(&a);
	const char *en = "This is clearly English text";
	assert_int_equal(text_analyze(ta, en, strlen(en), &a), CT_OK);
	assert_string_equal(a.language, "de");
	text_analysis_free(&a);
	text_analyzer_free(ta);
}

/* Other languages go to textcat alone (no function words for them). */
static void test_other_languages(void **state)
{
	(void)state;
	const char *langs[] = {"de", "en", "fr"};
	const char *why = NULL;
	text_analyzer *ta = text_analyzer_new(langs, 3, &why);
	if (!ta)
		fail_msg("analyzer: %s", why);
	text_analysis a;
	text_analysis_init(&a);
	const char *fr = "Bonjour, nous n'avons plus d'électricité depuis ce matin dans notre rue";
	assert_int_equal(text_analyze(ta, fr, strlen(fr), &a), CT_OK);
	assert_string_equal(a.language, "fr");
	const char *de = "Guten Morgen, seit sechs Uhr haben wir in der Straße keinen Strom";
	assert_int_equal(text_analyze(ta, de, strlen(de), &a), CT_OK);
	assert_string_equal(a.language, "de");
	text_analysis_free(&a);
	text_analyzer_free(ta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_single_language),
		cmocka_unit_test(test_other_languages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

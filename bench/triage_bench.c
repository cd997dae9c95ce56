/*
 * triage_bench.c: how fast triage decides, on one core, and how well it
 * tells German from English.
 *
 *   triage_bench CONCEPT.yaml MESSAGES.jsonl LANGUAGE_SET.tsv [RULES]
 *
 * The concept (the Stadtwerk example) gets more rules, keyword and channel
 * rules of the kind a concept grows, until it has RULES (default 50). Every message
 * text of the JSON-lines file and of the language set is triaged in a loop
 * (language detection, stems, sentiment, intent, every rule, the SLA due
 * time) for about three seconds on this thread. Then every line of the
 * language set ("lang<TAB>text", '#' comments) is classified among de and
 * en. Prints one JSON object.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "triage/triage.h"

typedef struct texts {
	char **items;
	char **langs; /* for the language set; NULL entries otherwise */
	size_t n, cap;
} texts;

static void texts_add(texts *t, const char *text, const char *lang)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->items = xrealloc(t->items, t->cap * sizeof(char *));
		t->langs = xrealloc(t->langs, t->cap * sizeof(char *));
	}
	t->items[t->n] = xstrdup(text);
	t->langs[t->n++] = lang ? xstrdup(lang) : NULL;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf b;
	buf_init(&b, 64u << 20);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len);
}

/* The concept's text with extra rules put first in its rules list (right
 * after the line "rules:"); NULL when it cannot be read or has no rules. */
static char *concept_with_rules(const char *path, int extra)
{
	size_t len = 0;
	char *text = read_all(path, &len);
	char *at = text ? strstr(text, "\nrules:\n") : NULL;
	if (!at) {
		free(text);
		return NULL;
	}
	static const char *const words[] = {"zählerstand", "abschlag", "rechnung",  "vertrag",
					    "kündigung",   "umzug",    "glasfaser", "wärme",
					    "wasser",      "gas",      "tarif",     "bonus"};
	static const char *const channels[] = {"facebook", "instagram", "x", "email", "api"};
	size_t head = (size_t)(at - text) + strlen("\nrules:\n");
	buf b;
	buf_init(&b, 16u << 20);
	buf_append(&b, text, head);
	for (int i = 0; i < extra; i++)
		buf_printf(&b,
			   "  - name: bench-%d\n    when: {keywords: [%s], channel: [%s]}\n"
			   "    then: {tags: [bench-%d]}\n",
			   i, words[i % 12], channels[i % 5], i);
	buf_append(&b, text + head, len - head);
	free(text);
	return buf_detach(&b, &len);
}

static void load_jsonl(const char *path, texts *t)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[1 << 16];
	while (fgets(line, sizeof(line), f)) {
		json_t *o = json_loads(line, 0, NULL);
		const char *text = json_string_value(json_object_get(o, "text"));
		if (text)
			texts_add(t, text, NULL);
		json_decref(o);
	}
	fclose(f);
}

static void load_tsv(const char *path, texts *t)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[1 << 16];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *tab = strchr(line, '\t');
		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		texts_add(t, tab + 1, line);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
			"usage: triage_bench CONCEPT MESSAGES.jsonl LANGUAGE.tsv [RULES]\n");
		return 2;
	}
	int want = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 50;
	concept *k = NULL;
	concept_errors errs = {0};
	char *source = concept_with_rules(argv[1], 0);
	if (source && concept_parse(source, strlen(source), &k, &errs) == CT_OK) {
		want -= (int)k->n_rules;
		concept_free(k);
		k = NULL;
	}
	free(source);
	source = concept_with_rules(argv[1], want > 0 ? want : 0);
	if (!source || concept_parse(source, strlen(source), &k, &errs) != CT_OK) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "concept:%d:%d: %s: %s\n", errs.items[i].line,
				errs.items[i].column, errs.items[i].path, errs.items[i].message);
		return 1;
	}
	free(source);
	size_t rules = k->n_rules;
	triage_engine *e = triage_engine_new(k, 0);
	texts msgs = {0}, langs = {0};
	load_jsonl(argv[2], &msgs);
	load_tsv(argv[3], &langs);
	for (size_t i = 0; i < langs.n; i++)
		texts_add(&msgs, langs.items[i], NULL);
	if (!msgs.n)
		return 1;

	static const char *const channels[] = {"facebook", "instagram", "x", "email", "api"};
	triage_result r;
	triage_result_init(&r);
	long long done = 0;
	int64_t at = 1795420136000LL; /* Monday 2026-11-23 07:48:56 UTC */
	double t0 = seconds(), t1;
	do {
		for (size_t i = 0; i < msgs.n; i++, done++) {
			triage_input in = {.channel_name = channels[done % 5],
					   .channel_kind = channels[done % 5],
					   .text = msgs.items[i],
					   .len = strlen(msgs.items[i]),
					   .at = at + (done % 1000) * 600000LL,
					   .first_contact = (int)(done % 7 == 0)};
			triage_run(e, &in, &r);
			if (r.sla)
				(void)triage_due(k, r.sla, in.at, r.sla->first_response_ms);
		}
		t1 = seconds();
	} while (t1 - t0 < 3.0);
	double rate = (double)done / (t1 - t0);

	const char *const de_en[] = {"de", "en"};
	const char *why = NULL;
	text_analyzer *ta = text_analyzer_new(de_en, 2, &why);
	text_analysis a;
	text_analysis_init(&a);
	size_t right = 0;
	for (size_t i = 0; ta && i < langs.n; i++) {
		text_analyze(ta, langs.items[i], strlen(langs.items[i]), &a);
		right += strcmp(a.language, langs.langs[i]) == 0;
	}
	printf("{\"triage_msgs_per_s\": %.0f, \"triage_rules\": %zu, \"triage_texts\": %zu,"
	       " \"triage_runs\": %lld, \"language_set\": %zu, \"language_correct\": %zu,"
	       " \"language_accuracy\": %.4f}\n",
	       rate, rules, msgs.n, done, langs.n, right,
	       langs.n ? (double)right / (double)langs.n : 0.0);
	text_analysis_free(&a);
	text_analyzer_free(ta);
	triage_result_free(&r);
	triage_engine_unref(e);
	return 0;
}

/*
 * test_concept.c: unit tests for the dialog-concept loader
 * (src/triage/concept*.c): the example concept of docs/examples parses and
 * holds what it says (teams, stems, phrases, patterns, rules, SLA policies,
 * the calendar, automatic replies), and every kind of error is reported
 * with the right line, column, key path and message; a document with
 * several errors reports all of them in document order.
 *
 * Run from the repository root (the example is read from docs/examples/).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcre2.h>

#include "core/buf.h"
#include "triage/calendar.h"
#include "triage/concept.h"

#define EXAMPLE "docs/examples/concept-stadtwerk.yaml"

/* A valid concept of 11 lines, office_hours last; tests append blocks
 * from line 12 on (or days of office_hours). */
#define BASE                             \
	"name: Test\n"                   \
	"time_zone: Europe/Berlin\n"     \
	"languages:\n"                   \
	"  de: {team: Kundenservice}\n"  \
	"  en: {team: International}\n"  \
	"fallback_team: Kundenservice\n" \
	"teams:\n"                       \
	"  Kundenservice: {}\n"          \
	"  International: {}\n"          \
	"office_hours:\n"                \
	"  mon: [\"08:00-18:00\"]\n"

/* Valid concepts of 6 lines ending in teams and in languages, for tests
 * that add a team or a language on line 7. */
#define TEAMS_LAST                                                                \
	"name: T\ntime_zone: UTC\nlanguages: {de: {team: A}}\nfallback_team: A\n" \
	"teams:\n  A: {}\n"
#define LANGUAGES_LAST                                                \
	"name: T\ntime_zone: UTC\nfallback_team: A\nteams: {A: {}}\n" \
	"languages:\n  de: {team: A}\n"

/* The whole file at path, NUL-terminated; *len its size. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run the test from the repository root)", path);
	buf b;
	buf_init(&b, 0);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_append(&b, chunk, n), CT_OK);
	fclose(f);
	return buf_detach(&b, len);
}

static void print_errors(const concept_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		print_message("  %d:%d: %s: %s\n", e->items[i].line, e->items[i].column,
			      e->items[i].path, e->items[i].message);
}

/* Parse text that must be valid; the caller frees the concept. */
static concept *parse_ok(const char *text, size_t len)
{
	concept *c = NULL;
	concept_errors e = {0};
	ct_err err = concept_parse(text, len, &c, &e);
	if (err != CT_OK || !c || e.n) {
		print_errors(&e);
		fail_msg("the concept does not parse (err %d, %zu errors)", (int)err, e.n);
	}
	concept_errors_free(&e);
	return c;
}

/* Parse text that must be refused; the caller frees the errors. */
static concept_errors parse_bad(const char *text, size_t len)
{
	concept *c = (concept *)&c; /* not NULL: concept_parse must clear it */
	concept_errors e = {0};
	ct_err err = concept_parse(text, len, &c, &e);
	if (err != CT_ERR_INVALID || c || e.n == 0)
		fail_msg("expected errors, got err %d, %zu errors", (int)err, e.n);
	return e;
}

/* Error i must be at line:column, with path and message. */
static void check_error(const concept_errors *e, size_t i, int line, int column, const char *path,
			const char *message)
{
	if (i >= e->n) {
		print_errors(e);
		fail_msg("expected at least %zu errors, got %zu", i + 1, e->n);
	}
	const concept_error *x = &e->items[i];
	if (x->line != line || x->column != column || strcmp(x->path, path) != 0 ||
	    strcmp(x->message, message) != 0) {
		print_errors(e);
		fail_msg("error %zu is\n  %d:%d: %s: %s\nexpected\n  %d:%d: %s: %s", i, x->line,
			 x->column, x->path, x->message, line, column, path, message);
	}
}

/* The document must yield exactly this one error. */
static void expect_one(const char *text, int line, int column, const char *path,
		       const char *message)
{
	concept_errors e = parse_bad(text, strlen(text));
	check_error(&e, 0, line, column, path, message);
	if (e.n != 1) {
		print_errors(&e);
		fail_msg("expected 1 error, got %zu", e.n);
	}
	concept_errors_free(&e);
}

static const concept_rule *rule_named(const concept *c, const char *name)
{
	for (size_t i = 0; i < c->n_rules; i++)
		if (strcmp(c->rules[i].name, name) == 0)
			return &c->rules[i];
	fail_msg("no rule %s", name);
	return NULL;
}

static const concept_intent_language *intent_language(const concept *c, const char *intent,
						      const char *language)
{
	const concept_intent *in = concept_intent_by_name(c, intent);
	assert_non_null(in);
	for (size_t i = 0; i < in->n_languages; i++)
		if (strcmp(in->languages[i].language, language) == 0)
			return &in->languages[i];
	fail_msg("intent %s has no language %s", intent, language);
	return NULL;
}

static int has(const concept_strings *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return 1;
	return 0;
}

/* 1 when pattern p matches s. */
static int pattern_matches(const concept_pattern *p, const char *s)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->code, NULL);
	int rc = pcre2_match(p->code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

static void test_example_organisation(void **state)
{
	(void)state;
	size_t len;
	char *text = read_file(EXAMPLE, &len);
	concept *c = parse_ok(text, len);
	free(text);
	assert_string_equal(c->name, "Dialogkonzept Stadtwerke Musterstadt");
	assert_string_equal(c->time_zone, "Europe/Berlin");
	assert_string_equal(c->fallback_team, "Kundenservice");

	assert_int_equal(c->n_languages, 2);
	assert_string_equal(c->languages[0].code, "de"); /* the fallback for detection */
	assert_string_equal(concept_language_team(c, "de"), "Kundenservice");
	assert_string_equal(concept_language_team(c, "en"), "International");
	assert_null(concept_language_team(c, "fr"));

	assert_int_equal(c->n_teams, 5);
	const concept_team *t = concept_team_by_name(c, "Kundenservice");
	assert_non_null(t);
	assert_int_equal(t->assignment, CONCEPT_ASSIGN_LEAST_LOADED);
	assert_int_equal(t->capacity, 8);
	t = concept_team_by_name(c, "Entstörung");
	assert_non_null(t);
	assert_int_equal(t->assignment, CONCEPT_ASSIGN_ROUND_ROBIN);
	assert_int_equal(t->capacity, 5);
	t = concept_team_by_name(c, "Social Media");
	assert_non_null(t);
	assert_int_equal(t->assignment, CONCEPT_ASSIGN_NONE);
	assert_int_equal(t->capacity, 0);
	assert_null(concept_team_by_name(c, "Entstoerung"));

	assert_int_equal(c->n_slas, 3);
	const concept_sla *s = concept_sla_by_name(c, "standard");
	assert_non_null(s);
	assert_int_equal(s->business_time, 1);
	assert_int_equal(s->first_response_ms, 4 * 3600000LL);
	assert_int_equal(s->next_response_ms, 8 * 3600000LL);
	assert_int_equal(s->resolution_ms, 50 * 3600000LL);
	assert_int_equal(s->due_soon_ms, 0);
	s = concept_sla_by_name(c, "urgent");
	assert_int_equal(s->business_time, 0);
	assert_int_equal(s->first_response_ms, 30 * 60000LL);
	assert_int_equal(s->resolution_ms, 8 * 3600000LL);
	s = concept_sla_by_name(c, "social");
	assert_int_equal(s->first_response_ms, 2 * 3600000LL);
	assert_int_equal(s->next_response_ms, 0);
	assert_int_equal(s->resolution_ms, 0);

	assert_string_equal(c->defaults.priority, "normal");
	assert_int_equal(c->defaults.action, CONCEPT_ACTION_ANSWER);
	assert_string_equal(c->defaults.sla, "standard");
	assert_null(c->defaults.team);

	assert_int_equal(c->after_hours.languages.n, 2);
	assert_int_equal(c->first_contact.languages.n, 2);
	const char *reply = concept_auto_reply_text(&c->after_hours, "de");
	assert_non_null(reply);
	assert_non_null(strstr(reply, "{{office_hours.next_open}}"));
	assert_non_null(strstr(concept_auto_reply_text(&c->first_contact, "en"),
			       "{{office_hours.next_open}}"));
	assert_null(concept_auto_reply_text(&c->after_hours, "fr"));
	assert_null(c->after_hours.template_name);
	assert_int_equal(c->strict_intents.n, 1);
	assert_string_equal(c->strict_intents.items[0], "outage");
	concept_free(c);
}

static void test_example_calendar(void **state)
{
	(void)state;
	size_t len;
	char *text = read_file(EXAMPLE, &len);
	concept *c = parse_ok(text, len);
	free(text);
	const calendar *cal = c->cal;
	assert_non_null(cal);
	/* Monday 2026-11-23, 10:00 in Berlin: open */
	assert_true(calendar_is_open(cal, calendar_utc(cal, 2026, 11, 23, 10 * 60)));
	assert_false(calendar_is_open(cal, calendar_utc(cal, 2026, 11, 23, 7 * 60 + 59)));
	assert_false(calendar_is_open(cal, calendar_utc(cal, 2026, 11, 23, 18 * 60)));
	/* Friday until 16:00, Saturday 9-12, Sunday closed */
	assert_true(calendar_is_open(cal, calendar_utc(cal, 2026, 11, 27, 15 * 60)));
	assert_false(calendar_is_open(cal, calendar_utc(cal, 2026, 11, 27, 17 * 60)));
	assert_true(calendar_is_open(cal, calendar_utc(cal, 2026, 11, 28, 10 * 60)));
	assert_false(calendar_is_open(cal, calendar_utc(cal, 2026, 11, 29, 10 * 60)));
	/* Heiligabend (a Thursday), a closure day of the concept */
	assert_false(calendar_is_open(cal, calendar_utc(cal, 2026, 12, 24, 10 * 60)));
	const char *why = NULL;
	assert_true(calendar_is_holiday(cal, 2026, 12, 24, &why));
	assert_string_equal(why, "Heiligabend");
	/* a public holiday of NW: 2026-12-25 (Friday) and Allerheiligen is a Sunday;
	 * Fronleichnam 2026-06-04 (Thursday) */
	assert_false(calendar_is_open(cal, calendar_utc(cal, 2026, 12, 25, 10 * 60)));
	assert_false(calendar_is_open(cal, calendar_utc(cal, 2026, 6, 4, 10 * 60)));
	concept_free(c);
}

static void test_example_intents(void **state)
{
	(void)state;
	size_t len;
	char *text = read_file(EXAMPLE, &len);
	concept *c = parse_ok(text, len);
	free(text);
	assert_int_equal(c->n_intents, 8);
	static const char *const names[] = {"outage", "billing", "meter_reading", "contract",
					    "moving", "praise",  "complaint",     "spam"};
	for (size_t i = 0; i < 8; i++) {
		assert_string_equal(c->intents[i].name, names[i]);
		assert_int_equal(c->intents[i].n_languages, 2);
	}
	assert_null(concept_intent_by_name(c, "none"));

	const concept_intent_language *il = intent_language(c, "outage", "de");
	/* keywords as written, stems parallel: the plural stems like the singular */
	assert_int_equal(il->keywords.n, il->stems.n);
	size_t plural = il->keywords.n, singular = il->keywords.n;
	for (size_t i = 0; i < il->keywords.n; i++) {
		if (strcmp(il->keywords.items[i], "Stromausfälle") == 0)
			plural = i;
		if (strcmp(il->keywords.items[i], "Stromausfall") == 0)
			singular = i;
	}
	assert_true(plural < il->keywords.n && singular < il->keywords.n);
	assert_string_equal(il->stems.items[plural], "stromausfall");
	assert_string_equal(il->stems.items[singular], "stromausfall");
	/* phrases case-folded */
	assert_true(has(&il->phrases, "kein strom"));
	assert_true(has(&il->phrases, "strom weg"));
	/* patterns compiled caseless and UTF-8 aware */
	assert_int_equal(il->n_patterns, 3);
	assert_string_equal(il->patterns[0].source, "st(ö|oe)rung");
	assert_true(pattern_matches(&il->patterns[0], "STÖRUNG in der Südstadt"));
	assert_true(pattern_matches(&il->patterns[0], "Stoerung"));
	assert_false(pattern_matches(&il->patterns[0], "Starung"));
	assert_true(pattern_matches(&il->patterns[2], "seit heute keinen strom mehr"));

	il = intent_language(c, "outage", "en");
	assert_true(has(&il->stems, "outag"));
	il = intent_language(c, "meter_reading", "de");
	assert_true(has(&il->stems, "zahlerstand"));
	concept_free(c);
}

static void test_example_rules(void **state)
{
	(void)state;
	size_t len;
	char *text = read_file(EXAMPLE, &len);
	concept *c = parse_ok(text, len);
	free(text);
	assert_int_equal(c->n_rules, 13);

	const concept_rule *r = rule_named(c, "spam");
	assert_ptr_equal(r, &c->rules[0]);
	assert_true(r->stop);
	assert_int_equal(r->then.action, CONCEPT_ACTION_IGNORE);
	assert_true(has(&r->when.intents, "spam"));

	r = rule_named(c, "stoerung");
	assert_false(r->stop);
	assert_string_equal(r->then.priority, "urgent");
	assert_string_equal(r->then.team, "Entstörung");
	assert_int_equal(r->then.action, CONCEPT_ACTION_ESCALATE);
	assert_string_equal(r->then.sla, "urgent");
	assert_int_equal(r->then.tags.n, 1);
	assert_string_equal(r->then.tags.items[0], "störung");
	assert_int_equal(r->when.first_contact, -1);
	assert_int_equal(r->when.time, CONCEPT_TIME_ANY);
	assert_int_equal(r->when.sentiment, CONCEPT_SENTIMENT_ANY);
	assert_true(r->line > 1);

	r = rule_named(c, "gasgeruch");
	assert_int_equal(r->when.keywords_written.n, 2);
	assert_string_equal(r->when.keywords_written.items[0], "Gasgeruch");
	assert_true(has(&r->when.keywords, "gasgeruch")); /* union over de and en, no repeats */
	assert_int_equal(r->when.keywords.n, 2);

	r = rule_named(c, "beschwerde-oeffentlich");
	assert_int_equal(r->when.sentiment, CONCEPT_SENTIMENT_NEGATIVE);
	assert_int_equal(r->when.channels.n, 4);
	assert_true(has(&r->when.channels, "mastodon"));
	assert_string_equal(r->then.team, "Social Media");
	assert_string_equal(r->then.sla, "social");
	assert_int_equal(r->then.action, CONCEPT_ACTION_NONE);

	r = rule_named(c, "lob");
	assert_int_equal(r->then.action, CONCEPT_ACTION_SHARE);
	assert_string_equal(concept_action_name(r->then.action), "share");

	r = rule_named(c, "geschaeftskunden");
	assert_int_equal(r->when.n_contact, 1);
	assert_string_equal(r->when.contact[0].key, "kundengruppe");
	assert_string_equal(r->when.contact[0].value, "gewerbe");

	r = rule_named(c, "englisch");
	assert_int_equal(r->when.languages.n, 1);
	assert_string_equal(r->when.languages.items[0], "en");

	assert_int_equal(rule_named(c, "erstkontakt")->when.first_contact, 1);
	assert_int_equal(rule_named(c, "social-nach-feierabend")->when.time,
			 CONCEPT_TIME_AFTER_HOURS);
	assert_int_equal(rule_named(c, "abrechnung")->when.intents.n, 2);
	concept_free(c);
}

/* The smallest concept, and what is left at its defaults. */
static void test_minimal(void **state)
{
	(void)state;
	concept *c = parse_ok(BASE, strlen(BASE));
	assert_int_equal(c->n_rules, 0);
	assert_int_equal(c->n_intents, 0);
	assert_null(c->defaults.priority);
	assert_int_equal(c->defaults.action, CONCEPT_ACTION_NONE);
	assert_null(c->after_hours.texts.items);
	assert_int_equal(concept_team_by_name(c, "International")->assignment, CONCEPT_ASSIGN_NONE);
	concept_free(c);
}

/* The other ways to write things: a language without a team, a single
 * value where a list is expected, closed days (null, "closed", []), closure
 * days in both forms, a team without settings, durations of several units. */
static void test_forms(void **state)
{
	(void)state;
	const char *text =
		"name: T\n"
		"time_zone: Europe/Berlin\n"
		"office_hours: {mon: 08:00-12:00, tue: [\"08:00-12:00\", \"13:00 - 24:00\"],"
		" wed: closed, thu: [], fri: }\n"
		"holidays: {state: BY, regional: mariae_himmelfahrt,"
		" closed: [2026-12-24, {date: 2026-12-31, name: Silvester}]}\n"
		"languages: {de: {team: A}, tr: {}, fr: }\n"
		"fallback_team: A\n"
		"teams: {A: }\n"
		"intents: {x: {de: {phrases: \"  Strom   Weg \"}}}\n"
		"sla_policies: {s: {clock: business, resolution: 1d2h30m, due_soon: 1h}}\n"
		"rules:\n"
		"  - {name: r, when: {intent: x, language: de, keywords: Zähler}, then: {tags: a}, "
		"stop: false}\n";
	concept *c = parse_ok(text, strlen(text));
	assert_int_equal(c->n_languages, 3);
	assert_null(concept_language_team(c, "tr"));
	assert_null(concept_language_team(c, "fr"));
	assert_int_equal(c->slas[0].resolution_ms, 86400000LL + 2 * 3600000LL + 30 * 60000LL);
	assert_int_equal(c->slas[0].due_soon_ms, 3600000LL);
	const concept_rule *r = &c->rules[0];
	assert_string_equal(r->when.intents.items[0], "x");
	assert_string_equal(r->when.languages.items[0], "de");
	assert_string_equal(r->when.keywords_written.items[0], "Zähler");
	assert_string_equal(r->then.tags.items[0], "a");
	assert_false(r->stop);
	const concept_intent_language *il = &c->intents[0].languages[0];
	assert_int_equal(il->phrases.n, 1);
	assert_string_equal(il->phrases.items[0], "strom weg");
	assert_true(calendar_is_open(c->cal, calendar_utc(c->cal, 2026, 11, 24, 23 * 60 + 59)));
	assert_false(calendar_is_open(c->cal, calendar_utc(c->cal, 2026, 11, 25, 10 * 60)));
	assert_true(calendar_is_holiday(c->cal, 2026, 8, 15, NULL)); /* Mariä Himmelfahrt */
	assert_true(calendar_is_holiday(c->cal, 2026, 12, 31, NULL));
	concept_free(c);
}

/* ---- the YAML layer ------------------------------------------------------- */

static void test_syntax_error(void **state)
{
	(void)state;
	expect_one(BASE "rules:\n  - name: a\n   then: {}\n", 14, 4, "",
		   "syntax error: did not find expected '-' indicator (while parsing a block "
		   "collection at line 13, column 3)");
	expect_one(BASE "name: a\n  b: c\n", 13, 4, "",
		   "syntax error: mapping values are not allowed in this context");
	expect_one(BASE "x: [a, b\n", 13, 1, "",
		   "syntax error: did not find expected ',' or ']' (while parsing a flow "
		   "sequence at line 12, column 4)");
	expect_one("name: \xff\n", 1, 7, "",
		   "syntax error: invalid leading UTF-8 octet (byte 0xff)");
}

static void test_document_shape(void **state)
{
	(void)state;
	expect_one("", 0, 0, "", "the document is empty");
	expect_one("# nur ein Kommentar\n", 0, 0, "", "the document is empty");
	expect_one("~\n", 1, 1, "", "the document is empty");
	expect_one("- a\n- b\n", 1, 1, "",
		   "the document must be a mapping with keys such as name, time_zone and rules, "
		   "not a list");
	expect_one("hello\n", 1, 1, "",
		   "the document must be a mapping with keys such as name, time_zone and rules, "
		   "not a single value");
	expect_one(BASE "---\nname: again\n", 12, 1, "",
		   "only one YAML document is allowed (remove this '---' and what follows)");
}

static void test_too_large(void **state)
{
	(void)state;
	size_t n = 1024 * 1024 + 1;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, '#', n);
	concept_errors e = parse_bad(big, n);
	check_error(&e, 0, 0, 0, "", "the document is larger than 1 MiB (1048577 bytes)");
	assert_int_equal(e.n, 1);
	concept_errors_free(&e);
	free(big);
}

static void test_duplicate_key(void **state)
{
	(void)state;
	expect_one(BASE "name: Zweiter Name\n", 12, 1, "name",
		   "duplicate key 'name' (first at line 1)");
	expect_one(TEAMS_LAST "  A: {capacity: 3}\n", 7, 3, "teams.A",
		   "duplicate key 'A' (first at line 6)");
}

static void test_anchor_alias_tag(void **state)
{
	(void)state;
	const char *text = BASE "defaults: &d {priority: low}\n"
				"rules:\n"
				"  - {name: a, then: *d}\n";
	concept_errors e = parse_bad(text, strlen(text));
	check_error(&e, 0, 12, 11, "defaults",
		    "anchors (&d) are not supported: write the value out");
	check_error(&e, 1, 14, 21, "rules[0].then",
		    "aliases (*d) are not supported: write the value out");
	assert_int_equal(e.n, 2); /* and no "expected a mapping" for the alias */
	concept_errors_free(&e);
	expect_one(BASE "defaults: {priority: !!str low}\n", 12, 22, "defaults.priority",
		   "tags (!!str) are not supported: write the value without one");
}

static void test_nul_and_keys(void **state)
{
	(void)state;
	const char text[] = BASE "defaults: {team: \"Kunden\\0service\"}\n";
	concept_errors e = parse_bad(text, strlen(text));
	check_error(&e, 0, 12, 18, "defaults.team", "a value must not contain a NUL character");
	assert_int_equal(e.n, 1);
	concept_errors_free(&e);
	expect_one(BASE "? [a]\n: b\n", 12, 3, "",
		   "a key must be plain text, not a list or mapping");
}

static void test_nesting(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	buf_puts(&b, BASE "x: ");
	for (int i = 0; i < 40; i++)
		buf_puts(&b, "[");
	for (int i = 0; i < 40; i++)
		buf_puts(&b, "]");
	buf_puts(&b, "\n");
	concept_errors e = parse_bad(b.data, b.len);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.items[0].line, 12);
	assert_int_equal(e.items[0].column, 35);
	assert_string_equal(e.items[0].message, "nested deeper than 32 levels");
	concept_errors_free(&e);
	buf_free(&b);
}

/* ---- the organisation ------------------------------------------------------ */

static void test_unknown_and_missing_keys(void **state)
{
	(void)state;
	expect_one(BASE "timezone: Europe/Berlin\n", 12, 1, "timezone",
		   "unknown key 'timezone' (did you mean 'time_zone'?)");
	expect_one(BASE "colour: blue\n", 12, 1, "colour", "unknown key 'colour'");
	const char *text = "time_zone: Europe/Berlin\n"
			   "languages: {de: {team: A}}\n"
			   "teams: {A: {}}\n";
	concept_errors e = parse_bad(text, strlen(text));
	check_error(&e, 0, 1, 1, "name", "name is required");
	check_error(&e, 1, 1, 1, "fallback_team", "fallback_team is required");
	assert_int_equal(e.n, 2);
	concept_errors_free(&e);
}

static void test_time_zone(void **state)
{
	(void)state;
	const char *text = "name: T\ntime_zone: Europe/Musterstadt\nlanguages: {de: {team: A}}\n"
			   "fallback_team: A\nteams: {A: {}}\n";
	expect_one(text, 2, 12, "time_zone",
		   "unknown time zone 'Europe/Musterstadt' (an IANA name such as Europe/Berlin)");
	text = "name: T\ntime_zone: ../../etc/passwd\nlanguages: {de: {team: A}}\n"
	       "fallback_team: A\nteams: {A: {}}\n";
	expect_one(text, 2, 12, "time_zone",
		   "unknown time zone '../../etc/passwd' (an IANA name such as Europe/Berlin)");
}

static void test_office_hours(void **state)
{
	(void)state;
	expect_one(BASE "  tue: [\"8-18\"]\n", 12, 9, "office_hours.tue[0]",
		   "'8-18' is not a time range such as 08:00-18:00");
	expect_one(BASE "  tue: [\"18:00-08:00\"]\n", 12, 9, "office_hours.tue[0]",
		   "'18:00-08:00' ends before it starts (or is empty)");
	expect_one(BASE "  tue: [\"08:00-24:30\"]\n", 12, 9, "office_hours.tue[0]",
		   "'08:00-24:30' is not a time range such as 08:00-18:00");
	expect_one(BASE "  tue: [\"08:00-13:00\", \"12:00-18:00\"]\n", 12, 24,
		   "office_hours.tue[1]", "'12:00-18:00' overlaps '08:00-13:00'");
	expect_one(BASE "  tues: []\n", 12, 3, "office_hours.tues",
		   "unknown key 'tues' (did you mean 'tue'?)");
	expect_one(BASE "  tue: {from: 8}\n", 12, 8, "office_hours.tue",
		   "expected a list, found a mapping");
}

static void test_holidays(void **state)
{
	(void)state;
	expect_one(BASE "holidays: {closed: [2026-12-24]}\n", 12, 11, "holidays.state",
		   "state is required");
	expect_one(BASE "holidays: {state: Nrw}\n", 12, 19, "holidays.state",
		   "'Nrw' is not a German federal state (BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, "
		   "RP, SL, SN, ST, SH or TH)");
	expect_one(BASE "holidays: {state: NW, regional: [rosenmontag]}\n", 12, 34,
		   "holidays.regional[0]",
		   "unknown regional holiday 'rosenmontag' (mariae_himmelfahrt, fronleichnam or "
		   "augsburger_friedensfest)");
	expect_one(BASE "holidays: {state: NW, closed: [2026-02-29]}\n", 12, 32,
		   "holidays.closed[0]", "'2026-02-29' is not a date such as 2026-12-24");
	expect_one(BASE "holidays: {state: NW, closed: [{name: Betriebsausflug}]}\n", 12, 32,
		   "holidays.closed[0].date", "date is required");
}

static void test_languages(void **state)
{
	(void)state;
	expect_one(LANGUAGES_LAST "  EN: {team: A}\n", 7, 3, "languages.EN",
		   "language code 'EN' must be two lowercase letters (ISO 639-1) such as de");
	const char *text = "name: T\ntime_zone: UTC\nlanguages: {}\nfallback_team: A\n"
			   "teams: {A: {}}\n";
	expect_one(text, 3, 12, "languages", "at least one language is required");
	expect_one(BASE "intents:\n  outage:\n    fr: {keywords: [panne]}\n", 14, 5,
		   "intents.outage.fr", "language 'fr' is not in languages");
}

static void test_teams(void **state)
{
	(void)state;
	expect_one(BASE "rules:\n"
			"  - {name: a, then: {priority: low}}\n"
			"  - {name: b, then: {priority: low}}\n"
			"  - name: c\n"
			"    then: {team: Entstörung}\n",
		   16, 18, "rules[2].then.team", "team 'Entstörung' is not in teams");
	expect_one(BASE "defaults: {team: Internationl}\n", 12, 18, "defaults.team",
		   "team 'Internationl' is not in teams (did you mean 'International'?)");
	expect_one(TEAMS_LAST "  Vertrieb: {assignment: random}\n", 7, 26,
		   "teams.Vertrieb.assignment",
		   "'random' is not one of none, round_robin or least_loaded");
	expect_one(TEAMS_LAST "  Vertrieb: {capacity: lots}\n", 7, 24, "teams.Vertrieb.capacity",
		   "'lots' is not a whole number from 0 to 10000");
	const char *text = "name: T\ntime_zone: UTC\nlanguages: {de: {team: A}}\n"
			   "fallback_team: B\nteams: {A: {}}\n";
	expect_one(text, 4, 16, "fallback_team", "team 'B' is not in teams");
}

/* ---- intents ---------------------------------------------------------------- */

static void test_intents(void **state)
{
	(void)state;
	expect_one(BASE "intents:\n  outage:\n    de: {patterns: ['st(ö|oe rung']}\n", 14, 21,
		   "intents.outage.de.patterns[0]",
		   "pattern 'st(ö|oe rung' does not compile: missing closing parenthesis (at "
		   "offset 13)");
	expect_one(BASE "intents:\n  none:\n    de: {keywords: [nichts]}\n", 13, 3, "intents.none",
		   "the intent name 'none' is reserved (intent: [none] in a rule matches messages "
		   "without an intent)");
	expect_one(BASE "intents:\n  outage:\n    de: {keywords: [], phrases: []}\n", 14, 9,
		   "intents.outage.de", "needs at least one of keywords, phrases or patterns");
	expect_one(BASE "intents:\n  outage: {}\n", 13, 11, "intents.outage",
		   "an intent needs at least one language (such as de: {keywords: [...]})");
	expect_one(BASE "intents:\n  outage:\n    de: {keywords: [Strom weg]}\n", 14, 21,
		   "intents.outage.de.keywords[0]",
		   "keyword 'Strom weg' is more than one word: put it under phrases");
	expect_one(BASE "intents:\n  outage:\n    de: {phrases: [\"?!\"]}\n", 14, 20,
		   "intents.outage.de.phrases[0]", "phrase '?!' has no letters or digits");
	expect_one(BASE "intents:\n  outage:\n    de: {keyword: [Strom]}\n", 14, 10,
		   "intents.outage.de.keyword", "unknown key 'keyword' (did you mean 'keywords'?)");
}

/* ---- SLA policies, defaults, rules ------------------------------------------- */

static void test_sla_policies(void **state)
{
	(void)state;
	expect_one(BASE "sla_policies:\n  s: {first_response: 4 hours}\n", 13, 23,
		   "sla_policies.s.first_response",
		   "'4 hours' is not a duration such as 30m, 4h, 2d or 1h30m");
	expect_one(BASE "sla_policies:\n  s: {first_response: 30m4h}\n", 13, 23,
		   "sla_policies.s.first_response",
		   "'30m4h' is not a duration such as 30m, 4h, 2d or 1h30m");
	expect_one(BASE "sla_policies:\n  s: {first_response: 0h}\n", 13, 23,
		   "sla_policies.s.first_response", "a duration must be longer than zero");
	expect_one(BASE "sla_policies:\n  s: {resolution: 400d}\n", 13, 19,
		   "sla_policies.s.resolution", "'400d' is longer than 366 days");
	expect_one(BASE "sla_policies:\n  s: {clock: always}\n", 13, 6, "sla_policies.s",
		   "a policy needs first_response, next_response or resolution");
	expect_one(BASE "sla_policies:\n  s: {clock: sometimes, resolution: 1d}\n", 13, 14,
		   "sla_policies.s.clock", "'sometimes' is not one of business or always");
	const char *text = "name: T\ntime_zone: UTC\nlanguages: {de: {team: A}}\n"
			   "fallback_team: A\nteams: {A: {}}\n"
			   "sla_policies:\n  s: {first_response: 1h}\n";
	expect_one(text, 7, 6, "sla_policies.s.clock",
		   "the business clock needs office_hours that open at least once a week (or "
		   "write clock: always)");
	expect_one(BASE "defaults: {sla: standrd}\nsla_policies: {standard: {resolution: 5d}}\n",
		   12, 17, "defaults.sla",
		   "SLA policy 'standrd' is not in sla_policies (did you mean 'standard'?)");
}

static void test_then(void **state)
{
	(void)state;
	expect_one(BASE "defaults: {priority: urgnet}\n", 12, 22, "defaults.priority",
		   "'urgnet' is not one of low, normal, high or urgent (did you mean 'urgent'?)");
	expect_one(BASE "defaults: {action: reply}\n", 12, 20, "defaults.action",
		   "'reply' is not one of answer, share, ignore or escalate");
	expect_one(BASE "defaults: {tags: {a: b}}\n", 12, 18, "defaults.tags",
		   "expected a list, found a mapping");
	expect_one(BASE "defaults: {priorty: high}\n", 12, 12, "defaults.priorty",
		   "unknown key 'priorty' (did you mean 'priority'?)");
}

static void test_rules(void **state)
{
	(void)state;
	expect_one(BASE "rules:\n  - then: {priority: low}\n", 13, 5, "rules[0].name",
		   "name is required");
	expect_one(BASE "rules:\n  - name: a\n    then: {}\n", 14, 11, "rules[0].then",
		   "then sets nothing: give priority, team, tags, action or sla");
	expect_one(BASE "rules:\n  - name: a\n    when: {language: [de]}\n", 13, 5, "rules[0].then",
		   "then is required");
	expect_one(BASE "rules:\n"
			"  - {name: a, then: {priority: low}}\n"
			"  - {name: a, then: {priority: high}}\n",
		   14, 12, "rules[1].name", "rule name 'a' is already used by rules[0] (line 13)");
	expect_one(BASE "rules:\n  name: a\n", 13, 3, "rules",
		   "expected a list of rules (each starting with '- name:')");
	expect_one(BASE "rules:\n  - {name: a, then: {priority: low}, stop: yes}\n", 13, 44,
		   "rules[0].stop", "expected true or false, not 'yes'");
}

static void test_when(void **state)
{
	(void)state;
#define RULE(when) BASE "rules:\n  - name: a\n    when: " when "\n    then: {priority: high}\n"
	expect_one(RULE("{intent: [outage]}"), 14, 21, "rules[0].when.intent[0]",
		   "intent 'outage' is not in intents");
	expect_one(RULE("{sentiment: angry}"), 14, 23, "rules[0].when.sentiment",
		   "'angry' is not one of negative, neutral or positive");
	expect_one(RULE("{sentiment: [negative]}"), 14, 23, "rules[0].when.sentiment",
		   "expected one of negative, neutral or positive, found a list");
	expect_one(RULE("{first_contact: 1}"), 14, 27, "rules[0].when.first_contact",
		   "expected true or false, not '1'");
	expect_one(RULE("{time: night}"), 14, 18, "rules[0].when.time",
		   "'night' is not one of office_hours or after_hours");
	expect_one(RULE("{language: [fr]}"), 14, 23, "rules[0].when.language[0]",
		   "language 'fr' is not in languages");
	expect_one(RULE("{keywords: [\"Gas geruch\"]}"), 14, 23, "rules[0].when.keywords[0]",
		   "keyword 'Gas geruch' is more than one word: put it under phrases");
	expect_one(RULE("{contact: [vip]}"), 14, 21, "rules[0].when.contact",
		   "expected a mapping (key: value), found a list");
	expect_one(RULE("{contact: {vip: [yes]}}"), 14, 27, "rules[0].when.contact.vip",
		   "expected text, found a list");
	expect_one(RULE("{chanel: [email]}"), 14, 12, "rules[0].when.chanel",
		   "unknown key 'chanel' (did you mean 'channel'?)");
	/* "none" is the intent of messages that match none */
	concept *c = parse_ok(RULE("{intent: [none]}"), strlen(RULE("{intent: [none]}")));
	assert_string_equal(c->rules[0].when.intents.items[0], "none");
	concept_free(c);
#undef RULE
}

static void test_auto_replies(void **state)
{
	(void)state;
	expect_one(BASE "auto_replies:\n  after_hours: {fr: Bonjour}\n", 13, 17,
		   "auto_replies.after_hours.fr", "language 'fr' is not in languages");
	expect_one(BASE "auto_replies:\n  first_contact: {de: \"  \"}\n", 13, 23,
		   "auto_replies.first_contact.de", "must not be empty");
	expect_one(BASE "auto_replies:\n  out_of_office: {de: Hallo}\n", 13, 3,
		   "auto_replies.out_of_office", "unknown key 'out_of_office'");
}

/* An automatic reply by template name; both forms at once is an error. */
static void test_auto_reply_template(void **state)
{
	(void)state;
	const char *text = BASE "auto_replies:\n"
				"  after_hours: {template: nachts}\n"
				"  first_contact: {de: Hallo, en: Hello}\n";
	concept *c = parse_ok(text, strlen(text));
	assert_string_equal(c->after_hours.template_name, "nachts");
	assert_int_equal(c->after_hours.texts.n, 0);
	assert_null(c->first_contact.template_name);
	assert_string_equal(concept_auto_reply_text(&c->first_contact, "en"), "Hello");
	concept_free(c);
	expect_one(BASE "auto_replies:\n  after_hours: {template: nachts, de: Hallo}\n", 13, 16,
		   "auto_replies.after_hours",
		   "write either template or texts per language, not both");
	expect_one(BASE "auto_replies:\n  after_hours: {template: [a, b]}\n", 13, 27,
		   "auto_replies.after_hours.template", "expected text, found a list");
	expect_one(BASE "auto_replies:\n  after_hours: {template: \"\"}\n", 13, 27,
		   "auto_replies.after_hours.template", "must not be empty");
}

/* strict_wording names intents the concept defines. */
static void test_strict_wording(void **state)
{
	(void)state;
#define INTENTS                                        \
	"intents:\n"                                   \
	"  outage: {de: {keywords: [stromausfall]}}\n" \
	"  legal: {de: {keywords: [anwalt]}}\n"
	const char *text = BASE INTENTS "strict_wording: {intents: [outage, legal, outage]}\n";
	concept *c = parse_ok(text, strlen(text));
	assert_int_equal(c->strict_intents.n, 2); /* a name twice counts once */
	assert_string_equal(c->strict_intents.items[0], "outage");
	assert_string_equal(c->strict_intents.items[1], "legal");
	concept_free(c);
	expect_one(BASE INTENTS "strict_wording: {intents: [outage, legl]}\n", 15, 36,
		   "strict_wording.intents[1]",
		   "intent 'legl' is not in intents (did you mean 'legal'?)");
	expect_one(BASE INTENTS "strict_wording: {intents: [none]}\n", 15, 28,
		   "strict_wording.intents[0]", "'none' is no intent; name intents of intents");
	const char *typo = BASE INTENTS "strict_wording: {intent: [outage]}\n";
	concept_errors e = parse_bad(typo, strlen(typo));
	assert_int_equal(e.n, 2);
	check_error(&e, 0, 15, 17, "strict_wording.intents", "intents is required");
	check_error(&e, 1, 15, 18, "strict_wording.intent",
		    "unknown key 'intent' (did you mean 'intents'?)");
	concept_errors_free(&e);
	expect_one(BASE INTENTS "strict_wording: [outage]\n", 15, 17, "strict_wording",
		   "expected a mapping (key: value), found a list");
	/* without any: nothing is strict */
	c = parse_ok(BASE INTENTS, strlen(BASE INTENTS));
	assert_int_equal(c->strict_intents.n, 0);
	concept_free(c);
#undef INTENTS
}

static void test_auto_reply_length(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	buf_puts(&b, BASE "auto_replies:\n  after_hours:\n    de: ");
	for (int i = 0; i < 2001; i++)
		buf_puts(&b, "x");
	buf_puts(&b, "\n    en: ");
	for (int i = 0; i < 2000; i++)
		buf_puts(&b, "y");
	buf_puts(&b, "\n");
	concept_errors e = parse_bad(b.data, b.len);
	check_error(&e, 0, 14, 9, "auto_replies.after_hours.de", "longer than 2000 bytes");
	assert_int_equal(e.n, 1); /* 2000 bytes are fine */
	concept_errors_free(&e);
	buf_free(&b);
}

/* Several errors anywhere in a document come back together, in document order. */
static void test_several_errors(void **state)
{
	(void)state;
	const char *text = "name: T\n"                                 /* 1 */
			   "time_zone: Europe/Nowhere\n"               /* 2 */
			   "rules:\n"                                  /* 3 */
			   "  - name: a\n"                             /* 4 */
			   "    then: {team: Nobody, priority: top}\n" /* 5 */
			   "languages: {de: {team: A}}\n"              /* 6 */
			   "fallback_team: A\n"                        /* 7 */
			   "teams:\n"                                  /* 8 */
			   "  A: {capacity: -3}\n"                     /* 9 */
			   "office_hours: {mon: [\"09:00-08:00\"]}\n"; /* 10 */
	concept_errors e = parse_bad(text, strlen(text));
	check_error(&e, 0, 2, 12, "time_zone",
		    "unknown time zone 'Europe/Nowhere' (an IANA name such as Europe/Berlin)");
	check_error(&e, 1, 5, 18, "rules[0].then.team", "team 'Nobody' is not in teams");
	check_error(&e, 2, 5, 36, "rules[0].then.priority",
		    "'top' is not one of low, normal, high or urgent");
	check_error(&e, 3, 9, 17, "teams.A.capacity", "'-3' is not a whole number from 0 to 10000");
	check_error(&e, 4, 10, 22, "office_hours.mon[0]",
		    "'09:00-08:00' ends before it starts (or is empty)");
	assert_int_equal(e.n, 5);
	concept_errors_free(&e);
}

/* At most 100 errors; the last says how many more there were. */
static void test_error_cap(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	buf_puts(&b, BASE);
	for (int i = 0; i < 150; i++)
		buf_printf(&b, "unknown%d: 1\n", i);
	concept_errors e = parse_bad(b.data, b.len);
	assert_int_equal(e.n, 100);
	check_error(&e, 0, 12, 1, "unknown0", "unknown key 'unknown0'");
	check_error(&e, 98, 110, 1, "unknown98", "unknown key 'unknown98'");
	check_error(&e, 99, 0, 0, "", "51 more errors not shown");
	concept_errors_free(&e);
	buf_free(&b);
}

/* Errors are appended: what the caller had stays. */
static void test_errors_append(void **state)
{
	(void)state;
	concept_errors e = {0};
	concept *c = NULL;
	assert_int_equal(concept_parse("x", 1, &c, &e), CT_ERR_INVALID);
	assert_int_equal(concept_parse("y", 1, &c, &e), CT_ERR_INVALID);
	assert_int_equal(e.n, 2);
	assert_null(c);
	concept_errors_free(&e);
	assert_int_equal(e.n, 0);
	concept_errors_free(&e);
	concept_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_organisation),
		cmocka_unit_test(test_example_calendar),
		cmocka_unit_test(test_example_intents),
		cmocka_unit_test(test_example_rules),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_document_shape),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_anchor_alias_tag),
		cmocka_unit_test(test_nul_and_keys),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_unknown_and_missing_keys),
		cmocka_unit_test(test_time_zone),
		cmocka_unit_test(test_office_hours),
		cmocka_unit_test(test_holidays),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_teams),
		cmocka_unit_test(test_intents),
		cmocka_unit_test(test_sla_policies),
		cmocka_unit_test(test_then),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_when),
		cmocka_unit_test(test_auto_replies),
		cmocka_unit_test(test_auto_reply_length),
		cmocka_unit_test(test_auto_reply_template),
		cmocka_unit_test(test_strict_wording),
		cmocka_unit_test(test_several_errors),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_errors_append),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_template_use.c: unit tests for src/templates/use.c on SQLite or,
 * with CLUETRAIN_TEST_PG, PostgreSQL (store_fixture.h). The rows are
 * written with plain SQL, so the tests do not depend on the workflow code.
 * Covered: the values of a conversation (full, one-word, erased, HTML and
 * Unicode names; the organisation as agent; dates in the concept's zone and
 * in UTC), choosing a variant (exact channel, "any", another language,
 * retired, not approved, expired, due but in the grace period, never a
 * draft), the ranking of suggestions and previews with channel limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/timeutil.h"
#include "store/store.h"
#include "store_fixture.h"
#include "templates/templates.h"
#include "triage/calendar.h"
#include "triage/concept.h"

#define DAY (24LL * 3600 * 1000)
#define GRACE (14 * DAY)
#define ORG "Stadtwerke Musterstadt"

/* 2026-11-23T06:00:00Z, a Monday: 07:00 in Berlin, before the office opens. */
static int64_t now_ms(void)
{
	return time_days_from_civil(2026, 11, 23) * DAY + 6 * 3600 * 1000LL;
}

static ct_err exec_fn(store_conn *c, void *ctx)
{
	return store_exec(c, ctx);
}

/* Run SQL text (several statements) in one write. */
static void run_sql(fixture *f, const char *sql)
{
	ct_err err = store_write(f->s, exec_fn, (void *)sql);
	if (err)
		fail_msg("setup SQL failed (%d): %.200s", (int)err, sql);
}

/* A template row and its versions' rows. status, approved version (0:
 * none), review due time; v1 variants (approved when approved is 1), and
 * optionally a newer draft v2. */
static void add_template(fixture *f, int id, const char *name, const char *status, int approved,
			 int64_t due, const char *intents, const char *variants, const char *draft)
{
	buf sql;
	buf_init(&sql, 0);
	char due_s[32] = "NULL", approved_s[32] = "NULL";
	if (approved) {
		snprintf(due_s, sizeof(due_s), "%lld", (long long)due);
		snprintf(approved_s, sizeof(approved_s), "%d", approved);
	}
	buf_printf(&sql,
		   "INSERT INTO templates (id, name, status, current_version, approved_version,"
		   " review_due_at, created_at, created_by, updated_at) VALUES (%d, '%s', '%s', %d,"
		   " %s, %s, 1, 'test', 1);",
		   id, name, status, draft ? 2 : 1, approved_s, due_s);
	buf_printf(&sql,
		   "INSERT INTO template_versions (template_id, number, state, intents, variants,"
		   " created_by, created_at) VALUES (%d, 1, '%s', '%s', '%s', 'test', 1);",
		   id, approved ? "approved" : "draft", intents, variants);
	if (draft)
		buf_printf(&sql,
			   "INSERT INTO template_versions (template_id, number, state, intents,"
			   " variants, created_by, created_at) VALUES (%d, 2, 'draft', '%s', '%s',"
			   " 'test', 2);",
			   id, intents, draft);
	run_sql(f, buf_cstr(&sql));
	buf_free(&sql);
}

static const char BASE_SQL[] =
	"INSERT INTO channels (id, kind, name, config, created_at) VALUES"
	" (1, 'mail', 'Postfach', '{}', 1), (2, 'x', 'X @stadtwerke', '{}', 1),"
	" (3, 'sms', 'SMS', '{}', 1);"
	"INSERT INTO contacts (id, name, created_at, updated_at, erased_at) VALUES"
	" (1, 'Erika  Mustermann von Berg ', 1, 1, NULL), (2, 'Cher', 1, 1, NULL),"
	" (3, 'Max Gelöscht', 1, 1, 5),"
	" (4, '<b>Zoë</b> \"Ärger\" &amp; {{agent.name}}', 1, 1, NULL),"
	" (5, NULL, 1, 1, NULL);"
	"INSERT INTO users (id, name, email, role, created_at) VALUES"
	" (1, 'Anna Agentin', 'anna@example.org', 'agent', 1);"
	"INSERT INTO conversations (id, channel_id, contact_id, language, intent,"
	" last_activity_at, created_at) VALUES (1, 1, 1, 'de', 'stoerung', 1, 1),"
	" (2, 2, 2, 'en', 'rechnung', 1, 1), (3, 1, 3, 'de', NULL, 1, 1),"
	" (4, 3, 4, NULL, NULL, 1, 1), (5, 1, 5, 'de', NULL, 1, 1);";

static int setup(void **state)
{
	fixture *f = store_fixture_open("tuse");
	*state = f;
	if (!f)
		return -1;
	run_sql(f, BASE_SQL);
	return 0;
}

static int teardown(void **state)
{
	store_fixture_close(*state);
	return 0;
}

/* A concept with only a calendar: Berlin, open Monday to Friday 08-16. */
static concept *berlin(void)
{
	concept *k = calloc(1, sizeof(*k));
	k->cal = calendar_new("Europe/Berlin");
	assert_non_null(k->cal);
	for (int wd = 0; wd < 5; wd++)
		assert_int_equal(calendar_add_hours(k->cal, wd, 8 * 60, 16 * 60), CT_OK);
	return k;
}

static void berlin_free(concept *k)
{
	calendar_free(k->cal);
	free(k);
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- values ---- */

static void test_values_full_name(void **state)
{
	fixture *f = *state;
	concept *k = berlin();
	template_env env = {.org_name = ORG, .concept = k, .now = now_ms(), .grace_ms = GRACE};
	store_conn *c = store_reader_acquire(f->s);
	json_t *v = NULL;
	assert_int_equal(template_values(c, &env, 1, 1, &v), CT_OK);
	assert_string_equal(str(v, "contact.name"), "Erika  Mustermann von Berg ");
	assert_string_equal(str(v, "contact.first_name"), "Erika");
	assert_string_equal(str(v, "contact.last_name"), "Mustermann von Berg");
	assert_string_equal(str(v, "agent.name"), "Anna Agentin");
	assert_string_equal(str(v, "agent.first_name"), "Anna");
	assert_null(json_object_get(v, "agent.last_name"));
	assert_string_equal(str(v, "organisation.name"), ORG);
	assert_string_equal(str(v, "office_hours.next_open"), "23.11.2026, 08:00 Uhr");
	assert_string_equal(str(v, "conversation.id"), "1");
	assert_string_equal(str(v, "channel.name"), "Postfach");
	assert_string_equal(str(v, "date.today"), "23.11.2026");
	assert_null(json_object_get(v, "incident.status"));
	assert_null(json_object_get(v, "incident.title"));
	assert_int_equal(json_object_size(v), 10);
	json_decref(v);

	/* English: ISO dates; a one-word name has no last name. */
	assert_int_equal(template_values(c, &env, 2, 1, &v), CT_OK);
	assert_string_equal(str(v, "contact.name"), "Cher");
	assert_string_equal(str(v, "contact.first_name"), "Cher");
	assert_null(json_object_get(v, "contact.last_name"));
	assert_string_equal(str(v, "office_hours.next_open"), "2026-11-23 08:00");
	assert_string_equal(str(v, "date.today"), "2026-11-23");
	assert_string_equal(str(v, "channel.name"), "X @stadtwerke");
	json_decref(v);
	store_reader_release(f->s, c);
	berlin_free(k);
}

static void test_values_erased_html_and_org(void **state)
{
	fixture *f = *state;
	template_env env = {.org_name = ORG, .now = now_ms(), .grace_ms = GRACE};
	store_conn *c = store_reader_acquire(f->s);
	json_t *v = NULL;
	/* Erased contact: no contact values at all. */
	assert_int_equal(template_values(c, &env, 3, 1, &v), CT_OK);
	assert_null(json_object_get(v, "contact.name"));
	assert_null(json_object_get(v, "contact.first_name"));
	assert_null(json_object_get(v, "contact.last_name"));
	assert_string_equal(str(v, "conversation.id"), "3");
	/* No concept: no next opening. */
	assert_null(json_object_get(v, "office_hours.next_open"));
	json_decref(v);

	/* HTML, Unicode and braces copied verbatim; the organisation as agent. */
	assert_int_equal(template_values(c, &env, 4, 0, &v), CT_OK);
	assert_string_equal(str(v, "contact.name"), "<b>Zoë</b> \"Ärger\" &amp; {{agent.name}}");
	assert_string_equal(str(v, "contact.first_name"), "<b>Zoë</b>");
	assert_string_equal(str(v, "contact.last_name"), "\"Ärger\" &amp; {{agent.name}}");
	assert_string_equal(str(v, "agent.name"), ORG);
	assert_null(json_object_get(v, "agent.first_name"));
	/* No language: German dates. */
	assert_string_equal(str(v, "date.today"), "23.11.2026");
	json_decref(v);

	/* No name at all. */
	assert_int_equal(template_values(c, &env, 5, 1, &v), CT_OK);
	assert_null(json_object_get(v, "contact.name"));
	assert_null(json_object_get(v, "contact.first_name"));
	json_decref(v);

	assert_int_equal(template_values(c, &env, 999, 1, &v), CT_ERR_NOT_FOUND);
	assert_null(v);
	store_reader_release(f->s, c);
}

static void test_values_date_zone(void **state)
{
	fixture *f = *state;
	concept *k = berlin();
	/* 23:30 UTC is already the next day in Berlin. */
	int64_t late = time_days_from_civil(2026, 11, 23) * DAY + (23 * 60 + 30) * 60000LL;
	template_env env = {.org_name = ORG, .now = late, .grace_ms = GRACE};
	store_conn *c = store_reader_acquire(f->s);
	json_t *v = NULL;
	assert_int_equal(template_values(c, &env, 2, 1, &v), CT_OK);
	assert_string_equal(str(v, "date.today"), "2026-11-23");
	json_decref(v);
	env.concept = k;
	assert_int_equal(template_values(c, &env, 2, 1, &v), CT_OK);
	assert_string_equal(str(v, "date.today"), "2026-11-24");
	assert_string_equal(str(v, "office_hours.next_open"), "2026-11-24 08:00");
	json_decref(v);
	store_reader_release(f->s, c);

	char out[64];
	template_format_local_time(k, late, "de", out, sizeof(out));
	assert_string_equal(out, "24.11.2026, 00:30 Uhr");
	template_format_local_time(NULL, late, "en", out, sizeof(out));
	assert_string_equal(out, "2026-11-23 23:30");
	berlin_free(k);
}

/* ---- choose ---- */

static const char VARIANTS_T1[] =
	"[{\"language\": \"de\", \"channel\": \"x\", \"text\": \"Kurz: {{contact.first_name}}\"},"
	" {\"language\": \"de\", \"channel\": \"any\", \"text\": \"Hallo {{contact.first_name}},"
	" wir arbeiten an der St\xc3\xb6rung.\"},"
	" {\"language\": \"en\", \"channel\": \"sms\", \"text\": \"Hi {{contact.first_name}}\"}]";
static const char DRAFT_T1[] =
	"[{\"language\": \"de\", \"channel\": \"any\", \"text\": \"ENTWURF\"},"
	" {\"language\": \"fr\", \"channel\": \"any\", \"text\": \"Bonjour\"}]";
static const char VARIANTS_DE[] = "[{\"language\": \"de\", \"channel\": \"any\", \"text\":"
				  " \"Guten Tag {{contact.name}}\"}]";

/* The templates of the choose and suggest tests. */
static void add_templates(fixture *f)
{
	int64_t now = now_ms();
	add_template(f, 1, "stoerung_info", "draft", 1, now + 100 * DAY, "[\"stoerung\"]",
		     VARIANTS_T1, DRAFT_T1);
	add_template(f, 2, "retired_one", "retired", 1, now + 100 * DAY, "[\"stoerung\"]",
		     VARIANTS_DE, NULL);
	add_template(f, 3, "draft_only", "in_review", 0, 0, "[\"stoerung\"]", VARIANTS_DE, NULL);
	add_template(f, 4, "expired", "approved", 1, now - 20 * DAY, "[\"stoerung\"]", VARIANTS_DE,
		     NULL);
	add_template(f, 5, "in_grace", "approved", 1, now - 5 * DAY, "[\"rechnung\"]", VARIANTS_DE,
		     NULL);
	add_template(f, 6, "aaa_popular", "approved", 1, now + DAY, "[\"rechnung\"]", VARIANTS_DE,
		     NULL);
	add_template(f, 7, "zzz_less", "approved", 1, now + DAY, "[]", VARIANTS_DE, NULL);
	add_template(f, 8, "bbb_x_only", "approved", 1, now + DAY, "[\"stoerung\"]",
		     "[{\"language\": \"de\", \"channel\": \"x\", \"text\": \"kurz\"}]", NULL);
	add_template(f, 9, "ccc_zero", "approved", 1, now + DAY, "[\"rechnung\"]", VARIANTS_DE,
		     NULL);
	/* Uses: aaa_popular 3 recent; zzz_less 1 recent and 5 older than 90 days. */
	buf sql;
	buf_init(&sql, 0);
	for (int i = 0; i < 9; i++) {
		int tid = i < 3 ? 6 : 7;
		int64_t at = i < 4 ? now - 10 * DAY : now - 100 * DAY;
		buf_printf(&sql,
			   "INSERT INTO messages (conversation_id, channel_id, direction, text,"
			   " created_at, received_at, template_id, template_version) VALUES"
			   " (2, 2, 'out', 'x', %lld, %lld, %d, 1);",
			   (long long)at, (long long)at, tid);
	}
	run_sql(f, buf_cstr(&sql));
	buf_free(&sql);
}

/* Choose and check the outcome; returns the error. */
static ct_err choose(store_conn *c, const template_env *env, int64_t id, const char *name,
		     const char *language, const char *kind, template_choice *out, err_detail *d)
{
	memset(d, 0, sizeof(*d));
	return template_choose(c, env, id, name, language, kind, out, d);
}

static void test_choose(void **state)
{
	fixture *f = *state;
	add_templates(f);
	template_env env = {.org_name = ORG, .now = now_ms(), .grace_ms = GRACE};
	store_conn *c = store_reader_acquire(f->s);
	template_choice ch;
	err_detail d;

	/* The exact channel's variant, by id. */
	assert_int_equal(choose(c, &env, 1, NULL, "de", "x", &ch, &d), CT_OK);
	assert_int_equal(ch.template_id, 1);
	assert_int_equal(ch.version, 1);
	assert_string_equal(ch.name, "stoerung_info");
	assert_string_equal(ch.channel, "x");
	assert_string_equal(buf_cstr(&ch.text), "Kurz: {{contact.first_name}}");
	buf_free(&ch.text);

	/* No mail variant: "any", by name; the approved version, not the draft. */
	assert_int_equal(choose(c, &env, 0, "stoerung_info", "de", "email", &ch, &d), CT_OK);
	assert_string_equal(ch.language, "de");
	assert_string_equal(ch.channel, "any");
	assert_non_null(strstr(buf_cstr(&ch.text), "Hallo {{contact.first_name}}"));
	buf_free(&ch.text);

	/* Another language: only its own variants count. */
	assert_int_equal(choose(c, &env, 1, NULL, "en", "email", &ch, &d), CT_ERR_NOT_FOUND);
	assert_int_equal(ch.text.len, 0);
	buf_free(&ch.text);
	assert_int_equal(choose(c, &env, 1, NULL, "en", "sms", &ch, &d), CT_OK);
	assert_string_equal(buf_cstr(&ch.text), "Hi {{contact.first_name}}");
	buf_free(&ch.text);
	/* fr exists only in the draft. */
	assert_int_equal(choose(c, &env, 1, NULL, "fr", "email", &ch, &d), CT_ERR_NOT_FOUND);
	buf_free(&ch.text);

	assert_int_equal(choose(c, &env, 0, "nope", "de", "email", &ch, &d), CT_ERR_NOT_FOUND);
	buf_free(&ch.text);
	assert_int_equal(choose(c, &env, 99, NULL, "de", "email", &ch, &d), CT_ERR_NOT_FOUND);
	buf_free(&ch.text);

	assert_int_equal(choose(c, &env, 2, NULL, "de", "email", &ch, &d), CT_ERR_CONFLICT);
	assert_string_equal(d.message, "retired");
	buf_free(&ch.text);
	assert_int_equal(choose(c, &env, 3, NULL, "de", "email", &ch, &d), CT_ERR_CONFLICT);
	assert_string_equal(d.message, "not approved");
	buf_free(&ch.text);
	assert_int_equal(choose(c, &env, 0, "expired", "de", "email", &ch, &d), CT_ERR_CONFLICT);
	assert_string_equal(d.message, "review expired on 2026-11-17");
	assert_int_equal(ch.text.len, 0);
	buf_free(&ch.text);

	/* Due, but within the grace period: usable. */
	assert_int_equal(choose(c, &env, 5, NULL, "de", "email", &ch, &d), CT_OK);
	assert_string_equal(buf_cstr(&ch.text), "Guten Tag {{contact.name}}");
	buf_free(&ch.text);
	/* ... until the grace period is over. */
	env.now += 9 * DAY;
	assert_int_equal(choose(c, &env, 5, NULL, "de", "email", &ch, &d), CT_ERR_CONFLICT);
	buf_free(&ch.text);
	store_reader_release(f->s, c);
}

/* ---- suggest ---- */

static void test_suggest_ranking(void **state)
{
	fixture *f = *state;
	add_templates(f);
	template_env env = {.org_name = ORG, .now = now_ms(), .grace_ms = GRACE};
	store_conn *c = store_reader_acquire(f->s);
	json_t *out = NULL;
	/* Conversation 1: German, mail, intent stoerung. */
	assert_int_equal(template_suggest(c, &env, 1, 1, 10, &out), CT_OK);
	static const char *const expected[] = {"stoerung_info", "aaa_popular", "zzz_less",
					       "ccc_zero", "in_grace"};
	assert_int_equal(json_array_size(out), 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(str(json_array_get(out, i), "name"), expected[i]);
	json_t *first = json_array_get(out, 0);
	assert_true(json_is_true(json_object_get(first, "intent_match")));
	assert_int_equal(json_integer_value(json_object_get(first, "template_id")), 1);
	assert_int_equal(json_integer_value(json_object_get(first, "version")), 1);
	assert_string_equal(str(first, "channel"), "any");
	assert_string_equal(str(first, "language"), "de");
	assert_string_equal(str(first, "text"), "Hallo Erika, wir arbeiten an der St\xc3\xb6rung.");
	assert_int_equal(json_array_size(json_object_get(first, "missing")), 0);
	assert_int_equal(json_integer_value(json_object_get(first, "length")), 41);
	assert_int_equal(json_integer_value(json_object_get(first, "limit")), 0);
	assert_string_equal(str(first, "review_state"), "ok");
	assert_string_equal(json_string_value(json_array_get(json_object_get(first, "intents"), 0)),
			    "stoerung");
	json_t *second = json_array_get(out, 1);
	assert_true(json_is_false(json_object_get(second, "intent_match")));
	assert_string_equal(str(json_array_get(out, 4), "review_state"), "due");
	json_decref(out);

	assert_int_equal(template_suggest(c, &env, 1, 1, 2, &out), CT_OK);
	assert_int_equal(json_array_size(out), 2);
	json_decref(out);

	/* Conversation 2: English on X; only stoerung_info has English, but
	 * for SMS only: nothing fits. */
	assert_int_equal(template_suggest(c, &env, 2, 1, 10, &out), CT_OK);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);

	/* Conversation 3: erased contact, so {{contact.name}} stays missing. */
	assert_int_equal(template_suggest(c, &env, 3, 1, 10, &out), CT_OK);
	json_t *item = json_array_get(out, 0);
	assert_string_equal(str(item, "name"), "aaa_popular");
	assert_string_equal(str(item, "text"), "Guten Tag {{contact.name}}");
	assert_string_equal(json_string_value(json_array_get(json_object_get(item, "missing"), 0)),
			    "contact.name");
	json_decref(out);

	assert_int_equal(template_suggest(c, &env, 999, 1, 10, &out), CT_ERR_NOT_FOUND);
	assert_null(out);
	store_reader_release(f->s, c);
}

/* ---- preview ---- */

static void test_preview(void **state)
{
	fixture *f = *state;
	template_env env = {.org_name = ORG, .now = now_ms(), .grace_ms = GRACE};
	store_conn *c = store_reader_acquire(f->s);
	buf text;
	buf_init(&text, 0);
	buf_puts(&text, "Hi {{contact.first_name}}! ");
	for (int i = 0; i < 270; i++)
		buf_puts(&text, "\xc3\xa4"); /* ä: one code point, two bytes */
	json_t *variants = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]",
				     "language", "en", "channel", "any", "text", buf_cstr(&text),
				     "language", "en", "channel", "x", "text", "Hi {{agent.name}}",
				     "language", "en", "channel", "email", "text", buf_cstr(&text));
	json_t *out = NULL;
	err_detail d = {.index = -1};
	/* Conversation 2 is on X: "any" takes X's limit. */
	assert_int_equal(template_preview(c, &env, variants, 2, 1, &out, &d), CT_OK);
	assert_int_equal(json_array_size(out), 3);
	json_t *a = json_array_get(out, 0);
	assert_int_equal(json_integer_value(json_object_get(a, "limit")), 280);
	assert_int_equal(json_integer_value(json_object_get(a, "length")), 9 + 270);
	assert_true(json_is_false(json_object_get(a, "too_long")));
	assert_string_equal(str(a, "channel"), "any");
	assert_string_equal(str(a, "language"), "en");
	json_t *b = json_array_get(out, 1);
	assert_string_equal(str(b, "text"), "Hi Anna Agentin");
	assert_true(json_is_false(json_object_get(b, "too_long")));
	json_t *m = json_array_get(out, 2);
	assert_int_equal(json_integer_value(json_object_get(m, "limit")), 0);
	assert_true(json_is_false(json_object_get(m, "too_long")));
	json_decref(out);

	/* Two more characters: too long for X. */
	buf_puts(&text, "!!");
	json_object_set_new(json_array_get(variants, 0), "text", json_string(buf_cstr(&text)));
	assert_int_equal(template_preview(c, &env, variants, 2, 1, &out, &d), CT_OK);
	a = json_array_get(out, 0);
	assert_int_equal(json_integer_value(json_object_get(a, "length")), 281);
	assert_true(json_is_true(json_object_get(a, "too_long")));
	assert_true(json_is_false(json_object_get(json_array_get(out, 2), "too_long")));
	json_decref(out);

	/* Not found; bad variants. */
	assert_int_equal(template_preview(c, &env, variants, 999, 1, &out, &d), CT_ERR_NOT_FOUND);
	assert_null(out);
	json_object_set_new(json_array_get(variants, 1), "text",
			    json_string("{{contact.vorname}}"));
	assert_int_equal(template_preview(c, &env, variants, 2, 1, &out, &d), CT_ERR_INVALID);
	assert_string_equal(d.field, "variants[1].text");
	assert_non_null(strstr(d.message, "contact.vorname"));
	assert_null(out);
	json_object_set_new(json_array_get(variants, 1), "text", json_string("ok"));
	json_object_set_new(json_array_get(variants, 2), "language", json_integer(1));
	assert_int_equal(template_preview(c, &env, variants, 2, 1, &out, &d), CT_ERR_INVALID);
	assert_string_equal(d.field, "variants[2].language");
	json_t *bad = json_string("x");
	assert_int_equal(template_preview(c, &env, bad, 2, 1, &out, &d), CT_ERR_INVALID);
	assert_string_equal(d.field, "variants");
	json_decref(bad);
	json_decref(variants);
	buf_free(&text);
	store_reader_release(f->s, c);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	store_fixture_init();
	const struct CMUnitTest tests[] = {
		TEST(test_values_full_name), TEST(test_values_erased_html_and_org),
		TEST(test_values_date_zone), TEST(test_choose),
		TEST(test_suggest_ranking),  TEST(test_preview),
	};
	return cmocka_run_group_tests_name(
		pg_admin ? "template use (postgres)" : "template use (sqlite)", tests, NULL, NULL);
}

/*
 * test_templates_store.c: unit tests for the store side of approved
 * wording (src/templates/store.c, workflow.c, report.c, io.c) on SQLite or,
 * with CLUETRAIN_TEST_PG, on PostgreSQL (store_fixture.h). Covered: the
 * body check (fields named in the error, nothing written on refusal), the
 * workflow with its four-eyes refusals and conflicts, review states around
 * the due date and the grace period, the diff of two versions, the use
 * report over messages, and export/import as JSON and YAML (round trip
 * unchanged; a bad document changes nothing and names line and field).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_fixture.h"
#include "templates/templates.h"
#include "triage/concept.h"

#define DAY_MS (86400000LL)
#define GRACE_MS (14 * DAY_MS)

static const actor author = {"user:anna@example.org", 1, 0, NULL};
static const actor reviewer = {"user:bert@example.org", 2, 0, NULL};
static const actor token = {"token:crm", 0, 7, NULL};

static ct_err write_users(store_conn *c, void *ctx)
{
	(void)ctx;
	return store_exec(c, "INSERT INTO users (id, name, email, role, created_at) VALUES"
			     " (1, 'Anna', 'anna@example.org', 'agent', 1),"
			     " (2, 'Bert', 'bert@example.org', 'supervisor', 1)");
}

static int setup(void **state)
{
	fixture *f = store_fixture_open("tpl");
	*state = f;
	if (!f || store_write(f->s, write_users, NULL) != CT_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	store_fixture_close(*state);
	return 0;
}

/* ---- helpers ---- */

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return v;
}

static int64_t create(fixture *f, const actor *who, const char *body_text)
{
	json_t *body = parse(body_text);
	err_detail d = {0};
	int64_t id = 0;
	ct_err err = template_create(f->s, who, body, &id, &d);
	json_decref(body);
	if (err)
		fail_msg("create: %d %s: %s", (int)err, d.field, d.message);
	return id;
}

static ct_err update(fixture *f, const actor *who, int64_t id, const char *body_text, err_detail *d)
{
	json_t *body = parse(body_text);
	ct_err err = template_update(f->s, who, id, body, d);
	json_decref(body);
	return err;
}

/* One integer from sql (no parameters) on a reader. */
static int64_t query_int(fixture *f, const char *sql)
{
	store_conn *c = store_reader_acquire(f->s);
	store_stmt *st = store_prepare(c, sql);
	assert_non_null(st);
	int64_t v = -1;
	assert_int_equal(store_one_int(st, &v), CT_OK);
	store_reader_release(f->s, c);
	return v;
}

static json_t *get(fixture *f, int64_t id, int64_t now)
{
	store_conn *c = store_reader_acquire(f->s);
	json_t *v = NULL;
	assert_int_equal(template_get(c, id, now, GRACE_MS, &v), CT_OK);
	store_reader_release(f->s, c);
	return v;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char GOOD[] =
	"{\"name\": \"Stromausfall\", \"intents\": [\"outage\"], \"variants\": ["
	"{\"language\": \"de\", \"text\": \"Hallo {{contact.first_name}}, wir arbeiten dran.\"},"
	"{\"language\": \"de\", \"channel\": \"x\", \"text\": \"Wir arbeiten dran.\"}]}";

/* ---- create and the body check ---- */

/* Create body_text expecting code with d naming field (and index). */
static void expect_refused(fixture *f, const char *body_text, ct_err code, const char *field,
			   int index, const char *in_message)
{
	json_t *body = parse(body_text);
	err_detail d = {0};
	int64_t id = 0;
	ct_err err = template_create(f->s, &author, body, &id, &d);
	json_decref(body);
	if (err != code || strcmp(d.field, field) != 0 || d.index != index ||
	    !strstr(d.message, in_message))
		fail_msg("%s: got %d field '%s' index %d '%s'", body_text, (int)err, d.field,
			 d.index, d.message);
	assert_int_equal(id, 0);
}

static void test_create_and_check(void **state)
{
	fixture *f = *state;
	int64_t id = create(f, &author, GOOD);
	assert_true(id > 0);
	json_t *t = get(f, id, 0);
	assert_string_equal(str(t, "status"), "draft");
	assert_int_equal(num(t, "current_version"), 1);
	assert_int_equal(num(t, "review_interval_days"), 180);
	assert_true(json_is_null(json_object_get(t, "approved")));
	json_t *vars = json_object_get(json_object_get(t, "current"), "variants");
	assert_int_equal(json_array_size(vars), 2);
	assert_string_equal(str(json_array_get(vars, 0), "channel"), "any");
	assert_string_equal(str(json_array_get(vars, 1), "channel"), "x");
	json_t *v1 = json_array_get(json_object_get(t, "versions"), 0);
	assert_non_null(v1);
	assert_string_equal(str(v1, "created_by"), "user:anna@example.org");
	json_decref(t);

	expect_refused(f, GOOD, CT_ERR_CONFLICT, "name", -1, "exists");
	expect_refused(f,
		       "{\"name\": \"A\", \"variants\": [{\"language\": \"de\", \"text\": \"ok\"},"
		       " {\"language\": \"de\", \"text\": \"Hi {{contact.vorname}}\"}]}",
		       CT_ERR_INVALID, "variants[1].text", -1, "contact.vorname");
	/* 276 characters fit X alone, not with the sample name filled in. */
	char body[1024], text[300];
	memset(text, 'a', 260);
	text[260] = '\0';
	snprintf(body, sizeof(body),
		 "{\"name\": \"B\", \"variants\": [{\"language\": \"de\", \"channel\": \"x\","
		 " \"text\": \"%s{{contact.name}}\"}]}",
		 text);
	expect_refused(f, body, CT_ERR_INVALID, "variants[0].text", -1, "280");
	snprintf(body, sizeof(body),
		 "{\"name\": \"B\", \"variants\": [{\"language\": \"de\", \"channel\": \"email\","
		 " \"text\": \"%s{{contact.name}}\"}]}",
		 text);
	assert_true(create(f, &author, body) > 0); /* mail has no limit */
	expect_refused(f,
		       "{\"name\": \"C\", \"variants\": [{\"language\": \"de\", \"text\": \"a\"},"
		       " {\"language\": \"de\", \"channel\": \"any\", \"text\": \"b\"}]}",
		       CT_ERR_INVALID, "variants", 1, "de/any");
	expect_refused(f,
		       "{\"name\": \"C\", \"variants\": [{\"language\": \"DE\", \"text\": \"a\"}]}",
		       CT_ERR_INVALID, "variants[0].language", -1, "lower-case");
	expect_refused(
		f,
		"{\"name\": \"C\", \"variants\": [{\"language\": \"de\", \"channel\": \"fax\","
		" \"text\": \"a\"}]}",
		CT_ERR_INVALID, "variants[0].channel", -1, "channel");
	expect_refused(
		f,
		"{\"name\": \"C\", \"intents\": [\"ok\", \"Not OK\"], \"variants\": [{\"language\":"
		" \"de\", \"text\": \"a\"}]}",
		CT_ERR_INVALID, "intents", 1, "intent");
	expect_refused(
		f,
		"{\"name\": \"C\", \"review_interval_days\": 0, \"variants\": [{\"language\":"
		" \"de\", \"text\": \"a\"}]}",
		CT_ERR_INVALID, "review_interval_days", -1, "3650");
	expect_refused(
		f, "{\"name\": \" C\", \"variants\": [{\"language\": \"de\", \"text\": \"a\"}]}",
		CT_ERR_INVALID, "name", -1, "white space");
	expect_refused(f, "{\"name\": \"C\", \"variants\": []}", CT_ERR_INVALID, "variants", -1,
		       "1 to 64");
	expect_refused(f,
		       "{\"name\": \"C\", \"colour\": 1, \"variants\": [{\"language\": \"de\","
		       " \"text\": \"a\"}]}",
		       CT_ERR_INVALID, "colour", -1, "unknown");
	expect_refused(f,
		       "{\"name\": \"C\", \"variants\": [{\"language\": \"de\", \"text\": \"a\","
		       " \"lang\": \"x\"}]}",
		       CT_ERR_INVALID, "variants[0].lang", -1, "unknown");
	assert_int_equal(query_int(f, "SELECT count(*) FROM templates"), 2);
	assert_int_equal(query_int(f, "SELECT count(*) FROM template_versions"), 2);
	assert_int_equal(
		query_int(f, "SELECT count(*) FROM audit_log WHERE action = 'template.created'"),
		2);
}

/* ---- workflow ---- */

static void expect_step(ct_err got, ct_err want, const err_detail *d, const char *in_message)
{
	if (got != want || (in_message && !strstr(d->message, in_message)))
		fail_msg("got %d '%s', want %d '%s'", (int)got, d->message, (int)want,
			 in_message ? in_message : "");
}

static void test_workflow(void **state)
{
	fixture *f = *state;
	err_detail d = {0};
	int64_t id = create(f, &author, GOOD);
	/* Approving a draft is a conflict; submitting twice too. */
	expect_step(template_approve(f->s, &reviewer, id, 1, &d), CT_ERR_CONFLICT, &d, "draft");
	expect_step(template_submit(f->s, &author, id, &d), CT_OK, &d, NULL);
	expect_step(template_submit(f->s, &author, id, &d), CT_ERR_CONFLICT, &d, "not a draft");
	json_t *t = get(f, id, 0);
	assert_string_equal(str(t, "status"), "in_review");
	json_decref(t);
	/* Four eyes: not the author, not a token. */
	expect_step(template_approve(f->s, &author, id, 1, &d), CT_ERR_FORBIDDEN, &d, "four eyes:");
	assert_true(strncmp(d.message, "four eyes:", 10) == 0);
	expect_step(template_approve(f->s, &token, id, 1, &d), CT_ERR_FORBIDDEN, &d, "four eyes:");
	expect_step(template_approve(f->s, &reviewer, id, 1, &d), CT_OK, &d, NULL);
	t = get(f, id, 0);
	assert_string_equal(str(t, "status"), "approved");
	assert_int_equal(num(t, "approved_version"), 1);
	assert_string_equal(str(t, "approved_by"), "user:bert@example.org");
	json_decref(t);
	int64_t approved_at = query_int(f, "SELECT approved_at FROM templates");
	assert_int_equal(query_int(f, "SELECT review_due_at FROM templates"),
			 approved_at + 180 * DAY_MS);

	/* A revision: the approved version stays in use. */
	expect_step(update(f, &author, id, "{\"review_interval_days\": 30}", &d), CT_OK, &d, NULL);
	t = get(f, id, 0);
	assert_string_equal(str(t, "status"), "draft");
	assert_int_equal(num(t, "current_version"), 2);
	assert_int_equal(num(t, "approved_version"), 1);
	assert_true(json_is_true(json_object_get(t, "usable")));
	assert_int_equal(json_array_size(json_object_get(t, "versions")), 2);
	assert_int_equal(num(json_object_get(t, "current"), "review_interval_days"), 30);
	json_decref(t);
	expect_step(template_submit(f->s, &author, id, &d), CT_OK, &d, NULL);
	/* Another version written meanwhile: approving version 2 is a conflict. */
	expect_step(update(f, &reviewer, id, "{\"note\": \"kürzer\"}", &d), CT_OK, &d, NULL);
	expect_step(template_approve(f->s, &author, id, 2, &d), CT_ERR_CONFLICT, &d,
		    "not the newest");
	assert_int_equal(
		query_int(f, "SELECT count(*) FROM template_versions WHERE state = 'superseded'"),
		1);
	/* Version 3 (by the reviewer) in review, returned with a comment. */
	expect_step(template_submit(f->s, &reviewer, id, &d), CT_OK, &d, NULL);
	expect_step(template_return(f->s, &author, id, "  ", &d), CT_ERR_INVALID, &d, "comment");
	expect_step(template_return(f->s, &author, id, "Bitte freundlicher.", &d), CT_OK, &d, NULL);
	t = get(f, id, 0);
	assert_string_equal(str(t, "status"), "draft");
	json_t *v3 = json_array_get(json_object_get(t, "versions"), 0);
	assert_int_equal(num(v3, "number"), 3);
	assert_string_equal(str(v3, "state"), "returned");
	assert_string_equal(str(v3, "review_comment"), "Bitte freundlicher.");
	json_decref(t);
	expect_step(template_approve(f->s, &author, id, 3, &d), CT_ERR_CONFLICT, &d, NULL);
	/* Version 4 by the author, approved by the reviewer: 1 superseded. */
	expect_step(update(f, &author, id, "{\"name\": \"Stromausfall kurz\"}", &d), CT_OK, &d,
		    NULL);
	expect_step(template_submit(f->s, &author, id, &d), CT_OK, &d, NULL);
	expect_step(template_approve(f->s, &reviewer, id, 4, &d), CT_OK, &d, NULL);
	t = get(f, id, 0);
	assert_string_equal(str(t, "name"), "Stromausfall kurz");
	assert_int_equal(num(t, "approved_version"), 4);
	assert_int_equal(num(t, "review_interval_days"), 30);
	assert_string_equal(str(json_array_get(json_object_get(t, "versions"), 3), "state"),
			    "superseded");
	assert_string_equal(str(json_object_get(t, "approved"), "state"), "approved");
	json_decref(t);
	/* Confirm: four eyes against version 4's author. */
	expect_step(template_confirm(f->s, &author, id, &d), CT_ERR_FORBIDDEN, &d, "four eyes:");
	expect_step(template_confirm(f->s, &token, id, &d), CT_ERR_FORBIDDEN, &d, "four eyes:");
	expect_step(template_confirm(f->s, &reviewer, id, &d), CT_OK, &d, NULL);
	assert_true(query_int(f, "SELECT review_due_at - approved_at FROM templates") ==
		    30 * DAY_MS);
	/* Retire: refused while the concept sends it. */
	concept k;
	memset(&k, 0, sizeof(k));
	k.first_contact.template_name = "Stromausfall kurz";
	expect_step(template_retire(f->s, &reviewer, id, &k, &d), CT_ERR_CONFLICT, &d,
		    "first-contact");
	expect_step(template_retire(f->s, &reviewer, id, NULL, &d), CT_OK, &d, NULL);
	expect_step(update(f, &author, id, "{\"note\": \"x\"}", &d), CT_ERR_CONFLICT, &d,
		    "retired");
	expect_step(template_submit(f->s, &author, id, &d), CT_ERR_CONFLICT, &d, "retired");
	expect_step(template_confirm(f->s, &reviewer, 999, &d), CT_ERR_NOT_FOUND, &d, NULL);
	t = get(f, id, 0);
	assert_string_equal(str(t, "review_state"), "none");
	assert_false(json_is_true(json_object_get(t, "usable")));
	json_decref(t);

	store_conn *c = store_reader_acquire(f->s);
	json_t *list = NULL;
	template_filter all = {0};
	assert_int_equal(template_list(c, &all, &list), CT_OK);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	template_filter retired = {.status = "retired"};
	assert_int_equal(template_list(c, &retired, &list), CT_OK);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	store_reader_release(f->s, c);
	static const char *const actions[] = {"created",  "updated",   "submitted", "approved",
					      "returned", "confirmed", "retired"};
	static const int counts[] = {1, 3, 4, 2, 1, 1, 1};
	for (size_t i = 0; i < 7; i++) {
		char sql[160];
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM audit_log WHERE object_type = 'template'"
			 " AND action = 'template.%s'",
			 actions[i]);
		if (query_int(f, sql) != counts[i])
			fail_msg("%s: %lld audit rows, want %d", actions[i],
				 (long long)query_int(f, sql), counts[i]);
	}
}

/* ---- review states ---- */

static void expect_state(fixture *f, int64_t id, int64_t now, const char *state, int usable)
{
	json_t *t = get(f, id, now);
	if (strcmp(str(t, "review_state"), state) != 0 ||
	    json_is_true(json_object_get(t, "usable")) != usable)
		fail_msg("at %lld: %s usable %d, want %s %d", (long long)now,
			 str(t, "review_state"), json_is_true(json_object_get(t, "usable")), state,
			 usable);
	json_decref(t);
}

static int64_t list_count(fixture *f, const template_filter *flt, json_t **first)
{
	store_conn *c = store_reader_acquire(f->s);
	json_t *list = NULL;
	assert_int_equal(template_list(c, flt, &list), CT_OK);
	store_reader_release(f->s, c);
	int64_t n = (int64_t)json_array_size(list);
	if (first)
		*first = n ? json_incref(json_array_get(list, 0)) : NULL;
	json_decref(list);
	return n;
}

static void approve(fixture *f, int64_t id)
{
	err_detail d = {0};
	assert_int_equal(template_submit(f->s, &author, id, &d), CT_OK);
	assert_int_equal(template_approve(f->s, &reviewer, id, 1, &d), CT_OK);
}

static void test_review_states(void **state)
{
	fixture *f = *state;
	int64_t a = create(
		f, &author,
		"{\"name\": \"Zählerstand\", \"intents\": [\"meter\"], \"review_interval_days\":"
		" 10, \"variants\": [{\"language\": \"de\", \"text\": \"Danke!\"}]}");
	int64_t b = create(f, &author,
			   "{\"name\": \"Abschlag\", \"review_interval_days\": 20, \"variants\":"
			   " [{\"language\": \"en\", \"text\": \"Thanks, {{agent.name}}\"}]}");
	expect_state(f, a, 0, "none", 0);
	approve(f, a);
	approve(f, b);
	int64_t due =
		query_int(f, "SELECT review_due_at FROM templates WHERE name = 'Zählerstand'");
	expect_state(f, a, due - 1, "ok", 1);
	expect_state(f, a, due, "due", 1);
	expect_state(f, a, due + GRACE_MS - 1, "due", 1);
	expect_state(f, a, due + GRACE_MS, "expired", 0);
	template_filter review = {.review = 1, .now = due - 1, .grace_ms = GRACE_MS};
	assert_int_equal(list_count(f, &review, NULL), 0);
	review.now = due + 11 * DAY_MS; /* a due, b (due 10 days later) due too */
	json_t *first = NULL;
	assert_int_equal(list_count(f, &review, &first), 2);
	assert_string_equal(str(first, "name"), "Zählerstand"); /* soonest first */
	assert_string_equal(str(first, "review_state"), "due");
	assert_false(json_is_null(json_object_get(first, "expires_at")));
	json_decref(first);
	template_filter by_name = {.now = due};
	assert_int_equal(list_count(f, &by_name, &first), 2);
	assert_string_equal(str(first, "name"), "Abschlag");
	json_decref(first);
	template_filter q = {.q = "ZÄHLER"};
	assert_int_equal(list_count(f, &q, &first), 1);
	assert_string_equal(str(first, "name"), "Zählerstand");
	json_decref(first);
	template_filter q_text = {.q = "agent.NAME"};
	assert_int_equal(list_count(f, &q_text, NULL), 1);
	template_filter intent = {.intent = "meter"};
	assert_int_equal(list_count(f, &intent, NULL), 1);
	template_filter lang = {.language = "en"};
	assert_int_equal(list_count(f, &lang, &first), 1);
	assert_string_equal(str(first, "name"), "Abschlag");
	json_decref(first);
	template_filter drafts = {.status = "draft"};
	assert_int_equal(list_count(f, &drafts, NULL), 0);
	/* Confirming restarts the clock. */
	err_detail d = {0};
	assert_int_equal(template_confirm(f->s, &reviewer, a, &d), CT_OK);
	int64_t due2 =
		query_int(f, "SELECT review_due_at FROM templates WHERE name = 'Zählerstand'");
	assert_true(due2 >= due);
	expect_state(f, a, due2 - 1, "ok", 1);
}

/* ---- diff ---- */

static void test_diff(void **state)
{
	fixture *f = *state;
	int64_t id = create(f, &author, GOOD);
	err_detail d = {0};
	assert_int_equal(
		update(f, &author, id,
		       "{\"intents\": [\"outage\", \"power\"], \"variants\": [{\"language\":"
		       " \"de\", \"text\": \"Guten Tag {{contact.name}}.\"}]}",
		       &d),
		CT_OK);
	store_conn *c = store_reader_acquire(f->s);
	buf out;
	buf_init(&out, 0);
	assert_int_equal(template_diff(c, id, 1, 2, &out), CT_OK);
	const char *s = buf_cstr(&out);
	assert_non_null(strstr(s, "--- version 1\n+++ version 2\n"));
	assert_non_null(strstr(s, "-intents: outage\n+intents: outage, power\n"));
	assert_non_null(strstr(s, "\n [de/any]\n"));
	assert_non_null(strstr(s, "-Hallo {{contact.first_name}}, wir arbeiten dran.\n"));
	assert_non_null(strstr(s, "+Guten Tag {{contact.name}}.\n"));
	assert_non_null(strstr(s, "-[de/x]\n"));
	buf_reset(&out);
	assert_int_equal(template_diff(c, id, 1, 9, &out), CT_ERR_NOT_FOUND);
	json_t *v = NULL;
	assert_int_equal(template_version_get(c, id, 1, &v), CT_OK);
	assert_int_equal(json_array_size(json_object_get(v, "variants")), 2);
	assert_string_equal(str(v, "state"), "superseded");
	json_decref(v);
	assert_int_equal(template_version_get(c, id, 3, &v), CT_ERR_NOT_FOUND);
	store_reader_release(f->s, c);
	buf_free(&out);
}

/* ---- report ---- */

static ct_err write_messages(store_conn *c, void *ctx)
{
	const int64_t *ids = ctx;
	ct_err err = store_exec(
		c,
		"INSERT INTO channels (id, kind, name, config, created_at) VALUES (1, 'api', 'api',"
		" '{}', 1);"
		"INSERT INTO contacts (id, name, created_at, updated_at) VALUES (1, 'Erika', 1, 1);"
		"INSERT INTO conversations (id, channel_id, contact_id, last_activity_at,"
		" created_at) VALUES (1, 1, 1, 1, 1)");
	/* (template, user, author, deviation, direction, time) */
	static const struct {
		int t;
		int64_t user;
		const char *name;
		int dev;
		const char *dir;
		int64_t at;
	} rows[] = {
		{1, 1, "Anna", 0, "out", 1000},       {1, 1, "Anna", 1, "out", 1001},
		{1, 0, "Stadtwerke", 0, "out", 1002}, {2, 2, "Bert", 1, "out", 1003},
		{0, 1, "Anna", 0, "out", 1004},       {1, 1, "Anna", 1, "out", 5000},
		{0, 0, NULL, 0, "in", 1005},
	};
	for (size_t i = 0; !err && i < sizeof(rows) / sizeof(rows[0]); i++) {
		store_stmt *st = store_prepare(
			c,
			"INSERT INTO messages (conversation_id, channel_id, direction,"
			" author_user_id, author_name, text, created_at, received_at, template_id,"
			" template_version, template_deviation) VALUES (1, 1, $1, $2, $3, 'x',"
			" $4, $4, $5, $6, $7)");
		if (!st)
			return CT_ERR_STORE;
		store_bind_text(st, 1, rows[i].dir);
		if (rows[i].user)
			store_bind_int(st, 2, rows[i].user);
		else
			store_bind_null(st, 2);
		store_bind_text(st, 3, rows[i].name);
		store_bind_int(st, 4, rows[i].at);
		if (rows[i].t) {
			store_bind_int(st, 5, ids[rows[i].t - 1]);
			store_bind_int(st, 6, 1);
			store_bind_int(st, 7, rows[i].dev);
		} else {
			store_bind_null(st, 5);
			store_bind_null(st, 6);
			store_bind_null(st, 7);
		}
		err = store_run(st);
	}
	return err;
}

static json_t *find(json_t *list, const char *key, const char *value, const char *key2,
		    const char *value2)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		if (strcmp(str(v, key), value) == 0 && (!key2 || strcmp(str(v, key2), value2) == 0))
			return v;
	}
	fail_msg("no %s=%s %s=%s", key, value, key2 ? key2 : "", value2 ? value2 : "");
	return NULL;
}

static void expect_figures(json_t *v, int uses, int deviations, double rate)
{
	assert_int_equal(num(v, "uses"), uses);
	assert_int_equal(num(v, "deviations"), deviations);
	double got = json_real_value(json_object_get(v, "deviation_rate"));
	if (got < rate - 1e-9 || got > rate + 1e-9)
		fail_msg("rate %f, want %f", got, rate);
}

static void test_report(void **state)
{
	fixture *f = *state;
	int64_t ids[3];
	ids[0] = create(f, &author, GOOD);
	ids[1] = create(f, &author,
			"{\"name\": \"Abschlag\", \"variants\": [{\"language\": \"de\", \"text\":"
			" \"Ihr Abschlag\"}]}");
	ids[2] = create(f, &author,
			"{\"name\": \"Unbenutzt\", \"variants\": [{\"language\": \"de\", \"text\":"
			" \"nie\"}]}");
	assert_int_equal(store_write(f->s, write_messages, ids), CT_OK);
	store_conn *c = store_reader_acquire(f->s);
	json_t *r = NULL;
	assert_int_equal(template_report(c, 1000, 2000, 0, GRACE_MS, &r), CT_OK);
	store_reader_release(f->s, c);
	json_t *templates = json_object_get(r, "templates");
	assert_int_equal(json_array_size(templates), 3);
	assert_string_equal(str(json_array_get(templates, 0), "name"), "Abschlag");
	expect_figures(find(templates, "name", "Stromausfall", NULL, NULL), 3, 1, 1.0 / 3.0);
	expect_figures(find(templates, "name", "Abschlag", NULL, NULL), 1, 1, 1.0);
	expect_figures(find(templates, "name", "Unbenutzt", NULL, NULL), 0, 0, 0.0);
	json_t *agents = json_object_get(r, "agents");
	assert_int_equal(json_array_size(agents), 3);
	expect_figures(find(agents, "name", "Stromausfall", "agent", "Anna"), 2, 1, 0.5);
	expect_figures(find(agents, "name", "Stromausfall", "agent", "system"), 1, 0, 0.0);
	expect_figures(find(agents, "name", "Abschlag", "agent", "Bert"), 1, 1, 1.0);
	json_t *replies = json_object_get(r, "replies");
	assert_int_equal(num(replies, "total"), 5);
	assert_int_equal(num(replies, "from_template"), 4);
	assert_int_equal(num(replies, "deviated"), 2);
	assert_int_equal(json_array_size(json_object_get(r, "review")), 0);
	assert_string_equal(str(r, "from"), "1970-01-01T00:00:01.000Z");
	json_decref(r);
}

/* ---- import and export ---- */

static int64_t rows(fixture *f)
{
	return query_int(f, "SELECT count(*) FROM templates") * 1000 +
	       query_int(f, "SELECT count(*) FROM template_versions");
}

static void export_doc(fixture *f, const char *format, buf *out)
{
	store_conn *c = store_reader_acquire(f->s);
	buf_reset(out);
	assert_int_equal(template_export(c, format, out), CT_OK);
	store_reader_release(f->s, c);
}

static ct_err import(fixture *f, const char *format, const char *text, json_t **report,
		     err_detail *d)
{
	*report = NULL;
	return template_import(f->s, &author, format, text, strlen(text), report, d);
}

static void expect_report(json_t *report, size_t created, size_t updated, size_t unchanged)
{
	assert_int_equal(json_array_size(json_object_get(report, "created")), created);
	assert_int_equal(json_array_size(json_object_get(report, "updated")), updated);
	assert_int_equal(json_array_size(json_object_get(report, "unchanged")), unchanged);
}

static void test_round_trip(void **state)
{
	fixture *f = *state;
	create(f, &author, GOOD);
	int64_t id = create(
		f, &author,
		"{\"name\": \"2024\", \"intents\": [\"billing\", \"007\"], "
		"\"review_interval_days\": 90,"
		" \"note\": \"true\", \"variants\": [{\"language\": \"de\", \"channel\": \"email\","
		" \"text\": \"Guten Tag {{contact.name}},\\n\\nÄrger über: \\\"Zähler\\\" # 1\\n  "
		"eingerückt\\n\\nGrüße\\n{{agent.name}}\\n\"}, {\"language\": \"en\", \"text\":"
		" \"- yes: no\"}]}");
	approve(f, id);
	buf out, again;
	buf_init(&out, 0);
	buf_init(&again, 0);
	static const char *const formats[] = {"json", "yaml"};
	for (size_t i = 0; i < 2; i++) {
		export_doc(f, formats[i], &out);
		if (i == 1) {
			assert_non_null(strstr(buf_cstr(&out), "text: |"));
			assert_non_null(strstr(buf_cstr(&out), "name: \"2024\""));
		} else {
			assert_non_null(strstr(buf_cstr(&out), "\n  \"templates\": [\n"));
			assert_non_null(strstr(buf_cstr(&out), "\"approved_version\": 1"));
		}
		int64_t before = rows(f);
		json_t *report = NULL;
		err_detail d = {0};
		ct_err err = import(f, formats[i], buf_cstr(&out), &report, &d);
		if (err)
			fail_msg("%s import: %s: %s\n%s", formats[i], d.field, d.message,
				 buf_cstr(&out));
		expect_report(report, 0, 0, 2);
		json_decref(report);
		assert_int_equal(rows(f), before);
		export_doc(f, formats[i], &again);
		assert_string_equal(buf_cstr(&again), buf_cstr(&out));
	}
	/* A changed text updates, a new name creates; nothing is approved. */
	const char *doc = "templates:\n"
			  "  - name: Stromausfall\n"
			  "    intents: [outage]\n"
			  "    variants:\n"
			  "      - language: de\n"
			  "        text: Neu.\n"
			  "  - name: Neu\n"
			  "    variants:\n"
			  "      - {language: fr, text: Bonjour}\n";
	json_t *report = NULL;
	err_detail d = {0};
	assert_int_equal(import(f, "yaml", doc, &report, &d), CT_OK);
	expect_report(report, 1, 1, 0);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(report, "created"), 0)), "Neu");
	json_decref(report);
	assert_int_equal(query_int(f, "SELECT count(*) FROM templates WHERE status = 'draft'"), 2);
	assert_int_equal(query_int(f, "SELECT approved_version FROM templates WHERE name = '2024'"),
			 1);
	buf_free(&out);
	buf_free(&again);
}

static void expect_import_error(fixture *f, const char *format, const char *doc, ct_err code,
				const char *field, const char *message_start)
{
	int64_t before = rows(f);
	int64_t audits = query_int(f, "SELECT count(*) FROM audit_log");
	json_t *report = NULL;
	err_detail d = {0};
	ct_err err = import(f, format, doc, &report, &d);
	if (err != code || strcmp(d.field, field) != 0 ||
	    strncmp(d.message, message_start, strlen(message_start)) != 0)
		fail_msg("got %d field '%s' message '%s'", (int)err, d.field, d.message);
	assert_null(report);
	assert_int_equal(rows(f), before);
	assert_int_equal(query_int(f, "SELECT count(*) FROM audit_log"), audits);
}

static void test_import_refused(void **state)
{
	fixture *f = *state;
	int64_t id = create(f, &author, GOOD);
	const char *bad_text = "templates:\n"
			       "  - name: Neu eins\n"
			       "    variants:\n"
			       "      - language: de\n"
			       "        text: fein\n"
			       "  - name: Neu zwei\n"
			       "    variants:\n"
			       "      - language: de\n"
			       "        text: ok\n"
			       "      - language: en\n"
			       "        text: |\n"
			       "          Hello {{contact.vorname}}\n";
	expect_import_error(f, "yaml", bad_text, CT_ERR_INVALID, "templates[1].variants[1].text",
			    "line 11: unknown variable");
	const char *missing = "templates:\n"
			      "  - name: A\n"
			      "    variants:\n"
			      "      - text: ok\n";
	expect_import_error(f, "yaml", missing, CT_ERR_INVALID, "templates[0].variants[0].language",
			    "line 4: ");
	const char *dup = "templates:\n"
			  "  - name: A\n"
			  "    variants: [{language: de, text: a}]\n"
			  "  - name: A\n"
			  "    variants: [{language: de, text: b}]\n";
	expect_import_error(f, "yaml", dup, CT_ERR_INVALID, "templates[1].name", "line 4: ");
	expect_import_error(f, "yaml", "templates:\n  - name: A\n    name: B\n", CT_ERR_INVALID,
			    "templates[0].name", "line 3: ");
	expect_import_error(f, "yaml", "templates: [\n", CT_ERR_INVALID, "", "line ");
	expect_import_error(f, "json", "{\"templates\": [\n{\"name\": }]}", CT_ERR_INVALID, "",
			    "line 2, column ");
	expect_import_error(
		f, "json",
		"{\"templates\": [{\"name\": \"X\", \"variants\": [{\"language\": \"de\","
		" \"channel\": \"sms\", \"text\": \"ok\"}]}, {\"name\": \"Y\"}]}",
		CT_ERR_INVALID, "templates[1].variants", "variants are required");
	expect_import_error(f, "json", "{\"templates\": [], \"extra\": 1}", CT_ERR_INVALID, "extra",
			    "unknown");
	expect_import_error(f, "toml", "x", CT_ERR_INVALID, "format", "format");
	/* The second entry fails only inside the write (a retired template):
	 * the first, valid and new, is not created either. */
	err_detail d = {0};
	assert_int_equal(template_retire(f->s, &reviewer, id, NULL, &d), CT_OK);
	expect_import_error(
		f, "json",
		"{\"templates\": [{\"name\": \"Ganz neu\", \"variants\": [{\"language\":"
		" \"de\", \"text\": \"a\"}]}, {\"name\": \"Stromausfall\", \"variants\":"
		" [{\"language\": \"de\", \"text\": \"b\"}]}]}",
		CT_ERR_CONFLICT, "templates[1]", "the template 'Stromausfall' is retired");
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	store_fixture_init();
	const struct CMUnitTest tests[] = {
		TEST(test_create_and_check), TEST(test_workflow),
		TEST(test_review_states),    TEST(test_diff),
		TEST(test_report),           TEST(test_round_trip),
		TEST(test_import_refused),
	};
	return cmocka_run_group_tests_name(pg_admin ? "templates store (postgres)"
						    : "templates store (sqlite)",
					   tests, NULL, NULL);
}

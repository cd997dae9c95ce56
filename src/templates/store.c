/*
 * store.c: templates as stored (templates.h, "Templates as stored"):
 * create, update (a new version each time), the list, one template, one
 * version and the diff of two versions; plus the row and insert helpers of
 * templates_internal.h that workflow.c and io.c use.
 *
 * A template's row carries what the workflow decides (status, the
 * approved version, the review clock); its versions carry what people
 * wrote (intents and variants as JSON text, the review interval, a note).
 * Filtering of the list happens here in C over the newest versions: there
 * are hundreds of templates at most, and the same code then runs on both
 * backends without JSON functions in SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "core/timeutil.h"
#include "store/columns.h"
#include "templates/templates_internal.h"
#include "triage/versions.h"

static const char SQL_ROW[] =
	"SELECT t.id, t.name, t.status, t.current_version, t.approved_version,"
	" t.review_interval_days, v.state, v.author_user_id FROM templates t"
	" JOIN template_versions v ON v.template_id = t.id AND v.number = t.current_version"
	" WHERE t.id = $1";
static const char SQL_BY_NAME[] = "SELECT id FROM templates WHERE name = $1";
static const char SQL_VERSION_BODY[] =
	"SELECT intents, variants, review_interval_days, note FROM template_versions"
	" WHERE template_id = $1 AND number = $2";
static const char SQL_INSERT_TEMPLATE[] =
	"INSERT INTO templates (name, status, current_version, review_interval_days, created_at,"
	" created_by, updated_at) VALUES ($1, 'draft', 1, $2, $3, $4, $3) RETURNING id";
static const char SQL_INSERT_VERSION[] =
	"INSERT INTO template_versions (template_id, number, state, intents, variants,"
	" review_interval_days, note, author_user_id, created_by, created_at)"
	" VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9)";
/* Drafts and versions in review that a newer version replaces. */
static const char SQL_SUPERSEDE_OPEN[] =
	"UPDATE template_versions SET state = 'superseded' WHERE template_id = $1"
	" AND state IN ('draft', 'in_review')";
/* The interval of a template follows its newest version until one is
 * approved; then it is the approved version's (set by approve). */
static const char SQL_TEMPLATE_NEW_VERSION[] =
	"UPDATE templates SET name = $2, status = 'draft', current_version = $3,"
	" review_interval_days = CASE WHEN approved_version IS NULL THEN $4"
	" ELSE review_interval_days END, updated_at = $5 WHERE id = $1";

/* The columns of a list item; the newest version's intents and variants. */
#define ITEM_COLUMNS                                                                            \
	"SELECT t.id, t.name, t.status, t.current_version, t.approved_version,"                 \
	" t.review_interval_days, t.approved_at, t.approved_by, t.review_due_at, t.updated_at," \
	" v.intents, v.variants FROM templates t JOIN template_versions v"                      \
	" ON v.template_id = t.id AND v.number = t.current_version"
static const char SQL_ITEMS[] = ITEM_COLUMNS;
static const char SQL_ITEM[] = ITEM_COLUMNS " WHERE t.id = $1";
static const char SQL_VERSIONS[] =
	"SELECT number, state, created_by, created_at, submitted_by, submitted_at, approved_by,"
	" approved_at, review_comment FROM template_versions WHERE template_id = $1"
	" ORDER BY number DESC";
static const char SQL_VERSION[] =
	"SELECT number, state, created_by, created_at, submitted_by, submitted_at, approved_by,"
	" approved_at, review_comment, intents, variants, review_interval_days, note"
	" FROM template_versions WHERE template_id = $1 AND number = $2";
static const char SQL_NAME[] = "SELECT name FROM templates WHERE id = $1";

/* ---- Rows and inserts (templates_internal.h) ---------------------------- */

/* Copy a column's text into a fixed field, "" for NULL. */
static void copy_col(store_stmt *st, int col, char *out, size_t size)
{
	const char *s = store_col_text(st, col);
	snprintf(out, size, "%s", s ? s : "");
}

/* See templates_internal.h. */
ct_err tpl_row_load(store_conn *c, int64_t id, int lock, tpl_row *r)
{
	memset(r, 0, sizeof(*r));
	buf sql;
	buf_init(&sql, 0);
	buf_puts(&sql, SQL_ROW);
	if (lock)
		buf_puts(&sql, store_row_lock_clause(c));
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	buf_free(&sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		r->id = store_col_int(st, 0);
		copy_col(st, 1, r->name, sizeof(r->name));
		copy_col(st, 2, r->status, sizeof(r->status));
		r->current_version = store_col_int(st, 3);
		r->approved_version = store_col_is_null(st, 4) ? 0 : store_col_int(st, 4);
		r->review_interval_days = store_col_int(st, 5);
		copy_col(st, 6, r->newest_state, sizeof(r->newest_state));
		r->newest_author = store_col_is_null(st, 7) ? 0 : store_col_int(st, 7);
	}
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

/* See templates_internal.h. */
ct_err tpl_find_by_name(store_conn *c, const char *name, int64_t *id)
{
	store_stmt *st = store_prepare(c, SQL_BY_NAME);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, name);
	return store_one_int(st, id);
}

json_t *tpl_col_array(store_stmt *st, int col)
{
	const char *s = store_col_text(st, col);
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;
	if (!json_is_array(v)) {
		json_decref(v);
		v = json_array();
	}
	return v;
}

/* Version number of template id as a normalised body named name. */
static ct_err version_body(store_conn *c, int64_t id, int64_t number, const char *name,
			   json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_VERSION_BODY);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_int(st, 2, number);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = json_pack("{s:s, s:o, s:I, s:o, s:o}", "name", name, "intents",
				 tpl_col_array(st, 0), "review_interval_days",
				 (json_int_t)store_col_int(st, 2), "variants", tpl_col_array(st, 1),
				 "note", col_json_text(st, 3));
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

/* See templates_internal.h. */
ct_err tpl_newest_body(store_conn *c, const tpl_row *r, json_t **out)
{
	return version_body(c, r->id, r->current_version, r->name, out);
}

/* Insert version number of template id from body, a draft by who. */
static ct_err insert_version_row(store_conn *c, const actor *who, int64_t id, int64_t number,
				 json_t *body, int64_t now)
{
	char *intents = json_dumps(json_object_get(body, "intents"), JSON_COMPACT | JSON_SORT_KEYS);
	char *variants =
		json_dumps(json_object_get(body, "variants"), JSON_COMPACT | JSON_SORT_KEYS);
	ct_err err = CT_ERR_STORE;
	store_stmt *st = store_prepare(c, SQL_INSERT_VERSION);
	if (st) {
		json_t *note = json_object_get(body, "note");
		store_bind_int(st, 1, id);
		store_bind_int(st, 2, number);
		store_bind_text(st, 3, intents);
		store_bind_text(st, 4, variants);
		store_bind_int(st, 5,
			       json_integer_value(json_object_get(body, "review_interval_days")));
		store_bind_text(st, 6, json_is_string(note) ? json_string_value(note) : NULL);
		if (who->user_id)
			store_bind_int(st, 7, who->user_id);
		else
			store_bind_null(st, 7);
		store_bind_text(st, 8, who->name);
		store_bind_int(st, 9, now);
		err = store_run(st);
	}
	free(intents);
	free(variants);
	return err;
}

/* CT_ERR_CONFLICT (d set) when name belongs to a template other than id. */
static ct_err name_free(store_conn *c, const char *name, int64_t id, const char *prefix,
			err_detail *d)
{
	int64_t other = 0;
	ct_err err = tpl_find_by_name(c, name, &other);
	if (err == CT_ERR_NOT_FOUND)
		return CT_OK;
	if (err)
		return err;
	if (other == id)
		return CT_OK;
	return tpl_fail(d, CT_ERR_CONFLICT, prefix, "name", "a template named '%s' exists", name);
}

/* What the audit log records of a template after a write. */
static json_t *audit_state(int64_t version, const char *name, const char *status)
{
	return json_pack("{s:I, s:s, s:s}", "version", (json_int_t)version, "name", name, "status",
			 status);
}

/* See templates_internal.h. */
ct_err tpl_insert_template(store_conn *c, const actor *who, json_t *body, int64_t now,
			   const char *prefix, int64_t *id, err_detail *d)
{
	const char *name = json_string_value(json_object_get(body, "name"));
	int64_t interval = json_integer_value(json_object_get(body, "review_interval_days"));
	*id = 0;
	ct_err err = name_free(c, name, 0, prefix, d);
	if (err)
		return err;
	store_stmt *st = store_prepare(c, SQL_INSERT_TEMPLATE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, name);
	store_bind_int(st, 2, interval);
	store_bind_int(st, 3, now);
	store_bind_text(st, 4, who->name);
	err = store_one_int(st, id);
	if (err == CT_ERR_CONFLICT)
		return tpl_fail(d, err, prefix, "name", "a template named '%s' exists", name);
	if (!err)
		err = insert_version_row(c, who, *id, 1, body, now);
	if (!err) {
		json_t *after = audit_state(1, name, "draft");
		err = audit_record_json(c, who, "template.created", "template", *id, NULL, after);
		json_decref(after);
	}
	return err;
}

/* See templates_internal.h. */
ct_err tpl_insert_version(store_conn *c, const actor *who, const tpl_row *r, json_t *body,
			  int64_t now, const char *prefix, err_detail *d)
{
	if (strcmp(r->status, "retired") == 0)
		return tpl_fail(d, CT_ERR_CONFLICT, prefix, "", "the template '%s' is retired",
				r->name);
	const char *name = json_string_value(json_object_get(body, "name"));
	int64_t interval = json_integer_value(json_object_get(body, "review_interval_days"));
	int64_t number = r->current_version + 1;
	ct_err err = name_free(c, name, r->id, prefix, d);
	store_stmt *st = NULL;
	if (!err && !(st = store_prepare(c, SQL_SUPERSEDE_OPEN)))
		err = CT_ERR_STORE;
	if (!err) {
		store_bind_int(st, 1, r->id);
		err = store_run(st);
	}
	if (!err)
		err = insert_version_row(c, who, r->id, number, body, now);
	if (!err && !(st = store_prepare(c, SQL_TEMPLATE_NEW_VERSION)))
		err = CT_ERR_STORE;
	if (!err) {
		store_bind_int(st, 1, r->id);
		store_bind_text(st, 2, name);
		store_bind_int(st, 3, number);
		store_bind_int(st, 4, interval);
		store_bind_int(st, 5, now);
		err = store_run(st);
		if (err == CT_ERR_CONFLICT)
			return tpl_fail(d, err, prefix, "name", "a template named '%s' exists",
					name);
	}
	if (!err) {
		json_t *before = audit_state(r->current_version, r->name, r->status);
		json_t *after = audit_state(number, name, "draft");
		err = audit_record_json(c, who, "template.updated", "template", r->id, before,
					after);
		json_decref(before);
		json_decref(after);
	}
	return err;
}

/* See templates_internal.h. */
const char *tpl_review_state(int64_t approved_version, const char *status, int64_t due_at,
			     int64_t now, int64_t grace_ms)
{
	if (!approved_version || !due_at || strcmp(status, "retired") == 0)
		return "none";
	if (now < due_at)
		return "ok";
	if (now < due_at + grace_ms)
		return "due";
	return "expired";
}

/* ---- Create and update -------------------------------------------------- */

typedef struct write_ctx {
	const actor *who;
	json_t *body; /* checked (create) or as sent (update) */
	int64_t id;
	err_detail *d;
} write_ctx;

/* Inside the write: insert the checked body as a new template. */
static ct_err write_create(store_conn *c, void *arg)
{
	write_ctx *x = arg;
	return tpl_insert_template(c, x->who, x->body, time_now_ms(), "", &x->id, x->d);
}

/* See templates.h: the body is checked before the write. */
ct_err template_create(store *s, const actor *who, json_t *body, int64_t *id, err_detail *d)
{
	json_t *checked = NULL;
	*id = 0;
	ct_err err = tpl_body_check(body, NULL, "", &checked, d);
	if (err)
		return err;
	write_ctx x = {who, checked, 0, d};
	err = store_write(s, write_create, &x);
	json_decref(checked);
	if (!err)
		*id = x.id;
	return err;
}

/* Inside the write: the newest version is the base the body changes. */
static ct_err write_update(store_conn *c, void *arg)
{
	write_ctx *x = arg;
	tpl_row r;
	ct_err err = tpl_row_load(c, x->id, 1, &r);
	if (err)
		return err;
	if (strcmp(r.status, "retired") == 0)
		return tpl_fail(x->d, CT_ERR_CONFLICT, "", "", "the template is retired");
	json_t *base = NULL, *checked = NULL;
	err = tpl_newest_body(c, &r, &base);
	if (!err)
		err = tpl_body_check(x->body, base, "", &checked, x->d);
	if (!err)
		err = tpl_insert_version(c, x->who, &r, checked, time_now_ms(), "", x->d);
	json_decref(base);
	json_decref(checked);
	return err;
}

/* See templates.h: checked inside the write against the newest version. */
ct_err template_update(store *s, const actor *who, int64_t id, json_t *body, err_detail *d)
{
	if (!json_is_object(body))
		return err_set(d, CT_ERR_INVALID, "", "the body must be a JSON object");
	write_ctx x = {who, body, id, d};
	return store_write(s, write_update, &x);
}

/* ---- Reading ----------------------------------------------------------- */

/* Append the distinct values of key over variants to a new array. */
static json_t *distinct(json_t *variants, const char *key)
{
	json_t *list = json_array();
	size_t i, j;
	json_t *v, *seen;
	json_array_foreach(variants, i, v)
	{
		json_t *x = json_object_get(v, key);
		int found = 0;
		json_array_foreach(list, j, seen) found |= json_equal(seen, x);
		if (!found && x)
			json_array_append(list, x);
	}
	return list;
}

/* A list item from a row of ITEM_COLUMNS; variants (new reference) gets
 * the newest version's variants when not NULL. */
static json_t *item_json(store_stmt *st, int64_t now, int64_t grace_ms, json_t **variants)
{
	json_t *vars = tpl_col_array(st, 11);
	const char *status = store_col_text(st, 2);
	int64_t approved = store_col_is_null(st, 4) ? 0 : store_col_int(st, 4);
	int64_t due = store_col_is_null(st, 8) ? 0 : store_col_int(st, 8);
	const char *state = tpl_review_state(approved, status, due, now, grace_ms);
	int usable = strcmp(state, "ok") == 0 || strcmp(state, "due") == 0;
	json_t *v = json_pack(
		"{s:I, s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:I, s:o, s:o, s:o, s:o, s:s, s:b, s:o}",
		"id", (json_int_t)store_col_int(st, 0), "name", store_col_text(st, 1), "status",
		status, "intents", tpl_col_array(st, 10), "languages", distinct(vars, "language"),
		"channels", distinct(vars, "channel"), "current_version",
		(json_int_t)store_col_int(st, 3), "approved_version", col_json_int(st, 4),
		"review_interval_days", (json_int_t)store_col_int(st, 5), "approved_at",
		col_json_time(st, 6), "approved_by", col_json_text(st, 7), "review_due_at",
		col_json_time(st, 8), "expires_at", json_null(), "review_state", state, "usable",
		usable, "updated_at", col_json_time(st, 9));
	if (due) {
		char t[TIME_RFC3339_SIZE];
		time_format_rfc3339(due + grace_ms, t);
		json_object_set_new(v, "expires_at", json_string(t));
	}
	json_object_set_new(v, "review_due_ms", json_integer(due)); /* for sorting; removed */
	if (variants)
		*variants = vars;
	else
		json_decref(vars);
	return v;
}

/* text folded for a case-blind search (owned by the caller). */
static char *fold(const char *text)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)text, 0, &out,
					  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
						  UTF8PROC_CASEFOLD);
	if (n < 0)
		return xstrdup(text);
	return (char *)out;
}

/* 1 when folded needle occurs in text (case-blind). */
static int contains_folded(const char *text, const char *needle)
{
	char *t = fold(text);
	int found = strstr(t, needle) != NULL;
	free(t);
	return found;
}

/* 1 when the item (with its newest variants) passes the filter. */
static int item_matches(json_t *item, json_t *variants, const template_filter *f,
			const char *q_folded)
{
	const char *status = json_string_value(json_object_get(item, "status"));
	if (f->status ? strcmp(status, f->status) != 0 : strcmp(status, "retired") == 0)
		return 0;
	size_t i;
	json_t *v;
	if (f->intent) {
		int found = 0;
		json_array_foreach(json_object_get(item, "intents"), i, v) found |=
			strcmp(json_string_value(v), f->intent) == 0;
		if (!found)
			return 0;
	}
	if (f->language) {
		int found = 0;
		json_array_foreach(json_object_get(item, "languages"), i, v) found |=
			strcmp(json_string_value(v), f->language) == 0;
		if (!found)
			return 0;
	}
	if (f->review) {
		const char *state = json_string_value(json_object_get(item, "review_state"));
		if (strcmp(state, "due") != 0 && strcmp(state, "expired") != 0)
			return 0;
	}
	if (q_folded && *q_folded) {
		int found =
			contains_folded(json_string_value(json_object_get(item, "name")), q_folded);
		json_array_foreach(variants, i, v) if (!found) found =
			contains_folded(json_string_value(json_object_get(v, "text")), q_folded);
		if (!found)
			return 0;
	}
	return 1;
}

/* qsort: items by name, bytewise (the same on both backends). */
static int by_name(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

/* qsort: items by review due date, then name. */
static int by_due(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t dx = json_integer_value(json_object_get(x, "review_due_ms"));
	json_int_t dy = json_integer_value(json_object_get(y, "review_due_ms"));
	return dx < dy ? -1 : dx > dy ? 1 : by_name(a, b);
}

/* Sort the items of list in place and drop the sorting key. */
static void sort_items(json_t *list, int due_first)
{
	size_t n = json_array_size(list);
	json_t **items = xcalloc(n ? n : 1, sizeof(*items));
	for (size_t i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(list, i));
	qsort(items, n, sizeof(*items), due_first ? by_due : by_name);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++) {
		json_object_del(items[i], "review_due_ms");
		json_array_append_new(list, items[i]);
	}
	free(items);
}

/* See templates.h. */
ct_err template_list(store_conn *c, const template_filter *f, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_ITEMS);
	if (!st)
		return CT_ERR_STORE;
	char *q = f->q && *f->q ? fold(f->q) : NULL;
	json_t *list = json_array();
	int rc;
	while ((rc = store_step(st)) == STORE_ROW) {
		json_t *variants = NULL;
		json_t *item = item_json(st, f->now, f->grace_ms, &variants);
		if (item_matches(item, variants, f, q))
			json_array_append(list, item);
		json_decref(item);
		json_decref(variants);
	}
	store_reset(st);
	free(q);
	if (rc != STORE_DONE) {
		json_decref(list);
		return CT_ERR_STORE;
	}
	sort_items(list, f->review);
	*out = list;
	return CT_OK;
}

/* One version's facts (without texts) from SQL_VERSIONS / SQL_VERSION. */
static json_t *version_facts(store_stmt *st)
{
	return json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "number",
			 (json_int_t)store_col_int(st, 0), "state", store_col_text(st, 1),
			 "created_by", col_json_text(st, 2), "created_at", col_json_time(st, 3),
			 "submitted_by", col_json_text(st, 4), "submitted_at", col_json_time(st, 5),
			 "approved_by", col_json_text(st, 6), "approved_at", col_json_time(st, 7),
			 "review_comment", col_json_text(st, 8));
}

/* See templates.h. */
ct_err template_version_get(store_conn *c, int64_t id, int64_t number, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_VERSION);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_int(st, 2, number);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		json_t *v = version_facts(st);
		json_object_set_new(v, "intents", tpl_col_array(st, 9));
		json_object_set_new(v, "variants", tpl_col_array(st, 10));
		json_object_set_new(v, "review_interval_days", json_integer(store_col_int(st, 11)));
		json_object_set_new(v, "note", col_json_text(st, 12));
		*out = v;
	}
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

/* Every version of template id, newest first, without texts. */
static ct_err versions_json(store_conn *c, int64_t id, json_t **out)
{
	store_stmt *st = store_prepare(c, SQL_VERSIONS);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	json_t *list = json_array();
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(list, version_facts(st));
	store_reset(st);
	if (rc != STORE_DONE) {
		json_decref(list);
		return CT_ERR_STORE;
	}
	*out = list;
	return CT_OK;
}

/* See templates.h. */
ct_err template_get(store_conn *c, int64_t id, int64_t now, int64_t grace_ms, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_ITEM);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	json_t *item = rc == STORE_ROW ? item_json(st, now, grace_ms, NULL) : NULL;
	store_reset(st);
	if (!item)
		return rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
	json_object_del(item, "review_due_ms");
	json_t *versions = NULL, *current = NULL, *approved = NULL;
	int64_t approved_number = json_integer_value(json_object_get(item, "approved_version"));
	ct_err err = versions_json(c, id, &versions);
	if (!err)
		err = template_version_get(
			c, id, json_integer_value(json_object_get(item, "current_version")),
			&current);
	if (!err && approved_number)
		err = template_version_get(c, id, approved_number, &approved);
	if (err) {
		json_decref(item);
		json_decref(versions);
		json_decref(current);
		return err;
	}
	json_object_set_new(item, "versions", versions);
	json_object_set_new(item, "current", current);
	json_object_set_new(item, "approved", approved ? approved : json_null());
	*out = item;
	return CT_OK;
}

/* A version as readable text for the diff: name, intents, interval, note,
 * then each variant under "[language/channel]". */
static void version_text(json_t *body, buf *out)
{
	buf_printf(out, "name: %s\n", json_string_value(json_object_get(body, "name")));
	buf_puts(out, "intents:");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(body, "intents"), i, v)
		buf_printf(out, "%s %s", i ? "," : "", json_string_value(v));
	buf_printf(out, "\nreview interval: %lld days\n",
		   (long long)json_integer_value(json_object_get(body, "review_interval_days")));
	json_t *note = json_object_get(body, "note");
	if (json_is_string(note))
		buf_printf(out, "note: %s\n", json_string_value(note));
	json_array_foreach(json_object_get(body, "variants"), i, v)
	{
		const char *text = json_string_value(json_object_get(v, "text"));
		buf_printf(out, "\n[%s/%s]\n%s", json_string_value(json_object_get(v, "language")),
			   json_string_value(json_object_get(v, "channel")), text);
		if (!*text || text[strlen(text) - 1] != '\n')
			buf_puts(out, "\n");
	}
}

/* See templates.h: both versions as readable text, diffed by libgit2. */
ct_err template_diff(store_conn *c, int64_t id, int64_t a, int64_t b, buf *out)
{
	char name[TEMPLATE_NAME_MAX + 1];
	store_stmt *st = store_prepare(c, SQL_NAME);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		copy_col(st, 0, name, sizeof(name));
	store_reset(st);
	if (rc != STORE_ROW)
		return rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
	json_t *ja = NULL, *jb = NULL;
	ct_err err = version_body(c, id, a, name, &ja);
	if (!err)
		err = version_body(c, id, b, name, &jb);
	if (!err) {
		buf ta, tb;
		buf_init(&ta, 0);
		buf_init(&tb, 0);
		version_text(ja, &ta);
		version_text(jb, &tb);
		char na[32], nb[32];
		snprintf(na, sizeof(na), "version %lld", (long long)a);
		snprintf(nb, sizeof(nb), "version %lld", (long long)b);
		err = concept_text_diff(buf_cstr(&ta), na, buf_cstr(&tb), nb, out);
		buf_free(&ta);
		buf_free(&tb);
	}
	json_decref(ja);
	json_decref(jb);
	return err;
}

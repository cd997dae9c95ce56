/*
 * update.c: changing a conversation's status, assignee, team, priority and
 * tags (see inbox_update in inbox.h).
 *
 * The patch is validated completely before anything is written; references
 * (user, team) are checked inside the write, so a reference deleted in the
 * meantime cannot slip through. One statement per field keeps every SQL text
 * fixed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "inbox/inbox.h"

#define TAGS_MAX 20
#define TAG_MAX_BYTES 64

static const char SQL_SET_STATUS[] = "UPDATE conversations SET status = $2, resolved_at = $3, "
				     "snoozed_until = NULL WHERE id = $1";
static const char SQL_SET_PRIORITY[] = "UPDATE conversations SET priority = $2 WHERE id = $1";
static const char SQL_SET_ASSIGNEE[] = "UPDATE conversations SET assignee_id = $2 WHERE id = $1";
static const char SQL_SET_TEAM[] = "UPDATE conversations SET team_id = $2 WHERE id = $1";
static const char SQL_USER_EXISTS[] = "SELECT id FROM users WHERE id = $1 AND active = 1";
static const char SQL_TEAM_EXISTS[] = "SELECT id FROM teams WHERE id = $1";
static const char SQL_TAGS_CLEAR[] = "DELETE FROM conversation_tags WHERE conversation_id = $1";
static const char SQL_TAG_ENSURE[] =
	"INSERT INTO tags (name) VALUES ($1) ON CONFLICT (name) DO NOTHING";
static const char SQL_TAG_ID[] = "SELECT id FROM tags WHERE name = $1";
static const char SQL_TAG_ADD[] = "INSERT INTO conversation_tags (conversation_id, tag_id)"
				  " VALUES ($1, $2) ON CONFLICT DO NOTHING";
static const char SQL_SET_TAG_NAMES[] = "UPDATE conversations SET tag_names = $2 WHERE id = $1";

typedef struct update_ctx {
	const actor *who;
	const inbox_scope *scope;
	int64_t id;
	json_t *patch;
	err_detail *d;
} update_ctx;

static const char SQL_SNAPSHOT[] =
	"SELECT status, priority, assignee_id, team_id FROM conversations WHERE id = $1";
static const char SQL_TAG_NAMES[] =
	"SELECT t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id"
	" WHERE ct.conversation_id = $1 ORDER BY t.name";

/* What the audit log records of a conversation: the fields a patch changes. */
static json_t *snapshot(store_conn *c, int64_t id)
{
	json_t *v = json_object();
	store_stmt *st = store_prepare(c, SQL_SNAPSHOT);
	if (st) {
		store_bind_int(st, 1, id);
		if (store_step(st) == STORE_ROW) {
			json_object_set_new(v, "status", json_string(store_col_text(st, 0)));
			json_object_set_new(v, "priority", json_string(store_col_text(st, 1)));
			json_object_set_new(v, "assignee_id",
					    store_col_is_null(st, 2)
						    ? json_null()
						    : json_integer(store_col_int(st, 2)));
			json_object_set_new(v, "team_id",
					    store_col_is_null(st, 3)
						    ? json_null()
						    : json_integer(store_col_int(st, 3)));
		}
		store_reset(st);
	}
	json_t *tags = json_array();
	if ((st = store_prepare(c, SQL_TAG_NAMES))) {
		store_bind_int(st, 1, id);
		while (store_step(st) == STORE_ROW)
			json_array_append_new(tags, json_string(store_col_text(st, 0)));
		store_reset(st);
	}
	json_object_set_new(v, "tags", tags);
	return v;
}

static ct_err check_enum(json_t *v, const char *field, const char *const *allowed,
			 const char *message, err_detail *d)
{
	if (!v)
		return CT_OK;
	if (!json_is_string(v) || !str_in_list(json_string_value(v), allowed))
		return err_set(d, CT_ERR_INVALID, field, message);
	return CT_OK;
}

static ct_err check_ref(json_t *v, const char *field, err_detail *d)
{
	if (!v || json_is_null(v) || (json_is_integer(v) && json_integer_value(v) > 0))
		return CT_OK;
	return err_set(d, CT_ERR_INVALID, field, "must be a positive id or null");
}

static ct_err check_tags(json_t *tags, err_detail *d)
{
	if (!tags)
		return CT_OK;
	if (!json_is_array(tags) || json_array_size(tags) > TAGS_MAX)
		return err_set(d, CT_ERR_INVALID, "tags",
			       "tags must be an array of at most 20 names");
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t)
	{
		size_t len = json_is_string(t) ? json_string_length(t) : 0;
		const char *s = json_is_string(t) ? json_string_value(t) : "";
		if (len == 0 || len > TAG_MAX_BYTES || s[0] == ' ' || s[len - 1] == ' ' ||
		    strchr(s, ',')) {
			err_set(d, CT_ERR_INVALID, "tags",
				"each tag must be a name of 1 to 64 bytes without commas or outer "
				"spaces");
			d->index = (int)i;
			return CT_ERR_INVALID;
		}
	}
	return CT_OK;
}

/* Everything that can be checked without the store. */
static ct_err validate_patch(json_t *patch, err_detail *d)
{
	static const char *const statuses[] = {"open", "pending", "snoozed", "resolved", NULL};
	static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};
	static const char *const keys[] = {"status",  "priority", "assignee_id",
					   "team_id", "tags",     NULL};
	if (!json_is_object(patch))
		return err_set(d, CT_ERR_INVALID, "", "the body must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v) if (!str_in_list(key, keys)) return err_set(
		d, CT_ERR_INVALID, key, "unknown field");
	ct_err err = check_enum(json_object_get(patch, "status"), "status", statuses,
				"status must be open, pending, snoozed or resolved", d);
	if (!err)
		err = check_enum(json_object_get(patch, "priority"), "priority", priorities,
				 "priority must be low, normal, high or urgent", d);
	if (!err)
		err = check_ref(json_object_get(patch, "assignee_id"), "assignee_id", d);
	if (!err)
		err = check_ref(json_object_get(patch, "team_id"), "team_id", d);
	if (!err)
		err = check_tags(json_object_get(patch, "tags"), d);
	return err;
}

static ct_err run_text(store_conn *c, const char *sql, int64_t id, const char *text)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_text(st, 2, text);
	return store_run(st);
}

static ct_err lookup(store_conn *c, const char *sql, int64_t id)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int64_t found;
	return store_one_int(st, &found);
}

/* Set a nullable reference after checking that it exists. */
static ct_err set_ref(store_conn *c, update_ctx *x, const char *field, const char *exists_sql,
		      const char *set_sql)
{
	json_t *v = json_object_get(x->patch, field);
	if (!v)
		return CT_OK;
	int64_t ref = json_is_null(v) ? 0 : json_integer_value(v);
	if (ref) {
		ct_err err = lookup(c, exists_sql, ref);
		if (err == CT_ERR_NOT_FOUND)
			return err_set(x->d, CT_ERR_INVALID, field, "no such (active) id");
		if (err)
			return err;
	}
	store_stmt *st = store_prepare(c, set_sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->id);
	if (ref)
		store_bind_int(st, 2, ref);
	else
		store_bind_null(st, 2);
	return store_run(st);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The row's copy of the tag names (sorted bytewise, as on both backends,
 * comma-joined), from the tags the conversation has now. */
static ct_err refresh_tag_names(store_conn *c, int64_t id)
{
	store_stmt *st = store_prepare(c, SQL_TAG_NAMES);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	char *names[64] = {0};
	size_t n = 0;
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		if (n < 64)
			names[n++] = xstrdup(store_col_text(st, 0));
	store_reset(st);
	qsort(names, n, sizeof(names[0]), compare_names);
	buf joined;
	buf_init(&joined, 4096);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&joined, "%s%s", i ? "," : "", names[i]);
		free(names[i]);
	}
	ct_err err = rc == STORE_ERROR ? CT_ERR_STORE : CT_OK;
	if (!err && !(st = store_prepare(c, SQL_SET_TAG_NAMES)))
		err = CT_ERR_STORE;
	if (!err) {
		store_bind_int(st, 1, id);
		store_bind_text(st, 2, buf_cstr(&joined));
		err = store_run(st);
	}
	buf_free(&joined);
	return err;
}

/* Give conversation id the tag name (made when new). */
static ct_err add_tag(store_conn *c, int64_t id, const char *name)
{
	int64_t tag_id = 0;
	store_stmt *st = store_prepare(c, SQL_TAG_ENSURE);
	ct_err err = st ? CT_OK : CT_ERR_STORE;
	if (!err) {
		store_bind_text(st, 1, name);
		err = store_run(st);
	}
	if (!err && (st = store_prepare(c, SQL_TAG_ID))) {
		store_bind_text(st, 1, name);
		err = store_one_int(st, &tag_id);
	}
	if (!err && (st = store_prepare(c, SQL_TAG_ADD))) {
		store_bind_int(st, 1, id);
		store_bind_int(st, 2, tag_id);
		err = store_run(st);
	}
	return err;
}

ct_err inbox_add_tags(store_conn *c, int64_t conversation_id, const char *const *names, size_t n)
{
	ct_err err = CT_OK;
	for (size_t i = 0; !err && i < n; i++)
		err = add_tag(c, conversation_id, names[i]);
	return err || !n ? err : refresh_tag_names(c, conversation_id);
}

static ct_err set_tags(store_conn *c, update_ctx *x)
{
	json_t *tags = json_object_get(x->patch, "tags");
	if (!tags)
		return CT_OK;
	store_stmt *st = store_prepare(c, SQL_TAGS_CLEAR);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->id);
	ct_err err = store_run(st);
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t)
	{
		if (!err)
			err = add_tag(c, x->id, json_string_value(t));
	}
	return err ? err : refresh_tag_names(c, x->id);
}

static ct_err apply_patch(store_conn *c, void *arg)
{
	update_ctx *x = arg;
	ct_err err = inbox_check_access(c, x->scope, x->id);
	if (err)
		return err;
	json_t *before = snapshot(c, x->id);
	json_t *status = json_object_get(x->patch, "status");
	if (status) {
		store_stmt *st = store_prepare(c, SQL_SET_STATUS);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, x->id);
		store_bind_text(st, 2, json_string_value(status));
		if (strcmp(json_string_value(status), "resolved") == 0)
			store_bind_int(st, 3, time_now_ms());
		else
			store_bind_null(st, 3);
		err = store_run(st);
	}
	json_t *priority = json_object_get(x->patch, "priority");
	if (!err && priority)
		err = run_text(c, SQL_SET_PRIORITY, x->id, json_string_value(priority));
	if (!err)
		err = set_ref(c, x, "assignee_id", SQL_USER_EXISTS, SQL_SET_ASSIGNEE);
	if (!err)
		err = set_ref(c, x, "team_id", SQL_TEAM_EXISTS, SQL_SET_TEAM);
	if (!err)
		err = set_tags(c, x);
	json_t *after = err ? NULL : snapshot(c, x->id);
	if (!err)
		err = audit_record_json(c, x->who, "conversation.updated", "conversation", x->id,
					before, after);
	json_decref(before);
	json_decref(after);
	return err;
}

ct_err inbox_update(store *s, const actor *who, const inbox_scope *scope, int64_t id, json_t *patch,
		    err_detail *d)
{
	ct_err err = validate_patch(patch, d);
	if (err)
		return err;
	update_ctx x = {who, scope, id, patch, d};
	return store_write(s, apply_patch, &x);
}

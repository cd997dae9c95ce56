/*
 * conversations.c: listing, reading and changing conversations (see inbox.h).
 *
 * The list is paged by a keyset cursor (last_activity_at, id) rather than an
 * offset, so a page costs the same however deep it is, and conversations that
 * move to the top while someone pages do not shift later pages. The WHERE
 * clause is assembled from fixed fragments; every value is bound.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "inbox/inbox.h"
#include "inbox/query.h"
#include "inbox/views.h"

static const char *const statuses[] = {"open", "pending", "snoozed", "resolved", NULL};
static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};

static ct_err parse_cursor(const char *cursor, int64_t *activity, int64_t *id)
{
	char *end = NULL;
	long long a = strtoll(cursor, &end, 10);
	if (end == cursor || *end != '_')
		return CT_ERR_INVALID;
	const char *rest = end + 1;
	long long i = strtoll(rest, &end, 10);
	if (end == rest || *end || i <= 0)
		return CT_ERR_INVALID;
	*activity = a;
	*id = i;
	return CT_OK;
}

/* The scope's condition on conversations (alias c), with its values bound. */
static void scope_where(const inbox_scope *scope, buf *sql, query_binds *b)
{
	query_scope qs = query_scope_bind(scope, b);
	query_scope_where(&qs, sql);
}

ct_err inbox_check_access(store_conn *c, const inbox_scope *scope, int64_t conversation_id)
{
	buf sql;
	buf_init(&sql, 1024);
	query_binds b = {0};
	buf_printf(&sql, "SELECT c.id FROM conversations c WHERE c.id = $%d",
		   query_bind_num(&b, conversation_id));
	scope_where(scope, &sql, &b);
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	buf_free(&sql);
	if (!st)
		return CT_ERR_STORE;
	query_bind_all(st, &b);
	int64_t found;
	return store_one_int(st, &found);
}

/* Append the WHERE conditions of f to sql, collecting bound values. */
static ct_err build_where(store_conn *c, const inbox_filter *f, buf *sql, query_binds *b,
			  buf *match, err_detail *d)
{
	if (f->status) {
		if (!str_in_list(f->status, statuses))
			return err_set(d, CT_ERR_INVALID, "status",
				       "status must be open, pending, snoozed or resolved");
		buf_printf(sql, " AND c.status = $%d", query_bind_text(b, f->status));
	}
	if (f->priority) {
		if (!str_in_list(f->priority, priorities))
			return err_set(d, CT_ERR_INVALID, "priority",
				       "priority must be low, normal, high or urgent");
		buf_printf(sql, " AND c.priority = $%d", query_bind_text(b, f->priority));
	}
	if (f->channel)
		buf_printf(sql, " AND c.channel_id = (SELECT id FROM channels WHERE name = $%d)",
			   query_bind_text(b, f->channel));
	if (f->language)
		buf_printf(sql, " AND c.language = $%d", query_bind_text(b, f->language));
	if (f->unassigned)
		buf_puts(sql, " AND c.assignee_id IS NULL");
	else if (f->assignee_id)
		buf_printf(sql, " AND c.assignee_id = $%d", query_bind_num(b, f->assignee_id));
	if (f->team_id)
		buf_printf(sql, " AND c.team_id = $%d", query_bind_num(b, f->team_id));
	if (f->tag)
		buf_printf(sql,
			   " AND EXISTS (SELECT 1 FROM conversation_tags ct JOIN tags t"
			   " ON t.id = ct.tag_id WHERE ct.conversation_id = c.id AND t.name = $%d)",
			   query_bind_text(b, f->tag));
	if (f->q && *f->q) {
		buf_puts(sql, " AND ");
		if (store_fts_conversation_filter(c, f->q, b->n + 1, sql, match) != CT_OK)
			return err_set(d, CT_ERR_INVALID, "q", "q holds no word to search for");
		query_bind_text(b, buf_cstr(match));
	}
	if (f->cursor && *f->cursor) {
		int64_t activity, id;
		if (parse_cursor(f->cursor, &activity, &id) != CT_OK)
			return err_set(d, CT_ERR_INVALID, "cursor",
				       "cursor is not one this server gave");
		int pa = query_bind_num(b, activity);
		buf_printf(sql, " AND (c.last_activity_at, c.id) < ($%d, $%d)", pa,
			   query_bind_num(b, id));
	}
	return CT_OK;
}

ct_err inbox_list(store_conn *c, const inbox_scope *scope, const inbox_filter *f, json_t **data,
		  buf *next_cursor, err_detail *d)
{
	*data = NULL;
	buf sql, match;
	buf_init(&sql, 8192);
	buf_init(&match, 8192);
	query_binds b = {0};
	int limit = f->limit > 0 && f->limit <= INBOX_LIST_MAX ? f->limit : 50;
	buf_puts(&sql, "SELECT " CONVERSATION_COLUMNS CONVERSATION_FROM " WHERE 1 = 1");
	scope_where(scope, &sql, &b);
	ct_err err = build_where(c, f, &sql, &b, &match, d);
	if (err)
		goto out;
	buf_printf(&sql, " ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $%d",
		   query_bind_num(&b, limit + 1));
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	if (!st) {
		err = CT_ERR_STORE;
		goto out;
	}
	query_bind_all(st, &b);
	*data = json_array();
	int rc, rows = 0;
	int64_t last_activity = 0, last_id = 0;
	while ((rc = store_step(st)) == STORE_ROW) {
		if (++rows > limit) {
			buf_printf(next_cursor, "%" PRId64 "_%" PRId64, last_activity, last_id);
			break;
		}
		last_id = store_col_int(st, 0);
		last_activity = store_col_int(st, 14);
		json_array_append_new(*data, view_conversation(st));
	}
	if (rc == STORE_ERROR)
		err = store_stmt_error(st);
	store_reset(st);
out:
	buf_free(&sql);
	buf_free(&match);
	return err;
}

static const char SQL_CONVERSATION_BY_ID[] =
	"SELECT " CONVERSATION_COLUMNS CONVERSATION_FROM " WHERE c.id = $1";
static const char SQL_MESSAGES_OF[] = "SELECT " MESSAGE_COLUMNS " FROM messages m"
				      " WHERE m.conversation_id = $1 ORDER BY m.id LIMIT 1000";
/* What waits for approval and what was refused (approved ones are messages). */
static const char SQL_HELD_OF[] =
	"SELECT " HELD_COLUMNS HELD_FROM
	" WHERE h.conversation_id = $1 AND h.state IN ('pending', 'rejected')"
	" ORDER BY h.id LIMIT 1000";

ct_err inbox_conversation(store_conn *c, const inbox_scope *scope, int64_t id, json_t **out)
{
	*out = NULL;
	ct_err access = inbox_check_access(c, scope, id);
	if (access)
		return access;
	store_stmt *st = store_prepare(c, SQL_CONVERSATION_BY_ID);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = view_conversation(st);
	ct_err err = rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
	store_reset(st);
	return err;
}

/* The rows of sql (one parameter: id), each turned into JSON by view, as
 * key of obj. */
static ct_err attach_rows(store_conn *c, const char *sql, int64_t id, json_t *(*view)(store_stmt *),
			  json_t *obj, const char *key)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	json_t *list = json_array();
	store_bind_int(st, 1, id);
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(list, view(st));
	store_reset(st);
	json_object_set_new(obj, key, list);
	return rc == STORE_ERROR ? CT_ERR_STORE : CT_OK;
}

ct_err inbox_get(store_conn *c, const inbox_scope *scope, int64_t id, json_t **out)
{
	ct_err err = inbox_conversation(c, scope, id, out);
	if (!err)
		err = attach_rows(c, SQL_MESSAGES_OF, id, view_message, *out, "messages");
	if (!err)
		err = attach_rows(c, SQL_HELD_OF, id, view_held_reply, *out, "held_replies");
	return err;
}

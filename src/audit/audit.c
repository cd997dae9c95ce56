/*
 * audit.c: writing and reading the audit log (see audit.h).
 */
#include "audit/audit.h"
#include "store/columns.h"

#include <stdlib.h>

#include "core/timeutil.h"

const actor actor_system = {"system", 0, 0, NULL};

static const char SQL_AUDIT_INSERT[] =
	"INSERT INTO audit_log (at, actor, actor_user_id, actor_token_id, action, object_type,"
	" object_id, before, after, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

ct_err audit_record(store_conn *c, const actor *who, const char *action, const char *object_type,
		    int64_t object_id, const char *before, const char *after)
{
	store_stmt *st = store_prepare(c, SQL_AUDIT_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, time_now_ms());
	store_bind_text(st, 2, who->name);
	if (who->user_id)
		store_bind_int(st, 3, who->user_id);
	if (who->token_id)
		store_bind_int(st, 4, who->token_id);
	store_bind_text(st, 5, action);
	store_bind_text(st, 6, object_type);
	if (object_id)
		store_bind_int(st, 7, object_id);
	store_bind_text(st, 8, before);
	store_bind_text(st, 9, after);
	store_bind_text(st, 10, who->ip);
	return store_run(st);
}

ct_err audit_record_json(store_conn *c, const actor *who, const char *action,
			 const char *object_type, int64_t object_id, json_t *before, json_t *after)
{
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	ct_err err = audit_record(c, who, action, object_type, object_id, b, a);
	free(b);
	free(a);
	return err;
}

#define AUDIT_COLUMNS                                                                           \
	"id, at, actor, actor_user_id, actor_token_id, action, object_type, object_id, before," \
	" after, ip"

static json_t *audit_row(store_stmt *st)
{
	char at[TIME_RFC3339_SIZE];
	time_format_rfc3339(store_col_int(st, 1), at);
	json_t *v = json_object();
	json_object_set_new(v, "id", json_integer(store_col_int(st, 0)));
	json_object_set_new(v, "at", json_string(at));
	json_object_set_new(v, "actor", json_string(store_col_text(st, 2)));
	json_object_set_new(v, "actor_user_id", col_json_int(st, 3));
	json_object_set_new(v, "actor_token_id", col_json_int(st, 4));
	json_object_set_new(v, "action", json_string(store_col_text(st, 5)));
	const char *type = store_col_text(st, 6);
	json_object_set_new(v, "object_type", type ? json_string(type) : json_null());
	json_object_set_new(v, "object_id", col_json_int(st, 7));
	json_object_set_new(v, "before", col_json_parsed(st, 8));
	json_object_set_new(v, "after", col_json_parsed(st, 9));
	const char *ip = store_col_text(st, 10);
	json_object_set_new(v, "ip", ip ? json_string(ip) : json_null());
	return v;
}

ct_err audit_list(store_conn *c, const audit_filter *f, json_t **data, int64_t *next_before)
{
	buf sql;
	buf_init(&sql, 1024);
	buf_puts(&sql, "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE id < $1");
	if (f->object_type)
		buf_puts(&sql, " AND object_type = $2");
	if (f->object_id)
		buf_puts(&sql, " AND object_id = $3");
	if (f->action)
		buf_puts(&sql, " AND action = $4");
	buf_puts(&sql, " ORDER BY id DESC LIMIT $5");
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	buf_free(&sql);
	*data = NULL;
	*next_before = 0;
	if (!st)
		return CT_ERR_STORE;
	int limit = f->limit > 0 && f->limit <= 500 ? f->limit : 100;
	store_bind_int(st, 1, f->before_id > 0 ? f->before_id : INT64_MAX);
	if (f->object_type)
		store_bind_text(st, 2, f->object_type);
	if (f->object_id)
		store_bind_int(st, 3, f->object_id);
	if (f->action)
		store_bind_text(st, 4, f->action);
	store_bind_int(st, 5, limit + 1);
	*data = json_array();
	int rc, rows = 0;
	int64_t last = 0;
	while ((rc = store_step(st)) == STORE_ROW) {
		if (++rows > limit) {
			*next_before = last;
			break;
		}
		last = store_col_int(st, 0);
		json_array_append_new(*data, audit_row(st));
	}
	store_reset(st);
	return rc == STORE_ERROR ? CT_ERR_STORE : CT_OK;
}

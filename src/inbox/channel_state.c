/*
 * channel_state.c: the channel_state table (see channel_state.h).
 *
 * One upsert writes a row whatever is known; a NULL cursor, a next_poll_at
 * or wait_until of -1 keep what is stored, so that a webhook's success does
 * not move a poll's position and an error does not forget it.
 */
#include <stdlib.h>

#include "inbox/channel_state.h"
#include "store/columns.h"

/* -1 in $3, $4, $6, $7 keeps what is stored (0 for a new row). */
static const char SQL_UPSERT[] =
	"INSERT INTO channel_state (channel_id, cursor, next_poll_at, last_ok_at, last_error,"
	" last_error_at, wait_until)"
	" VALUES ($1, $2, CASE WHEN $3 < 0 THEN 0 ELSE $3 END, CASE WHEN $4 < 0 THEN NULL ELSE $4 "
	"END,"
	" $5, CASE WHEN $6 < 0 THEN NULL ELSE $6 END, CASE WHEN $7 < 0 THEN 0 ELSE $7 END)"
	" ON CONFLICT (channel_id) DO UPDATE SET"
	" cursor = coalesce(excluded.cursor, channel_state.cursor),"
	" next_poll_at = CASE WHEN $3 < 0 THEN channel_state.next_poll_at ELSE $3 END,"
	" last_ok_at = CASE WHEN $4 < 0 THEN channel_state.last_ok_at ELSE $4 END,"
	" last_error = coalesce(excluded.last_error, channel_state.last_error),"
	" last_error_at = CASE WHEN $6 < 0 THEN channel_state.last_error_at ELSE $6 END,"
	" wait_until = CASE WHEN $7 < 0 THEN channel_state.wait_until ELSE $7 END";
static const char SQL_CURSOR[] = "SELECT cursor FROM channel_state WHERE channel_id = $1";
static const char SQL_HEALTH[] =
	"SELECT s.last_ok_at, s.last_error, s.last_error_at, s.next_poll_at, s.wait_until,"
	" (SELECT count(*) FROM messages m WHERE m.channel_id = $1 AND m.direction = 'out'"
	"   AND m.delivery_state = 'queued'),"
	" (SELECT count(*) FROM messages m WHERE m.channel_id = $1 AND m.direction = 'out'"
	"   AND m.delivery_state = 'failed')"
	" FROM channels ch LEFT JOIN channel_state s ON s.channel_id = ch.id WHERE ch.id = $1";

ct_err channel_state_record(store_conn *c, const channel_state_update *u)
{
	store_stmt *st = store_prepare(c, SQL_UPSERT);
	if (!st)
		return CT_ERR_STORE;
	char *cursor = u->cursor ? json_dumps(u->cursor, JSON_COMPACT) : NULL;
	store_bind_int(st, 1, u->channel_id);
	store_bind_text(st, 2, cursor);
	store_bind_int(st, 3, u->next_poll_at);
	store_bind_int(st, 4, u->error ? -1 : u->now_ms);
	store_bind_text(st, 5, u->error);
	store_bind_int(st, 6, u->error ? u->now_ms : -1);
	store_bind_int(st, 7, u->wait_until);
	ct_err err = store_run(st);
	free(cursor);
	return err;
}

ct_err channel_state_cursor(store_conn *c, int64_t channel_id, json_t **cursor)
{
	*cursor = NULL;
	store_stmt *st = store_prepare(c, SQL_CURSOR);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, channel_id);
	int rc = store_step(st);
	if (rc == STORE_ROW && !store_col_is_null(st, 0))
		*cursor = json_loads(store_col_text(st, 0), 0, NULL);
	store_reset(st);
	return rc == STORE_ERROR ? CT_ERR_STORE : CT_OK;
}

/* A time column as JSON (null when absent or zero). */
static json_t *time_or_null(store_stmt *st, int col)
{
	if (store_col_is_null(st, col) || store_col_int(st, col) == 0)
		return json_null();
	return col_json_time(st, col);
}

static const char *health_status(store_stmt *st, int64_t now_ms)
{
	int64_t ok = store_col_int(st, 0), failed = store_col_int(st, 2);
	if (store_col_int(st, 4) > now_ms)
		return "waiting";
	if (!store_col_is_null(st, 2) && failed >= ok)
		return "error";
	return store_col_is_null(st, 0) ? "idle" : "ok";
}

ct_err channel_state_health(store_conn *c, int64_t channel_id, int64_t now_ms, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_HEALTH);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, channel_id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = json_pack(
			"{s:s, s:o, s:s?, s:o, s:o, s:o, s:I, s:I}", "status",
			health_status(st, now_ms), "last_ok_at", time_or_null(st, 0), "last_error",
			store_col_is_null(st, 1) ? NULL : store_col_text(st, 1), "last_error_at",
			time_or_null(st, 2), "next_poll_at", time_or_null(st, 3), "wait_until",
			store_col_int(st, 4) > now_ms ? time_or_null(st, 4) : json_null(),
			"backlog", (json_int_t)store_col_int(st, 5), "failed",
			(json_int_t)store_col_int(st, 6));
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

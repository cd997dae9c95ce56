/*
 * availability.c: what routing needs to know of an agent (see accounts.h):
 * away or not, working hours per weekday, and how many open conversations
 * they take at most. Set by admins through the user API; read by
 * triage/routing.c.
 */
#include <string.h>

#include "accounts/accounts.h"
#include "core/timeutil.h"

static const char SQL_SET_AWAY[] = "UPDATE users SET away = $2, updated_at = $3 WHERE id = $1";
static const char SQL_SET_CAPACITY[] =
	"UPDATE users SET capacity = $2, updated_at = $3 WHERE id = $1";
static const char SQL_SET_HOURS[] =
	"UPDATE users SET working_hours = $2, updated_at = $3 WHERE id = $1";

static const char *const DAYS[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

/* 1 when span is "HH:MM-HH:MM" with the start before the end. */
static int valid_span(const char *span)
{
	int from, to;
	return span && time_parse_day_span(span, &from, &to) && from < to;
}

static ct_err check_hours(json_t *hours, err_detail *d)
{
	static const char msg[] = "working_hours must be null or an object of weekdays (mon .. "
				  "sun) with lists of \"HH:MM-HH:MM\"";
	if (json_is_null(hours))
		return CT_OK;
	if (!json_is_object(hours))
		return err_set(d, CT_ERR_INVALID, "working_hours", msg);
	const char *day;
	json_t *spans;
	json_object_foreach(hours, day, spans)
	{
		if (!str_in_list(day, DAYS) || !json_is_array(spans) || json_array_size(spans) > 8)
			return err_set(d, CT_ERR_INVALID, "working_hours", msg);
		size_t i;
		json_t *span;
		json_array_foreach(spans, i, span) if (
			!valid_span(json_string_value(span))) return err_set(d, CT_ERR_INVALID,
									     "working_hours", msg);
	}
	return CT_OK;
}

ct_err account_check_availability(json_t *body, err_detail *d)
{
	json_t *away = json_object_get(body, "away");
	if (away && !json_is_boolean(away))
		return err_set(d, CT_ERR_INVALID, "away", "away must be true or false");
	json_t *cap = json_object_get(body, "capacity");
	if (cap && !json_is_null(cap) &&
	    (!json_is_integer(cap) || json_integer_value(cap) < 0 ||
	     json_integer_value(cap) > 10000))
		return err_set(d, CT_ERR_INVALID, "capacity",
			       "capacity must be null (the team's) or 0 (unlimited) .. 10000");
	json_t *hours = json_object_get(body, "working_hours");
	return hours ? check_hours(hours, d) : CT_OK;
}

ct_err account_set_availability(store_conn *c, int64_t user_id, json_t *body)
{
	json_t *v;
	ct_err err = CT_OK;
	store_stmt *st;
	if ((v = json_object_get(body, "away"))) {
		if (!(st = store_prepare(c, SQL_SET_AWAY)))
			return CT_ERR_STORE;
		store_bind_int(st, 1, user_id);
		store_bind_int(st, 2, json_is_true(v));
		store_bind_int(st, 3, time_now_ms());
		err = store_run(st);
	}
	if (!err && (v = json_object_get(body, "capacity"))) {
		if (!(st = store_prepare(c, SQL_SET_CAPACITY)))
			return CT_ERR_STORE;
		store_bind_int(st, 1, user_id);
		if (!json_is_null(v))
			store_bind_int(st, 2, json_integer_value(v));
		store_bind_int(st, 3, time_now_ms());
		err = store_run(st);
	}
	if (!err && (v = json_object_get(body, "working_hours"))) {
		if (!(st = store_prepare(c, SQL_SET_HOURS)))
			return CT_ERR_STORE;
		char *text = json_is_null(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		store_bind_int(st, 1, user_id);
		store_bind_text(st, 2, text);
		store_bind_int(st, 3, time_now_ms());
		err = store_run(st);
		free(text);
	}
	return err;
}

void account_availability_json(store_stmt *st, int col, json_t *user)
{
	json_object_set_new(user, "away", json_boolean(store_col_int(st, col)));
	json_object_set_new(user, "capacity",
			    store_col_is_null(st, col + 1)
				    ? json_null()
				    : json_integer(store_col_int(st, col + 1)));
	json_object_set_new(user, "working_hours",
			    store_col_is_null(st, col + 2)
				    ? json_null()
				    : json_loads(store_col_text(st, col + 2), 0, NULL));
}

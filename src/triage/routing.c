/*
 * routing.c: assignment within a team (see routing.h).
 */
#include <jansson.h>
#include <string.h>

#include "core/timeutil.h"
#include "triage/routing.h"

static const char SQL_TEAM_ID[] = "SELECT id FROM teams WHERE name = $1";
static const char SQL_MEMBERS[] =
	"SELECT u.id, coalesce(u.capacity, -1), coalesce(u.working_hours, ''),"
	" (SELECT count(*) FROM conversations c WHERE c.assignee_id = u.id"
	"  AND c.status IN ('open', 'pending')),"
	" coalesce((SELECT last_assigned_user_id FROM teams WHERE id = $1), 0)"
	" FROM team_members tm JOIN users u ON u.id = tm.user_id"
	" WHERE tm.team_id = $1 AND u.active = 1 AND u.away = 0 AND u.role <> 'viewer'"
	" ORDER BY u.id";
static const char SQL_REMEMBER[] = "UPDATE teams SET last_assigned_user_id = $2 WHERE id = $1";

static const char *const DAY_KEYS[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

ct_err routing_team_id(store_conn *c, const char *name, int64_t *team_id)
{
	*team_id = 0;
	store_stmt *st = store_prepare(c, SQL_TEAM_ID);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, name);
	ct_err err = store_one_int(st, team_id);
	return err == CT_ERR_NOT_FOUND ? CT_OK : err;
}

int routing_works_at(const char *working_hours, int wd, int minute)
{
	if (!working_hours || !working_hours[0])
		return 1;
	json_t *root = json_loads(working_hours, 0, NULL);
	json_t *day = wd >= 0 && wd < 7 ? json_object_get(root, DAY_KEYS[wd]) : NULL;
	int works = 0;
	size_t i;
	json_t *span;
	json_array_foreach(day, i, span)
	{
		const char *s = json_string_value(span);
		int from, to;
		if (s && time_parse_day_span(s, &from, &to) && minute >= from && minute < to)
			works = 1;
	}
	json_decref(root);
	return works;
}

/* Remember who got the team's last conversation (for round robin). */
static ct_err remember(store_conn *c, int64_t team_id, int64_t user_id)
{
	store_stmt *st = store_prepare(c, SQL_REMEMBER);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, team_id);
	store_bind_int(st, 2, user_id);
	return store_run(st);
}

ct_err routing_pick(store_conn *c, const concept *k, const concept_team *team, int64_t team_id,
		    int64_t now, int64_t *user_id)
{
	*user_id = 0;
	if (!team || team->assignment == CONCEPT_ASSIGN_NONE || !team_id)
		return CT_OK;
	int y, mo, d, wd, minute;
	calendar_local(k->cal, now, &y, &mo, &d, &wd, &minute);
	store_stmt *st = store_prepare(c, SQL_MEMBERS);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, team_id);
	int64_t best = 0, best_load = INT64_MAX, first = 0, after_last = 0;
	int rc;
	while ((rc = store_step(st)) == STORE_ROW) {
		int64_t id = store_col_int(st, 0), capacity = store_col_int(st, 1);
		int64_t load = store_col_int(st, 3), last = store_col_int(st, 4);
		if (capacity < 0)
			capacity = team->capacity;
		if ((capacity > 0 && load >= capacity) ||
		    !routing_works_at(store_col_text(st, 2), wd, minute))
			continue;
		if (!first)
			first = id;
		if (!after_last && id > last)
			after_last = id;
		if (load < best_load)
			best = id, best_load = load;
	}
	store_reset(st);
	if (rc == STORE_ERROR)
		return CT_ERR_STORE;
	*user_id = team->assignment == CONCEPT_ASSIGN_LEAST_LOADED ? best
		   : after_last                                    ? after_last
								   : first;
	return *user_id ? remember(c, team_id, *user_id) : CT_OK;
}

/*
 * choices.c: what the inbox offers to pick from: the channels, tags, teams
 * and active people, for filters and for assigning (see inbox.h). These are
 * small tables; each is one indexed query.
 */
#include "inbox/inbox.h"

static const char SQL_CHANNELS[] = "SELECT id, name, kind FROM channels ORDER BY name";
static const char SQL_TAGS[] = "SELECT id, name FROM tags ORDER BY name";
static const char SQL_TEAMS[] = "SELECT id, name FROM teams ORDER BY name";
static const char SQL_PEOPLE[] = "SELECT id, name FROM users WHERE active = 1 AND role <> 'viewer'"
				 " ORDER BY name";

/* Run sql and collect its rows as {"id": .., "name": .., ["kind": ..]}. */
static ct_err collect(store_conn *c, const char *sql, int with_kind, json_t **out)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	json_t *rows = json_array();
	int rc;
	while ((rc = store_step(st)) == STORE_ROW) {
		json_t *row = json_pack("{s:I, s:s}", "id", (json_int_t)store_col_int(st, 0),
					"name", store_col_text(st, 1));
		if (with_kind)
			json_object_set_new(row, "kind", json_string(store_col_text(st, 2)));
		json_array_append_new(rows, row);
	}
	ct_err err = rc == STORE_DONE ? CT_OK : store_stmt_error(st);
	store_reset(st);
	if (err)
		json_decref(rows);
	else
		*out = rows;
	return err;
}

ct_err inbox_choices(store_conn *c, json_t **out)
{
	json_t *channels = NULL, *tags = NULL, *teams = NULL, *people = NULL;
	ct_err err = collect(c, SQL_CHANNELS, 1, &channels);
	if (!err)
		err = collect(c, SQL_TAGS, 0, &tags);
	if (!err)
		err = collect(c, SQL_TEAMS, 0, &teams);
	if (!err)
		err = collect(c, SQL_PEOPLE, 0, &people);
	if (err) {
		json_decref(channels), json_decref(tags), json_decref(teams), json_decref(people);
		return err;
	}
	*out = json_pack("{s:o, s:o, s:o, s:o}", "channels", channels, "tags", tags, "teams", teams,
			 "people", people);
	return CT_OK;
}

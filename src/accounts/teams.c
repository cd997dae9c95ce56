/*
 * teams.c: teams and their members (see accounts.h). Agents see the
 * conversations of their teams; the dialog concept routes to teams.
 */
#include <string.h>

#include "accounts/accounts.h"
#include "core/timeutil.h"

static const char SQL_LIST[] = "SELECT id, name FROM teams ORDER BY name";
static const char SQL_MEMBERS[] =
	"SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id";
static const char SQL_INSERT[] =
	"INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id";
static const char SQL_RENAME[] = "UPDATE teams SET name = $2 WHERE id = $1";
static const char SQL_CLEAR[] = "DELETE FROM team_members WHERE team_id = $1";
static const char SQL_ADD[] = "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)"
			      " ON CONFLICT DO NOTHING";
static const char SQL_USER_EXISTS[] = "SELECT id FROM users WHERE id = $1";
static const char SQL_TEAM[] = "SELECT id, name FROM teams WHERE id = $1";

static json_t *members_of(store_conn *c, int64_t team_id)
{
	json_t *m = json_array();
	store_stmt *st = store_prepare(c, SQL_MEMBERS);
	if (!st)
		return m;
	store_bind_int(st, 1, team_id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(m, json_integer(store_col_int(st, 0)));
	store_reset(st);
	return m;
}

static json_t *team_row(store_conn *c, store_stmt *st)
{
	int64_t id = store_col_int(st, 0);
	return json_pack("{s:I, s:s, s:o}", "id", (json_int_t)id, "name", store_col_text(st, 1),
			 "members", members_of(c, id));
}

ct_err teams_list(store_conn *c, json_t **data)
{
	*data = json_array();
	store_stmt *st = store_prepare(c, SQL_LIST);
	if (!st)
		return CT_ERR_STORE;
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(*data, team_row(c, st));
	store_reset(st);
	return rc == STORE_ERROR ? CT_ERR_STORE : CT_OK;
}

static json_t *team_view(store_conn *c, int64_t id)
{
	store_stmt *st = store_prepare(c, SQL_TEAM);
	json_t *v = NULL;
	if (!st)
		return NULL;
	store_bind_int(st, 1, id);
	if (store_step(st) == STORE_ROW)
		v = team_row(c, st);
	store_reset(st);
	return v;
}

static ct_err check_body(json_t *body, int creating, err_detail *d)
{
	if (!json_is_object(body))
		return err_set(d, CT_ERR_INVALID, "", "the body must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach(body, key,
			    v) if (strcmp(key, "name") &&
				   strcmp(key, "members")) return err_set(d, CT_ERR_INVALID, key,
									  "unknown field");
	json_t *name = json_object_get(body, "name");
	if ((creating || name) && (!json_is_string(name) || json_string_length(name) == 0 ||
				   json_string_length(name) > 100))
		return err_set(d, CT_ERR_INVALID, "name", "name must be 1 to 100 bytes");
	json_t *members = json_object_get(body, "members");
	size_t i;
	json_t *m;
	if (members && !json_is_array(members))
		return err_set(d, CT_ERR_INVALID, "members",
			       "members must be an array of user ids");
	json_array_foreach(members, i,
			   m) if (!json_is_integer(m) ||
				  json_integer_value(m) <=
					  0) return err_set(d, CT_ERR_INVALID, "members",
							    "members must be an array of user ids");
	return CT_OK;
}

typedef struct team_write {
	const actor *who;
	json_t *body;
	int64_t id;
	err_detail *d;
} team_write;

static ct_err set_members(store_conn *c, team_write *x)
{
	json_t *members = json_object_get(x->body, "members");
	if (!members)
		return CT_OK;
	store_stmt *st = store_prepare(c, SQL_CLEAR);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->id);
	ct_err err = store_run(st);
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m)
	{
		int64_t found;
		if (err || !(st = store_prepare(c, SQL_USER_EXISTS)))
			return err ? err : CT_ERR_STORE;
		store_bind_int(st, 1, json_integer_value(m));
		err = store_one_int(st, &found);
		if (err == CT_ERR_NOT_FOUND)
			return err_set(x->d, CT_ERR_INVALID, "members", "no such user");
		if (!err && (st = store_prepare(c, SQL_ADD))) {
			store_bind_int(st, 1, x->id);
			store_bind_int(st, 2, found);
			err = store_run(st);
		}
	}
	return err;
}

static ct_err insert_team(store_conn *c, void *arg)
{
	team_write *x = arg;
	store_stmt *st = store_prepare(c, SQL_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, json_string_value(json_object_get(x->body, "name")));
	store_bind_int(st, 2, time_now_ms());
	ct_err err = store_one_int(st, &x->id);
	if (err == CT_ERR_CONFLICT)
		return err_set(x->d, err, "name", "a team with this name exists");
	if (!err)
		err = set_members(c, x);
	json_t *after = err ? NULL : team_view(c, x->id);
	if (!err)
		err = audit_record_json(c, x->who, "team.created", "team", x->id, NULL, after);
	json_decref(after);
	return err;
}

static ct_err update_team(store_conn *c, void *arg)
{
	team_write *x = arg;
	json_t *before = team_view(c, x->id);
	if (!before)
		return CT_ERR_NOT_FOUND;
	ct_err err = CT_OK;
	json_t *name = json_object_get(x->body, "name");
	if (name) {
		store_stmt *st = store_prepare(c, SQL_RENAME);
		if (!st) {
			err = CT_ERR_STORE;
		} else {
			store_bind_int(st, 1, x->id);
			store_bind_text(st, 2, json_string_value(name));
			err = store_run(st);
			if (err == CT_ERR_CONFLICT)
				err_set(x->d, err, "name", "a team with this name exists");
		}
	}
	if (!err)
		err = set_members(c, x);
	json_t *after = err ? NULL : team_view(c, x->id);
	if (!err)
		err = audit_record_json(c, x->who, "team.updated", "team", x->id, before, after);
	json_decref(before);
	json_decref(after);
	return err;
}

ct_err teams_create(store *s, const actor *who, json_t *body, int64_t *id, err_detail *d)
{
	ct_err err = check_body(body, 1, d);
	if (err)
		return err;
	team_write x = {who, body, 0, d};
	err = store_write(s, insert_team, &x);
	*id = x.id;
	return err;
}

ct_err teams_update(store *s, const actor *who, int64_t id, json_t *body, err_detail *d)
{
	ct_err err = check_body(body, 0, d);
	if (err)
		return err;
	team_write x = {who, body, id, d};
	return store_write(s, update_team, &x);
}

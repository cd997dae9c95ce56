/*
 * accounts.c: the JSON API for people and integrations: users, teams, API
 * tokens, and the audit log. Admins only (see routes.c), except listing
 * teams, which everyone signed in may do.
 */
#include "accounts/accounts.h"
#include "api/api.h"
#include "api/common.h"

typedef ct_err (*list_fn)(store_conn *c, json_t **data);

/* Answer {"data": [...]} from a list function. */
static void answer_list(http_request *req, http_response *res, list_fn list)
{
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *data = NULL;
	ct_err err = list(c, &data);
	store_reader_release(a->store, c);
	if (err) {
		json_decref(data);
		http_error(res, err, "the list could not be read", NULL, -1);
		return;
	}
	http_json(res, 200, json_pack("{s:o}", "data", data));
}

static void answer_user(http_request *req, http_response *res, int status, int64_t id,
			const char *password)
{
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *u = NULL;
	ct_err err = users_get(c, id, &u);
	store_reader_release(a->store, c);
	if (err) {
		api_fail(res, err, NULL, "user");
		return;
	}
	if (password) /* generated: shown this once */
		json_object_set_new(u, "password", json_string(password));
	http_json(res, status, u);
}

void api_users_list(http_request *req, http_response *res)
{
	answer_list(req, res, users_list);
}

void api_users_create(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	char generated[32] = "";
	int64_t id = 0;
	ct_err err = users_create(http_app(req)->store, &who, body, generated, &id, &d);
	json_decref(body);
	if (err)
		api_fail(res, err, &d, "user");
	else
		answer_user(req, res, 201, id, generated[0] ? generated : NULL);
}

void api_user_get(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "user");
	if (id)
		answer_user(req, res, 200, id, NULL);
}

void api_user_patch(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "user");
	json_t *body = NULL;
	if (!id || http_body_json(req, res, &body) != CT_OK)
		return;
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	ct_err err = users_update(http_app(req)->store, &who, id, body, &d);
	json_decref(body);
	if (err)
		api_fail(res, err, &d, "user");
	else
		answer_user(req, res, 200, id, NULL);
}

void api_teams_list(http_request *req, http_response *res)
{
	answer_list(req, res, teams_list);
}

/* Answer with the team as listed (teams are few; the list is the source). */
static void answer_team(http_request *req, http_response *res, int status, int64_t id)
{
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *all = NULL, *found = NULL;
	ct_err err = teams_list(c, &all);
	store_reader_release(a->store, c);
	size_t i;
	json_t *t;
	json_array_foreach(all, i, t) if (json_integer_value(json_object_get(t, "id")) == id)
		found = json_incref(t);
	json_decref(all);
	if (err || !found)
		api_fail(res, err ? err : CT_ERR_NOT_FOUND, NULL, "team");
	else
		http_json(res, status, found);
}

void api_teams_create(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	int64_t id = 0;
	ct_err err = teams_create(http_app(req)->store, &who, body, &id, &d);
	json_decref(body);
	if (err)
		api_fail(res, err, &d, "team");
	else
		answer_team(req, res, 201, id);
}

void api_team_patch(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "team");
	json_t *body = NULL;
	if (!id || http_body_json(req, res, &body) != CT_OK)
		return;
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	ct_err err = teams_update(http_app(req)->store, &who, id, body, &d);
	json_decref(body);
	if (err)
		api_fail(res, err, &d, "team");
	else
		answer_team(req, res, 200, id);
}

void api_tokens_list(http_request *req, http_response *res)
{
	answer_list(req, res, tokens_list);
}

void api_tokens_create(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	char token[64];
	int64_t id = 0;
	ct_err err = tokens_create(http_app(req)->store, &who, body, token, &id, &d);
	json_decref(body);
	if (err)
		api_fail(res, err, &d, "token");
	else /* the token itself is shown this once */
		http_json(res, 201, json_pack("{s:I, s:s}", "id", (json_int_t)id, "token", token));
}

void api_token_revoke(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "token");
	if (!id)
		return;
	actor who;
	api_actor(req, &who);
	ct_err err = tokens_revoke(http_app(req)->store, &who, id);
	if (err)
		api_fail(res, err, NULL, "token");
	else
		http_json(res, 200,
			  json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "revoked"));
}

void api_audit_list(http_request *req, http_response *res)
{
	int64_t limit, before, object_id;
	if (http_query_int(req, res, "limit", 100, 1, 500, &limit) != CT_OK ||
	    http_query_int(req, res, "before", 0, 1, INT64_MAX, &before) != CT_OK ||
	    http_query_int(req, res, "object_id", 0, 1, INT64_MAX, &object_id) != CT_OK)
		return;
	audit_filter f = {http_query(req, "object_type"), object_id, http_query(req, "action"),
			  before, (int)limit};
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *data = NULL;
	int64_t next = 0;
	ct_err err = audit_list(c, &f, &data, &next);
	store_reader_release(a->store, c);
	if (err) {
		json_decref(data);
		http_error(res, err, "the audit log could not be read", NULL, -1);
		return;
	}
	http_json(res, 200,
		  json_pack("{s:o, s:o}", "data", data, "next_before",
			    next ? json_integer(next) : json_null()));
}

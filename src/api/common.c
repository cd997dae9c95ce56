/*
 * common.c: helpers shared by the API handlers (see common.h).
 */
#include "api/common.h"

#include "accounts/accounts.h"
#include "inbox/inbox.h"

#include <stdio.h>

void api_actor(const http_request *req, actor *out)
{
	const principal *p = http_principal(req);
	out->name = p->name;
	out->user_id = p->user_id;
	out->token_id = p->token_id;
	out->ip = http_client_ip(req);
}

int64_t api_path_id(http_request *req, http_response *res, const char *what)
{
	int64_t id = http_param_id(req, 0);
	if (!id) {
		char message[96];
		snprintf(message, sizeof(message), "no such %s", what);
		http_error(res, CT_ERR_NOT_FOUND, message, NULL, -1);
	}
	return id;
}

void api_fail(http_response *res, ct_err err, const err_detail *d, const char *what)
{
	if (err == CT_ERR_NOT_FOUND && (!d || !d->field[0])) {
		char message[96];
		snprintf(message, sizeof(message), "no such %s", what);
		http_error(res, err, message, NULL, -1);
	} else if (d && d->message[0]) {
		http_error_detail(res, err, d);
	} else {
		http_error(res, err, err_code_name(err), NULL, -1);
	}
}

ct_err api_session_user(http_request *req, http_response *res, user_auth *u)
{
	const principal *who = http_principal(req);
	if (!who->session_id) {
		http_error(res, CT_ERR_INVALID, "this needs a signed-in user, not an API token",
			   NULL, -1);
		return CT_ERR_INVALID;
	}
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = users_find_by_id(c, who->user_id, u);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err, "the user could not be read", NULL, -1);
	return err;
}

void api_scope(const http_request *req, inbox_scope *out)
{
	const principal *p = http_principal(req);
	out->agent_user_id = p->role == ROLE_AGENT ? p->user_id : 0;
	out->channel_id = p->channel_id;
}

ct_err api_body_object(http_request *req, http_response *res, int optional, json_t **out)
{
	size_t len = 0;
	http_body(req, &len);
	*out = NULL;
	if (optional && !len)
		return CT_OK;
	if (http_body_json(req, res, out) != CT_OK)
		return CT_ERR_INVALID;
	if (json_is_object(*out))
		return CT_OK;
	json_decref(*out);
	*out = NULL;
	http_error(res, CT_ERR_INVALID, "the body must be a JSON object", NULL, -1);
	return CT_ERR_INVALID;
}

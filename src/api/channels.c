/*
 * channels.c: the channel settings routes of the JSON API.
 */
#include "api/api.h"
#include "api/common.h"
#include "inbox/inbox.h"

static void answer_channel(http_request *req, http_response *res, int status, int64_t id)
{
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *ch = NULL;
	ct_err err = channel_settings_get(c, &a->key, id, &ch);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err, "no such channel", NULL, -1);
	else
		http_json(res, status, ch);
}

void api_channels_list(http_request *req, http_response *res)
{
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *data = NULL;
	ct_err err = channel_settings_list(c, &a->key, &data);
	store_reader_release(a->store, c);
	if (err) {
		json_decref(data);
		http_error(res, err, "the channels could not be read", NULL, -1);
		return;
	}
	http_json(res, 200, json_pack("{s:o}", "data", data));
}

void api_channels_get(http_request *req, http_response *res)
{
	int64_t id = http_param_id(req, 0);
	if (!id)
		http_error(res, CT_ERR_NOT_FOUND, "no such channel", NULL, -1);
	else
		answer_channel(req, res, 200, id);
}

void api_channels_create(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	err_detail d = {.index = -1};
	int64_t id = 0;
	actor who;
	api_actor(req, &who);
	app *a = http_app(req);
	ct_err err = channel_settings_create(a->store, &who, &a->key, body, &id, &d);
	json_decref(body);
	if (err)
		http_error_detail(res, err, &d);
	else
		answer_channel(req, res, 201, id);
}

void api_channels_patch(http_request *req, http_response *res)
{
	int64_t id = http_param_id(req, 0);
	json_t *body = NULL;
	if (!id) {
		http_error(res, CT_ERR_NOT_FOUND, "no such channel", NULL, -1);
		return;
	}
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	err_detail d = {.index = -1};
	actor who;
	api_actor(req, &who);
	app *a = http_app(req);
	ct_err err = channel_settings_update(a->store, &who, &a->key, id, body, &d);
	json_decref(body);
	if (err == CT_ERR_NOT_FOUND)
		http_error(res, err, "no such channel", NULL, -1);
	else if (err)
		http_error_detail(res, err, &d);
	else
		answer_channel(req, res, 200, id);
}

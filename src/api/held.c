/*
 * held.c: the approval queue of strict wording in the API
 * (docs/api/openapi.yaml, tag "templates"): replies held because their
 * conversation's intent asks for approved wording, listed for supervisors,
 * approved (as written or edited; four eyes, checked by inbox/held.c) into
 * a message that is then delivered, or rejected with a reason. A view over
 * inbox_held_*; a held reply outside the caller's scope does not exist.
 */
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "inbox/inbox.h"
#include "jobs/jobs.h"

#define HELD_PAGE_MAX 200

/* Read held reply id in the caller's scope into *out (the caller's), or
 * answer 404 and return the error. */
static ct_err read_held(http_request *req, http_response *res, int64_t id, json_t **out)
{
	app *a = http_app(req);
	inbox_scope scope;
	api_scope(req, &scope);
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = inbox_held_get(c, &scope, id, out);
	store_reader_release(a->store, c);
	if (err)
		api_fail(res, err, NULL, "held reply");
	return err;
}

/* The held replies in the caller's scope in one state (pending by default). */
void api_held_list(http_request *req, http_response *res)
{
	const char *state = http_query(req, "state");
	int64_t limit;
	if (state && strcmp(state, "pending") != 0 && strcmp(state, "approved") != 0 &&
	    strcmp(state, "rejected") != 0) {
		http_error(res, CT_ERR_INVALID, "state must be pending, approved or rejected",
			   "state", -1);
		return;
	}
	if (http_query_int(req, res, "limit", 50, 1, HELD_PAGE_MAX, &limit) != CT_OK)
		return;
	app *a = http_app(req);
	inbox_scope scope;
	api_scope(req, &scope);
	store_conn *c = store_reader_acquire(a->store);
	json_t *list = NULL;
	ct_err err = inbox_held_list(c, &scope, state, (int)limit, &list);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err, "the held replies could not be read", NULL, -1);
	else
		http_json(res, 200, json_pack("{s:o}", "data", list));
}

/* One held reply in the caller's scope. */
void api_held_get(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "held reply");
	json_t *h = NULL;
	if (id && read_held(req, res, id, &h) == CT_OK)
		http_json(res, 200, h);
}

/* Answer 201 with message id, the approved reply. */
static void answer_message(http_request *req, http_response *res, int64_t id)
{
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *m = NULL;
	ct_err err = inbox_message(c, id, &m);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err, "the message could not be read", NULL, -1);
	else
		http_json(res, 201, m);
}

/* Approve {text?}: the held reply (or the approver's edit of it) becomes a
 * message and is delivered; 201 with the message. */
void api_held_approve(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "held reply");
	json_t *held = NULL, *body = NULL;
	if (!id || read_held(req, res, id, &held) != CT_OK)
		return;
	int64_t conversation = json_integer_value(json_object_get(held, "conversation_id"));
	json_decref(held);
	if (api_body_object(req, res, 1, &body) != CT_OK)
		return;
	json_t *text = json_object_get(body, "text");
	if (text && !json_is_null(text) && !json_is_string(text)) {
		http_error(res, CT_ERR_INVALID, "text must be a string", "text", -1);
		json_decref(body);
		return;
	}
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	int64_t message_id = 0;
	ct_err err = inbox_held_approve(a->store, &who, id, json_string_value(text),
					(int)a->cfg.jobs_max_attempts, &message_id, &d);
	json_decref(body);
	if (err) {
		api_fail(res, err, &d, "held reply");
		return;
	}
	jobs_wake(a->jobs);
	inbox_publish(a->events, "message.created", conversation, message_id);
	answer_message(req, res, message_id);
}

/* Reject {reason}: nothing is sent; 200 with the held reply. */
void api_held_reject(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "held reply");
	json_t *held = NULL, *body = NULL;
	if (!id || read_held(req, res, id, &held) != CT_OK)
		return;
	int64_t conversation = json_integer_value(json_object_get(held, "conversation_id"));
	json_decref(held);
	if (api_body_object(req, res, 1, &body) != CT_OK)
		return;
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	ct_err err = inbox_held_reject(a->store, &who, id,
				       json_string_value(json_object_get(body, "reason")), &d);
	json_decref(body);
	if (err) {
		api_fail(res, err, &d, "held reply");
		return;
	}
	inbox_publish(a->events, "conversation.updated", conversation, 0);
	if (read_held(req, res, id, &held) == CT_OK)
		http_json(res, 200, held);
}

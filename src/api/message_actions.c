/*
 * message_actions.c: what can be done to one message after the fact:
 * POST /api/v1/messages/{id}/share (boost, repost on its platform),
 * POST /api/v1/messages/{id}/hide {"hidden": true|false} (a public comment)
 * and POST /api/v1/messages/{id}/retry (a reply whose delivery failed).
 * Share and hide are jobs (202 once queued); the message's state follows.
 */
#include "api/api.h"
#include "api/common.h"
#include "inbox/inbox.h"
#include "jobs/jobs.h"
#include "relay/relay.h"

static const char SQL_CONVERSATION_OF[] = "SELECT conversation_id FROM messages WHERE id = $1";

/* 0 and a 404 answered unless message id is in the principal's scope. */
static int64_t message_in_scope(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "message");
	if (!id)
		return 0;
	app *a = http_app(req);
	inbox_scope scope;
	api_scope(req, &scope);
	store_conn *c = store_reader_acquire(a->store);
	int64_t conversation_id = 0;
	store_stmt *st = store_prepare(c, SQL_CONVERSATION_OF);
	ct_err err = CT_ERR_STORE;
	if (st) {
		store_bind_int(st, 1, id);
		err = store_one_int(st, &conversation_id);
	}
	if (!err)
		err = inbox_check_access(c, &scope, conversation_id);
	store_reader_release(a->store, c);
	if (err) {
		http_error(res, err == CT_ERR_STORE ? err : CT_ERR_NOT_FOUND,
			   err == CT_ERR_STORE ? "the message could not be read"
					       : "no such message",
			   NULL, -1);
		return 0;
	}
	return id;
}

static void queue_action(http_request *req, http_response *res, int64_t id, const char *action,
			 int hidden)
{
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	ct_err err = relay_queue_action(http_app(req), &who, id, action, hidden, &d);
	if (err)
		api_fail(res, err, &d, "message");
	else
		http_json(res, 202,
			  json_pack("{s:I, s:s, s:s}", "message_id", (json_int_t)id, "action",
				    action, "state", "queued"));
}

void api_messages_share(http_request *req, http_response *res)
{
	int64_t id = message_in_scope(req, res);
	if (id)
		queue_action(req, res, id, "share", 1);
}

void api_messages_hide(http_request *req, http_response *res)
{
	json_t *body = NULL;
	int64_t id = message_in_scope(req, res);
	if (!id || api_body_object(req, res, 1, &body) != CT_OK)
		return;
	json_t *hidden = json_object_get(body, "hidden");
	if (hidden && !json_is_boolean(hidden)) {
		json_decref(body);
		http_error(res, CT_ERR_INVALID, "hidden must be true or false", "hidden", -1);
		return;
	}
	queue_action(req, res, id, "hide", !hidden || json_is_true(hidden));
	json_decref(body);
}

void api_messages_retry(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "message");
	if (!id)
		return;
	app *a = http_app(req);
	actor who;
	inbox_scope scope;
	api_actor(req, &who);
	api_scope(req, &scope);
	err_detail d = {.index = -1};
	int64_t conversation_id = 0;
	ct_err err = inbox_retry_reply(a->store, &who, &scope, id, &conversation_id, &d);
	if (err) {
		api_fail(res, err, &d, "message");
		return;
	}
	if (a->jobs)
		jobs_wake(a->jobs);
	inbox_publish(a->events, "message.updated", conversation_id, id);
	http_json(
		res, 202,
		json_pack("{s:I, s:s}", "message_id", (json_int_t)id, "delivery_state", "queued"));
}

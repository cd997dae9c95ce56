/*
 * conversations.c: the conversation routes of the JSON API: list, read,
 * change, reply (with the approved wording: the template a reply came from,
 * strict wording that holds it for a supervisor), note, and the template
 * suggestions for a reply.
 */
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "http/cache.h"
#include "inbox/inbox.h"
#include "jobs/jobs.h"
#include "templates/templates.h"

/* Read the conversation id from the path, or answer 404. */
static int64_t conversation_id(http_request *req, http_response *res)
{
	int64_t id = http_param_id(req, 0);
	if (!id)
		http_error(res, CT_ERR_NOT_FOUND, "no such conversation", NULL, -1);
	return id;
}

static ct_err fill_filter(http_request *req, http_response *res, inbox_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->status = http_query(req, "status");
	f->channel = http_query(req, "channel");
	f->language = http_query(req, "language");
	f->priority = http_query(req, "priority");
	f->tag = http_query(req, "tag");
	f->q = http_query(req, "q");
	f->cursor = http_query(req, "cursor");
	const char *assignee = http_query(req, "assignee");
	int64_t v;
	if (assignee && strcmp(assignee, "none") == 0) {
		f->unassigned = 1;
	} else if (http_query_int(req, res, "assignee", 0, 1, INT64_MAX, &v) != CT_OK) {
		return CT_ERR_INVALID;
	} else {
		f->assignee_id = v;
	}
	if (http_query_int(req, res, "team", 0, 1, INT64_MAX, &f->team_id) != CT_OK ||
	    http_query_int(req, res, "limit", 50, 1, INBOX_LIST_MAX, &v) != CT_OK)
		return CT_ERR_INVALID;
	f->limit = (int)v;
	return CT_OK;
}

/* The cache key of a list: the caller's view and the whole filter. */
static void list_key(const inbox_scope *scope, const inbox_filter *f, buf *key)
{
	buf_printf(key, "list|%lld|%lld|%d|%lld|%lld|%d", (long long)scope->agent_user_id,
		   (long long)scope->channel_id, f->unassigned, (long long)f->assignee_id,
		   (long long)f->team_id, f->limit);
	const char *texts[] = {f->status, f->channel, f->language, f->priority,
			       f->tag,    f->q,       f->cursor};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		buf_printf(key, "|%zu:%s", texts[i] ? strlen(texts[i]) : 0,
			   texts[i] ? texts[i] : "");
}

/*
 * Lists are what every open inbox polls; between writes the answer for the
 * same view and filter cannot change, so it is served from the exact cache
 * (http/cache.h) until the next commit.
 */
void api_conversations_list(http_request *req, http_response *res)
{
	inbox_filter f;
	if (fill_filter(req, res, &f) != CT_OK)
		return;
	app *a = http_app(req);
	inbox_scope scope;
	api_scope(req, &scope);
	uint64_t generation = store_generation(a->store);
	buf key;
	buf_init(&key, 8192);
	list_key(&scope, &f, &key);
	size_t len = 0;
	char *cached = key.len < 8192 ? http_cache_get(buf_cstr(&key), generation, &len) : NULL;
	if (cached) {
		http_raw_json(res, 200, cached, len);
		buf_free(&key);
		return;
	}
	store_conn *c = store_reader_acquire(a->store);
	json_t *data = NULL;
	buf cursor;
	buf_init(&cursor, 128);
	err_detail d = {.index = -1};
	ct_err err = inbox_list(c, &scope, &f, &data, &cursor, &d);
	store_reader_release(a->store, c);
	if (err) {
		http_error_detail(res, err, &d);
	} else {
		http_json(res, 200,
			  json_pack("{s:o, s:o}", "data", data, "next_cursor",
				    cursor.len ? json_string(buf_cstr(&cursor)) : json_null()));
		http_cache_put(buf_cstr(&key), generation, res->body, res->body_len);
	}
	buf_free(&cursor);
	buf_free(&key);
}

/* Answer 200 with the conversation as it is now. */
static void answer_conversation(http_request *req, http_response *res, int64_t id)
{
	app *a = http_app(req);
	inbox_scope scope;
	api_scope(req, &scope);
	store_conn *c = store_reader_acquire(a->store);
	json_t *conv = NULL;
	ct_err err = inbox_get(c, &scope, id, &conv);
	store_reader_release(a->store, c);
	if (err == CT_ERR_NOT_FOUND)
		http_error(res, err, "no such conversation", NULL, -1);
	else if (err)
		http_error(res, err, "the conversation could not be read", NULL, -1);
	else
		http_json(res, 200, conv);
}

void api_conversation_get(http_request *req, http_response *res)
{
	int64_t id = conversation_id(req, res);
	if (id)
		answer_conversation(req, res, id);
}

void api_conversation_patch(http_request *req, http_response *res)
{
	int64_t id = conversation_id(req, res);
	json_t *body = NULL;
	if (!id || http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	err_detail d = {.index = -1};
	actor who;
	inbox_scope scope;
	api_actor(req, &who);
	api_scope(req, &scope);
	ct_err err = inbox_update(a->store, &who, &scope, id, body, &d);
	json_decref(body);
	if (err == CT_ERR_NOT_FOUND) {
		http_error(res, err, "no such conversation", NULL, -1);
		return;
	}
	if (err) {
		http_error_detail(res, err, &d);
		return;
	}
	inbox_publish(a->events, "conversation.updated", id, 0);
	answer_conversation(req, res, id);
}

/* Answer with one message (status 201 or 200). */
static void answer_message(http_request *req, http_response *res, int status, int64_t id)
{
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *m = NULL;
	ct_err err = inbox_message(c, id, &m);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err, "the message could not be read", NULL, -1);
	else
		http_json(res, status, m);
}

/* Answer 202 with held reply id: the customer sees nothing until a
 * supervisor approves it (api/held.c). */
static void answer_held(http_request *req, http_response *res, int status, int64_t id)
{
	app *a = http_app(req);
	inbox_scope scope;
	api_scope(req, &scope);
	store_conn *c = store_reader_acquire(a->store);
	json_t *h = NULL;
	ct_err err = inbox_held_get(c, &scope, id, &h);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err, "the held reply could not be read", NULL, -1);
	else
		http_json(res, status, h);
}

/* The template a reply came from (body "template_id"; 0: none) into *id,
 * or answer 422. */
static ct_err body_template_id(http_response *res, json_t *body, int64_t *id)
{
	json_t *v = json_object_get(body, "template_id");
	*id = 0;
	if (!v || json_is_null(v))
		return CT_OK;
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		http_error(res, CT_ERR_INVALID, "template_id must be a template's id",
			   "template_id", -1);
		return CT_ERR_INVALID;
	}
	*id = json_integer_value(v);
	return CT_OK;
}

/*
 * A reply {text, template_id?}: sent (201 with the message; 200 for a
 * retried Idempotency-Key) or, under strict wording, held for a supervisor
 * (202 with the held reply). What the wording asks of it is checked by
 * inbox_reply.
 */
void api_conversation_reply(http_request *req, http_response *res)
{
	int64_t id = conversation_id(req, res);
	json_t *body = NULL;
	if (!id || http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	actor who;
	inbox_scope scope;
	api_actor(req, &who);
	api_scope(req, &scope);
	inbox_reply_input in = {.text = json_string_value(json_object_get(body, "text")),
				.client_key = http_header(req, "Idempotency-Key"),
				.max_attempts = (int)a->cfg.jobs_max_attempts};
	if (body_template_id(res, body, &in.template_id) != CT_OK) {
		json_decref(body);
		return;
	}
	template_env env;
	struct triage_engine *hold;
	template_env_from_app(a, &env, &hold);
	err_detail d = {.index = -1};
	inbox_reply_result out;
	ct_err err = inbox_reply(a->store, &who, &scope, &env, id, &in, &out, &d);
	template_env_release(&env, hold);
	json_decref(body);
	if (err) {
		api_fail(res, err, &d, "conversation");
		return;
	}
	if (out.held_id) {
		if (out.created)
			inbox_publish(a->events, "conversation.updated", id, 0);
		answer_held(req, res, out.created ? 202 : 200, out.held_id);
		return;
	}
	if (out.created) {
		jobs_wake(a->jobs);
		inbox_publish(a->events, "message.created", id, out.message_id);
	}
	answer_message(req, res, out.created ? 201 : 200, out.message_id);
}

/* An internal note (never sent to the customer); 201 with it. */
void api_conversation_note(http_request *req, http_response *res)
{
	int64_t id = conversation_id(req, res);
	json_t *body = NULL;
	if (!id || http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	actor who;
	inbox_scope scope;
	api_actor(req, &who);
	api_scope(req, &scope);
	const char *text = json_string_value(json_object_get(body, "text"));
	err_detail d = {.index = -1};
	int64_t message_id = 0;
	ct_err err = inbox_note(a->store, &who, &scope, id, text, &message_id, &d);
	json_decref(body);
	if (err) {
		api_fail(res, err, &d, "conversation");
		return;
	}
	inbox_publish(a->events, "message.created", id, message_id);
	answer_message(req, res, 201, message_id);
}

/* ---- Suggestions for a reply ------------------------------------------- */

/* The usable templates for a reply in the conversation, filled for the
 * caller, best first (template_suggest); scoped like the conversation. */
void api_conversation_suggestions(http_request *req, http_response *res)
{
	int64_t id = conversation_id(req, res), limit;
	if (!id || http_query_int(req, res, "limit", 10, 1, 20, &limit) != CT_OK)
		return;
	app *a = http_app(req);
	inbox_scope scope;
	api_scope(req, &scope);
	template_env env;
	struct triage_engine *hold;
	template_env_from_app(a, &env, &hold);
	store_conn *c = store_reader_acquire(a->store);
	json_t *list = NULL;
	ct_err err = inbox_check_access(c, &scope, id);
	if (!err)
		err = template_suggest(c, &env, id, http_principal(req)->user_id, (int)limit,
				       &list);
	store_reader_release(a->store, c);
	template_env_release(&env, hold);
	if (err == CT_ERR_NOT_FOUND)
		http_error(res, err, "no such conversation", NULL, -1);
	else if (err)
		http_error(res, err, "the suggestions could not be made", NULL, -1);
	else
		http_json(res, 200, json_pack("{s:o}", "data", list));
}

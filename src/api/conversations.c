/*
 * conversations.c: the conversation routes of the JSON API: list, read,
 * change, reply, note.
 */
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "http/cache.h"
#include "inbox/inbox.h"
#include "jobs/jobs.h"

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

/* The shared part of reply and note: body, author, outcome. */
static void post_outbound(http_request *req, http_response *res, int is_reply)
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
	int created = 1;
	ct_err err = is_reply
			     ? inbox_reply(a->store, &who, &scope, id, text,
					   http_header(req, "Idempotency-Key"),
					   (int)a->cfg.jobs_max_attempts, &message_id, &created, &d)
			     : inbox_note(a->store, &who, &scope, id, text, &message_id, &d);
	json_decref(body);
	if (err == CT_ERR_NOT_FOUND) {
		http_error(res, err, "no such conversation", NULL, -1);
		return;
	}
	if (err) {
		http_error_detail(res, err, &d);
		return;
	}
	if (created) {
		if (is_reply)
			jobs_wake(a->jobs);
		inbox_publish(a->events, "message.created", id, message_id);
	}
	answer_message(req, res, created ? 201 : 200, message_id);
}

void api_conversation_reply(http_request *req, http_response *res)
{
	post_outbound(req, res, 1);
}

void api_conversation_note(http_request *req, http_response *res)
{
	post_outbound(req, res, 0);
}

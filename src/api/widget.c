/*
 * widget.c: the public routes of the website widget channel
 * (channels/widget.c), called from the visitor's browser on the
 * organisation's site.
 *
 *   GET     /widget/<id>.js           the script to embed (web/static/widget.js)
 *   GET     /widget/<id>/session      sets the visitor cookie, gives a form token
 *   POST    /widget/<id>/messages     a visitor's message
 *   GET     /widget/<id>/messages     the visitor's conversation, held open
 *                                     (long poll) until something newer exists
 *
 * The script sends only CORS "simple" requests (a POST body as text/plain),
 * so browsers ask no preflight and no OPTIONS route is needed.
 *
 * These are not the plain webhook /hooks/widget/<id> because the browser
 * needs what a webhook answer cannot carry: CORS headers for the allowed
 * origins only, the visitor cookie, and a per-address limit of the channel's
 * own. The checks of a message stay in the adapter: the post is handed to
 * its receive_hook with the channel's cookie key (derived from the
 * installation's key, see channels/widget.h) and what it returns is stored
 * through ingest_take before the answer. The conversation is read here with
 * one query: the visitor's messages and the replies that were delivered,
 * never notes, held drafts or another visitor's messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "channels/widget.h"
#include "core/embedded.h"
#include "core/timeutil.h"
#include "http/ratelimit.h"
#include "relay/relay.h"

#define SCRIPT_FILE "web/static/widget.js"
#define MAX_WAIT_S 25

static const char SQL_CONVERSATION[] =
	"SELECT m.id, m.direction, m.text,"
	" CASE WHEN m.author_user_id IS NOT NULL THEN m.author_name END, m.created_at"
	" FROM conversations c JOIN messages m ON m.conversation_id = c.id"
	" WHERE c.channel_id = $1 AND c.thread_key = $2 AND m.id > $3"
	" AND (m.direction = 'in' OR (m.direction = 'out' AND m.delivery_state = 'sent'))"
	" ORDER BY m.id LIMIT 100";

/* Open the widget channel id for a request (its cookie key is in the
 * secrets, see relay_channel_open). 0 when there is none (404 answered);
 * free ch in every case. */
static int open_widget(http_request *req, http_response *res, int64_t id, relay_channel *ch)
{
	app *a = http_app(req);
	memset(ch, 0, sizeof(*ch));
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = id ? relay_channel_open(a, c, id, ch) : CT_ERR_NOT_FOUND;
	store_reader_release(a->store, c);
	if (!err && ch->adapter != &channel_widget)
		err = CT_ERR_NOT_FOUND;
	if (err) {
		http_error(res, err, err == CT_ERR_NOT_FOUND ? "no such widget" : "try again later",
			   NULL, -1);
		return 0;
	}
	return 1;
}

/* Answer CORS for the request's Origin when it is one of the channel's
 * allowed origins; 1 then, 0 (nothing added) otherwise. */
static int allow_origin(http_request *req, http_response *res, const relay_channel *ch)
{
	const char *origin = http_header(req, "Origin");
	if (!widget_origin_allowed(&ch->ctx, origin))
		return 0;
	http_add_header(res, "Access-Control-Allow-Origin", origin);
	http_add_header(res, "Access-Control-Allow-Credentials", "true");
	http_add_header(res, "Vary", "Origin");
	return 1;
}

/* Refuse a request from a site that may not use this widget. */
static void refuse_origin(http_response *res)
{
	http_error(res, CT_ERR_FORBIDDEN, "this site is not among the widget's allowed origins",
		   NULL, -1);
}

/* The channel of a widget route (/widget/{id}/...) opened, and the Origin
 * allowed (CORS added). 0 when refused (answered); free ch in every case. */
static int open_for_origin(http_request *req, http_response *res, relay_channel *ch)
{
	if (!open_widget(req, res, http_param_id(req, 0), ch))
		return 0;
	if (!allow_origin(req, res, ch)) {
		refuse_origin(res);
		return 0;
	}
	return 1;
}

void api_widget_script(http_request *req, http_response *res)
{
	const char *name = http_param(req, 0);
	size_t digits = strspn(name, "0123456789");
	char id[24];
	relay_channel ch;
	memset(&ch, 0, sizeof(ch));
	if (digits == 0 || digits >= sizeof(id) || strcmp(name + digits, ".js") != 0) {
		http_error(res, CT_ERR_NOT_FOUND, "no such widget", NULL, -1);
		return;
	}
	memcpy(id, name, digits);
	id[digits] = '\0';
	const embedded_file *f = embedded_find(SCRIPT_FILE);
	if (open_widget(req, res, http_parse_id(id), &ch)) {
		if (f) {
			http_static_bytes(res, "text/javascript; charset=utf-8", f->data, f->len);
			http_add_header(res, "Cache-Control", "public, max-age=3600");
		} else
			http_error(res, CT_ERR_INTERNAL, "the widget script is missing", NULL, -1);
	}
	relay_channel_free(&ch);
}

/* Set the visitor cookie (scoped to this widget's routes). */
static void set_visitor_cookie(http_request *req, http_response *res, int64_t channel_id,
			       const char *value)
{
	char cookie[WIDGET_SIGNED_MAX + 160];
	/* Cross-site (the organisation's site calls us) the cookie must be
	 * SameSite=None, which browsers take only with Secure (and, for
	 * third-party cookies, Partitioned); over plain http only Lax works. */
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/widget/%lld/; Max-Age=%d; HttpOnly; %s",
		 WIDGET_COOKIE, value, (long long)channel_id, 365 * 24 * 3600,
		 http_is_https(req) ? "SameSite=None; Secure; Partitioned" : "SameSite=Lax");
	http_add_header(res, "Set-Cookie", cookie);
}

void api_widget_session(http_request *req, http_response *res)
{
	relay_channel ch;
	if (!open_for_origin(req, res, &ch))
		goto out;
	const char *key = widget_cookie_key(&ch.ctx);
	char visitor[WIDGET_VISITOR_MAX], cookie[WIDGET_SIGNED_MAX], token[WIDGET_SIGNED_MAX];
	if (!widget_visitor_from_cookie(key, http_header(req, "Cookie"), visitor)) {
		widget_visitor_new(key, visitor, cookie);
		set_visitor_cookie(req, res, ch.id, cookie);
	}
	widget_token_new(key, visitor, time_now_ms(), token);
	int64_t delay =
		widget_config_int(&ch.ctx, "min_delay_s", WIDGET_MIN_DELAY_MS / 1000, 0, 60);
	http_json(res, 200,
		  json_pack("{s:s, s:I, s:s*, s:s*}", "token", token, "min_delay_ms",
			    (json_int_t)(delay * 1000), "title",
			    channel_config_string(&ch.ctx, "title"), "greeting",
			    channel_config_string(&ch.ctx, "greeting")));
out:
	relay_channel_free(&ch);
}

/* May one more message come from key (per minute) now? Uses the server's
 * per-address buckets (http/ratelimit.h) under a key of this widget's own. */
static int within_limit(const char *kind, int64_t channel_id, const char *who, int64_t per_minute)
{
	app limits;
	memset(&limits, 0, sizeof(limits));
	limits.cfg.public_per_minute = per_minute;
	char key[64];
	snprintf(key, sizeof(key), "%s%lld|%s", kind, (long long)channel_id, who);
	return ratelimit_allow(&limits, key, time_mono_ms());
}

/* The per-address and per-visitor limits of a post; 0 when one is hit
 * (429 answered). */
static int check_limits(http_request *req, http_response *res, const relay_channel *ch)
{
	char visitor[WIDGET_VISITOR_MAX];
	int ok = within_limit("wip", ch->id, http_client_ip(req),
			      widget_config_int(&ch->ctx, "max_per_minute", 10, 1, 10000));
	if (ok && widget_visitor_from_cookie(widget_cookie_key(&ch->ctx),
					     http_header(req, "Cookie"), visitor))
		ok = within_limit("wv", ch->id, visitor,
				  widget_config_int(&ch->ctx, "max_per_visitor", 5, 1, 10000));
	if (!ok) {
		http_error(res, CT_ERR_RATE_LIMITED, "too many messages; wait a minute", NULL, -1);
		http_add_header(res, "Retry-After", "60");
	}
	return ok;
}

static const char *request_header(const void *http, const char *name)
{
	return http_header(http, name);
}

static const char *request_query(const void *http, const char *name)
{
	return http_query(http, name);
}

/* Store the adapter's message; answer 201 with its id, or the refusal. */
static void store_post(http_request *req, http_response *res, const relay_channel *ch,
		       json_t *messages)
{
	ingest_batch b;
	ct_err err = ingest_take(http_app(req), messages, ch->name, ch->id, &b);
	if (err == CT_ERR_INVALID || err == CT_ERR_TOO_LARGE)
		http_error(res, CT_ERR_INVALID, buf_cstr(&b.err_msg), b.err_field, -1);
	else if (err)
		http_error(res, CT_ERR_UNAVAILABLE, "the message could not be stored", NULL, -1);
	else
		http_json(res, 201,
			  json_pack("{s:I, s:b}", "id", (json_int_t)b.results[0].message_id,
				    "duplicate", b.results[0].duplicate));
	ingest_batch_free(&b);
}

void api_widget_post(http_request *req, http_response *res)
{
	relay_channel ch;
	if (!open_widget(req, res, http_param_id(req, 0), &ch))
		goto out;
	allow_origin(req, res, &ch); /* the adapter refuses other origins */
	if (!check_limits(req, res, &ch))
		goto out;
	size_t len = 0;
	const char *body = http_body(req, &len);
	channel_hook_request hook = {.method = http_method(req),
				     .body = body,
				     .body_len = len,
				     .client_ip = http_client_ip(req),
				     .http = req,
				     .header = request_header,
				     .query = request_query};
	channel_hook_answer answer = {0};
	ct_err err = ch.adapter->receive_hook(&ch.ctx, &hook, &answer);
	if (err)
		http_error(res, err, answer.error, NULL, -1);
	else
		store_post(req, res, &ch, answer.messages);
	if (err)
		json_decref(answer.messages);
	free(answer.body);
out:
	relay_channel_free(&ch);
}

/* What a visitor's read asks for. */
typedef struct widget_read {
	int64_t channel_id;
	const char *visitor;
	int64_t after;  /* messages with a larger id */
	int64_t wait_s; /* how long to wait for one */
	int names;      /* show the names of the agents who replied */
} widget_read;

/* The visitor's messages after r->after into list (appended); the newest id
 * into *last. */
static ct_err read_conversation(app *a, const widget_read *r, json_t *list, int64_t *last)
{
	store_conn *c = store_reader_acquire(a->store);
	store_stmt *st = store_prepare(c, SQL_CONVERSATION);
	ct_err err = st ? CT_OK : CT_ERR_STORE;
	if (st) {
		store_bind_int(st, 1, r->channel_id);
		store_bind_text(st, 2, r->visitor);
		store_bind_int(st, 3, r->after);
		int rc;
		while ((rc = store_step(st)) == STORE_ROW) {
			char when[40];
			int in = strcmp(store_col_text(st, 1), "in") == 0;
			time_format_rfc3339(store_col_int(st, 4), when);
			*last = store_col_int(st, 0);
			json_array_append_new(
				list, json_pack("{s:I, s:s, s:s, s:s*, s:s}", "id",
						(json_int_t)*last, "from", in ? "visitor" : "agent",
						"text", store_col_text(st, 2), "author",
						r->names ? store_col_text(st, 3) : NULL,
						"created_at", when));
		}
		err = rc == STORE_DONE ? CT_OK : CT_ERR_STORE;
		store_reset(st);
	}
	store_reader_release(a->store, c);
	return err;
}

/* Read the conversation; while it has nothing new, wait for a message event
 * on the hub (then read again) until r->wait_s have passed. */
static ct_err wait_for_messages(app *a, const widget_read *r, json_t *list, int64_t *last)
{
	int64_t deadline = time_mono_ms() + r->wait_s * 1000;
	uint64_t seq = events_last_seq(a->events);
	int read = 1;
	for (;;) {
		ct_err err = read ? read_conversation(a, r, list, last) : CT_OK;
		int64_t left = deadline - time_mono_ms();
		if (err || json_array_size(list) > 0 || left <= 0)
			return err;
		event e;
		int rc = events_next(a->events, seq, (int)left, &e);
		if (rc <= 0)
			return CT_OK; /* timed out or shutting down: nothing new */
		seq = e.seq;
		read = strncmp(e.type, "message.", 8) == 0;
		events_clear(&e);
	}
}

void api_widget_messages(http_request *req, http_response *res)
{
	relay_channel ch;
	widget_read r = {0};
	if (!open_for_origin(req, res, &ch))
		goto out;
	if (http_query_int(req, res, "after", 0, 0, INT64_MAX, &r.after) ||
	    http_query_int(req, res, "wait", MAX_WAIT_S, 0, MAX_WAIT_S, &r.wait_s))
		goto out;
	char visitor[WIDGET_VISITOR_MAX];
	json_t *list = json_array();
	int64_t last = r.after;
	ct_err err = CT_OK;
	r.channel_id = ch.id;
	r.visitor = visitor;
	r.names = json_is_false(json_object_get(ch.config, "show_agent_names")) ? 0 : 1;
	if (widget_visitor_from_cookie(widget_cookie_key(&ch.ctx), http_header(req, "Cookie"),
				       visitor))
		err = wait_for_messages(http_app(req), &r, list, &last);
	if (err) {
		json_decref(list);
		http_error(res, CT_ERR_UNAVAILABLE, "try again later", NULL, -1);
	} else {
		http_json(res, 200,
			  json_pack("{s:o, s:I}", "messages", list, "last", (json_int_t)last));
	}
out:
	relay_channel_free(&ch);
}

/*
 * x.c: the "x" channel: mentions of one account on X (API v2), polled;
 * replies and reposts sent back.
 *
 * Config: base_url (default https://api.x.com), user_id (our account's
 * numeric id; asked of GET /2/users/me when absent); secrets access_token (an
 * OAuth 2.0 user-context token: it reads and writes) and optionally
 * bearer_token (the app-only token: reads the mentions when set, so that
 * polling does not spend the user's limits). See docs/channel-x.md.
 *
 * The user token expires; with refresh_token and client_id (optionally
 * client_secret) it is renewed (x_token.c) shortly before its stored expiry,
 * or when X answers 401, after which the request is made once more.
 *
 * Poll: GET /2/users/:id/mentions with since_id, max_results=100, the
 * fields and expansions the message needs, and pagination_token while a walk
 * is pending. X returns the newest page first and next_token walks back
 * towards since_id, so the cursor (x_next_cursor) moves since_id only after
 * the last page and keeps the walk in "pending" meanwhile: a failure in the
 * middle resumes at the same page. A pagination token X no longer accepts
 * (400) restarts the walk from the newest post; what comes twice is
 * de-duplicated by external_id. A 429 carries x-rate-limit-reset, which
 * fetch.c turns into outcome.retry_after_ms.
 *
 * Reply: POST /2/tweets {text, reply: {in_reply_to_tweet_id}}. X has no
 * idempotency key: when a reply reached X but its answer was lost, the retry
 * posts it a second time. Share: POST /2/users/:id/retweets {tweet_id}
 * (reposting twice is harmless on X).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/fetch.h"
#include "channels/social.h"
#include "channels/x_token.h"

#define SERVICE "X"
#define DEFAULT_BASE "https://api.x.com"
#define MENTION_FIELDS                                                                  \
	"&max_results=100&tweet.fields=created_at,conversation_id,in_reply_to_user_id," \
	"referenced_tweets,author_id&expansions=author_id&user.fields=username,name"

/* A request to X. */
typedef struct x_call {
	const char *method;
	const char *url;
	json_t *body; /* stolen; NULL: none */
	int app_only; /* a read: with bearer_token when the channel has one */
	long status;  /* set: the HTTP status of the last answer (0: none) */
} x_call;

/* One request with token: its HTTP status into xc->status, its JSON answer
 * (new reference, may be NULL) into *answer when answer is not NULL. */
static ct_err send_once(const channel_ctx *ch, x_call *xc, const char *body, const char *token,
			json_t **answer, channel_outcome *out)
{
	channel_request req = {.method = xc->method,
			       .url = xc->url,
			       .body = body,
			       .bearer = token,
			       .timeout_s = ch->timeout_s};
	channel_response res;
	channel_fetch(&req, &res);
	ct_err err = channel_fetch_judge(&res, SERVICE, out);
	xc->status = res.status;
	if (answer) {
		json_decref(*answer);
		*answer = channel_response_json(&res);
	}
	channel_response_free(&res);
	return err;
}

/* Make the request xc (its body is taken) with the app's token when it may,
 * else the user's, which is renewed on a 401 and the request made once
 * more. The JSON answer (new reference, may be NULL) into *answer (NULL
 * before) when answer is not NULL. */
static ct_err call(const channel_ctx *ch, x_call *xc, json_t **answer, channel_outcome *out)
{
	char *body = xc->body ? json_dumps(xc->body, JSON_COMPACT) : NULL;
	json_decref(xc->body);
	xc->body = NULL;
	const char *app = xc->app_only ? channel_secret(ch, "bearer_token") : NULL;
	int as_user = !app || !*app;
	char *token = as_user ? x_token_user(ch, out) : xstrdup(app), *fresh = NULL;
	xc->status = 0;
	ct_err err = token ? send_once(ch, xc, body, token, answer, out) : CT_ERR_INVALID;
	if (err && xc->status == 401 && as_user && x_token_renew(ch, token, &fresh, out) == CT_OK) {
		memset(out, 0, sizeof(*out));
		err = send_once(ch, xc, body, fresh, answer, out);
	}
	x_token_free(token);
	x_token_free(fresh);
	free(body);
	return err;
}

/* Our user id: config user_id, else GET /2/users/me, into id (size n). */
static ct_err our_user_id(const channel_ctx *ch, char *id, size_t n, channel_outcome *out)
{
	const char *configured = channel_config_string(ch, "user_id");
	if (configured && *configured) {
		snprintf(id, n, "%s", configured);
		return CT_OK;
	}
	char url[2048];
	snprintf(url, sizeof(url), "%s/2/users/me", channel_base_url(ch, DEFAULT_BASE));
	json_t *answer = NULL;
	x_call xc = {.method = "GET", .url = url};
	ct_err err = call(ch, &xc, &answer, out);
	const char *me = json_string_value(json_object_get(json_object_get(answer, "data"), "id"));
	if (!err && !me) {
		snprintf(out->error, sizeof(out->error), SERVICE " did not name our user id");
		err = CT_ERR_IO;
	}
	if (!err)
		snprintf(id, n, "%s", me);
	json_decref(answer);
	return err;
}

/* base_url + "/2/users/" + our escaped id + suffix, into url. */
static ct_err user_url(const channel_ctx *ch, const char *suffix, buf *url, channel_outcome *out)
{
	char id[64];
	ct_err err = our_user_id(ch, id, sizeof(id), out);
	if (!err)
		err = buf_printf(url, "%s/2/users/", channel_base_url(ch, DEFAULT_BASE));
	if (!err)
		err = channel_url_escape(id, url);
	if (!err)
		err = buf_puts(url, suffix);
	return err;
}

static ct_err x_send_reply(const channel_ctx *ch, const channel_reply *rp, channel_outcome *out)
{
	char url[2048];
	snprintf(url, sizeof(url), "%s/2/tweets", channel_base_url(ch, DEFAULT_BASE));
	json_t *body = json_pack("{s:s}", "text", rp->text ? rp->text : "");
	if (rp->in_reply_to && *rp->in_reply_to)
		json_object_set_new(body, "reply",
				    json_pack("{s:s}", "in_reply_to_tweet_id", rp->in_reply_to));
	json_t *answer = NULL;
	x_call xc = {.method = "POST", .url = url, .body = body};
	ct_err err = call(ch, &xc, &answer, out);
	const char *id = json_string_value(json_object_get(json_object_get(answer, "data"), "id"));
	if (!err && id)
		snprintf(out->external_id, sizeof(out->external_id), "%s", id);
	json_decref(answer);
	return err;
}

static ct_err x_share(const channel_ctx *ch, const char *external_id, const char *meta,
		      const char *idempotency_key, channel_outcome *out)
{
	(void)meta;
	(void)idempotency_key; /* reposting is idempotent on X */
	buf url;
	buf_init(&url, 4096);
	ct_err err = user_url(ch, "/retweets", &url, out);
	x_call xc = {.method = "POST", .body = json_pack("{s:s}", "tweet_id", external_id)};
	xc.url = buf_cstr(&url);
	if (!err)
		err = call(ch, &xc, NULL, out);
	json_decref(xc.body);
	buf_free(&url);
	return err;
}

/* The URL of the mentions page the cursor asks for. */
static ct_err poll_url(const channel_ctx *ch, const json_t *cursor, buf *url, channel_outcome *out)
{
	const char *since = json_string_value(json_object_get(cursor, "since_id"));
	const char *token = json_string_value(
		json_object_get(json_object_get(cursor, "pending"), "next_token"));
	ct_err err = user_url(ch, "/mentions?", url, out);
	if (!err && since && *since) {
		err = buf_puts(url, "since_id=");
		if (!err)
			err = channel_url_escape(since, url);
	}
	if (!err)
		err = buf_puts(url, MENTION_FIELDS);
	if (!err && token && *token) {
		err = buf_puts(url, "&pagination_token=");
		if (!err)
			err = channel_url_escape(token, url);
	}
	return err;
}

/* The walk's pagination token was refused: start it again from the newest
 * post (since_id kept), so nothing is skipped. */
static void restart_walk(const json_t *cursor, channel_poll_result *result)
{
	const char *since = json_string_value(json_object_get(cursor, "since_id"));
	result->cursor = since ? json_pack("{s:s}", "since_id", since) : json_object();
	result->more = 1;
}

static ct_err x_poll(const channel_ctx *ch, const json_t *cursor, channel_poll_result *result)
{
	channel_outcome *out = &result->outcome;
	buf url;
	buf_init(&url, 8192);
	json_t *page = NULL;
	ct_err err = poll_url(ch, cursor, &url, out);
	if (err)
		goto out;
	x_call xc = {.method = "GET", .url = buf_cstr(&url), .app_only = 1};
	err = call(ch, &xc, &page, out);
	if (err && xc.status == 400 && json_object_get(cursor, "pending")) {
		restart_walk(cursor, result);
		memset(out, 0, sizeof(*out));
		err = CT_OK;
		goto out;
	}
	if (err)
		goto out;
	result->messages = json_array();
	if (x_parse_mentions(page, result->messages) != CT_OK) {
		snprintf(out->error, sizeof(out->error), SERVICE " answered an unexpected page");
		err = CT_ERR_IO;
		goto out;
	}
	result->cursor = x_next_cursor(cursor, json_object_get(page, "meta"), &result->more);
out:
	json_decref(page);
	buf_free(&url);
	return err;
}

const channel_kind channel_x = {
	.kind = "x",
	.send_reply = x_send_reply,
	.poll = x_poll,
	.share = x_share,
	.poll_every_s = 60,
	.config_fields = {"base_url", "user_id", "poll_every_s", "client_id", NULL},
	.secret_fields = {"access_token", "bearer_token", "refresh_token", "client_id",
			  "client_secret", NULL},
};

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

#define SERVICE "X"
#define DEFAULT_BASE "https://api.x.com"
#define MENTION_FIELDS                                                                  \
	"&max_results=100&tweet.fields=created_at,conversation_id,in_reply_to_user_id," \
	"referenced_tweets,author_id&expansions=author_id&user.fields=username,name"

/* The token for writes (user context), or NULL with a permanent error. */
static const char *user_token(const channel_ctx *ch, channel_outcome *out)
{
	const char *t = channel_secret(ch, "access_token");
	if (t && *t)
		return t;
	snprintf(out->error, sizeof(out->error), "the channel has no access_token");
	out->permanent = 1;
	return NULL;
}

/* The token for reads: bearer_token (app-only) when set, else the user's. */
static const char *read_token(const channel_ctx *ch, channel_outcome *out)
{
	const char *t = channel_secret(ch, "bearer_token");
	return t && *t ? t : user_token(ch, out);
}

/* One request with token: the JSON answer in *answer (may be NULL). */
static ct_err call(const channel_ctx *ch, const char *method, const char *url, json_t *body,
		   const char *token, json_t **answer, channel_outcome *out)
{
	channel_request req = {
		.method = method, .url = url, .bearer = token, .timeout_s = ch->timeout_s};
	return channel_fetch_json(&req, body, SERVICE, answer, out);
}

/* Our user id: config user_id, else GET /2/users/me, into id (size n). */
static ct_err our_user_id(const channel_ctx *ch, char *id, size_t n, channel_outcome *out)
{
	const char *configured = channel_config_string(ch, "user_id");
	if (configured && *configured) {
		snprintf(id, n, "%s", configured);
		return CT_OK;
	}
	const char *token = user_token(ch, out);
	if (!token)
		return CT_ERR_INVALID;
	char url[2048];
	snprintf(url, sizeof(url), "%s/2/users/me", channel_base_url(ch, DEFAULT_BASE));
	json_t *answer = NULL;
	ct_err err = call(ch, "GET", url, NULL, token, &answer, out);
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
	const char *token = user_token(ch, out);
	if (!token)
		return CT_ERR_INVALID;
	char url[2048];
	snprintf(url, sizeof(url), "%s/2/tweets", channel_base_url(ch, DEFAULT_BASE));
	json_t *body = json_pack("{s:s}", "text", rp->text ? rp->text : "");
	if (rp->in_reply_to && *rp->in_reply_to)
		json_object_set_new(body, "reply",
				    json_pack("{s:s}", "in_reply_to_tweet_id", rp->in_reply_to));
	json_t *answer = NULL;
	ct_err err = call(ch, "POST", url, body, token, &answer, out);
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
	const char *token = user_token(ch, out);
	if (!token)
		return CT_ERR_INVALID;
	buf url;
	buf_init(&url, 4096);
	ct_err err = user_url(ch, "/retweets", &url, out);
	if (!err)
		err = call(ch, "POST", buf_cstr(&url), json_pack("{s:s}", "tweet_id", external_id),
			   token, NULL, out);
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
	const char *token = read_token(ch, out);
	ct_err err = token ? poll_url(ch, cursor, &url, out) : CT_ERR_INVALID;
	if (err)
		goto out;
	err = call(ch, "GET", buf_cstr(&url), NULL, token, &page, out);
	if (err && out->permanent && json_object_get(cursor, "pending")) {
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
	.config_fields = {"base_url", "user_id", "poll_every_s", NULL},
	.secret_fields = {"access_token", "bearer_token", NULL},
};

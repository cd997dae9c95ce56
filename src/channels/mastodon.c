/*
 * mastodon.c: the "mastodon" channel: mentions and direct messages of one
 * account on a Mastodon server, polled; replies and boosts sent back.
 *
 * Config: base_url (the server, e.g. https://social.example); secret
 * access_token (an application's token of the account, scopes read:statuses
 * read:notifications write:statuses). See docs/channel-mastodon.md.
 *
 * Poll: GET /api/v1/notifications?limit=40&types[]=mention&min_id=<cursor>.
 * min_id returns the page immediately above the cursor (oldest first within
 * the window, newest first in the array), so walking with it leaves no gap,
 * unlike since_id, which returns the newest page above it. A full page means
 * there is more: the caller polls again at once. Then, the same way, GET
 * /api/v1/conversations (paged by the id of each conversation's last
 * status): direct messages arrive as mention notifications too, but
 * Mastodon 4.3 files one from a stranger under notification requests,
 * where only the conversation shows it (its last status; when a stranger
 * sends several before the next poll, only the last comes this way). The
 * last status is taken when it is not ours (a conversation's accounts are
 * the others). What comes both ways is one message: the status id is the
 * external_id. The cursor is {"since_id": "<newest notification id taken
 * in>", "dm_since": "<newest last status id>"}; a first poll (no position)
 * takes the newest page only (older ones are history) and, when there was
 * none, stores "" so that the next poll walks from the start.
 *
 * Reply: POST /api/v1/statuses {status: "@acct text", in_reply_to_id,
 * visibility} (mastodon_reply_visibility: direct stays direct, public becomes
 * unlisted) with Idempotency-Key = the job's key: Mastodon keeps it an hour,
 * so a retry after a lost answer returns the status created first. Share:
 * POST /api/v1/statuses/:id/reblog with the same header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/fetch.h"
#include "channels/social.h"

#define SERVICE "Mastodon"
#define PAGE_LIMIT 40
#define NOTIFICATIONS "/api/v1/notifications"
#define CONVERSATIONS "/api/v1/conversations"

/* base_url + path + the escaped id + suffix, into url (reset first). */
static ct_err build_url(const channel_ctx *ch, const char *path, const char *id, const char *suffix,
			buf *url)
{
	buf_reset(url);
	const char *base = channel_base_url(ch, NULL);
	if (!base)
		return CT_ERR_INVALID;
	ct_err err = buf_printf(url, "%s%s", base, path);
	if (!err && id)
		err = channel_url_escape(id, url);
	if (!err && suffix)
		err = buf_puts(url, suffix);
	return err;
}

/* One request to the server: the JSON answer in *answer (may be NULL). */
static ct_err call(const channel_ctx *ch, const char *method, const char *url, json_t *body,
		   const char *idempotency_key, json_t **answer, channel_outcome *out)
{
	const char *token = channel_needed_secret(ch, "access_token", out);
	if (!token) {
		json_decref(body);
		return CT_ERR_INVALID;
	}
	char key_header[300];
	const char *headers[2] = {NULL, NULL};
	if (idempotency_key && *idempotency_key) {
		snprintf(key_header, sizeof(key_header), "Idempotency-Key: %s", idempotency_key);
		headers[0] = key_header;
	}
	channel_request req = {.method = method,
			       .url = url,
			       .bearer = token,
			       .headers = headers,
			       .timeout_s = ch->timeout_s};
	return channel_fetch_json(&req, body, SERVICE, answer, out);
}

/* POST body (stolen) to url with the Idempotency-Key; the new status's id
 * into out->external_id (CT_ERR_IO when the answer names none). */
static ct_err post_status(const channel_ctx *ch, const char *url, json_t *body,
			  const char *idempotency_key, channel_outcome *out)
{
	json_t *answer = NULL;
	ct_err err = call(ch, "POST", url, body, idempotency_key, &answer, out);
	const char *id = json_string_value(json_object_get(answer, "id"));
	if (!err && !id) {
		snprintf(out->error, sizeof(out->error), SERVICE " answered without a status id");
		err = CT_ERR_IO;
	}
	if (!err)
		snprintf(out->external_id, sizeof(out->external_id), "%s", id);
	json_decref(answer);
	return err;
}

/* The visibility of the message replied to, from its meta (JSON text). */
static const char *reply_visibility(const char *meta_text)
{
	json_t *meta = meta_text ? json_loads(meta_text, 0, NULL) : NULL;
	const char *v =
		mastodon_reply_visibility(json_string_value(json_object_get(meta, "visibility")));
	json_decref(meta);
	return v; /* static */
}

/* The status text: "@acct " first unless the text already starts with
 * "@acct" followed by a space, a newline or its end (Mastodon addresses a
 * status to the accounts it mentions). Owned by the caller (free). */
static char *addressed_text(const channel_reply *rp)
{
	const char *acct = rp->recipient_handle;
	const char *text = rp->text ? rp->text : "";
	buf b;
	buf_init(&b, 0);
	if (acct && *acct) {
		const char *at = acct[0] == '@' ? "" : "@";
		size_t n = strlen(at) + strlen(acct);
		char prefix[300];
		snprintf(prefix, sizeof(prefix), "%s%s", at, acct);
		if (strncmp(text, prefix, n) != 0 || !strchr(" \n", text[n]))
			buf_printf(&b, "%s ", prefix);
	}
	buf_puts(&b, text);
	return buf_detach(&b, NULL);
}

static ct_err mastodon_send_reply(const channel_ctx *ch, const channel_reply *rp,
				  channel_outcome *out)
{
	buf url;
	buf_init(&url, 4096);
	ct_err err = build_url(ch, "/api/v1/statuses", NULL, NULL, &url);
	if (err) {
		err = channel_fail(out, 1, "the channel has no base_url");
		goto out;
	}
	char *text = addressed_text(rp);
	json_t *body =
		json_pack("{s:s, s:s*, s:s}", "status", text, "in_reply_to_id", rp->in_reply_to,
			  "visibility", reply_visibility(rp->in_reply_to_meta));
	free(text);
	err = post_status(ch, buf_cstr(&url), body, rp->idempotency_key, out);
out:
	buf_free(&url);
	return err;
}

static ct_err mastodon_share(const channel_ctx *ch, const char *external_id, const char *meta,
			     const char *idempotency_key, channel_outcome *out)
{
	(void)meta;
	buf url;
	buf_init(&url, 4096);
	ct_err err = build_url(ch, "/api/v1/statuses/", external_id, "/reblog", &url);
	if (err)
		err = channel_fail(out, 1, "the channel has no base_url");
	else
		err = post_status(ch, buf_cstr(&url), json_object(), idempotency_key, out);
	buf_free(&url);
	return err;
}

/* The URL of the next page of path (notifications of mentions, or
 * conversations) after the position since: the newest page when since is
 * NULL (the first poll), else the page just above it ("" walks from the
 * start). */
static ct_err poll_url(const channel_ctx *ch, const char *path, const char *since, buf *url)
{
	ct_err err = build_url(ch, path, NULL, NULL, url);
	if (!err)
		err = buf_printf(url, "?limit=%d", PAGE_LIMIT);
	if (!err && strcmp(path, NOTIFICATIONS) == 0)
		err = buf_puts(url, "&types%5B%5D=mention");
	if (!err && since) {
		err = buf_puts(url, "&min_id=");
		if (!err)
			err = channel_url_escape(*since ? since : "0", url);
	}
	return err;
}

/* One page of a stream after the cursor's position under key: its
 * messages appended to result->messages, the new position into *position
 * (NULL: unchanged; "" when a first poll found nothing), *full when the
 * page was full. */
static ct_err poll_stream(const channel_ctx *ch, const json_t *cursor, const char *path,
			  const char *key, channel_poll_result *result, char **position, int *full)
{
	channel_outcome *out = &result->outcome;
	const json_t *have = json_object_get(cursor, key);
	const char *since = json_is_string(have) ? json_string_value(have) : NULL;
	if (!since && cursor && strcmp(key, "since_id") == 0 && json_object_size(cursor) == 0)
		since = ""; /* the cursor {} of earlier versions: as "" */
	buf url;
	buf_init(&url, 4096);
	json_t *page = NULL;
	const char *newest = NULL;
	*position = NULL;
	*full = 0;
	ct_err err = poll_url(ch, path, since, &url);
	if (err) {
		err = channel_fail(out, 1, "the channel has no base_url");
		goto out;
	}
	err = call(ch, "GET", buf_cstr(&url), NULL, NULL, &page, out);
	if (err)
		goto out;
	err = strcmp(path, NOTIFICATIONS) == 0
		      ? mastodon_parse_page(page, result->messages, &newest)
		      : mastodon_parse_conversations(page, result->messages, &newest);
	if (err) {
		snprintf(out->error, sizeof(out->error), SERVICE " answered %s that are not a list",
			 path + strlen("/api/v1/"));
		err = CT_ERR_IO;
		goto out;
	}
	if (newest)
		*position = xstrdup(newest);
	else if (!since)
		*position = xstrdup(""); /* started: from now on nothing is skipped */
	*full = json_array_size(page) >= PAGE_LIMIT;
out:
	json_decref(page);
	buf_free(&url);
	return err;
}

/* The cursor after a poll: the old one with the positions that moved. */
static json_t *next_cursor(const json_t *cursor, char *mentions, char *direct)
{
	json_t *next = json_is_object(cursor) ? json_deep_copy(cursor) : json_object();
	if (mentions)
		json_object_set_new(next, "since_id", json_string(mentions));
	if (direct)
		json_object_set_new(next, "dm_since", json_string(direct));
	free(mentions);
	free(direct);
	return next;
}

static ct_err mastodon_poll(const channel_ctx *ch, const json_t *cursor,
			    channel_poll_result *result)
{
	char *mentions = NULL, *direct = NULL;
	int full = 0;
	result->messages = json_array();
	ct_err err = poll_stream(ch, cursor, NOTIFICATIONS, "since_id", result, &mentions, &full);
	/* The direct conversations too: Mastodon 4.3 may file a direct message
	 * from a stranger under notification requests, without a mention
	 * notification. What comes both ways is one message (its status id). */
	if (!err && !full)
		err = poll_stream(ch, cursor, CONVERSATIONS, "dm_since", result, &direct, &full);
	result->cursor = next_cursor(cursor, mentions, direct);
	result->more = !err && full;
	return err;
}

const channel_kind channel_mastodon = {
	.kind = "mastodon",
	.send_reply = mastodon_send_reply,
	.poll = mastodon_poll,
	.share = mastodon_share,
	.poll_every_s = 60,
	.config_fields = {"base_url", "poll_every_s", NULL},
	.secret_fields = {"access_token", NULL},
};

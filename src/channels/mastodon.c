/*
 * mastodon.c: the "mastodon" channel: mentions and direct messages of one
 * account on a Mastodon server, polled; replies and boosts sent back.
 *
 * Config: base_url (the server, e.g. https://social.example); secret
 * access_token (an application's token of the account, scopes read:statuses
 * read:notifications write:statuses). See docs/channel-mastodon.md.
 *
 * Poll: GET /api/v1/notifications?types[]=mention&limit=40&min_id=<cursor>.
 * min_id returns the page immediately above the cursor (oldest first within
 * the window, newest first in the array), so walking with it leaves no gap,
 * unlike since_id, which returns the newest page above it. A full page means
 * there is more: the caller polls again at once. The cursor is
 * {"since_id": "<newest notification id taken in>"}; the first poll (no
 * cursor) takes the newest page only (older mentions are history) and, when
 * there was none, leaves the cursor {} so that the next poll starts at the
 * beginning. Direct messages arrive as mention
 * notifications too (visibility "direct"), so /api/v1/conversations is not
 * read; the status id as external_id makes a message that comes twice one.
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

/* The access token, or NULL with out->error set (permanent). */
static const char *token_of(const channel_ctx *ch, channel_outcome *out)
{
	const char *t = channel_secret(ch, "access_token");
	if (t && *t)
		return t;
	snprintf(out->error, sizeof(out->error), "the channel has no access_token");
	out->permanent = 1;
	return NULL;
}

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
	const char *token = token_of(ch, out);
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

/* The channel's base_url is missing: a permanent error. */
static ct_err no_base_url(channel_outcome *out)
{
	snprintf(out->error, sizeof(out->error), "the channel has no base_url");
	out->permanent = 1;
	return CT_ERR_INVALID;
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
		err = no_base_url(out);
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
		err = no_base_url(out);
	else
		err = post_status(ch, buf_cstr(&url), json_object(), idempotency_key, out);
	buf_free(&url);
	return err;
}

/* The URL of the next page of mentions after the cursor's position. */
static ct_err poll_url(const channel_ctx *ch, const json_t *cursor, buf *url)
{
	ct_err err = build_url(ch, "/api/v1/notifications", NULL, NULL, url);
	if (!err)
		err = buf_printf(url, "?types%%5B%%5D=mention&limit=%d", PAGE_LIMIT);
	const char *since = json_string_value(json_object_get(cursor, "since_id"));
	if (cursor && (!since || !*since))
		since = "0"; /* there was nothing at the first poll: walk from the start */
	if (!err && since && *since) {
		err = buf_puts(url, "&min_id=");
		if (!err)
			err = channel_url_escape(since, url);
	}
	return err;
}

static ct_err mastodon_poll(const channel_ctx *ch, const json_t *cursor,
			    channel_poll_result *result)
{
	channel_outcome *out = &result->outcome;
	buf url;
	buf_init(&url, 4096);
	json_t *page = NULL;
	const char *newest = NULL;
	ct_err err = poll_url(ch, cursor, &url);
	if (err) {
		err = no_base_url(out);
		goto out;
	}
	err = call(ch, "GET", buf_cstr(&url), NULL, NULL, &page, out);
	if (err)
		goto out;
	result->messages = json_array();
	if (mastodon_parse_page(page, result->messages, &newest) != CT_OK) {
		snprintf(out->error, sizeof(out->error),
			 SERVICE " answered notifications that are not a list");
		err = CT_ERR_IO;
		goto out;
	}
	if (newest)
		result->cursor = json_pack("{s:s}", "since_id", newest);
	else if (!cursor)
		result->cursor = json_object(); /* started: from now on nothing is skipped */
	result->more = json_array_size(page) >= PAGE_LIMIT;
out:
	json_decref(page);
	buf_free(&url);
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

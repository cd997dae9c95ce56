/*
 * mastodon_parse.c: Mastodon notifications into ingest messages, and the
 * plain text of HTML that both social adapters use (see social.h).
 *
 * A mention notification carries the whole status. Its ingest message:
 * external_id the status id (a direct message also arrives as a mention, so
 * the status id de-duplicates it), author the account (id, display_name,
 * acct), text the content as plain text (a content warning first), created_at
 * the status's, attachments the media (type, url, description), meta
 * {visibility, url, in_reply_to_id, account_acct, notification_id}.
 * Threading: direct messages of one account form one conversation
 * (thread_id "dm:<account id>"); any other mention opens a thread of its own
 * (thread_id the status id) unless it answers a status the store knows
 * (in_reply_to = in_reply_to_id, one of ours or an earlier mention), whose
 * conversation it then joins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channels/html_text.h"
#include "channels/social.h"
#include "core/timeutil.h"

#define MAX_ATTACHMENTS 4
#define TEXT_MAX (16 * 1024)       /* bytes of a message's text, well below ingest's limit */
#define ID_MAX 256                 /* ingest's limit on ids */
#define NAME_MAX 256               /* and on author names and handles */
#define FIELD_MAX 1024             /* a string of meta or of an attachment */
#define EARLIEST_MS 631152000000LL /* ingest refuses times before 1990 */
#define FUTURE_MS (3600LL * 1000)  /* and far in the future */

/* Whether the tag at s ('<') is named name (with "/" first for an end tag). */
static int tag_is(const char *s, const char *name)
{
	size_t n = strlen(name);
	if (strncasecmp(s + 1, name, n) != 0)
		return 0;
	char c = s[1 + n];
	return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trailing white space removed from out (past from), and out cut to
 * TEXT_MAX bytes past from on a character boundary. */
static void trim_end(buf *out, size_t from)
{
	if (out->len - from > TEXT_MAX) {
		out->len = from + TEXT_MAX;
		while (out->len > from && (out->data[out->len] & 0xC0) == 0x80)
			out->len--;
	}
	while (out->len > from && strchr(" \t\r\n", out->data[out->len - 1]))
		out->len--;
	if (out->data)
		out->data[out->len] = '\0';
}

/* The text of s into out: with tags = 1 as HTML (see social_html_to_text),
 * else only entities decoded (see social_entities_to_text). */
static ct_err to_text(const char *s, int tags, buf *out)
{
	ct_err err = CT_OK;
	size_t start = out->len;
	const char *end = s + strlen(s);
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	while (*s && !err) {
		if (*s == '<' && tags) {
			if (tag_is(s, "br"))
				err = buf_append(out, "\n", 1);
			else if (tag_is(s, "/p") && out->len > start)
				err = buf_append(out, "\n\n", 2);
			s = html_tag_end(s, end);
		} else if (*s == '&') {
			char ch[4];
			size_t n = 0, used = html_entity_decode(s + 1, end, ch, &n);
			err = used ? buf_append(out, ch, n) : buf_append(out, "&", 1);
			s += 1 + used;
		} else {
			size_t n = strcspn(s, tags ? "<&" : "&");
			err = buf_append(out, s, n);
			s += n;
		}
	}
	if (!err)
		trim_end(out, start);
	return err;
}

ct_err social_html_to_text(const char *html, buf *out)
{
	return to_text(html, 1, out);
}

ct_err social_entities_to_text(const char *text, buf *out)
{
	return to_text(text, 0, out);
}

int social_id_greater(const char *a, const char *b)
{
	if (!a)
		return 0;
	if (!b)
		return 1;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la > lb;
	return strcmp(a, b) > 0;
}

const char *mastodon_reply_visibility(const char *v)
{
	if (v && strcmp(v, "direct") == 0)
		return "direct";
	if (v && strcmp(v, "private") == 0)
		return "private";
	return "unlisted";
}

/* The string obj.key cut to max bytes on a character boundary. */
static void clip(json_t *obj, const char *key, size_t max)
{
	json_t *v = json_object_get(obj, key);
	size_t n = json_string_length(v);
	if (!json_is_string(v) || n <= max)
		return;
	const char *s = json_string_value(v);
	n = max;
	while (n > 0 && (s[n] & 0xC0) == 0x80)
		n--;
	json_object_set_new(obj, key, json_stringn(s, n));
}

/* Every string member of obj clipped to max bytes. */
static void clip_all(json_t *obj, size_t max)
{
	const char *key;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(obj, tmp, key, v) clip(obj, key, max);
}

/* Whether obj.key is absent or a string of at most max bytes. */
static int fits(const json_t *obj, const char *key, size_t max)
{
	const json_t *v = json_object_get(obj, key);
	return !v || (json_is_string(v) && json_string_length(v) <= max);
}

int social_fit_message(json_t *msg)
{
	json_t *author = json_object_get(msg, "author");
	if (!fits(msg, "external_id", ID_MAX) || !fits(author, "id", ID_MAX))
		return 0;
	if (!fits(msg, "thread_id", ID_MAX))
		json_object_del(msg, "thread_id");
	if (!fits(msg, "in_reply_to", ID_MAX))
		json_object_del(msg, "in_reply_to");
	clip(author, "name", NAME_MAX);
	clip(author, "handle", NAME_MAX);
	clip_all(json_object_get(msg, "meta"), FIELD_MAX);
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(msg, "attachments"), i, a) clip_all(a, FIELD_MAX);
	const char *at = json_string_value(json_object_get(msg, "created_at"));
	int64_t ms = 0;
	if (at && (strlen(at) > 64 || time_parse_rfc3339(at, strlen(at), &ms) != CT_OK ||
		   ms < EARLIEST_MS || ms > time_now_ms() + FUTURE_MS))
		json_object_del(msg, "created_at"); /* ingest takes the time of arrival */
	return 1;
}

/* A string member of obj, or NULL when it is absent, null or empty. */
static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

/* The plain text of a status: its content warning (when set), a blank line,
 * then the content. Owned by the caller (free). */
static char *status_text(const json_t *status)
{
	buf b;
	buf_init(&b, 1024 * 1024);
	const char *cw = str(status, "spoiler_text");
	const char *content = str(status, "content");
	ct_err err = CT_OK;
	if (cw)
		err = buf_printf(&b, "%s\n\n", cw);
	if (!err && content)
		err = social_html_to_text(content, &b);
	if (err)
		b.len = 0;
	trim_end(&b, 0);
	buf_puts(&b, ""); /* never NULL */
	return buf_detach(&b, NULL);
}

/* The media of a status as ingest attachments (new reference) or NULL. */
static json_t *status_attachments(const json_t *status)
{
	json_t *media = json_object_get(status, "media_attachments");
	json_t *out = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(media, i, m)
	{
		const char *url = str(m, "url");
		if (!url || json_array_size(out) >= MAX_ATTACHMENTS)
			continue;
		json_array_append_new(out,
				      json_pack("{s:s*, s:s, s:s*}", "type", str(m, "type"), "url",
						url, "description", str(m, "description")));
	}
	if (json_array_size(out) == 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The author object of an account (new reference) or NULL without an id. */
static json_t *account_author(const json_t *account)
{
	const char *id = str(account, "id");
	if (!id)
		return NULL;
	const char *name = str(account, "display_name");
	return json_pack("{s:s, s:s*, s:s*}", "id", id, "name",
			 name ? name : str(account, "username"), "handle", str(account, "acct"));
}

/* The ingest message of a status from someone else (new reference), or
 * NULL when the status is unusable; notification_id (or NULL) goes to meta. */
static json_t *status_message(const json_t *status, const char *notification_id)
{
	const char *sid = str(status, "id");
	if (!json_is_object(status) || !sid)
		return NULL;
	const json_t *account = json_object_get(status, "account");
	json_t *author = account_author(account);
	if (!author)
		return NULL;
	const char *visibility = str(status, "visibility");
	const char *reply_to = str(status, "in_reply_to_id");
	char dm_thread[300];
	const int direct = visibility && strcmp(visibility, "direct") == 0;
	snprintf(dm_thread, sizeof(dm_thread), "dm:%s",
		 json_string_value(json_object_get(author, "id")));
	char *text = status_text(status);
	json_t *media = status_attachments(status);
	if (!*text && !media) { /* nothing to show: point to the status */
		free(text);
		text = xstrdup(str(status, "url") ? str(status, "url") : "(no text)");
	}
	json_t *meta = json_pack("{s:s*, s:s*, s:s*, s:s*, s:s*}", "visibility", visibility, "url",
				 str(status, "url"), "in_reply_to_id", reply_to, "account_acct",
				 str(account, "acct"), "notification_id", notification_id);
	json_t *msg =
		json_pack("{s:s, s:s, s:s*, s:o, s:s, s:s*, s:o}", "external_id", sid, "thread_id",
			  direct ? dm_thread : sid, "in_reply_to", reply_to, "author", author,
			  "text", text, "created_at", str(status, "created_at"), "meta", meta);
	free(text);
	if (media)
		json_object_set_new(msg, "attachments", media);
	return msg;
}

json_t *mastodon_parse_notification(const json_t *n)
{
	const char *type = str(n, "type");
	if (!type || strcmp(type, "mention") != 0)
		return NULL;
	return status_message(json_object_get(n, "status"), str(n, "id"));
}

json_t *mastodon_parse_conversation(const json_t *c)
{
	const json_t *status = json_object_get(c, "last_status");
	const char *author = str(json_object_get(status, "account"), "id");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(c, "accounts"), i, a)
	{
		if (author && str(a, "id") && strcmp(author, str(a, "id")) == 0)
			return status_message(status, NULL);
	}
	return NULL; /* ours (the accounts list the others only), or unusable */
}

/* Append the message of each entry of page that parse makes one of to
 * messages; *newest becomes the largest id_of(entry) (borrowed). */
static ct_err parse_page(const json_t *page, json_t *(*parse)(const json_t *),
			 const char *(*id_of)(const json_t *), json_t *messages,
			 const char **newest)
{
	if (!json_is_array(page))
		return CT_ERR_INVALID;
	size_t i;
	json_t *entry;
	json_array_foreach(page, i, entry)
	{
		const char *id = id_of(entry);
		if (id && social_id_greater(id, *newest) && strspn(id, "0123456789") == strlen(id))
			*newest = id;
		json_t *msg = parse(entry);
		if (msg && social_fit_message(msg))
			json_array_append_new(messages, msg);
		else
			json_decref(msg);
	}
	return CT_OK;
}

static const char *notification_id(const json_t *n)
{
	return str(n, "id");
}

static const char *last_status_id(const json_t *c)
{
	return str(json_object_get(c, "last_status"), "id");
}

ct_err mastodon_parse_page(const json_t *page, json_t *messages, const char **newest)
{
	return parse_page(page, mastodon_parse_notification, notification_id, messages, newest);
}

ct_err mastodon_parse_conversations(const json_t *page, json_t *messages, const char **newest)
{
	return parse_page(page, mastodon_parse_conversation, last_status_id, messages, newest);
}

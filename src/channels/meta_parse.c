/*
 * meta_parse.c: Meta's webhook deliveries turned into ingest messages (see
 * meta.h), for the facebook, instagram and whatsapp channels.
 *
 * What becomes a message:
 * - object "page", field "feed", item "comment", verb "add": a comment on a
 *   post of the Page (not the Page's own comments);
 * - object "page" or "instagram", entry[].messaging[].message: a Messenger
 *   or Instagram direct message (not the echoes of our own);
 * - object "instagram", field "comments" (or "live_comments"): a comment on
 *   the account's media (not the account's own);
 * - object "whatsapp_business_account", field "messages",
 *   value.messages[]: a WhatsApp message of any type, the sender's name from
 *   value.contacts[].
 * Threads: a commenter's comments under one post are one conversation
 * (thread_id "<post id>:<commenter id>"), as inboxes show them; direct
 * messages thread by the sender's id. Everything else (statuses, read and
 * delivery receipts, reactions, edits, other fields) adds nothing. Non-text
 * content gets a placeholder text "[image]" and the attachment's ids.
 *
 * Also here: the answer of a profile look-up of a direct message's sender
 * (meta_parse_profile), the name those webhooks do not carry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/meta.h"
#include "core/buf.h"
#include "core/timeutil.h"

#define ID_MAX 256                 /* the ingest API's limit for ids, names and handles */
#define EARLIEST_MS 631152000000LL /* 1990-01-01, as ingest checks */
#define FUTURE_SLACK_MS (24LL * 3600 * 1000)
#define MAX_ATTACHMENTS 10 /* with URL_MAX, well within ingest's 16 KiB */
#define URL_MAX 1024

static const char *const object_names[] = {"page", "instagram", "whatsapp_business_account"};

const char *meta_object_name(meta_object o)
{
	return object_names[o];
}

/* obj[key] when it is a non-empty string of at most ID_MAX bytes, else
 * NULL; borrowed. */
static const char *id_of(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	size_t n = json_string_length(v);
	return json_is_string(v) && n > 0 && n <= ID_MAX ? json_string_value(v) : NULL;
}

/* obj[key] when it is a non-empty string, else NULL; borrowed. */
static const char *text_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

/* obj[key] when it is a number, else NULL; borrowed. */
static json_t *number_of(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_number(v) ? v : NULL;
}

/* obj[key] when it is a URL of at most URL_MAX bytes, else NULL; borrowed. */
static const char *url_of(const json_t *obj, const char *key)
{
	const char *s = text_of(obj, key);
	return s && strlen(s) <= URL_MAX ? s : NULL;
}

/* 1 when obj[key] is the string want. */
static int is(const json_t *obj, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && strcmp(s, want) == 0;
}

/* An integer, or a string of digits (WhatsApp's timestamps); 0 otherwise. */
static int64_t int_of(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	const char *s = json_string_value(v);
	if (!s || !*s)
		return 0;
	char *end = NULL;
	long long n = strtoll(s, &end, 10);
	return *end == '\0' ? n : 0;
}

/* Seconds since the epoch as ms; 0 for what cannot be a time. */
static int64_t secs_to_ms(int64_t s)
{
	return s > 0 && s < INT64_MAX / 1000 ? s * 1000 : 0;
}

/* created_at from ms since the epoch when plausible; otherwise ingest takes
 * the time of receipt. */
static void set_time(json_t *msg, int64_t ms)
{
	if (ms < EARLIEST_MS || ms > time_now_ms() + FUTURE_SLACK_MS)
		return;
	char text[TIME_RFC3339_SIZE];
	time_format_rfc3339(ms, text);
	json_object_set_new(msg, "created_at", json_string(text));
}

/* A new ingest message (owned) with meta (stolen); name and handle may be
 * NULL. */
static json_t *new_message(const char *external_id, const char *thread_id, const char *author_id,
			   const char *name, const char *handle, json_t *meta)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s?, s:s?}, s:o}", "external_id", external_id,
			 "thread_id", thread_id, "author", "id", author_id, "name", name, "handle",
			 handle, "meta", meta);
}

/* The text of msg: text, or when it is NULL the placeholder "[kind]";
 * attachments (stolen, may be NULL or empty) are kept with it. */
static void set_content(json_t *msg, const char *text, const char *kind, json_t *attachments)
{
	char placeholder[48];
	if (!text) {
		snprintf(placeholder, sizeof(placeholder), "[%s]",
			 strlen(kind) <= 32 ? kind : "attachment");
		text = placeholder;
	}
	json_object_set_new(msg, "text", json_string(text));
	if (json_array_size(attachments) > 0)
		json_object_set_new(msg, "attachments", attachments);
	else
		json_decref(attachments);
}

/* Append msg (stolen) to out, with in_reply_to when given. */
static void add(json_t *out, json_t *msg, const char *in_reply_to)
{
	if (in_reply_to)
		json_object_set_new(msg, "in_reply_to", json_string(in_reply_to));
	json_array_append_new(out, msg);
}

/* A comment as both platforms name its parts; all borrowed. */
typedef struct comment {
	meta_object object;
	const char *account_id; /* the Page or Instagram account (entry.id) */
	const char *id, *post_id, *parent_id, *from_id, *name, *handle, *text;
	json_t *attachments; /* owned until add_comment */
	int64_t ms;
} comment;

/* Append c as an ingest message to out; a comment of the account itself or
 * without ids adds nothing. */
static void add_comment(comment *c, json_t *out)
{
	char thread[2 * ID_MAX + 2];
	int n = c->post_id && c->from_id
			? snprintf(thread, sizeof(thread), "%s:%s", c->post_id, c->from_id)
			: -1;
	if (!c->id || n < 0 || n > ID_MAX ||
	    (c->account_id && strcmp(c->from_id, c->account_id) == 0)) {
		json_decref(c->attachments);
		return;
	}
	json_t *meta = json_pack("{s:s, s:s, s:s?, s:s, s:s?}", "object",
				 meta_object_name(c->object), "type", "comment", "page_id",
				 c->account_id, "post_id", c->post_id, "parent_id", c->parent_id);
	json_t *msg = new_message(c->id, thread, c->from_id, c->name, c->handle, meta);
	set_content(msg, c->text, "photo", c->attachments);
	set_time(msg, c->ms);
	int nested = c->parent_id && strcmp(c->parent_id, c->post_id) != 0;
	add(out, msg, nested ? c->parent_id : NULL);
}

/* object page, field feed: value is a change of the Page's feed. */
static void parse_feed(const json_t *entry, const json_t *value, json_t *out)
{
	if (!is(value, "item", "comment") || !is(value, "verb", "add"))
		return;
	const json_t *from = json_object_get(value, "from");
	const char *photo = url_of(value, "photo");
	comment c = {
		.object = META_PAGE,
		.account_id = id_of(entry, "id"),
		.id = id_of(value, "comment_id"),
		.post_id = id_of(value, "post_id"),
		.parent_id = id_of(value, "parent_id"),
		.from_id = id_of(from, "id"),
		.name = id_of(from, "name"),
		.text = text_of(value, "message"),
		.attachments =
			photo ? json_pack("[{s:s, s:s}]", "type", "photo", "url", photo) : NULL,
		.ms = secs_to_ms(int_of(json_object_get(value, "created_time"))),
	};
	if (!c.ms)
		c.ms = secs_to_ms(int_of(json_object_get(entry, "time")));
	add_comment(&c, out);
}

/* object instagram, field comments: value is a comment on the account's media. */
static void parse_instagram_comment(const json_t *entry, const json_t *value, json_t *out)
{
	const json_t *from = json_object_get(value, "from");
	comment c = {
		.object = META_INSTAGRAM,
		.account_id = id_of(entry, "id"),
		.id = id_of(value, "id"),
		.post_id = id_of(json_object_get(value, "media"), "id"),
		.parent_id = id_of(value, "parent_id"),
		.from_id = id_of(from, "id"),
		.handle = id_of(from, "username"),
		.text = text_of(value, "text"),
		.ms = secs_to_ms(int_of(json_object_get(entry, "time"))),
	};
	add_comment(&c, out);
}

/* Messenger's message.attachments[] as [{type, url}] (owned), NULL when none. */
static json_t *messenger_attachments(const json_t *message, const char **kind)
{
	const json_t *list = json_object_get(message, "attachments");
	json_t *out = json_array();
	for (size_t i = 0; i < json_array_size(list) && i < MAX_ATTACHMENTS; i++) {
		const json_t *a = json_array_get(list, i);
		const char *type = id_of(a, "type");
		if (!type)
			continue;
		if (!json_array_size(out))
			*kind = type;
		json_array_append_new(out, json_pack("{s:s, s:s?}", "type", type, "url",
						     url_of(json_object_get(a, "payload"), "url")));
	}
	return out;
}

/* entry.messaging[] item of a Page or Instagram account: a direct message
 * when it holds a message that is not our own echo. */
static void parse_messaging(meta_object o, const json_t *entry, const json_t *item, json_t *out)
{
	const json_t *message = json_object_get(item, "message");
	const char *account = id_of(json_object_get(item, "recipient"), "id");
	const char *sender = id_of(json_object_get(item, "sender"), "id");
	const char *mid = id_of(message, "mid");
	if (!account)
		account = id_of(entry, "id");
	if (!sender || !mid || json_is_true(json_object_get(message, "is_echo")) ||
	    (account && strcmp(sender, account) == 0))
		return;
	json_t *meta = json_pack("{s:s, s:s, s:s?}", "object", meta_object_name(o), "type",
				 "message", "page_id", account);
	json_t *msg = new_message(mid, sender, sender, NULL, NULL, meta);
	const char *kind = "attachment";
	json_t *attachments = messenger_attachments(message, &kind);
	set_content(msg, text_of(message, "text"), kind, attachments);
	set_time(msg, int_of(json_object_get(item, "timestamp")));
	add(out, msg, id_of(json_object_get(message, "reply_to"), "mid"));
}

/* The profile name of wa_id in value.contacts[], or NULL; borrowed. */
static const char *whatsapp_name(const json_t *value, const char *wa_id)
{
	const json_t *contacts = json_object_get(value, "contacts");
	for (size_t i = 0; i < json_array_size(contacts); i++) {
		const json_t *c = json_array_get(contacts, i);
		const char *id = id_of(c, "wa_id");
		if (id && strcmp(id, wa_id) == 0)
			return id_of(json_object_get(c, "profile"), "name");
	}
	return NULL;
}

/* The text of a WhatsApp message's interactive answer, button or reaction,
 * or NULL; borrowed. */
static const char *whatsapp_answer_text(const char *type, const json_t *body)
{
	if (strcmp(type, "interactive") == 0) {
		const json_t *r = json_object_get(body, "button_reply");
		return text_of(r ? r : json_object_get(body, "list_reply"), "title");
	}
	if (strcmp(type, "button") == 0)
		return text_of(body, "text");
	if (strcmp(type, "reaction") == 0)
		return text_of(body, "emoji");
	if (strcmp(type, "location") == 0) {
		const char *name = text_of(body, "name");
		return name ? name : text_of(body, "address");
	}
	return NULL;
}

/* Text and attachments of a WhatsApp message by its type. */
static void whatsapp_content(json_t *msg, const json_t *wa)
{
	static const char *const media[] = {"image",   "video", "audio", "document",
					    "sticker", "voice", NULL};
	const char *type = id_of(wa, "type");
	if (!type)
		type = "unsupported";
	const json_t *body = json_object_get(wa, type);
	if (strcmp(type, "text") == 0) {
		set_content(msg, text_of(body, "body"), type, NULL);
	} else if (str_in_list(type, media)) {
		json_t *a = json_pack("[{s:s, s:s?, s:s?, s:s?}]", "type", type, "id",
				      id_of(body, "id"), "mime_type", id_of(body, "mime_type"),
				      "filename", id_of(body, "filename"));
		set_content(msg, text_of(body, "caption"), type, a);
	} else if (strcmp(type, "location") == 0) {
		json_t *a = json_pack("[{s:s, s:O?, s:O?}]", "type", type, "latitude",
				      number_of(body, "latitude"), "longitude",
				      number_of(body, "longitude"));
		set_content(msg, whatsapp_answer_text(type, body), type, a);
	} else {
		set_content(msg, whatsapp_answer_text(type, body), type, NULL);
	}
}

/* object whatsapp_business_account, field messages: value.messages[]. */
static void parse_whatsapp(const json_t *entry, const json_t *value, json_t *out)
{
	const json_t *metadata = json_object_get(value, "metadata");
	const json_t *messages = json_object_get(value, "messages");
	for (size_t i = 0; i < json_array_size(messages); i++) {
		const json_t *wa = json_array_get(messages, i);
		const char *from = id_of(wa, "from"), *id = id_of(wa, "id");
		if (!from || !id)
			continue;
		json_t *meta = json_pack(
			"{s:s, s:s, s:s?, s:s?, s:s?}", "object", meta_object_name(META_WHATSAPP),
			"type", "message", "phone_number_id", id_of(metadata, "phone_number_id"),
			"display_phone_number", id_of(metadata, "display_phone_number"),
			"business_account_id", id_of(entry, "id"));
		json_t *msg = new_message(id, from, from, whatsapp_name(value, from), NULL, meta);
		whatsapp_content(msg, wa);
		set_time(msg, secs_to_ms(int_of(json_object_get(wa, "timestamp"))));
		add(out, msg, id_of(json_object_get(wa, "context"), "id"));
	}
}

/* One entry[].changes[] item of object o. */
static void parse_change(meta_object o, const json_t *entry, const char *field, const json_t *value,
			 json_t *out)
{
	if (o == META_PAGE && strcmp(field, "feed") == 0)
		parse_feed(entry, value, out);
	else if (o == META_INSTAGRAM &&
		 (strcmp(field, "comments") == 0 || strcmp(field, "live_comments") == 0))
		parse_instagram_comment(entry, value, out);
	else if (o == META_WHATSAPP && strcmp(field, "messages") == 0)
		parse_whatsapp(entry, value, out);
}

static ct_err refuse(char *error, size_t error_size, const char *why)
{
	snprintf(error, error_size, "%s", why);
	return CT_ERR_INVALID;
}

/* One entry[] item: its changes[] and messaging[]. */
static ct_err parse_entry(meta_object o, const json_t *entry, json_t *out, char *error,
			  size_t error_size)
{
	const json_t *changes = json_object_get(entry, "changes");
	const json_t *messaging = json_object_get(entry, "messaging");
	if (!json_is_object(entry) || (changes && !json_is_array(changes)) ||
	    (messaging && !json_is_array(messaging)))
		return refuse(
			error, error_size,
			"each entry must be an object whose changes and messaging are arrays");
	for (size_t i = 0; i < json_array_size(changes); i++) {
		const json_t *change = json_array_get(changes, i);
		const char *field = json_string_value(json_object_get(change, "field"));
		const json_t *value = json_object_get(change, "value");
		if (!field || !json_is_object(value))
			return refuse(error, error_size,
				      "each entry.changes item needs a field and a value object");
		parse_change(o, entry, field, value, out);
	}
	for (size_t i = 0; o != META_WHATSAPP && i < json_array_size(messaging); i++)
		parse_messaging(o, entry, json_array_get(messaging, i), out);
	return CT_OK;
}

ct_err meta_parse_delivery(meta_object o, const json_t *body, json_t *out, char *error,
			   size_t error_size)
{
	const char *object = json_string_value(json_object_get(body, "object"));
	const json_t *entries = json_object_get(body, "entry");
	if (!object || !json_is_array(entries))
		return refuse(error, error_size,
			      "not a Meta webhook: \"object\" and an \"entry\" array are expected");
	if (strcmp(object, meta_object_name(o)) != 0) {
		snprintf(error, error_size,
			 "the delivery is for object \"%.40s\", but this channel takes \"%s\"",
			 object, meta_object_name(o));
		return CT_ERR_INVALID;
	}
	for (size_t i = 0; i < json_array_size(entries); i++) {
		ct_err err = parse_entry(o, json_array_get(entries, i), out, error, error_size);
		if (err)
			return err;
	}
	return CT_OK;
}

/* Append the string s (may be NULL) to the text at out (size bytes, holding
 * a string), control characters as spaces, cut on a character boundary when
 * it does not fit. */
static void append_clean(char *out, size_t size, const char *s)
{
	size_t n = strlen(out);
	for (; s && *s && n + 1 < size; s++)
		out[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
	if (s && *s) /* cut: drop a character's bytes left incomplete */
		while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
			n--;
	if (s && *s && n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0xc0)
		n--;
	out[n] = '\0';
}

/* Trim the spaces at both ends of s, in place. */
static void trim(char *s)
{
	size_t start = strspn(s, " "), n = strlen(s);
	while (n > start && s[n - 1] == ' ')
		n--;
	memmove(s, s + start, n - start);
	s[n - start] = '\0';
}

ct_err meta_parse_profile(meta_object o, const json_t *answer, channel_profile *who)
{
	who->name[0] = who->handle[0] = '\0';
	if (o == META_INSTAGRAM) {
		append_clean(who->handle, sizeof(who->handle), text_of(answer, "username"));
		trim(who->handle);
		append_clean(who->name, sizeof(who->name), text_of(answer, "name"));
		trim(who->name);
		if (!who->name[0])
			append_clean(who->name, sizeof(who->name), who->handle);
	} else if (o == META_PAGE) {
		const char *first = text_of(answer, "first_name"),
			   *last = text_of(answer, "last_name");
		append_clean(who->name, sizeof(who->name), first);
		if (first && last)
			append_clean(who->name, sizeof(who->name), " ");
		append_clean(who->name, sizeof(who->name), last);
		trim(who->name);
	}
	if (who->name[0])
		return CT_OK;
	who->handle[0] = '\0';
	return CT_ERR_NOT_FOUND;
}

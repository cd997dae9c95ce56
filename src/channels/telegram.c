/*
 * telegram.c: the "telegram" channel, a bot on Telegram's Bot API.
 *
 * Telegram POSTs each Update to /hooks/telegram/<channel id> (the URL given
 * to setWebhook) with the header X-Telegram-Bot-Api-Secret-Token, the
 * secret_token given to setWebhook, which must equal the channel's secret
 * webhook_secret. A message or edited_message (private chat or group) with
 * text or a caption becomes an ingest message: external_id
 * "<chat id>:<message id>" (message ids count per chat), thread_id the chat
 * id, the author from "from". Media without a caption get a placeholder
 * text ("[photo]") and the file id as an attachment; service messages and
 * other kinds of Update are answered 200 and stored nowhere. An edit of a
 * message that is stored already is a duplicate and is dropped.
 *
 * Replies go to config.base_url (default https://api.telegram.org)
 * /bot<bot_token>/sendMessage {chat_id, text, reply_parameters}: the bot
 * token is part of the URL path, so no error for people names the URL or
 * the platform's words when they contain it. Flood control (429 with
 * parameters.retry_after) is waited out and retried. The Bot API has no
 * idempotency key: a retry after a lost answer may send a reply twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/fetch.h"
#include "core/crypto.h"
#include "core/timeutil.h"

#define BOT_API_URL "https://api.telegram.org"
#define SECRET_HEADER "X-Telegram-Bot-Api-Secret-Token"
#define SERVICE "the Telegram Bot API"
#define NAME_MAX_BYTES 256
#define FUTURE_SLACK_MS (24LL * 3600 * 1000)
#define EARLIEST_S 631152000LL /* 1990-01-01, as ingest checks */

/* Kinds of content without text, by the Message field that holds them. */
static const char *const media_fields[] = {
	"photo",   "video",    "animation", "document", "audio", "voice", "video_note",
	"sticker", "location", "venue",     "contact",  "poll",  "dice",  NULL};

static ct_err refuse(channel_hook_answer *answer, ct_err err, const char *why)
{
	snprintf(answer->error, sizeof(answer->error), "%s", why);
	return err;
}

/* An integer field as text into out (32 bytes); 0 when it is not one. */
static int int_text(const json_t *obj, const char *key, char out[32])
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return 0;
	snprintf(out, 32, "%lld", (long long)json_integer_value(v));
	return 1;
}

/* obj[key] when a non-empty string, else NULL; borrowed. */
static const char *string_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

/* obj[key] when a non-empty string of at most NAME_MAX_BYTES (ids, names),
 * else NULL; borrowed. */
static const char *short_of(const json_t *obj, const char *key)
{
	const char *s = string_of(obj, key);
	return s && strlen(s) <= NAME_MAX_BYTES ? s : NULL;
}

/* "first last" of a User (a name longer than ingest takes is left out);
 * owned json string or NULL. */
static json_t *user_name(const json_t *from)
{
	const char *first = string_of(from, "first_name"), *last = string_of(from, "last_name");
	if (!first)
		return NULL;
	char name[NAME_MAX_BYTES + 2];
	int n = snprintf(name, sizeof(name), "%s%s%s", first, last ? " " : "", last ? last : "");
	return n > 0 && n <= NAME_MAX_BYTES ? json_string(name) : NULL;
}

/* The author object of a Message (owned), or NULL without from.id. */
static json_t *author_of(const json_t *msg)
{
	const json_t *from = json_object_get(msg, "from");
	const char *username = short_of(from, "username");
	char id[32];
	if (!int_text(from, "id", id))
		return NULL;
	json_t *author = json_pack("{s:s}", "id", id);
	json_t *name = user_name(from);
	if (name)
		json_object_set_new(author, "name", name);
	if (username)
		json_object_set_new(author, "handle", json_string(username));
	return author;
}

/* The text of a Message: text, caption, or a placeholder for its media;
 * the media's file id goes to *attachments (owned) when there is one. */
static json_t *content_of(const json_t *msg, json_t **attachments)
{
	const char *text = string_of(msg, "text");
	if (!text)
		text = string_of(msg, "caption");
	for (const char *const *f = media_fields; *f; f++) {
		const json_t *media = json_object_get(msg, *f);
		if (!media)
			continue;
		if (json_is_array(media)) /* photo: sizes, the largest last */
			media = json_array_get(media, json_array_size(media) - 1);
		*attachments = json_pack("[{s:s, s:s?}]", "type", *f, "file_id",
					 short_of(media, "file_id"));
		if (text)
			return json_string(text);
		char placeholder[32];
		snprintf(placeholder, sizeof(placeholder), "[%s]", *f);
		return json_string(placeholder);
	}
	return text ? json_string(text) : NULL;
}

/* created_at from a Message's date when plausible (else the time of receipt). */
static void set_date(json_t *out, const json_t *msg)
{
	json_int_t date = json_integer_value(json_object_get(msg, "date"));
	if (date < EARLIEST_S || date > (time_now_ms() + FUTURE_SLACK_MS) / 1000)
		return;
	char text[TIME_RFC3339_SIZE];
	time_format_rfc3339((int64_t)date * 1000, text);
	json_object_set_new(out, "created_at", json_string(text));
}

/* The ingest message of a Message (owned), or NULL when it is none (a
 * service message, no sender). */
static json_t *message_of(const json_t *msg, int edited)
{
	const json_t *chat = json_object_get(msg, "chat");
	char chat_id[32], message_id[32], external_id[72];
	json_t *attachments = NULL;
	json_t *author = author_of(msg);
	json_t *text = content_of(msg, &attachments);
	if (!author || !text || !int_text(chat, "id", chat_id) ||
	    !int_text(msg, "message_id", message_id)) {
		json_decref(author);
		json_decref(text);
		json_decref(attachments);
		return NULL;
	}
	snprintf(external_id, sizeof(external_id), "%s:%s", chat_id, message_id);
	json_t *out = json_pack("{s:s, s:s, s:o, s:o, s:{s:O, s:O, s:s?, s:b}}", "external_id",
				external_id, "thread_id", chat_id, "author", author, "text", text,
				"meta", "chat_id", json_object_get(chat, "id"), "message_id",
				json_object_get(msg, "message_id"), "chat_type",
				short_of(chat, "type"), "edited", edited);
	if (attachments)
		json_object_set_new(out, "attachments", attachments);
	set_date(out, msg);
	const json_t *replied = json_object_get(msg, "reply_to_message");
	if (int_text(replied, "message_id", message_id)) {
		snprintf(external_id, sizeof(external_id), "%s:%s", chat_id, message_id);
		json_object_set_new(out, "in_reply_to", json_string(external_id));
	}
	return out;
}

static ct_err telegram_receive(const channel_ctx *ch, const channel_hook_request *req,
			       channel_hook_answer *answer)
{
	const char *secret = channel_secret(ch, "webhook_secret");
	if (strcmp(req->method, "POST") != 0)
		return refuse(answer, CT_ERR_INVALID, "Telegram POSTs its updates");
	if (!secret || !*secret)
		return refuse(answer, CT_ERR_UNAUTHORIZED,
			      "the channel has no webhook_secret: updates cannot be checked");
	if (!crypto_equal_secret(secret, req->header(req->http, SECRET_HEADER)))
		return refuse(answer, CT_ERR_UNAUTHORIZED, SECRET_HEADER " is missing or wrong");
	json_t *update = json_loadb(req->body ? req->body : "", req->body_len, 0, NULL);
	if (!json_is_integer(json_object_get(update, "update_id"))) {
		json_decref(update);
		return refuse(answer, CT_ERR_INVALID,
			      "not a Telegram Update: update_id is missing");
	}
	const json_t *msg = json_object_get(update, "message");
	const json_t *edited = json_object_get(update, "edited_message");
	json_t *out = json_is_object(msg)      ? message_of(msg, 0)
		      : json_is_object(edited) ? message_of(edited, 1)
					       : NULL;
	answer->messages = out ? json_pack("[o]", out) : json_array();
	json_decref(update);
	return CT_OK;
}

/* The chat id and message id to answer: from the last incoming message's
 * meta, else the conversation's thread (the chat id). Owned JSON values. */
static void reply_address(const channel_reply *rp, json_t **chat_id, json_t **message_id)
{
	json_t *meta = rp->in_reply_to_meta ? json_loads(rp->in_reply_to_meta, 0, NULL) : NULL;
	*chat_id = json_incref(json_object_get(meta, "chat_id"));
	*message_id = json_incref(json_object_get(meta, "message_id"));
	if (!*chat_id && rp->thread_id)
		*chat_id = json_string(rp->thread_id);
	json_decref(meta);
}

/* After a failed call: the platform's wait, and its description when it
 * cannot hold the token. */
static void judge_bot_error(const json_t *answer, const char *token, channel_outcome *out)
{
	json_int_t retry_after = json_integer_value(
		json_object_get(json_object_get(answer, "parameters"), "retry_after"));
	if (retry_after > 0 && retry_after < 86400 && retry_after * 1000 > out->retry_after_ms)
		out->retry_after_ms = retry_after * 1000;
	if (retry_after > 0)
		out->permanent = 0;
	const char *description = string_of(answer, "description");
	size_t n = strlen(out->error);
	if (description && !strstr(description, token))
		snprintf(out->error + n, sizeof(out->error) - n, ": %.120s", description);
}

/* The new message's "<chat id>:<message id>" into out->external_id. */
static void record_id(const json_t *answer, channel_outcome *out)
{
	const json_t *result = json_object_get(answer, "result");
	char chat_id[32], message_id[32];
	if (int_text(json_object_get(result, "chat"), "id", chat_id) &&
	    int_text(result, "message_id", message_id))
		snprintf(out->external_id, sizeof(out->external_id), "%s:%s", chat_id, message_id);
}

static ct_err telegram_send_reply(const channel_ctx *ch, const channel_reply *rp,
				  channel_outcome *out)
{
	const char *token = channel_needed_secret(ch, "bot_token", out);
	json_t *chat_id = NULL, *message_id = NULL;
	if (!token)
		return CT_ERR_INVALID;
	reply_address(rp, &chat_id, &message_id);
	if (!chat_id) {
		json_decref(message_id);
		snprintf(out->error, sizeof(out->error), "the chat to answer is unknown");
		out->permanent = 1;
		return CT_ERR_INVALID;
	}
	json_t *body =
		json_pack("{s:o, s:s}", "chat_id", chat_id, "text", rp->text ? rp->text : "");
	if (message_id)
		json_object_set_new(body, "reply_parameters",
				    json_pack("{s:o, s:b}", "message_id", message_id,
					      "allow_sending_without_reply", 1));
	buf url;
	buf_init(&url, 4096);
	buf_printf(&url, "%s/bot%s/sendMessage", channel_base_url(ch, BOT_API_URL), token);
	channel_request req = {.method = "POST", .url = buf_cstr(&url), .timeout_s = ch->timeout_s};
	json_t *answer = NULL;
	ct_err err = channel_fetch_json(&req, body, SERVICE, &answer, out);
	if (err)
		judge_bot_error(answer, token, out);
	else
		record_id(answer, out);
	json_decref(answer);
	buf_free(&url);
	return err;
}

const channel_kind channel_telegram = {
	.kind = "telegram",
	.hook_kind = "telegram",
	.send_reply = telegram_send_reply,
	.receive_hook = telegram_receive,
	.config_fields = {"base_url", NULL},
	.secret_fields = {"bot_token", "webhook_secret", NULL},
};

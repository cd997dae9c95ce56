/*
 * parse.c: validation of incoming messages (see ingest.h).
 *
 * Strict on purpose: an unknown field is an error, so a typo in an
 * integration shows up at once instead of silently losing data. Sizes are
 * capped; jansson has already rejected invalid UTF-8 and NUL characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "ingest/ingest.h"

#define ID_MAX 256
#define NAME_MAX_BYTES 256
#define SUBJECT_MAX 998
#define JSON_FIELD_MAX (16 * 1024)
#define ATTACHMENTS_MAX 20
#define FUTURE_SLACK_MS (24LL * 3600 * 1000)
#define EARLIEST_MS 631152000000LL /* 1990-01-01 */

static ct_err fail(ingest_batch *b, int index, const char *field, const char *msg)
{
	b->err_index = index;
	snprintf(b->err_field, sizeof(b->err_field), "%s", field);
	buf_reset(&b->err_msg);
	buf_puts(&b->err_msg, msg);
	return CT_ERR_INVALID;
}

/* A string field: required or optional, non-empty, at most max bytes. */
static ct_err get_string(ingest_batch *b, int index, json_t *obj, const char *key,
			 const char *field, size_t max, int required, const char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return CT_OK;
		char msg[128];
		snprintf(msg, sizeof(msg), "%s is required", field);
		return fail(b, index, field, msg);
	}
	char msg[128];
	if (!json_is_string(v)) {
		snprintf(msg, sizeof(msg), "%s must be a string", field);
		return fail(b, index, field, msg);
	}
	size_t len = json_string_length(v);
	if (len > max) {
		snprintf(msg, sizeof(msg), "%s is longer than %zu bytes", field, max);
		return fail(b, index, field, msg);
	}
	if (required && len == 0 && max != 0) {
		snprintf(msg, sizeof(msg), "%s must not be empty", field);
		return fail(b, index, field, msg);
	}
	*out = json_string_value(v);
	return CT_OK;
}

static ct_err check_keys(ingest_batch *b, int index, json_t *obj, const char *const *allowed,
			 const char *prefix)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if (!str_in_list(key, allowed)) {
			char field[64], msg[160];
			snprintf(field, sizeof(field), "%s%s", prefix, key);
			snprintf(msg, sizeof(msg), "unknown field %s", field);
			return fail(b, index, field, msg);
		}
	}
	return CT_OK;
}

/* attachments (array of objects) and meta (object), kept as compact JSON text. */
static ct_err get_json_field(ingest_batch *b, int index, json_t *obj, const char *key,
			     int want_array, char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return CT_OK;
	if (want_array ? !json_is_array(v) : !json_is_object(v))
		return fail(b, index, key,
			    want_array ? "attachments must be an array" : "meta must be an object");
	if (want_array) {
		if (json_array_size(v) > ATTACHMENTS_MAX)
			return fail(b, index, key, "more than 20 attachments");
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) if (!json_is_object(item)) return fail(
			b, index, key, "each attachment must be an object");
	}
	char *text = json_dumps(v, JSON_COMPACT);
	if (!text || strlen(text) > JSON_FIELD_MAX) {
		free(text);
		return fail(b, index, key, "larger than 16 KiB");
	}
	*out = text;
	return CT_OK;
}

static ct_err parse_author(ingest_batch *b, int index, json_t *obj, ingest_message *m)
{
	static const char *const author_keys[] = {"id", "name", "handle", NULL};
	json_t *author = json_object_get(obj, "author");
	if (!author)
		return fail(b, index, "author", "author is required");
	if (!json_is_object(author))
		return fail(b, index, "author", "author must be an object");
	ct_err err = check_keys(b, index, author, author_keys, "author.");
	if (!err)
		err = get_string(b, index, author, "id", "author.id", ID_MAX, 1, &m->author_id);
	if (!err)
		err = get_string(b, index, author, "name", "author.name", NAME_MAX_BYTES, 0,
				 &m->author_name);
	if (!err)
		err = get_string(b, index, author, "handle", "author.handle", NAME_MAX_BYTES, 0,
				 &m->author_handle);
	return err;
}

/* "conversation_id": absent, null or a positive integer. */
static ct_err parse_conversation_hint(ingest_batch *b, int index, json_t *obj, ingest_message *m)
{
	json_t *v = json_object_get(obj, "conversation_id");
	m->conversation_hint = 0;
	if (!v || json_is_null(v))
		return CT_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return fail(b, index, "conversation_id",
			    "conversation_id must be a positive integer");
	m->conversation_hint = json_integer_value(v);
	return CT_OK;
}

static ct_err parse_time(ingest_batch *b, int index, json_t *obj, int64_t now_ms, ingest_message *m)
{
	const char *s = NULL;
	ct_err err = get_string(b, index, obj, "created_at", "created_at", 64, 0, &s);
	if (err)
		return err;
	if (!s) {
		m->created_at = now_ms;
		return CT_OK;
	}
	if (time_parse_rfc3339(s, strlen(s), &m->created_at) != CT_OK)
		return fail(b, index, "created_at",
			    "created_at must be an RFC 3339 time like 2026-11-23T07:45:00+01:00");
	if (m->created_at > now_ms + FUTURE_SLACK_MS || m->created_at < EARLIEST_MS)
		return fail(b, index, "created_at",
			    "created_at is implausibly far in the future "
			    "or before 1990");
	return CT_OK;
}

static ct_err parse_one(ingest_batch *b, int index, json_t *obj, const ingest_options *lim,
			int64_t now_ms, ingest_message *m)
{
	static const char *const keys[] = {
		"channel",         "external_id", "thread_id", "in_reply_to",
		"conversation_id", "author",      "text",      "subject",
		"created_at",      "attachments", "meta",      NULL};
	if (!json_is_object(obj))
		return fail(b, index, "", "each message must be a JSON object");
	ct_err err = check_keys(b, index, obj, keys, "");
	if (!err)
		err = get_string(b, index, obj, "channel", "channel", 64, 1, &m->channel);
	if (!err)
		err = get_string(b, index, obj, "external_id", "external_id", ID_MAX, 1,
				 &m->external_id);
	if (!err)
		err = get_string(b, index, obj, "thread_id", "thread_id", ID_MAX, 0, &m->thread_id);
	if (!err)
		err = get_string(b, index, obj, "in_reply_to", "in_reply_to", ID_MAX, 0,
				 &m->in_reply_to);
	if (!err)
		err = parse_conversation_hint(b, index, obj, m);
	if (!err)
		err = parse_author(b, index, obj, m);
	if (!err)
		err = get_string(b, index, obj, "subject", "subject", SUBJECT_MAX, 0, &m->subject);
	if (!err) {
		json_t *text = json_object_get(obj, "text");
		if (text && json_is_string(text) && json_string_length(text) > lim->max_text) {
			char msg[96];
			snprintf(msg, sizeof(msg), "text is longer than %zu bytes", lim->max_text);
			return fail(b, index, "text", msg);
		}
		err = get_string(b, index, obj, "text", "text", lim->max_text, 0, &m->text);
	}
	if (!err)
		err = parse_time(b, index, obj, now_ms, m);
	if (!err)
		err = get_json_field(b, index, obj, "attachments", 1, &m->attachments);
	if (!err)
		err = get_json_field(b, index, obj, "meta", 0, &m->meta);
	if (!err && !m->text) {
		if (!m->attachments)
			return fail(b, index, "text", "text is required (or attachments)");
		m->text = "";
	}
	return err;
}

ct_err ingest_parse(json_t *root, const ingest_options *lim, int64_t now_ms, ingest_batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->err_msg, 1024);
	b->root = root;
	b->err_index = -1;
	b->single = json_is_object(root);
	size_t n = b->single ? 1 : json_array_size(root);
	if (!b->single && !json_is_array(root))
		return fail(b, -1, "", "the body must be a message object or an array of them");
	if (n == 0)
		return fail(b, -1, "", "the array holds no messages");
	if (n > lim->max_batch) {
		char msg[96];
		snprintf(msg, sizeof(msg), "at most %zu messages per request", lim->max_batch);
		fail(b, -1, "", msg);
		return CT_ERR_TOO_LARGE;
	}
	b->msgs = xcalloc(n, sizeof(*b->msgs));
	b->results = xcalloc(n, sizeof(*b->results));
	b->n = n;
	for (size_t i = 0; i < n; i++) {
		json_t *obj = b->single ? root : json_array_get(root, i);
		ct_err err = parse_one(b, b->single ? -1 : (int)i, obj, lim, now_ms, &b->msgs[i]);
		if (err)
			return err;
	}
	return CT_OK;
}

void ingest_batch_free(ingest_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->msgs[i].attachments);
		free(b->msgs[i].meta);
	}
	free(b->msgs);
	free(b->results);
	json_decref(b->root);
	buf_free(&b->err_msg);
	memset(b, 0, sizeof(*b));
}

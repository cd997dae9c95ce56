/*
 * views.c: rows to JSON (see views.h).
 */
#include "inbox/views.h"

#include <string.h>

#include "core/timeutil.h"


json_t *view_time(store_stmt *st, int col)
{
	if (store_col_is_null(st, col))
		return json_null();
	char text[TIME_RFC3339_SIZE];
	time_format_rfc3339(store_col_int(st, col), text);
	return json_string(text);
}

static json_t *text_or_null(store_stmt *st, int col)
{
	const char *s = store_col_text(st, col);
	return s ? json_stringn(s, store_col_bytes(st, col)) : json_null();
}

static json_t *int_or_null(store_stmt *st, int col)
{
	return store_col_is_null(st, col) ? json_null() : json_integer(store_col_int(st, col));
}

/* A stored JSON text column parsed back, or null. */
static json_t *json_or_null(store_stmt *st, int col)
{
	const char *s = store_col_text(st, col);
	json_t *v = s ? json_loadb(s, store_col_bytes(st, col), 0, NULL) : NULL;
	return v ? v : json_null();
}

/* The tag names of column col ("a,b,c"; names never hold commas) as an array. */
static json_t *tag_list(store_stmt *st, int col)
{
	json_t *tags = json_array();
	const char *s = store_col_text(st, col);
	while (s && *s) {
		size_t len = strcspn(s, ",");
		json_array_append_new(tags, json_stringn(s, len));
		s += len + (s[len] == ',');
	}
	return tags;
}

json_t *view_conversation(store_stmt *st)
{
	int64_t id = store_col_int(st, 0);
	json_t *channel = json_pack("{s:I, s:o, s:o}", "id", (json_int_t)store_col_int(st, 1),
				    "name", text_or_null(st, 2), "kind", text_or_null(st, 3));
	json_t *contact = json_pack("{s:I, s:o}", "id", (json_int_t)store_col_int(st, 4), "name",
				    text_or_null(st, 5));
	json_t *v = json_object();
	json_object_set_new(v, "id", json_integer(id));
	json_object_set_new(v, "channel", channel);
	json_object_set_new(v, "contact", contact);
	json_object_set_new(v, "subject", text_or_null(st, 6));
	json_object_set_new(v, "status", text_or_null(st, 7));
	json_object_set_new(v, "priority", text_or_null(st, 8));
	json_object_set_new(v, "language", text_or_null(st, 9));
	json_object_set_new(v, "assignee_id", int_or_null(st, 10));
	json_object_set_new(v, "team_id", int_or_null(st, 11));
	json_object_set_new(v, "snippet", text_or_null(st, 12));
	json_object_set_new(v, "message_count", json_integer(store_col_int(st, 13)));
	json_object_set_new(v, "last_activity_at", view_time(st, 14));
	json_object_set_new(v, "first_response_at", view_time(st, 15));
	json_object_set_new(v, "resolved_at", view_time(st, 16));
	json_object_set_new(v, "created_at", view_time(st, 17));
	json_object_set_new(v, "tags", tag_list(st, 18));
	return v;
}

json_t *view_message(store_stmt *st)
{
	json_t *author = json_object();
	json_object_set_new(author, "name", text_or_null(st, 5));
	json_object_set_new(author, "identity_id", int_or_null(st, 6));
	json_object_set_new(author, "user_id", int_or_null(st, 7));
	json_t *v = json_object();
	json_object_set_new(v, "id", json_integer(store_col_int(st, 0)));
	json_object_set_new(v, "conversation_id", json_integer(store_col_int(st, 1)));
	json_object_set_new(v, "direction", text_or_null(st, 2));
	json_object_set_new(v, "external_id", text_or_null(st, 3));
	json_object_set_new(v, "in_reply_to", text_or_null(st, 4));
	json_object_set_new(v, "author", author);
	json_object_set_new(v, "text", text_or_null(st, 8));
	json_object_set_new(v, "attachments", json_or_null(st, 9));
	json_object_set_new(v, "meta", json_or_null(st, 10));
	json_object_set_new(v, "created_at", view_time(st, 11));
	json_object_set_new(v, "received_at", view_time(st, 12));
	json_object_set_new(v, "delivery_state", text_or_null(st, 13));
	json_object_set_new(v, "delivery_error", text_or_null(st, 14));
	return v;
}

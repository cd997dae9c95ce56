/*
 * views.c: rows to JSON (see views.h).
 */
#include "inbox/views.h"
#include "store/columns.h"

#include <string.h>

#include "core/timeutil.h"

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

/* A 0/1 column as a boolean, NULL as null. */
static json_t *opt_bool(store_stmt *st, int col)
{
	return store_col_is_null(st, col) ? json_null() : json_boolean(store_col_int(st, col));
}

json_t *view_conversation(store_stmt *st)
{
	int64_t id = store_col_int(st, 0);
	json_t *channel = json_pack("{s:I, s:o, s:o}", "id", (json_int_t)store_col_int(st, 1),
				    "name", col_json_text(st, 2), "kind", col_json_text(st, 3));
	json_t *contact = json_pack("{s:I, s:o}", "id", (json_int_t)store_col_int(st, 4), "name",
				    col_json_text(st, 5));
	json_t *v = json_object();
	json_object_set_new(v, "id", json_integer(id));
	json_object_set_new(v, "channel", channel);
	json_object_set_new(v, "contact", contact);
	json_object_set_new(v, "subject", col_json_text(st, 6));
	json_object_set_new(v, "status", col_json_text(st, 7));
	json_object_set_new(v, "priority", col_json_text(st, 8));
	json_object_set_new(v, "language", col_json_text(st, 9));
	json_object_set_new(v, "assignee_id", col_json_int(st, 10));
	json_object_set_new(v, "team_id", col_json_int(st, 11));
	json_object_set_new(v, "snippet", col_json_text(st, 12));
	json_object_set_new(v, "message_count", json_integer(store_col_int(st, 13)));
	json_object_set_new(v, "last_activity_at", col_json_time(st, 14));
	json_object_set_new(v, "first_response_at", col_json_time(st, 15));
	json_object_set_new(v, "resolved_at", col_json_time(st, 16));
	json_object_set_new(v, "created_at", col_json_time(st, 17));
	json_object_set_new(v, "tags", tag_list(st, 18));
	/* What the dialog concept decided, and the response-time clock. */
	json_object_set_new(v, "intent", col_json_text(st, 19));
	json_object_set_new(v, "action", col_json_text(st, 20));
	json_object_set_new(v, "language_unowned", json_boolean(store_col_int(st, 21)));
	json_t *sla = json_object();
	json_object_set_new(sla, "policy", col_json_text(st, 22));
	json_object_set_new(sla, "first_response_due_at", col_json_time(st, 23));
	json_object_set_new(sla, "next_response_due_at", col_json_time(st, 24));
	json_object_set_new(sla, "resolution_due_at", col_json_time(st, 25));
	json_object_set_new(sla, "waiting_since", col_json_time(st, 26));
	json_object_set_new(sla, "next_response_at", col_json_time(st, 27));
	json_object_set_new(v, "sla", sla);
	json_object_set_new(v, "triage", col_json_parsed(st, 28));
	return v;
}

json_t *view_message(store_stmt *st)
{
	json_t *author = json_object();
	json_object_set_new(author, "name", col_json_text(st, 5));
	json_object_set_new(author, "identity_id", col_json_int(st, 6));
	json_object_set_new(author, "user_id", col_json_int(st, 7));
	json_t *v = json_object();
	json_object_set_new(v, "id", json_integer(store_col_int(st, 0)));
	json_object_set_new(v, "conversation_id", json_integer(store_col_int(st, 1)));
	json_object_set_new(v, "direction", col_json_text(st, 2));
	json_object_set_new(v, "external_id", col_json_text(st, 3));
	json_object_set_new(v, "in_reply_to", col_json_text(st, 4));
	json_object_set_new(v, "author", author);
	json_object_set_new(v, "text", col_json_text(st, 8));
	json_object_set_new(v, "attachments", col_json_parsed(st, 9));
	json_object_set_new(v, "meta", col_json_parsed(st, 10));
	json_object_set_new(v, "created_at", col_json_time(st, 11));
	json_object_set_new(v, "received_at", col_json_time(st, 12));
	json_object_set_new(v, "delivery_state", col_json_text(st, 13));
	json_object_set_new(v, "delivery_error", col_json_text(st, 14));
	json_object_set_new(v, "language", col_json_text(st, 15));
	json_object_set_new(v, "intent", col_json_text(st, 16));
	json_object_set_new(v, "sentiment", /* stored in thousandths */
			    store_col_is_null(st, 17)
				    ? json_null()
				    : json_real((double)store_col_int(st, 17) / 1000.0));
	json_object_set_new(v, "triage", col_json_parsed(st, 18));
	/* Approved wording: the template it came from and whether it was changed. */
	json_object_set_new(v, "template_id", col_json_int(st, 19));
	json_object_set_new(v, "template_version", col_json_int(st, 20));
	json_object_set_new(v, "template_deviation", opt_bool(st, 21));
	return v;
}

json_t *view_held_reply(store_stmt *st)
{
	json_t *v = json_object();
	json_object_set_new(v, "id", json_integer(store_col_int(st, 0)));
	json_object_set_new(v, "conversation_id", json_integer(store_col_int(st, 1)));
	json_object_set_new(v, "state", col_json_text(st, 2));
	json_object_set_new(v, "intent", col_json_text(st, 3));
	json_object_set_new(v, "text", col_json_text(st, 4));
	json_object_set_new(v, "template_id", col_json_int(st, 5));
	json_object_set_new(v, "template_version", col_json_int(st, 6));
	json_object_set_new(v, "template_deviation", opt_bool(st, 7));
	json_object_set_new(v, "author_name", col_json_text(st, 8));
	json_object_set_new(v, "author_user_id", col_json_int(st, 9));
	json_object_set_new(v, "created_at", col_json_time(st, 10));
	json_object_set_new(v, "decided_by", col_json_text(st, 11));
	json_object_set_new(v, "decided_at", col_json_time(st, 12));
	json_object_set_new(v, "edited", json_boolean(store_col_int(st, 13)));
	json_object_set_new(v, "reason", col_json_text(st, 14));
	json_object_set_new(v, "message_id", col_json_int(st, 15));
	json_object_set_new(v, "contact_name", col_json_text(st, 16));
	json_object_set_new(v, "channel", col_json_text(st, 17));
	return v;
}

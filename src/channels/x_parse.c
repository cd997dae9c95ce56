/*
 * x_parse.c: a page of X's mentions timeline into ingest messages, and the
 * poll cursor that walks it without gaps (see social.h).
 *
 * A post's ingest message: external_id its id, thread_id its
 * conversation_id (the id of the post that opened the thread on X, so all
 * replies of one thread land in one conversation), in_reply_to the post it
 * replies to (referenced_tweets "replied_to"), author from includes.users
 * (id, name, username as handle; a user missing from includes keeps just
 * the id), text with X's &amp; &lt; &gt; decoded, created_at, meta
 * {conversation_id, in_reply_to_user_id}.
 */
#include <string.h>

#include "channels/social.h"

/* A string member of obj, or NULL when absent, null or empty. */
static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

/* The user of includes.users with this id (borrowed) or NULL. */
static const json_t *find_user(const json_t *page, const char *id)
{
	const json_t *users = json_object_get(json_object_get(page, "includes"), "users");
	size_t i;
	const json_t *u;
	json_array_foreach(users, i, u)
	{
		const char *uid = str(u, "id");
		if (uid && id && strcmp(uid, id) == 0)
			return u;
	}
	return NULL;
}

/* The id of the post this one replies to (borrowed) or NULL. */
static const char *replied_to(const json_t *post)
{
	size_t i;
	const json_t *ref;
	json_array_foreach(json_object_get(post, "referenced_tweets"), i, ref)
	{
		const char *type = str(ref, "type");
		if (type && strcmp(type, "replied_to") == 0)
			return str(ref, "id");
	}
	return NULL;
}

/* One post as an ingest message (new reference), or NULL without id or
 * author. */
static json_t *post_message(const json_t *page, const json_t *post)
{
	const char *id = str(post, "id");
	const char *author_id = str(post, "author_id");
	if (!id || !author_id)
		return NULL;
	const json_t *user = find_user(page, author_id);
	buf text;
	buf_init(&text, 1024 * 1024);
	if (social_entities_to_text(str(post, "text") ? str(post, "text") : "", &text) != CT_OK ||
	    text.len == 0) {
		buf_reset(&text);
		buf_puts(&text, "(no text)");
	}
	const char *conversation = str(post, "conversation_id");
	json_t *msg = json_pack("{s:s, s:s, s:s*, s:{s:s, s:s*, s:s*}, s:s, s:s*, s:{s:s*, s:s*}}",
				"external_id", id, "thread_id", conversation ? conversation : id,
				"in_reply_to", replied_to(post), "author", "id", author_id, "name",
				str(user, "name"), "handle", str(user, "username"), "text",
				buf_cstr(&text), "created_at", str(post, "created_at"), "meta",
				"conversation_id", conversation, "in_reply_to_user_id",
				str(post, "in_reply_to_user_id"));
	buf_free(&text);
	return msg;
}

ct_err x_parse_mentions(const json_t *page, json_t *messages)
{
	if (!json_is_object(page))
		return CT_ERR_INVALID;
	const json_t *data = json_object_get(page, "data");
	if (data && !json_is_array(data))
		return CT_ERR_INVALID;
	size_t i;
	const json_t *post;
	json_array_foreach(data, i, post)
	{
		json_t *msg = post_message(page, post);
		if (msg && social_fit_message(msg))
			json_array_append_new(messages, msg);
		else
			json_decref(msg);
	}
	return CT_OK;
}

/* Whether s is a non-empty string of digits (an X id). */
static int is_id(const char *s)
{
	return s && *s && strspn(s, "0123456789") == strlen(s);
}

json_t *x_next_cursor(const json_t *cursor, const json_t *meta, int *more)
{
	const char *since = str(cursor, "since_id");
	const json_t *pending = json_object_get(cursor, "pending");
	const char *pending_newest = str(pending, "newest_id");
	const char *newest = str(meta, "newest_id");
	const char *next = str(meta, "next_token");
	if (!is_id(newest))
		newest = NULL;
	/* the newest id of this walk: the first page's */
	const char *walk_newest = pending ? pending_newest : newest;
	*more = 0;
	if (!cursor) /* the first poll: the newest page only ({}: there was none) */
		return is_id(newest) ? json_pack("{s:s}", "since_id", newest) : json_object();
	if (next && walk_newest) {
		*more = 1;
		return json_pack("{s:s*, s:{s:s, s:s}}", "since_id", since, "pending", "next_token",
				 next, "newest_id", walk_newest);
	}
	if (social_id_greater(walk_newest, since))
		return json_pack("{s:s}", "since_id", walk_newest);
	if (pending) /* the walk ended without anything newer */
		return since ? json_pack("{s:s}", "since_id", since) : json_object();
	return NULL;
}

/*
 * messages.c: replies, notes, single messages, search and inbox events
 * (see inbox.h).
 *
 * A reply is an outbound message plus a delivery job, written in one
 * transaction: if the process dies right after the 201, the job is still
 * there and the reply goes out when it restarts.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"
#include "inbox/inbox.h"
#include "inbox/views.h"
#include "jobs/jobs.h"

static const char SQL_CONVERSATION_CHANNEL[] = "SELECT channel_id FROM conversations WHERE id = $1";
static const char SQL_MESSAGE_BY_KEY[] = "SELECT id FROM messages WHERE idempotency_key = $1";
static const char SQL_OUT_INSERT[] =
	"INSERT INTO messages (conversation_id, channel_id, direction, author_user_id,"
	" author_name, text, created_at, received_at, delivery_state, idempotency_key)"
	" VALUES ($1, $2, $3, $4, coalesce((SELECT name FROM users WHERE id = $4), $5), $6, $7, $7,"
	" $8, $9) RETURNING id";
static const char SQL_TOUCH_REPLY[] =
	"UPDATE conversations SET last_activity_at = CASE WHEN $2 > last_activity_at THEN $2"
	" ELSE last_activity_at END,"
	" snippet = substr($3, 1, 200), message_count = message_count + 1,"
	" first_response_at = coalesce(first_response_at, $2),"
	" next_response_at = CASE WHEN waiting_since IS NULL THEN next_response_at ELSE $2 END,"
	" waiting_since = NULL, next_response_due_at = NULL WHERE id = $1";
/* An automatic reply is no response of the team: the SLA clock runs on. */
static const char SQL_TOUCH_AUTO[] =
	"UPDATE conversations SET message_count = message_count + 1 WHERE id = $1";
static const char SQL_TOUCH_NOTE[] =
	"UPDATE conversations SET message_count = message_count + 1 WHERE id = $1";
static const char SQL_MESSAGE_BY_ID[] =
	"SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.id = $1";

typedef struct outbound_ctx {
	int64_t conversation_id;
	const char *text;
	const actor *author;
	const inbox_scope *scope;
	const char *direction; /* "out" or "note" */
	char key[192];         /* idempotency key */
	int client_key;        /* key came from the client: look for a replay */
	int max_attempts;
	int64_t message_id;
	int created;
} outbound_ctx;

static ct_err check_text(const char *text, err_detail *d)
{
	if (!text)
		return err_set(d, CT_ERR_INVALID, "text", "text is required");
	size_t len = strlen(text), i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
		i++;
	if (i == len)
		return err_set(d, CT_ERR_INVALID, "text", "text must not be empty");
	if (len > INBOX_TEXT_MAX)
		return err_set(d, CT_ERR_INVALID, "text", "text is longer than 64 KiB");
	return CT_OK;
}

static ct_err find_by_key(store_conn *c, outbound_ctx *x)
{
	store_stmt *st = store_prepare(c, SQL_MESSAGE_BY_KEY);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, x->key);
	return store_one_int(st, &x->message_id);
}

/* One outbound row: a reply (key set: queued for delivery by a job with
 * the same key) or a note (key NULL). */
typedef struct outbound_row {
	int64_t conversation_id, channel_id;
	const char *direction;
	int64_t user_id; /* 0: not written by a user */
	const char *author_name;
	const char *text;
	const char *key;
	int max_attempts;
	int64_t now;
} outbound_row;

/* Insert r and, for a reply, its delivery job; *id gets the message id. */
static ct_err insert_row(store_conn *c, const outbound_row *r, int64_t *id)
{
	store_stmt *st = store_prepare(c, SQL_OUT_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, r->conversation_id);
	store_bind_int(st, 2, r->channel_id);
	store_bind_text(st, 3, r->direction);
	if (r->user_id)
		store_bind_int(st, 4, r->user_id);
	store_bind_text(st, 5, r->author_name);
	store_bind_text(st, 6, r->text);
	store_bind_int(st, 7, r->now);
	store_bind_text(st, 8, r->key ? "queued" : NULL);
	store_bind_text(st, 9, r->key);
	ct_err err = store_one_int(st, id);
	if (err || !r->key)
		return err;
	char payload[64];
	snprintf(payload, sizeof(payload), "{\"message_id\":%lld}", (long long)*id);
	return jobs_enqueue(c, JOB_DELIVER_REPLY, payload, r->key, r->max_attempts, r->now);
}

ct_err inbox_queue_auto_reply(store_conn *c, int64_t conversation_id, const char *author_name,
			      const char *text, const char *key, int max_attempts, int64_t now,
			      int64_t *message_id)
{
	*message_id = 0;
	store_stmt *st = store_prepare(c, SQL_MESSAGE_BY_KEY);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, key);
	ct_err err = store_one_int(st, message_id);
	if (err != CT_ERR_NOT_FOUND) {
		*message_id = 0; /* sent before: once is enough */
		return err;
	}
	int64_t channel_id = 0;
	if (!(st = store_prepare(c, SQL_CONVERSATION_CHANNEL)))
		return CT_ERR_STORE;
	store_bind_int(st, 1, conversation_id);
	err = store_one_int(st, &channel_id);
	outbound_row row = {conversation_id, channel_id, "out", 0, author_name, text, key,
			    max_attempts,    now};
	if (!err)
		err = insert_row(c, &row, message_id);
	if (!err && (st = store_prepare(c, SQL_TOUCH_AUTO))) {
		store_bind_int(st, 1, conversation_id);
		err = store_run(st);
	}
	return err;
}

static ct_err insert_outbound(store_conn *c, void *arg)
{
	outbound_ctx *x = arg;
	int64_t channel_id = 0, now = time_now_ms();
	x->message_id = 0, x->created = 0; /* a write may run twice: start afresh */
	ct_err access = inbox_check_access(c, x->scope, x->conversation_id);
	if (access)
		return access;
	store_stmt *st = store_prepare(c, SQL_CONVERSATION_CHANNEL);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->conversation_id);
	ct_err err = store_one_int(st, &channel_id);
	if (err)
		return err;
	if (x->client_key) {
		err = find_by_key(c, x);
		if (err != CT_ERR_NOT_FOUND)
			return err; /* a replay: the first reply stands */
	}
	int reply = strcmp(x->direction, "out") == 0;
	outbound_row row = {x->conversation_id,    channel_id,      x->direction,
			    x->author->user_id,    x->author->name, x->text,
			    reply ? x->key : NULL, x->max_attempts, now};
	err = insert_row(c, &row, &x->message_id);
	if (err)
		return err;
	x->created = 1;
	st = store_prepare(c, reply ? SQL_TOUCH_REPLY : SQL_TOUCH_NOTE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->conversation_id);
	if (reply) {
		store_bind_int(st, 2, now);
		store_bind_text(st, 3, x->text);
	}
	err = store_run(st);
	/* The audit entry names the message; its text stays in one place only,
	 * so erasing a contact's data leaves no copy behind. */
	json_t *after = json_pack("{s:I}", "message_id", (json_int_t)x->message_id);
	if (!err)
		err = audit_record_json(c, x->author,
					reply ? "conversation.replied" : "conversation.noted",
					"conversation", x->conversation_id, NULL, after);
	json_decref(after);
	return err;
}

ct_err inbox_reply(store *s, const actor *who, const inbox_scope *scope, int64_t conversation_id,
		   const char *text, const char *client_key, int max_attempts, int64_t *message_id,
		   int *created, err_detail *d)
{
	ct_err err = check_text(text, d);
	if (err)
		return err;
	const actor *a = who;
	outbound_ctx x = {.conversation_id = conversation_id,
			  .text = text,
			  .author = who,
			  .scope = scope,
			  .direction = "out",
			  .max_attempts = max_attempts};
	if (client_key) {
		if (strlen(client_key) > 128)
			return err_set(d, CT_ERR_INVALID, "Idempotency-Key",
				       "Idempotency-Key is longer than 128 bytes");
		snprintf(x.key, sizeof(x.key), "client:%s:%s", a->name, client_key);
		x.client_key = 1;
	} else {
		unsigned char raw[16];
		char hex[33];
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
		snprintf(x.key, sizeof(x.key), "reply-%s", hex);
	}
	err = store_write(s, insert_outbound, &x);
	*message_id = x.message_id;
	*created = x.created;
	return err;
}

ct_err inbox_note(store *s, const actor *who, const inbox_scope *scope, int64_t conversation_id,
		  const char *text, int64_t *message_id, err_detail *d)
{
	ct_err err = check_text(text, d);
	if (err)
		return err;
	outbound_ctx x = {.conversation_id = conversation_id,
			  .text = text,
			  .author = who,
			  .scope = scope,
			  .direction = "note"};
	err = store_write(s, insert_outbound, &x);
	*message_id = x.message_id;
	return err;
}

ct_err inbox_message(store_conn *c, int64_t id, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_MESSAGE_BY_ID);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = view_message(st);
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

ct_err inbox_search(store_conn *c, const inbox_scope *scope, const char *q, int64_t before,
		    int limit, json_t **data, int64_t *next_before, err_detail *d)
{
	*data = NULL;
	*next_before = 0;
	if (!q || !*q)
		return err_set(d, CT_ERR_INVALID, "q", "q is required");
	if (limit <= 0 || limit > INBOX_SEARCH_MAX)
		limit = 20;
	int64_t ids[INBOX_SEARCH_MAX + 1];
	int n = 0;
	ct_err err = store_fts_search(c, q, before, limit + 1, ids, &n);
	if (err == CT_ERR_INVALID)
		return err_set(d, err, "q", "q holds no word to search for");
	if (err)
		return err;
	*data = json_array();
	int scoped = scope->agent_user_id || scope->channel_id;
	for (int i = 0; i < n && i < limit; i++) {
		json_t *m = NULL;
		if (inbox_message(c, ids[i], &m) != CT_OK)
			continue;
		int64_t conv = json_integer_value(json_object_get(m, "conversation_id"));
		if (scoped && inbox_check_access(c, scope, conv) != CT_OK)
			json_decref(m); /* outside the caller's view */
		else
			json_array_append_new(*data, m);
	}
	if (n > limit)
		*next_before = ids[limit - 1];
	return CT_OK;
}

void inbox_publish(events_hub *h, const char *type, int64_t conversation_id, int64_t message_id)
{
	char data[128];
	if (message_id)
		snprintf(data, sizeof(data), "{\"conversation_id\":%lld,\"message_id\":%lld}",
			 (long long)conversation_id, (long long)message_id);
	else
		snprintf(data, sizeof(data), "{\"conversation_id\":%lld}",
			 (long long)conversation_id);
	events_publish(h, type, data);
}

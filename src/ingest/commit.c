/*
 * commit.c: storing a validated batch (see ingest.h).
 *
 * The whole batch is one store_write: it runs inside one savepoint of a
 * group transaction on the writer thread, so either every message of the
 * batch is stored or none is, and the caller hears back only after the
 * group's commit reached the disk.
 *
 * Threading, in this order: a conversation with the same thread_id on the
 * channel; the conversation of the message named by in_reply_to; the
 * contact's latest conversation on the channel unless it was resolved
 * longer ago than the re-open window; otherwise a new conversation.
 */
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"
#include "ingest/ingest.h"

static const char SQL_CHANNEL_BY_NAME[] = "SELECT id FROM channels WHERE name = $1";
static const char SQL_MESSAGE_BY_EXTERNAL[] =
	"SELECT id, conversation_id FROM messages WHERE channel_id = $1 AND external_id = $2";
static const char SQL_IDENTITY_BY_EXTERNAL[] =
	"SELECT id, contact_id, coalesce(name, ''), coalesce(handle, '') FROM identities"
	" WHERE channel_id = $1 AND external_id = $2";
static const char SQL_CONTACT_INSERT[] =
	"INSERT INTO contacts (name, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id";
static const char SQL_IDENTITY_INSERT[] =
	"INSERT INTO identities (contact_id, channel_id, external_id, handle, name, created_at)"
	" VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
static const char SQL_IDENTITY_UPDATE[] =
	"UPDATE identities SET name = coalesce($2, name), handle = coalesce($3, handle)"
	" WHERE id = $1";
static const char SQL_CONVERSATION_BY_THREAD[] =
	"SELECT id FROM conversations WHERE channel_id = $1 AND thread_key = $2";
static const char SQL_CONVERSATION_LATEST[] =
	"SELECT id, status, coalesce(resolved_at, 0) FROM conversations"
	" WHERE contact_id = $1 AND channel_id = $2 ORDER BY last_activity_at DESC, id DESC LIMIT "
	"1";
static const char SQL_CONVERSATION_INSERT[] =
	"INSERT INTO conversations (channel_id, contact_id, thread_key, subject, status,"
	" last_activity_at, created_at) VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id";
static const char SQL_MESSAGE_INSERT[] =
	"INSERT INTO messages (conversation_id, channel_id, direction, external_id, in_reply_to,"
	" identity_id, author_name, text, attachments, meta, created_at, received_at)"
	" VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
static const char SQL_CONVERSATION_TOUCH[] =
	"UPDATE conversations SET last_activity_at = CASE WHEN $2 > last_activity_at THEN $2"
	" ELSE last_activity_at END,"
	" snippet = substr($3, 1, 200), message_count = message_count + 1,"
	" status = 'open', resolved_at = NULL, snoozed_until = NULL WHERE id = $1";

typedef struct commit_ctx {
	ingest_batch *batch;
	const ingest_limits *lim;
	int64_t now;
} commit_ctx;

static ct_err find_int(store_conn *c, const char *sql, int64_t a, const char *b, int64_t *out)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	if (b) {
		store_bind_text(st, 1, b);
	} else {
		store_bind_int(st, 1, a);
	}
	return store_one_int(st, out);
}

/* The contact behind the author, created on first sight; updates a changed name. */
static ct_err resolve_identity(store_conn *c, int64_t now, int64_t channel_id,
			       const ingest_message *m, int64_t *identity_id, int64_t *contact_id)
{
	store_stmt *st = store_prepare(c, SQL_IDENTITY_BY_EXTERNAL);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, channel_id);
	store_bind_text(st, 2, m->author_id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		*identity_id = store_col_int(st, 0);
		*contact_id = store_col_int(st, 1);
		int changed = (m->author_name && strcmp(m->author_name, store_col_text(st, 2))) ||
			      (m->author_handle && strcmp(m->author_handle, store_col_text(st, 3)));
		store_reset(st);
		if (!changed)
			return CT_OK;
		st = store_prepare(c, SQL_IDENTITY_UPDATE);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, *identity_id);
		store_bind_text(st, 2, m->author_name);
		store_bind_text(st, 3, m->author_handle);
		return store_run(st);
	}
	ct_err err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
	store_reset(st);
	if (err)
		return err;
	st = store_prepare(c, SQL_CONTACT_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, m->author_name ? m->author_name : m->author_handle);
	store_bind_int(st, 2, now);
	err = store_one_int(st, contact_id);
	if (err)
		return err;
	st = store_prepare(c, SQL_IDENTITY_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, *contact_id);
	store_bind_int(st, 2, channel_id);
	store_bind_text(st, 3, m->author_id);
	store_bind_text(st, 4, m->author_handle);
	store_bind_text(st, 5, m->author_name);
	store_bind_int(st, 6, now);
	return store_one_int(st, identity_id);
}

/* The contact's latest conversation, unless it was resolved before the window. */
static ct_err latest_open_conversation(store_conn *c, const commit_ctx *x, int64_t contact_id,
				       int64_t channel_id, int64_t *conv)
{
	store_stmt *st = store_prepare(c, SQL_CONVERSATION_LATEST);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, contact_id);
	store_bind_int(st, 2, channel_id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		int resolved = strcmp(store_col_text(st, 1), "resolved") == 0;
		int64_t resolved_at = store_col_int(st, 2);
		if (!resolved || resolved_at >= x->now - x->lim->reopen_window_ms)
			*conv = store_col_int(st, 0);
	}
	ct_err err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
	store_reset(st);
	return err;
}

static ct_err find_conversation(store_conn *c, const commit_ctx *x, const ingest_message *m,
				int64_t channel_id, int64_t contact_id, int64_t *conv)
{
	*conv = 0;
	ct_err err = CT_OK;
	if (m->thread_id) {
		store_stmt *st = store_prepare(c, SQL_CONVERSATION_BY_THREAD);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, channel_id);
		store_bind_text(st, 2, m->thread_id);
		err = store_one_int(st, conv);
		if (err != CT_ERR_NOT_FOUND)
			return err;
	}
	if (m->in_reply_to) {
		store_stmt *st = store_prepare(c, SQL_MESSAGE_BY_EXTERNAL);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, channel_id);
		store_bind_text(st, 2, m->in_reply_to);
		int rc = store_step(st);
		if (rc == STORE_ROW)
			*conv = store_col_int(st, 1);
		err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
		store_reset(st);
		if (err || *conv)
			return err;
	}
	if (m->thread_id) /* a new thread opens a new conversation */
		return CT_OK;
	return latest_open_conversation(c, x, contact_id, channel_id, conv);
}

/* A new conversation; it began when its first message was written. */
static ct_err insert_conversation(store_conn *c, const ingest_message *m, int64_t channel_id,
				  int64_t contact_id, int64_t *conv)
{
	store_stmt *st = store_prepare(c, SQL_CONVERSATION_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, channel_id);
	store_bind_int(st, 2, contact_id);
	store_bind_text(st, 3, m->thread_id);
	store_bind_text(st, 4, m->subject);
	store_bind_int(st, 5, m->created_at);
	store_bind_int(st, 6, m->created_at);
	return store_one_int(st, conv);
}

static ct_err insert_message(store_conn *c, const ingest_message *m, int64_t now,
			     int64_t identity_id, ingest_result *r)
{
	store_stmt *st = store_prepare(c, SQL_MESSAGE_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, r->conversation_id);
	store_bind_int(st, 2, r->channel_id);
	store_bind_text(st, 3, m->external_id);
	store_bind_text(st, 4, m->in_reply_to);
	store_bind_int(st, 5, identity_id);
	store_bind_text(st, 6, m->author_name ? m->author_name : m->author_handle);
	store_bind_text(st, 7, m->text);
	store_bind_text(st, 8, m->attachments);
	store_bind_text(st, 9, m->meta);
	store_bind_int(st, 10, m->created_at);
	store_bind_int(st, 11, now);
	ct_err err = store_one_int(st, &r->message_id);
	if (err)
		return err;
	st = store_prepare(c, SQL_CONVERSATION_TOUCH);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, r->conversation_id);
	store_bind_int(st, 2, m->created_at);
	store_bind_text(st, 3, m->text);
	return store_run(st);
}

/* An earlier copy of this message: answer with its ids. */
static ct_err find_duplicate(store_conn *c, const ingest_message *m, ingest_result *r)
{
	store_stmt *st = store_prepare(c, SQL_MESSAGE_BY_EXTERNAL);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, r->channel_id);
	store_bind_text(st, 2, m->external_id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		r->message_id = store_col_int(st, 0);
		r->conversation_id = store_col_int(st, 1);
		r->duplicate = 1;
	}
	ct_err err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
	store_reset(st);
	return err;
}

static ct_err commit_one(store_conn *c, commit_ctx *x, size_t i)
{
	ingest_batch *b = x->batch;
	const ingest_message *m = &b->msgs[i];
	ingest_result *r = &b->results[i];
	ct_err err = find_int(c, SQL_CHANNEL_BY_NAME, 0, m->channel, &r->channel_id);
	if (err == CT_ERR_NOT_FOUND) {
		b->err_index = b->single ? -1 : (int)i;
		snprintf(b->err_field, sizeof(b->err_field), "channel");
		buf_reset(&b->err_msg);
		buf_printf(&b->err_msg, "unknown channel '%.64s'", m->channel);
		return CT_ERR_INVALID;
	}
	if (!err && x->lim->only_channel_id && r->channel_id != x->lim->only_channel_id) {
		b->err_index = b->single ? -1 : (int)i;
		snprintf(b->err_field, sizeof(b->err_field), "channel");
		buf_reset(&b->err_msg);
		buf_puts(&b->err_msg, "this token may only write to its own channel");
		return CT_ERR_FORBIDDEN;
	}
	if (!err)
		err = find_duplicate(c, m, r);
	if (err || r->duplicate)
		return err;
	int64_t identity_id = 0, contact_id = 0;
	err = resolve_identity(c, x->now, r->channel_id, m, &identity_id, &contact_id);
	if (!err)
		err = find_conversation(c, x, m, r->channel_id, contact_id, &r->conversation_id);
	if (!err && !r->conversation_id) {
		err = insert_conversation(c, m, r->channel_id, contact_id, &r->conversation_id);
		r->new_conversation = 1;
	}
	if (!err)
		err = insert_message(c, m, x->now, identity_id, r);
	return err;
}

static ct_err commit_batch(store_conn *c, void *arg)
{
	commit_ctx *x = arg;
	for (size_t i = 0; i < x->batch->n; i++) {
		memset(&x->batch->results[i], 0, sizeof(x->batch->results[i]));
		ct_err err = commit_one(c, x, i);
		if (err)
			return err;
	}
	return CT_OK;
}

ct_err ingest_commit(store *s, const ingest_limits *lim, ingest_batch *b)
{
	commit_ctx x = {b, lim, time_now_ms()};
	return store_write(s, commit_batch, &x);
}

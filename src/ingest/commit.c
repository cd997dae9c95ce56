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
 * conversation named by conversation_id (a token of ours, such as the
 * e-mail subject's "[#123]") when it is the same contact's on the same
 * channel; for a message without thread_id, the contact's latest
 * conversation on the channel unless it was resolved longer ago than the
 * re-open window; otherwise a new conversation.
 *
 * Locking, with several nodes on one PostgreSQL database: two nodes storing
 * batches of the same customers lock the same identities and conversations,
 * and in different orders they deadlock. So before a batch is stored, its
 * authors' identities are locked (store_row_lock_clause) or, for a new
 * author, inserted, sorted by (channel, author id): one global order, in
 * which the second transaction waits for the first instead of deadlocking
 * with it (store.c relies on this when it retries a lost deadlock). Then the
 * messages are stored in batch order (ids rise with it, as threading and
 * search expect), each with its author's identity as found there (looked up
 * once per author, not per message), and a conversation of a customer is
 * only changed under that customer's lock. What the order leaves open: a
 * conversation shared by customers (a thread_id or in_reply_to across
 * authors) is changed under another customer's lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "ingest/ingest.h"
#include "ingest/triage_apply.h"

static const char SQL_CONVERSATION_BY_EXTERNAL[] =
	"SELECT conversation_id FROM messages WHERE channel_id = $1 AND external_id = $2";
static const char SQL_CONVERSATION_OF_CONTACT[] =
	"SELECT id FROM conversations WHERE id = $1 AND channel_id = $2 AND contact_id = $3";
static const char SQL_CHANNEL_BY_NAME[] = "SELECT id, kind FROM channels WHERE name = $1";
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

/* An author of the batch: the identity as this write found or made it. */
typedef struct author_state {
	int known;   /* identity_id, contact_id, name and handle are set */
	int created; /* this write made the contact: its first message */
	int64_t identity_id, contact_id;
	char *name, *handle; /* as stored now, "" for none; owned */
} author_state;

typedef struct commit_ctx {
	ingest_batch *batch;
	const ingest_options *lim;
	int64_t now;
	/* The authors, sorted (worked out by plan_authors before the write):
	 * author k's messages are by_author[runs[k] .. runs[k + 1]), in batch
	 * order; author_of[i] is message i's k. copy[i]: an earlier message of
	 * the batch has message i's channel and external_id. */
	size_t *by_author, *runs, *author_of, n_authors;
	unsigned char *copy;
	/* Set by lock_authors: each author's identity; fresh[i]: message i was
	 * found not stored before. */
	author_state *authors;
	unsigned char *fresh;
	char identity_sql[256]; /* SQL_IDENTITY_BY_EXTERNAL, locking the row */
	/* With a concept: each message's text analysed before the write, and
	 * its channel's kind (read with the channel's id by check_channel). */
	triage_result *triage;
	char (*channel_kind)[32];
} commit_ctx;

/* A new contact and its identity for m's author. */
static ct_err insert_identity(store_conn *c, const commit_ctx *x, int64_t channel_id,
			      const ingest_message *m, int64_t *identity_id, int64_t *contact_id)
{
	store_stmt *st = store_prepare(c, SQL_CONTACT_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, m->author_name ? m->author_name : m->author_handle);
	store_bind_int(st, 2, x->now);
	ct_err err = store_one_int(st, contact_id);
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
	store_bind_int(st, 6, x->now);
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

/* The conversation st (prepared and bound, one id column) selects: CT_OK
 * with *conv 0 when it selects none. */
static ct_err conversation_of(store_stmt *st, int64_t *conv)
{
	*conv = 0;
	ct_err err = store_one_int(st, conv);
	if (err == CT_ERR_NOT_FOUND) {
		*conv = 0;
		return CT_OK;
	}
	return err;
}

/* Which conversation m belongs to (see "Threading" at the top); 0: a new one. */
static ct_err find_conversation(store_conn *c, const commit_ctx *x, const ingest_message *m,
				int64_t channel_id, int64_t contact_id, int64_t *conv)
{
	*conv = 0;
	ct_err err = CT_OK;
	store_stmt *st;
	if (m->thread_id) {
		if (!(st = store_prepare(c, SQL_CONVERSATION_BY_THREAD)))
			return CT_ERR_STORE;
		store_bind_int(st, 1, channel_id);
		store_bind_text(st, 2, m->thread_id);
		if ((err = conversation_of(st, conv)) || *conv)
			return err;
	}
	if (m->in_reply_to) {
		if (!(st = store_prepare(c, SQL_CONVERSATION_BY_EXTERNAL)))
			return CT_ERR_STORE;
		store_bind_int(st, 1, channel_id);
		store_bind_text(st, 2, m->in_reply_to);
		if ((err = conversation_of(st, conv)) || *conv)
			return err;
	}
	if (m->conversation_hint) {
		if (!(st = store_prepare(c, SQL_CONVERSATION_OF_CONTACT)))
			return CT_ERR_STORE;
		store_bind_int(st, 1, m->conversation_hint);
		store_bind_int(st, 2, channel_id);
		store_bind_int(st, 3, contact_id);
		if ((err = conversation_of(st, conv)) || *conv)
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

/* The channel of message i, which the token must be allowed to write to. */
static ct_err check_channel(store_conn *c, commit_ctx *x, size_t i)
{
	ingest_batch *b = x->batch;
	const ingest_message *m = &b->msgs[i];
	ingest_result *r = &b->results[i];
	store_stmt *st = store_prepare(c, SQL_CHANNEL_BY_NAME);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, m->channel);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		r->channel_id = store_col_int(st, 0);
		if (x->channel_kind)
			snprintf(x->channel_kind[i], sizeof(x->channel_kind[i]), "%s",
				 store_col_text(st, 1));
	}
	store_reset(st);
	ct_err err = rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
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
	return err;
}

/* Replace *slot (owned) by a copy of text. */
static void set_text(char **slot, const char *text)
{
	free(*slot);
	*slot = xstrdup(text);
}

/* A new contact and identity for author a from message i. */
static ct_err create_author(store_conn *c, const commit_ctx *x, author_state *a, size_t i)
{
	const ingest_message *m = &x->batch->msgs[i];
	ct_err err = insert_identity(c, x, x->batch->results[i].channel_id, m, &a->identity_id,
				     &a->contact_id);
	if (err)
		return err;
	a->known = a->created = 1;
	set_text(&a->name, m->author_name ? m->author_name : "");
	set_text(&a->handle, m->author_handle ? m->author_handle : "");
	return CT_OK;
}

/* Author a wrote message m: store a changed name or handle. */
static ct_err update_author(store_conn *c, author_state *a, const ingest_message *m)
{
	if (!(m->author_name && strcmp(m->author_name, a->name)) &&
	    !(m->author_handle && strcmp(m->author_handle, a->handle)))
		return CT_OK;
	store_stmt *st = store_prepare(c, SQL_IDENTITY_UPDATE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, a->identity_id);
	store_bind_text(st, 2, m->author_name);
	store_bind_text(st, 3, m->author_handle);
	ct_err err = store_run(st);
	if (!err && m->author_name)
		set_text(&a->name, m->author_name);
	if (!err && m->author_handle)
		set_text(&a->handle, m->author_handle);
	return err;
}

/*
 * Lock the identities of the batch's authors in the global order (see the top
 * of this file) and keep them in x->authors; insert those of new authors, from
 * the message that creates them: the author's first one that is no copy of
 * an earlier message, in the batch or stored (a resent message changes
 * nothing, also not for a customer erased meanwhile). After check_channel
 * (it needs the channel ids).
 */
static ct_err lock_authors(store_conn *c, commit_ctx *x)
{
	ingest_batch *b = x->batch;
	memset(x->fresh, 0, b->n);
	for (size_t k = 0; k < x->n_authors; k++) {
		author_state *a = &x->authors[k];
		a->known = a->created = 0;
		size_t first = x->by_author[x->runs[k]];
		store_stmt *st = store_prepare(c, x->identity_sql);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, b->results[first].channel_id);
		store_bind_text(st, 2, b->msgs[first].author_id);
		int rc = store_step(st);
		if (rc == STORE_ROW) {
			a->known = 1;
			a->identity_id = store_col_int(st, 0);
			a->contact_id = store_col_int(st, 1);
			set_text(&a->name, store_col_text(st, 2));
			set_text(&a->handle, store_col_text(st, 3));
		}
		ct_err err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
		store_reset(st);
		for (size_t j = x->runs[k]; !err && !a->known && j < x->runs[k + 1]; j++) {
			size_t i = x->by_author[j];
			ingest_result stored = {.channel_id = b->results[i].channel_id};
			if (x->copy[i])
				continue;
			err = find_duplicate(c, &b->msgs[i], &stored);
			if (err || stored.duplicate)
				continue;
			x->fresh[i] = 1;
			err = create_author(c, x, a, i);
		}
		if (err)
			return err;
	}
	return CT_OK;
}

/* Store message i (its channel checked, its author locked): the author's
 * name, the conversation, the message. */
static ct_err commit_one(store_conn *c, commit_ctx *x, size_t i)
{
	ingest_batch *b = x->batch;
	const ingest_message *m = &b->msgs[i];
	ingest_result *r = &b->results[i];
	ct_err err = x->fresh[i] ? CT_OK : find_duplicate(c, m, r);
	if (err || r->duplicate)
		return err;
	author_state *a = &x->authors[x->author_of[i]];
	/* Not stored before, so lock_authors found or made the identity; but
	 * should it not have, this message makes it. */
	err = a->known ? update_author(c, a, m) : create_author(c, x, a, i);
	if (!err)
		err = find_conversation(c, x, m, r->channel_id, a->contact_id, &r->conversation_id);
	if (!err && !r->conversation_id) {
		err = insert_conversation(c, m, r->channel_id, a->contact_id, &r->conversation_id);
		r->new_conversation = 1;
	}
	if (!err)
		err = insert_message(c, m, x->now, a->identity_id, r);
	if (!err && x->triage) {
		triage_apply_input in = {.opt = x->lim,
					 .message_id = r->message_id,
					 .conversation_id = r->conversation_id,
					 .channel_id = r->channel_id,
					 .channel_name = m->channel,
					 .channel_kind = x->channel_kind[i],
					 .contact_id = a->contact_id,
					 .first_contact = a->created && r->new_conversation,
					 .now = x->now};
		err = ingest_apply_triage(c, &in, &x->triage[i]);
	}
	return err;
}

/* The write function; may run more than once (see store.h). */
static ct_err commit_batch(store_conn *c, void *arg)
{
	commit_ctx *x = arg;
	ingest_batch *b = x->batch;
	snprintf(x->identity_sql, sizeof(x->identity_sql), "%s%s", SQL_IDENTITY_BY_EXTERNAL,
		 store_row_lock_clause(c));
	for (size_t i = 0; i < b->n; i++) {
		memset(&b->results[i], 0, sizeof(b->results[i]));
		ct_err err = check_channel(c, x, i);
		if (err)
			return err;
	}
	ct_err err = lock_authors(c, x);
	for (size_t i = 0; !err && i < b->n; i++)
		err = commit_one(c, x, i);
	return err;
}

/* ---- Planning the locks, before the write ------------------------------- */

/* A message by what it is sorted on: (channel, a key: author or external
 * id), then its index. Strings are borrowed from the batch. */
typedef struct sort_item {
	const char *channel, *key;
	size_t msg;
} sort_item;

static int same_key(const sort_item *a, const sort_item *b)
{
	return strcmp(a->channel, b->channel) == 0 && strcmp(a->key, b->key) == 0;
}

static int item_cmp(const void *pa, const void *pb)
{
	const sort_item *a = pa, *b = pb;
	int d = strcmp(a->channel, b->channel);
	if (!d)
		d = strcmp(a->key, b->key);
	return d ? d : a->msg < b->msg ? -1 : a->msg > b->msg;
}

/* Fill x's sorted authors and copy flags for x->batch (see commit_ctx); the
 * arrays are x's, freed by plan_free. On the caller's thread, not the
 * writer's. */
static void plan_authors(commit_ctx *x)
{
	const ingest_batch *b = x->batch;
	size_t n = b->n;
	x->by_author = xcalloc(n + 1, sizeof(size_t));
	x->runs = xcalloc(n + 1, sizeof(size_t));
	x->author_of = xcalloc(n + 1, sizeof(size_t));
	x->copy = xcalloc(n + 1, 1);
	x->fresh = xcalloc(n + 1, 1);
	sort_item *items = xcalloc(n + 1, sizeof(*items));
	for (size_t i = 0; i < n; i++)
		items[i] = (sort_item){b->msgs[i].channel, b->msgs[i].external_id, i};
	qsort(items, n, sizeof(*items), item_cmp);
	for (size_t i = 1; i < n; i++)
		x->copy[items[i].msg] = same_key(&items[i - 1], &items[i]);
	for (size_t i = 0; i < n; i++)
		items[i] = (sort_item){b->msgs[i].channel, b->msgs[i].author_id, i};
	qsort(items, n, sizeof(*items), item_cmp);
	x->n_authors = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || !same_key(&items[i - 1], &items[i]))
			x->runs[x->n_authors++] = i;
		x->by_author[i] = items[i].msg;
		x->author_of[items[i].msg] = x->n_authors - 1;
	}
	x->runs[x->n_authors] = n;
	x->authors = xcalloc(x->n_authors + 1, sizeof(*x->authors));
	free(items);
}

static void plan_free(commit_ctx *x)
{
	for (size_t k = 0; k < x->n_authors; k++) {
		free(x->authors[k].name);
		free(x->authors[k].handle);
	}
	free(x->authors);
	free(x->by_author);
	free(x->runs);
	free(x->author_of);
	free(x->copy);
	free(x->fresh);
}

/* Analyse each message's text for the concept (before the write, on the
 * caller's thread, so that requests analyse in parallel). */
static ct_err analyse_texts(commit_ctx *x)
{
	const ingest_batch *b = x->batch;
	x->triage = xcalloc(b->n + 1, sizeof(*x->triage));
	x->channel_kind = xcalloc(b->n + 1, sizeof(*x->channel_kind));
	for (size_t i = 0; i < b->n; i++)
		triage_result_init(&x->triage[i]);
	for (size_t i = 0; i < b->n; i++) {
		const char *t = b->msgs[i].text;
		ct_err err = triage_analyze(x->lim->triage, t, strlen(t), NULL, &x->triage[i]);
		if (err)
			return err;
	}
	return CT_OK;
}

ct_err ingest_commit(store *s, const ingest_options *lim, ingest_batch *b)
{
	commit_ctx x = {.batch = b, .lim = lim, .now = time_now_ms()};
	plan_authors(&x);
	ct_err err = lim->triage ? analyse_texts(&x) : CT_OK;
	if (!err)
		err = store_write(s, commit_batch, &x);
	for (size_t i = 0; x.triage && i < b->n; i++)
		triage_result_free(&x.triage[i]);
	free(x.triage);
	free(x.channel_kind);
	plan_free(&x);
	return err;
}

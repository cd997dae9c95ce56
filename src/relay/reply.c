/*
 * reply.c: the job that sends an agent's reply through its channel.
 *
 * It gathers what the channel adapter needs (the text, the conversation's
 * thread, the contact's identity on the channel, the last incoming message
 * to answer) and opens the channel (relay_channel_open) on a read
 * connection, lets that connection go, calls the adapter, and records the
 * delivery state on the message: sent, queued again, or failed with the
 * reason, which the conversation view shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"
#include "relay/relay.h"
#include "relay/relay_internal.h"

static const char SQL_REPLY_CONTEXT[] =
	"SELECT m.text, m.author_name, m.created_at, m.conversation_id, c.thread_key,"
	" m.channel_id,"
	" (SELECT i.external_id FROM messages mi JOIN identities i ON i.id = mi.identity_id"
	"   WHERE mi.conversation_id = m.conversation_id AND mi.direction = 'in'"
	"   ORDER BY mi.id DESC LIMIT 1),"
	" (SELECT i.handle FROM messages mi JOIN identities i ON i.id = mi.identity_id"
	"   WHERE mi.conversation_id = m.conversation_id AND mi.direction = 'in'"
	"   ORDER BY mi.id DESC LIMIT 1),"
	" (SELECT i.name FROM messages mi JOIN identities i ON i.id = mi.identity_id"
	"   WHERE mi.conversation_id = m.conversation_id AND mi.direction = 'in'"
	"   ORDER BY mi.id DESC LIMIT 1),"
	" (SELECT mi.external_id FROM messages mi"
	"   WHERE mi.conversation_id = m.conversation_id AND mi.direction = 'in'"
	"   ORDER BY mi.id DESC LIMIT 1),"
	" (SELECT mi.meta FROM messages mi"
	"   WHERE mi.conversation_id = m.conversation_id AND mi.direction = 'in'"
	"   ORDER BY mi.id DESC LIMIT 1),"
	" c.subject"
	" FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = $1";
static const char SQL_SET_STATE[] =
	"UPDATE messages SET delivery_state = $2, delivery_error = $3 WHERE id = $1";
static const char SQL_SET_EXTERNAL_ID[] =
	"UPDATE messages SET external_id = $2 WHERE id = $1 AND NOT EXISTS"
	" (SELECT 1 FROM messages o WHERE o.channel_id = messages.channel_id"
	"  AND o.external_id = $2)";

/* A reply with its own copies of the strings it points to. */
typedef struct reply_context {
	channel_reply reply;
	int64_t channel_id;
	char created[TIME_RFC3339_SIZE];
	char *kept[10];
	int n_kept;
} reply_context;

/* A copy of column col (NULL for SQL NULL), freed with x. */
static const char *keep(reply_context *x, store_stmt *st, int col)
{
	if (store_col_is_null(st, col) || x->n_kept == (int)(sizeof(x->kept) / sizeof(x->kept[0])))
		return NULL;
	return x->kept[x->n_kept++] = xstrdup(store_col_text(st, col));
}

static void reply_context_free(reply_context *x)
{
	for (int i = 0; i < x->n_kept; i++)
		free(x->kept[i]);
}

/* Read reply message_id into x on c; CT_ERR_NOT_FOUND when it is gone. */
static ct_err read_reply(store_conn *c, const job *j, int64_t message_id, reply_context *x)
{
	store_stmt *st = store_prepare(c, SQL_REPLY_CONTEXT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, message_id);
	int rc = store_step(st);
	if (rc != STORE_ROW) {
		store_reset(st);
		return rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
	}
	time_format_rfc3339(store_col_int(st, 2), x->created);
	x->channel_id = store_col_int(st, 5);
	x->reply = (channel_reply){
		.idempotency_key = j->idempotency_key,
		.message_id = message_id,
		.conversation_id = store_col_int(st, 3),
		.text = keep(x, st, 0),
		.author_name = keep(x, st, 1),
		.created_at = x->created,
		.thread_id = keep(x, st, 4),
		.recipient_id = keep(x, st, 6),
		.recipient_handle = keep(x, st, 7),
		.recipient_name = keep(x, st, 8),
		.in_reply_to = keep(x, st, 9),
		.in_reply_to_meta = keep(x, st, 10),
		.subject = keep(x, st, 11),
	};
	store_reset(st);
	return CT_OK;
}

static ct_err run(app *a, const job *j, job_outcome *out)
{
	reply_context x = {0};
	relay_channel ch = {0};
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = read_reply(c, j, job_payload_int(j, "message_id"), &x);
	if (!err)
		err = relay_channel_open(a, c, x.channel_id, &ch);
	store_reader_release(a->store, c); /* not held while the platform answers */
	if (err == CT_ERR_NOT_FOUND) {
		channel_fail(out, 1, "the reply no longer exists");
	} else if (!err && ch.adapter && ch.adapter->send_reply) {
		err = ch.adapter->send_reply(&ch.ctx, &x.reply, out);
	} else if (!err) {
		snprintf(out->error, sizeof(out->error), "channel kind '%.64s' cannot send",
			 ch.kind);
		out->permanent = 1;
		err = CT_ERR_INVALID;
	}
	relay_channel_free(&ch);
	reply_context_free(&x);
	return err;
}

static ct_err record(store_conn *c, const job *j, ct_err result, const job_outcome *out, int failed)
{
	int64_t message_id = job_payload_int(j, "message_id");
	store_stmt *st = store_prepare(c, SQL_SET_STATE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, message_id);
	store_bind_text(st, 2, result == CT_OK ? "sent" : failed ? "failed" : "queued");
	store_bind_text(st, 3, result == CT_OK ? NULL : out->error);
	ct_err err = store_run(st);
	if (err || result != CT_OK || !out->external_id[0])
		return err;
	st = store_prepare(c, SQL_SET_EXTERNAL_ID);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, message_id);
	store_bind_text(st, 2, out->external_id);
	return store_run(st);
}

static const char SQL_CONVERSATION_OF[] = "SELECT conversation_id FROM messages WHERE id = $1";

static void announce(app *a, const job *j, ct_err result, int failed)
{
	if (result != CT_OK && !failed)
		return; /* still queued: nothing visible changed */
	int64_t message_id = job_payload_int(j, "message_id"), conversation_id = 0;
	store_conn *c = store_reader_acquire(a->store);
	store_stmt *st = store_prepare(c, SQL_CONVERSATION_OF);
	if (st) {
		store_bind_int(st, 1, message_id);
		store_one_int(st, &conversation_id);
	}
	store_reader_release(a->store, c);
	char data[160];
	snprintf(data, sizeof(data),
		 "{\"conversation_id\":%lld,\"message_id\":%lld,\"delivery_state\":\"%s\"}",
		 (long long)conversation_id, (long long)message_id,
		 result == CT_OK ? "sent" : "failed");
	events_publish(a->events, "message.updated", data);
}

static const job_kind reply_job = {
	.name = JOB_DELIVER_REPLY, .run = run, .record = record, .announce = announce};

void relay_reply_register(void)
{
	jobs_register_kind(&reply_job);
}

/*
 * deliver_reply.c: the job that sends an agent's reply through its channel.
 *
 * It gathers what the channel adapter needs (the text, the conversation's
 * thread, the contact's identity on the channel, the last incoming message
 * to answer) on a read connection, calls the adapter, and records the
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

static const char SQL_REPLY_CONTEXT[] =
	"SELECT m.text, m.author_name, m.created_at, m.conversation_id, c.thread_key,"
	" ch.kind, ch.config, ch.secrets,"
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
	" c.subject, ch.id, ch.name"
	" FROM messages m JOIN conversations c ON c.id = m.conversation_id"
	" JOIN channels ch ON ch.id = m.channel_id WHERE m.id = $1";
static const char SQL_SET_STATE[] =
	"UPDATE messages SET delivery_state = $2, delivery_error = $3 WHERE id = $1";
static const char SQL_SET_EXTERNAL_ID[] =
	"UPDATE messages SET external_id = $2 WHERE id = $1 AND NOT EXISTS"
	" (SELECT 1 FROM messages o WHERE o.channel_id = messages.channel_id"
	"  AND o.external_id = $2)";

static int64_t payload_message_id(const job *j)
{
	json_t *p = json_loads(j->payload, 0, NULL);
	int64_t id = json_integer_value(json_object_get(p, "message_id"));
	json_decref(p);
	return id;
}

static ct_err run(app *a, const job *j, job_outcome *out)
{
	int64_t message_id = payload_message_id(j);
	store_conn *c = store_reader_acquire(a->store);
	store_stmt *st = store_prepare(c, SQL_REPLY_CONTEXT);
	ct_err err = CT_ERR_STORE;
	if (!st)
		goto out;
	store_bind_int(st, 1, message_id);
	if (store_step(st) != STORE_ROW) {
		snprintf(out->error, sizeof(out->error), "the reply no longer exists");
		out->permanent = 1;
		err = CT_ERR_NOT_FOUND;
		store_reset(st);
		goto out;
	}
	char created[TIME_RFC3339_SIZE];
	time_format_rfc3339(store_col_int(st, 2), created);
	channel_reply reply = {
		.idempotency_key = j->idempotency_key,
		.message_id = message_id,
		.conversation_id = store_col_int(st, 3),
		.text = store_col_text(st, 0),
		.author_name = store_col_text(st, 1),
		.created_at = created,
		.thread_id = store_col_text(st, 4),
		.recipient_id = store_col_text(st, 8),
		.recipient_handle = store_col_text(st, 9),
		.recipient_name = store_col_text(st, 10),
		.in_reply_to = store_col_text(st, 11),
		.in_reply_to_meta = store_col_text(st, 12),
		.subject = store_col_text(st, 13),
	};
	const char *kind = store_col_text(st, 5);
	json_t *channel_config = json_loads(store_col_text(st, 6), 0, NULL);
	json_t *secrets = seal_open_object(&a->key, store_col_text(st, 7));
	const channel_kind *adapter = channel_find(kind);
	channel_ctx ch = {.id = store_col_int(st, 14),
			  .name = store_col_text(st, 15),
			  .config = channel_config,
			  .secrets = secrets,
			  .timeout_s = (int)a->cfg.jobs_timeout_s};
	relay_channel_bind(a, &ch); /* an adapter may renew a token */
	if (adapter && adapter->send_reply) {
		err = adapter->send_reply(&ch, &reply, out);
	} else {
		snprintf(out->error, sizeof(out->error), "channel kind '%.64s' cannot send", kind);
		out->permanent = 1;
		err = CT_ERR_INVALID;
	}
	json_decref(channel_config);
	json_decref(secrets);
	store_reset(st);
out:
	store_reader_release(a->store, c);
	return err;
}

static ct_err record(store_conn *c, const job *j, ct_err result, const job_outcome *out, int failed)
{
	int64_t message_id = payload_message_id(j);
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
	int64_t message_id = payload_message_id(j), conversation_id = 0;
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

const job_kind job_deliver_reply = {JOB_DELIVER_REPLY, 0, run, record, announce};

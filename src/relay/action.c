/*
 * action.c: sharing and hiding a platform's message, as jobs (see relay.h).
 *
 * relay_queue_action checks that the message came in on a channel whose
 * adapter can do it, then queues the job "message_action" in the same write
 * as its audit entry. The job calls the adapter's share() or hide() with the
 * message's external id and meta and records the outcome on the message
 * (shared_at, hidden_at); retries and backoff are the job queue's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"
#include "relay/relay.h"
#include "relay/relay_internal.h"

#define JOB_MESSAGE_ACTION "message_action"

static const char SQL_MESSAGE[] =
	"SELECT m.channel_id, ch.kind, m.external_id, m.meta, m.direction, m.conversation_id"
	" FROM messages m JOIN channels ch ON ch.id = m.channel_id WHERE m.id = $1";
static const char SQL_SHARED[] = "UPDATE messages SET shared_at = $2 WHERE id = $1";
static const char SQL_HIDDEN[] = "UPDATE messages SET hidden_at = $2 WHERE id = $1";

typedef struct action_queue {
	const actor *who;
	int64_t message_id;
	const char *action;
	int hidden;
	int max_attempts;
	err_detail *d;
} action_queue;

/* Can adapter k (NULL: none) do action? */
static int adapter_can(const channel_kind *k, const char *action)
{
	if (!k)
		return 0;
	return strcmp(action, "share") == 0 ? k->share != NULL : k->hide != NULL;
}

static ct_err check_message(store_conn *c, action_queue *q)
{
	store_stmt *st = store_prepare(c, SQL_MESSAGE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, q->message_id);
	int rc = store_step(st);
	ct_err err = CT_OK;
	if (rc != STORE_ROW)
		err = rc == STORE_DONE ? err_set(q->d, CT_ERR_NOT_FOUND, "", "no such message")
				       : CT_ERR_STORE;
	else if (strcmp(store_col_text(st, 4), "in") != 0 || store_col_is_null(st, 2))
		err = err_set(
			q->d, CT_ERR_CONFLICT, "",
			"only a message that came in from a platform can be shared or hidden");
	else if (!adapter_can(channel_find(store_col_text(st, 1)), q->action))
		err = err_set(q->d, CT_ERR_CONFLICT, "",
			      strcmp(q->action, "share") == 0
				      ? "this channel cannot share messages"
				      : "this channel cannot hide messages");
	store_reset(st);
	return err;
}

static ct_err queue_action(store_conn *c, void *arg)
{
	action_queue *q = arg;
	ct_err err = check_message(c, q);
	if (err)
		return err;
	int64_t now = time_now_ms();
	char key[96], payload[128];
	if (strcmp(q->action, "share") == 0)
		snprintf(key, sizeof(key), "share:%lld", (long long)q->message_id);
	else
		snprintf(key, sizeof(key), "hide:%lld:%d:%lld", (long long)q->message_id, q->hidden,
			 (long long)now);
	snprintf(payload, sizeof(payload), "{\"message_id\":%lld,\"action\":\"%s\",\"hidden\":%d}",
		 (long long)q->message_id, q->action, q->hidden);
	err = jobs_enqueue(c, JOB_MESSAGE_ACTION, payload, key, q->max_attempts, now);
	if (err == CT_ERR_CONFLICT)
		return err_set(q->d, err, "", "the message is shared already");
	if (!err)
		err = audit_record(c, q->who,
				   strcmp(q->action, "share") == 0 ? "message.share"
								   : "message.hide",
				   "message", q->message_id, NULL, payload);
	return err;
}

ct_err relay_queue_action(app *a, const actor *who, int64_t message_id, const char *action,
			  int hidden, err_detail *d)
{
	action_queue q = {who, message_id, action, hidden, (int)a->cfg.jobs_max_attempts, d};
	ct_err err = store_write(a->store, queue_action, &q);
	if (!err && a->jobs)
		jobs_wake(a->jobs);
	return err;
}

typedef struct action_payload {
	int64_t message_id;
	char action[16];
	int hidden;
} action_payload;

static void read_payload(const job *j, action_payload *p)
{
	json_t *v = json_loads(j->payload, 0, NULL);
	p->message_id = json_integer_value(json_object_get(v, "message_id"));
	snprintf(p->action, sizeof(p->action), "%s",
		 json_string_value(json_object_get(v, "action")) ?: "");
	p->hidden = (int)json_integer_value(json_object_get(v, "hidden"));
	json_decref(v);
}

/* The message of p and its channel, read on c: external_id and meta
 * (owned) and ch (free with relay_channel_free). */
static ct_err read_target(app *a, store_conn *c, const action_payload *p, char **external_id,
			  char **meta, relay_channel *ch)
{
	store_stmt *st = store_prepare(c, SQL_MESSAGE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, p->message_id);
	int rc = store_step(st);
	if (rc != STORE_ROW) {
		store_reset(st);
		return rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
	}
	*external_id = xstrdup(store_col_text(st, 2));
	*meta = store_col_is_null(st, 3) ? NULL : xstrdup(store_col_text(st, 3));
	int64_t channel_id = store_col_int(st, 0);
	store_reset(st);
	return relay_channel_open(a, c, channel_id, ch);
}

static ct_err action_run(app *a, const job *j, job_outcome *out)
{
	action_payload p;
	read_payload(j, &p);
	char *external_id = NULL, *meta = NULL;
	relay_channel ch = {0};
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = read_target(a, c, &p, &external_id, &meta, &ch);
	store_reader_release(a->store, c); /* not held while the platform answers */
	int share = strcmp(p.action, "share") == 0;
	if (err == CT_ERR_NOT_FOUND) {
		channel_fail(out, 1, "the message no longer exists");
	} else if (!err && adapter_can(ch.adapter, p.action)) {
		err = share ? ch.adapter->share(&ch.ctx, external_id, meta, j->idempotency_key, out)
			    : ch.adapter->hide(&ch.ctx, external_id, meta, p.hidden, out);
	} else if (!err) {
		err = channel_fail(out, 1,
				   share ? "the channel cannot share" : "the channel cannot hide");
	}
	relay_channel_free(&ch);
	free(external_id);
	free(meta);
	return err;
}

static ct_err action_record(store_conn *c, const job *j, ct_err result, const job_outcome *out,
			    int failed)
{
	(void)out, (void)failed;
	if (result != CT_OK)
		return CT_OK;
	action_payload p;
	read_payload(j, &p);
	int share = strcmp(p.action, "share") == 0;
	store_stmt *st = store_prepare(c, share ? SQL_SHARED : SQL_HIDDEN);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, p.message_id);
	if (share || p.hidden)
		store_bind_int(st, 2, time_now_ms());
	else
		store_bind_null(st, 2);
	return store_run(st);
}

static void action_announce(app *a, const job *j, ct_err result, int failed)
{
	if (result != CT_OK && !failed)
		return;
	action_payload p;
	read_payload(j, &p);
	char data[160];
	snprintf(data, sizeof(data), "{\"message_id\":%lld,\"action\":\"%s\",\"ok\":%s}",
		 (long long)p.message_id, p.action, result == CT_OK ? "true" : "false");
	events_publish(a->events, "message.updated", data);
}

static const job_kind action_job = {.name = JOB_MESSAGE_ACTION,
				    .run = action_run,
				    .record = action_record,
				    .announce = action_announce};

void relay_action_register(void)
{
	jobs_register_kind(&action_job);
}

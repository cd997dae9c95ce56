/*
 * poll.c: polling the channels whose adapter can poll (see relay.h).
 *
 * Each such channel has one recurring job "poll_channel" (key
 * "poll:<channel id>"). The job queues its successor in the write that
 * records it, due at the channel's next poll (config.poll_every_s, the
 * adapter's default, or at once when the adapter said there is more) or
 * after the wait a rate-limited platform asked for, so that the poll lane
 * goes on at once when more is waiting. A tick on the scheduler node queues
 * the polls of new channels and of any whose job ended without a successor
 * (a lost lease, a failed record). The job asks the
 * adapter for what is new since the stored cursor, stores the messages
 * through ingest, and only then stores the new cursor with the health: a
 * failed poll or a restart resumes from the last stored position, and
 * a message fetched twice is stored once (by its external id).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "inbox/channel_state.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"
#include "relay/relay.h"
#include "relay/relay_internal.h"

#define JOB_POLL_CHANNEL "poll_channel"
#define POLL_TICK_MS 250
#define POLL_DEFAULT_S 60

/* A channel and when its next poll is due: when it was planned, and the
 * end of a wait the platform asked for. */
#define SQL_CHANNEL_POLL_AT                                                             \
	"SELECT ch.id, ch.kind, coalesce(s.next_poll_at, 0), coalesce(s.wait_until, 0)" \
	" FROM channels ch LEFT JOIN channel_state s ON s.channel_id = ch.id"
/* The pollable channels whose poll job is not queued or running. */
static const char SQL_UNSCHEDULED[] =
	SQL_CHANNEL_POLL_AT " LEFT JOIN jobs j ON j.idempotency_key = 'poll:' || ch.id"
			    " WHERE j.id IS NULL OR j.state IN ('done', 'failed') ORDER BY ch.id";
/* One channel, for the successor of its poll job. */
static const char SQL_ONE_CHANNEL[] = SQL_CHANNEL_POLL_AT " WHERE ch.id = $1";

#define MAX_SCHEDULE 256

typedef struct schedule {
	int n;
	int64_t id[MAX_SCHEDULE];
	int64_t run_at[MAX_SCHEDULE];
} schedule;

static void poll_key(int64_t channel_id, char *key, size_t size)
{
	snprintf(key, size, "poll:%lld", (long long)channel_id);
}

static ct_err queue_polls(store_conn *c, void *arg)
{
	schedule *sch = arg;
	for (int i = 0; i < sch->n; i++) {
		char key[64], payload[64];
		poll_key(sch->id[i], key, sizeof(key));
		snprintf(payload, sizeof(payload), "{\"channel_id\":%lld}", (long long)sch->id[i]);
		ct_err err = jobs_schedule(c, JOB_POLL_CHANNEL, payload, key, 1, sch->run_at[i]);
		if (err)
			return err;
	}
	return CT_OK;
}

/* Add the channel of st's row (SQL_CHANNEL_POLL_AT) to sch when its
 * adapter polls, due when its next poll is. */
static void add_due(store_stmt *st, schedule *sch)
{
	const channel_kind *k = channel_find(store_col_text(st, 1));
	if (!k || !k->poll || sch->n >= MAX_SCHEDULE)
		return;
	int64_t next = store_col_int(st, 2), wait = store_col_int(st, 3);
	sch->id[sch->n] = store_col_int(st, 0);
	sch->run_at[sch->n++] = next > wait ? next : wait;
}

/* Read which channels need their poll queued (no write when none). */
static void find_unscheduled(app *a, schedule *sch)
{
	store_conn *c = store_reader_acquire(a->store);
	store_stmt *st = store_prepare(c, SQL_UNSCHEDULED);
	while (st && sch->n < MAX_SCHEDULE && store_step(st) == STORE_ROW)
		add_due(st, sch);
	if (st)
		store_reset(st);
	store_reader_release(a->store, c);
}

/* Queue the polls that are due to be queued, and wake the workers: the
 * tick runs on the default lane's thread, the polls on the poll lane's,
 * which would otherwise notice them only after its idle wait. */
static void poll_tick(app *a)
{
	schedule sch = {0};
	find_unscheduled(a, &sch);
	if (!sch.n)
		return;
	if (store_write(a->store, queue_polls, &sch) != CT_OK)
		log_error("relay.poll_schedule_failed", LOG_I("channels", sch.n));
	else
		jobs_wake(a->jobs);
}

/* Seconds between polls of ch. */
static int64_t poll_every_s(const relay_channel *ch)
{
	json_int_t every = json_integer_value(json_object_get(ch->config, "poll_every_s"));
	if (every >= 1)
		return every;
	return ch->adapter->poll_every_s > 0 ? ch->adapter->poll_every_s : POLL_DEFAULT_S;
}

typedef struct poll_record {
	const relay_channel *ch;
	const channel_poll_result *res;
	const char *error; /* the poll's or the ingest's, or NULL */
	int stored;        /* the messages are durable: the cursor may move */
} poll_record;

static ct_err write_poll_state(store_conn *c, void *arg)
{
	poll_record *r = arg;
	int64_t now = time_now_ms();
	int64_t wait = r->res->outcome.retry_after_ms;
	int again_now = r->stored && r->res->more && !r->error;
	channel_state_update u = {
		.channel_id = r->ch->id,
		.now_ms = now,
		.error = r->error,
		.cursor = r->stored ? r->res->cursor : NULL,
		.next_poll_at = again_now ? now : now + poll_every_s(r->ch) * 1000,
		.wait_until = wait > 0 ? now + wait : 0,
	};
	return channel_state_record(c, &u);
}

/* Store what the poll brought; the error text (static or in errbuf) or NULL. */
static const char *store_polled(app *a, relay_channel *ch, channel_poll_result *res, char *errbuf,
				size_t size)
{
	if (json_array_size(res->messages) == 0)
		return NULL;
	ingest_batch b;
	json_t *messages = res->messages;
	res->messages = NULL;
	ct_err err = ingest_take(a, messages, ch->name, ch->id, &b);
	if (err)
		snprintf(errbuf, size, "the polled messages could not be stored: %s%s%s",
			 b.err_field, b.err_field[0] ? ": " : "", buf_cstr(&b.err_msg));
	ingest_batch_free(&b);
	return err ? errbuf : NULL;
}

static ct_err poll_run(app *a, const job *j, job_outcome *out)
{
	relay_channel ch;
	json_t *cursor = NULL;
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = relay_channel_open(a, c, job_payload_int(j, "channel_id"), &ch);
	if (!err)
		err = channel_state_cursor(c, ch.id, &cursor);
	store_reader_release(a->store, c);
	if (err || !ch.adapter || !ch.adapter->poll) {
		snprintf(out->error, sizeof(out->error), "the channel cannot be polled");
		relay_channel_free(&ch);
		return err == CT_ERR_STORE ? err : CT_OK; /* nothing to retry */
	}
	channel_poll_result res = {0};
	ct_err polled = ch.adapter->poll(&ch.ctx, cursor, &res);
	char store_error[300];
	const char *stored_error = store_polled(a, &ch, &res, store_error, sizeof(store_error));
	poll_record r = {&ch, &res, stored_error, !stored_error};
	if (!r.error && polled)
		r.error = res.outcome.error[0] ? res.outcome.error : "the poll failed";
	err = store_write(a->store, write_poll_state, &r);
	json_decref(res.messages);
	json_decref(res.cursor);
	json_decref(cursor);
	relay_channel_free(&ch);
	return err; /* a platform's failure is the channel's health, not the job's */
}

/* The job's record: queue its successor (see the top of the file). The job
 * row is done or failed by now, so jobs_schedule queues it again; a channel
 * removed meanwhile gets none. */
static ct_err poll_job_record(store_conn *c, const job *j, ct_err result, const job_outcome *out,
			      int failed)
{
	(void)result, (void)out, (void)failed;
	store_stmt *st = store_prepare(c, SQL_ONE_CHANNEL);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, job_payload_int(j, "channel_id"));
	schedule sch = {0};
	int rc = store_step(st);
	if (rc == STORE_ROW)
		add_due(st, &sch);
	store_reset(st);
	if (rc == STORE_ERROR)
		return CT_ERR_STORE;
	return queue_polls(c, &sch);
}

static const job_kind poll_job = {.name = JOB_POLL_CHANNEL,
				  .run = poll_run,
				  .record = poll_job_record,
				  .lane = JOB_LANE_POLL};

void relay_poll_register(void)
{
	jobs_register_kind(&poll_job);
	jobs_register_tick(poll_tick, POLL_TICK_MS);
}

ct_err relay_poll_soon(store_conn *c, int64_t channel_id)
{
	char key[64];
	poll_key(channel_id, key, sizeof(key));
	return jobs_hurry(c, key, time_now_ms());
}

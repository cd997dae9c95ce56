/*
 * worker.c: the thread that runs due jobs (see jobs.h).
 *
 * Loop: claim the oldest due job (state queued -> running, attempts + 1) in
 * one write; run it outside any transaction; record the outcome in another
 * write. Between jobs the thread sleeps until woken or until the next job is
 * due (at most a second, so jobs queued by another process are seen too).
 *
 * Several nodes may work one queue (PostgreSQL): the claim skips rows that
 * another node has locked (FOR UPDATE SKIP LOCKED), so each job is claimed
 * once. A claim is a lease until locked_until; a job whose worker died (a
 * crash, a killed node) is claimed again once its lease has expired, by any
 * node, and may then run twice, which its idempotency key makes harmless. An
 * outcome is recorded only by the claim that holds the job (its attempt).
 *
 * Scheduled work (the daily jobs) is queued only by the node that holds the
 * lease "scheduler" (see leader.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"
#include "jobs/leader.h"

#define IDLE_POLL_MS 1000
#define LEASE_MARGIN_MS 10000
#define SCHEDULER_LEASE "scheduler"
#define SCHEDULER_TTL_MS 30000

struct jobs_worker {
	app *app;
	int64_t scheduled_day; /* the last day daily jobs were queued for */
	leader *scheduler;     /* the lease for scheduled work */
	int64_t ticked[8];     /* when each periodic tick last ran (monotonic) */
	char next_due_sql[512];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
	int woken;
};

/* When the next job is due: a queued one's run_at, a running one's lease end. */
static const char SQL_EARLIEST[] =
	"SELECT coalesce(min(CASE WHEN state = 'queued' THEN run_at ELSE locked_until END), -1)"
	" FROM jobs WHERE state IN ('queued', 'running')";
/* Due: queued and its time has come, or running under an expired lease.
 * The backend's lock clause is appended (see store_lock_clause). */
static const char SQL_NEXT_DUE[] =
	"SELECT id, kind, payload, idempotency_key, attempts, max_attempts FROM jobs"
	" WHERE (state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until < $1)"
	" ORDER BY run_at, id LIMIT 1";
static const char SQL_CLAIM[] =
	"UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2,"
	" updated_at = $3 WHERE id = $1";
/* The outcome, recorded only by the claim holding the job: attempts = $n. */
static const char SQL_DONE[] =
	"UPDATE jobs SET state = 'done', last_error = NULL, locked_until = NULL, updated_at = $2"
	" WHERE id = $1 AND attempts = $3";
static const char SQL_RETRY[] =
	"UPDATE jobs SET state = 'queued', run_at = $2, last_error = $3, locked_until = NULL,"
	" updated_at = $4 WHERE id = $1 AND attempts = $5";
static const char SQL_FAILED[] =
	"UPDATE jobs SET state = 'failed', last_error = $2, locked_until = NULL, updated_at = $3"
	" WHERE id = $1 AND attempts = $4";

typedef struct claim_ctx {
	const char *next_due_sql;
	int64_t lease_ms;
	job j;
	int found;
} claim_ctx;

static void free_job(job *j);

static ct_err claim_next(store_conn *c, void *arg)
{
	claim_ctx *x = arg;
	int64_t now = time_now_ms();
	if (x->found) /* a write may run twice: forget the first run's claim */
		free_job(&x->j);
	x->found = 0;
	store_stmt *st = store_prepare(c, x->next_due_sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, now);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		x->found = 1;
		x->j.id = store_col_int(st, 0);
		x->j.kind = xstrdup(store_col_text(st, 1));
		x->j.payload = xstrdup(store_col_text(st, 2));
		x->j.idempotency_key = xstrdup(store_col_text(st, 3));
		x->j.attempt = (int)store_col_int(st, 4) + 1;
		x->j.max_attempts = (int)store_col_int(st, 5);
	}
	store_reset(st);
	if (rc == STORE_ERROR)
		return CT_ERR_STORE;
	if (!x->found)
		return CT_OK;
	st = store_prepare(c, SQL_CLAIM);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->j.id);
	store_bind_int(st, 2, now + x->lease_ms);
	store_bind_int(st, 3, now);
	return store_run(st);
}

typedef struct finish_ctx {
	app *app;
	const job_kind *kind;
	const job *j;
	ct_err result;
	const job_outcome *outcome;
	int failed; /* out: the job is now failed for good */
	int lost;   /* out: another claim holds the job now; nothing recorded */
} finish_ctx;

static ct_err finish_job(store_conn *c, void *arg)
{
	finish_ctx *x = arg;
	int64_t now = time_now_ms();
	store_stmt *st;
	if (x->result == CT_OK) {
		st = store_prepare(c, SQL_DONE);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, x->j->id);
		store_bind_int(st, 2, now);
		store_bind_int(st, 3, x->j->attempt);
	} else if (x->outcome->permanent || x->j->attempt >= x->j->max_attempts) {
		x->failed = 1;
		st = store_prepare(c, SQL_FAILED);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, x->j->id);
		store_bind_text(st, 2, x->outcome->error);
		store_bind_int(st, 3, now);
		store_bind_int(st, 4, x->j->attempt);
	} else {
		int64_t wait = jobs_backoff_ms(&x->app->cfg, x->j->attempt);
		if (x->outcome->retry_after_ms > wait)
			wait = x->outcome->retry_after_ms;
		st = store_prepare(c, SQL_RETRY);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, x->j->id);
		store_bind_int(st, 2, now + wait);
		store_bind_text(st, 3, x->outcome->error);
		store_bind_int(st, 4, now);
		store_bind_int(st, 5, x->j->attempt);
	}
	ct_err err = store_run(st);
	x->lost = !err && store_changes(c) == 0;
	if (x->lost)
		x->failed = 0;
	else if (!err && x->kind && x->kind->record)
		err = x->kind->record(c, x->j, x->result, x->outcome, x->failed);
	return err;
}

static void free_job(job *j)
{
	free(j->kind);
	free(j->payload);
	free(j->idempotency_key);
	memset(j, 0, sizeof(*j));
}

/* When the earliest queued job is due (ms since the epoch), -1 when none;
 * read without taking the write lock, so an idle worker costs no writes. */
static int64_t earliest_due(app *a)
{
	store_conn *c = store_reader_acquire(a->store);
	store_stmt *st = store_prepare(c, SQL_EARLIEST);
	int64_t due = -1;
	if (st)
		store_one_int(st, &due);
	store_reader_release(a->store, c);
	return due;
}

/* Run one due job if there is one; 1 when a job ran. */
static int run_one(jobs_worker *w)
{
	app *a = w->app;
	int64_t due = earliest_due(a);
	if (due < 0 || due > time_now_ms())
		return 0;
	claim_ctx claim = {.next_due_sql = w->next_due_sql,
			   .lease_ms = a->cfg.jobs_timeout_s * 1000 + LEASE_MARGIN_MS};
	if (store_write(a->store, claim_next, &claim) != CT_OK || !claim.found) {
		if (claim.found)
			free_job(&claim.j);
		return 0;
	}
	job_outcome outcome = {0};
	const job_kind *kind = job_kind_find(claim.j.kind);
	ct_err result = CT_ERR_INVALID;
	if (kind) {
		result = kind->run(a, &claim.j, &outcome);
	} else {
		snprintf(outcome.error, sizeof(outcome.error), "unknown job kind");
		outcome.permanent = 1;
	}
	finish_ctx fin = {a, kind, &claim.j, result, &outcome, 0, 0};
	ct_err err = store_write(a->store, finish_job, &fin);
	if (err)
		log_error("jobs.record_failed", LOG_I("job", claim.j.id));
	log_info("jobs.ran", LOG_I("job", claim.j.id), LOG_S("kind", claim.j.kind),
		 LOG_I("attempt", claim.j.attempt),
		 LOG_S("result", fin.lost          ? "lost_lease"
				 : result == CT_OK ? "done"
				 : fin.failed      ? "failed"
						   : "retry"),
		 LOG_S("error", result == CT_OK ? "" : outcome.error));
	if (!err && kind && kind->announce && !fin.lost)
		kind->announce(a, &claim.j, result, fin.failed);
	free_job(&claim.j);
	return 1;
}

typedef struct daily_ctx {
	const job_kind **kinds;
	int n;
	int64_t day;
} daily_ctx;

/* Queue today's daily jobs. The key names the day, so a restart or a second
 * node queuing the same day is refused by the unique key. */
static ct_err queue_daily(store_conn *c, void *arg)
{
	daily_ctx *x = arg;
	for (int i = 0; i < x->n; i++) {
		char key[96];
		snprintf(key, sizeof(key), "%s-day-%lld", x->kinds[i]->name, (long long)x->day);
		ct_err err = jobs_enqueue(c, x->kinds[i]->name, "{}", key, 3, time_now_ms());
		if (err && err != CT_ERR_CONFLICT)
			return err;
	}
	return CT_OK;
}

static void schedule_daily(jobs_worker *w)
{
	int64_t day = time_now_ms() / 86400000;
	if (!leader_hold(w->scheduler) || day == w->scheduled_day)
		return;
	const job_kind *kinds[8];
	daily_ctx x = {kinds, jobs_daily_kinds(kinds, 8), day};
	if (x.n)
		store_write(w->app->store, queue_daily, &x);
	w->scheduled_day = day;
}

/* Periodic work (registered with jobs_register_tick), on the scheduler node. */
typedef struct tick {
	void (*fn)(app *a);
	int64_t every_ms;
} tick;

#define MAX_TICKS 8
static tick ticks[MAX_TICKS];
static int n_ticks;

void jobs_register_tick(void (*fn)(app *a), int64_t every_ms)
{
	if (n_ticks < MAX_TICKS)
		ticks[n_ticks++] = (tick){fn, every_ms};
}

/* Run the ticks that are due (w->ticked[i]: when tick i last ran). */
static void run_ticks(jobs_worker *w)
{
	int64_t now = time_mono_ms();
	for (int i = 0; i < n_ticks; i++) {
		if (now - w->ticked[i] < ticks[i].every_ms || !leader_hold(w->scheduler))
			continue;
		w->ticked[i] = now;
		ticks[i].fn(w->app);
	}
}

static void *worker_main(void *arg)
{
	jobs_worker *w = arg;
	for (;;) {
		schedule_daily(w);
		run_ticks(w);
		pthread_mutex_lock(&w->lock);
		int stop = w->stopping;
		w->woken = 0;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			return NULL;
		if (run_one(w))
			continue;
		/* Sleep until woken, or until the next job is due, at most IDLE_POLL_MS
		 * (jobs queued by another process, e.g. a CLI command, wake nobody). */
		int64_t due = earliest_due(w->app), wait = IDLE_POLL_MS;
		if (due >= 0 && due - time_now_ms() < wait)
			wait = due - time_now_ms() > 0 ? due - time_now_ms() : 0;
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += wait / 1000;
		until.tv_nsec += (long)(wait % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L)
			until.tv_sec++, until.tv_nsec -= 1000000000L;
		pthread_mutex_lock(&w->lock);
		while (!w->stopping && !w->woken)
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until) != 0)
				break;
		pthread_mutex_unlock(&w->lock);
	}
}

jobs_worker *jobs_start(app *a)
{
	jobs_worker *w = xcalloc(1, sizeof(*w));
	w->app = a;
	w->scheduler = leader_new(a->store, SCHEDULER_LEASE, SCHEDULER_TTL_MS);
	store_conn *c = store_reader_acquire(a->store);
	snprintf(w->next_due_sql, sizeof(w->next_due_sql), "%s%s", SQL_NEXT_DUE,
		 store_lock_clause(c));
	store_reader_release(a->store, c);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		leader_free(w->scheduler);
		free(w);
		return NULL;
	}
	return w;
}

void jobs_wake(jobs_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->woken = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void jobs_stop(jobs_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	leader_free(w->scheduler); /* gives the lease up for another node */
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}

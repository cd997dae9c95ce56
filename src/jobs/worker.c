/*
 * worker.c: the threads that run due jobs (see jobs.h), one per lane.
 *
 * Each kind of job belongs to a lane (kinds.h). The default lane runs the
 * deliveries (replies, shares and hides, mails) and every other kind; the
 * poll lane runs the kinds that wait on remote servers for new input (a
 * channel's poll, which a slow IMAP or Mastodon server may hold for up to
 * jobs.timeout_s). Each lane has its own thread and claims only its own
 * kinds, so a hanging poll never delays a reply. A lane's kind filter is
 * built once at start from the kinds registered then, with the kind names as
 * bound parameters: "kind IN (...)" for the poll lane, "kind NOT IN (...)"
 * (the other lanes' kinds) for the default lane, so a job of an unknown kind
 * is still claimed, and failed, by the default lane. A lane without kinds
 * gets no thread. The filter is a residual condition: the queries still
 * search the index jobs_due (state, run_at).
 *
 * A lane's loop: claim the oldest due job of its kinds (state queued ->
 * running, attempts + 1) in one write; run it outside any transaction;
 * record the outcome in another write. Between jobs the thread sleeps until
 * woken or until the next job of its kinds is due (at most a second, so jobs
 * queued by another process are seen too).
 *
 * Several nodes may work one queue (PostgreSQL): the claim skips rows that
 * another node has locked (FOR UPDATE SKIP LOCKED), so each job is claimed
 * once. A claim is a lease until locked_until; a job whose worker died (a
 * crash, a killed node) is claimed again once its lease has expired, by any
 * node, and may then run twice, which its idempotency key makes harmless. An
 * outcome is recorded only by the claim that holds the job (its attempt).
 *
 * Scheduled work (the daily jobs and the registered ticks) runs on the
 * default lane's thread only, and is done only by the node that holds the
 * lease "scheduler" (see leader.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"
#include "jobs/leader.h"

#define IDLE_POLL_MS 1000
#define LEASE_MARGIN_MS 10000
#define SCHEDULER_LEASE "scheduler"
#define SCHEDULER_TTL_MS 30000

/* Lanes by name, for the log (job_lane order). */
static const char *const LANE_NAMES[JOB_LANES] = {"default", "poll"};

/* One lane: its thread and the queries that see only its kinds. */
typedef struct lane {
	jobs_worker *w;
	job_lane id;
	const char *kinds[JOBS_MAX_KINDS]; /* the filter's names (static strings) */
	int n_kinds;
	char *earliest_sql; /* kinds bound from $1 */
	char *next_due_sql; /* now is $1, kinds bound from $2 */
	pthread_t thread;
	int started;         /* thread is running (joined by jobs_stop) */
	pthread_cond_t wake; /* signalled under w->lock */
	int woken;
} lane;

struct jobs_worker {
	app *app;
	int64_t scheduled_day; /* the last day daily jobs were queued for */
	leader *scheduler;     /* the lease for scheduled work */
	int64_t ticked[8];     /* when each periodic tick last ran (monotonic) */
	pthread_mutex_t lock;  /* guards stopping and each lane's woken */
	int stopping;
	lane lanes[JOB_LANES];
};

/* When the next job is due: a queued one's run_at, a running one's lease end.
 * The lane's kind filter is appended (see lane_build). */
static const char SQL_EARLIEST[] =
	"SELECT coalesce(min(CASE WHEN state = 'queued' THEN run_at ELSE locked_until END), -1)"
	" FROM jobs WHERE state IN ('queued', 'running')";
/* Due: queued and its time has come, or running under an expired lease.
 * Then the lane's kind filter, SQL_NEXT_DUE_ORDER and the backend's lock
 * clause (see store_lock_clause). */
static const char SQL_NEXT_DUE[] =
	"SELECT id, kind, payload, idempotency_key, attempts, max_attempts FROM jobs"
	" WHERE ((state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until < $1))";
static const char SQL_NEXT_DUE_ORDER[] = " ORDER BY run_at, id LIMIT 1";
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
	const lane *lane;
	int64_t lease_ms;
	job j;
	int found;
} claim_ctx;

static void free_job(job *j);

/* Bind l's kind names to st from parameter number first on. */
static void bind_kinds(store_stmt *st, const lane *l, int first)
{
	for (int i = 0; i < l->n_kinds; i++)
		store_bind_text(st, first + i, l->kinds[i]);
}

/* Claim the oldest due job of x->lane's kinds into x->j (x->found). */
static ct_err claim_next(store_conn *c, void *arg)
{
	claim_ctx *x = arg;
	int64_t now = time_now_ms();
	if (x->found) /* a write may run twice: forget the first run's claim */
		free_job(&x->j);
	x->found = 0;
	store_stmt *st = store_prepare(c, x->lane->next_due_sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, now);
	bind_kinds(st, x->lane, 2);
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

/* When the earliest queued job of l's kinds is due (ms since the epoch), -1
 * when none; read without taking the write lock, so an idle lane costs no
 * writes. */
static int64_t earliest_due(const lane *l)
{
	store *s = l->w->app->store;
	store_conn *c = store_reader_acquire(s);
	store_stmt *st = store_prepare(c, l->earliest_sql);
	int64_t due = -1;
	if (st) {
		bind_kinds(st, l, 1);
		store_one_int(st, &due);
	}
	store_reader_release(s, c);
	return due;
}

/* Run one due job of l's kinds if there is one; 1 when a job ran. */
static int run_one(lane *l)
{
	app *a = l->w->app;
	int64_t due = earliest_due(l);
	if (due < 0 || due > time_now_ms())
		return 0;
	claim_ctx claim = {.lane = l, .lease_ms = a->cfg.jobs_timeout_s * 1000 + LEASE_MARGIN_MS};
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
		 LOG_I("attempt", claim.j.attempt), LOG_S("lane", LANE_NAMES[l->id]),
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

/* Sleep until l is woken, or until its next job is due, at most IDLE_POLL_MS
 * (jobs queued by another process, e.g. a CLI command, wake nobody). */
static void lane_sleep(lane *l)
{
	jobs_worker *w = l->w;
	int64_t due = earliest_due(l), wait = IDLE_POLL_MS;
	if (due >= 0 && due - time_now_ms() < wait)
		wait = due - time_now_ms() > 0 ? due - time_now_ms() : 0;
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait / 1000;
	until.tv_nsec += (long)(wait % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping && !l->woken)
		if (pthread_cond_timedwait(&l->wake, &w->lock, &until) != 0)
			break;
	pthread_mutex_unlock(&w->lock);
}

/* A lane's thread: its jobs until jobs_stop; on the default lane also the
 * daily jobs and the ticks. */
static void *lane_main(void *arg)
{
	lane *l = arg;
	jobs_worker *w = l->w;
	for (;;) {
		if (l->id == JOB_LANE_DEFAULT) {
			schedule_daily(w);
			run_ticks(w);
		}
		pthread_mutex_lock(&w->lock);
		int stop = w->stopping;
		l->woken = 0;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			return NULL;
		if (!run_one(l))
			lane_sleep(l);
	}
}

/* Append " AND kind [NOT] IN ($first, ...)" for l's kinds to sql; nothing
 * when l has no kinds. Only placeholders: the names are bound. */
static void append_kind_filter(buf *sql, const lane *l, int first)
{
	if (!l->n_kinds)
		return;
	buf_printf(sql, " AND kind %sIN (", l->id == JOB_LANE_DEFAULT ? "NOT " : "");
	for (int i = 0; i < l->n_kinds; i++)
		buf_printf(sql, "%s$%d", i ? ", " : "", first + i);
	buf_puts(sql, ")");
}

/* Set up lane id of w: its kinds (for the default lane: the kinds of every
 * other lane, to leave out) and its queries (owned by the lane, freed by
 * lane_free). 0 when the lane has no kinds and so needs no thread (never
 * for the default lane). */
static int lane_build(jobs_worker *w, job_lane id, const char *lock_clause)
{
	lane *l = &w->lanes[id];
	l->w = w;
	l->id = id;
	const job_kind *kinds[JOBS_MAX_KINDS];
	int n = jobs_kinds(kinds, JOBS_MAX_KINDS);
	for (int i = 0; i < n; i++)
		if (id == JOB_LANE_DEFAULT ? kinds[i]->lane != id : kinds[i]->lane == id)
			l->kinds[l->n_kinds++] = kinds[i]->name;
	if (id != JOB_LANE_DEFAULT && !l->n_kinds)
		return 0;
	buf sql;
	buf_init(&sql, 0);
	buf_puts(&sql, SQL_EARLIEST);
	append_kind_filter(&sql, l, 1);
	l->earliest_sql = buf_detach(&sql, NULL);
	buf_puts(&sql, SQL_NEXT_DUE);
	append_kind_filter(&sql, l, 2);
	buf_printf(&sql, "%s%s", SQL_NEXT_DUE_ORDER, lock_clause);
	l->next_due_sql = buf_detach(&sql, NULL);
	buf_free(&sql);
	return 1;
}

/* Free what lane_build made for l. */
static void lane_free(lane *l)
{
	free(l->earliest_sql);
	free(l->next_due_sql);
}

/* Start l's thread; 0 when it runs. */
static int lane_start(lane *l)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&l->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&l->thread, NULL, lane_main, l) != 0) {
		pthread_cond_destroy(&l->wake);
		return -1;
	}
	l->started = 1;
	return 0;
}

/* Stop and join every started lane of w, then free w. */
static void worker_free(jobs_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	for (int i = 0; i < JOB_LANES; i++)
		if (w->lanes[i].started)
			pthread_cond_signal(&w->lanes[i].wake);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < JOB_LANES; i++) {
		lane *l = &w->lanes[i];
		if (l->started) {
			pthread_join(l->thread, NULL);
			pthread_cond_destroy(&l->wake);
		}
		lane_free(l);
	}
	leader_free(w->scheduler); /* gives the lease up for another node */
	pthread_mutex_destroy(&w->lock);
	free(w);
}

jobs_worker *jobs_start(app *a)
{
	jobs_worker *w = xcalloc(1, sizeof(*w));
	w->app = a;
	w->scheduler = leader_new(a->store, SCHEDULER_LEASE, SCHEDULER_TTL_MS);
	pthread_mutex_init(&w->lock, NULL);
	store_conn *c = store_reader_acquire(a->store);
	const char *lock_clause = store_lock_clause(c);
	store_reader_release(a->store, c);
	for (int i = 0; i < JOB_LANES; i++) {
		if (lane_build(w, (job_lane)i, lock_clause) && lane_start(&w->lanes[i]) != 0) {
			worker_free(w);
			return NULL;
		}
	}
	return w;
}

void jobs_wake(jobs_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < JOB_LANES; i++) {
		if (!w->lanes[i].started)
			continue;
		w->lanes[i].woken = 1;
		pthread_cond_signal(&w->lanes[i].wake);
	}
	pthread_mutex_unlock(&w->lock);
}

void jobs_stop(jobs_worker *w)
{
	if (w)
		worker_free(w);
}

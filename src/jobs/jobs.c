/*
 * jobs.c: queueing jobs and the backoff rule (see jobs.h).
 */
#include "jobs/jobs.h"

#include "core/crypto.h"
#include "core/timeutil.h"

/* A queued job: kind, payload, key, max_attempts, run_at, now. */
#define INSERT_QUEUED_JOB                                                                          \
	"INSERT INTO jobs (kind, payload, idempotency_key, state, attempts, max_attempts, run_at," \
	" created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6)"

static const char SQL_JOB_INSERT[] = INSERT_QUEUED_JOB " ON CONFLICT (idempotency_key) DO NOTHING";

/* Run sql, an INSERT of a queued job with the parameters below; how many
 * rows it wrote into *changed (when not NULL). */
static ct_err insert_job(store_conn *c, const char *sql, const char *kind, const char *payload_json,
			 const char *key, int max_attempts, int64_t run_at_ms, int64_t *changed)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, kind);
	store_bind_text(st, 2, payload_json);
	store_bind_text(st, 3, key);
	store_bind_int(st, 4, max_attempts > 0 ? max_attempts : 1);
	store_bind_int(st, 5, run_at_ms);
	store_bind_int(st, 6, time_now_ms());
	ct_err err = store_run(st);
	if (changed)
		*changed = err ? 0 : store_changes(c);
	return err;
}

ct_err jobs_enqueue(store_conn *c, const char *kind, const char *payload_json,
		    const char *idempotency_key, int max_attempts, int64_t run_at_ms)
{
	/* A statement that fails aborts a PostgreSQL transaction: a queued key is
	 * found by DO NOTHING instead, leaving the caller's write usable. */
	int64_t changed;
	ct_err err = insert_job(c, SQL_JOB_INSERT, kind, payload_json, idempotency_key,
				max_attempts, run_at_ms, &changed);
	return !err && changed == 0 ? CT_ERR_CONFLICT : err;
}

/* A recurring job keeps one row: queued again once done or failed. */
static const char SQL_JOB_SCHEDULE[] = INSERT_QUEUED_JOB
	" ON CONFLICT (idempotency_key) DO UPDATE SET state = 'queued', attempts = 0,"
	" payload = excluded.payload, run_at = excluded.run_at, last_error = NULL,"
	" updated_at = excluded.updated_at WHERE jobs.state IN ('done', 'failed')";
static const char SQL_JOB_HURRY[] =
	"UPDATE jobs SET run_at = $2 WHERE idempotency_key = $1 AND state = 'queued'"
	" AND run_at > $2";

ct_err jobs_schedule(store_conn *c, const char *kind, const char *payload_json, const char *key,
		     int max_attempts, int64_t run_at_ms)
{
	return insert_job(c, SQL_JOB_SCHEDULE, kind, payload_json, key, max_attempts, run_at_ms,
			  NULL);
}

ct_err jobs_hurry(store_conn *c, const char *key, int64_t run_at_ms)
{
	store_stmt *st = store_prepare(c, SQL_JOB_HURRY);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, key);
	store_bind_int(st, 2, run_at_ms);
	return store_run(st);
}

static const char SQL_JOB_REQUEUE[] =
	"UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, last_error = NULL,"
	" updated_at = $2 WHERE idempotency_key = $1 AND state = 'failed'";

ct_err jobs_requeue_failed(store_conn *c, const char *key)
{
	store_stmt *st = store_prepare(c, SQL_JOB_REQUEUE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, key);
	store_bind_int(st, 2, time_now_ms());
	ct_err err = store_run(st);
	if (!err && store_changes(c) == 0)
		err = CT_ERR_CONFLICT;
	return err;
}

int64_t jobs_backoff_ms(const config *cfg, int attempt)
{
	int64_t wait = cfg->jobs_backoff_base_ms;
	for (int i = 1; i < attempt && wait < cfg->jobs_backoff_max_ms; i++)
		wait *= 2;
	if (wait > cfg->jobs_backoff_max_ms)
		wait = cfg->jobs_backoff_max_ms;
	/* Up to 10 % jitter, so many failed jobs do not retry in lockstep. */
	int64_t jitter = wait / 10;
	if (jitter > 0)
		wait += (int64_t)(crypto_random_u64() % (uint64_t)jitter);
	return wait;
}

/*
 * jobs.c: queueing jobs and the backoff rule (see jobs.h).
 */
#include "jobs/jobs.h"

#include "core/crypto.h"
#include "core/timeutil.h"

static const char SQL_JOB_INSERT[] =
	"INSERT INTO jobs (kind, payload, idempotency_key, state, attempts, max_attempts, run_at,"
	" created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6)"
	" ON CONFLICT (idempotency_key) DO NOTHING";

ct_err jobs_enqueue(store_conn *c, const char *kind, const char *payload_json,
		    const char *idempotency_key, int max_attempts, int64_t run_at_ms)
{
	store_stmt *st = store_prepare(c, SQL_JOB_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, kind);
	store_bind_text(st, 2, payload_json);
	store_bind_text(st, 3, idempotency_key);
	store_bind_int(st, 4, max_attempts > 0 ? max_attempts : 1);
	store_bind_int(st, 5, run_at_ms);
	store_bind_int(st, 6, time_now_ms());
	/* A statement that fails aborts a PostgreSQL transaction: a queued key is
	 * found by DO NOTHING instead, leaving the caller's write usable. */
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

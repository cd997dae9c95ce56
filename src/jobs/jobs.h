/*
 * jobs.h: the durable outbox.
 *
 * Every side effect outside the process (deliver a reply, later publish a
 * post, send a mail) is first a row in the jobs table, written in the same
 * transaction as the change that caused it. Worker threads claim due jobs,
 * run them, and record the outcome: done, or another attempt after an
 * exponential backoff, or failed after the last attempt. There is one
 * thread per lane (see kinds.h): a channel's poll, which may wait on a slow
 * server, runs beside the deliveries and never holds them up. Delivery is
 * at-least-once; each job carries an idempotency key that the receiver uses
 * to drop repeats, so the effect happens once.
 */
#ifndef CT_JOBS_H
#define CT_JOBS_H

#include <stdint.h>

#include "app.h"
#include "core/err.h"
#include "store/store.h"

/* Job kinds. */
#define JOB_DELIVER_REPLY "deliver_reply"
#define JOB_SEND_MAIL "send_mail"

/* Queue a job inside the caller's write (c is the writer connection).
 * CT_ERR_CONFLICT (and nothing changed) when the key is queued already. */
ct_err jobs_enqueue(store_conn *c, const char *kind, const char *payload_json,
		    const char *idempotency_key, int max_attempts, int64_t run_at_ms);

/* A recurring job (a channel's poll): queue the job with key inside the
 * caller's write unless it is queued or running already; a done or failed
 * row of that key is queued again (one row per key, never more). */
ct_err jobs_schedule(store_conn *c, const char *kind, const char *payload_json, const char *key,
		     int max_attempts, int64_t run_at_ms);

/* Queue the failed job with key again with fresh attempts, due now (a
 * person asked for another try). CT_ERR_CONFLICT when it has not failed. */
ct_err jobs_requeue_failed(store_conn *c, const char *key);

/* Bring the queued job with key forward to run_at_ms when it is due later. */
ct_err jobs_hurry(store_conn *c, const char *key, int64_t run_at_ms);

/* Queue an e-mail inside the caller's write; its content is sealed with key. */
ct_err jobs_enqueue_mail(store_conn *c, const seal_key *key, const char *idempotency_key,
			 const char *to, const char *subject, const char *text, int max_attempts);

/* Run fn(app) about every every_ms on the node that holds the scheduler
 * lease, from the default lane's thread (register before jobs_start). */
void jobs_register_tick(void (*fn)(app *a), int64_t every_ms);

/* Start the worker for a: one thread per lane that has kinds, each
 * claiming only the kinds registered for its lane by now (register every
 * kind first). NULL when it cannot start; free with jobs_stop. */
jobs_worker *jobs_start(app *a);

/* Tell every lane that a job may be due now (after a commit). */
void jobs_wake(jobs_worker *w);

/* Stop the worker and join its threads: each lane's running job finishes. A
 * job claimed by a worker that died is claimed again when its lease
 * (jobs.timeout_s + 10 s) has expired, by any node. */
void jobs_stop(jobs_worker *w);

/* Wait before attempt number `attempt` (1 = the retry after the first failure). */
int64_t jobs_backoff_ms(const config *cfg, int attempt);

#endif

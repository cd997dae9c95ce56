/*
 * kinds.h: what each kind of job does (internal to jobs/).
 *
 * A kind runs its job outside any transaction (run), records its side of the
 * outcome inside the write that marks the job done, retried or failed
 * (record), and tells the live views after that commit (announce).
 */
#ifndef CT_JOBS_KINDS_H
#define CT_JOBS_KINDS_H

#include "app.h"
#include "channels/channel.h"
#include "store/store.h"

typedef struct job {
	int64_t id;
	char *kind;
	char *payload; /* JSON text */
	char *idempotency_key;
	int attempt; /* 1 for the first run */
	int max_attempts;
} job;

typedef channel_outcome job_outcome;

/* Which worker thread runs a kind (see worker.c): a job waits only behind
 * jobs of its own lane, so a poll that hangs on a slow server never holds
 * up a reply. */
typedef enum job_lane {
	JOB_LANE_DEFAULT = 0, /* deliveries, mails and everything else */
	JOB_LANE_POLL,        /* kinds that wait on remote servers for new input */
	JOB_LANES
} job_lane;

typedef struct job_kind {
	const char *name;
	int daily; /* the worker queues one such job each day (payload "{}") */
	ct_err (*run)(app *a, const job *j, job_outcome *out);
	/* NULL when the job row itself is the whole record. */
	ct_err (*record)(store_conn *c, const job *j, ct_err result, const job_outcome *out,
			 int failed);
	/* NULL when no live view cares. */
	void (*announce)(app *a, const job *j, ct_err result, int failed);
	job_lane lane; /* JOB_LANE_DEFAULT unless set */
} job_kind;

/* The integer member name of j's JSON payload (0 when absent). */
int64_t job_payload_int(const job *j, const char *name);

/* The kind with this name, or NULL. */
const job_kind *job_kind_find(const char *name);

/* Add a kind from a module above jobs/ (before jobs_start). */
void jobs_register_kind(const job_kind *kind);

/* The kinds that run daily, into out (at most max); returns how many. */
int jobs_daily_kinds(const job_kind **out, int max);

/* At most this many kinds are registered. */
#define JOBS_MAX_KINDS 32

/* Every registered kind, into out (at most max); returns how many. The
 * kinds are static and never freed. */
int jobs_kinds(const job_kind **out, int max);

extern const job_kind job_send_mail;

#endif

/*
 * test_jobs_lanes.c: unit tests for the job worker's lanes
 * (src/jobs/worker.c), on a temporary SQLite file or, with
 * CLUETRAIN_TEST_PG, a fresh PostgreSQL database. A kind of the poll lane
 * that hangs until the test releases it does not hold up a kind of the
 * default lane, which runs on another thread; the default lane leaves a
 * second job of the poll kind queued (its filter leaves the poll lane's
 * kinds out) and fails a job of an unknown kind; once released, the poll
 * lane runs both of its jobs.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "app.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/timeutil.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"
#include "store/store.h"
#include "store_fixture.h"

#define WAIT_MS 10000

/* What the test kinds saw, under lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int polls_started, polls_released, quick_runs;
static pthread_t poll_thread, quick_thread;

/* The poll lane's kind: hangs until polls_released. */
static ct_err hang_run(app *a, const job *j, job_outcome *out)
{
	(void)a, (void)j, (void)out;
	pthread_mutex_lock(&lock);
	polls_started++;
	poll_thread = pthread_self();
	pthread_cond_broadcast(&changed);
	while (!polls_released)
		pthread_cond_wait(&changed, &lock);
	pthread_mutex_unlock(&lock);
	return CT_OK;
}

/* The default lane's kind: counts its runs. */
static ct_err quick_run(app *a, const job *j, job_outcome *out)
{
	(void)a, (void)j, (void)out;
	pthread_mutex_lock(&lock);
	quick_runs++;
	quick_thread = pthread_self();
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	return CT_OK;
}

static const job_kind hang_kind = {.name = "test_hang", .run = hang_run, .lane = JOB_LANE_POLL};
static const job_kind quick_kind = {.name = "test_quick", .run = quick_run};

/* Wait until *counter (guarded by lock) reaches want; 1 when it did. */
static int wait_count(const int *counter, int want)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&lock);
	while (*counter < want)
		if (pthread_cond_timedwait(&changed, &lock, &until) != 0)
			break;
	int ok = *counter >= want;
	pthread_mutex_unlock(&lock);
	return ok;
}

/* The state of the job with key, into out (size bytes); "" when none. */
static void job_state(store *s, const char *key, char *out, size_t size)
{
	store_conn *c = store_reader_acquire(s);
	store_stmt *st = store_prepare(c, "SELECT state FROM jobs WHERE idempotency_key = $1");
	out[0] = '\0';
	if (st) {
		store_bind_text(st, 1, key);
		if (store_step(st) == STORE_ROW)
			snprintf(out, size, "%s", store_col_text(st, 0));
		store_reset(st);
	}
	store_reader_release(s, c);
}

/* Wait until the job with key is in state want; 1 when it is. */
static int wait_state(store *s, const char *key, const char *want)
{
	char state[16];
	int64_t give_up = time_mono_ms() + WAIT_MS;
	for (;;) {
		job_state(s, key, state, sizeof(state));
		if (strcmp(state, want) == 0)
			return 1;
		if (time_mono_ms() > give_up)
			return 0;
		struct timespec pause = {0, 10 * 1000000L};
		nanosleep(&pause, NULL);
	}
}

typedef struct enqueue_ctx {
	const char *kind, *key;
} enqueue_ctx;

static ct_err enqueue(store_conn *c, void *arg)
{
	const enqueue_ctx *x = arg;
	return jobs_enqueue(c, x->kind, "{}", x->key, 1, time_now_ms());
}

static void queue(store *s, const char *kind, const char *key)
{
	enqueue_ctx x = {kind, key};
	assert_int_equal(store_write(s, enqueue, &x), CT_OK);
}

static void test_poll_lane_does_not_hold_up_the_default_lane(void **state)
{
	(void)state;
	fixture *f = store_fixture_open("lanes");
	assert_non_null(f);
	app a = {0};
	config_defaults(&a.cfg, "/tmp");
	a.store = f->s;
	jobs_register_kind(&hang_kind);
	jobs_register_kind(&quick_kind);
	queue(f->s, "test_hang", "hang-1");
	queue(f->s, "test_hang", "hang-2");

	jobs_worker *w = jobs_start(&a);
	assert_non_null(w);
	assert_true(wait_count(&polls_started, 1));
	queue(f->s, "test_quick", "quick-1");
	queue(f->s, "no_such_kind", "unknown-1");
	jobs_wake(w);
	assert_true(wait_count(&quick_runs, 1));
	assert_true(wait_state(f->s, "unknown-1", "failed"));
	assert_true(wait_state(f->s, "quick-1", "done"));

	pthread_mutex_lock(&lock);
	assert_int_equal(polls_started, 1); /* still hanging in the first */
	assert_false(pthread_equal(poll_thread, quick_thread));
	pthread_mutex_unlock(&lock);
	char st[16];
	job_state(f->s, "hang-1", st, sizeof(st));
	assert_string_equal(st, "running");
	job_state(f->s, "hang-2", st, sizeof(st));
	assert_string_equal(st, "queued"); /* the default lane left it */

	pthread_mutex_lock(&lock);
	polls_released = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	assert_true(wait_state(f->s, "hang-1", "done"));
	assert_true(wait_state(f->s, "hang-2", "done"));
	assert_int_equal(polls_started, 2);
	jobs_stop(w);
	config_free(&a.cfg);
	store_fixture_close(f);
}

#define TEST(fn) cmocka_unit_test(fn)

int main(void)
{
	store_fixture_init();
	const struct CMUnitTest tests[] = {
		TEST(test_poll_lane_does_not_hold_up_the_default_lane),
	};
	return cmocka_run_group_tests_name(
		pg_admin ? "jobs lanes (postgres)" : "jobs lanes (sqlite)", tests, NULL, NULL);
}

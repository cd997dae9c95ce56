/*
 * test_events.c: unit tests for the live event hub (src/core/events.c):
 * rising sequence numbers (also across a restart), resuming from the oldest
 * event after the ring overflowed, waiting with a timeout, a publish from another thread waking a
 * waiter, and events_close waking every waiter.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/events.h"
#include "core/timeutil.h"

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void test_sequence(void **state)
{
	(void)state;
	events_hub *h = events_new();
	uint64_t base = events_last_seq(h);
	/* ids start at the start time in microseconds */
	assert_true(base >= (uint64_t)(time_now_ms() - 60000) * 1000);
	events_publish(h, "message.received", "{\"id\":1}");
	events_publish(h, "conversation.updated", "{\"id\":2}");
	events_publish(h, "reply.sent", "{\"id\":3}");
	assert_true(events_last_seq(h) == base + 3);

	event e = {0};
	assert_int_equal(events_next(h, 0, 0, &e), 1); /* 0: from the first event held */
	assert_true(e.seq == base + 1);
	assert_string_equal(e.type, "message.received");
	assert_string_equal(e.data, "{\"id\":1}");
	events_clear(&e);
	assert_null(e.type);

	/* each call returns the event right after `after` */
	for (uint64_t k = 0; k < 3; k++) {
		assert_int_equal(events_next(h, base + k, 0, &e), 1);
		assert_true(e.seq == base + k + 1);
		events_clear(&e);
	}
	assert_int_equal(events_next(h, base + 2, 0, &e), 1);
	assert_string_equal(e.type, "reply.sent");
	events_clear(&e);
	/* nothing newer than the last: a zero timeout returns at once */
	assert_int_equal(events_next(h, base + 3, 0, &e), 0);
	events_free(h);
}

static void test_ids_rise_across_restarts(void **state)
{
	(void)state;
	events_hub *h = events_new();
	for (int i = 0; i < 5; i++)
		events_publish(h, "t", "{}");
	uint64_t last = events_last_seq(h);
	events_free(h);
	sleep_ms(3);
	h = events_new(); /* a restarted server */
	assert_true(events_last_seq(h) > last);
	events_publish(h, "after.restart", "{}");
	/* a client resuming with an id from before the restart gets the new event */
	event e = {0};
	assert_int_equal(events_next(h, last, 0, &e), 1);
	assert_string_equal(e.type, "after.restart");
	assert_true(e.seq > last);
	events_clear(&e);
	events_free(h);
}

static void test_copies_are_independent(void **state)
{
	(void)state;
	events_hub *h = events_new();
	char type[16] = "a.b", data[16] = "{}";
	events_publish(h, type, data);
	snprintf(type, sizeof(type), "changed"); /* the hub copied the strings */
	snprintf(data, sizeof(data), "[1]");
	event e = {0};
	assert_int_equal(events_next(h, 0, 0, &e), 1);
	assert_string_equal(e.type, "a.b");
	assert_string_equal(e.data, "{}");
	events_free(h); /* the caller's copy outlives the hub */
	assert_string_equal(e.type, "a.b");
	events_clear(&e);
}

static void test_ring_overflow_resumes_from_oldest(void **state)
{
	(void)state;
	events_hub *h = events_new();
	uint64_t base = events_last_seq(h);
	const int extra = 10;
	char data[32];
	for (int i = 1; i <= EVENTS_RING + extra; i++) {
		snprintf(data, sizeof(data), "{\"n\":%d}", i);
		events_publish(h, "t", data);
	}
	assert_true(events_last_seq(h) == base + EVENTS_RING + extra);
	event e = {0};
	/* a client that saw nothing, or whose event fell out of the ring, gets the oldest */
	snprintf(data, sizeof(data), "{\"n\":%d}", extra + 1);
	assert_int_equal(events_next(h, 0, 0, &e), 1);
	assert_true(e.seq == base + extra + 1);
	assert_string_equal(e.data, data);
	events_clear(&e);
	for (uint64_t k = 0; k <= (uint64_t)extra; k++) {
		assert_int_equal(events_next(h, base + k, 0, &e), 1);
		assert_true(e.seq == base + extra + 1);
		assert_string_equal(e.data, data);
		events_clear(&e);
	}
	/* one still in the ring resumes right after it */
	assert_int_equal(events_next(h, base + 4000, 0, &e), 1);
	assert_true(e.seq == base + 4001);
	assert_string_equal(e.data, "{\"n\":4001}");
	events_clear(&e);
	assert_int_equal(events_next(h, base + EVENTS_RING + extra - 1, 0, &e), 1);
	assert_true(e.seq == base + EVENTS_RING + extra);
	events_clear(&e);
	events_free(h);
}

static void test_timeout(void **state)
{
	(void)state;
	events_hub *h = events_new();
	events_publish(h, "t", "{}");
	uint64_t last = events_last_seq(h);
	event e = {0};
	int64_t t0 = time_mono_ms();
	assert_int_equal(events_next(h, last, 150, &e), 0);
	int64_t waited = time_mono_ms() - t0;
	assert_true(waited >= 140);
	assert_true(waited < 5000);
	assert_null(e.type);
	/* a timeout whose nanoseconds carry into the next second */
	t0 = time_mono_ms();
	assert_int_equal(events_next(h, last, 1999, &e), 0);
	waited = time_mono_ms() - t0;
	assert_true(waited >= 1990 && waited < 6000);
	events_free(h);
}

typedef struct waiter {
	events_hub *h;
	uint64_t after;
	int timeout_ms;
	int rc;
	int64_t waited_ms;
	event e;
} waiter;

static void *wait_thread(void *arg)
{
	waiter *w = arg;
	int64_t t0 = time_mono_ms();
	w->rc = events_next(w->h, w->after, w->timeout_ms, &w->e);
	w->waited_ms = time_mono_ms() - t0;
	return NULL;
}

static void test_publish_wakes_waiter(void **state)
{
	(void)state;
	events_hub *h = events_new();
	uint64_t base = events_last_seq(h);
	waiter w = {.h = h, .after = base, .timeout_ms = 10000};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	sleep_ms(50);
	events_publish(h, "message.received", "{\"id\":7}");
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 1);
	assert_true(w.e.seq == base + 1);
	assert_string_equal(w.e.data, "{\"id\":7}");
	assert_true(w.waited_ms < 5000); /* woken, not timed out */
	events_clear(&w.e);
	events_free(h);
}

static void test_close_wakes_waiters(void **state)
{
	(void)state;
	events_hub *h = events_new();
	events_publish(h, "t", "{}");
	uint64_t last = events_last_seq(h);
	enum { N = 3 };
	waiter w[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		w[i] = (waiter){.h = h, .after = last, .timeout_ms = 20000};
		assert_int_equal(pthread_create(&t[i], NULL, wait_thread, &w[i]), 0);
	}
	sleep_ms(100);
	events_close(h);
	for (int i = 0; i < N; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].rc, -1);
		assert_true(w[i].waited_ms < 5000);
		assert_null(w[i].e.type);
	}
	/* after close every wait returns -1 at once, even with an event pending */
	event e = {0};
	int64_t t0 = time_mono_ms();
	assert_int_equal(events_next(h, 0, 10000, &e), -1);
	assert_true(time_mono_ms() - t0 < 1000);
	events_free(h);
	events_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_ids_rise_across_restarts),
		cmocka_unit_test(test_copies_are_independent),
		cmocka_unit_test(test_ring_overflow_resumes_from_oldest),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_publish_wakes_waiter),
		cmocka_unit_test(test_close_wakes_waiters),
	};
	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}

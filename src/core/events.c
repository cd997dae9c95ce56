/*
 * events.c: the event ring and its waiters (see events.h).
 */
#include "core/events.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/buf.h"
#include "core/timeutil.h"

struct events_hub {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	event ring[EVENTS_RING]; /* event number k of this hub in ring[k % EVENTS_RING] */
	uint64_t count;          /* events kept so far */
	uint64_t last_seq;
	uint64_t base; /* last_seq at start: this process's events come after it */
	events_relay_fn relay;
	void *relay_ctx;
	int closed;
};

events_hub *events_new(void)
{
	events_hub *h = xcalloc(1, sizeof(*h));
	/* Ids continue across restarts: they start at the start time in
	 * microseconds, so a client resuming with an id from before a restart
	 * is behind the new ids, not ahead of them (up to 1,000 events per ms). */
	h->last_seq = h->base = (uint64_t)time_now_ms() * 1000;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&h->changed, &attr);
	pthread_condattr_destroy(&attr);
	return h;
}

void events_free(events_hub *h)
{
	if (!h)
		return;
	for (int i = 0; i < EVENTS_RING; i++)
		events_clear(&h->ring[i]);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->changed);
	free(h);
}

void events_clear(event *e)
{
	free(e->type);
	free(e->data);
	e->type = e->data = NULL;
}

/* Keep an event under seq; h->lock is held. Takes ownership of t and d. */
static void keep(events_hub *h, uint64_t seq, char *t, char *d)
{
	event *slot = &h->ring[h->count % EVENTS_RING];
	events_clear(slot);
	slot->seq = seq;
	slot->type = t;
	slot->data = d;
	h->count++;
	h->last_seq = seq;
	pthread_cond_broadcast(&h->changed);
}

void events_publish(events_hub *h, const char *type, const char *data)
{
	pthread_mutex_lock(&h->lock);
	events_relay_fn relay = h->relay;
	void *ctx = h->relay_ctx;
	if (!relay)
		keep(h, h->last_seq + 1, xstrdup(type), xstrdup(data));
	pthread_mutex_unlock(&h->lock);
	if (relay)
		relay(ctx, type, data);
}

void events_set_relay(events_hub *h, events_relay_fn relay, void *ctx, uint64_t last)
{
	pthread_mutex_lock(&h->lock);
	h->relay = relay;
	h->relay_ctx = ctx;
	for (int i = 0; i < EVENTS_RING; i++)
		events_clear(&h->ring[i]);
	h->count = 0;
	h->last_seq = h->base = last;
	pthread_mutex_unlock(&h->lock);
}

void events_append(events_hub *h, uint64_t seq, const char *type, const char *data)
{
	pthread_mutex_lock(&h->lock);
	if (seq > h->last_seq)
		keep(h, seq, xstrdup(type), xstrdup(data));
	pthread_mutex_unlock(&h->lock);
}

/* The ring position of the oldest event with a number above after; h->lock
 * is held and such an event exists. Numbers rise along the ring. */
static uint64_t first_after(const events_hub *h, uint64_t after)
{
	uint64_t lo = h->count > EVENTS_RING ? h->count - EVENTS_RING : 0, hi = h->count - 1;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (h->ring[mid % EVENTS_RING].seq > after)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

uint64_t events_last_seq(events_hub *h)
{
	pthread_mutex_lock(&h->lock);
	uint64_t seq = h->last_seq;
	pthread_mutex_unlock(&h->lock);
	return seq;
}

int events_next(events_hub *h, uint64_t after, int timeout_ms, event *out)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	int rc = 0;
	pthread_mutex_lock(&h->lock);
	if (after < h->base) /* an id from before this process: all of ours are new */
		after = h->base;
	while (!h->closed && h->last_seq <= after) {
		if (pthread_cond_timedwait(&h->changed, &h->lock, &deadline) == ETIMEDOUT)
			break;
	}
	if (h->closed) {
		rc = -1;
	} else if (h->last_seq > after) {
		/* When `after` fell out of the ring, this is the oldest event held. */
		const event *e = &h->ring[first_after(h, after) % EVENTS_RING];
		out->seq = e->seq;
		out->type = xstrdup(e->type);
		out->data = xstrdup(e->data);
		rc = 1;
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

void events_close(events_hub *h)
{
	pthread_mutex_lock(&h->lock);
	h->closed = 1;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
}

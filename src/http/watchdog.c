/*
 * watchdog.c: request deadlines (see watchdog.h).
 *
 * Connections live in one list under a mutex. The thread wakes every 250 ms
 * and shuts down (it does not close: the fd stays MHD's) every socket whose
 * deadline passed. A connection is removed under the same mutex before MHD
 * closes its fd, so the watchdog never touches a reused descriptor.
 */
#include "http/watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"

struct watched {
	int fd;
	int64_t deadline_ms; /* monotonic; 0 while busy */
	watched *prev, *next;
};

struct watchdog {
	int64_t timeout_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
	watched *head;
};

static void *watchdog_main(void *arg)
{
	watchdog *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L)
			until.tv_sec++, until.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
		int64_t now = time_mono_ms();
		for (watched *c = w->head; c; c = c->next)
			if (c->deadline_ms && now > c->deadline_ms) {
				shutdown(c->fd, SHUT_RDWR);
				c->deadline_ms = 0;
				log_info("http.request_timeout", LOG_I("fd", c->fd));
			}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

watchdog *watchdog_start(int64_t request_timeout_ms)
{
	watchdog *w = xcalloc(1, sizeof(*w));
	w->timeout_ms = request_timeout_ms;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, watchdog_main, w) != 0) {
		free(w);
		return NULL;
	}
	return w;
}

void watchdog_stop(watchdog *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	while (w->head) {
		watched *c = w->head;
		w->head = c->next;
		free(c);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}

watched *watchdog_add(watchdog *w, int fd)
{
	watched *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	pthread_mutex_lock(&w->lock);
	c->deadline_ms = time_mono_ms() + w->timeout_ms;
	c->next = w->head;
	if (w->head)
		w->head->prev = c;
	w->head = c;
	pthread_mutex_unlock(&w->lock);
	return c;
}

void watchdog_remove(watchdog *w, watched *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&w->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&w->lock);
	free(c);
}

void watchdog_busy(watchdog *w, watched *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&w->lock);
	c->deadline_ms = 0;
	pthread_mutex_unlock(&w->lock);
}

void watchdog_idle(watchdog *w, watched *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&w->lock);
	c->deadline_ms = time_mono_ms() + w->timeout_ms;
	pthread_mutex_unlock(&w->lock);
}

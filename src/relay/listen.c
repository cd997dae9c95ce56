/*
 * listen.c: listener threads for channels that can signal news (see
 * relay.h).
 *
 * A manager thread looks every few seconds for channels whose adapter has
 * wait() (IMAP IDLE) and starts one listener thread for each. A listener
 * opens its channel afresh each round (so a changed config applies), waits
 * in the adapter until the platform signals news or a minute has passed,
 * and on news brings the channel's queued poll forward and wakes the job
 * worker. The poll itself stays a job: the listener only says "now".
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "jobs/jobs.h"
#include "relay/relay.h"
#include "relay/relay_internal.h"

#define MAX_LISTENERS 64
#define LISTEN_ROUND_S 60
#define SCAN_EVERY_MS 5000
#define ERROR_PAUSE_MS 5000

static const char SQL_CHANNELS[] = "SELECT id, kind FROM channels ORDER BY id";

typedef struct listener {
	app *a;
	int64_t channel_id;
	pthread_t thread;
} listener;

static struct {
	app *a;
	pthread_t manager;
	int running;
	atomic_int stop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	listener threads[MAX_LISTENERS];
	int n;
} L = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* Sleep ms unless stopped first; 1 when stopping. */
static int pause_ms(int64_t ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&L.lock);
	while (!L.stop && pthread_cond_timedwait(&L.wake, &L.lock, &until) == 0)
		;
	int stop = L.stop;
	pthread_mutex_unlock(&L.lock);
	return stop;
}

static ct_err hurry_poll(store_conn *c, void *arg)
{
	return relay_poll_soon(c, *(int64_t *)arg);
}

/* One round: wait for news on the channel; 0 when the channel is gone. */
static int listen_round(listener *l)
{
	relay_channel ch;
	store_conn *c = store_reader_acquire(l->a->store);
	ct_err err = relay_channel_open(l->a, c, l->channel_id, &ch);
	store_reader_release(l->a->store, c);
	if (err == CT_ERR_NOT_FOUND || (!err && (!ch.adapter || !ch.adapter->wait))) {
		relay_channel_free(&ch);
		return 0;
	}
	if (!err)
		err = ch.adapter->wait(&ch.ctx, LISTEN_ROUND_S, &L.stop);
	relay_channel_free(&ch);
	if (L.stop)
		return 1;
	if (err) {
		pause_ms(ERROR_PAUSE_MS);
		return 1;
	}
	if (store_write(l->a->store, hurry_poll, &l->channel_id) == CT_OK && l->a->jobs)
		jobs_wake(l->a->jobs);
	return 1;
}

static void *listener_main(void *arg)
{
	listener *l = arg;
	while (!L.stop && listen_round(l))
		;
	return NULL;
}

static int has_listener(int64_t id)
{
	for (int i = 0; i < L.n; i++)
		if (L.threads[i].channel_id == id)
			return 1;
	return 0;
}

/* Start listeners for channels that can wait and have none yet. */
static void scan_channels(void)
{
	store_conn *c = store_reader_acquire(L.a->store);
	store_stmt *st = store_prepare(c, SQL_CHANNELS);
	while (st && store_step(st) == STORE_ROW && L.n < MAX_LISTENERS) {
		int64_t id = store_col_int(st, 0);
		const channel_kind *k = channel_find(store_col_text(st, 1));
		if (!k || !k->wait || has_listener(id))
			continue;
		listener *l = &L.threads[L.n];
		*l = (listener){.a = L.a, .channel_id = id};
		if (pthread_create(&l->thread, NULL, listener_main, l) == 0)
			L.n++;
		else
			log_error("relay.listener_failed", LOG_I("channel", id));
	}
	if (st)
		store_reset(st);
	store_reader_release(L.a->store, c);
}

static void *manager_main(void *arg)
{
	(void)arg;
	do
		scan_channels();
	while (!pause_ms(SCAN_EVERY_MS));
	return NULL;
}

void relay_listeners_start(app *a)
{
	L.a = a;
	L.stop = 0;
	L.n = 0;
	L.running = pthread_create(&L.manager, NULL, manager_main, NULL) == 0;
}

void relay_listeners_stop(void)
{
	if (!L.running)
		return;
	pthread_mutex_lock(&L.lock);
	L.stop = 1;
	pthread_cond_broadcast(&L.wake);
	pthread_mutex_unlock(&L.lock);
	pthread_join(L.manager, NULL);
	for (int i = 0; i < L.n; i++)
		pthread_join(L.threads[i].thread, NULL);
	L.running = 0;
	L.n = 0;
}

void relay_register(void)
{
	relay_poll_register();
	relay_action_register();
	relay_reply_register();
	relay_profile_register();
}

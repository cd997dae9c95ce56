/*
 * pg_events.c: live events and cache invalidation across the nodes on one
 * PostgreSQL database (see store_events_start in store.h).
 *
 * Two threads, each with a connection of its own:
 * - the relay sends the events this node publishes. It takes everything
 *   queued, and in one transaction takes an advisory lock, numbers each event
 *   from the sequence cluetrain_event_seq and NOTIFYs it. The lock is held
 *   until the commit, so the numbers rise in the order PostgreSQL delivers
 *   the notifications: every node sees the same events in the same order
 *   under the same numbers, and a browser may resume on any node.
 * - the listener LISTENs for events (all nodes' and its own) and hands them
 *   to the callback, and for PG_CHANNEL_CHANGED, which every write
 *   transaction notifies, to bump the store's generation so that answers
 *   cached from before another node's write are not served. After a lost
 *   connection it reconnects and bumps the generation (a notification may
 *   have been missed).
 * Events are live signals, not records: when the database is unreachable
 * they are dropped (and logged); the data they point to is in the database.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/pg.h"

/* The advisory lock that orders event numbers (an arbitrary key). */
#define EVENT_LOCK_KEY "1668052326"
#define QUEUE_MAX 65536
#define POLL_MS 500

typedef struct queued_event {
	char *type, *data;
	struct queued_event *next;
} queued_event;

struct store_events {
	store *owner;
	char *url;
	store_event_fn fn;
	void *ctx;
	pthread_t relay, listener;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	queued_event *head, *tail;
	int queued;
	int stopping;
	PGconn *listen_db;
};

static int stopping(store_events *e)
{
	pthread_mutex_lock(&e->lock);
	int stop = e->stopping;
	pthread_mutex_unlock(&e->lock);
	return stop;
}

static void free_events(queued_event *q)
{
	while (q) {
		queued_event *next = q->next;
		free(q->type);
		free(q->data);
		free(q);
		q = next;
	}
}

/* Number and notify a batch in one transaction under the ordering lock. */
static int send_batch(PGconn *db, const queued_event *batch)
{
	if (pg_exec_sql(db, "BEGIN") != CT_OK)
		return 0;
	int ok = pg_exec_sql(db, "SELECT pg_advisory_xact_lock(" EVENT_LOCK_KEY ")") == CT_OK;
	for (const queued_event *q = batch; ok && q; q = q->next) {
		const char *values[2] = {q->type, q->data};
		PGresult *res = PQexecParams(db,
					     "SELECT pg_notify('" PG_CHANNEL_EVENTS "',"
					     " nextval('cluetrain_event_seq')::text || ' ' || "
					     "$1::text || ' ' || $2::text)",
					     2, NULL, values, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!ok)
			log_error("events.notify_failed",
				  LOG_S("error", PQresultErrorMessage(res)));
		PQclear(res);
	}
	if (ok)
		return pg_exec_sql(db, "COMMIT") == CT_OK;
	pg_exec_sql(db, "ROLLBACK");
	return 0;
}

static void *relay_main(void *arg)
{
	store_events *e = arg;
	PGconn *db = NULL;
	for (;;) {
		pthread_mutex_lock(&e->lock);
		while (!e->head && !e->stopping)
			pthread_cond_wait(&e->wake, &e->lock);
		queued_event *batch = e->head;
		int n = e->queued;
		e->head = e->tail = NULL;
		e->queued = 0;
		int stop = e->stopping;
		pthread_mutex_unlock(&e->lock);
		if (batch) {
			if (!db || PQstatus(db) != CONNECTION_OK) {
				buf msg;
				buf_init(&msg, 512);
				PQfinish(db);
				db = pg_connect(e->url, &msg);
				if (!db)
					log_error("events.connect_failed",
						  LOG_S("error", buf_cstr(&msg)));
				buf_free(&msg);
			}
			if (!db || !send_batch(db, batch))
				log_error("events.dropped", LOG_I("events", n));
			free_events(batch);
		}
		if (stop)
			break;
	}
	PQfinish(db);
	return NULL;
}

void pg_events_send(store_events *e, const char *type, const char *data)
{
	queued_event *q = xcalloc(1, sizeof(*q));
	q->type = xstrdup(type);
	q->data = xstrdup(data);
	pthread_mutex_lock(&e->lock);
	if (e->queued >= QUEUE_MAX || e->stopping) {
		pthread_mutex_unlock(&e->lock);
		log_warn("events.queue_full", LOG_S("type", type));
		free_events(q);
		return;
	}
	if (e->tail)
		e->tail->next = q;
	else
		e->head = q;
	e->tail = q;
	e->queued++;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
}

/* Hand one "seq type data" payload to the callback. */
static void deliver(store_events *e, const char *payload)
{
	char *end = NULL;
	unsigned long long seq = strtoull(payload, &end, 10);
	if (!end || *end != ' ')
		return;
	const char *type = end + 1;
	const char *space = strchr(type, ' ');
	if (!space)
		return;
	char name[64];
	size_t len = (size_t)(space - type);
	if (len >= sizeof(name))
		return;
	memcpy(name, type, len);
	name[len] = '\0';
	e->fn(e->ctx, (uint64_t)seq, name, space + 1);
}

/* Connect and LISTEN on both channels; NULL (logged) when that fails. */
static PGconn *listen_connect(const char *url)
{
	buf msg;
	buf_init(&msg, 512);
	PGconn *db = pg_connect(url, &msg);
	if (!db)
		log_error("events.connect_failed", LOG_S("error", buf_cstr(&msg)));
	buf_free(&msg);
	if (db && (pg_exec_sql(db, "LISTEN " PG_CHANNEL_EVENTS) != CT_OK ||
		   pg_exec_sql(db, "LISTEN " PG_CHANNEL_CHANGED) != CT_OK)) {
		PQfinish(db);
		db = NULL;
	}
	return db;
}

static void *listener_main(void *arg)
{
	store_events *e = arg;
	PGconn *db = e->listen_db;
	while (!stopping(e)) {
		if (!db) {
			struct timespec pause = {1, 0};
			nanosleep(&pause, NULL);
			db = listen_connect(e->url);
			store_bump_generation(e->owner); /* notifications may have been missed */
			continue;
		}
		struct pollfd pfd = {.fd = PQsocket(db), .events = POLLIN};
		if (poll(&pfd, 1, POLL_MS) < 0 || !PQconsumeInput(db)) {
			log_warn("events.listen_lost", LOG_S("error", PQerrorMessage(db)));
			PQfinish(db);
			db = NULL;
			continue;
		}
		PGnotify *n;
		while ((n = PQnotifies(db)) != NULL) {
			if (strcmp(n->relname, PG_CHANNEL_EVENTS) == 0)
				deliver(e, n->extra);
			else
				store_bump_generation(e->owner);
			PQfreemem(n);
		}
	}
	PQfinish(db);
	return NULL;
}

/* The number of the newest event sent so far (0 when none). */
static uint64_t last_event_seq(PGconn *db)
{
	PGresult *res = PQexec(db, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
				   " FROM cluetrain_event_seq");
	uint64_t seq = 0;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		seq = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return seq;
}

store_events *pg_events_start(store *s, const char *url, store_event_fn fn, void *ctx,
			      uint64_t *last)
{
	PGconn *db = listen_connect(url);
	if (!db)
		return NULL;
	/* Listening before reading the number: no event falls between them. */
	*last = last_event_seq(db);
	store_events *e = xcalloc(1, sizeof(*e));
	e->owner = s;
	e->url = xstrdup(url);
	e->fn = fn;
	e->ctx = ctx;
	e->listen_db = db;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	pthread_create(&e->relay, NULL, relay_main, e);
	pthread_create(&e->listener, NULL, listener_main, e);
	return e;
}

void store_events_stop(store_events *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = 1;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->relay, NULL);
	pthread_join(e->listener, NULL);
	free_events(e->head);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->wake);
	free(e->url);
	free(e);
}

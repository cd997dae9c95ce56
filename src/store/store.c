/*
 * store.c: the backend-independent half of the store (see store.h).
 *
 * The writer thread: callers of store_write enqueue a request and wait on its
 * condition variable. The writer takes every request queued so far, opens one
 * transaction, runs each request's function, commits (the backend makes the
 * commit durable), and wakes the callers. Requests that arrive while a commit
 * is in progress form the next group, so under load many requests share one
 * fsync.
 *
 * Failures are rare (input is validated before it is queued), so a group runs
 * optimistically without savepoints, which cost SQLite and its full-text
 * index dearly. Only when a function fails is the transaction rolled back and
 * the group replayed with a savepoint around each function, so that the
 * failing one leaves nothing behind and the others still commit. A write
 * function may therefore run twice (or more): it must set its outputs afresh.
 *
 * With PostgreSQL, other nodes write to the same rows. A function that ran
 * into a unique key another node inserted meanwhile runs once more inside its
 * savepoint (now it finds the row). A group that lost a deadlock (or a
 * serialisation failure) to another node's transaction is not run again as a
 * group: each of its requests then runs in a transaction of its own, again
 * after a random pause while it keeps losing, up to MAX_ATTEMPTS times. Why:
 * a write takes its contended locks in one global order (ingest locks a
 * batch's customers first, sorted, see ingest/commit.c), so two transactions
 * of one request each, on any nodes, wait for each other in that order and
 * do not deadlock. A group of several requests takes the order once per
 * request, out of order as a whole: run again as a group, it would meet the
 * other node's group the same way again. A request that loses once more
 * (to another node's group, or over a conversation that customers share)
 * pauses for a random time, so that the nodes fall out of step.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/backend.h"
#include "store/fts_stem.h"
#include "store/pg.h"

/* Transactions tried for one request after its group lost a deadlock. */
#define MAX_ATTEMPTS 10
/* The pause before the next attempt is random, below BACKOFF_MS << attempt,
 * at most BACKOFF_CAP_MS. */
#define BACKOFF_MS 10
#define BACKOFF_CAP_MS 1000

typedef struct write_req {
	store_write_fn fn;
	void *ctx;
	ct_err result;
	int done;
	struct write_req *next;
} write_req;

struct store {
	const store_ops *ops;
	store_options opt; /* database is a copy, owned */
	store_conn *writer;
	store_events *events; /* PostgreSQL: the shared live events, or NULL */
	int schema_version;
	_Atomic uint64_t generation; /* bumped after each commit */

	pthread_t writer_thread;
	uint64_t jitter;         /* state of the writer's random pauses (xorshift) */
	pthread_mutex_t lock;    /* guards queue, stopping, done flags */
	pthread_cond_t queued;   /* the writer waits for work */
	pthread_cond_t finished; /* callers wait for their group */
	write_req *queue_head, *queue_tail;
	int stopping;

	pthread_mutex_t pool_lock;
	pthread_cond_t pool_free;
	store_conn *free_readers;
	store_conn **all_readers;
	int n_readers;
};

/* What resolves the writer's last failure (enum store_retry). Read it before
 * the next statement, which resets it. */
static int retry_kind(store *s)
{
	return s->ops->retryable ? s->ops->retryable(s->writer) : STORE_RETRY_NONE;
}

/* Run one request inside a savepoint; roll the savepoint back when it fails.
 * A function that ran into a row another node inserted meanwhile runs once
 * more: now it sees the row. Returns the kind of its failure (enum
 * store_retry): STORE_RETRY_TRANSACTION when it lost a deadlock, which only
 * another transaction resolves. */
static int run_in_savepoint(store *s, write_req *r)
{
	if (s->ops->exec(s->writer, "SAVEPOINT w") != CT_OK) {
		r->result = CT_ERR_STORE;
		return retry_kind(s);
	}
	int kind = STORE_RETRY_NONE;
	for (int again = 1;; again = 0) {
		r->result = r->fn(s->writer, r->ctx);
		if (r->result == CT_OK)
			break;
		kind = retry_kind(s);
		s->ops->exec(s->writer, "ROLLBACK TO w");
		if (!again || kind != STORE_RETRY_FUNCTION)
			break;
	}
	s->ops->exec(s->writer, "RELEASE w");
	return kind;
}

/* Run every function of the group without savepoints; 1 when all succeeded. */
static int run_optimistic(store *s, write_req *group)
{
	for (write_req *r = group; r; r = r->next) {
		r->result = r->fn(s->writer, r->ctx);
		if (r->result != CT_OK)
			return 0;
	}
	return 1;
}

/* Give up the transaction; the kind of the failure that ended it. */
static int roll_back(store *s)
{
	int kind = retry_kind(s);
	s->ops->exec(s->writer, "ROLLBACK");
	return kind;
}

/*
 * Run the group in one transaction: optimistically, then (when a function
 * failed and others share the group, or another node's row was in its way)
 * with a savepoint around each. CT_OK when committed; CT_ERR_NOT_FOUND when a
 * lone function failed (its result is the answer; nothing is left); another
 * error when the transaction failed, *retry set when it lost a deadlock (or a
 * serialisation failure) and running it again helps.
 */
static ct_err run_transaction(store *s, write_req *group, int *retry)
{
	*retry = 0;
	ct_err err = s->ops->exec(s->writer, s->ops->begin_write);
	if (err == CT_OK && !run_optimistic(s, group)) {
		int kind = roll_back(s);
		*retry = kind == STORE_RETRY_TRANSACTION;
		if (*retry)
			return CT_ERR_STORE;
		if (!group->next && kind != STORE_RETRY_FUNCTION)
			return CT_ERR_NOT_FOUND;
		err = s->ops->exec(s->writer, s->ops->begin_write);
		for (write_req *r = group; err == CT_OK && r; r = r->next)
			if (run_in_savepoint(s, r) == STORE_RETRY_TRANSACTION) {
				*retry = 1; /* it lost a deadlock: give up the group */
				err = CT_ERR_STORE;
			}
	}
	if (err == CT_OK && s->ops->before_commit)
		err = s->ops->exec(s->writer, s->ops->before_commit);
	if (err == CT_OK)
		err = s->ops->exec(s->writer, "COMMIT");
	if (err != CT_OK && roll_back(s) == STORE_RETRY_TRANSACTION)
		*retry = 1;
	return err;
}

/* A random pause of the writer before attempt (2, 3, ...) of a request that
 * lost a deadlock, so that the nodes involved do not meet again in step. */
static void back_off(store *s, int attempt)
{
	uint64_t x = s->jitter;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->jitter = x;
	int shift = attempt < 8 ? attempt : 8;
	uint64_t limit_ms = (uint64_t)BACKOFF_MS << shift;
	if (limit_ms > BACKOFF_CAP_MS)
		limit_ms = BACKOFF_CAP_MS;
	uint64_t us = x % (limit_ms * 1000) + 1;
	struct timespec ts = {.tv_sec = (time_t)(us / 1000000),
			      .tv_nsec = (long)(us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

/* The outcome of one committed transaction, or of one that failed for good:
 * every request in group gets CT_ERR_STORE then. */
static void settle(store *s, write_req *group, ct_err err)
{
	if (err == CT_OK) {
		atomic_fetch_add(&s->generation, 1);
	} else if (err != CT_ERR_NOT_FOUND) {
		log_error("store.commit_failed", LOG_S("backend", s->ops->name));
		for (write_req *r = group; r; r = r->next)
			r->result = CT_ERR_STORE;
	}
}

/* Run one request of a group that lost a deadlock in a transaction of its
 * own, again (after a random pause) while it keeps losing, at most
 * MAX_ATTEMPTS times. */
static void run_alone(store *s, write_req *r)
{
	write_req *next = r->next;
	r->next = NULL; /* a group of one; the caller's list is restored below */
	ct_err err;
	int retry = 0;
	for (int attempt = 1;; attempt++) {
		if (attempt > 1)
			back_off(s, attempt);
		err = run_transaction(s, r, &retry);
		if (err == CT_OK || err == CT_ERR_NOT_FOUND || !retry || attempt == MAX_ATTEMPTS)
			break;
		log_warn("store.retry", LOG_S("run", "alone"), LOG_I("attempt", attempt));
	}
	settle(s, r, err);
	r->next = next;
}

/* Run a whole group in one transaction and commit it; after a lost deadlock,
 * each request in a transaction of its own. Then wake the callers. */
static void run_group(store *s, write_req *group)
{
	int retry = 0;
	ct_err err = run_transaction(s, group, &retry);
	if (err != CT_OK && retry) {
		int n = 0;
		for (write_req *r = group; r; r = r->next)
			n++;
		log_warn("store.retry", LOG_S("run", "one request per transaction"),
			 LOG_I("requests", n));
		for (write_req *r = group; r; r = r->next)
			run_alone(s, r);
	} else {
		settle(s, group, err);
	}
	pthread_mutex_lock(&s->lock);
	for (write_req *r = group; r; r = r->next)
		r->done = 1;
	pthread_cond_broadcast(&s->finished);
	pthread_mutex_unlock(&s->lock);
}

static void *writer_main(void *arg)
{
	store *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		while (!s->queue_head && !s->stopping)
			pthread_cond_wait(&s->queued, &s->lock);
		write_req *group = s->queue_head;
		s->queue_head = s->queue_tail = NULL;
		int stop = s->stopping && !group;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			return NULL;
		run_group(s, group);
	}
}

ct_err store_write(store *s, store_write_fn fn, void *ctx)
{
	write_req r = {.fn = fn, .ctx = ctx};
	pthread_mutex_lock(&s->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->lock);
		return CT_ERR_UNAVAILABLE;
	}
	/* r lives on this stack until the writer marks it done and this thread
	 * stops waiting, so queuing its address is safe. */
	if (s->queue_tail)
		s->queue_tail->next = &r; // cppcheck-suppress autoVariables
	else
		s->queue_head = &r; // cppcheck-suppress autoVariables
	s->queue_tail = &r;         // cppcheck-suppress autoVariables
	pthread_cond_signal(&s->queued);
	while (!r.done)
		pthread_cond_wait(&s->finished, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return r.result;
}

static ct_err open_readers(store *s, const store_options *opt, buf *msg)
{
	s->n_readers = opt->readers > 0 ? opt->readers : 4;
	s->all_readers = xcalloc((size_t)s->n_readers, sizeof(store_conn *));
	for (int i = 0; i < s->n_readers; i++) {
		store_conn *c = s->ops->conn_open(s, opt, 0, msg);
		if (!c)
			return CT_ERR_STORE;
		s->all_readers[i] = c;
		c->next_free = s->free_readers;
		s->free_readers = c;
	}
	return CT_OK;
}

ct_err store_open(const store_options *opt, store **out, buf *msg)
{
	*out = NULL;
	store *s = xcalloc(1, sizeof(*s));
	s->ops = store_is_url(opt->database) ? &store_pg_ops : &store_sqlite_ops;
	s->opt = *opt;
	s->opt.database = xstrdup(opt->database);
	/* Seeded apart on every node (time, process), never 0 (xorshift). */
	s->jitter = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)s;
	s->jitter |= 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->queued, NULL);
	pthread_cond_init(&s->finished, NULL);
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_cond_init(&s->pool_free, NULL);
	ct_err err = CT_ERR_STORE;
	s->writer = s->ops->conn_open(s, opt, 1, msg);
	if (!s->writer)
		goto out;
	err = s->ops->migrate(s->writer, &s->schema_version, msg);
	if (err)
		goto out;
	err = open_readers(s, opt, msg);
	if (err)
		goto out;
	if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
		err = CT_ERR_INTERNAL;
		goto out;
	}
	*out = s;
	return CT_OK;
out:
	s->stopping = 1; /* no writer thread to join */
	for (int i = 0; i < s->n_readers; i++)
		if (s->all_readers[i])
			s->ops->conn_close(s->all_readers[i]);
	free(s->all_readers);
	if (s->writer)
		s->ops->conn_close(s->writer);
	free((char *)s->opt.database);
	free(s);
	return err;
}

void store_close(store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_signal(&s->queued);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->writer_thread, NULL);
	store_events_stop(s->events);
	for (int i = 0; i < s->n_readers; i++)
		s->ops->conn_close(s->all_readers[i]);
	free(s->all_readers);
	s->ops->conn_close(s->writer);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->queued);
	pthread_cond_destroy(&s->finished);
	pthread_mutex_destroy(&s->pool_lock);
	pthread_cond_destroy(&s->pool_free);
	free((char *)s->opt.database);
	free(s);
}

store_conn *store_reader_acquire(store *s)
{
	pthread_mutex_lock(&s->pool_lock);
	while (!s->free_readers)
		pthread_cond_wait(&s->pool_free, &s->pool_lock);
	store_conn *c = s->free_readers;
	s->free_readers = c->next_free;
	pthread_mutex_unlock(&s->pool_lock);
	return c;
}

void store_reader_release(store *s, store_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&s->pool_lock);
	c->next_free = s->free_readers;
	s->free_readers = c;
	pthread_cond_signal(&s->pool_free);
	pthread_mutex_unlock(&s->pool_lock);
}

int store_is_url(const char *database)
{
	return pg_is_url(database);
}

const char *store_backend_name(store *s)
{
	return s->ops->name;
}

int store_is_shared(store *s)
{
	return s->ops == &store_pg_ops;
}

const char *store_lock_clause(store_conn *c)
{
	return c->ops->lock_clause;
}

const char *store_row_lock_clause(store_conn *c)
{
	return c->ops->row_lock_clause;
}

void store_bump_generation(store *s)
{
	atomic_fetch_add(&s->generation, 1);
}

ct_err store_events_start(store *s, store_event_fn fn, void *ctx, uint64_t *last)
{
	if (!store_is_shared(s) || s->events)
		return CT_ERR_INVALID;
	s->events = pg_events_start(s, s->opt.database, fn, ctx, last);
	return s->events ? CT_OK : CT_ERR_STORE;
}

void store_event_send(store *s, const char *type, const char *data)
{
	if (s->events)
		pg_events_send(s->events, type, data);
}

uint64_t store_generation(store *s)
{
	return atomic_load(&s->generation);
}

int store_schema_version(store *s)
{
	return s->schema_version;
}

store_stmt *store_prepare(store_conn *c, const char *sql)
{
	return c->ops->prepare(c, sql);
}

void store_bind_int(store_stmt *st, int n, int64_t v)
{
	st->conn->ops->bind_int(st, n, v);
}

void store_bind_text(store_stmt *st, int n, const char *text)
{
	if (text)
		st->conn->ops->bind_textn(st, n, text, strlen(text));
	else
		st->conn->ops->bind_null(st, n);
}

void store_bind_textn(store_stmt *st, int n, const char *text, size_t len)
{
	st->conn->ops->bind_textn(st, n, text, len);
}

void store_bind_null(store_stmt *st, int n)
{
	st->conn->ops->bind_null(st, n);
}

int store_step(store_stmt *st)
{
	return st->conn->ops->step(st);
}

int64_t store_col_int(store_stmt *st, int col)
{
	return st->conn->ops->col_int(st, col);
}

const char *store_col_text(store_stmt *st, int col)
{
	return st->conn->ops->col_text(st, col);
}

size_t store_col_bytes(store_stmt *st, int col)
{
	return st->conn->ops->col_bytes(st, col);
}

int store_col_is_null(store_stmt *st, int col)
{
	return st->conn->ops->col_is_null(st, col);
}

ct_err store_stmt_error(store_stmt *st)
{
	return st->conn->ops->stmt_error(st);
}

void store_reset(store_stmt *st)
{
	st->conn->ops->reset(st);
}

ct_err store_run(store_stmt *st)
{
	int rc = store_step(st);
	ct_err err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
	store_reset(st);
	return err;
}

ct_err store_one_int(store_stmt *st, int64_t *out)
{
	int rc = store_step(st);
	ct_err err = CT_OK;
	if (rc == STORE_ROW)
		*out = store_col_int(st, 0);
	else if (rc == STORE_DONE)
		err = CT_ERR_NOT_FOUND;
	else
		err = store_stmt_error(st);
	store_reset(st);
	return err;
}

int64_t store_changes(store_conn *c)
{
	return c->ops->changes(c);
}

ct_err store_exec(store_conn *c, const char *sql)
{
	return c->ops->exec(c, sql);
}

/* q's searchable words (split at white space; a word with no letter or
 * digit is left out) into param, as the backend wants them; their count. */
static int query_words(const store_ops *ops, const char *q, buf *param)
{
	int words = 0;
	const char *p = q;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		const char *start = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		if (p == start || fts_stem_words(start, (int)(p - start), NULL, NULL) == 0)
			continue;
		ops->fts_add_word(param, start, (size_t)(p - start), words == 0);
		words++;
	}
	return words;
}

ct_err store_fts_search(store_conn *c, const char *q, int64_t before_id, int limit, int64_t *ids,
			int *n)
{
	*n = 0;
	buf words;
	buf_init(&words, 8192);
	ct_err err = CT_OK;
	store_stmt *st = NULL;
	if (query_words(c->ops, q, &words) == 0)
		err = CT_ERR_INVALID;
	else if (!(st = store_prepare(c, c->ops->fts_search_sql)))
		err = CT_ERR_STORE;
	if (!err) {
		store_bind_textn(st, 1, words.data, words.len);
		store_bind_int(st, 2, before_id > 0 ? before_id : INT64_MAX);
		store_bind_int(st, 3, limit);
		int rc;
		while ((rc = store_step(st)) == STORE_ROW && *n < limit)
			ids[(*n)++] = store_col_int(st, 0);
		if (rc == STORE_ERROR)
			err = store_stmt_error(st);
		store_reset(st);
	}
	buf_free(&words);
	return err;
}

ct_err store_fts_conversation_filter(store_conn *c, const char *q, int param, buf *sql, buf *bind)
{
	if (query_words(c->ops, q, bind) == 0)
		return CT_ERR_INVALID;
	return buf_printf(sql, c->ops->fts_filter_format, param);
}

/* Version number of "store/sql/DIR/NNN_x.sql"; 0 if name is not a migration of dir. */
static int migration_version(const char *dir, const char *name)
{
	size_t len = strlen(dir);
	if (strncmp(name, "store/sql/", 10) != 0 || strncmp(name + 10, dir, len) != 0 ||
	    name[10 + len] != '/')
		return 0;
	return (int)strtol(name + 11 + len, NULL, 10);
}

ct_err store_run_migrations(store_conn *c, const char *dir, int current, store_migration_fn apply,
			    int *version, buf *msg)
{
	int newest = 0;
	/* embedded_files is sorted by name, so migrations come in order. */
	for (size_t i = 0; i < embedded_count; i++) {
		int v = migration_version(dir, embedded_files[i].name);
		if (v > newest)
			newest = v;
		if (v > current) {
			ct_err err = apply(c, &embedded_files[i], v, msg);
			if (err)
				return err;
			log_info("store.migrated", LOG_S("migration", embedded_files[i].name));
			current = v;
		}
	}
	if (current > newest) {
		buf_printf(msg,
			   "the database has schema version %d, newer than this program (%d): "
			   "upgrade cluetrain",
			   current, newest);
		return CT_ERR_CONFLICT;
	}
	*version = current;
	return CT_OK;
}

ct_err store_backup(store *s, const char *path, buf *msg)
{
	store_conn *c = store_reader_acquire(s);
	ct_err err = s->ops->backup(c, s->opt.database, path, msg);
	store_reader_release(s, c);
	return err;
}

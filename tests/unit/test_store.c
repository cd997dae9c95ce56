/*
 * test_store.c: unit tests for the store (src/store/) on either backend: a
 * temporary SQLite file, or, when CLUETRAIN_TEST_PG holds the admin URL of a
 * throwaway cluster (tests/pg/cluster.sh), a fresh PostgreSQL database per
 * test, created and dropped with psql (these tests do not link libpq
 * themselves). Covered: open with migrations and reopen, open failures with a
 * useful message, statements with $n parameters, group commit (concurrent
 * writes share one transaction; a failing write's savepoint is rolled back
 * while the others commit), and full-text search with German stems, case
 * and accents folded, newest first, with paging. Where the backends differ
 * by design (connection settings, when a syntax error surfaces), each
 * asserts its own behaviour.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "store/store.h"
#include "store_fixture.h"

static int setup(void **state)
{
	fixture *f = store_fixture_open("unit");
	*state = f;
	return f ? 0 : -1;
}

static int teardown(void **state)
{
	store_fixture_close(*state);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- helpers that run on the writer ---- */

static ct_err insert_channel(store_conn *c, const char *name, int64_t *id)
{
	store_stmt *st = store_prepare(c, "INSERT INTO channels(kind, name, config, created_at)"
					  " VALUES ('api', $1, '{}', $2) RETURNING id");
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, name);
	store_bind_int(st, 2, 1);
	return store_one_int(st, id);
}

/* Rows in channels as seen by connection c. */
static int64_t count_channels(store_conn *c)
{
	int64_t n = -1;
	store_stmt *st = store_prepare(c, "SELECT count(*) FROM channels");
	assert_non_null(st);
	assert_int_equal(store_one_int(st, &n), CT_OK);
	return n;
}

static int64_t count_channels_committed(store *s)
{
	store_conn *r = store_reader_acquire(s);
	int64_t n = count_channels(r);
	store_reader_release(s, r);
	return n;
}

static int channel_exists(store *s, const char *name)
{
	store_conn *r = store_reader_acquire(s);
	store_stmt *st = store_prepare(r, "SELECT id FROM channels WHERE name = $1");
	assert_non_null(st);
	store_bind_text(st, 1, name);
	int64_t id = 0;
	ct_err err = store_one_int(st, &id);
	store_reader_release(s, r);
	assert_true(err == CT_OK || err == CT_ERR_NOT_FOUND);
	return err == CT_OK;
}

/* ---- open, migrate, reopen ---- */

static void test_open_migrates(void **state)
{
	fixture *f = *state;
	assert_true(store_schema_version(f->s) >= 1);
	store_conn *r = store_reader_acquire(f->s);
	assert_non_null(r);
	/* the core tables exist and start empty */
	static const char *const tables[] = {"channels", "contacts", "conversations", "messages",
					     "jobs"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		store_stmt *st = store_prepare(r, sql);
		assert_non_null(st);
		int64_t n = -1;
		assert_int_equal(store_one_int(st, &n), CT_OK);
		assert_true(n == 0);
	}
	/* the recorded schema version is the one reported */
	store_stmt *st = store_prepare(r, "SELECT max(version) FROM schema_migrations");
	assert_non_null(st);
	int64_t version = 0;
	assert_int_equal(store_one_int(st, &version), CT_OK);
	assert_true(version == store_schema_version(f->s));
	assert_string_equal(store_backend_name(f->s), pg_admin ? "postgres" : "sqlite");
	assert_int_equal(store_is_shared(f->s), pg_admin ? 1 : 0);
	if (pg_admin) {
		/* session settings are set explicitly, not left to the server's defaults */
		st = store_prepare(r, "SELECT current_setting('TimeZone'),"
				      " current_setting('client_encoding')");
		assert_non_null(st);
		assert_int_equal(store_step(st), STORE_ROW);
		assert_string_equal(store_col_text(st, 0), "UTC");
		assert_string_equal(store_col_text(st, 1), "UTF8");
		store_reset(st);
		/* full-text search has its configuration and query function */
		st = store_prepare(r, "SELECT to_tsvector('cluetrain_de', 'Stromausfälle')"
				      " @@ cluetrain_query('stromausfall')");
		assert_non_null(st);
		int64_t match = 0;
		assert_int_equal(store_one_int(st, &match), CT_OK);
		assert_true(match == 1);
	} else {
		/* pragmas are set explicitly, not left to the build's defaults */
		st = store_prepare(r, "PRAGMA journal_mode");
		assert_non_null(st);
		assert_int_equal(store_step(st), STORE_ROW);
		assert_string_equal(store_col_text(st, 0), "wal");
		store_reset(st);
		st = store_prepare(r, "PRAGMA foreign_keys");
		assert_non_null(st);
		int64_t fk = 0;
		assert_int_equal(store_one_int(st, &fk), CT_OK);
		assert_true(fk == 1);
	}
	store_reader_release(f->s, r);
}

static ct_err write_channel_a(store_conn *c, void *ctx)
{
	(void)ctx;
	int64_t id;
	return insert_channel(c, "a", &id);
}

static void test_reopen_keeps_data(void **state)
{
	fixture *f = *state;
	int version = store_schema_version(f->s);
	assert_int_equal(store_write(f->s, write_channel_a, NULL), CT_OK);
	store_close(f->s);
	f->s = NULL;
	buf msg;
	buf_init(&msg, 4096);
	assert_int_equal(open_store(f, &msg), CT_OK);
	buf_free(&msg);
	assert_int_equal(store_schema_version(f->s), version); /* not migrated twice */
	assert_true(channel_exists(f->s, "a"));
	assert_true(count_channels_committed(f->s) == 1);
}

/* Opening database must fail, leave *out NULL and give a message holding
 * each of want (NULL-terminated) and none of avoid (or NULL). */
static void expect_open_failure(const char *database, const char *const *want, const char *avoid)
{
	buf msg;
	buf_init(&msg, 4096);
	store_options opt = {.database = database, .readers = 1, .create = 1};
	store *s = (store *)&msg; /* must be reset to NULL */
	assert_int_not_equal(store_open(&opt, &s, &msg), CT_OK);
	assert_null(s);
	for (; *want; want++)
		if (!strstr(buf_cstr(&msg), *want))
			fail_msg("opening %s: message '%s' lacks '%s'", database, buf_cstr(&msg),
				 *want);
	if (avoid && strstr(buf_cstr(&msg), avoid))
		fail_msg("opening %s: message '%s' shows '%s'", database, buf_cstr(&msg), avoid);
	buf_free(&msg);
}

static void test_open_failure(void **state)
{
	(void)state;
	if (!pg_admin) {
		/* a file in a directory that does not exist */
		expect_open_failure("/nonexistent-dir/x/test.db",
				    (const char *const[]){"/nonexistent-dir/x/test.db", NULL},
				    NULL);
		return;
	}
	/* a server that is not there: the message names it, never the password */
	expect_open_failure("postgres://cluetrain:s3cret-pw@127.0.0.1:1/ct_nowhere",
			    (const char *const[]){"PostgreSQL", "127.0.0.1", NULL}, "s3cret-pw");
	/* a database that does not exist on a running server */
	char url[512], name[64];
	snprintf(name, sizeof(name), "ct_unit_%ld_missing", (long)getpid());
	pg_url(name, url, sizeof(url));
	expect_open_failure(url, (const char *const[]){"PostgreSQL", name, NULL}, NULL);
}

/* ---- statements ---- */

static void test_statements(void **state)
{
	fixture *f = *state;
	store_conn *r = store_reader_acquire(f->s);
	/* parameters by number, in any order in the text */
	/* (PostgreSQL infers a parameter's type from its use; "$3 IS NULL"
	 * alone would leave it undetermined, hence the cast) */
	static const char sql[] = "SELECT $2 || '-' || $1, CAST($3 AS TEXT) IS NULL, length($4)";
	store_stmt *st = store_prepare(r, sql);
	assert_non_null(st);
	store_bind_text(st, 1, "eins");
	store_bind_text(st, 2, "zwei");
	store_bind_null(st, 3);
	store_bind_textn(st, 4, "abcdef", 3);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_string_equal(store_col_text(st, 0), "zwei-eins");
	assert_true(store_col_int(st, 1) == 1);
	assert_true(store_col_int(st, 2) == 3);
	assert_int_equal(store_step(st), STORE_DONE);
	store_reset(st);
	/* the cached statement comes back with its bindings cleared */
	st = store_prepare(r, sql);
	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_true(store_col_is_null(st, 0));
	store_reset(st);
	/* a large integer survives */
	st = store_prepare(r, "SELECT $1");
	store_bind_int(st, 1, INT64_MAX - 1);
	int64_t v = 0;
	assert_int_equal(store_one_int(st, &v), CT_OK);
	assert_true(v == INT64_MAX - 1);
	/* no row */
	st = store_prepare(r, "SELECT id FROM channels WHERE id = $1");
	store_bind_int(st, 1, 12345);
	assert_int_equal(store_one_int(st, &v), CT_ERR_NOT_FOUND);
	/* a syntax error and '?' parameters are refused: SQLite at once (NULL),
	 * PostgreSQL, which prepares at the first execution, when stepped */
	static const char *const bad[] = {"SELEKT 1", "SELECT ?"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st = store_prepare(r, bad[i]);
		if (!pg_admin) {
			assert_null(st);
			continue;
		}
		assert_non_null(st);
		assert_int_equal(store_step(st), STORE_ERROR);
		assert_int_equal(store_stmt_error(st), CT_ERR_STORE);
		store_reset(st);
	}
	/* the connection is usable after the failures */
	st = store_prepare(r, "SELECT $1");
	store_bind_int(st, 1, 7);
	assert_int_equal(store_one_int(st, &v), CT_OK);
	assert_true(v == 7);
	/* readers cannot write */
	ct_err write_err = store_exec(r, "INSERT INTO tags(name) VALUES ('x')");
	assert_int_not_equal(write_err, CT_OK);
	store_reader_release(f->s, r);
}

/* ---- group commit ---- */

typedef struct group_test {
	store *s;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int started;   /* writer threads that are about to call store_write */
	int a_running; /* the blocking first write is on the writer */
} group_test;

typedef struct writer_arg {
	group_test *g;
	const char *name; /* channel to insert */
	ct_err fail_with; /* CT_OK: succeed; otherwise return this after inserting */
	int duplicate;    /* insert a name that exists (a constraint error) */
	ct_err result;
	int64_t committed_seen; /* rows a reader saw while this write ran */
	int64_t writer_seen;    /* rows the writer's transaction saw */
} writer_arg;

static ct_err group_write(store_conn *c, void *ctx)
{
	writer_arg *w = ctx;
	int64_t id;
	ct_err err = insert_channel(c, w->duplicate ? "a" : w->name, &id);
	if (err)
		return err;
	w->writer_seen = count_channels(c);
	w->committed_seen = count_channels_committed(w->g->s);
	return w->fail_with;
}

/* The first write: holds the writer until the others are queued behind it. */
static ct_err blocking_write(store_conn *c, void *ctx)
{
	group_test *g = ctx;
	int64_t id;
	ct_err err = insert_channel(c, "a", &id);
	pthread_mutex_lock(&g->lock);
	g->a_running = 1;
	pthread_cond_broadcast(&g->cond);
	while (g->started < 5)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
	sleep_ms(300); /* the five threads reach store_write and queue up */
	return err;
}

static void *blocking_thread(void *arg)
{
	group_test *g = arg;
	ct_err err = store_write(g->s, blocking_write, g);
	return err == CT_OK ? NULL : (void *)1;
}

static void *writer_thread(void *arg)
{
	writer_arg *w = arg;
	pthread_mutex_lock(&w->g->lock);
	w->g->started++;
	pthread_cond_broadcast(&w->g->cond);
	pthread_mutex_unlock(&w->g->lock);
	w->result = store_write(w->g->s, group_write, w);
	return NULL;
}

static void test_group_commit_savepoints(void **state)
{
	fixture *f = *state;
	group_test g = {.s = f->s};
	pthread_mutex_init(&g.lock, NULL);
	pthread_cond_init(&g.cond, NULL);

	pthread_t first;
	assert_int_equal(pthread_create(&first, NULL, blocking_thread, &g), 0);
	pthread_mutex_lock(&g.lock);
	while (!g.a_running)
		pthread_cond_wait(&g.cond, &g.lock);
	pthread_mutex_unlock(&g.lock);

	writer_arg w[5] = {
		{.g = &g, .name = "b"},
		{.g = &g, .name = "c", .fail_with = CT_ERR_INVALID},
		{.g = &g, .name = "d"},
		{.g = &g, .name = "e", .duplicate = 1}, /* UNIQUE(name) fails */
		{.g = &g, .name = "f"},
	};
	pthread_t t[5];
	for (int i = 0; i < 5; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer_thread, &w[i]), 0);
	void *first_rc = (void *)1;
	assert_int_equal(pthread_join(first, &first_rc), 0);
	assert_null(first_rc);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);

	/* each caller gets its own function's result */
	assert_int_equal(w[0].result, CT_OK);
	assert_int_equal(w[1].result, CT_ERR_INVALID);
	assert_int_equal(w[2].result, CT_OK);
	assert_int_equal(w[3].result, CT_ERR_CONFLICT);
	assert_int_equal(w[4].result, CT_OK);

	/* they ran in one transaction after the first: a reader saw only "a" meanwhile */
	for (int i = 0; i < 5; i++) {
		if (i == 3)
			continue; /* failed before counting */
		if (w[i].committed_seen != 1)
			fail_msg("write %s saw %lld committed rows: not in one group", w[i].name,
				 (long long)w[i].committed_seen);
		assert_true(w[i].writer_seen >= 2);
	}

	/* the failing writes were rolled back, the others committed */
	assert_true(channel_exists(f->s, "a"));
	assert_true(channel_exists(f->s, "b"));
	assert_false(channel_exists(f->s, "c"));
	assert_true(channel_exists(f->s, "d"));
	assert_true(channel_exists(f->s, "f"));
	assert_true(count_channels_committed(f->s) == 4);
	pthread_mutex_destroy(&g.lock);
	pthread_cond_destroy(&g.cond);
}

static ct_err write_two_then_fail(store_conn *c, void *ctx)
{
	(void)ctx;
	int64_t id;
	ct_err err = insert_channel(c, "x1", &id);
	if (!err)
		err = insert_channel(c, "x2", &id);
	return err ? err : CT_ERR_NOT_FOUND;
}

static void test_failed_write_leaves_nothing(void **state)
{
	fixture *f = *state;
	assert_int_equal(store_write(f->s, write_two_then_fail, NULL), CT_ERR_NOT_FOUND);
	assert_false(channel_exists(f->s, "x1"));
	assert_false(channel_exists(f->s, "x2"));
	/* the writer is healthy afterwards */
	assert_int_equal(store_write(f->s, write_channel_a, NULL), CT_OK);
	assert_true(channel_exists(f->s, "a"));
	assert_int_equal(store_write(f->s, write_channel_a, NULL), CT_ERR_CONFLICT);
	assert_true(count_channels_committed(f->s) == 1);
}

/* ---- full-text search ---- */

static const char *const fts_texts[] = {
	"Der Zähler ist kaputt",                  /* 1 */
	"Stromausfall in der Südstadt",           /* 2 */
	"Kein Strom seit heute früh",             /* 3 */
	"Zähler abgelesen, Stand 4711",           /* 4 */
	"Stromausfälle seit Montag",              /* 5 */
	"ZÄHLER tauschen bitte",                  /* 6 */
	"Die Rechnung ist zu hoch \"Zähler\" OR", /* 7 */
	"Treffen im Café Müller",                 /* 8 */
};
#define N_FTS (sizeof(fts_texts) / sizeof(fts_texts[0]))

static ct_err write_messages(store_conn *c, void *ctx)
{
	int64_t *ids = ctx, channel, contact, conv;
	ct_err err = insert_channel(c, "api", &channel);
	if (err)
		return err;
	store_stmt *st = store_prepare(c, "INSERT INTO contacts(name, created_at, updated_at)"
					  " VALUES ('Erika', 1, 1) RETURNING id");
	if (!st || (err = store_one_int(st, &contact)))
		return err ? err : CT_ERR_STORE;
	st = store_prepare(c, "INSERT INTO conversations(channel_id, contact_id,"
			      " last_activity_at, created_at) VALUES ($1, $2, 1, 1) RETURNING id");
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, channel);
	store_bind_int(st, 2, contact);
	if ((err = store_one_int(st, &conv)))
		return err;
	for (size_t i = 0; i < N_FTS; i++) {
		st = store_prepare(c,
				   "INSERT INTO messages(conversation_id, channel_id, direction,"
				   " text, created_at, received_at) VALUES ($1, $2, 'in', $3, $4,"
				   " $4) RETURNING id");
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, conv);
		store_bind_int(st, 2, channel);
		store_bind_text(st, 3, fts_texts[i]);
		store_bind_int(st, 4, (int64_t)i + 1);
		if ((err = store_one_int(st, &ids[i])))
			return err;
	}
	return CT_OK;
}

/* Search and compare with the expected message numbers (1-based into fts_texts). */
static void expect_search(fixture *f, const int64_t *ids, const char *q, int64_t before_nr,
			  int limit, const int *want, int n_want)
{
	int64_t found[16];
	int n = -1;
	store_conn *r = store_reader_acquire(f->s);
	ct_err err = store_fts_search(r, q, before_nr ? ids[before_nr - 1] : 0, limit, found, &n);
	store_reader_release(f->s, r);
	if (err != CT_OK)
		fail_msg("search '%s' failed with %d", q, (int)err);
	if (n != n_want)
		fail_msg("search '%s' found %d, expected %d", q, n, n_want);
	for (int i = 0; i < n; i++)
		if (found[i] != ids[want[i] - 1])
			fail_msg("search '%s': result %d is id %lld, expected message %d (id %lld)",
				 q, i, (long long)found[i], want[i], (long long)ids[want[i] - 1]);
}

static void test_fts_search(void **state)
{
	fixture *f = *state;
	int64_t ids[N_FTS];
	assert_int_equal(store_write(f->s, write_messages, ids), CT_OK);
	for (size_t i = 1; i < N_FTS; i++)
		assert_true(ids[i] > ids[i - 1]); /* ids rise with insertion */

	/* newest first; case and umlauts folded */
	expect_search(f, ids, "zähler", 0, 10, (const int[]){7, 6, 4, 1}, 4);
	expect_search(f, ids, "ZÄHLER", 0, 10, (const int[]){7, 6, 4, 1}, 4);
	expect_search(f, ids, "Za\xcc\x88hler", 0, 10, (const int[]){7, 6, 4, 1}, 4);
	/* accents do not matter (either way, composed or not) */
	expect_search(f, ids, "cafe", 0, 10, (const int[]){8}, 1);
	expect_search(f, ids, "CAFÉ", 0, 10, (const int[]){8}, 1);
	expect_search(f, ids, "Cafe\xcc\x81 muller", 0, 10, (const int[]){8}, 1);
	/* German stems: plural finds singular and back */
	expect_search(f, ids, "Stromausfälle", 0, 10, (const int[]){5, 2}, 2);
	expect_search(f, ids, "stromausfall", 0, 10, (const int[]){5, 2}, 2);
	/* every word must match */
	expect_search(f, ids, "zähler kaputt", 0, 10, (const int[]){1}, 1);
	expect_search(f, ids, "  zähler\t  kaputt  ", 0, 10, (const int[]){1}, 1);
	expect_search(f, ids, "zähler nirgendwo", 0, 10, NULL, 0);
	/* paging: below an id, and a limit */
	expect_search(f, ids, "zähler", 6, 10, (const int[]){4, 1}, 2);
	expect_search(f, ids, "zähler", 0, 2, (const int[]){7, 6}, 2);
	expect_search(f, ids, "zähler", 6, 1, (const int[]){4}, 1);
	expect_search(f, ids, "zähler", 1, 10, NULL, 0);
	/* FTS5 syntax in the query is taken as words, never as operators or errors */
	expect_search(f, ids, "\"zähler\" OR", 0, 10, (const int[]){7}, 1);
	expect_search(f, ids, "zähler\"", 0, 10, (const int[]){7, 6, 4, 1}, 4);
	expect_search(f, ids, "NEAR(zähler", 0, 10, NULL, 0);
	expect_search(f, ids, "zähler*", 0, 10, (const int[]){7, 6, 4, 1}, 4);
	expect_search(f, ids, "kaputt -zähler", 0, 10, (const int[]){1}, 1);
	expect_search(f, ids, "text:zähler", 0, 10, NULL, 0);
}

static void test_fts_no_searchable_word(void **state)
{
	fixture *f = *state;
	static const char *const qs[] = {"", "   ", "!!!", "- * \" ( )", "\xe2\x80\x94"};
	store_conn *r = store_reader_acquire(f->s);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		int64_t found[4];
		int n = -1;
		ct_err err = store_fts_search(r, qs[i], 0, 4, found, &n);
		if (err != CT_ERR_INVALID)
			fail_msg("query '%s' gave %d, expected CT_ERR_INVALID", qs[i], (int)err);
		assert_int_equal(n, 0);
	}
	store_reader_release(f->s, r);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	store_fixture_init();
	const struct CMUnitTest tests[] = {
		TEST(test_open_migrates),
		TEST(test_reopen_keeps_data),
		cmocka_unit_test(test_open_failure),
		TEST(test_statements),
		TEST(test_group_commit_savepoints),
		TEST(test_failed_write_leaves_nothing),
		TEST(test_fts_search),
		TEST(test_fts_no_searchable_word),
	};
	return cmocka_run_group_tests_name(pg_admin ? "store (postgres)" : "store (sqlite)", tests,
					   NULL, NULL);
}

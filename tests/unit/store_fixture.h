/*
 * store_fixture.h: a fresh store for each unit test, on SQLite or, when
 * CLUETRAIN_TEST_PG names a PostgreSQL cluster (tests/run-all.sh starts
 * one), in a new database there. Shared by the unit tests that need a
 * store (test_store.c, test_replay.c); included once per test program, so
 * its functions are static.
 *
 *   store_fixture_init();                    in main, reads CLUETRAIN_TEST_PG
 *   store_fixture_open(&f, "name")           a new empty database, opened
 *   store_fixture_close(&f)                  closed and removed
 */
#ifndef CT_STORE_FIXTURE_H
#define CT_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "store/store.h"

/* The admin URL of the PostgreSQL test cluster, or NULL: SQLite files. */
static const char *pg_admin;

typedef struct fixture {
	char dir[64];
	char db[512];     /* SQLite: the file; PostgreSQL: the database URL */
	char pg_name[64]; /* PostgreSQL: the database's name */
	store *s;
} fixture;

static void store_fixture_init(void)
{
	pg_admin = getenv("CLUETRAIN_TEST_PG");
	if (pg_admin && !*pg_admin)
		pg_admin = NULL;
}

/* Run one SQL statement with psql on url; 1 when it succeeded. */
static int psql(const char *url, const char *sql)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execlp("psql", "psql", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql,
		       (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) < 0)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The URL of database name on the cluster of pg_admin: its path replaced. */
static void pg_url(const char *name, char *out, size_t size)
{
	const char *host = strstr(pg_admin, "://");
	host = host ? host + 3 : pg_admin;
	const char *path = strchr(host, '/');
	const char *query = strchr(host, '?');
	if (!path || (query && query < path))
		path = query ? query : host + strlen(host);
	const char *rest = query && query > path ? query : "";
	snprintf(out, size, "%.*s/%s%s", (int)(path - pg_admin), pg_admin, name, rest);
}

/* Remove an SQLite database file with its companions. */
static void remove_db_files(const fixture *f)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char path[600];
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", f->db, suffixes[i]);
		unlink(path);
	}
}

/* A fresh database named after prefix: a file in a new directory, or a new
 * PostgreSQL database. 0 when made. */
static int create_database(fixture *f, const char *prefix)
{
	if (pg_admin) {
		static int counter;
		char sql[128];
		snprintf(f->pg_name, sizeof(f->pg_name), "ct_%s_%ld_%d", prefix, (long)getpid(),
			 ++counter);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", f->pg_name);
		if (!psql(pg_admin, sql)) {
			fprintf(stderr, "cannot create database %s on %s\n", f->pg_name, pg_admin);
			return -1;
		}
		pg_url(f->pg_name, f->db, sizeof(f->db));
		return 0;
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/ct-%s-XXXXXX", prefix);
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/test.db", f->dir);
	return 0;
}

static void drop_database(fixture *f)
{
	if (pg_admin) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->pg_name);
		if (!psql(pg_admin, sql))
			fprintf(stderr, "cannot drop database %s\n", f->pg_name);
		return;
	}
	remove_db_files(f);
	rmdir(f->dir);
}

/* Open f's database (migrating it). */
static ct_err open_store(fixture *f, buf *msg)
{
	store_options opt = {.database = f->db, .readers = 2, .create = 1};
	return store_open(&opt, &f->s, msg);
}

/* A new fixture with a new, opened database; NULL (and nothing left
 * behind) when that failed. Free with store_fixture_close. */
static fixture *store_fixture_open(const char *prefix)
{
	fixture *f = calloc(1, sizeof(*f));
	if (!f || create_database(f, prefix) != 0) {
		free(f);
		return NULL;
	}
	buf msg;
	buf_init(&msg, 4096);
	ct_err err = open_store(f, &msg);
	if (err) {
		fprintf(stderr, "store_open: %s\n", buf_cstr(&msg));
		drop_database(f);
		free(f);
		f = NULL;
	}
	buf_free(&msg);
	return f;
}

static void store_fixture_close(fixture *f)
{
	store_close(f->s);
	drop_database(f);
	free(f);
}

#endif

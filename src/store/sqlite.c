/*
 * sqlite.c: the SQLite backend of the store (see store.h and backend.h).
 *
 * Every connection sets its pragmas explicitly (Debian's build defaults
 * differ from upstream's): WAL, synchronous=FULL so a commit is on disk when
 * it returns, foreign keys on, a busy timeout, no mmap (keeps the resident
 * size small), and a bounded page cache. Parameters are written $1..$n in the
 * SQL; SQLite treats them as named, so prepare() maps each number to SQLite's
 * index once and bind calls use the map.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/embedded.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/backend.h"
#include "store/fts_stem.h"

#define MAX_PARAMS 32
#define STMT_CACHE 128

typedef struct sqlite_stmt {
	store_stmt base;
	sqlite3_stmt *st;
	char *sql;     /* cache key: a copy of the text */
	unsigned hash; /* of sql, to skip most strcmp calls */
	int transient; /* not cached: finalized by reset */
	unsigned char param_index[MAX_PARAMS + 1];
	ct_err error;
} sqlite_stmt;

typedef struct sqlite_conn {
	store_conn base;
	sqlite3 *db;
	sqlite_stmt *cache[STMT_CACHE];
	int n_cached;
} sqlite_conn;

static sqlite_conn *conn_of(store_conn *c)
{
	return (sqlite_conn *)c;
}

static sqlite_stmt *stmt_of(store_stmt *st)
{
	return (sqlite_stmt *)st;
}

static ct_err exec_sql(sqlite3 *db, const char *sql)
{
	char *errmsg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &errmsg);
	if (rc != SQLITE_OK) {
		log_error("store.exec_failed", LOG_S("error", errmsg ? errmsg : "?"),
			  LOG_I("code", rc));
		sqlite3_free(errmsg);
		return rc == SQLITE_CONSTRAINT ? CT_ERR_CONFLICT : CT_ERR_STORE;
	}
	return CT_OK;
}

static store_conn *sqlite_conn_open(store *s, const store_options *opt, int writer, buf *msg)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (writer && opt->create)
		flags |= SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(opt->database, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		buf_printf(msg, "cannot open database %s: %s", opt->database,
			   db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 0);
	const char *pragmas =
		writer ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
			 "PRAGMA mmap_size=0; PRAGMA cache_size=-8000;"
			 "PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=67108864;"
		       : "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
			 "PRAGMA busy_timeout=10000; PRAGMA mmap_size=0;"
			 "PRAGMA cache_size=-4000; PRAGMA temp_store=MEMORY;"
			 "PRAGMA query_only=ON;";
	if (exec_sql(db, pragmas) != CT_OK || fts_stem_register(db) != SQLITE_OK) {
		buf_printf(msg, "cannot set up database %s: %s", opt->database, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	sqlite_conn *c = xcalloc(1, sizeof(*c));
	c->base.ops = &store_sqlite_ops;
	c->base.owner = s;
	c->db = db;
	return &c->base;
}

static void free_stmt(sqlite_stmt *s)
{
	sqlite3_finalize(s->st);
	free(s->sql);
	free(s);
}

static unsigned hash_sql(const char *sql)
{
	unsigned h = 2166136261u;
	for (const char *p = sql; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static void sqlite_conn_close(store_conn *base)
{
	sqlite_conn *c = conn_of(base);
	for (int i = 0; i < c->n_cached; i++)
		free_stmt(c->cache[i]);
	sqlite3_close(c->db);
	free(c);
}

/* Map "$n" parameter names to SQLite's indexes. 0 when a name is not $n. */
static int map_params(sqlite_stmt *s)
{
	int count = sqlite3_bind_parameter_count(s->st);
	for (int i = 1; i <= count; i++) {
		const char *name = sqlite3_bind_parameter_name(s->st, i);
		if (!name || name[0] != '$')
			return 0;
		char *end = NULL;
		long n = strtol(name + 1, &end, 10);
		if (*end || n < 1 || n > MAX_PARAMS)
			return 0;
		s->param_index[n] = (unsigned char)i;
	}
	return 1;
}

/*
 * Statements are cached per connection by their text, so callers may build
 * SQL dynamically (from a fixed set of fragments, never from input). Past
 * STMT_CACHE distinct texts a statement is transient: store_reset frees it.
 */
static store_stmt *sqlite_prepare(store_conn *base, const char *sql)
{
	sqlite_conn *c = conn_of(base);
	unsigned h = hash_sql(sql);
	for (int i = 0; i < c->n_cached; i++)
		if (c->cache[i]->hash == h && strcmp(c->cache[i]->sql, sql) == 0)
			return &c->cache[i]->base;
	sqlite_stmt *s = xcalloc(1, sizeof(*s));
	s->base.conn = base;
	s->sql = xstrdup(sql);
	s->hash = h;
	s->transient = c->n_cached == STMT_CACHE;
	unsigned flags = s->transient ? 0 : SQLITE_PREPARE_PERSISTENT;
	if (sqlite3_prepare_v3(c->db, sql, -1, flags, &s->st, NULL) != SQLITE_OK ||
	    !map_params(s)) {
		log_error("store.prepare_failed", LOG_S("error", sqlite3_errmsg(c->db)),
			  LOG_S("sql", sql));
		free_stmt(s);
		return NULL;
	}
	if (!s->transient)
		c->cache[c->n_cached++] = s;
	return &s->base;
}

static int param(sqlite_stmt *s, int n)
{
	return n >= 1 && n <= MAX_PARAMS ? s->param_index[n] : 0;
}

static void sqlite_bind_int(store_stmt *st, int n, int64_t v)
{
	sqlite_stmt *s = stmt_of(st);
	sqlite3_bind_int64(s->st, param(s, n), v);
}

static void sqlite_bind_textn(store_stmt *st, int n, const char *text, size_t len)
{
	sqlite_stmt *s = stmt_of(st);
	sqlite3_bind_text64(s->st, param(s, n), text, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void sqlite_bind_null(store_stmt *st, int n)
{
	sqlite_stmt *s = stmt_of(st);
	sqlite3_bind_null(s->st, param(s, n));
}

static int sqlite_step(store_stmt *st)
{
	sqlite_stmt *s = stmt_of(st);
	int rc = sqlite3_step(s->st);
	if (rc == SQLITE_ROW)
		return STORE_ROW;
	if (rc == SQLITE_DONE)
		return STORE_DONE;
	s->error = rc == SQLITE_CONSTRAINT ? CT_ERR_CONFLICT : CT_ERR_STORE;
	if (s->error == CT_ERR_STORE)
		log_error("store.step_failed",
			  LOG_S("error", sqlite3_errmsg(conn_of(st->conn)->db)), LOG_I("code", rc));
	return STORE_ERROR;
}

static int64_t sqlite_col_int(store_stmt *st, int col)
{
	return sqlite3_column_int64(stmt_of(st)->st, col);
}

static const char *sqlite_col_text(store_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(stmt_of(st)->st, col);
}

static size_t sqlite_col_bytes(store_stmt *st, int col)
{
	return (size_t)sqlite3_column_bytes(stmt_of(st)->st, col);
}

static int sqlite_col_is_null(store_stmt *st, int col)
{
	return sqlite3_column_type(stmt_of(st)->st, col) == SQLITE_NULL;
}

static ct_err sqlite_stmt_error(store_stmt *st)
{
	return stmt_of(st)->error;
}

static void sqlite_reset(store_stmt *st)
{
	sqlite_stmt *s = stmt_of(st);
	if (s->transient) {
		free_stmt(s);
		return;
	}
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	s->error = CT_OK;
}

static int64_t sqlite_changes(store_conn *c)
{
	return sqlite3_changes64(conn_of(c)->db);
}

static ct_err sqlite_exec(store_conn *c, const char *sql)
{
	return exec_sql(conn_of(c)->db, sql);
}

static int applied_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int v = 0;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
			       &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static ct_err apply_migration(store_conn *c, const embedded_file *f, int version, buf *msg)
{
	sqlite3 *db = conn_of(c)->db;
	ct_err err = exec_sql(db, "BEGIN IMMEDIATE");
	if (err)
		return err;
	err = exec_sql(db, (const char *)f->data);
	sqlite3_stmt *st = NULL;
	if (!err && sqlite3_prepare_v2(db,
				       "INSERT INTO schema_migrations(version, name, applied_at)"
				       " VALUES (?1, ?2, ?3)",
				       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int(st, 1, version);
		sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, time_now_ms());
		if (sqlite3_step(st) != SQLITE_DONE)
			err = CT_ERR_STORE;
	}
	sqlite3_finalize(st);
	if (err) {
		buf_printf(msg, "migration %s failed: %s", f->name, sqlite3_errmsg(db));
		exec_sql(db, "ROLLBACK");
		return CT_ERR_STORE;
	}
	return exec_sql(db, "COMMIT");
}

static ct_err sqlite_migrate(store_conn *base, int *version, buf *msg)
{
	sqlite3 *db = conn_of(base)->db;
	ct_err err = exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
				  "version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
				  " applied_at INTEGER NOT NULL)");
	if (err) {
		buf_printf(msg, "cannot create schema_migrations: %s", sqlite3_errmsg(db));
		return err;
	}
	return store_run_migrations(base, "sqlite", applied_version(db), apply_migration, version,
				    msg);
}

/* One word as a quoted FTS5 string ("word"), after a space unless first. */
static void sqlite_fts_add_word(buf *param, const char *word, size_t len, int first)
{
	buf_append(param, first ? "\"" : " \"", first ? 1 : 2);
	for (const char *c = word; c < word + len; c++)
		buf_append(param, *c == '"' ? "\"\"" : c, *c == '"' ? 2 : 1);
	buf_append(param, "\"", 1);
}

static int64_t count_messages(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM messages", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Open the copy, check its integrity and that it holds `expected` messages. */
static ct_err verify_backup(const char *path, int64_t expected, buf *msg)
{
	sqlite3 *db = NULL;
	ct_err err = CT_ERR_STORE;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    fts_stem_register(db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		buf_printf(msg, "cannot check the backup %s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	const char *verdict = (const char *)sqlite3_column_text(st, 0);
	if (!verdict || strcmp(verdict, "ok") != 0) {
		buf_printf(msg, "the backup %s failed its integrity check: %s", path,
			   verdict ? verdict : "?");
		goto out;
	}
	int64_t found = count_messages(db);
	if (found != expected) {
		buf_printf(msg, "the backup %s holds %lld messages, expected %lld", path,
			   (long long)found, (long long)expected);
		goto out;
	}
	err = CT_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return err;
}

static ct_err sqlite_backup(store_conn *base, const char *database, const char *path, buf *msg)
{
	(void)database;
	sqlite3 *src = conn_of(base)->db;
	buf tmp;
	buf_init(&tmp, 8192);
	buf_printf(&tmp, "%s.partial", path);
	unlink(buf_cstr(&tmp));
	sqlite3 *dst = NULL;
	ct_err err = CT_ERR_IO;
	int64_t expected = -1;
	if (sqlite3_open(buf_cstr(&tmp), &dst) != SQLITE_OK) {
		buf_printf(msg, "cannot create %s: %s", buf_cstr(&tmp), sqlite3_errmsg(dst));
		goto out;
	}
	/* A read transaction pins one snapshot for both the copy and the count. */
	exec_sql(src, "BEGIN");
	expected = count_messages(src);
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
	sqlite3_backup_finish(b);
	exec_sql(src, "COMMIT");
	if (rc != SQLITE_DONE) {
		buf_printf(msg, "backup failed: %s", sqlite3_errmsg(dst));
		goto out;
	}
	/* The copy is a plain rollback-journal database file: one file to move. */
	exec_sql(dst, "PRAGMA journal_mode=DELETE");
	sqlite3_close(dst);
	dst = NULL;
	err = verify_backup(buf_cstr(&tmp), expected, msg);
	if (!err && rename(buf_cstr(&tmp), path) != 0) {
		buf_printf(msg, "cannot rename the backup to %s", path);
		err = CT_ERR_IO;
	}
out:
	sqlite3_close(dst);
	if (err)
		unlink(buf_cstr(&tmp));
	buf_free(&tmp);
	return err;
}

const store_ops store_sqlite_ops = {
	.name = "sqlite",
	.begin_write = "BEGIN IMMEDIATE",
	.before_commit = NULL,
	.lock_clause = "",
	.row_lock_clause = "",
	.retryable = NULL,
	.conn_open = sqlite_conn_open,
	.conn_close = sqlite_conn_close,
	.prepare = sqlite_prepare,
	.bind_int = sqlite_bind_int,
	.bind_textn = sqlite_bind_textn,
	.bind_null = sqlite_bind_null,
	.step = sqlite_step,
	.col_int = sqlite_col_int,
	.col_text = sqlite_col_text,
	.col_bytes = sqlite_col_bytes,
	.col_is_null = sqlite_col_is_null,
	.stmt_error = sqlite_stmt_error,
	.reset = sqlite_reset,
	.changes = sqlite_changes,
	.exec = sqlite_exec,
	.migrate = sqlite_migrate,
	.fts_search_sql = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH $1"
			  " AND rowid < $2 ORDER BY rowid DESC LIMIT $3",
	.fts_filter_format = "c.id IN (SELECT m.conversation_id FROM messages m WHERE m.id IN"
			     " (SELECT rowid FROM messages_fts WHERE messages_fts MATCH $%d))",
	.fts_add_word = sqlite_fts_add_word,
	.backup = sqlite_backup,
};

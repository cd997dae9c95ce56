/*
 * pg.c: the PostgreSQL backend of the store (see store.h and backend.h).
 *
 * The same SQL as SQLite, $1..$n being PostgreSQL's own placeholder syntax.
 * A statement is prepared on the server at its first execution, with integer
 * parameters declared bigint and the rest left for the server to infer; values
 * travel as text, so one prepared statement serves any later binding. Results
 * arrive whole (PQexecPrepared) and step() walks their rows. Booleans come
 * back as 't'/'f' and are read as 1/0, so SQL written for SQLite's integers
 * reads the same here.
 *
 * A connection that broke (the server restarted, a network cut) is reset
 * before its next use, and a statement that failed on a broken connection
 * outside a transaction is run once more on the reset one; inside a
 * transaction the failure is the answer (the transaction is gone).
 *
 * Full-text search uses the generated tsvector column messages.tsv: the text
 * split into words as the SQLite tokenizer does (cluetrain_fts_text), then
 * the text search configuration cluetrain_de (unaccent, the Snowball German
 * stemmer, no stop words; see sql/postgres/001_init.sql and 005), and the SQL
 * function cluetrain_query, which turns the user's words (one per line) into
 * a tsquery that requires each word as a phrase, as the SQLite search does.
 * Those statements are planned for their words at every execution.
 */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/embedded.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/backend.h"
#include "store/pg.h"

#define MAX_PARAMS 32
#define STMT_CACHE 128
#define INT8OID 20
#define TEXTOID 25

/* Serialises migrations when several nodes start at once (an arbitrary key). */
#define MIGRATION_LOCK_KEY 0x636c7565

typedef struct pg_stmt {
	store_stmt base;
	char *sql;          /* cache key: a copy of the text */
	unsigned hash;      /* of sql */
	int transient;      /* not cached: freed by reset */
	int plan_each_time; /* planned for its values at every execution */
	int cache_index;
	int prepared;  /* prepared on the server under "s<cache_index>" */
	int n_params;  /* highest $n in sql */
	uint32_t used; /* bit n-1: $n occurs in sql (dynamic SQL may skip some) */
	char *values[MAX_PARAMS];
	int is_int[MAX_PARAMS];
	PGresult *res;
	int row, n_rows;
	ct_err error;
} pg_stmt;

typedef struct pg_conn {
	store_conn base;
	PGconn *db;
	pg_stmt *cache[STMT_CACHE];
	int n_cached;
	int64_t changes;
	int retryable; /* enum store_retry of the last failure */
	int reader;    /* read-only (a pool connection) */
} pg_conn;

static pg_conn *conn_of(store_conn *c)
{
	return (pg_conn *)c;
}

static pg_stmt *stmt_of(store_stmt *st)
{
	return (pg_stmt *)st;
}

int pg_is_url(const char *database)
{
	return database && (strncmp(database, "postgres://", 11) == 0 ||
			    strncmp(database, "postgresql://", 13) == 0);
}

/* The error class of a failed result: conflicts for integrity violations. */
static ct_err classify(pg_conn *c, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	c->retryable = !state ? STORE_RETRY_NONE
		       : strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0
			       ? STORE_RETRY_TRANSACTION
		       : strcmp(state, "23505") == 0 ? STORE_RETRY_FUNCTION
						     : STORE_RETRY_NONE;
	if (state && strncmp(state, "23", 2) == 0)
		return CT_ERR_CONFLICT;
	log_error("store.pg_failed", LOG_S("state", state ? state : "?"),
		  LOG_S("error", res ? PQresultErrorMessage(res) : PQerrorMessage(c->db)));
	return CT_ERR_STORE;
}

PGconn *pg_connect(const char *url, buf *msg)
{
	PGconn *db = PQconnectdb(url);
	if (PQstatus(db) != CONNECTION_OK) {
		/* libpq's messages name host and database, never the password. */
		buf_printf(msg, "cannot connect to PostgreSQL: %s", PQerrorMessage(db));
		PQfinish(db);
		return NULL;
	}
	PQsetClientEncoding(db, "UTF8");
	PGresult *res = PQexec(db, "SET TIME ZONE 'UTC'");
	PQclear(res);
	return db;
}

static store_conn *pg_conn_open(store *s, const store_options *opt, int writer, buf *msg)
{
	PGconn *db = pg_connect(opt->database, msg);
	if (!db)
		return NULL;
	/* Readers never write: every write goes through the writer thread. */
	if (!writer && pg_exec_sql(db, "SET default_transaction_read_only = on") != CT_OK) {
		buf_printf(msg, "cannot set up a read connection: %s", PQerrorMessage(db));
		PQfinish(db);
		return NULL;
	}
	pg_conn *c = xcalloc(1, sizeof(*c));
	c->base.ops = &store_pg_ops;
	c->base.owner = s;
	c->db = db;
	c->reader = !writer;
	return &c->base;
}

static void clear_values(pg_stmt *s)
{
	for (int i = 0; i < MAX_PARAMS; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
		s->is_int[i] = 0;
	}
}

static void free_stmt(pg_stmt *s)
{
	PQclear(s->res);
	clear_values(s);
	free(s->sql);
	free(s);
}

static void pg_conn_close(store_conn *base)
{
	pg_conn *c = conn_of(base);
	for (int i = 0; i < c->n_cached; i++)
		free_stmt(c->cache[i]);
	PQfinish(c->db);
	free(c);
}

static unsigned hash_sql(const char *sql)
{
	unsigned h = 2166136261u;
	for (const char *p = sql; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/* The highest $n in sql, and which occur (parameters are never inside
 * string literals here); -1 when one is above MAX_PARAMS. */
static int count_params(const char *sql, uint32_t *used)
{
	int highest = 0;
	*used = 0;
	for (const char *p = strchr(sql, '$'); p; p = strchr(p + 1, '$')) {
		long n = strtol(p + 1, NULL, 10);
		if (n > MAX_PARAMS)
			return -1;
		if (n < 1)
			continue;
		*used |= 1u << (n - 1);
		if (n > highest)
			highest = (int)n;
	}
	return highest;
}

static store_stmt *pg_prepare(store_conn *base, const char *sql)
{
	pg_conn *c = conn_of(base);
	unsigned h = hash_sql(sql);
	for (int i = 0; i < c->n_cached; i++)
		if (c->cache[i]->hash == h && strcmp(c->cache[i]->sql, sql) == 0)
			return &c->cache[i]->base;
	pg_stmt *s = xcalloc(1, sizeof(*s));
	s->base.conn = base;
	s->sql = xstrdup(sql);
	s->hash = h;
	s->n_params = count_params(sql, &s->used);
	if (s->n_params < 0) {
		log_error("store.prepare_failed", LOG_S("error", "more than 32 parameters"),
			  LOG_S("sql", sql));
		free(s->sql);
		free(s);
		return NULL;
	}
	s->transient = c->n_cached == STMT_CACHE;
	/* A generic plan for a full-text query cannot know how rare the words
	 * are and walks the whole table for a rare one; plan it for its words. */
	s->plan_each_time = strstr(sql, "cluetrain_query(") != NULL;
	s->row = -1;
	if (!s->transient) {
		s->cache_index = c->n_cached;
		c->cache[c->n_cached++] = s;
	}
	return &s->base;
}

static void set_value(pg_stmt *s, int n, char *value, int is_int)
{
	if (n < 1 || n > MAX_PARAMS) {
		free(value);
		return;
	}
	free(s->values[n - 1]);
	s->values[n - 1] = value;
	s->is_int[n - 1] = is_int;
}

static void pg_bind_int(store_stmt *st, int n, int64_t v)
{
	char text[24];
	snprintf(text, sizeof(text), "%lld", (long long)v);
	set_value(stmt_of(st), n, xstrdup(text), 1);
}

static void pg_bind_textn(store_stmt *st, int n, const char *text, size_t len)
{
	/* Text parameters travel NUL-terminated; PostgreSQL text holds no NUL. */
	char *copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	set_value(stmt_of(st), n, copy, 0);
}

static void pg_bind_null(store_stmt *st, int n)
{
	set_value(stmt_of(st), n, NULL, 0);
}

/* Prepare s on the server, declaring integer parameters bigint, leaving the
 * others to inference, and parameters the text skips text (a type is needed). */
static int prepare_on_server(pg_conn *c, pg_stmt *s, const char *name)
{
	unsigned int types[MAX_PARAMS];
	for (int i = 0; i < s->n_params; i++)
		types[i] = !(s->used & (1u << i)) ? TEXTOID : s->is_int[i] ? INT8OID : 0;
	PGresult *res = PQprepare(c->db, name, s->sql, s->n_params, types);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok) {
		s->error = classify(c, res);
		log_error("store.prepare_failed", LOG_S("sql", s->sql));
	}
	PQclear(res);
	return ok;
}

/* Reset a broken connection; its server-side prepared statements are gone. */
static int reconnect(pg_conn *c)
{
	if (PQstatus(c->db) == CONNECTION_OK)
		return 1;
	PQreset(c->db);
	for (int i = 0; i < c->n_cached; i++)
		c->cache[i]->prepared = 0;
	if (PQstatus(c->db) != CONNECTION_OK) {
		log_error("store.pg_reconnect_failed", LOG_S("error", PQerrorMessage(c->db)));
		return 0;
	}
	PQsetClientEncoding(c->db, "UTF8");
	pg_exec_sql(c->db, "SET TIME ZONE 'UTC'");
	if (c->reader)
		pg_exec_sql(c->db, "SET default_transaction_read_only = on");
	log_warn("store.pg_reconnected");
	return 1;
}

/* 1 when a statement that just failed may be run again on a new connection. */
static int worth_retrying(pg_conn *c, int was_idle)
{
	return was_idle && PQstatus(c->db) == CONNECTION_BAD && reconnect(c);
}

static int execute_once(pg_conn *c, pg_stmt *s);

/* Run the statement with its bound values; the result is kept for step(). */
static int execute(pg_conn *c, pg_stmt *s)
{
	if (!reconnect(c)) {
		s->error = CT_ERR_STORE;
		return 0;
	}
	int idle = PQtransactionStatus(c->db) == PQTRANS_IDLE;
	if (execute_once(c, s))
		return 1;
	if (!worth_retrying(c, idle))
		return 0;
	PQclear(s->res);
	s->res = NULL;
	s->error = CT_OK;
	return execute_once(c, s);
}

static int execute_once(pg_conn *c, pg_stmt *s)
{
	char name[16];
	snprintf(name, sizeof(name), "s%d", s->cache_index);
	int unnamed = s->transient || s->plan_each_time;
	if (unnamed) /* the unnamed statement: planned afresh, replaced by the next one */
		name[0] = '\0';
	if ((!s->prepared || unnamed) && !prepare_on_server(c, s, name))
		return 0;
	s->prepared = 1;
	s->res = PQexecPrepared(c->db, name, s->n_params, (const char *const *)s->values, NULL,
				NULL, 0);
	ExecStatusType status = PQresultStatus(s->res);
	if (status == PGRES_TUPLES_OK) {
		s->n_rows = PQntuples(s->res);
		c->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
		return 1;
	}
	if (status == PGRES_COMMAND_OK) {
		s->n_rows = 0;
		c->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
		return 1;
	}
	s->error = classify(c, s->res);
	if (s->error == CT_ERR_STORE)
		log_error("store.step_failed", LOG_S("sql", s->sql));
	return 0;
}

static int pg_step(store_stmt *st)
{
	pg_stmt *s = stmt_of(st);
	if (!s->res && !execute(conn_of(st->conn), s))
		return STORE_ERROR;
	if (s->row + 1 < s->n_rows) {
		s->row++;
		return STORE_ROW;
	}
	s->row = s->n_rows;
	return STORE_DONE;
}

static int64_t pg_col_int(store_stmt *st, int col)
{
	pg_stmt *s = stmt_of(st);
	const char *v = PQgetvalue(s->res, s->row, col);
	if (v[0] == 't' && !v[1])
		return 1;
	return strtoll(v, NULL, 10); /* "f" and NULL ("") read as 0 */
}

static const char *pg_col_text(store_stmt *st, int col)
{
	pg_stmt *s = stmt_of(st);
	if (PQgetisnull(s->res, s->row, col))
		return NULL;
	return PQgetvalue(s->res, s->row, col);
}

static size_t pg_col_bytes(store_stmt *st, int col)
{
	pg_stmt *s = stmt_of(st);
	return (size_t)PQgetlength(s->res, s->row, col);
}

static int pg_col_is_null(store_stmt *st, int col)
{
	pg_stmt *s = stmt_of(st);
	return PQgetisnull(s->res, s->row, col);
}

static ct_err pg_stmt_error(store_stmt *st)
{
	return stmt_of(st)->error;
}

static void pg_reset(store_stmt *st)
{
	pg_stmt *s = stmt_of(st);
	if (s->transient) {
		free_stmt(s);
		return;
	}
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->n_rows = 0;
	s->error = CT_OK;
	clear_values(s);
}

static int64_t pg_changes(store_conn *c)
{
	return conn_of(c)->changes;
}

ct_err pg_exec_sql(PGconn *db, const char *sql)
{
	PGresult *res = PQexec(db, sql);
	ExecStatusType status = PQresultStatus(res);
	ct_err err = CT_OK;
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		err = state && strncmp(state, "23", 2) == 0 ? CT_ERR_CONFLICT : CT_ERR_STORE;
		log_error("store.exec_failed", LOG_S("state", state ? state : "?"),
			  LOG_S("error", PQresultErrorMessage(res)));
	}
	PQclear(res);
	return err;
}

static ct_err pg_exec(store_conn *base, const char *sql)
{
	pg_conn *c = conn_of(base);
	if (!reconnect(c))
		return CT_ERR_STORE;
	int idle = PQtransactionStatus(c->db) == PQTRANS_IDLE;
	PGresult *res = PQexec(c->db, sql);
	if (PQresultStatus(res) == PGRES_FATAL_ERROR && worth_retrying(c, idle)) {
		PQclear(res);
		res = PQexec(c->db, sql);
	}
	ExecStatusType status = PQresultStatus(res);
	ct_err err = CT_OK;
	c->retryable = 0;
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		err = classify(c, res);
	PQclear(res);
	return err;
}

static int pg_retryable(store_conn *c)
{
	return conn_of(c)->retryable;
}

static int applied_version(PGconn *db)
{
	PGresult *res = PQexec(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	int v = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
			? (int)strtol(PQgetvalue(res, 0, 0), NULL, 10)
			: -1;
	PQclear(res);
	return v;
}

static ct_err apply_migration(store_conn *c, const embedded_file *f, int version, buf *msg)
{
	PGconn *db = conn_of(c)->db;
	PGresult *res = PQexec(db, "BEGIN");
	PQclear(res);
	res = PQexec(db, (const char *)f->data);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		buf_printf(msg, "migration %s failed: %s", f->name, PQresultErrorMessage(res));
	PQclear(res);
	if (ok) {
		char v[16], at[24];
		snprintf(v, sizeof(v), "%d", version);
		snprintf(at, sizeof(at), "%lld", (long long)time_now_ms());
		const char *values[3] = {v, f->name, at};
		res = PQexecParams(db,
				   "INSERT INTO schema_migrations(version, name, applied_at)"
				   " VALUES ($1, $2, $3)",
				   3, NULL, values, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			buf_printf(msg, "migration %s failed: %s", f->name,
				   PQresultErrorMessage(res));
		PQclear(res);
	}
	if (!ok) {
		pg_exec_sql(db, "ROLLBACK");
		return CT_ERR_STORE;
	}
	return pg_exec_sql(db, "COMMIT");
}

static ct_err migrate_locked(store_conn *c, int *version, buf *msg)
{
	PGconn *db = conn_of(c)->db;
	if (pg_exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    "version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
			    " applied_at BIGINT NOT NULL)") != CT_OK) {
		buf_printf(msg, "cannot create schema_migrations: %s", PQerrorMessage(db));
		return CT_ERR_STORE;
	}
	int current = applied_version(db);
	if (current < 0) {
		buf_printf(msg, "cannot read schema_migrations: %s", PQerrorMessage(db));
		return CT_ERR_STORE;
	}
	return store_run_migrations(c, "postgres", current, apply_migration, version, msg);
}

static ct_err pg_migrate(store_conn *base, int *version, buf *msg)
{
	PGconn *db = conn_of(base)->db;
	char lock[96];
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%d)", MIGRATION_LOCK_KEY);
	if (pg_exec_sql(db, lock) != CT_OK) {
		buf_printf(msg, "cannot lock for migrations: %s", PQerrorMessage(db));
		return CT_ERR_STORE;
	}
	/* Quiet the server's notices ("relation exists, skipping"). */
	pg_exec_sql(db, "SET client_min_messages = warning");
	ct_err err = migrate_locked(base, version, msg);
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_unlock(%d)", MIGRATION_LOCK_KEY);
	pg_exec_sql(db, lock);
	return err;
}

/* One word on a line of its own, for cluetrain_query(). */
static void pg_fts_add_word(buf *param, const char *word, size_t len, int first)
{
	if (!first)
		buf_append(param, "\n", 1);
	buf_append(param, word, len);
}

/* Append conninfo (keyword='value' pairs) for url without its password;
 * the password (when there is one) into password. 0 when url is not valid. */
static int split_password(const char *url, buf *conninfo, buf *password)
{
	char *error = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &error);
	if (!opts) {
		PQfreemem(error);
		return 0;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			buf_append(password, o->val, strlen(o->val));
			continue;
		}
		buf_printf(conninfo, "%s%s='", conninfo->len ? " " : "", o->keyword);
		for (const char *v = o->val; *v; v++) {
			if (*v == '\\' || *v == '\'')
				buf_append(conninfo, "\\", 1);
			buf_append(conninfo, v, 1);
		}
		buf_append(conninfo, "'", 1);
	}
	PQconninfoFree(opts);
	return 1;
}

/* Run a program and wait; its exit status, -1 when it could not run. The
 * password travels in the environment (PGPASSWORD), never on the command
 * line, where other users could read it. stdout goes to out_path when set. */
static int run_tool(char *const argv[], const char *password, const char *out_path)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (password && *password)
			setenv("PGPASSWORD", password, 1);
		if (out_path && !freopen(out_path, "w", stdout))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The listing of a custom-format dump must name the messages table's data. */
static int dump_lists_messages(const char *list_path)
{
	FILE *f = fopen(list_path, "r");
	if (!f)
		return 0;
	char line[1024];
	int found = 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "TABLE DATA public messages ") != NULL;
	fclose(f);
	return found;
}

/* pg_dump in its custom format (one consistent snapshot while nodes keep
 * writing), then verified by pg_restore reading its table of contents. */
static ct_err pg_backup(store_conn *c, const char *database, const char *path, buf *msg)
{
	(void)c;
	buf conninfo, password, partial, list;
	buf_init(&conninfo, 4096);
	buf_init(&password, 256);
	buf_init(&partial, 4096);
	buf_init(&list, 4096);
	ct_err err = CT_ERR_IO;
	buf_printf(&partial, "%s.partial", path);
	buf_printf(&list, "%s.list", path);
	if (!split_password(database, &conninfo, &password)) {
		buf_printf(msg, "the database URL is not valid");
		goto out;
	}
	char *dump[] = {"pg_dump",
			"--format=custom",
			"--no-owner",
			"--file",
			(char *)buf_cstr(&partial),
			"--dbname",
			(char *)buf_cstr(&conninfo),
			NULL};
	int rc = run_tool(dump, buf_cstr(&password), NULL);
	if (rc != 0) {
		buf_printf(msg,
			   rc < 0 || rc == 127 ? "cannot run pg_dump (install postgresql-client)"
					       : "pg_dump failed (exit status %d)",
			   rc);
		goto out;
	}
	char *verify[] = {"pg_restore", "--list", (char *)buf_cstr(&partial), NULL};
	if (run_tool(verify, NULL, buf_cstr(&list)) != 0 || !dump_lists_messages(buf_cstr(&list))) {
		buf_printf(msg, "the backup %s failed its check by pg_restore", buf_cstr(&partial));
		goto out;
	}
	if (rename(buf_cstr(&partial), path) != 0) {
		buf_printf(msg, "cannot rename the backup to %s", path);
		goto out;
	}
	err = CT_OK;
out:
	unlink(buf_cstr(&list));
	if (err)
		unlink(buf_cstr(&partial));
	sodium_memzero(password.data, password.len);
	buf_free(&conninfo);
	buf_free(&password);
	buf_free(&partial);
	buf_free(&list);
	return err;
}

const store_ops store_pg_ops = {
	.name = "postgres",
	.begin_write = "BEGIN",
	.before_commit = "NOTIFY " PG_CHANNEL_CHANGED,
	.lock_clause = " FOR UPDATE SKIP LOCKED",
	.row_lock_clause = " FOR NO KEY UPDATE",
	.conn_open = pg_conn_open,
	.conn_close = pg_conn_close,
	.prepare = pg_prepare,
	.bind_int = pg_bind_int,
	.bind_textn = pg_bind_textn,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_int = pg_col_int,
	.col_text = pg_col_text,
	.col_bytes = pg_col_bytes,
	.col_is_null = pg_col_is_null,
	.stmt_error = pg_stmt_error,
	.reset = pg_reset,
	.changes = pg_changes,
	.exec = pg_exec,
	.retryable = pg_retryable,
	.migrate = pg_migrate,
	.fts_search_sql = "SELECT id FROM messages WHERE tsv @@ cluetrain_query($1) AND id < $2"
			  " ORDER BY id DESC LIMIT $3",
	.fts_filter_format = "c.id IN (SELECT m.conversation_id FROM messages m"
			     " WHERE m.tsv @@ cluetrain_query($%d))",
	.fts_add_word = pg_fts_add_word,
	.backup = pg_backup,
};

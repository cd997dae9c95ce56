/*
 * backend.h: what a database backend implements for store.c (internal to store/).
 *
 * store.c owns the parts that are the same for every backend (the writer
 * thread with group commit, the reader pool, the public functions); a backend
 * (sqlite.c, pg.c) fills a store_ops table. Backend connection and
 * statement structs begin with the base structs below.
 */
#ifndef CT_STORE_BACKEND_H
#define CT_STORE_BACKEND_H

#include "store/store.h"

typedef struct store_ops store_ops;

/* Failures that another node's concurrent transaction can cause, and what
 * resolves them (only with several nodes, i.e. PostgreSQL). */
enum store_retry {
	STORE_RETRY_NONE = 0,
	STORE_RETRY_TRANSACTION, /* a deadlock or serialisation failure: run the group again */
	STORE_RETRY_FUNCTION,    /* a unique key another node inserted meanwhile: run the
				    failed write function once more, which now finds the row */
};

struct store_conn {
	const store_ops *ops;
	store *owner;
	struct store_conn *next_free; /* reader pool link */
};

struct store_stmt {
	store_conn *conn;
};

struct store_ops {
	const char *name;
	const char *begin_write;     /* starts a write transaction */
	const char *before_commit;   /* run last in each write transaction, or NULL */
	const char *lock_clause;     /* see store_lock_clause() */
	const char *row_lock_clause; /* see store_row_lock_clause() */
	/* Open one connection; writer=1 for the writer. NULL with *msg on error. */
	store_conn *(*conn_open)(store *s, const store_options *opt, int writer, buf *msg);
	void (*conn_close)(store_conn *c);
	store_stmt *(*prepare)(store_conn *c, const char *sql);
	void (*bind_int)(store_stmt *st, int n, int64_t v);
	void (*bind_textn)(store_stmt *st, int n, const char *text, size_t len);
	void (*bind_null)(store_stmt *st, int n);
	int (*step)(store_stmt *st);
	int64_t (*col_int)(store_stmt *st, int col);
	const char *(*col_text)(store_stmt *st, int col);
	size_t (*col_bytes)(store_stmt *st, int col);
	int (*col_is_null)(store_stmt *st, int col);
	ct_err (*stmt_error)(store_stmt *st);
	void (*reset)(store_stmt *st);
	int64_t (*changes)(store_conn *c);
	ct_err (*exec)(store_conn *c, const char *sql);
	/* What resolves the last failure on c (see enum store_retry). NULL: never. */
	int (*retryable)(store_conn *c);
	/* Bring the schema up to date on the writer connection. */
	ct_err (*migrate)(store_conn *c, int *version, buf *msg);
	/* Full-text search (store.c runs it): the search query ($1 the words,
	 * $2 below this id, $3 the limit: message ids, newest first); the filter
	 * for a list of conversations c, a format with one %d for the
	 * parameter; and how the user's words are put into the parameter
	 * (fts_add_word appends one searchable word; first: none before it). */
	const char *fts_search_sql;
	const char *fts_filter_format;
	void (*fts_add_word)(buf *param, const char *word, size_t len, int first);
	/* database: the store's database setting (the SQLite path or the URL). */
	ct_err (*backup)(store_conn *c, const char *database, const char *path, buf *msg);
};

extern const store_ops store_sqlite_ops;
extern const store_ops store_pg_ops;

#include "core/embedded.h"

/* Apply one migration file (its SQL and the row in schema_migrations). */
typedef ct_err (*store_migration_fn)(store_conn *c, const embedded_file *f, int version, buf *msg);

/*
 * Apply, in order, the embedded migrations "store/sql/DIR/NNN_*.sql" numbered
 * above current; *version is the number reached. CT_ERR_CONFLICT when the
 * database is newer than every migration this program has.
 */
ct_err store_run_migrations(store_conn *c, const char *dir, int current, store_migration_fn apply,
			    int *version, buf *msg);

/* A committed write happened elsewhere (another node): cached answers are stale. */
void store_bump_generation(store *s);

/* The events of every node sharing the database (pg_events.c); NULL for a
 * backend without them. store_close stops it. */
typedef struct store_events store_events;
void store_events_stop(store_events *e);

#endif

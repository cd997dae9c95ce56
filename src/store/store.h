/*
 * store.h: the one interface through which the program reads and writes data.
 *
 * Nothing outside store/ knows which database is behind it. Queries are
 * written once with $1..$n placeholders, which both SQLite (bound by name) and
 * PostgreSQL (natively) understand. Times are integer ms since the epoch.
 *
 * Concurrency model:
 * - Reads take a connection from a bounded pool (store_reader_acquire) and
 *   give it back (store_reader_release). A thread holds at most one.
 * - Writes never touch a connection directly: store_write() hands a function
 *   to the single writer thread, which runs queued functions together in one
 *   transaction, each inside its own savepoint, commits durably (fsync), and
 *   only then returns to every caller. This is group commit: durability costs
 *   one fsync per group, not per request, and a failing function rolls back
 *   only its own savepoint.
 * - What differs between backends (full-text search, backup) sits behind the
 *   small functions at the end of this header.
 *
 * Backends: SQLite (a file; one node) or PostgreSQL (a postgres:// URL; any
 * number of nodes on one database). With PostgreSQL every node has its own
 * writer thread and pool; the database keeps them consistent, and the
 * functions under "Several nodes" below carry what must reach every node.
 */
#ifndef CT_STORE_H
#define CT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct store store;
typedef struct store_conn store_conn;
typedef struct store_stmt store_stmt;

enum { STORE_ERROR = -1, STORE_DONE = 0, STORE_ROW = 1 };

typedef struct store_options {
	const char *database; /* path of the SQLite file, or a postgres:// URL */
	int readers;          /* size of the read pool */
	int create;           /* 1: create the database if missing */
} store_options;

/* 1 when database names a PostgreSQL database (postgres:// or postgresql://),
 * 0 for a file path. */
int store_is_url(const char *database);

/*
 * Open the database, run pending migrations, start the writer thread.
 * On failure returns an error and a message in *msg; *out is NULL.
 * The caller owns *out and frees it with store_close.
 */
ct_err store_open(const store_options *opt, store **out, buf *msg);

/* Stop the writer (after it finished what was queued) and close everything. */
void store_close(store *s);

/* A read connection from the pool; blocks while all are in use. */
store_conn *store_reader_acquire(store *s);
void store_reader_release(store *s, store_conn *c);

/*
 * A write: fn(conn, ctx) runs on the writer thread inside a savepoint of a
 * group transaction. Its return value is returned here after the commit is
 * durable; when fn fails, its changes are rolled back and the rest of the
 * group is unaffected. CT_ERR_STORE when the commit itself failed. fn may run
 * more than once (a replay with savepoints; with several nodes, a group that
 * lost a deadlock runs again one request per transaction), so it sets its
 * outputs afresh; taking contended row locks in one global order keeps it
 * from deadlocking again (see store.c).
 */
typedef ct_err (*store_write_fn)(store_conn *c, void *ctx);
ct_err store_write(store *s, store_write_fn fn, void *ctx);

/*
 * A prepared statement for sql on c, cached per connection by its text.
 * SQL may be assembled from fixed fragments, never from input: values are
 * always bound. NULL on a syntax error (logged). Call store_reset exactly
 * once when done with it (it may free the statement).
 */
store_stmt *store_prepare(store_conn *c, const char *sql);

/* Bind parameter $n (1-based). text NULL binds SQL NULL. */
void store_bind_int(store_stmt *st, int n, int64_t v);
void store_bind_text(store_stmt *st, int n, const char *text);
void store_bind_textn(store_stmt *st, int n, const char *text, size_t len);
void store_bind_null(store_stmt *st, int n);

/* Next row: STORE_ROW, STORE_DONE or STORE_ERROR (see store_stmt_error). */
int store_step(store_stmt *st);

/* Column values of the current row (0-based). Text is NULL for SQL NULL and
 * valid until the next step or reset; it is owned by the statement. */
int64_t store_col_int(store_stmt *st, int col);
const char *store_col_text(store_stmt *st, int col);
size_t store_col_bytes(store_stmt *st, int col);
int store_col_is_null(store_stmt *st, int col);

/* The error of the last failed step: CT_ERR_CONFLICT for a constraint,
 * CT_ERR_STORE otherwise. The message is logged by store_step. */
ct_err store_stmt_error(store_stmt *st);

/* Finish with a statement: reset it and clear its bindings. */
void store_reset(store_stmt *st);

/* Step once expecting no row, then reset. For INSERT/UPDATE/DELETE. */
ct_err store_run(store_stmt *st);

/* Step once expecting one row holding an integer (e.g. RETURNING id). The
 * statement is reset. CT_ERR_NOT_FOUND when there is no row. */
ct_err store_one_int(store_stmt *st, int64_t *out);

/* Rows changed by the last INSERT/UPDATE/DELETE on c. */
int64_t store_changes(store_conn *c);

/* Run SQL text without parameters (may hold several statements). */
ct_err store_exec(store_conn *c, const char *sql);

/* A number that rises with every committed write (0 at open). A value
 * computed from the store stays valid while this has not changed, which
 * lets read answers be cached exactly. */
uint64_t store_generation(store *s);

/* The schema version after migrations (highest applied number). */
int store_schema_version(store *s);

/*
 * Full-text search: ids of messages matching the user's words in q, newest
 * first, below before_id (0: from the newest), at most limit of them, into
 * ids (room for limit). Words are matched by their German stem. *n is the
 * count found. CT_ERR_INVALID when q holds no searchable word.
 */
ct_err store_fts_search(store_conn *c, const char *q, int64_t before_id, int limit, int64_t *ids,
			int *n);

/*
 * For a list of conversations (alias c) filtered by full text: appends to
 * sql a condition that holds for conversations with a message matching q,
 * using parameter $param, and puts the value to bind there into bind.
 * CT_ERR_INVALID when q holds no searchable word.
 */
ct_err store_fts_conversation_filter(store_conn *c, const char *q, int param, buf *sql, buf *bind);

/*
 * For a query that claims rows for work (SELECT ... LIMIT n): the clause to
 * append so that concurrent nodes skip rows another node holds
 * (" FOR UPDATE SKIP LOCKED" on PostgreSQL, "" on SQLite, where the single
 * writer serialises claims anyway).
 */
const char *store_lock_clause(store_conn *c);

/*
 * For a SELECT from one table inside a write: the clause to append so that
 * the rows it returns stay locked until the commit, and a write of another
 * node that wants them waits (" FOR NO KEY UPDATE" on PostgreSQL, which still
 * lets rows refer to them; "" on SQLite, where the single writer holds the
 * whole database anyway).
 */
const char *store_row_lock_clause(store_conn *c);

/* ---- Several nodes ------------------------------------------------------ */

/* The name of the backend: "sqlite" or "postgres". */
const char *store_backend_name(store *s);

/* 1 when other processes may write to the same database (PostgreSQL). */
int store_is_shared(store *s);

/*
 * Live events of every node. fn(ctx, seq, type, data) is called on a store
 * thread for each event sent by any node on this database (this one too),
 * in the same order and with the same rising seq on every node. *last is the
 * seq of the newest event sent before this call. Also keeps
 * store_generation() current with the writes of other nodes.
 * CT_ERR_INVALID for a backend that is not shared (SQLite).
 */
typedef void (*store_event_fn)(void *ctx, uint64_t seq, const char *type, const char *data);
ct_err store_events_start(store *s, store_event_fn fn, void *ctx, uint64_t *last);

/* Send an event to every node (after store_events_start). Returns at once;
 * a store thread sends it. type has no spaces; data is one line of JSON. */
void store_event_send(store *s, const char *type, const char *data);

/* Online backup of the whole database into path, then verified by opening it
 * and checking its integrity. */
ct_err store_backup(store *s, const char *path, buf *msg);

/* ---- Search hits ------------------------------------------------------ */

/*
 * Where the words of q occur in text, as full-text search matches them (by
 * German stem: "Stromausfall" finds "Stromausfälle", "zähler" finds
 * "Zähler"; other words, compounds included, are not hits): the byte ranges
 * [starts[i], ends[i]) of those words, sorted and not overlapping, at most
 * max of them, into the caller's arrays. Returns how many were stored.
 * Needs no connection (fts_stem.c).
 */
size_t store_text_hits(const char *q, const char *text, size_t *starts, size_t *ends, size_t max);

#endif

/*
 * backend.h: what a database backend implements for store.c (internal to store/).
 *
 * store.c owns the parts that are the same for every backend (the writer
 * thread with group commit, the reader pool, the public functions); a backend
 * (sqlite.c, later pg.c) fills a store_ops table. Backend connection and
 * statement structs begin with the base structs below.
 */
#ifndef CT_STORE_BACKEND_H
#define CT_STORE_BACKEND_H

#include "store/store.h"

typedef struct store_ops store_ops;

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
	/* Bring the schema up to date on the writer connection. */
	ct_err (*migrate)(store_conn *c, int *version, buf *msg);
	ct_err (*fts_search)(store_conn *c, const char *q, int64_t before_id, int limit,
			     int64_t *ids, int *n);
	ct_err (*fts_conversation_filter)(store_conn *c, const char *q, int param, buf *sql,
					  buf *bind);
	ct_err (*backup)(store_conn *c, const char *path, buf *msg);
};

extern const store_ops store_sqlite_ops;

#endif

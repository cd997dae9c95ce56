/*
 * migrate_plan.h: what `cluetrain migrate-data` knows of the tables it
 * copies (internal to src/cli/).
 *
 * migrate_plan.c reads the SQLite source's schema into a plan: the tables in
 * copying order (a table after the tables its foreign keys reference), their
 * columns and keys, and reads a table's rows in key order from either side;
 * migrate_data.c copies and checks them.
 */
#ifndef CT_CLI_MIGRATE_PLAN_H
#define CT_CLI_MIGRATE_PLAN_H

#include "store/store.h"

#define PAGE_ROWS 1000 /* rows per read of a table with an id */
#define MAX_COLS 32    /* one parameter per column; the store binds $1..$32 */
#define MAX_TABLES 64
#define NAME_MAX_LEN 63 /* PostgreSQL's identifier length */

/* One table: its columns in the source's order, its key, its references. */
typedef struct table {
	char *name;
	int n_cols;
	char *cols[MAX_COLS];
	int is_text[MAX_COLS]; /* declared as text: ordered by bytes on both sides */
	int key[MAX_COLS];     /* the primary key's columns (indexes), in key order */
	int n_key;
	int id_col;             /* the integer primary key "id", or -1 */
	char *refs[MAX_TABLES]; /* the tables its foreign keys reference */
	int n_refs;
	long long rows; /* in the source */
	char *insert_sql;
} table;

/* Every table to copy, in copying order (referenced tables first). */
typedef struct migrate_plan {
	table *t[MAX_TABLES];
	int n;
	long long total_rows;
} migrate_plan;

/* Called for each row of a table read in key order; an error stops the read. */
typedef ct_err (*row_fn)(void *ctx, store_stmt *st, const table *t);

/* Fill p with every table of the source c, in copying order. 0 (and a
 * message on stderr) when the schema cannot be read or ordered. The caller
 * frees p's tables with migrate_plan_free. */
int migrate_plan_load(store_conn *c, migrate_plan *p);
void migrate_plan_free(migrate_plan *p);

/* Append name in double quotes to sql (names are checked to be plain when
 * the plan is loaded; "before", "key" and the like are keywords). */
void migrate_put_name(buf *sql, const char *name);

/* Read every row of t on c (pg: the PostgreSQL side) in key order, calling
 * fn for each; fn's error stops the read and is returned. */
ct_err migrate_read_table(store_conn *c, int pg, const table *t, row_fn fn, void *ctx);

#endif

/*
 * migrate_plan.c: the source's schema as `cluetrain migrate-data` copies it
 * (see migrate_plan.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/migrate_plan.h"
#include "core/i18n.h"

/* The SQLite tables to copy: not the migration bookkeeping, not SQLite's own
 * (sqlite_sequence, sqlite_stat1), not a virtual table (the FTS5 index
 * messages_fts) nor its shadow tables (messages_fts_data, ...). */
static const char SQL_TABLES[] =
	"SELECT t.name FROM sqlite_master t WHERE t.type = 'table'"
	" AND t.name <> 'schema_migrations' AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	" AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table'"
	" AND v.sql LIKE 'CREATE VIRTUAL TABLE%'"
	" AND (t.name = v.name OR substr(t.name, 1, length(v.name) + 1) = v.name || '_'))"
	" ORDER BY t.name";
static const char SQL_COLUMNS[] = "SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid";
static const char SQL_REFERENCES[] = "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)";

/* ---- Names and SQL text ------------------------------------------------- */

/* 1 when name is a plain lower-case SQL name (safe to quote into SQL text,
 * and the same in SQLite and PostgreSQL). */
static int plain_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return 0;
	return 1;
}

/* Append name in double quotes ("before", "key" and the like are keywords). */
void migrate_put_name(buf *sql, const char *name)
{
	buf_printf(sql, "\"%s\"", name);
}

/* Append the column list "a", "b", ... of t. */
static void put_columns(buf *sql, const table *t)
{
	for (int i = 0; i < t->n_cols; i++) {
		if (i)
			buf_puts(sql, ", ");
		migrate_put_name(sql, t->cols[i]);
	}
}

/* Append the ORDER BY of t: its key, or every column when it has none. Text
 * is ordered by bytes on PostgreSQL too (COLLATE "C"), as SQLite does. */
static void put_order(buf *sql, const table *t, int pg)
{
	buf_puts(sql, " ORDER BY ");
	int n = t->n_key ? t->n_key : t->n_cols;
	for (int i = 0; i < n; i++) {
		int col = t->n_key ? t->key[i] : i;
		if (i)
			buf_puts(sql, ", ");
		migrate_put_name(sql, t->cols[col]);
		if (pg && t->is_text[col])
			buf_puts(sql, " COLLATE \"C\"");
		if (!t->n_key)
			buf_puts(sql, " NULLS FIRST");
	}
}

/* The SELECT that reads t in key order into sql; with an id, one page after
 * $1 of at most $2 rows. pg: for the PostgreSQL side. */
static void build_select(buf *sql, const table *t, int pg)
{
	buf_puts(sql, "SELECT ");
	put_columns(sql, t);
	buf_puts(sql, " FROM ");
	migrate_put_name(sql, t->name);
	if (t->id_col >= 0) {
		buf_puts(sql, " WHERE ");
		migrate_put_name(sql, t->cols[t->id_col]);
		buf_puts(sql, " > $1");
	}
	put_order(sql, t, pg);
	if (t->id_col >= 0)
		buf_puts(sql, " LIMIT $2");
}

/* The INSERT of one row of t with every column; the caller owns the text. */
static char *build_insert(const table *t)
{
	buf sql;
	buf_init(&sql, 0);
	buf_puts(&sql, "INSERT INTO ");
	migrate_put_name(&sql, t->name);
	buf_puts(&sql, " (");
	put_columns(&sql, t);
	buf_puts(&sql, ") VALUES (");
	for (int i = 0; i < t->n_cols; i++)
		buf_printf(&sql, "%s$%d", i ? ", " : "", i + 1);
	buf_puts(&sql, ")");
	return buf_detach(&sql, NULL);
}

/* ---- Reading the source's schema ---------------------------------------- */

/* Free t and everything it owns. */
static void table_free(table *t)
{
	if (!t)
		return;
	free(t->name);
	for (int i = 0; i < t->n_cols; i++)
		free(t->cols[i]);
	for (int i = 0; i < t->n_refs; i++)
		free(t->refs[i]);
	free(t->insert_sql);
	free(t);
}

/* Free every table of p. */
void migrate_plan_free(migrate_plan *p)
{
	for (int i = 0; i < p->n; i++)
		table_free(p->t[i]);
	p->n = 0;
}

/* 1 when a column declared as type holds text (SQLite's affinity rule). */
static int text_affinity(const char *type)
{
	return type &&
	       (strcasestr(type, "CHAR") || strcasestr(type, "CLOB") || strcasestr(type, "TEXT"));
}

/* Read t's columns, which of them are text, and its key. Prints why not. */
static int load_columns(store_conn *c, table *t)
{
	store_stmt *st = store_prepare(c, SQL_COLUMNS);
	if (!st)
		return CLI_FAILED;
	store_bind_text(st, 1, t->name);
	int rc = CLI_OK, pk_pos[MAX_COLS] = {0};
	while (rc == CLI_OK && store_step(st) == STORE_ROW) {
		const char *name = store_col_text(st, 0), *type = store_col_text(st, 1);
		if (t->n_cols == MAX_COLS || !plain_name(name)) {
			cli_error(_("table %s: column '%s' cannot be copied (more than %d columns, "
				    "or not a plain lower-case name)"),
				  t->name, name ? name : "", MAX_COLS);
			rc = CLI_FAILED;
			break;
		}
		int i = t->n_cols++;
		t->cols[i] = xstrdup(name);
		t->is_text[i] = text_affinity(type);
		pk_pos[i] = (int)store_col_int(st, 2);
		if (pk_pos[i] > 0)
			t->n_key++;
	}
	store_reset(st);
	/* pragma_table_info's pk is the column's position in the key (1-based). */
	for (int i = 0; rc == CLI_OK && i < t->n_cols; i++)
		if (pk_pos[i] > 0 && pk_pos[i] <= t->n_key)
			t->key[pk_pos[i] - 1] = i;
	if (rc == CLI_OK && t->n_key == 1 && strcmp(t->cols[t->key[0]], "id") == 0 &&
	    !t->is_text[t->key[0]])
		t->id_col = t->key[0];
	if (rc == CLI_OK && t->n_cols == 0) {
		cli_error(_("cannot read the columns of table %s"), t->name);
		rc = CLI_FAILED;
	}
	return rc;
}

/* Read the names of the tables t's foreign keys reference. */
static int load_references(store_conn *c, table *t)
{
	store_stmt *st = store_prepare(c, SQL_REFERENCES);
	if (!st)
		return CLI_FAILED;
	store_bind_text(st, 1, t->name);
	int rc;
	while ((rc = store_step(st)) == STORE_ROW && t->n_refs < MAX_TABLES) {
		const char *ref = store_col_text(st, 0);
		if (ref && strcmp(ref, t->name) != 0) /* a row may refer to its own table */
			t->refs[t->n_refs++] = xstrdup(ref);
	}
	store_reset(st);
	return rc == STORE_ERROR ? CLI_FAILED : CLI_OK;
}

/* Count t's rows in the source. */
static int count_rows(store_conn *c, table *t)
{
	buf sql;
	buf_init(&sql, 0);
	buf_puts(&sql, "SELECT count(*) FROM ");
	migrate_put_name(&sql, t->name);
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	int64_t n = 0;
	ct_err err = st ? store_one_int(st, &n) : CT_ERR_STORE;
	buf_free(&sql);
	t->rows = n;
	if (err)
		cli_error(_("cannot count the rows of table %s"), t->name);
	return err ? CLI_FAILED : CLI_OK;
}

/* A new table named name with its columns, key, references and row count
 * read from the source; NULL after printing why not. The caller owns it. */
static table *load_table(store_conn *c, const char *name)
{
	if (!plain_name(name)) {
		cli_error(_("table '%s' cannot be copied: not a plain lower-case name"), name);
		return NULL;
	}
	table *t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->id_col = -1;
	if (load_columns(c, t) != CLI_OK || load_references(c, t) != CLI_OK ||
	    count_rows(c, t) != CLI_OK) {
		table_free(t);
		return NULL;
	}
	t->insert_sql = build_insert(t);
	return t;
}

/* The names of the tables to copy, into names (the caller frees each). */
static int list_tables(store_conn *c, char **names, int *n)
{
	store_stmt *st = store_prepare(c, SQL_TABLES);
	if (!st)
		return CLI_FAILED;
	int rc;
	*n = 0;
	while ((rc = store_step(st)) == STORE_ROW && *n < MAX_TABLES)
		names[(*n)++] = xstrdup(store_col_text(st, 0));
	store_reset(st);
	if (rc == STORE_ROW)
		cli_error(_("the source has more than %d tables"), MAX_TABLES);
	else if (rc == STORE_ERROR)
		cli_error(_("cannot read the tables of the source"));
	return rc == STORE_DONE ? CLI_OK : CLI_FAILED;
}

/* 1 when every table that t references (and that is copied) is in placed. */
static int references_placed(const table *t, table *const *all, int n_all, const int *placed)
{
	for (int r = 0; r < t->n_refs; r++)
		for (int j = 0; j < n_all; j++)
			if (strcmp(all[j]->name, t->refs[r]) == 0 && !placed[j])
				return 0;
	return 1;
}

/* Put the tables of p in an order where referenced tables come first
 * (among the tables ready, by name). Fails on a cycle of references. */
static int order_tables(migrate_plan *p)
{
	table *in[MAX_TABLES];
	int placed[MAX_TABLES] = {0}, n = p->n;
	memcpy(in, p->t, sizeof(table *) * (size_t)n);
	for (int k = 0; k < n; k++) {
		int next = -1;
		for (int j = 0; j < n && next < 0; j++)
			if (!placed[j] && references_placed(in[j], in, n, placed))
				next = j;
		if (next < 0) {
			cli_error(_("the foreign keys of the source's tables form a cycle"));
			return CLI_FAILED;
		}
		placed[next] = 1;
		p->t[k] = in[next];
	}
	return CLI_OK;
}

/* Fill p with every table of the source, in copying order. */
int migrate_plan_load(store_conn *c, migrate_plan *p)
{
	char *names[MAX_TABLES];
	int n = 0, rc = list_tables(c, names, &n);
	for (int i = 0; i < n; i++) {
		table *t = rc == CLI_OK ? load_table(c, names[i]) : NULL;
		if (t) {
			p->t[p->n++] = t;
			p->total_rows += t->rows;
		} else {
			rc = CLI_FAILED;
		}
		free(names[i]);
	}
	if (rc == CLI_OK && p->n == 0) {
		cli_error(_("the source holds no tables"));
		rc = CLI_FAILED;
	}
	return rc == CLI_OK ? order_tables(p) : rc;
}

/* ---- Reading rows -------------------------------------------------------- */

/* Read every row of t on c in key order, calling fn for each; a table with
 * an id is read in pages, so that no side holds it whole in memory. */
ct_err migrate_read_table(store_conn *c, int pg, const table *t, row_fn fn, void *ctx)
{
	buf sql;
	buf_init(&sql, 0);
	build_select(&sql, t, pg);
	int paged = t->id_col >= 0;
	int64_t after = INT64_MIN;
	ct_err err = CT_OK;
	for (;;) {
		store_stmt *st = store_prepare(c, buf_cstr(&sql));
		if (!st) {
			err = CT_ERR_STORE;
			break;
		}
		if (paged) {
			store_bind_int(st, 1, after);
			store_bind_int(st, 2, PAGE_ROWS);
		}
		int rows = 0, rc = STORE_DONE;
		while (!err && (rc = store_step(st)) == STORE_ROW) {
			rows++;
			if (paged)
				after = store_col_int(st, t->id_col);
			err = fn(ctx, st, t);
		}
		if (!err && rc == STORE_ERROR)
			err = store_stmt_error(st);
		store_reset(st);
		if (err || !paged || rows < PAGE_ROWS)
			break;
	}
	buf_free(&sql);
	return err;
}

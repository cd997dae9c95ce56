/*
 * migrate_data.c: `cluetrain migrate-data --from sqlite:PATH --to postgres://...`
 * moves a whole installation from its SQLite file into an empty PostgreSQL
 * database.
 *
 * Both databases are opened through the store; the destination's migrations
 * create its schema. The tables are found in the SQLite schema (without the
 * migration bookkeeping, SQLite's own tables and the full-text index, which
 * PostgreSQL computes itself), ordered so that a table comes after the tables
 * its foreign keys reference, and copied with their ids in key order, in
 * batches of BATCH_ROWS rows per destination transaction. Every value
 * travels as text or NULL; PostgreSQL converts it to the column's type. Then
 * each identity sequence is set past the highest id, and every table is read
 * again from both sides in the same order and compared by its row count and
 * a BLAKE2b checksum of its values.
 *
 * The source is read inside one read transaction, so the copy and the check
 * see one snapshot; writes made after it began are not copied, so the server
 * should be stopped first. Refused before any row is written: different
 * schema versions, a destination table that holds rows, a column the
 * destination lacks. The configuration is left alone: the command prints how
 * to switch to the new database.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/i18n.h"
#include "core/timeutil.h"

#define BATCH_ROWS 1000               /* rows per destination transaction */
#define BATCH_BYTES ((size_t)8 << 20) /* or fewer, when their values are large */
#define BLOCK_ROWS 1000               /* rows per partial checksum, to locate a difference */
#define NULL_MARK UINT64_MAX          /* hashed in place of a NULL value's length */
#include "cli/migrate_plan.h"

static const char SQL_DEST_COLUMNS[] = "SELECT column_name FROM information_schema.columns"
				       " WHERE table_schema = current_schema() AND table_name = $1";

/* The rows waiting to be inserted into one table. */
typedef struct batch {
	store *dst;
	const table *t;
	int rows;
	buf data;     /* the values, each followed by a NUL */
	size_t *off;  /* per value: offset in data, or SIZE_MAX for NULL */
	size_t *len;  /* per value: length in bytes */
	int failed;   /* the row whose INSERT failed, or -1 */
	int reported; /* a failure was printed already */
	cli_progress *progress;
} batch;

/* The checksum of BLOCK_ROWS consecutive rows (fewer in the last block), to
 * tell where two sides differ: by id, or by position in key order. */
typedef struct block {
	unsigned char sum[crypto_generichash_BYTES_MIN];
	long long first, last;
} block;

/* A running checksum of one side of a table, whole and per block. */
typedef struct digest {
	crypto_generichash_state state; /* every row */
	crypto_generichash_state part;  /* the rows of the current block */
	long long rows;
	long long unreported; /* rows not yet counted in progress */
	long long last_at;    /* the id (or position) of the last row */
	block *blocks;        /* owned */
	size_t n_blocks, cap_blocks;
	cli_progress *progress;
} digest;

/* The outcome of checking one table. */
typedef struct check {
	long long src_rows, dst_rows;
	int same_sum;
	int located; /* 1: differ_first..differ_last is the first block that differs */
	long long differ_first, differ_last;
} check;

/* ---- Copying ------------------------------------------------------------- */

/* A write function: INSERT every row of the batch (ctx). */
static ct_err insert_rows(store_conn *c, void *ctx)
{
	batch *b = ctx;
	int n = b->t->n_cols;
	b->failed = -1;
	for (int r = 0; r < b->rows; r++) {
		store_stmt *st = store_prepare(c, b->t->insert_sql);
		if (!st)
			return CT_ERR_STORE;
		for (int i = 0; i < n; i++) {
			size_t v = (size_t)r * (size_t)n + (size_t)i;
			if (b->off[v] == SIZE_MAX)
				store_bind_null(st, i + 1);
			else
				store_bind_textn(st, i + 1, b->data.data + b->off[v], b->len[v]);
		}
		ct_err err = store_run(st);
		if (err) {
			b->failed = r;
			return err;
		}
	}
	return CT_OK;
}

/* Print which row of the batch could not be inserted, and why. */
static void report_failed_row(const batch *b, ct_err err)
{
	const table *t = b->t;
	if (b->failed >= 0 && t->id_col >= 0) {
		size_t v = (size_t)b->failed * (size_t)t->n_cols + (size_t)t->id_col;
		cli_error(_("table %s: cannot insert the row with id %s: %s"), t->name,
			  b->data.data + b->off[v], err_code_name(err));
	} else {
		cli_error(_("table %s: cannot insert a row: %s"), t->name, err_code_name(err));
	}
}

/* Write the rows gathered in b in one transaction of the destination. */
static ct_err flush_batch(batch *b)
{
	if (b->rows == 0)
		return CT_OK;
	ct_err err = store_write(b->dst, insert_rows, b);
	if (err) {
		report_failed_row(b, err);
		b->reported = 1;
	} else
		cli_progress_step(b->progress, b->rows);
	b->rows = 0;
	buf_reset(&b->data);
	return err;
}

/* A row_fn: copy the row's values into the batch (ctx), writing it when full. */
static ct_err add_row(void *ctx, store_stmt *st, const table *t)
{
	batch *b = ctx;
	for (int i = 0; i < t->n_cols; i++) {
		size_t v = (size_t)b->rows * (size_t)t->n_cols + (size_t)i;
		b->off[v] = SIZE_MAX;
		b->len[v] = 0;
		if (store_col_is_null(st, i))
			continue;
		const char *text = store_col_text(st, i);
		size_t len = store_col_bytes(st, i);
		b->off[v] = b->data.len;
		b->len[v] = len;
		if (buf_append(&b->data, text ? text : "", len) != CT_OK ||
		    buf_append(&b->data, "", 1) != CT_OK) {
			cli_error(_("table %s: a row is too large to copy"), t->name);
			b->reported = 1;
			return CT_ERR_TOO_LARGE;
		}
	}
	b->rows++;
	if (b->rows == BATCH_ROWS || b->data.len >= BATCH_BYTES)
		return flush_batch(b);
	return CT_OK;
}

/* Copy every row of t from the source (c) into the destination. */
static ct_err copy_table(store_conn *c, store *dst, const table *t, cli_progress *progress)
{
	batch b = {.dst = dst, .t = t, .failed = -1, .progress = progress};
	buf_init(&b.data, 0);
	b.off = xcalloc((size_t)BATCH_ROWS * MAX_COLS, sizeof(size_t));
	b.len = xcalloc((size_t)BATCH_ROWS * MAX_COLS, sizeof(size_t));
	ct_err err = migrate_read_table(c, 0, t, add_row, &b);
	if (!err)
		err = flush_batch(&b);
	if (err && !b.reported)
		cli_error(_("table %s: cannot read the source: %s"), t->name, err_code_name(err));
	buf_free(&b.data);
	free(b.off);
	free(b.len);
	return err;
}

/* A write function: set the identity sequence of the table (ctx) past its
 * highest id, so that new rows get new ids (PostgreSQL only). */
static ct_err set_sequence(store_conn *c, void *ctx)
{
	const table *t = ctx;
	buf sql;
	buf_init(&sql, 0);
	buf_puts(&sql, "SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce(max(");
	migrate_put_name(&sql, t->cols[t->id_col]);
	buf_puts(&sql, "), 0) + 1, false) FROM ");
	migrate_put_name(&sql, t->name);
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	ct_err err = CT_ERR_STORE;
	if (st) {
		store_bind_text(st, 1, t->name);
		err = store_step(st) == STORE_ERROR ? store_stmt_error(st) : CT_OK;
		store_reset(st);
	}
	buf_free(&sql);
	return err;
}

/* Copy every table of p in order, then set the sequences. */
static int copy_all(store_conn *c, store *dst, const migrate_plan *p)
{
	cli_progress progress;
	cli_progress_start(&progress, _("copy"), p->total_rows);
	ct_err err = CT_OK;
	for (int i = 0; !err && i < p->n; i++)
		err = copy_table(c, dst, p->t[i], &progress);
	cli_progress_end(&progress);
	for (int i = 0; !err && i < p->n; i++)
		if (p->t[i]->id_col >= 0) {
			err = store_write(dst, set_sequence, p->t[i]);
			if (err)
				cli_error(_("table %s: cannot set the id sequence: %s"),
					  p->t[i]->name, err_code_name(err));
		}
	return err ? CLI_FAILED : CLI_OK;
}

/* ---- Checking ------------------------------------------------------------ */

/* Feed n bytes to the checksum of the table and of the block. */
static void feed(digest *d, const void *data, size_t n)
{
	crypto_generichash_update(&d->state, data, n);
	crypto_generichash_update(&d->part, data, n);
}

/* Feed a length (or NULL_MARK) to the checksums, as 8 little-endian bytes. */
static void feed_length(digest *d, uint64_t n)
{
	unsigned char le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(n >> (8 * i));
	feed(d, le, sizeof(le));
}

/* Start a block at the row whose id (or position) is first. */
static void block_open(digest *d, long long first)
{
	if (d->n_blocks == d->cap_blocks) {
		d->cap_blocks = d->cap_blocks ? 2 * d->cap_blocks : 64;
		d->blocks = xrealloc(d->blocks, d->cap_blocks * sizeof(block));
	}
	d->blocks[d->n_blocks].first = first;
	crypto_generichash_init(&d->part, NULL, 0, crypto_generichash_BYTES_MIN);
}

/* End the current block after the row whose id (or position) is last. */
static void block_close(digest *d, long long last)
{
	block *b = &d->blocks[d->n_blocks++];
	b->last = last;
	crypto_generichash_final(&d->part, b->sum, sizeof(b->sum));
}

/* A row_fn: feed every value of the row to the checksums (ctx). Each value
 * is its length and its text, a NULL a length no text has, so that no two
 * different rows hash alike by how their values are split. */
static ct_err hash_row(void *ctx, store_stmt *st, const table *t)
{
	digest *d = ctx;
	long long at = t->id_col >= 0 ? (long long)store_col_int(st, t->id_col) : d->rows + 1;
	if (d->rows % BLOCK_ROWS == 0)
		block_open(d, at);
	for (int i = 0; i < t->n_cols; i++) {
		if (store_col_is_null(st, i)) {
			feed_length(d, NULL_MARK);
			continue;
		}
		const char *text = store_col_text(st, i);
		size_t len = store_col_bytes(st, i);
		feed_length(d, len);
		feed(d, text ? text : "", len);
	}
	d->last_at = at;
	if (++d->rows % BLOCK_ROWS == 0)
		block_close(d, at);
	if (++d->unreported == PAGE_ROWS) {
		cli_progress_step(d->progress, d->unreported);
		d->unreported = 0;
	}
	return CT_OK;
}

/* Count and hash every row of t on c (pg: the PostgreSQL side) into d,
 * which the caller frees with digest_free. */
static ct_err checksum(store_conn *c, int pg, const table *t, digest *d)
{
	crypto_generichash_init(&d->state, NULL, 0, crypto_generichash_BYTES);
	ct_err err = migrate_read_table(c, pg, t, hash_row, d);
	if (d->rows % BLOCK_ROWS != 0)
		block_close(d, d->last_at);
	cli_progress_step(d->progress, d->unreported);
	d->unreported = 0;
	return err;
}

/* Free what d owns. */
static void digest_free(digest *d)
{
	free(d->blocks);
	d->blocks = NULL;
}

/* Compare the two sides' checksums into r: the same or not, and the first
 * block that differs (its ids or positions, from the source's side). */
static void compare(digest *a, digest *b, check *r)
{
	unsigned char sa[crypto_generichash_BYTES], sb[crypto_generichash_BYTES];
	crypto_generichash_final(&a->state, sa, sizeof(sa));
	crypto_generichash_final(&b->state, sb, sizeof(sb));
	r->src_rows = a->rows;
	r->dst_rows = b->rows;
	r->same_sum = sodium_memcmp(sa, sb, sizeof(sa)) == 0;
	for (size_t i = 0; !r->same_sum && i < a->n_blocks; i++) {
		const block *x = &a->blocks[i], *y = i < b->n_blocks ? &b->blocks[i] : NULL;
		if (!y || x->first != y->first || x->last != y->last ||
		    sodium_memcmp(x->sum, y->sum, sizeof(x->sum)) != 0) {
			r->located = 1;
			r->differ_first = x->first;
			r->differ_last = x->last;
			break;
		}
	}
}

/* Compare every table of p between the source (src) and the destination
 * (dst) into results (one per table). Fails when a side cannot be read. */
static int check_all(store_conn *src, store_conn *dst, const migrate_plan *p, check *results)
{
	cli_progress progress;
	cli_progress_start(&progress, _("verify"), 2 * p->total_rows);
	int rc = CLI_OK;
	for (int i = 0; rc == CLI_OK && i < p->n; i++) {
		digest a = {.progress = &progress}, b = {.progress = &progress};
		ct_err err = checksum(src, 0, p->t[i], &a);
		if (!err)
			err = checksum(dst, 1, p->t[i], &b);
		if (err) {
			cli_error(_("table %s: cannot read it back: %s"), p->t[i]->name,
				  err_code_name(err));
			rc = CLI_FAILED;
		} else {
			compare(&a, &b, &results[i]);
		}
		digest_free(&a);
		digest_free(&b);
	}
	cli_progress_end(&progress);
	return rc;
}

/* Print what differs in table t (r: not the same on both sides). */
static void report_difference(const table *t, const check *r)
{
	if (r->src_rows != r->dst_rows)
		cli_error(_("table %s: %lld rows in the source, %lld in the destination"), t->name,
			  r->src_rows, r->dst_rows);
	else if (r->located && t->id_col >= 0)
		cli_error(_("table %s: the values differ in the rows with ids %lld to %lld"),
			  t->name, r->differ_first, r->differ_last);
	else if (r->located)
		cli_error(_("table %s: the values differ in rows %lld to %lld (in key order)"),
			  t->name, r->differ_first, r->differ_last);
	else
		cli_error(_("table %s: the same number of rows, but their values differ"), t->name);
}

/* Print one line per table (name, rows, OK) and what differs; CLI_OK when
 * every table is the same on both sides. */
static int report_checks(const migrate_plan *p, const check *results)
{
	int rc = CLI_OK;
	for (int i = 0; i < p->n; i++) {
		const check *r = &results[i];
		int ok = r->src_rows == r->dst_rows && r->same_sum;
		printf("%-20s %10lld  %s\n", p->t[i]->name, r->src_rows,
		       ok ? _("OK") : _("DIFFERENT"));
		fflush(stdout);
		if (!ok) {
			report_difference(p->t[i], r);
			rc = CLI_FAILED;
		}
	}
	return rc;
}

/* ---- Refusals before writing ---------------------------------------------- */

/* 1 when the destination (c) has table t; *missing is then the first of
 * t's columns that it lacks, or -1. */
static int dest_has_columns(store_conn *c, const table *t, int *missing)
{
	char *have[MAX_COLS * 2];
	int n = 0, rc;
	store_stmt *st = store_prepare(c, SQL_DEST_COLUMNS);
	if (!st)
		return 0;
	store_bind_text(st, 1, t->name);
	while ((rc = store_step(st)) == STORE_ROW && n < MAX_COLS * 2)
		have[n++] = xstrdup(store_col_text(st, 0));
	store_reset(st);
	*missing = -1;
	for (int i = 0; i < t->n_cols && *missing < 0; i++) {
		int found = 0;
		for (int j = 0; j < n && !found; j++)
			found = strcmp(have[j], t->cols[i]) == 0;
		if (!found)
			*missing = i;
	}
	for (int j = 0; j < n; j++)
		free(have[j]);
	return rc != STORE_ERROR && n > 0;
}

/* 1 when t holds at least one row on c; -1 when that cannot be read. */
static int dest_has_rows(store_conn *c, const table *t)
{
	buf sql;
	buf_init(&sql, 0);
	buf_puts(&sql, "SELECT 1 FROM ");
	migrate_put_name(&sql, t->name);
	buf_puts(&sql, " LIMIT 1");
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	int rc = st ? store_step(st) : STORE_ERROR;
	if (st)
		store_reset(st);
	buf_free(&sql);
	return rc == STORE_ERROR ? -1 : rc == STORE_ROW;
}

/* Refuse (printing why) a destination with another schema version, without
 * a table or column of the source, or holding any row already. */
static int check_destination(store *src, store *dst, const migrate_plan *p)
{
	int sv = store_schema_version(src), dv = store_schema_version(dst);
	if (sv != dv) {
		cli_error(_("the schema versions differ: the source has %d, the destination %d; "
			    "nothing was copied"),
			  sv, dv);
		return CLI_FAILED;
	}
	store_conn *c = store_reader_acquire(dst);
	int rc = CLI_OK;
	for (int i = 0; rc == CLI_OK && i < p->n; i++) {
		const table *t = p->t[i];
		int missing = -1, rows;
		if (!dest_has_columns(c, t, &missing)) {
			cli_error(_("the destination has no table %s; nothing was copied"),
				  t->name);
			rc = CLI_FAILED;
		} else if (missing >= 0) {
			cli_error(_("the destination's table %s has no column %s; nothing was "
				    "copied"),
				  t->name, t->cols[missing]);
			rc = CLI_FAILED;
		} else if ((rows = dest_has_rows(c, t)) != 0) {
			if (rows < 0)
				cli_error(_("cannot read table %s of the destination"), t->name);
			else
				cli_error(
					_("the destination holds data already (table %s has rows): "
					  "migrate-data fills only an empty database; nothing was "
					  "copied"),
					t->name);
			rc = CLI_FAILED;
		}
	}
	store_reader_release(dst, c);
	return rc;
}

/* ---- The command ---------------------------------------------------------- */

/* The path in a --from value: "sqlite:PATH", "sqlite://PATH" or PATH. The
 * result points into from. */
static const char *source_path(const char *from)
{
	if (strncmp(from, "sqlite:", 7) != 0)
		return from;
	from += 7;
	return strncmp(from, "//", 2) == 0 ? from + 2 : from;
}

/* A copy of a PostgreSQL URL with its password replaced by "****" (in the
 * user part and in a password= parameter), for printing. The caller frees it. */
static char *redact_url(const char *url)
{
	buf out;
	buf_init(&out, 0);
	const char *rest = strstr(url, "://");
	rest = rest ? rest + 3 : url;
	const char *at = strchr(rest, '@'), *slash = strchr(rest, '/');
	const char *colon = strchr(rest, ':');
	if (at && (!slash || at < slash) && colon && colon < at) {
		buf_append(&out, url, (size_t)(colon + 1 - url));
		buf_puts(&out, "****");
		rest = at;
	} else {
		buf_append(&out, url, (size_t)(rest - url));
	}
	const char *pw = strstr(rest, "password=");
	if (pw) {
		buf_append(&out, rest, (size_t)(pw + 9 - rest));
		buf_puts(&out, "****");
		rest = pw + 9 + strcspn(pw + 9, "&");
	}
	buf_puts(&out, rest);
	return buf_detach(&out, NULL);
}

/* Check that path is a readable SQLite database file; prints why not. */
static int check_source_file(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		cli_error(_("cannot read the SQLite database %s: %s"), path, strerror(errno));
		return CLI_FAILED;
	}
	if (S_ISDIR(sb.st_mode)) {
		cli_error(_("%s is a folder: give the database file, for example %s/cluetrain.db"),
			  path, path);
		return CLI_FAILED;
	}
	FILE *f = fopen(path, "rb");
	char head[16] = {0};
	size_t n = f ? fread(head, 1, sizeof(head), f) : 0;
	int err = f ? 0 : errno;
	if (f)
		fclose(f);
	if (!f) {
		cli_error(_("cannot read the SQLite database %s: %s"), path, strerror(err));
		return CLI_FAILED;
	}
	if (n != sizeof(head) || memcmp(head, "SQLite format 3", 16) != 0) {
		cli_error(_("%s is not an SQLite database"), path);
		return CLI_FAILED;
	}
	return CLI_OK;
}

/* Open database as a store with one reader; prints why not. The caller
 * closes *out with store_close. */
static int open_store(const char *database, store **out)
{
	buf msg;
	buf_init(&msg, 4096);
	store_options opt = {database, 1, 0};
	ct_err err = store_open(&opt, out, &msg);
	if (err)
		cli_error("%s", buf_cstr(&msg));
	buf_free(&msg);
	return err ? CLI_FAILED : CLI_OK;
}

static int usage(int ok)
{
	fprintf(ok ? stdout : stderr,
		_("usage: cluetrain migrate-data --from sqlite:PATH --to postgres://...\n"
		  "Copy every table of an installation's SQLite database (PATH, for example\n"
		  "DIR/cluetrain.db) into an empty PostgreSQL database, then verify the copy\n"
		  "table by table (rows and a checksum). Stop the server first. The\n"
		  "configuration is not changed: set database = postgres://... in\n"
		  "DIR/cluetrain.conf afterwards.\n"));
	return ok ? CLI_OK : CLI_USAGE;
}

/* Parse the command line into from and to; -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, const char **from, const char **to)
{
	static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
					     {"to", required_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "f:t:h", opts, NULL)) != -1) {
		if (c == 'f')
			*from = optarg;
		else if (c == 't')
			*to = optarg;
		else
			return usage(c == 'h');
	}
	if (!*from || !*to || optind < argc)
		return usage(0);
	if (store_is_url(*from)) {
		cli_error(_("--from takes an SQLite database file (sqlite:PATH)"));
		return CLI_USAGE;
	}
	if (!store_is_url(*to)) {
		cli_error(_("--to takes a PostgreSQL URL (postgres://...)"));
		return CLI_USAGE;
	}
	return -1;
}

/* What to do next: the configuration and the key file. */
static void print_next_steps(const char *path, const char *to)
{
	char *dir_copy = xstrdup(path);
	const char *dir = dirname(dir_copy);
	char *shown = redact_url(to);
	printf(_("\nThe configuration was not changed. To use the new database:\n"
		 "  1. Keep every server that used %s stopped: later writes there are not copied.\n"
		 "  2. Set  database = %s  in %s/cluetrain.conf.\n"
		 "  3. Every node that uses the PostgreSQL database needs this installation's\n"
		 "     key file (secret_key_file, by default %s/secret.key), the same on all\n"
		 "     of them: without it, channel secrets and second factors cannot be read.\n"),
	       path, shown, dir, dir);
	if (strcmp(shown, to) != 0)
		printf(_("  (Write the password where the URL above shows ****.)\n"));
	free(shown);
	free(dir_copy);
}

/* Copy, then verify, from the source (read on c) into dst. */
static int migrate(store_conn *c, store *dst, const migrate_plan *p, const char *to)
{
	char *shown = redact_url(to);
	printf(_("copying %lld rows in %d tables to %s\n"), p->total_rows, p->n, shown);
	free(shown);
	fflush(stdout);
	int64_t started = time_mono_ms();
	int rc = copy_all(c, dst, p);
	if (rc != CLI_OK) {
		cli_error(_("the copy failed; the destination holds part of the data: drop and "
			    "create the database again before the next attempt"));
		return rc;
	}
	double secs = (double)(time_mono_ms() - started) / 1000.0;
	check *results = xcalloc((size_t)p->n, sizeof(check));
	store_conn *d = store_reader_acquire(dst);
	rc = check_all(c, d, p, results);
	store_reader_release(dst, d);
	if (rc == CLI_OK)
		rc = report_checks(p, results);
	free(results);
	if (rc == CLI_OK)
		printf(_("copied %lld rows in %.1f s (%.0f rows/s) and verified them\n"),
		       p->total_rows, secs, secs > 0 ? (double)p->total_rows / secs : 0.0);
	return rc;
}

int cli_migrate_data(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	int rc = parse_args(argc, argv, &from, &to);
	if (rc >= 0)
		return rc;
	const char *path = source_path(from);
	if (check_source_file(path) != CLI_OK)
		return CLI_FAILED;
	store *src = NULL, *dst = NULL;
	migrate_plan p = {0};
	if (open_store(path, &src) != CLI_OK)
		return CLI_FAILED;
	/* One read transaction: the copy and the check see the same snapshot. */
	store_conn *c = store_reader_acquire(src);
	int began = store_exec(c, "BEGIN") == CT_OK;
	rc = began ? migrate_plan_load(c, &p) : CLI_FAILED;
	if (!began)
		cli_error(_("cannot read the SQLite database %s"), path);
	if (rc == CLI_OK)
		rc = open_store(to, &dst);
	if (rc == CLI_OK)
		rc = check_destination(src, dst, &p);
	if (rc == CLI_OK)
		rc = migrate(c, dst, &p, to);
	if (began)
		store_exec(c, "ROLLBACK");
	store_reader_release(src, c);
	if (rc == CLI_OK)
		print_next_steps(path, to);
	migrate_plan_free(&p);
	store_close(dst);
	store_close(src);
	return rc;
}

/*
 * import.c: `cluetrain import --data DIR [FILE]` and the loader behind it.
 *
 * Lines are in the ingest format (POST /api/v1/messages), or as `export`
 * writes them: the export-only fields are dropped and outbound messages and
 * notes are skipped, since they cannot be received again. Importing the
 * same file twice stores nothing twice (messages are de-duplicated by
 * channel and external id).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/i18n.h"
#include "core/timeutil.h"
#include "ingest/ingest.h"

#define IMPORT_BATCH 500
#define LINE_MAX_BYTES (1 << 20)

static const char SQL_CHANNEL_EXISTS[] = "SELECT id FROM channels WHERE name = $1";

/* Drop export-only fields; 0 when the line is not an incoming message. */
static int to_ingest_form(json_t *obj)
{
	json_t *dir = json_object_get(obj, "direction");
	if (dir && (!json_is_string(dir) || strcmp(json_string_value(dir), "in") != 0))
		return 0;
	static const char *const export_only[] = {
		"direction", "id", "conversation_id", "received_at", "delivery_state", NULL};
	if (json_is_object(obj))
		for (const char *const *k = export_only; *k; k++)
			json_object_del(obj, *k);
	return 1;
}

static int channel_exists(app *a, const char *name)
{
	store_conn *c = store_reader_acquire(a->store);
	store_stmt *st = store_prepare(c, SQL_CHANNEL_EXISTS);
	int64_t id = 0;
	int found = 0;
	if (st) {
		store_bind_text(st, 1, name);
		found = store_one_int(st, &id) == CT_OK;
	}
	store_reader_release(a->store, c);
	return found;
}

/* Read one line into line (without its end); 0 at the end of the file, -1
 * when it is longer than the line's cap. */
static int read_line(FILE *f, buf *line)
{
	char *text = NULL;
	size_t size = 0;
	ssize_t n = getline(&text, &size, f);
	buf_reset(line);
	int rc = 1;
	if (n < 0)
		rc = 0;
	else if (n > 0 && text[n - 1] == '\n')
		n--;
	if (rc && buf_append(line, text, (size_t)n) != CT_OK)
		rc = -1;
	free(text);
	return rc;
}

/* Parse line number lineno into a one-message batch; prints any error. */
static int parse_line(app *a, const buf *line, const char *name, long long lineno,
		      const ingest_options *lim, ingest_batch *b, int *skip)
{
	json_error_t jerr;
	*skip = 0;
	memset(b, 0, sizeof(*b)); /* freeable whatever happens below */
	json_t *obj =
		json_loadb(line->data ? line->data : "", line->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		cli_error(_("%s:%lld: invalid JSON at column %d: %s"), name, lineno, jerr.column,
			  jerr.text);
		return CLI_FAILED;
	}
	if (!to_ingest_form(obj)) {
		json_decref(obj);
		*skip = 1;
		return CLI_OK;
	}
	if (ingest_parse(obj, lim, time_now_ms(), b) != CT_OK) {
		cli_error(_("%s:%lld: field %s: %s"), name, lineno,
			  b->err_field[0] ? b->err_field : "-", buf_cstr(&b->err_msg));
		return CLI_FAILED;
	}
	if (!channel_exists(a, b->msgs[0].channel)) {
		cli_error(_("%s:%lld: field channel: unknown channel '%s'"), name, lineno,
			  b->msgs[0].channel);
		return CLI_FAILED;
	}
	return CLI_OK;
}

/* Pass 1: every line valid? Counts the messages, finds the newest time. */
static int validate_all(app *a, FILE *f, const char *name, const ingest_options *lim,
			long long *count, int64_t *newest)
{
	buf line;
	buf_init(&line, LINE_MAX_BYTES);
	long long lineno = 0;
	int rc = CLI_OK, r;
	*count = 0;
	while (rc == CLI_OK && (r = read_line(f, &line)) != 0) {
		lineno++;
		if (r < 0) {
			cli_error(_("%s:%lld: line longer than 1 MiB"), name, lineno);
			rc = CLI_FAILED;
			break;
		}
		if (line.len == 0)
			continue;
		ingest_batch b;
		int skip;
		rc = parse_line(a, &line, name, lineno, lim, &b, &skip);
		if (!skip) {
			if (rc == CLI_OK && b.msgs[0].created_at > *newest)
				*newest = b.msgs[0].created_at;
			ingest_batch_free(&b);
			(*count)++;
		}
	}
	buf_free(&line);
	return rc;
}

/* Pass 2: commit the (valid) lines in batches, times moved by shift_ms. */
static int commit_all(app *a, FILE *f, const char *name, const ingest_options *lim,
		      int64_t shift_ms, cli_progress *progress)
{
	buf line;
	buf_init(&line, LINE_MAX_BYTES);
	json_t *batch = json_array();
	long long lineno = 0;
	int rc = CLI_OK;
	for (;;) {
		int r = read_line(f, &line);
		if (r > 0 && line.len) {
			lineno++;
			json_t *obj = json_loadb(line.data, line.len, 0, NULL);
			if (obj && to_ingest_form(obj))
				json_array_append(batch, obj);
			json_decref(obj);
		}
		size_t n = json_array_size(batch);
		if (n == IMPORT_BATCH || (r == 0 && n > 0)) {
			ingest_batch b;
			ct_err err = ingest_parse(json_incref(batch), lim, time_now_ms(), &b);
			for (size_t i = 0; !err && i < b.n; i++)
				b.msgs[i].created_at += shift_ms;
			if (!err)
				err = ingest_commit(a->store, lim, &b);
			if (err) {
				cli_error(_("%s: storing the batch before line %lld failed: %s"),
					  name, lineno, err_code_name(err));
				rc = CLI_FAILED;
			}
			ingest_batch_free(&b);
			cli_progress_step(progress, (long long)n);
			json_array_clear(batch);
			if (rc)
				break;
		}
		if (r == 0)
			break;
	}
	json_decref(batch);
	buf_free(&line);
	return rc;
}

int cli_import_file(app *a, FILE *f, const char *name, int64_t newest_at, int *imported)
{
	/* Imported messages are history: not triaged (no automatic replies
	 * to old messages); `concept replay` shows what the concept makes of them. */
	ingest_options lim = {.max_batch = IMPORT_BATCH,
			      .max_text = (size_t)a->cfg.ingest_max_text,
			      .reopen_window_ms = a->cfg.reopen_window_s * 1000};
	long long count = 0;
	int64_t newest = 0;
	int rc = validate_all(a, f, name, &lim, &count, &newest);
	if (rc)
		return rc;
	rewind(f);
	cli_progress progress;
	cli_progress_start(&progress, _("import"), count);
	rc = commit_all(a, f, name, &lim, newest_at && newest ? newest_at - newest : 0, &progress);
	cli_progress_end(&progress);
	*imported = (int)count;
	return rc;
}

/* Copy standard input to an unlinked temporary file, so it can be read twice. */
static FILE *spool_stdin(void)
{
	FILE *tmp = tmpfile();
	if (!tmp)
		return NULL;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (fwrite(chunk, 1, n, tmp) != n) {
			fclose(tmp);
			return NULL;
		}
	rewind(tmp);
	return tmp;
}

int cli_import(int argc, char **argv)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *data = "data";
	int c;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		if (c == 'd') {
			data = optarg;
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				_("usage: cluetrain import --data DIR [FILE|-]\n"
				  "Store the messages of a JSON-lines file (the ingest format, or "
				  "what export writes).\nEvery line is checked first; a bad line "
				  "changes nothing. Reads standard input without FILE.\n"));
			return c == 'h' ? CLI_OK : CLI_USAGE;
		}
	}
	const char *path = optind < argc ? argv[optind] : "-";
	FILE *f = strcmp(path, "-") == 0 ? spool_stdin() : fopen(path, "r");
	if (!f) {
		cli_error(_("cannot read %s"), path);
		return CLI_FAILED;
	}
	app a = {0};
	int rc = cli_open_app(data, 0, &a);
	if (rc == CLI_OK) {
		int imported = 0;
		rc = cli_import_file(&a, f, path, 0, &imported);
		if (rc == CLI_OK)
			fprintf(stderr, _("imported %d messages from %s\n"), imported, path);
		cli_close_app(&a);
	}
	fclose(f);
	return rc;
}

/*
 * export.c: `cluetrain export --data DIR [--out FILE]`: every message as a
 * JSON line, oldest first, in the ingest format plus the fields only the
 * store knows (id, conversation_id, direction, received_at,
 * delivery_state). `import` reads the result back.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "cli/cli.h"
#include "core/i18n.h"
#include "core/timeutil.h"
#include "store/columns.h"

static const char SQL_EXPORT[] =
	"SELECT m.id, m.conversation_id, ch.name, m.direction, m.external_id, c.thread_key,"
	" m.in_reply_to, i.external_id, coalesce(i.name, m.author_name), i.handle, c.subject,"
	" m.text, m.created_at, m.received_at, m.attachments, m.meta, m.delivery_state"
	" FROM messages m JOIN conversations c ON c.id = m.conversation_id"
	" JOIN channels ch ON ch.id = m.channel_id"
	" LEFT JOIN identities i ON i.id = m.identity_id"
	" WHERE m.id > $1 ORDER BY m.id LIMIT 1000";

static json_t *export_row(store_stmt *st)
{
	json_t *author = json_object();
	if (!store_col_is_null(st, 7))
		json_object_set_new(author, "id", col_json_text(st, 7));
	json_object_set_new(author, "name", col_json_text(st, 8));
	json_object_set_new(author, "handle", col_json_text(st, 9));
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(store_col_int(st, 0)));
	json_object_set_new(o, "conversation_id", json_integer(store_col_int(st, 1)));
	json_object_set_new(o, "channel", col_json_text(st, 2));
	json_object_set_new(o, "direction", col_json_text(st, 3));
	json_object_set_new(o, "external_id", col_json_text(st, 4));
	json_object_set_new(o, "thread_id", col_json_text(st, 5));
	json_object_set_new(o, "in_reply_to", col_json_text(st, 6));
	json_object_set_new(o, "author", author);
	json_object_set_new(o, "subject", col_json_text(st, 10));
	json_object_set_new(o, "text", col_json_text(st, 11));
	json_object_set_new(o, "created_at", col_json_time(st, 12));
	json_object_set_new(o, "received_at", col_json_time(st, 13));
	const char *att = store_col_text(st, 14), *meta = store_col_text(st, 15);
	json_object_set_new(o, "attachments", att ? json_loads(att, 0, NULL) : json_null());
	json_object_set_new(o, "meta", meta ? json_loads(meta, 0, NULL) : json_null());
	json_object_set_new(o, "delivery_state", col_json_text(st, 16));
	return o;
}

/* Write one page of rows after *after; returns rows written, -1 on error. */
static int export_page(store_conn *c, FILE *out, int64_t *after)
{
	store_stmt *st = store_prepare(c, SQL_EXPORT);
	if (!st)
		return -1;
	store_bind_int(st, 1, *after);
	int rows = 0, rc;
	while ((rc = store_step(st)) == STORE_ROW) {
		*after = store_col_int(st, 0);
		json_t *o = export_row(st);
		json_dumpf(o, out, JSON_COMPACT);
		fputc('\n', out);
		json_decref(o);
		rows++;
	}
	store_reset(st);
	return rc == STORE_ERROR ? -1 : rows;
}

int cli_export(int argc, char **argv)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"out", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *data = "data", *path = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
		if (c == 'd') {
			data = optarg;
		} else if (c == 'o') {
			path = optarg;
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				_("usage: cluetrain export --data DIR [--out FILE]\n"
				  "Write every message as a JSON line (standard output without "
				  "--out).\n"));
			return c == 'h' ? CLI_OK : CLI_USAGE;
		}
	}
	app a = {0};
	if (cli_open_app(data, 0, &a) != CLI_OK)
		return CLI_FAILED;
	FILE *out = path ? fopen(path, "w") : stdout;
	int rc = CLI_FAILED;
	if (!out) {
		cli_error(_("cannot write %s"), path);
		goto done;
	}
	store_conn *conn = store_reader_acquire(a.store);
	int64_t after = 0;
	long long total = 0;
	int rows;
	while ((rows = export_page(conn, out, &after)) > 0)
		total += rows;
	store_reader_release(a.store, conn);
	int write_failed = ferror(out) || (path && fclose(out) != 0);
	if (rows < 0 || write_failed) {
		cli_error(_("the export failed"));
	} else {
		fprintf(stderr, _("exported %lld messages\n"), total);
		rc = CLI_OK;
	}
done:
	cli_close_app(&a);
	return rc;
}

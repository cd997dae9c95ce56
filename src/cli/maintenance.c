/*
 * maintenance.c: `cluetrain migrate` and `cluetrain backup`, the commands an
 * operator runs around upgrades.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "core/i18n.h"

/* Parse --data (and --out when out is not NULL); -1 after printing usage. */
static int parse_args(int argc, char **argv, const char *usage, const char **data, const char **out)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"out", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
		if (c == 'd') {
			*data = optarg;
		} else if (c == 'o' && out) {
			*out = optarg;
		} else {
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? CLI_OK : CLI_USAGE;
		}
	}
	if (out && !*out) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	return -1;
}

int cli_migrate(int argc, char **argv)
{
	const char *data = "data";
	int rc = parse_args(argc, argv,
			    _("usage: cluetrain migrate --data DIR\n"
			      "Bring the database up to this program's schema and print its "
			      "version.\n(serve does this at start as well.)\n"),
			    &data, NULL);
	if (rc >= 0)
		return rc;
	app a = {0};
	if (cli_open_app(data, 0, &a) != CLI_OK)
		return CLI_FAILED;
	printf(_("schema version %d\n"), store_schema_version(a.store));
	cli_close_app(&a);
	return CLI_OK;
}

int cli_backup(int argc, char **argv)
{
	const char *data = "data", *out = NULL;
	int rc = parse_args(argc, argv,
			    _("usage: cluetrain backup --data DIR --out FILE\n"
			      "Copy the database to FILE while the server runs, then verify the "
			      "copy.\n"),
			    &data, &out);
	if (rc >= 0)
		return rc;
	app a = {0};
	if (cli_open_app(data, 0, &a) != CLI_OK)
		return CLI_FAILED;
	buf msg;
	buf_init(&msg, 4096);
	rc = store_backup(a.store, out, &msg) == CT_OK ? CLI_OK : CLI_FAILED;
	if (rc == CLI_OK)
		printf(_("backup written to %s and verified\n"), out);
	else
		cli_error("%s", buf_cstr(&msg));
	buf_free(&msg);
	cli_close_app(&a);
	return rc;
}

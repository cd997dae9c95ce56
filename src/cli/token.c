/*
 * token.c: `cluetrain token add --data DIR --name NAME --role ROLE
 * [--channel NAME]`. Prints only the new token, on one line, so scripts can
 * capture it. Tokens are made by accounts/tokens.c, as through the API, and
 * audited.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "cli/cli.h"
#include "core/i18n.h"

static const char SQL_CHANNEL_BY_NAME[] = "SELECT id FROM channels WHERE name = $1";
static const actor cli_actor = {"cli", 0, 0, NULL};

static int usage(int ok)
{
	fprintf(ok ? stdout : stderr,
		_("usage: cluetrain token add --data DIR --name NAME --role ROLE [--channel NAME]\n"
		  "Create an API token; ROLE is admin, supervisor, agent or viewer; with\n"
		  "--channel it may only write to and read that channel. Prints only the token, "
		  "once.\n"));
	return ok ? CLI_OK : CLI_USAGE;
}

/* The id of the channel named name, 0 when there is none. */
static int64_t channel_id(app *a, const char *name)
{
	store_conn *c = store_reader_acquire(a->store);
	store_stmt *st = store_prepare(c, SQL_CHANNEL_BY_NAME);
	int64_t id = 0;
	if (st) {
		store_bind_text(st, 1, name);
		if (store_one_int(st, &id) != CT_OK)
			id = 0;
	}
	store_reader_release(a->store, c);
	return id;
}

int cli_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'}, {"name", required_argument, NULL, 'n'},
		{"role", required_argument, NULL, 'r'}, {"channel", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return usage(argc >= 2 &&
			     (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0));
	const char *data = "data", *name = NULL, *role = NULL, *channel = NULL;
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:n:r:c:h", opts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else if (c == 'n')
			name = optarg;
		else if (c == 'r')
			role = optarg;
		else if (c == 'c')
			channel = optarg;
		else
			return usage(c == 'h');
	}
	if (!name || !*name || !str_in_list(role, account_roles))
		return usage(0);
	app a = {0};
	if (cli_open_app(data, 0, &a) != CLI_OK)
		return CLI_FAILED;
	int rc = CLI_FAILED;
	int64_t scope = channel ? channel_id(&a, channel) : 0;
	if (channel && !scope) {
		cli_error(_("no channel named %s"), channel);
		goto out;
	}
	json_t *body = json_pack("{s:s, s:s}", "name", name, "role", role);
	if (scope)
		json_object_set_new(body, "channel_id", json_integer(scope));
	err_detail d = {.index = -1};
	char token[64];
	int64_t id = 0;
	ct_err err = tokens_create(a.store, &cli_actor, body, token, &id, &d);
	json_decref(body);
	if (err) {
		cli_error("%s%s%s", d.field[0] ? d.field : "", d.field[0] ? ": " : "",
			  d.message[0] ? d.message : _("cannot store the token"));
	} else {
		printf("%s\n", token);
		rc = CLI_OK;
	}
out:
	cli_close_app(&a);
	return rc;
}

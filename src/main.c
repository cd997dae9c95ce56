/*
 * main.c: the cluetrain command line: one table of subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/crypto.h"
#include "core/i18n.h"

typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} command;

static const command commands[] = {
	{"init", cli_init, N_("create a new installation (database, admin, API token)")},
	{"serve", cli_serve, N_("serve the API")},
	{"migrate", cli_migrate, N_("bring the database schema up to date")},
	{"token", cli_token, N_("create API tokens (token add)")},
	{"user", cli_user, N_("manage user accounts (add, list, disable, passwd)")},
	{"import", cli_import, N_("store messages from a JSON-lines file")},
	{"export", cli_export, N_("write every message as JSON lines")},
	{"backup", cli_backup, N_("copy the database while serving, verified")},
	{"migrate-data", cli_migrate_data,
	 N_("move an installation from SQLite to PostgreSQL, verified")},
	{"concept", cli_concept, N_("check, activate and compare the dialog concept")},
	{"routes", cli_routes, N_("list the HTTP routes and the roles they allow")},
};

static int usage(FILE *out)
{
	fprintf(out, _("usage: cluetrain COMMAND [--data DIR] [OPTIONS]\n\n"
		       "Commands:\n"));
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, _(commands[i].summary));
	fprintf(out, _("\n'cluetrain COMMAND --help' describes a command.\n"));
	return out == stdout ? CLI_OK : CLI_USAGE;
}

int main(int argc, char **argv)
{
	i18n_init();
	if (crypto_init() != CT_OK) {
		cli_error(_("cannot initialise libsodium"));
		return CLI_FAILED;
	}
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage(stdout);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_error(_("unknown command '%s'"), argv[1]);
	return usage(stderr);
}

/*
 * token.c: `cluetrain token add --data DIR --name NAME --role ROLE`.
 * Prints only the new token, on one line, so scripts can capture it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/crypto.h"
#include "core/i18n.h"
#include "core/timeutil.h"

static const char SQL_TOKEN_INSERT[] = "INSERT INTO api_tokens (name, role, token_hash, created_at)"
				       " VALUES ($1, $2, $3, $4)";

typedef struct token_ctx {
	const char *name, *role;
	char hash[CRYPTO_TOKEN_HASH_HEX];
} token_ctx;

static ct_err insert_token(store_conn *c, void *arg)
{
	token_ctx *x = arg;
	store_stmt *st = store_prepare(c, SQL_TOKEN_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, x->name);
	store_bind_text(st, 2, x->role);
	store_bind_text(st, 3, x->hash);
	store_bind_int(st, 4, time_now_ms());
	return store_run(st);
}

static int usage(int ok)
{
	fprintf(ok ? stdout : stderr,
		_("usage: cluetrain token add --data DIR --name NAME --role ROLE\n"
		  "Create an API token; ROLE is admin, supervisor, agent or viewer.\n"
		  "Prints only the token, once.\n"));
	return ok ? CLI_OK : CLI_USAGE;
}

int cli_token(int argc, char **argv)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"name", required_argument, NULL, 'n'},
					     {"role", required_argument, NULL, 'r'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return usage(argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0));
	const char *data = "data";
	token_ctx x = {0};
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:n:r:h", opts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else if (c == 'n')
			x.name = optarg;
		else if (c == 'r')
			x.role = optarg;
		else
			return usage(c == 'h');
	}
	static const char *const roles[] = {"admin", "supervisor", "agent", "viewer", NULL};
	int role_ok = 0;
	for (const char *const *r = roles; x.role && *r; r++)
		role_ok |= strcmp(*r, x.role) == 0;
	if (!x.name || !*x.name || strlen(x.name) > 128 || !role_ok)
		return usage(0);
	app a = {0};
	if (cli_open_app(data, 0, &a) != CLI_OK)
		return CLI_FAILED;
	char token[64];
	crypto_new_token(token, sizeof(token));
	crypto_hash_token(token, strlen(token), x.hash);
	int rc = store_write(a.store, insert_token, &x) == CT_OK ? CLI_OK : CLI_FAILED;
	if (rc == CLI_OK)
		printf("%s\n", token);
	else
		cli_error(_("cannot store the token"));
	cli_close_app(&a);
	return rc;
}

/*
 * init.c: `cluetrain init --data DIR [--demo]`: a new installation.
 *
 * Creates DIR (mode 0700) with the database, a config file and a channel
 * named "api" of kind api; creates the first admin account and an API
 * token and prints both once (only their hashes are kept); with --demo,
 * loads the demo workspace compiled into the binary.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/crypto.h"
#include "core/embedded.h"
#include "core/i18n.h"
#include "core/timeutil.h"
#include "templates/templates.h"

#define DEMO_FILE "demo/stadtwerk.jsonl"
#define DEMO_TEMPLATES "demo/templates.yaml"

static const char SQL_CHANNEL_INSERT[] =
	"INSERT INTO channels (kind, name, config, created_at) VALUES ('api', 'api', '{}', $1)";
static const char SQL_USER_INSERT[] =
	"INSERT INTO users (name, email, password_hash, role, locale, created_at)"
	" VALUES ($1, $2, $3, 'admin', 'de', $4)";
static const char SQL_TOKEN_INSERT[] = "INSERT INTO api_tokens (name, role, token_hash, created_at)"
				       " VALUES ($1, $2, $3, $4)";
static const char SQL_TEAM_INSERT[] = "INSERT INTO teams (name, created_at) VALUES ($1, $2)";

typedef struct init_ctx {
	const char *email;
	char password_hash[128];
	char token_hash[CRYPTO_TOKEN_HASH_HEX];
	int demo;
} init_ctx;

static ct_err run_text_time(store_conn *c, const char *sql, const char *text)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, text);
	store_bind_int(st, 2, time_now_ms());
	return store_run(st);
}

static ct_err seed(store_conn *c, void *arg)
{
	init_ctx *x = arg;
	int64_t now = time_now_ms();
	store_stmt *st = store_prepare(c, SQL_CHANNEL_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, now);
	ct_err err = store_run(st);
	if (!err && (st = store_prepare(c, SQL_USER_INSERT))) {
		store_bind_text(st, 1, "Administrator");
		store_bind_text(st, 2, x->email);
		store_bind_text(st, 3, x->password_hash);
		store_bind_int(st, 4, now);
		err = store_run(st);
	}
	if (!err && (st = store_prepare(c, SQL_TOKEN_INSERT))) {
		store_bind_text(st, 1, "admin");
		store_bind_text(st, 2, "admin");
		store_bind_text(st, 3, x->token_hash);
		store_bind_int(st, 4, now);
		err = store_run(st);
	}
	static const char *const demo_teams[] = {"Kundenservice", "Störungsdienst", "International",
						 NULL};
	for (const char *const *t = demo_teams; x->demo && !err && *t; t++)
		err = run_text_time(c, SQL_TEAM_INSERT, *t);
	return err;
}

/* The demo's reply templates, as drafts: approving needs a second person. */
static int load_demo_templates(app *a)
{
	const embedded_file *f = embedded_find(DEMO_TEMPLATES);
	if (!f)
		return CLI_OK;
	json_t *report = NULL;
	err_detail d = {.index = -1};
	ct_err err = template_import(a->store, &actor_system, "yaml", (const char *)f->data, f->len,
				     &report, &d);
	if (err) {
		cli_error(_("the demo templates could not be loaded: %s: %s"), d.field, d.message);
		return CLI_FAILED;
	}
	printf(_("  demo templates: %zu drafts to approve\n"),
	       json_array_size(json_object_get(report, "created")));
	json_decref(report);
	return CLI_OK;
}

static int load_demo(app *a)
{
	const embedded_file *demo = embedded_find(DEMO_FILE);
	if (!demo) {
		cli_error(_("this binary holds no demo data"));
		return CLI_FAILED;
	}
	FILE *f = fmemopen((void *)demo->data, demo->len, "r");
	if (!f)
		return CLI_FAILED;
	int imported = 0;
	/* The newest demo message arrived twenty minutes ago, whenever that is. */
	int64_t newest_at = time_now_ms() - 20 * 60 * 1000;
	int rc = cli_import_file(a, f, DEMO_FILE, newest_at, &imported);
	fclose(f);
	if (rc == CLI_OK)
		printf(_("  demo workspace: %d messages of Stadtwerke Musterstadt\n"), imported);
	return rc == CLI_OK ? load_demo_templates(a) : rc;
}

/* A config file with the defaults (and database, when not NULL), unless
 * the folder has one already. */
static int write_config_once(const char *data, const char *database)
{
	buf path;
	buf_init(&path, 4096);
	buf_printf(&path, "%s/cluetrain.conf", data);
	int rc = CLI_OK;
	if (access(buf_cstr(&path), F_OK) != 0) {
		config cfg;
		config_defaults(&cfg, data);
		if (database) {
			free(cfg.database);
			cfg.database = xstrdup(database);
		}
		if (config_write(&cfg, buf_cstr(&path)) != CT_OK) {
			cli_error(_("cannot write the config file in %s"), data);
			rc = CLI_FAILED;
		}
		config_free(&cfg);
	}
	buf_free(&path);
	return rc;
}

static int usage(int ok)
{
	fprintf(ok ? stdout : stderr,
		_("usage: cluetrain init --data DIR [--database postgres://...] [--demo]\n"
		  "                      [--admin-email EMAIL]\n"
		  "Create a new installation in DIR: database, config file, a channel \"api\",\n"
		  "the first admin account and an API token (both printed once).\n"
		  "Without --database the database is an SQLite file in DIR; with a\n"
		  "PostgreSQL URL the (empty) database there is set up and the URL is\n"
		  "written to DIR/cluetrain.conf.\n"));
	return ok ? CLI_OK : CLI_USAGE;
}

int cli_init(int argc, char **argv)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"demo", no_argument, NULL, 'D'},
					     {"database", required_argument, NULL, 'b'},
					     {"admin-email", required_argument, NULL, 'e'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *data = "data", *database = NULL;
	init_ctx x = {.email = "admin@localhost"};
	int c;
	while ((c = getopt_long(argc, argv, "d:De:b:h", opts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else if (c == 'b')
			database = optarg;
		else if (c == 'D')
			x.demo = 1;
		else if (c == 'e')
			x.email = optarg;
		else
			return usage(c == 'h');
	}
	if (database && !store_is_url(database)) {
		cli_error(_("--database takes a postgres:// URL"));
		return CLI_USAGE;
	}
	if (mkdir(data, 0700) != 0 && errno != EEXIST) {
		cli_error(_("cannot create %s: %s"), data, strerror(errno));
		return CLI_FAILED;
	}
	app a = {0};
	if (write_config_once(data, database) != CLI_OK)
		return CLI_FAILED;
	config_defaults(&a.cfg, data);
	buf msg;
	buf_init(&msg, 4096);
	ct_err err = config_load(&a.cfg, &msg);
	int exists = !err && !store_is_url(a.cfg.database) && access(a.cfg.database, F_OK) == 0;
	if (err)
		cli_error("%s", buf_cstr(&msg));
	else if (exists)
		cli_error(_("%s is initialised already"), data);
	buf_free(&msg);
	config_free(&a.cfg);
	if (err || exists)
		return CLI_FAILED;
	if (cli_open_app(data, 1, &a) != CLI_OK)
		return CLI_FAILED;
	char password[21], token[64];
	crypto_new_password(password, 20);
	crypto_new_token(token, sizeof(token));
	crypto_hash_token(token, strlen(token), x.token_hash);
	int rc = CLI_FAILED;
	ct_err seeded = crypto_hash_password(password, x.password_hash);
	if (!seeded)
		seeded = store_write(a.store, seed, &x);
	if (seeded == CT_ERR_CONFLICT) { /* the channel "api" exists: a used database */
		cli_error(_("the database of %s is initialised already"), data);
		goto out;
	}
	if (seeded) {
		cli_error(_("cannot set up the database in %s"), data);
		goto out;
	}
	printf(_("cluetrain is initialised in %s\n"), data);
	printf(_("  admin login:    %s\n"), x.email);
	printf(_("  admin password: %s\n"), password);
	printf(_("  API token:      %s\n"), token);
	printf(_("  Both are shown only now; keep them somewhere safe.\n"));
	rc = x.demo ? load_demo(&a) : CLI_OK;
out:
	cli_close_app(&a);
	return rc;
}

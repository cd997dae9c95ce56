/*
 * user.c: `cluetrain user add|list|disable|passwd`: managing accounts from
 * the command line (the same rules as the API: password policy, audit log,
 * the last admin cannot be disabled).
 *
 *   user add --data DIR --email E --name N --role R [--locale de|en] [--password-stdin]
 *   user list --data DIR
 *   user disable --data DIR --email E
 *   user passwd --data DIR --email E [--password-stdin]
 *
 * Without --password-stdin a random password is made and printed once.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "cli/cli.h"
#include "core/crypto.h"
#include "core/i18n.h"

static const actor cli_actor = {"cli", 0, 0, NULL};

typedef struct user_args {
	const char *data, *email, *name, *role, *locale;
	int password_stdin;
} user_args;

static int usage(int ok)
{
	fprintf(ok ? stdout : stderr,
		_("usage: cluetrain user add --data DIR --email E --name N --role ROLE "
		  "[--locale de|en] [--password-stdin]\n"
		  "       cluetrain user list --data DIR\n"
		  "       cluetrain user disable --data DIR --email E\n"
		  "       cluetrain user passwd --data DIR --email E [--password-stdin]\n"
		  "Without --password-stdin a random password is made and printed once.\n"));
	return ok ? CLI_OK : CLI_USAGE;
}

static int parse(int argc, char **argv, user_args *x)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"email", required_argument, NULL, 'e'},
					     {"name", required_argument, NULL, 'n'},
					     {"role", required_argument, NULL, 'r'},
					     {"locale", required_argument, NULL, 'l'},
					     {"password-stdin", no_argument, NULL, 'p'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:e:n:r:l:ph", opts, NULL)) != -1) {
		switch (c) {
		case 'd': x->data = optarg; break;
		case 'e': x->email = optarg; break;
		case 'n': x->name = optarg; break;
		case 'r': x->role = optarg; break;
		case 'l': x->locale = optarg; break;
		case 'p': x->password_stdin = 1; break;
		default: return usage(c == 'h');
		}
	}
	return -1;
}

/* One line from standard input, without its line end, into out. */
static int read_password(char *out, size_t size)
{
	if (!fgets(out, (int)size, stdin))
		return 0;
	out[strcspn(out, "\r\n")] = '\0';
	return 1;
}

static int report(ct_err err, const err_detail *d)
{
	if (!err)
		return CLI_OK;
	cli_error("%s%s%s", d->field[0] ? d->field : "", d->field[0] ? ": " : "",
		  d->message[0] ? d->message : err_code_name(err));
	return CLI_FAILED;
}

static int add(app *a, user_args *x)
{
	char password[PASSWORD_MAX_LENGTH + 2] = "", generated[32] = "";
	if (x->password_stdin && !read_password(password, sizeof(password))) {
		cli_error(_("no password on standard input"));
		return CLI_FAILED;
	}
	json_t *body = json_pack("{s:s*, s:s*, s:s*, s:s*, s:s*}", "email", x->email, "name",
				 x->name, "role", x->role, "locale", x->locale, "password",
				 x->password_stdin ? password : NULL);
	err_detail d = {.index = -1};
	int64_t id = 0;
	ct_err err = users_create(a->store, &cli_actor, body, generated, &id, &d);
	json_decref(body);
	if (!err && generated[0])
		printf("%s\n", generated);
	else if (!err)
		printf(_("user %lld created\n"), (long long)id);
	return report(err, &d);
}

static int list(app *a)
{
	store_conn *c = store_reader_acquire(a->store);
	json_t *users = NULL;
	ct_err err = users_list(c, &users);
	store_reader_release(a->store, c);
	size_t i;
	json_t *u;
	json_array_foreach(users, i, u)
	{
		printf("%-4lld %-32s %-24s %-10s %s%s\n",
		       (long long)json_integer_value(json_object_get(u, "id")),
		       json_string_value(json_object_get(u, "email")),
		       json_string_value(json_object_get(u, "name")),
		       json_string_value(json_object_get(u, "role")),
		       json_is_true(json_object_get(u, "active")) ? _("active") : _("disabled"),
		       json_is_true(json_object_get(u, "totp_enabled")) ? " totp" : "");
	}
	json_decref(users);
	return err ? CLI_FAILED : CLI_OK;
}

/* disable, or passwd: a patch to the user with this e-mail. */
static int change(app *a, user_args *x, int disable)
{
	user_auth u;
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = x->email ? users_find_by_email(c, x->email, &u) : CT_ERR_NOT_FOUND;
	store_reader_release(a->store, c);
	if (err) {
		cli_error(_("no user with the e-mail %s"), x->email ? x->email : "-");
		return CLI_FAILED;
	}
	char password[PASSWORD_MAX_LENGTH + 2] = "";
	if (!disable && x->password_stdin && !read_password(password, sizeof(password))) {
		cli_error(_("no password on standard input"));
		return CLI_FAILED;
	}
	if (!disable && !x->password_stdin)
		crypto_new_password(password, 20);
	json_t *body = disable ? json_pack("{s:b}", "active", 0)
			       : json_pack("{s:s}", "password", password);
	err_detail d = {.index = -1};
	err = users_update(a->store, &cli_actor, u.id, body, &d);
	json_decref(body);
	if (!err && !disable && !x->password_stdin)
		printf("%s\n", password);
	return report(err, &d);
}

int cli_user(int argc, char **argv)
{
	if (argc < 2)
		return usage(0);
	const char *what = argv[1];
	if (strcmp(what, "--help") == 0 || strcmp(what, "-h") == 0)
		return usage(1);
	user_args x = {.data = "data"};
	int rc = parse(argc, argv, &x);
	if (rc >= 0)
		return rc;
	app a = {0};
	if (strcmp(what, "add") && strcmp(what, "list") && strcmp(what, "disable") &&
	    strcmp(what, "passwd"))
		return usage(0);
	if (cli_open_app(x.data, 0, &a) != CLI_OK)
		return CLI_FAILED;
	if (strcmp(what, "add") == 0)
		rc = add(&a, &x);
	else if (strcmp(what, "list") == 0)
		rc = list(&a);
	else
		rc = change(&a, &x, strcmp(what, "disable") == 0);
	cli_close_app(&a);
	return rc;
}

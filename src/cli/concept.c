/*
 * concept.c: `cluetrain concept ...`: checking, activating and reading the
 * dialog concept (docs/concept.md).
 *
 *   concept check FILE                        validate; every error with line and column
 *   concept activate [--data DIR] FILE        store as a new version and make it live
 *   concept show [--data DIR] [--version N]   print the active (or a stored) version
 *   concept history [--data DIR]              the versions, newest first
 *   concept diff [--data DIR] A B             unified diff of two stored versions
 *   concept replay ...                        a draft over past messages (concept_replay.c)
 *
 * An invalid concept is never stored and never activated; the running one
 * stays. Exit status 0 when fine, 1 when the concept is invalid or the
 * database refused, 2 for a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/i18n.h"
#include "core/timeutil.h"
#include "templates/templates.h"
#include "triage/versions.h"

static const actor cli_actor = {"cli", 0, 0, NULL};

typedef struct concept_args {
	const char *data;
	int64_t version;
	char **rest; /* the arguments after the options */
	int n_rest;
} concept_args;

static int usage(int ok)
{
	fprintf(ok ? stdout : stderr,
		_("usage: cluetrain concept check FILE\n"
		  "       cluetrain concept activate [--data DIR] FILE\n"
		  "       cluetrain concept show [--data DIR] [--version N]\n"
		  "       cluetrain concept history [--data DIR]\n"
		  "       cluetrain concept diff [--data DIR] A B\n"
		  "       cluetrain concept replay [--data DIR] --concept FILE --from DATE --to "
		  "DATE [...]\n"));
	return ok ? CLI_OK : CLI_USAGE;
}

static int parse(int argc, char **argv, concept_args *x)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"version", required_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	char *end;
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': x->data = optarg; break;
		case 'v':
			x->version = strtoll(optarg, &end, 10);
			if (*end || x->version <= 0)
				return usage(0);
			break;
		case 'h': return usage(1);
		default: return usage(0);
		}
	}
	x->rest = argv + optind;
	x->n_rest = argc - optind;
	return -1;
}

void cli_print_concept_errors(const concept_errors *errs, const char *file)
{
	buf out;
	buf_init(&out, 1 << 20);
	concept_errors_print(errs, file, &out);
	fputs(buf_cstr(&out), stderr);
	fprintf(stderr, ngettext("%zu error\n", "%zu errors\n", errs->n), errs->n);
	buf_free(&out);
}

static int check(const char *file)
{
	char *text = NULL;
	size_t len = 0;
	if (cli_read_file(file, CONCEPT_MAX_BYTES, &text, &len) != CLI_OK)
		return CLI_FAILED;
	concept *k = NULL;
	concept_errors errs = {0};
	ct_err err = concept_parse(text, len, &k, &errs);
	free(text);
	if (err) {
		cli_print_concept_errors(&errs, file);
		concept_errors_free(&errs);
		return CLI_FAILED;
	}
	printf(_("%s: the concept \"%s\" is valid (%zu rules, %zu intents, %zu languages)\n"), file,
	       k->name, k->n_rules, k->n_intents, k->n_languages);
	concept_free(k);
	return CLI_OK;
}

static int activate(app *a, const char *file)
{
	char *text = NULL;
	size_t len = 0;
	if (cli_read_file(file, CONCEPT_MAX_BYTES, &text, &len) != CLI_OK)
		return CLI_FAILED;
	int64_t id = 0;
	concept_errors errs = {0};
	ct_err err = concept_version_add(a->store, NULL, &cli_actor, text, len, 1,
					 template_grace_ms(&a->cfg), &id, &errs);
	free(text);
	if (err == CT_ERR_INVALID)
		cli_print_concept_errors(&errs, file);
	else if (err)
		cli_error(_("the concept could not be stored"));
	else
		printf(_("version %lld is active\n"), (long long)id);
	concept_errors_free(&errs);
	return err ? CLI_FAILED : CLI_OK;
}

static int show(app *a, int64_t version)
{
	store_conn *c = store_reader_acquire(a->store);
	json_t *v = NULL;
	ct_err err = concept_version_get(c, version, &v);
	store_reader_release(a->store, c);
	if (err == CT_ERR_NOT_FOUND) {
		cli_error(version ? _("there is no version %lld") : _("no concept is active"),
			  (long long)version);
		return CLI_FAILED;
	}
	if (err) {
		cli_error(_("the database could not be read"));
		return CLI_FAILED;
	}
	fputs(json_string_value(json_object_get(v, "source")), stdout);
	json_decref(v);
	return CLI_OK;
}

static int history(app *a)
{
	store_conn *c = store_reader_acquire(a->store);
	json_t *list = NULL;
	ct_err err = concept_version_list(c, &list);
	store_reader_release(a->store, c);
	if (err) {
		cli_error(_("the database could not be read"));
		return CLI_FAILED;
	}
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		printf("%s %5lld  %s  %s  %s\n",
		       json_is_true(json_object_get(v, "active")) ? "*" : " ",
		       (long long)json_integer_value(json_object_get(v, "id")),
		       json_string_value(json_object_get(v, "created_at")),
		       json_string_value(json_object_get(v, "created_by")),
		       json_string_value(json_object_get(v, "name")));
	}
	json_decref(list);
	return CLI_OK;
}

static int diff(app *a, const char *sa, const char *sb)
{
	char *ea, *eb;
	long long va = strtoll(sa, &ea, 10), vb = strtoll(sb, &eb, 10);
	if (*ea || *eb || va <= 0 || vb <= 0)
		return usage(0);
	buf out;
	buf_init(&out, 8 << 20);
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = concept_version_diff(c, va, vb, &out);
	store_reader_release(a->store, c);
	if (err == CT_ERR_NOT_FOUND)
		cli_error(_("there is no version %lld or %lld"), va, vb);
	else if (err)
		cli_error(_("the database could not be read"));
	else
		fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	return err ? CLI_FAILED : CLI_OK;
}

int cli_concept(int argc, char **argv)
{
	if (argc < 2)
		return usage(0);
	const char *cmd = argv[1];
	if (strcmp(cmd, "replay") == 0)
		return cli_concept_replay(argc, argv);
	concept_args x = {.data = "data"};
	int rc = parse(argc, argv, &x);
	if (rc != -1)
		return rc;
	if (strcmp(cmd, "check") == 0)
		return x.n_rest == 1 ? check(x.rest[0]) : usage(0);
	int needs_file = strcmp(cmd, "activate") == 0;
	int needs_two = strcmp(cmd, "diff") == 0;
	if (!needs_file && !needs_two && strcmp(cmd, "show") != 0 && strcmp(cmd, "history") != 0)
		return usage(0);
	if (x.n_rest != (needs_file ? 1 : needs_two ? 2 : 0))
		return usage(0);
	app a = {0};
	if (cli_open_app(x.data, 0, &a) != CLI_OK)
		return CLI_FAILED;
	if (needs_file)
		rc = activate(&a, x.rest[0]);
	else if (needs_two)
		rc = diff(&a, x.rest[0], x.rest[1]);
	else if (strcmp(cmd, "show") == 0)
		rc = show(&a, x.version);
	else
		rc = history(&a);
	cli_close_app(&a);
	return rc;
}

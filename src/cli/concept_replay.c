/*
 * concept_replay.c: `cluetrain concept replay`: what a draft concept would
 * have done with the messages of a period, changing nothing.
 *
 *   concept replay [--data DIR] --concept FILE --from DATE --to DATE
 *                  [--messages FILE.jsonl] [--json] [--examples N]
 *
 * DATE is a day (YYYY-MM-DD, in the draft's time zone; --to includes that
 * whole day) or an RFC 3339 time. Without --messages the stored incoming
 * messages of the period are replayed; the report compares with the active
 * concept when there is one. See triage/replay.h for what is reported.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/i18n.h"
#include "core/timeutil.h"
#include "triage/replay.h"
#include "triage/versions.h"

typedef struct replay_args {
	const char *data, *concept_file, *from, *to, *messages;
	int json;
	long examples;
} replay_args;

static int usage(int ok)
{
	fprintf(ok ? stdout : stderr,
		_("usage: cluetrain concept replay [--data DIR] --concept FILE --from DATE --to "
		  "DATE\n"
		  "                                [--messages FILE.jsonl] [--json] [--examples "
		  "N]\n"
		  "DATE: YYYY-MM-DD (in the concept's time zone; --to includes the day) or RFC "
		  "3339.\n"));
	return ok ? CLI_OK : CLI_USAGE;
}

static int parse(int argc, char **argv, replay_args *x)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"concept", required_argument, NULL, 'c'},
					     {"from", required_argument, NULL, 'f'},
					     {"to", required_argument, NULL, 't'},
					     {"messages", required_argument, NULL, 'm'},
					     {"json", no_argument, NULL, 'j'},
					     {"examples", required_argument, NULL, 'e'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	char *end;
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:c:f:t:m:je:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': x->data = optarg; break;
		case 'c': x->concept_file = optarg; break;
		case 'f': x->from = optarg; break;
		case 't': x->to = optarg; break;
		case 'm': x->messages = optarg; break;
		case 'j': x->json = 1; break;
		case 'e':
			x->examples = strtol(optarg, &end, 10);
			if (*end || x->examples < 0 || x->examples > 1000)
				return usage(0);
			break;
		case 'h': return usage(1);
		default: return usage(0);
		}
	}
	if (optind != argc || !x->concept_file || !x->from || !x->to)
		return usage(0);
	return -1;
}

/* The draft's text (owned) and its calendar's view of the period. */
static int read_draft(const replay_args *x, char **text, size_t *len, int64_t *from, int64_t *to)
{
	if (cli_read_file(x->concept_file, CONCEPT_MAX_BYTES, text, len) != CLI_OK)
		return CLI_FAILED;
	concept *k = NULL;
	concept_errors errs = {0};
	if (concept_parse(*text, *len, &k, &errs) != CT_OK) {
		cli_print_concept_errors(&errs, x->concept_file);
		concept_errors_free(&errs);
		return CLI_FAILED;
	}
	int ok = calendar_parse_when(k->cal, x->from, 0, from) &&
		 calendar_parse_when(k->cal, x->to, 1, to);
	concept_free(k);
	if (!ok) {
		cli_error(_("--from and --to must be dates (YYYY-MM-DD) or RFC 3339 times"));
		return CLI_USAGE;
	}
	if (*to <= *from) {
		cli_error(_("--to must be after --from"));
		return CLI_USAGE;
	}
	return CLI_OK;
}

int cli_concept_replay(int argc, char **argv)
{
	replay_args x = {.data = "data", .examples = 20};
	int rc = parse(argc, argv, &x);
	if (rc != -1)
		return rc;
	char *text = NULL;
	size_t len = 0;
	replay_options o = {.max_examples = (size_t)x.examples};
	rc = read_draft(&x, &text, &len, &o.from_ms, &o.to_ms);
	if (rc != CLI_OK)
		return rc;
	o.draft_source = text;
	o.draft_len = len;
	if (x.messages && !(o.jsonl = fopen(x.messages, "r"))) {
		cli_error(_("cannot open %s"), x.messages);
		free(text);
		return CLI_FAILED;
	}
	app a = {0};
	if (cli_open_app(x.data, 0, &a) != CLI_OK) {
		if (o.jsonl)
			fclose(o.jsonl);
		free(text);
		return CLI_FAILED;
	}
	o.active = triage_active_get(&a.triage, a.store, 1);
	json_t *report = NULL;
	concept_errors errs = {0};
	ct_err err = triage_replay(a.store, &o, &report, &errs);
	if (err == CT_ERR_INVALID) {
		cli_print_concept_errors(&errs, x.concept_file);
	} else if (err) {
		cli_error(_("the replay failed (%s)"), err_code_name(err));
	} else if (x.json) {
		json_dumpf(report, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		buf out;
		buf_init(&out, 64u << 20);
		triage_replay_print(report, &out);
		fputs(buf_cstr(&out), stdout);
		buf_free(&out);
	}
	json_decref(report);
	concept_errors_free(&errs);
	triage_engine_unref(o.active);
	cli_close_app(&a);
	if (o.jsonl)
		fclose(o.jsonl);
	free(text);
	return err ? CLI_FAILED : CLI_OK;
}

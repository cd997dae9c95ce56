/*
 * common.c: what the subcommands share (see cli.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/timeutil.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("cluetrain: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_open_app(const char *data_dir, int create, app *a)
{
	config_defaults(&a->cfg, data_dir);
	buf msg;
	buf_init(&msg, 4096);
	int rc = CLI_FAILED;
	if (config_load(&a->cfg, &msg) != CT_OK) {
		cli_error("%s", buf_cstr(&msg));
		goto out;
	}
	int level = log_level_parse(a->cfg.log_level);
	if (level < 0) {
		cli_error(_("log_level must be debug, info, warn or error"));
		goto out;
	}
	log_set_level((log_level)level);
	int url = store_is_url(a->cfg.database);
	if (!create && !url && access(a->cfg.database, F_OK) != 0) {
		cli_error(_("%s is not initialised (run: cluetrain init --data %s)"), data_dir,
			  data_dir);
		goto out;
	}
	if (strcmp(a->cfg.retention_mode, "anonymise") != 0 &&
	    strcmp(a->cfg.retention_mode, "delete") != 0) {
		cli_error(_("retention.mode must be anonymise or delete"));
		goto out;
	}
	/* A missing key is made (installations from before sealing had none);
	 * secrets sealed with a lost key stay unreadable and must be re-entered,
	 * so making one for an existing database is worth a loud warning. */
	int had_key = access(a->cfg.secret_key_file, F_OK) == 0;
	int had_db = url ? !create : access(a->cfg.database, F_OK) == 0;
	if (seal_key_load(a->cfg.secret_key_file, 1, &a->key, &msg) != CT_OK) {
		cli_error("%s", buf_cstr(&msg));
		goto out;
	}
	if (msg.len) { /* a warning about the key file's mode */
		log_warn("config.key_file", LOG_S("detail", buf_cstr(&msg)));
		buf_reset(&msg);
	}
	if (!had_key && had_db)
		log_warn("config.key_file_created",
			 LOG_S("detail",
			       "the key file was missing and a new one was made: channel "
			       "secrets and second factors sealed with the old key cannot be "
			       "opened; restore the old key file or enter them again"),
			 LOG_S("path", a->cfg.secret_key_file));
	store_options opt = {a->cfg.database, (int)a->cfg.readers, create};
	if (store_open(&opt, &a->store, &msg) != CT_OK) {
		cli_error("%s", buf_cstr(&msg));
		goto out;
	}
	a->events = events_new();
	triage_active_init(&a->triage);
	rc = CLI_OK;
out:
	buf_free(&msg);
	if (rc != CLI_OK)
		config_free(&a->cfg);
	return rc;
}

void cli_close_app(app *a)
{
	seal_key_wipe(&a->key);
	triage_active_free(&a->triage);
	store_close(a->store);
	events_free(a->events);
	config_free(&a->cfg);
	a->store = NULL;
	a->events = NULL;
}

int cli_read_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		cli_error(_("cannot open %s"), path);
		return CLI_FAILED;
	}
	buf b;
	buf_init(&b, max);
	char chunk[8192];
	size_t n;
	ct_err err = CT_OK;
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = buf_append(&b, chunk, n);
	int failed = ferror(f);
	fclose(f);
	if (err || failed) {
		if (err)
			cli_error(_("%s is larger than %zu bytes"), path, max);
		else
			cli_error(_("cannot read %s"), path);
		buf_free(&b);
		return CLI_FAILED;
	}
	*out = buf_detach(&b, len);
	return CLI_OK;
}

void cli_progress_start(cli_progress *p, const char *label, long long total)
{
	p->label = label;
	p->total = total;
	p->done = 0;
	p->tty = isatty(STDERR_FILENO);
	p->last_ms = 0;
}

static void progress_draw(cli_progress *p)
{
	int pct = p->total > 0 ? (int)(p->done * 100 / p->total) : 100;
	int filled = pct * 30 / 100;
	fprintf(stderr, "\r%s [%.*s%*s] %lld/%lld (%d%%)", p->label, filled,
		"##############################", 30 - filled, "", p->done, p->total, pct);
	fflush(stderr);
}

void cli_progress_step(cli_progress *p, long long n)
{
	p->done += n;
	if (!p->tty)
		return;
	long long now = time_mono_ms();
	if (now - p->last_ms >= 100 || p->done == p->total) {
		p->last_ms = now;
		progress_draw(p);
	}
}

void cli_progress_end(cli_progress *p)
{
	if (!p->tty)
		return;
	progress_draw(p);
	fputc('\n', stderr);
}

/*
 * config.c: defaults, the config file parser and environment overrides.
 *
 * One table (config_keys) lists every key with its type and place in the
 * struct, so parsing, the environment and writing the file cannot disagree.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct config_key {
	const char *name;
	char type; /* 's' string, 'i' integer */
	size_t offset;
	int64_t min, max;
	const char *help;
} config_key;

#define STR_KEY(n, f, h)                             \
	{                                            \
		n, 's', offsetof(config, f), 0, 0, h \
	}
#define INT_KEY(n, f, lo, hi, h)                       \
	{                                              \
		n, 'i', offsetof(config, f), lo, hi, h \
	}

static const config_key config_keys[] = {
	STR_KEY("database", database,
		"SQLite database file, or a postgres:// URL (see docs/operations.md)"),
	STR_KEY("listen", listen, "address and port that serve listens on"),
	STR_KEY("log_level", log_level, "debug, info, warn or error"),
	INT_KEY("http.max_connections", max_connections, 1, 100000, "concurrent connections"),
	INT_KEY("http.connection_timeout_s", connection_timeout_s, 1, 86400,
		"idle seconds before a connection is closed"),
	INT_KEY("http.request_timeout_s", request_timeout_s, 1, 3600,
		"a request (headers and body) must arrive within this, however it trickles"),
	INT_KEY("store.readers", readers, 1, 64, "pooled read connections"),
	INT_KEY("inbox.reopen_window_s", reopen_window_s, 0, 10LL * 365 * 86400,
		"a resolved conversation re-opens when the contact writes within this"),
	INT_KEY("jobs.max_attempts", jobs_max_attempts, 1, 100, "attempts before a job fails"),
	INT_KEY("jobs.backoff_base_ms", jobs_backoff_base_ms, 1, 86400000,
		"wait before the second attempt; doubles each time"),
	INT_KEY("jobs.backoff_max_ms", jobs_backoff_max_ms, 1, 7LL * 86400000, "longest wait"),
	INT_KEY("jobs.timeout_s", jobs_timeout_s, 1, 3600, "seconds one delivery may take"),
	INT_KEY("events.heartbeat_s", events_heartbeat_s, 1, 3600, "SSE keep-alive interval"),
	INT_KEY("ingest.max_batch", ingest_max_batch, 1, 100000, "messages in one request"),
	INT_KEY("ingest.max_body", ingest_max_body, 1024, 1LL << 30, "bytes in one request"),
	INT_KEY("ingest.max_text", ingest_max_text, 16, 16LL << 20, "bytes of one message text"),
	STR_KEY("secret_key_file", secret_key_file,
		"the key that seals channel secrets; keep it out of database backups"),
	STR_KEY("public_url", public_url, "the address users open, for links in e-mails"),
	INT_KEY("http.trust_proxy", trust_proxy, 0, 1,
		"1 behind a reverse proxy: trust X-Forwarded-For and X-Forwarded-Proto"),
	INT_KEY("http.hsts", hsts, 0, 1, "1: send Strict-Transport-Security (HTTPS only)"),
	INT_KEY("http.per_ip_connections", per_ip_connections, 1, 100000,
		"concurrent connections from one address"),
	INT_KEY("http.public_per_minute", public_per_minute, 1, 1000000,
		"requests per minute from one address to public routes (login, reset)"),
	INT_KEY("auth.session_idle_s", session_idle_s, 60, 30LL * 86400,
		"a session unused this long ends"),
	INT_KEY("auth.session_absolute_s", session_absolute_s, 300, 365LL * 86400,
		"a session ends this long after login, used or not"),
	INT_KEY("auth.require_totp_for_admins", require_totp_admins, 0, 1,
		"1: admins must set up a second factor before anything else"),
	INT_KEY("auth.max_failures", login_max_failures, 1, 1000,
		"failed logins (per account, per address) before a lockout"),
	INT_KEY("auth.failure_window_s", login_window_s, 1, 86400, "failures count within this"),
	INT_KEY("auth.lockout_s", login_lockout_s, 1, 86400, "how long a lockout lasts"),
	STR_KEY("smtp.url", smtp_url, "outgoing mail server, smtp://host:587 or smtps://host:465"),
	STR_KEY("smtp.from", smtp_from, "sender address of mails"),
	STR_KEY("smtp.username", smtp_username, "login at the mail server (empty: none)"),
	STR_KEY("smtp.password", smtp_password, "password at the mail server"),
	INT_KEY("retention.months", retention_months, 0, 1200,
		"resolved conversations older than this are removed; 0 keeps them"),
	STR_KEY("retention.mode", retention_mode, "anonymise or delete"),
	STR_KEY("org.name", org_name, "the organisation's name, shown in the web pages"),
	STR_KEY("sla.notify_email", sla_notify_email,
		"who gets an e-mail when a response-time promise is due soon or breached"),
	INT_KEY("templates.review_grace_days", templates_review_grace_days, 0, 3650,
		"days a template past its review date may still be used"),
	STR_KEY("org.time_zone", time_zone,
		"the organisation's time zone (IANA name): pages show times in it"),
};

#define N_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

void config_defaults(config *cfg, const char *data_dir)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->data_dir = xstrdup(data_dir);
	cfg->database = xstrdup("cluetrain.db");
	cfg->listen = xstrdup("127.0.0.1:8080");
	cfg->log_level = xstrdup("info");
	cfg->max_connections = 512;
	cfg->connection_timeout_s = 60;
	cfg->request_timeout_s = 30;
	cfg->readers = 4;
	cfg->reopen_window_s = 7 * 86400;
	cfg->jobs_max_attempts = 8;
	cfg->jobs_backoff_base_ms = 2000;
	cfg->jobs_backoff_max_ms = 3600000;
	cfg->jobs_timeout_s = 30;
	cfg->events_heartbeat_s = 15;
	cfg->ingest_max_batch = 1000;
	cfg->ingest_max_body = 16 << 20;
	cfg->ingest_max_text = 64 * 1024;
	cfg->secret_key_file = xstrdup("secret.key");
	cfg->public_url = xstrdup("http://127.0.0.1:8080");
	cfg->per_ip_connections = 64;
	cfg->public_per_minute = 30;
	cfg->session_idle_s = 8 * 3600;
	cfg->session_absolute_s = 7 * 86400;
	cfg->login_max_failures = 5;
	cfg->login_window_s = 900;
	cfg->login_lockout_s = 900;
	cfg->smtp_url = xstrdup("");
	cfg->smtp_from = xstrdup("cluetrain@localhost");
	cfg->smtp_username = xstrdup("");
	cfg->smtp_password = xstrdup("");
	cfg->retention_mode = xstrdup("anonymise");
	cfg->org_name = xstrdup("cluetrain");
	cfg->time_zone = xstrdup("Europe/Berlin");
	cfg->sla_notify_email = xstrdup("");
	cfg->templates_review_grace_days = 14;
}

/* Is name a time zone of the system's database (tzdata)? */
static int known_time_zone(const char *name)
{
	if (!*name || name[0] == '/' || strstr(name, ".."))
		return 0;
	char path[512];
	if ((size_t)snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name) >= sizeof(path))
		return 0;
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const config_key *find_key(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

ct_err config_set(config *cfg, const char *key, const char *value, buf *msg)
{
	const config_key *k = find_key(key);
	if (!k) {
		buf_printf(msg, "unknown key '%s'", key);
		return CT_ERR_INVALID;
	}
	char *field = (char *)cfg + k->offset;
	if (k->type == 's') {
		if (field == (char *)&cfg->time_zone && !known_time_zone(value)) {
			buf_printf(msg, "key '%s': '%s' is not a time zone such as Europe/Berlin",
				   key, value);
			return CT_ERR_INVALID;
		}
		char **slot = (char **)(void *)field;
		free(*slot);
		*slot = xstrdup(value);
		return CT_OK;
	}
	char *end = NULL;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (errno || end == value || *end != '\0' || v < k->min || v > k->max) {
		buf_printf(msg, "key '%s': '%s' is not a whole number from %lld to %lld", key,
			   value, (long long)k->min, (long long)k->max);
		return CT_ERR_INVALID;
	}
	*(int64_t *)(void *)field = v;
	return CT_OK;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static ct_err load_file(config *cfg, const char *path, buf *msg)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? CT_OK : CT_ERR_IO;
	char line[4096];
	int lineno = 0;
	ct_err err = CT_OK;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t got = strlen(line);
		if (got == sizeof(line) - 1 && line[got - 1] != '\n' && !feof(f)) {
			buf_printf(msg, "%s:%d: line longer than %zu bytes", path, lineno,
				   sizeof(line) - 2);
			err = CT_ERR_INVALID;
			goto out;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			buf_printf(msg, "%s:%d: expected 'key = value'", path, lineno);
			err = CT_ERR_INVALID;
			goto out;
		}
		*eq = '\0';
		buf detail;
		buf_init(&detail, 1024);
		err = config_set(cfg, trim(s), trim(eq + 1), &detail);
		if (err)
			buf_printf(msg, "%s:%d: %s", path, lineno, buf_cstr(&detail));
		buf_free(&detail);
		if (err)
			goto out;
	}
out:
	fclose(f);
	return err;
}

static ct_err load_env(config *cfg, buf *msg)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		char name[128] = "CLUETRAIN_";
		size_t p = strlen(name);
		for (const char *c = config_keys[i].name; *c && p < sizeof(name) - 1; c++)
			name[p++] = *c == '.' ? '_' : (char)toupper((unsigned char)*c);
		name[p] = '\0';
		const char *v = getenv(name);
		if (!v)
			continue;
		buf detail;
		buf_init(&detail, 1024);
		ct_err err = config_set(cfg, config_keys[i].name, v, &detail);
		if (err)
			buf_printf(msg, "environment %s: %s", name, buf_cstr(&detail));
		buf_free(&detail);
		if (err)
			return err;
	}
	return CT_OK;
}

/* A relative file name in the configuration means: in the data folder.
 * A URL (postgres://...) is left alone. */
static void resolve_in_data_dir(const config *cfg, char **path)
{
	if ((*path)[0] == '/' || !(*path)[0] || strstr(*path, "://"))
		return;
	buf full;
	buf_init(&full, 8192);
	buf_printf(&full, "%s/%s", cfg->data_dir, *path);
	free(*path);
	*path = buf_detach(&full, NULL);
}

ct_err config_load(config *cfg, buf *msg)
{
	buf path;
	buf_init(&path, 4096);
	buf_printf(&path, "%s/cluetrain.conf", cfg->data_dir);
	ct_err err = load_file(cfg, buf_cstr(&path), msg);
	if (err == CT_ERR_IO)
		buf_printf(msg, "cannot read %s", buf_cstr(&path));
	buf_free(&path);
	if (!err)
		err = load_env(cfg, msg);
	resolve_in_data_dir(cfg, &cfg->database);
	resolve_in_data_dir(cfg, &cfg->secret_key_file);
	return err;
}

ct_err config_write(const config *cfg, const char *path)
{
	/* 0600: the file may hold the mail server's password. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return CT_ERR_IO;
	}
	fprintf(f, "# cluetrain configuration. Environment variables CLUETRAIN_<KEY>\n"
		   "# (dots as underscores) override these lines.\n");
	for (size_t i = 0; i < N_KEYS; i++) {
		const config_key *k = &config_keys[i];
		const char *field = (const char *)cfg + k->offset;
		fprintf(f, "\n# %s\n", k->help);
		if (k->type == 's')
			fprintf(f, "%s = %s\n", k->name, *(char *const *)(const void *)field);
		else
			fprintf(f, "%s = %lld\n", k->name,
				(long long)*(const int64_t *)(const void *)field);
	}
	int bad = ferror(f);
	bad |= fclose(f) != 0;
	return bad ? CT_ERR_IO : CT_OK;
}

void config_free(config *cfg)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (config_keys[i].type == 's') {
			char **slot = (char **)(void *)((char *)cfg + config_keys[i].offset);
			free(*slot);
			*slot = NULL;
		}
	free(cfg->data_dir);
	cfg->data_dir = NULL;
}

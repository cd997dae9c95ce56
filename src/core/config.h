/*
 * config.h: the configuration of one installation.
 *
 * Read from DIR/cluetrain.conf (lines "key = value", '#' starts a comment),
 * then overridden by environment variables CLUETRAIN_<KEY> where the key is
 * upper-cased and dots become underscores (jobs.max_attempts ->
 * CLUETRAIN_JOBS_MAX_ATTEMPTS). Command-line flags override both. An unknown
 * key or a bad value is an error that names the file, line and key. File
 * names that are not absolute (database, secret_key_file) are taken relative
 * to the data folder, so the folder can be moved and served from anywhere.
 */
#ifndef CT_CONFIG_H
#define CT_CONFIG_H

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct config {
	char *data_dir;          /* the installation's folder */
	char *database;          /* database file path (SQLite) */
	char *listen;            /* host:port for serve */
	char *log_level;         /* debug, info, warn, error */
	int64_t max_connections; /* concurrent HTTP connections */
	int64_t connection_timeout_s;
	int64_t request_timeout_s; /* a whole request must arrive within this */
	int64_t readers;           /* pooled read connections */
	int64_t reopen_window_s;   /* a resolved conversation re-opens within this */
	int64_t jobs_max_attempts; /* then a job is failed */
	int64_t jobs_backoff_base_ms;
	int64_t jobs_backoff_max_ms;
	int64_t jobs_timeout_s;     /* one delivery attempt */
	int64_t events_heartbeat_s; /* SSE keep-alive comment interval */
	int64_t ingest_max_batch;   /* messages in one POST */
	int64_t ingest_max_body;    /* bytes in one POST */
	int64_t ingest_max_text;    /* bytes of one message's text */
	char *secret_key_file;      /* the key that seals secrets; outside the database */
	char *public_url;           /* how users reach this server (links in e-mails) */
	int64_t trust_proxy;        /* 1: believe X-Forwarded-For/-Proto from the proxy */
	int64_t hsts;               /* 1: send Strict-Transport-Security */
	int64_t per_ip_connections; /* concurrent connections from one address */
	int64_t public_per_minute;  /* requests per minute per address on public routes */
	int64_t session_idle_s;
	int64_t session_absolute_s;
	int64_t require_totp_admins; /* 1: admins must set up a second factor */
	int64_t login_max_failures;
	int64_t login_window_s;
	int64_t login_lockout_s;
	char *smtp_url; /* smtp://host:port or smtps://...; "" = no mail */
	char *smtp_from;
	char *smtp_username;
	char *smtp_password;
	int64_t retention_months;            /* 0: keep conversations forever */
	char *retention_mode;                /* anonymise or delete */
	char *org_name;                      /* shown in the web pages */
	char *time_zone;                     /* IANA name; pages show times in it */
	char *sla_notify_email;              /* SLA warnings by mail to this address; "" = none */
	int64_t templates_review_grace_days; /* a template past review stays usable this long */
} config;

/* Fill cfg with defaults for data_dir (copied). Free with config_free. */
void config_defaults(config *cfg, const char *data_dir);

/*
 * Read DIR/cluetrain.conf if it exists, then the environment. On error
 * returns CT_ERR_INVALID and writes a message naming line and key to *msg.
 */
ct_err config_load(config *cfg, buf *msg);

/* Set one key from text; CT_ERR_INVALID with a message for unknown keys/values. */
ct_err config_set(config *cfg, const char *key, const char *value, buf *msg);

/* Write the current settings as a commented config file to path. */
ct_err config_write(const config *cfg, const char *path);

void config_free(config *cfg);

#endif

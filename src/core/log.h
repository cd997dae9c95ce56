/*
 * log.h: one line per event, logfmt style, on standard error.
 *
 *   2026-11-23T07:48:56.123Z level=info event=http.request method=GET status=200
 *
 * Fields are typed (LOG_S string, LOG_I integer, LOG_F float); strings are
 * quoted and escaped when they hold spaces, quotes or control characters, so a
 * line can always be split back into its fields. Never pass a secret (password,
 * token, channel key) as a field: nothing here can tell it apart.
 */
#ifndef CT_LOG_H
#define CT_LOG_H

#include <stdint.h>

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

typedef struct log_field {
	const char *key;
	char type; /* 's', 'i' or 'f' */
	const char *s;
	long long i;
	double f;
} log_field;

#define LOG_S(k, v) ((log_field){.key = (k), .type = 's', .s = (v)})
#define LOG_I(k, v) ((log_field){.key = (k), .type = 'i', .i = (long long)(v)})
#define LOG_F(k, v) ((log_field){.key = (k), .type = 'f', .f = (double)(v)})

/* Write one event line with the given fields (thread-safe). */
void log_fields(log_level level, const char *event, const log_field *fields, int n);

#define LOG_FIELDS_(...)                    \
	((const log_field[]){__VA_ARGS__}), \
		(int)(sizeof((const log_field[]){__VA_ARGS__}) / sizeof(log_field))
#define log_debug(event, ...) log_fields(LOG_DEBUG, (event), LOG_FIELDS_(__VA_ARGS__))
#define log_info(event, ...) log_fields(LOG_INFO, (event), LOG_FIELDS_(__VA_ARGS__))
#define log_warn(event, ...) log_fields(LOG_WARN, (event), LOG_FIELDS_(__VA_ARGS__))
#define log_error(event, ...) log_fields(LOG_ERROR, (event), LOG_FIELDS_(__VA_ARGS__))

/* Lines below this level are dropped. Default LOG_INFO. */
void log_set_level(log_level level);

/* Parse "debug", "info", "warn", "error"; -1 when unknown. */
int log_level_parse(const char *name);

#endif

/*
 * log.c: the logfmt event writer (see log.h).
 */
#include "core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/timeutil.h"

static log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level level)
{
	min_level = level;
}

int log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

/* Append s, quoted and escaped when it would not survive a split on spaces. */
static void append_value(buf *line, const char *s)
{
	if (!s) {
		buf_puts(line, "null");
		return;
	}
	int plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' || *p == 0x7f)
			plain = 0;
	if (plain) {
		buf_puts(line, s);
		return;
	}
	buf_append(line, "\"", 1);
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			buf_printf(line, "\\%c", c);
		else if (c == '\n')
			buf_puts(line, "\\n");
		else if (c < ' ' || c == 0x7f)
			buf_printf(line, "\\x%02x", c);
		else
			buf_append(line, p, 1);
	}
	buf_append(line, "\"", 1);
}

void log_fields(log_level level, const char *event, const log_field *fields, int n)
{
	if (level < min_level)
		return;
	char stamp[TIME_RFC3339_SIZE];
	time_format_rfc3339(time_now_ms(), stamp);
	buf line;
	buf_init(&line, 64 * 1024);
	buf_printf(&line, "%s level=%s event=%s", stamp, level_names[level], event);
	for (int i = 0; i < n; i++) {
		buf_printf(&line, " %s=", fields[i].key);
		if (fields[i].type == 's')
			append_value(&line, fields[i].s);
		else if (fields[i].type == 'i')
			buf_printf(&line, "%lld", fields[i].i);
		else
			buf_printf(&line, "%.3f", fields[i].f);
	}
	buf_append(&line, "\n", 1);
	pthread_mutex_lock(&log_lock);
	fwrite(line.data, 1, line.len, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	buf_free(&line);
}

/*
 * timeutil.h: time as integer milliseconds since the Unix epoch (UTC).
 *
 * The store keeps every time as such an integer (portable across SQLite and
 * PostgreSQL, cheap to compare and index); the API speaks RFC 3339.
 */
#ifndef CT_TIMEUTIL_H
#define CT_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Wall-clock now, in ms since the epoch. */
int64_t time_now_ms(void);

/* Monotonic clock in ms, for measuring durations and deadlines. */
int64_t time_mono_ms(void);

/*
 * Parse an RFC 3339 date-time ("2026-11-23T07:48:56Z",
 * "2026-11-23T08:48:56.5+01:00") of n bytes into ms since the epoch.
 * CT_ERR_INVALID for anything else, including out-of-range fields.
 */
ct_err time_parse_rfc3339(const char *s, size_t n, int64_t *out_ms);

#define TIME_RFC3339_SIZE 48

/* Format ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (TIME_RFC3339_SIZE bytes). */
void time_format_rfc3339(int64_t ms, char *out);

/* Days since 1970-01-01 for a proleptic Gregorian date. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);

/* A span of the day, "08:00-18:00" ("8:00 - 18:00" too; 24:00 allowed as
 * an end), into minutes of the day. 1 when well-formed (the caller checks
 * start < end), 0 when not. Office hours and agents' working hours. */
int time_parse_day_span(const char *s, int *start, int *end);

#endif

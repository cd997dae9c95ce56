/*
 * timeutil.c: clocks, RFC 3339 parsing and formatting (see timeutil.h).
 *
 * Calendar arithmetic uses the days-from-civil algorithm so that no call
 * depends on the process time zone (timegm/gmtime are not needed).
 */
#include "core/timeutil.h"

#include <stdio.h>
#include <time.h>

int64_t time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Read exactly `digits` decimal digits at s[*i]; advance *i. */
static int read_digits(const char *s, size_t n, size_t *i, int digits, int *out)
{
	int v = 0;
	for (int k = 0; k < digits; k++) {
		if (*i >= n || s[*i] < '0' || s[*i] > '9')
			return 0;
		v = v * 10 + (s[*i] - '0');
		(*i)++;
	}
	*out = v;
	return 1;
}

static int expect_char(const char *s, size_t n, size_t *i, char c)
{
	if (*i >= n || s[*i] != c)
		return 0;
	(*i)++;
	return 1;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

ct_err time_parse_rfc3339(const char *s, size_t n, int64_t *out_ms)
{
	size_t i = 0;
	int y, mo, d, h, mi, sec, frac_ms = 0;
	if (!read_digits(s, n, &i, 4, &y) || !expect_char(s, n, &i, '-') ||
	    !read_digits(s, n, &i, 2, &mo) || !expect_char(s, n, &i, '-') ||
	    !read_digits(s, n, &i, 2, &d))
		return CT_ERR_INVALID;
	if (i >= n || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return CT_ERR_INVALID;
	i++;
	if (!read_digits(s, n, &i, 2, &h) || !expect_char(s, n, &i, ':') ||
	    !read_digits(s, n, &i, 2, &mi) || !expect_char(s, n, &i, ':') ||
	    !read_digits(s, n, &i, 2, &sec))
		return CT_ERR_INVALID;
	if (i < n && s[i] == '.') {
		i++;
		int digits = 0, scale = 100;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			frac_ms += (s[i] - '0') * scale;
			scale /= 10;
			digits++;
			i++;
		}
		if (digits == 0 || digits > 9)
			return CT_ERR_INVALID;
	}
	int offset_min = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1, oh, om;
		i++;
		if (!read_digits(s, n, &i, 2, &oh) || !expect_char(s, n, &i, ':') ||
		    !read_digits(s, n, &i, 2, &om) || oh > 23 || om > 59)
			return CT_ERR_INVALID;
		offset_min = sign * (oh * 60 + om);
	} else {
		return CT_ERR_INVALID;
	}
	if (i != n || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
	    sec > 60)
		return CT_ERR_INVALID;
	if (sec == 60) /* a leap second folds onto the next second */
		sec = 59, frac_ms = 999;
	int64_t days = time_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)offset_min * 60;
	*out_ms = secs * 1000 + frac_ms;
	return CT_OK;
}

/* Write v as exactly `digits` decimal digits at out. */
static char *put_digits(char *out, unsigned v, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return out + digits;
}

/* Formatting times is on the hot path of every list answer: digits are
 * written directly rather than through snprintf. */
void time_format_rfc3339(int64_t ms, char *out)
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	unsigned msec = (unsigned)(ms - secs * 1000);
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	unsigned rem = (unsigned)(secs - days * 86400);
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) { /* outside RFC 3339's four-digit years */
		snprintf(out, TIME_RFC3339_SIZE, "%lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
			 (long long)y, m, d, rem / 3600, rem / 60 % 60, rem % 60, msec);
		return;
	}
	char *p = put_digits(out, (unsigned)y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, rem / 3600, 2);
	*p++ = ':';
	p = put_digits(p, rem / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, rem % 60, 2);
	*p++ = '.';
	p = put_digits(p, msec, 3);
	*p++ = 'Z';
	*p = '\0';
}

/* "H:MM" or "HH:MM" at s[*i]: minutes of the day (24:00 allowed), -1 if not. */
static int parse_clock(const char *s, size_t *i)
{
	size_t k = *i;
	int h = 0, digits = 0;
	while (s[k] >= '0' && s[k] <= '9' && digits < 2) {
		h = h * 10 + (s[k++] - '0');
		digits++;
	}
	if (!digits || s[k] != ':' || !(s[k + 1] >= '0' && s[k + 1] <= '5') ||
	    !(s[k + 2] >= '0' && s[k + 2] <= '9'))
		return -1;
	int m = (s[k + 1] - '0') * 10 + (s[k + 2] - '0');
	*i = k + 3;
	if (h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

int time_parse_day_span(const char *s, int *start, int *end)
{
	size_t i = 0;
	*start = parse_clock(s, &i);
	while (s[i] == ' ')
		i++;
	if (*start < 0 || s[i++] != '-')
		return 0;
	while (s[i] == ' ')
		i++;
	*end = parse_clock(s, &i);
	return *end >= 0 && s[i] == '\0';
}

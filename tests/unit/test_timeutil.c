/*
 * test_timeutil.c: unit tests for RFC 3339 parsing and formatting
 * (src/core/timeutil.c): offsets, fractions, leap years and leap seconds,
 * malformed input, times before 1970, and a format/parse round trip checked
 * against the C library's gmtime_r.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/timeutil.h"

/* Parse a NUL-terminated string; on failure *ms is left at a marker value. */
static ct_err parse(const char *s, int64_t *ms)
{
	*ms = INT64_MIN;
	return time_parse_rfc3339(s, strlen(s), ms);
}

static int64_t parse_ok(const char *s)
{
	int64_t ms;
	ct_err err = parse(s, &ms);
	if (err != CT_OK)
		fail_msg("expected '%s' to parse, got error %d", s, (int)err);
	return ms;
}

static void assert_invalid(const char *s)
{
	int64_t ms;
	ct_err err = parse(s, &ms);
	if (err != CT_ERR_INVALID)
		fail_msg("expected '%s' to be refused, got %d (ms=%lld)", s, (int)err,
			 (long long)ms);
	assert_true(ms == INT64_MIN); /* nothing written on failure */
}

static void test_epoch_and_known_values(void **state)
{
	(void)state;
	assert_true(parse_ok("1970-01-01T00:00:00Z") == 0);
	assert_true(parse_ok("2026-11-23T07:48:56Z") == 1795420136000LL);
	assert_true(parse_ok("2000-03-01T00:00:00Z") == 951868800000LL);
	assert_true(parse_ok("9999-12-31T23:59:59Z") == 253402300799000LL);
	/* lower-case separators and a space instead of T (RFC 3339 section 5.6 note) */
	assert_true(parse_ok("2026-11-23t07:48:56z") == 1795420136000LL);
	assert_true(parse_ok("2026-11-23 07:48:56Z") == 1795420136000LL);
}

static void test_offsets(void **state)
{
	(void)state;
	int64_t utc = parse_ok("2026-11-23T07:48:56Z");
	assert_true(parse_ok("2026-11-23T08:48:56+01:00") == utc);
	assert_true(parse_ok("2026-11-23T02:18:56-05:30") == utc);
	assert_true(parse_ok("2026-11-23T07:48:56+00:00") == utc);
	assert_true(parse_ok("2026-11-23T07:48:56-00:00") == utc);
	assert_true(parse_ok("2026-11-24T07:47:56+23:59") == utc);
	assert_true(parse_ok("2026-11-22T07:49:56-23:59") == utc);
	/* an offset that moves the instant into the previous day and year */
	char out[TIME_RFC3339_SIZE];
	time_format_rfc3339(parse_ok("2026-01-01T00:30:00+01:00"), out);
	assert_string_equal(out, "2025-12-31T23:30:00.000Z");
	time_format_rfc3339(parse_ok("2025-12-31T20:00:00-04:00"), out);
	assert_string_equal(out, "2026-01-01T00:00:00.000Z");
}

static void test_bad_offsets(void **state)
{
	(void)state;
	assert_invalid("2026-11-23T07:48:56");        /* no offset at all */
	assert_invalid("2026-11-23T07:48:56+0100");   /* colon required */
	assert_invalid("2026-11-23T07:48:56+01");     /* minutes required */
	assert_invalid("2026-11-23T07:48:56+24:00");  /* hour out of range */
	assert_invalid("2026-11-23T07:48:56+01:60");  /* minute out of range */
	assert_invalid("2026-11-23T07:48:56 +01:00"); /* space before offset */
	assert_invalid("2026-11-23T07:48:56ZZ");
	assert_invalid("2026-11-23T07:48:56Z ");
	assert_invalid("2026-11-23T07:48:56UTC");
}

static void test_fractions(void **state)
{
	(void)state;
	int64_t base = parse_ok("2026-11-23T07:48:56Z");
	assert_true(parse_ok("2026-11-23T07:48:56.5Z") == base + 500);
	assert_true(parse_ok("2026-11-23T07:48:56.05Z") == base + 50);
	assert_true(parse_ok("2026-11-23T07:48:56.123Z") == base + 123);
	assert_true(parse_ok("2026-11-23T07:48:56.000Z") == base);
	/* digits past milliseconds are truncated, not rounded */
	assert_true(parse_ok("2026-11-23T07:48:56.999999Z") == base + 999);
	assert_true(parse_ok("2026-11-23T07:48:56.123456789Z") == base + 123);
	assert_true(parse_ok("2026-11-23T08:48:56.5+01:00") == base + 500);
	assert_invalid("2026-11-23T07:48:56.Z"); /* a dot needs at least one digit */
	assert_invalid("2026-11-23T07:48:56,5Z");
	assert_invalid("2026-11-23T07:48:56.5.5Z");
	assert_invalid("2026-11-23T07:48:56.-5Z");
}

static void test_leap_years(void **state)
{
	(void)state;
	char out[TIME_RFC3339_SIZE];
	time_format_rfc3339(parse_ok("2024-02-29T12:00:00Z"), out);
	assert_string_equal(out, "2024-02-29T12:00:00.000Z");
	time_format_rfc3339(parse_ok("2000-02-29T00:00:00Z"), out); /* divisible by 400 */
	assert_string_equal(out, "2000-02-29T00:00:00.000Z");
	assert_true(parse_ok("2024-03-01T00:00:00Z") - parse_ok("2024-02-28T00:00:00Z") ==
		    2 * 86400000LL);
	assert_true(parse_ok("2023-03-01T00:00:00Z") - parse_ok("2023-02-28T00:00:00Z") ==
		    86400000LL);
	assert_invalid("2023-02-29T00:00:00Z"); /* not a leap year */
	assert_invalid("1900-02-29T00:00:00Z"); /* divisible by 100, not by 400 */
	assert_invalid("2100-02-29T00:00:00Z");
	assert_invalid("2024-02-30T00:00:00Z");
}

static void test_field_ranges(void **state)
{
	(void)state;
	assert_invalid("2026-00-10T00:00:00Z");
	assert_invalid("2026-13-10T00:00:00Z");
	assert_invalid("2026-01-00T00:00:00Z");
	assert_invalid("2026-01-32T00:00:00Z");
	assert_invalid("2026-04-31T00:00:00Z");
	assert_invalid("2026-06-31T00:00:00Z");
	assert_invalid("2026-11-23T24:00:00Z");
	assert_invalid("2026-11-23T23:60:00Z");
	assert_invalid("2026-11-23T23:59:61Z");
	parse_ok("2026-04-30T23:59:59Z");
	parse_ok("2026-12-31T23:59:59Z");
	parse_ok("0000-01-01T00:00:00Z");
}

static void test_leap_second(void **state)
{
	(void)state;
	/* 2016-12-31T23:59:60Z was a real leap second; it folds onto the last ms of :59 */
	int64_t leap = parse_ok("2016-12-31T23:59:60Z");
	assert_true(leap == parse_ok("2016-12-31T23:59:59.999Z"));
	assert_true(leap < parse_ok("2017-01-01T00:00:00Z"));
	assert_true(leap == 1483228799999LL);
	/* the same leap second written in local time */
	assert_true(parse_ok("2017-01-01T00:59:60+01:00") == leap);
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"2026",
		"2026-11-23",
		"2026-11-23T",
		"2026-11-23T07:48Z",
		"2026-11-23X07:48:56Z",
		"26-11-23T07:48:56Z",
		"2026-1-23T07:48:56Z",
		"2026-11-3T07:48:56Z",
		"2026-11-23T7:48:56Z",
		"2026/11/23T07:48:56Z",
		"+2026-11-23T07:48:56Z",
		"-2026-11-23T07:48:56Z",
		"20261-11-23T07:48:56Z",
		" 2026-11-23T07:48:56Z",
		"2026-11-23T07:48:56Z\n",
		"2026-11-23T07:4a:56Z",
		"yesterday",
		"1795420136",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_invalid(bad[i]);
}

static void test_length_bounded(void **state)
{
	(void)state;
	/* the parser reads exactly n bytes: no NUL needed, trailing bytes beyond n ignored */
	const char text[] = "2026-11-23T07:48:56Zgarbage";
	int64_t ms = 0;
	assert_int_equal(time_parse_rfc3339(text, 20, &ms), CT_OK);
	assert_true(ms == 1795420136000LL);
	assert_int_equal(time_parse_rfc3339(text, 21, &ms), CT_ERR_INVALID);
	/* cut short inside every field */
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(time_parse_rfc3339(text, n, &ms), CT_ERR_INVALID);
	char nonul[20];
	memcpy(nonul, text, sizeof(nonul));
	assert_int_equal(time_parse_rfc3339(nonul, sizeof(nonul), &ms), CT_OK);
}

static void test_negative_times(void **state)
{
	(void)state;
	char out[TIME_RFC3339_SIZE];
	assert_true(parse_ok("1969-12-31T23:59:59.999Z") == -1);
	assert_true(parse_ok("1969-12-31T23:59:59Z") == -1000);
	assert_true(parse_ok("1900-01-01T00:00:00Z") == -2208988800000LL);
	assert_true(parse_ok("0000-01-01T00:00:00Z") == -62167219200000LL);
	assert_true(parse_ok("1970-01-01T00:30:00+01:00") == -1800000);
	time_format_rfc3339(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
	time_format_rfc3339(-1000, out);
	assert_string_equal(out, "1969-12-31T23:59:59.000Z");
	time_format_rfc3339(-1001, out);
	assert_string_equal(out, "1969-12-31T23:59:58.999Z");
	time_format_rfc3339(-86400000, out);
	assert_string_equal(out, "1969-12-31T00:00:00.000Z");
	time_format_rfc3339(-86400001, out);
	assert_string_equal(out, "1969-12-30T23:59:59.999Z");
	time_format_rfc3339(-62167219200000LL, out);
	assert_string_equal(out, "0000-01-01T00:00:00.000Z");
}

static void test_format(void **state)
{
	(void)state;
	char out[TIME_RFC3339_SIZE];
	time_format_rfc3339(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	time_format_rfc3339(1795420136123LL, out);
	assert_string_equal(out, "2026-11-23T07:48:56.123Z");
	time_format_rfc3339(253402300799999LL, out);
	assert_string_equal(out, "9999-12-31T23:59:59.999Z");
	time_format_rfc3339(951782400000LL, out);
	assert_string_equal(out, "2000-02-29T00:00:00.000Z");
}

/* Format then parse gives the value back, and the text agrees with gmtime_r. */
static void check_round_trip(int64_t ms)
{
	char out[TIME_RFC3339_SIZE];
	time_format_rfc3339(ms, out);
	int64_t back;
	if (time_parse_rfc3339(out, strlen(out), &back) != CT_OK || back != ms)
		fail_msg("round trip of %lld via '%s' failed", (long long)ms, out);

	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	time_t t = (time_t)secs;
	struct tm tm;
	assert_non_null(gmtime_r(&t, &tm));
	char want[TIME_RFC3339_SIZE];
	snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ms - secs * 1000));
	if (strcmp(out, want) != 0)
		fail_msg("%lld formats as '%s', gmtime_r says '%s'", (long long)ms, out, want);
}

static void test_round_trip_range(void **state)
{
	(void)state;
	const int64_t lo = -62167219200000LL; /* 0000-01-01 */
	const int64_t hi = 253402300799999LL; /* 9999-12-31T23:59:59.999 */
	/* an odd step so that every field (ms, seconds, days, months) varies */
	const int64_t step = 7777777777LL + 333;
	int checked = 0;
	for (int64_t ms = lo; ms <= hi; ms += step, checked++)
		check_round_trip(ms);
	assert_true(checked > 40000);
	/* dense around the epoch, month ends and leap days */
	for (int64_t ms = -5000; ms <= 5000; ms += 7)
		check_round_trip(ms);
	static const char *const edges[] = {
		"1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "1999-12-31T23:59:59Z",
		"2000-01-01T00:00:00Z", "2000-02-29T23:59:59Z", "2100-02-28T23:59:59Z",
		"2100-03-01T00:00:00Z", "1600-02-29T00:00:00Z", "1601-01-01T00:00:00Z",
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		int64_t ms = parse_ok(edges[i]);
		for (int64_t d = -1001; d <= 1001; d += 13)
			check_round_trip(ms + d);
	}
	check_round_trip(lo);
	check_round_trip(hi);
}

static void test_days_from_civil(void **state)
{
	(void)state;
	assert_true(time_days_from_civil(1970, 1, 1) == 0);
	assert_true(time_days_from_civil(1970, 1, 2) == 1);
	assert_true(time_days_from_civil(1969, 12, 31) == -1);
	assert_true(time_days_from_civil(2000, 3, 1) == 11017);
	assert_true(time_days_from_civil(2024, 3, 1) - time_days_from_civil(2024, 2, 28) == 2);
	assert_true(time_days_from_civil(0, 1, 1) == -719528);
}

static void test_clocks(void **state)
{
	(void)state;
	int64_t now = time_now_ms();
	assert_true(now > 1577836800000LL); /* after 2020 */
	int64_t a = time_mono_ms();
	struct timespec ts = {0, 20 * 1000000L};
	nanosleep(&ts, NULL);
	int64_t b = time_mono_ms();
	assert_true(b - a >= 19);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch_and_known_values),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_bad_offsets),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_field_ranges),
		cmocka_unit_test(test_leap_second),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_negative_times),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip_range),
		cmocka_unit_test(test_days_from_civil),
		cmocka_unit_test(test_clocks),
	};
	return cmocka_run_group_tests_name("timeutil", tests, NULL, NULL);
}

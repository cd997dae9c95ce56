/*
 * test_calendar.c: unit tests for office hours and business time
 * (src/triage/calendar.c): time zones and the conversion of local times
 * around the DST changes (gap and overlap), is_open, next_open and
 * closed_since across weekends, holidays and closure days, add_business and
 * business_between with exact expected instants, the guards against
 * endless searches, and property tests over seeded random starts and
 * durations, including a minute-by-minute oracle and several threads
 * sharing one calendar.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/timeutil.h"
#include "triage/calendar.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

/* ---- helpers ---------------------------------------------------------- */

/* An RFC 3339 time as ms; fails the test on a typo. */
static int64_t at(const char *s)
{
	int64_t ms;
	if (time_parse_rfc3339(s, strlen(s), &ms) != CT_OK)
		fail_msg("bad time in test: %s", s);
	return ms;
}

/* got must be the instant want (RFC 3339); the message shows both. */
#define assert_time(got, want) assert_time_at((got), (want), __LINE__)
static void assert_time_at(int64_t got, const char *want, int line)
{
	if (got != at(want)) {
		char shown[TIME_RFC3339_SIZE];
		time_format_rfc3339(got, shown);
		fail_msg("line %d: got %s (%lld), want %s", line, shown, (long long)got, want);
	}
}

/* A new calendar for zone; fails the test when the zone is refused. */
static calendar *new_calendar(const char *zone)
{
	calendar *cal = calendar_new(zone);
	if (!cal)
		fail_msg("calendar_new(%s) failed", zone);
	return cal;
}

/* Open on weekday wd from "HH:MM" to "HH:MM". */
static void hours(calendar *cal, int wd, int start_h, int start_m, int end_h, int end_m)
{
	assert_int_equal(calendar_add_hours(cal, wd, start_h * 60 + start_m, end_h * 60 + end_m),
			 CT_OK);
}

/* The office of the examples: Berlin time, NRW holidays, Mon-Thu
 * 08:00-18:00, Fri 08:00-16:00, closed on 24 and 31 December 2026. */
static calendar *office(void)
{
	calendar *cal = new_calendar("Europe/Berlin");
	for (int wd = 0; wd < 4; wd++)
		hours(cal, wd, 8, 0, 18, 0);
	hours(cal, 4, 8, 0, 16, 0);
	assert_int_equal(calendar_set_state(cal, "NW"), CT_OK);
	assert_int_equal(calendar_add_closed_day(cal, 2026, 12, 24, "Heiligabend"), CT_OK);
	assert_int_equal(calendar_add_closed_day(cal, 2026, 12, 31, "Silvester"), CT_OK);
	return cal;
}

/* Open around the clock, every day. */
static calendar *always_open(const char *zone)
{
	calendar *cal = new_calendar(zone);
	for (int wd = 0; wd < 7; wd++)
		hours(cal, wd, 0, 0, 24, 0);
	return cal;
}

/* Hours chosen to hit the awkward cases: several intervals a day, midnight,
 * one-minute intervals and Sunday nights across the DST changes. */
static calendar *odd_hours(const char *zone)
{
	calendar *cal = new_calendar(zone);
	hours(cal, 0, 7, 30, 12, 0);
	hours(cal, 0, 12, 30, 19, 15);
	hours(cal, 1, 0, 0, 24, 0);
	hours(cal, 2, 22, 0, 24, 0);
	hours(cal, 3, 0, 0, 1, 0);
	hours(cal, 3, 9, 0, 9, 1);
	hours(cal, 5, 1, 0, 3, 30);
	hours(cal, 6, 1, 30, 2, 15);
	hours(cal, 6, 2, 20, 2, 40);
	hours(cal, 6, 2, 50, 3, 10);
	assert_int_equal(calendar_set_state(cal, "BY"), CT_OK);
	assert_int_equal(calendar_add_regional(cal, "mariae_himmelfahrt"), CT_OK);
	assert_int_equal(calendar_add_closed_day(cal, 2026, 3, 31, NULL), CT_OK);
	assert_int_equal(calendar_add_closed_day(cal, 2027, 11, 2, "Betriebsausflug"), CT_OK);
	return cal;
}

/* ---- time zones ------------------------------------------------------- */

static void test_zones(void **state)
{
	(void)state;
	static const char *const refused[] = {"Foo/Bar",
					      "europe/berlin",
					      "",
					      "Etc/Unknown",
					      "GMT+5",
					      "Europe/Berlin ",
					      "Europe/Berlin\n",
					      "Europe/../Berlin",
					      NULL};
	for (int i = 0; refused[i]; i++)
		if (calendar_new(refused[i]))
			fail_msg("zone '%s' should be refused", refused[i]);
	assert_null(calendar_new(NULL));
	static const char *const known[] = {"Europe/Berlin",
					    "UTC",
					    "Etc/UTC",
					    "US/Eastern",
					    "America/New_York",
					    "Asia/Kolkata",
					    "Etc/GMT-14",
					    "Australia/Lord_Howe",
					    NULL};
	for (int i = 0; known[i]; i++) {
		calendar *cal = new_calendar(known[i]);
		assert_string_equal(calendar_time_zone(cal), known[i]);
		calendar_free(cal);
	}
	calendar_free(NULL);
}

/* calendar_local of t must be y-m-d, weekday wd, minute. */
#define assert_local(cal, t, y, m, d, wd, minute) \
	assert_local_at((cal), (t), (int[]){y, m, d, wd, minute}, __LINE__)
static void assert_local_at(const calendar *cal, int64_t t, const int *want, int line)
{
	int got[5];
	calendar_local(cal, t, &got[0], &got[1], &got[2], &got[3], &got[4]);
	if (memcmp(got, want, sizeof(got)) != 0)
		fail_msg("line %d: got %d-%02d-%02d wd %d %02d:%02d, want %d-%02d-%02d wd %d "
			 "%02d:%02d",
			 line, got[0], got[1], got[2], got[3], got[4] / 60, got[4] % 60, want[0],
			 want[1], want[2], want[3], want[4] / 60, want[4] % 60);
}

static void test_local_around_dst(void **state)
{
	(void)state;
	calendar *cal = new_calendar("Europe/Berlin");
	/* spring: 2026-03-29 02:00 CET becomes 03:00 CEST at 01:00Z */
	assert_local(cal, at("2026-03-29T00:59:59.999Z"), 2026, 3, 29, 6, 1 * 60 + 59);
	assert_local(cal, at("2026-03-29T01:00:00Z"), 2026, 3, 29, 6, 3 * 60);
	/* autumn: 03:00 CEST becomes 02:00 CET at 01:00Z; 02:xx happens twice */
	assert_local(cal, at("2026-10-25T00:30:00Z"), 2026, 10, 25, 6, 2 * 60 + 30);
	assert_local(cal, at("2026-10-25T01:30:00Z"), 2026, 10, 25, 6, 2 * 60 + 30);
	assert_local(cal, at("2026-10-25T02:00:00Z"), 2026, 10, 25, 6, 3 * 60);
	/* midnight, the turn of the year, before 1970 */
	assert_local(cal, at("2025-12-31T23:30:00Z"), 2026, 1, 1, 3, 30);
	assert_local(cal, at("2026-06-30T22:00:00Z"), 2026, 7, 1, 2, 0);
	assert_local(cal, at("1969-12-31T22:59:00Z"), 1969, 12, 31, 2, 23 * 60 + 59);
	calendar_free(cal);

	cal = new_calendar("Asia/Kolkata");
	assert_local(cal, at("2026-01-01T00:00:00Z"), 2026, 1, 1, 3, 5 * 60 + 30);
	calendar_free(cal);
	cal = new_calendar("UTC");
	assert_local(cal, at("2026-11-23T07:48:56Z"), 2026, 11, 23, 0, 7 * 60 + 48);
	calendar_free(cal);
}

static void test_utc_around_dst(void **state)
{
	(void)state;
	calendar *cal = new_calendar("Europe/Berlin");
	assert_time(calendar_utc(cal, 2026, 1, 15, 9 * 60), "2026-01-15T08:00:00Z");
	assert_time(calendar_utc(cal, 2026, 7, 15, 9 * 60), "2026-07-15T07:00:00Z");
	/* the gap: 02:00-03:00 on 29 March does not exist; it maps to 03:00 CEST */
	assert_time(calendar_utc(cal, 2026, 3, 29, 1 * 60 + 59), "2026-03-29T00:59:00Z");
	assert_time(calendar_utc(cal, 2026, 3, 29, 2 * 60), "2026-03-29T01:00:00Z");
	assert_time(calendar_utc(cal, 2026, 3, 29, 2 * 60 + 30), "2026-03-29T01:00:00Z");
	assert_time(calendar_utc(cal, 2026, 3, 29, 3 * 60), "2026-03-29T01:00:00Z");
	assert_time(calendar_utc(cal, 2026, 3, 29, 3 * 60 + 1), "2026-03-29T01:01:00Z");
	/* the overlap: 02:00-03:00 on 25 October happens twice; the first counts */
	assert_time(calendar_utc(cal, 2026, 10, 25, 1 * 60 + 59), "2026-10-24T23:59:00Z");
	assert_time(calendar_utc(cal, 2026, 10, 25, 2 * 60), "2026-10-25T00:00:00Z");
	assert_time(calendar_utc(cal, 2026, 10, 25, 2 * 60 + 30), "2026-10-25T00:30:00Z");
	assert_time(calendar_utc(cal, 2026, 10, 25, 3 * 60), "2026-10-25T02:00:00Z");
	/* minute 1440 is the next midnight; month 13 is next January */
	assert_time(calendar_utc(cal, 2026, 3, 28, 1440), "2026-03-28T23:00:00Z");
	assert_time(calendar_utc(cal, 2026, 13, 1, 0), "2026-12-31T23:00:00Z");
	calendar_free(cal);

	cal = new_calendar("America/New_York");
	assert_time(calendar_utc(cal, 2026, 3, 8, 2 * 60 + 30), "2026-03-08T07:00:00Z");
	assert_time(calendar_utc(cal, 2026, 11, 1, 1 * 60 + 30), "2026-11-01T05:30:00Z");
	calendar_free(cal);
	cal = new_calendar("Australia/Lord_Howe"); /* half an hour of DST, at 02:00 */
	assert_time(calendar_utc(cal, 2026, 4, 5, 1 * 60 + 45), "2026-04-04T14:45:00Z");
	assert_time(calendar_utc(cal, 2026, 7, 1, 12 * 60), "2026-07-01T01:30:00Z");
	calendar_free(cal);
}

/* local -> utc -> local is the identity on whole minutes, except in the
 * second pass of an overlap (which maps to the first). */
static void test_round_trip(void **state)
{
	(void)state;
	static const char *const zones[] = {"Europe/Berlin", "America/New_York",
					    "Australia/Lord_Howe", "Asia/Kolkata", NULL};
	for (int z = 0; zones[z]; z++) {
		calendar *cal = new_calendar(zones[z]);
		int overlaps = 0;
		for (int64_t t = at("2025-01-01T00:00:00Z"); t < at("2027-01-01T00:00:00Z");
		     t += 7 * MIN_MS) {
			int y, m, d, wd, minute;
			calendar_local(cal, t, &y, &m, &d, &wd, &minute);
			int64_t back = calendar_utc(cal, y, m, d, minute);
			int64_t floor_min = t - (t % MIN_MS + MIN_MS) % MIN_MS;
			int again[5];
			calendar_local(cal, back, &again[0], &again[1], &again[2], &again[3],
				       &again[4]);
			if (again[0] != y || again[1] != m || again[2] != d || again[4] != minute ||
			    back > floor_min || floor_min - back > HOUR_MS)
				fail_msg("%s: %lld -> %d-%02d-%02d %d -> %lld", zones[z],
					 (long long)t, y, m, d, minute, (long long)back);
			if (back != floor_min)
				overlaps++;
		}
		assert_true(overlaps > 0 || z == 3); /* Kolkata keeps one offset */
		calendar_free(cal);
	}
}

/* ---- hours, holidays, closure days ------------------------------------- */

static void test_add_hours_rules(void **state)
{
	(void)state;
	calendar *cal = new_calendar("Europe/Berlin");
	assert_int_equal(calendar_add_hours(cal, -1, 0, 60), CT_ERR_INVALID);
	assert_int_equal(calendar_add_hours(cal, 7, 0, 60), CT_ERR_INVALID);
	assert_int_equal(calendar_add_hours(cal, 0, -1, 60), CT_ERR_INVALID);
	assert_int_equal(calendar_add_hours(cal, 0, 60, 60), CT_ERR_INVALID);
	assert_int_equal(calendar_add_hours(cal, 0, 120, 60), CT_ERR_INVALID);
	assert_int_equal(calendar_add_hours(cal, 0, 0, 1441), CT_ERR_INVALID);
	assert_int_equal(calendar_add_hours(cal, 0, 13 * 60, 17 * 60), CT_OK);
	assert_int_equal(calendar_add_hours(cal, 0, 8 * 60, 12 * 60), CT_OK);
	assert_int_equal(calendar_add_hours(cal, 0, 11 * 60, 14 * 60), CT_ERR_CONFLICT);
	assert_int_equal(calendar_add_hours(cal, 0, 9 * 60, 10 * 60), CT_ERR_CONFLICT);
	assert_int_equal(calendar_add_hours(cal, 0, 7 * 60, 18 * 60), CT_ERR_CONFLICT);
	assert_int_equal(calendar_add_hours(cal, 0, 12 * 60, 13 * 60), CT_OK); /* adjacent */
	assert_int_equal(calendar_add_hours(cal, 0, 17 * 60, 1440), CT_OK);
	int added = 0;
	for (int m = 0; m < 8 * 60 && calendar_add_hours(cal, 0, m, m + 1) == CT_OK; m += 2)
		added++;
	assert_true(added > 0 && added < 20); /* a cap, not unbounded growth */
	assert_int_equal(calendar_add_hours(cal, 0, 479, 480), CT_ERR_TOO_LARGE);
	/* adjacent intervals are one open stretch */
	int64_t noon = at("2026-11-23T11:00:00Z");
	assert_true(calendar_is_open(cal, noon));
	assert_int_equal(calendar_business_between(cal, at("2026-11-23T10:00:00Z"),
						   at("2026-11-23T22:59:59Z")),
			 13 * HOUR_MS - 1000);
	calendar_free(cal);
}

static void test_closure_days(void **state)
{
	(void)state;
	calendar *cal = office();
	const char *name = NULL;
	assert_true(calendar_is_holiday(cal, 2026, 12, 24, &name));
	assert_string_equal(name, "Heiligabend");
	assert_true(calendar_is_holiday(cal, 2026, 12, 25, &name));
	assert_string_equal(name, "1. Weihnachtstag");
	assert_false(calendar_is_holiday(cal, 2026, 12, 23, &name));
	assert_null(name);
	assert_false(calendar_is_holiday(cal, 2026, 2, 30, NULL)); /* no such date */
	/* invalid dates are refused; a second entry for a day keeps the first name */
	assert_int_equal(calendar_add_closed_day(cal, 2026, 2, 29, "x"), CT_ERR_INVALID);
	assert_int_equal(calendar_add_closed_day(cal, 2026, 13, 1, "x"), CT_ERR_INVALID);
	assert_int_equal(calendar_add_closed_day(cal, 2026, 4, 0, "x"), CT_ERR_INVALID);
	assert_int_equal(calendar_add_closed_day(cal, 1899, 12, 31, "x"), CT_ERR_INVALID);
	assert_int_equal(calendar_add_closed_day(cal, 2200, 1, 1, "x"), CT_ERR_INVALID);
	assert_int_equal(calendar_add_closed_day(cal, 2026, 12, 24, "anders"), CT_OK);
	assert_true(calendar_is_holiday(cal, 2026, 12, 24, &name));
	assert_string_equal(name, "Heiligabend");
	/* a public holiday's name wins over a closure day's */
	assert_int_equal(calendar_add_closed_day(cal, 2026, 12, 25, "Betriebsferien"), CT_OK);
	assert_true(calendar_is_holiday(cal, 2026, 12, 25, &name));
	assert_string_equal(name, "1. Weihnachtstag");
	/* unnamed: a generic name; the name is copied */
	char buf[16] = "Inventur";
	assert_int_equal(calendar_add_closed_day(cal, 2024, 2, 29, NULL), CT_OK);
	assert_int_equal(calendar_add_closed_day(cal, 2026, 8, 3, buf), CT_OK);
	memcpy(buf, "XXXXXXXX", 8);
	assert_true(calendar_is_holiday(cal, 2024, 2, 29, &name));
	assert_string_equal(name, "Schließtag");
	assert_true(calendar_is_holiday(cal, 2026, 8, 3, &name));
	assert_string_equal(name, "Inventur");
	/* a closed Monday is closed all day */
	assert_false(calendar_is_open(cal, at("2026-08-03T10:00:00Z")));
	assert_true(calendar_is_open(cal, at("2026-08-04T10:00:00Z")));
	/* another state replaces NRW's holidays; closure days and regional ones stay */
	assert_int_equal(calendar_add_regional(cal, "augsburger_friedensfest"), CT_OK);
	assert_int_equal(calendar_set_state(cal, "BE"), CT_OK);
	assert_true(calendar_is_open(cal, at("2026-06-04T10:00:00Z")));  /* Fronleichnam */
	assert_true(calendar_is_open(cal, at("2026-03-09T10:00:00Z")));  /* the day after */
	assert_false(calendar_is_open(cal, at("2027-03-08T10:00:00Z"))); /* Frauentag */
	assert_false(calendar_is_open(cal, at("2026-08-03T10:00:00Z"))); /* Inventur */
	assert_false(calendar_is_open(cal, at("2029-08-08T10:00:00Z"))); /* Friedensfest */
	assert_true(calendar_is_holiday(cal, 2027, 3, 8, &name));
	assert_string_equal(name, "Internationaler Frauentag");
	assert_int_equal(calendar_set_state(cal, "XX"), CT_ERR_INVALID);
	assert_true(calendar_is_holiday(cal, 2027, 3, 8, NULL));
	calendar_free(cal);

	/* many closure days, added out of order */
	cal = office();
	for (int i = 0; i < 1000; i++) {
		int k = (i * 389) % 1000; /* 389 is prime to 1000: every k once */
		int64_t day = time_days_from_civil(2027, 1, 1) + k;
		int y, m, d, wd, minute;
		calendar_local(cal, day * DAY_MS + 12 * HOUR_MS, &y, &m, &d, &wd, &minute);
		assert_int_equal(calendar_add_closed_day(cal, y, m, d, "zu"), CT_OK);
	}
	for (int k = 0; k < 1000; k++) {
		int y, m, d, wd, minute;
		int64_t noon = (time_days_from_civil(2027, 1, 1) + k) * DAY_MS + 12 * HOUR_MS;
		calendar_local(cal, noon, &y, &m, &d, &wd, &minute);
		assert_true(calendar_is_holiday(cal, y, m, d, NULL));
		assert_false(calendar_is_open(cal, noon));
	}
	assert_false(calendar_is_holiday(cal, 2026, 12, 30, NULL));
	/* 1000 closed days in a row: no open time within the search bound */
	assert_true(calendar_next_open(cal, at("2026-12-31T12:00:00Z")) == INT64_MAX);
	calendar_free(cal);
}

static void test_is_open(void **state)
{
	(void)state;
	calendar *cal = office();
	/* Monday 23 November 2026 (CET): open from 08:00 up to, not including, 18:00 */
	assert_false(calendar_is_open(cal, at("2026-11-23T06:59:59.999Z")));
	assert_true(calendar_is_open(cal, at("2026-11-23T07:00:00Z")));
	assert_true(calendar_is_open(cal, at("2026-11-23T16:59:59.999Z")));
	assert_false(calendar_is_open(cal, at("2026-11-23T17:00:00Z")));
	/* Friday closes at 16:00; the weekend is closed */
	assert_true(calendar_is_open(cal, at("2026-11-27T14:59:00Z")));
	assert_false(calendar_is_open(cal, at("2026-11-27T15:00:00Z")));
	assert_false(calendar_is_open(cal, at("2026-11-28T10:00:00Z")));
	assert_false(calendar_is_open(cal, at("2026-11-29T10:00:00Z")));
	/* in summer time 08:00 is 06:00Z */
	assert_true(calendar_is_open(cal, at("2026-07-15T06:00:00Z")));
	assert_false(calendar_is_open(cal, at("2026-07-15T05:59:59Z")));
	/* holidays: Fronleichnam (a Thursday in NRW), Karfreitag, and a closure day */
	assert_false(calendar_is_open(cal, at("2026-06-04T10:00:00Z")));
	assert_false(calendar_is_open(cal, at("2026-04-03T10:00:00Z")));
	assert_false(calendar_is_open(cal, at("2026-12-24T10:00:00Z")));
	assert_true(calendar_is_open(cal, at("2026-12-23T10:00:00Z")));
	/* a lunch break */
	calendar *lunch = new_calendar("Europe/Berlin");
	hours(lunch, 0, 8, 0, 12, 0);
	hours(lunch, 0, 13, 0, 17, 0);
	assert_true(calendar_is_open(lunch, at("2026-11-23T10:59:00Z")));
	assert_false(calendar_is_open(lunch, at("2026-11-23T11:30:00Z")));
	assert_true(calendar_is_open(lunch, at("2026-11-23T12:00:00Z")));
	calendar_free(lunch);
	calendar_free(cal);
}

static void test_next_open(void **state)
{
	(void)state;
	calendar *cal = office();
	/* open: t itself */
	assert_time(calendar_next_open(cal, at("2026-11-23T10:00:00Z")), "2026-11-23T10:00:00Z");
	/* early morning: 08:00 the same day */
	assert_time(calendar_next_open(cal, at("2026-11-23T05:00:00Z")), "2026-11-23T07:00:00Z");
	/* Thursday evening before Easter: Karfreitag, the weekend, Ostermontag */
	assert_time(calendar_next_open(cal, at("2026-04-02T16:30:00Z")), "2026-04-07T06:00:00Z");
	/* before Christmas: Heiligabend closed, both Weihnachtstage, the weekend */
	assert_time(calendar_next_open(cal, at("2026-12-23T17:00:00Z")), "2026-12-28T07:00:00Z");
	/* across the spring change: Friday CET evening to Monday CEST morning */
	assert_time(calendar_next_open(cal, at("2026-03-27T15:00:00Z")), "2026-03-30T06:00:00Z");
	assert_time(calendar_next_open(cal, at("2026-10-23T14:00:00Z")), "2026-10-26T07:00:00Z");
	/* New Year: Silvester closed, Neujahr on a Friday */
	assert_time(calendar_next_open(cal, at("2026-12-30T17:00:00Z")), "2027-01-04T07:00:00Z");
	calendar_free(cal);
}

static void test_closed_since(void **state)
{
	(void)state;
	calendar *cal = office();
	int64_t open = at("2026-11-23T10:00:00Z");
	assert_true(calendar_closed_since(cal, open) == open);
	/* after Easter: closed since Thursday 18:00 CEST */
	assert_time(calendar_closed_since(cal, at("2026-04-07T05:00:00Z")), "2026-04-02T16:00:00Z");
	assert_time(calendar_closed_since(cal, at("2026-04-04T12:00:00Z")), "2026-04-02T16:00:00Z");
	/* Monday before opening: since Friday 16:00 */
	assert_time(calendar_closed_since(cal, at("2026-11-30T06:59:00Z")), "2026-11-27T15:00:00Z");
	/* at the very instant of closing */
	assert_time(calendar_closed_since(cal, at("2026-11-23T17:00:00Z")), "2026-11-23T17:00:00Z");
	/* the same closed period gives the same answer throughout */
	int64_t since = calendar_closed_since(cal, at("2026-12-23T17:00:01Z"));
	for (int64_t t = at("2026-12-23T17:00:00Z"); t < at("2026-12-28T07:00:00Z"); t += HOUR_MS)
		assert_true(calendar_closed_since(cal, t) == since);
	assert_true(calendar_closed_since(cal, at("2026-12-28T07:00:00Z")) ==
		    at("2026-12-28T07:00:00Z"));
	calendar_free(cal);
}

/* ---- business time ---------------------------------------------------- */

static void test_add_business_office(void **state)
{
	(void)state;
	calendar *cal = office();
	/* within a day; up to closing exactly (not the next morning) */
	assert_time(calendar_add_business(cal, at("2026-11-23T08:00:00Z"), 4 * HOUR_MS),
		    "2026-11-23T12:00:00Z");
	assert_time(calendar_add_business(cal, at("2026-11-23T13:00:00Z"), 4 * HOUR_MS),
		    "2026-11-23T17:00:00Z");
	/* over night */
	assert_time(calendar_add_business(cal, at("2026-11-23T15:00:00Z"), 4 * HOUR_MS),
		    "2026-11-24T09:00:00Z");
	/* start in closed time: the clock starts when the office opens */
	assert_time(calendar_add_business(cal, at("2026-11-28T09:00:00Z"), HOUR_MS),
		    "2026-11-30T08:00:00Z");
	assert_time(calendar_add_business(cal, at("2026-11-23T05:00:00Z"), 30 * MIN_MS),
		    "2026-11-23T07:30:00Z");
	/* over the weekend */
	assert_time(calendar_add_business(cal, at("2026-11-27T14:00:00Z"), 2 * HOUR_MS),
		    "2026-11-30T08:00:00Z");
	/* a whole week of open time ends at Friday's closing, one hour more on Monday */
	assert_time(calendar_add_business(cal, at("2026-11-23T07:00:00Z"), 48 * HOUR_MS),
		    "2026-11-27T15:00:00Z");
	assert_time(calendar_add_business(cal, at("2026-11-23T07:00:00Z"), 49 * HOUR_MS),
		    "2026-11-30T08:00:00Z");
	/* over Easter (Karfreitag, Ostermontag) */
	assert_time(calendar_add_business(cal, at("2026-04-02T15:00:00Z"), 2 * HOUR_MS),
		    "2026-04-07T07:00:00Z");
	/* over Christmas (a closure day and two holidays) and New Year */
	assert_time(calendar_add_business(cal, at("2026-12-23T16:00:00Z"), 3 * HOUR_MS),
		    "2026-12-28T09:00:00Z");
	assert_time(calendar_add_business(cal, at("2026-12-30T16:00:00Z"), 2 * HOUR_MS),
		    "2027-01-04T08:00:00Z");
	/* over both DST changes: Friday in one offset, Monday in the other */
	assert_time(calendar_add_business(cal, at("2026-03-27T14:00:00Z"), 2 * HOUR_MS),
		    "2026-03-30T07:00:00Z");
	assert_time(calendar_add_business(cal, at("2026-10-23T13:00:00Z"), 2 * HOUR_MS),
		    "2026-10-26T08:00:00Z");
	/* duration 0 (or less): start, open or not */
	int64_t sat = at("2026-11-28T09:00:00Z");
	assert_true(calendar_add_business(cal, sat, 0) == sat);
	assert_true(calendar_add_business(cal, sat, -5) == sat);
	/* a millisecond */
	assert_time(calendar_add_business(cal, sat, 1), "2026-11-30T07:00:00.001Z");
	calendar_free(cal);
}

static void test_business_dst_days(void **state)
{
	(void)state;
	/* around the clock: business time is elapsed time, the short and long days included */
	calendar *cal = always_open("Europe/Berlin");
	int64_t spring = calendar_utc(cal, 2026, 3, 29, 0);
	assert_time(spring, "2026-03-28T23:00:00Z");
	assert_time(calendar_add_business(cal, spring, 24 * HOUR_MS), "2026-03-29T23:00:00Z");
	assert_local(cal, at("2026-03-29T23:00:00Z"), 2026, 3, 30, 0, 60);
	assert_int_equal(calendar_business_between(cal, spring, calendar_utc(cal, 2026, 3, 30, 0)),
			 23 * HOUR_MS);
	int64_t autumn = calendar_utc(cal, 2026, 10, 25, 0);
	assert_int_equal(calendar_business_between(cal, autumn, calendar_utc(cal, 2026, 10, 26, 0)),
			 25 * HOUR_MS);
	assert_true(calendar_is_open(cal, at("2026-10-25T01:30:00Z")));
	assert_true(calendar_closed_since(cal, autumn) == autumn);
	calendar_free(cal);

	/* Sunday 00:00-06:00: five real hours in spring, seven in autumn */
	cal = new_calendar("Europe/Berlin");
	hours(cal, 6, 0, 0, 6, 0);
	assert_int_equal(calendar_business_between(cal, at("2026-03-28T12:00:00Z"),
						   at("2026-03-29T12:00:00Z")),
			 5 * HOUR_MS);
	assert_time(calendar_add_business(cal, at("2026-03-28T12:00:00Z"), 5 * HOUR_MS),
		    "2026-03-29T04:00:00Z");
	assert_int_equal(calendar_business_between(cal, at("2026-10-24T12:00:00Z"),
						   at("2026-10-25T12:00:00Z")),
			 7 * HOUR_MS);
	assert_time(calendar_add_business(cal, at("2026-10-24T12:00:00Z"), 7 * HOUR_MS),
		    "2026-10-25T05:00:00Z");
	assert_time(calendar_add_business(cal, at("2026-10-24T12:00:00Z"), 7 * HOUR_MS + 1),
		    "2026-10-31T23:00:00.001Z");
	calendar_free(cal);

	/* hours inside the gap: 02:00-04:00 is one hour on the spring Sunday */
	cal = new_calendar("Europe/Berlin");
	hours(cal, 6, 2, 0, 4, 0);
	assert_false(calendar_is_open(cal, at("2026-03-29T00:59:59Z")));
	assert_true(calendar_is_open(cal, at("2026-03-29T01:00:00Z")));
	assert_false(calendar_is_open(cal, at("2026-03-29T02:00:00Z")));
	assert_time(calendar_next_open(cal, at("2026-03-28T20:00:00Z")), "2026-03-29T01:00:00Z");
	assert_int_equal(calendar_business_between(cal, at("2026-03-28T00:00:00Z"),
						   at("2026-03-30T00:00:00Z")),
			 HOUR_MS);
	assert_int_equal(calendar_business_between(cal, at("2026-03-21T00:00:00Z"),
						   at("2026-03-23T00:00:00Z")),
			 2 * HOUR_MS);
	calendar_free(cal);

	/* hours wholly inside the gap do not open at all that day */
	cal = new_calendar("Europe/Berlin");
	hours(cal, 6, 2, 0, 2, 30);
	assert_time(calendar_next_open(cal, at("2026-03-28T20:00:00Z")), "2026-04-05T00:00:00Z");
	calendar_free(cal);

	/* hours inside the overlap refer to the first pass of the wall clock */
	cal = new_calendar("Europe/Berlin");
	hours(cal, 6, 2, 0, 2, 30);
	hours(cal, 6, 2, 30, 3, 30);
	assert_true(calendar_is_open(cal, at("2026-10-25T00:15:00Z")));  /* 02:15 CEST */
	assert_true(calendar_is_open(cal, at("2026-10-25T01:15:00Z")));  /* 02:15 CET */
	assert_false(calendar_is_open(cal, at("2026-10-25T02:30:00Z"))); /* 03:30 CET */
	assert_int_equal(calendar_business_between(cal, at("2026-10-24T00:00:00Z"),
						   at("2026-10-26T00:00:00Z")),
			 30 * MIN_MS + 2 * HOUR_MS);
	calendar_free(cal);
}

static void test_business_between(void **state)
{
	(void)state;
	calendar *cal = office();
	assert_int_equal(calendar_business_between(cal, at("2026-11-23T08:00:00Z"),
						   at("2026-11-24T08:00:00Z")),
			 10 * HOUR_MS);
	assert_int_equal(calendar_business_between(cal, at("2026-11-22T23:00:00Z"),
						   at("2026-11-29T23:00:00Z")),
			 48 * HOUR_MS);
	/* the week after the spring change, with Karfreitag */
	assert_int_equal(calendar_business_between(cal, at("2026-03-29T22:00:00Z"),
						   at("2026-04-05T22:00:00Z")),
			 40 * HOUR_MS);
	/* the week of the spring change: office hours are not touched */
	assert_int_equal(calendar_business_between(cal, at("2026-03-22T23:00:00Z"),
						   at("2026-03-29T22:00:00Z")),
			 48 * HOUR_MS);
	/* closed time only */
	assert_int_equal(calendar_business_between(cal, at("2026-11-27T15:00:00Z"),
						   at("2026-11-30T07:00:00Z")),
			 0);
	/* empty and reversed ranges */
	int64_t t = at("2026-11-23T10:00:00Z");
	assert_int_equal(calendar_business_between(cal, t, t), 0);
	assert_int_equal(calendar_business_between(cal, t + HOUR_MS, t), 0);
	/* a year: 2026 has 252 weekdays in NRW that are no holiday; Fridays are shorter */
	int64_t year = calendar_business_between(cal, calendar_utc(cal, 2026, 1, 1, 0),
						 calendar_utc(cal, 2027, 1, 1, 0));
	int64_t want = 0;
	for (int64_t day = time_days_from_civil(2026, 1, 1); day < time_days_from_civil(2027, 1, 1);
	     day++) {
		int y, m, d, wd, minute;
		calendar_local(cal, day * DAY_MS + 12 * HOUR_MS, &y, &m, &d, &wd, &minute);
		if (wd < 5 && !calendar_is_holiday(cal, y, m, d, NULL))
			want += wd == 4 ? 8 * HOUR_MS : 10 * HOUR_MS;
	}
	assert_int_equal(year, want);
	calendar_free(cal);
}

/* ---- guards ------------------------------------------------------------- */

static void test_no_open_time(void **state)
{
	(void)state;
	calendar *cal = new_calendar("Europe/Berlin");
	int64_t t = at("2026-11-23T10:00:00Z");
	assert_false(calendar_is_open(cal, t));
	assert_true(calendar_next_open(cal, t) == INT64_MAX);
	assert_true(calendar_add_business(cal, t, HOUR_MS) == INT64_MAX);
	assert_true(calendar_add_business(cal, t, 0) == t);
	assert_int_equal(calendar_business_between(cal, t, t + 30 * DAY_MS), 0);
	assert_true(calendar_closed_since(cal, t) == INT64_MIN);
	calendar_free(cal);

	/* Mondays only, and every Monday closed for well over 400 days */
	cal = new_calendar("Europe/Berlin");
	hours(cal, 0, 8, 0, 9, 0);
	int64_t monday = time_days_from_civil(2026, 1, 5);
	int y, m, d, wd, minute;
	for (int w = 0; w < 70; w++) {
		calendar_local(cal, (monday + 7 * w) * DAY_MS + 12 * HOUR_MS, &y, &m, &d, &wd,
			       &minute);
		assert_int_equal(wd, 0);
		assert_int_equal(calendar_add_closed_day(cal, y, m, d, NULL), CT_OK);
	}
	int64_t start = at("2026-01-01T00:00:00Z");
	int64_t t0 = time_mono_ms();
	assert_true(calendar_next_open(cal, start) == INT64_MAX);
	assert_true(calendar_add_business(cal, start, MIN_MS) == INT64_MAX);
	assert_true(time_mono_ms() - t0 < 1000);
	/* the first Monday after the closures opens, seen from close enough */
	calendar_local(cal, (monday + 7 * 70) * DAY_MS + 12 * HOUR_MS, &y, &m, &d, &wd, &minute);
	int64_t after = calendar_utc(cal, y, m, d, 8 * 60);
	assert_time(after, "2027-05-10T06:00:00Z");
	assert_true(calendar_next_open(cal, after - 300 * DAY_MS) == after);
	calendar_free(cal);
}

static void test_extreme_times(void **state)
{
	(void)state;
	calendar *cal = office();
	int y, m, d, wd, minute;
	calendar_local(cal, INT64_MAX, &y, &m, &d, &wd, &minute);
	calendar_local(cal, INT64_MIN, &y, &m, &d, &wd, &minute);
	calendar_local(cal, INT64_MIN, NULL, NULL, NULL, NULL, NULL);
	assert_false(calendar_is_open(cal, INT64_MAX));
	assert_false(calendar_is_open(cal, INT64_MIN));
	assert_true(calendar_next_open(cal, INT64_MAX) == INT64_MAX);
	assert_true(calendar_add_business(cal, INT64_MAX, HOUR_MS) == INT64_MAX);
	assert_true(calendar_add_business(cal, INT64_MAX - 1, 0) == INT64_MAX - 1);
	int64_t from_min = calendar_add_business(cal, INT64_MIN, HOUR_MS);
	assert_true(from_min > at("1899-12-31T00:00:00Z") && from_min < at("1900-02-01T00:00:00Z"));
	assert_true(calendar_closed_since(cal, INT64_MIN) == INT64_MIN);
	assert_true(calendar_closed_since(cal, INT64_MAX) <= INT64_MAX);
	assert_true(calendar_business_between(cal, INT64_MIN, INT64_MAX) > 0);
	assert_true(calendar_next_open(cal, INT64_MIN) < at("1900-02-01T00:00:00Z"));
	calendar_utc(cal, INT32_MAX, 12, 31, INT32_MAX);
	calendar_utc(cal, INT32_MIN, -5, -40, -1);
	/* the last day of the range still works; after it the office is closed */
	assert_time(calendar_next_open(cal, at("2199-12-30T20:00:00Z")), "2199-12-31T07:00:00Z");
	assert_true(calendar_next_open(cal, at("2199-12-31T20:00:00Z")) == INT64_MAX);
	assert_time(calendar_add_business(cal, at("2199-12-31T16:00:00Z"), HOUR_MS),
		    "2199-12-31T17:00:00Z");
	assert_true(calendar_add_business(cal, at("2199-12-31T16:00:00Z"), HOUR_MS + 1) ==
		    INT64_MAX);
	calendar_free(cal);
}

/* ---- properties ---------------------------------------------------------- */

/* splitmix64: a small seeded generator, so that failures repeat. */
static uint64_t next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [lo, hi). */
static int64_t random_in(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(next_random(s) % (uint64_t)(hi - lo));
}

/* A start: often on a whole minute or hour (where spans begin and end),
 * sometimes anywhere. */
static int64_t random_start(uint64_t *s)
{
	int64_t t = random_in(s, at("2024-01-01T00:00:00Z"), at("2031-01-01T00:00:00Z"));
	switch (next_random(s) % 3) {
	case 0: return t - t % HOUR_MS;
	case 1: return t - t % MIN_MS;
	default: return t;
	}
}

/* A duration: zero, a few ms, minutes, hours or weeks of open time. */
static int64_t random_duration(uint64_t *s)
{
	switch (next_random(s) % 5) {
	case 0: return 0;
	case 1: return random_in(s, 1, 1000);
	case 2: return random_in(s, 1, 600) * MIN_MS;
	case 3: return random_in(s, 1, 100) * HOUR_MS;
	default: return random_in(s, 1, 20 * DAY_MS);
	}
}

/* The laws of add_business, business_between, next_open and closed_since
 * on one calendar at one random start. */
static void check_laws(const calendar *cal, uint64_t *s)
{
	int64_t start = random_start(s);
	int64_t a = random_duration(s), b = random_duration(s);
	int64_t due = calendar_add_business(cal, start, a + b);
	assert_true(due >= start);
	/* additivity: the split does not matter, wherever start lies */
	int64_t mid = calendar_add_business(cal, start, a);
	if (calendar_add_business(cal, mid, b) != due)
		fail_msg("add(add(%lld, %lld), %lld) != add(%lld, %lld)", (long long)start,
			 (long long)a, (long long)b, (long long)start, (long long)(a + b));
	/* between inverts add */
	assert_int_equal(calendar_business_between(cal, start, due), a + b);
	assert_int_equal(calendar_business_between(cal, start, mid) +
				 calendar_business_between(cal, mid, due),
			 a + b);
	if (a + b > 0) {
		/* the last millisecond before due was open, the clock ran from next_open on */
		assert_true(calendar_is_open(cal, due - 1));
		int64_t open = calendar_next_open(cal, start);
		assert_true(open >= start && open < due);
		assert_true(calendar_is_open(cal, open));
		assert_int_equal(calendar_business_between(cal, start, open), 0);
	}
	/* closed_since: t when open; else an instant with no open time up to t,
	 * and open just before */
	int64_t since = calendar_closed_since(cal, start);
	if (calendar_is_open(cal, start)) {
		assert_true(since == start);
		assert_true(calendar_next_open(cal, start) == start);
	} else {
		assert_true(since <= start);
		assert_int_equal(calendar_business_between(cal, since, start), 0);
		assert_true(calendar_is_open(cal, since - 1));
		assert_true(calendar_closed_since(cal, since) == since);
	}
}

static void test_properties(void **state)
{
	(void)state;
	calendar *cals[] = {office(), odd_hours("Europe/Berlin"), odd_hours("America/New_York"),
			    odd_hours("Australia/Lord_Howe"), always_open("Europe/Berlin")};
	uint64_t seed = 20260329;
	for (size_t c = 0; c < sizeof(cals) / sizeof(cals[0]); c++) {
		for (int i = 0; i < 3000; i++)
			check_laws(cals[c], &seed);
		calendar_free(cals[c]);
	}
}

/* is_open from first principles: the local weekday and minute are within
 * the hours and the local date is no holiday (valid away from DST days). */
static int open_by_wall_clock(const calendar *cal, int64_t t, const int *hours_start,
			      const int *hours_end)
{
	int y, m, d, wd, minute;
	calendar_local(cal, t, &y, &m, &d, &wd, &minute);
	if (calendar_is_holiday(cal, y, m, d, NULL))
		return 0;
	return wd < 5 && minute >= hours_start[wd] && minute < hours_end[wd];
}

static void test_is_open_matches_wall_clock(void **state)
{
	(void)state;
	static const int start[5] = {480, 480, 480, 480, 480},
			 end[5] = {1080, 1080, 1080, 1080, 960};
	calendar *cal = office();
	uint64_t seed = 7;
	for (int i = 0; i < 100000; i++) {
		int64_t t = random_start(&seed);
		if (calendar_is_open(cal, t) != open_by_wall_clock(cal, t, start, end))
			fail_msg("is_open(%lld) disagrees with the wall clock", (long long)t);
	}
	calendar_free(cal);
}

/* add_business against counting open minutes one by one with is_open. */
static void test_add_business_minute_oracle(void **state)
{
	(void)state;
	calendar *cals[] = {office(), odd_hours("Europe/Berlin"), odd_hours("America/New_York")};
	uint64_t seed = 42;
	for (size_t c = 0; c < sizeof(cals) / sizeof(cals[0]); c++) {
		for (int i = 0; i < 150; i++) {
			int64_t start = random_start(&seed);
			start -= start % MIN_MS;
			int64_t minutes = random_in(&seed, 1, 1500);
			int64_t t = start;
			for (int64_t left = minutes; left > 0; t += MIN_MS)
				left -= calendar_is_open(cals[c], t);
			int64_t due = calendar_add_business(cals[c], start, minutes * MIN_MS);
			if (due != t)
				fail_msg("calendar %zu: add(%lld, %lld min) = %lld, counting gives "
					 "%lld",
					 c, (long long)start, (long long)minutes, (long long)due,
					 (long long)t);
		}
		calendar_free(cals[c]);
	}
}

/* ---- threads and speed ------------------------------------------------ */

#define SHARED_STARTS 2000

typedef struct shared_run {
	const calendar *cal;
	int64_t due[SHARED_STARTS];
} shared_run;

/* Compute due times for a fixed sequence of starts into run->due. */
static void *compute_dues(void *arg)
{
	shared_run *run = arg;
	uint64_t seed = 99;
	for (int i = 0; i < SHARED_STARTS; i++) {
		int64_t start = random_start(&seed);
		run->due[i] = calendar_add_business(run->cal, start, 5 * 10 * HOUR_MS) +
			      calendar_is_open(run->cal, start) +
			      calendar_closed_since(run->cal, start) % 7;
	}
	return NULL;
}

static void test_shared_between_threads(void **state)
{
	(void)state;
	calendar *cal = office();
	static shared_run single, runs[4];
	single.cal = cal;
	compute_dues(&single);
	pthread_t threads[4];
	for (int i = 0; i < 4; i++) {
		runs[i].cal = cal;
		assert_int_equal(pthread_create(&threads[i], NULL, compute_dues, &runs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		assert_memory_equal(runs[i].due, single.due, sizeof(single.due));
	}
	calendar_free(cal);
}

/* Triage computes a due time per message and must manage 50,000 messages a
 * second; the calendar's share has to be a small part of that. Timing under
 * sanitizers means little, so the bound is loose. */
static void test_speed(void **state)
{
	(void)state;
	calendar *cal = office();
	uint64_t seed = 1;
	int64_t sum = 0, t0 = time_mono_ms();
	for (int i = 0; i < 50000; i++) {
		int64_t start = random_start(&seed);
		sum += calendar_add_business(cal, start, 5 * DAY_MS) - start;
		sum += calendar_is_open(cal, start);
	}
	int64_t ms = time_mono_ms() - t0;
	print_message("50000 due times (5 days of business time) in %lld ms\n", (long long)ms);
	assert_true(sum > 0);
	assert_true(ms < 5000);
	calendar_free(cal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_local_around_dst),
		cmocka_unit_test(test_utc_around_dst),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_add_hours_rules),
		cmocka_unit_test(test_closure_days),
		cmocka_unit_test(test_is_open),
		cmocka_unit_test(test_next_open),
		cmocka_unit_test(test_closed_since),
		cmocka_unit_test(test_add_business_office),
		cmocka_unit_test(test_business_dst_days),
		cmocka_unit_test(test_business_between),
		cmocka_unit_test(test_no_open_time),
		cmocka_unit_test(test_extreme_times),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_is_open_matches_wall_clock),
		cmocka_unit_test(test_add_business_minute_oracle),
		cmocka_unit_test(test_shared_between_threads),
		cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}

/*
 * test_holidays.c: unit tests for the German public holidays
 * (src/triage/holidays.c): every state-wide holiday of every state for
 * 2024-2030 against a table written out by hand from the states' published
 * lists, compared both ways; Easter Sunday for known years; the years in
 * which holidays came or went; regional holidays by key; and weekday
 * properties of the movable feasts over the whole supported range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/timeutil.h"
#include "triage/calendar.h"
#include "triage/holidays.h"

static const char *const STATES[CALENDAR_STATES] = {"BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV",
						    "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"};

/*
 * The published dates, one line per holiday: "MM-DD key STATES" where ALL
 * means all 16 states. Easter Sundays: 31 Mar 2024, 20 Apr 2025, 5 Apr
 * 2026, 28 Mar 2027, 16 Apr 2028, 1 Apr 2029, 21 Apr 2030.
 */
#define FIXED_START                             \
	"01-01 neujahr ALL\n"                   \
	"01-06 heilige_drei_koenige BW BY ST\n" \
	"03-08 frauentag BE MV\n"
#define FIXED_MIDDLE "05-01 tag_der_arbeit ALL\n"
#define FIXED_END                                            \
	"08-15 mariae_himmelfahrt SL\n"                      \
	"09-20 weltkindertag TH\n"                           \
	"10-03 tag_der_deutschen_einheit ALL\n"              \
	"10-31 reformationstag BB HB HH MV NI SN ST SH TH\n" \
	"11-01 allerheiligen BW BY NW RP SL\n"
#define CHRISTMAS                     \
	"12-25 weihnachtstag_1 ALL\n" \
	"12-26 weihnachtstag_2 ALL\n"

static const struct {
	int year;
	const char *lines;
} PUBLISHED[] = {
	{2024, FIXED_START "03-29 karfreitag ALL\n"
			   "03-31 ostersonntag BB\n"
			   "04-01 ostermontag ALL\n" FIXED_MIDDLE "05-09 christi_himmelfahrt ALL\n"
			   "05-19 pfingstsonntag BB\n"
			   "05-20 pfingstmontag ALL\n"
			   "05-30 fronleichnam BW BY HE NW RP SL\n" FIXED_END
			   "11-20 buss_und_bettag SN\n" CHRISTMAS},
	{2025, FIXED_START "04-18 karfreitag ALL\n"
			   "04-20 ostersonntag BB\n"
			   "04-21 ostermontag ALL\n" FIXED_MIDDLE "05-08 tag_der_befreiung BE\n"
			   "05-29 christi_himmelfahrt ALL\n"
			   "06-08 pfingstsonntag BB\n"
			   "06-09 pfingstmontag ALL\n"
			   "06-19 fronleichnam BW BY HE NW RP SL\n" FIXED_END
			   "11-19 buss_und_bettag SN\n" CHRISTMAS},
	{2026, FIXED_START "04-03 karfreitag ALL\n"
			   "04-05 ostersonntag BB\n"
			   "04-06 ostermontag ALL\n" FIXED_MIDDLE "05-14 christi_himmelfahrt ALL\n"
			   "05-24 pfingstsonntag BB\n"
			   "05-25 pfingstmontag ALL\n"
			   "06-04 fronleichnam BW BY HE NW RP SL\n" FIXED_END
			   "11-18 buss_und_bettag SN\n" CHRISTMAS},
	{2027, FIXED_START "03-26 karfreitag ALL\n"
			   "03-28 ostersonntag BB\n"
			   "03-29 ostermontag ALL\n" FIXED_MIDDLE "05-06 christi_himmelfahrt ALL\n"
			   "05-16 pfingstsonntag BB\n"
			   "05-17 pfingstmontag ALL\n"
			   "05-27 fronleichnam BW BY HE NW RP SL\n" FIXED_END
			   "11-17 buss_und_bettag SN\n" CHRISTMAS},
	{2028, FIXED_START "04-14 karfreitag ALL\n"
			   "04-16 ostersonntag BB\n"
			   "04-17 ostermontag ALL\n" FIXED_MIDDLE "05-25 christi_himmelfahrt ALL\n"
			   "06-04 pfingstsonntag BB\n"
			   "06-05 pfingstmontag ALL\n"
			   "06-15 fronleichnam BW BY HE NW RP SL\n"
			   "06-17 jahrestag_volksaufstand BE\n" FIXED_END
			   "11-22 buss_und_bettag SN\n" CHRISTMAS},
	{2029, FIXED_START "03-30 karfreitag ALL\n"
			   "04-01 ostersonntag BB\n"
			   "04-02 ostermontag ALL\n" FIXED_MIDDLE "05-10 christi_himmelfahrt ALL\n"
			   "05-20 pfingstsonntag BB\n"
			   "05-21 pfingstmontag ALL\n"
			   "05-31 fronleichnam BW BY HE NW RP SL\n" FIXED_END
			   "11-21 buss_und_bettag SN\n" CHRISTMAS},
	{2030, FIXED_START "04-19 karfreitag ALL\n"
			   "04-21 ostersonntag BB\n"
			   "04-22 ostermontag ALL\n" FIXED_MIDDLE "05-30 christi_himmelfahrt ALL\n"
			   "06-09 pfingstsonntag BB\n"
			   "06-10 pfingstmontag ALL\n"
			   "06-20 fronleichnam BW BY HE NW RP SL\n" FIXED_END
			   "11-20 buss_und_bettag SN\n" CHRISTMAS},
};

typedef struct expected {
	int month, day;
	char key[40];
} expected;

/* 1 when the space-separated list of state codes (or "ALL") names state. */
static int line_has_state(const char *codes, size_t len, const char *state)
{
	if (len == 3 && memcmp(codes, "ALL", 3) == 0)
		return 1;
	for (size_t i = 0; i + 2 <= len; i += 3)
		if (memcmp(codes + i, state, 2) == 0)
			return 1;
	return 0;
}

/* The holidays of state in a table text, in table order; returns how many. */
static size_t expected_for(const char *lines, const char *state, expected *out, size_t max)
{
	size_t n = 0;
	for (const char *p = lines; *p;) {
		const char *eol = strchr(p, '\n');
		const char *key = p + 6, *sp = strchr(key, ' ');
		assert_non_null(eol);
		assert_true(sp && sp < eol);
		if (line_has_state(sp + 1, (size_t)(eol - sp - 1), state)) {
			assert_true(n < max);
			out[n].month = (p[0] - '0') * 10 + (p[1] - '0');
			out[n].day = (p[3] - '0') * 10 + (p[4] - '0');
			snprintf(out[n].key, sizeof(out[n].key), "%.*s", (int)(sp - key), key);
			n++;
		}
		p = eol + 1;
	}
	return n;
}

/* 1 when list (n entries) has a holiday with this date and key. */
static int has_holiday(const calendar_holiday *list, int n, int month, int day, const char *key)
{
	for (int i = 0; i < n; i++)
		if (list[i].month == month && list[i].day == day && strcmp(list[i].key, key) == 0)
			return 1;
	return 0;
}

/* 1 when the expected list has this date and key. */
static int has_expected(const expected *list, size_t n, int month, int day, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].month == month && list[i].day == day && strcmp(list[i].key, key) == 0)
			return 1;
	return 0;
}

/* Compare one state's computed holidays of a year with the table, both ways. */
static void check_state_year(const char *state, int year, const char *lines)
{
	expected want[32];
	calendar_holiday got[32];
	size_t n_want = expected_for(lines, state, want, 32);
	int n_got = calendar_state_holidays(state, year, got, 32);
	assert_true(n_got >= 0 && n_got <= 32);
	for (size_t i = 0; i < n_want; i++)
		if (!has_holiday(got, n_got, want[i].month, want[i].day, want[i].key))
			fail_msg("%s %d: missing %02d-%02d %s", state, year, want[i].month,
				 want[i].day, want[i].key);
	for (int i = 0; i < n_got; i++) {
		if (!has_expected(want, n_want, got[i].month, got[i].day, got[i].key))
			fail_msg("%s %d: extra %02d-%02d %s", state, year, got[i].month, got[i].day,
				 got[i].key);
		assert_int_equal(got[i].year, year);
		assert_true(got[i].name && got[i].name[0]);
		if (i > 0) /* in date order */
			assert_true(got[i - 1].month * 100 + got[i - 1].day <=
				    got[i].month * 100 + got[i].day);
	}
	assert_int_equal((size_t)n_got, n_want);
}

static void test_published_2024_2030(void **state)
{
	(void)state;
	for (size_t y = 0; y < sizeof(PUBLISHED) / sizeof(PUBLISHED[0]); y++)
		for (int s = 0; s < CALENDAR_STATES; s++)
			check_state_year(STATES[s], PUBLISHED[y].year, PUBLISHED[y].lines);
}

/* How many holidays each state keeps in 2026, as the states count them
 * (Brandenburg's Easter and Whit Sunday included). */
static void test_counts_2026(void **state)
{
	(void)state;
	static const int counts[CALENDAR_STATES] = {12, 12, 10, 12, 10, 10, 10, 11,
						    10, 11, 11, 12, 11, 11, 10, 11};
	for (int s = 0; s < CALENDAR_STATES; s++)
		assert_int_equal(calendar_state_holidays(STATES[s], 2026, NULL, 0), counts[s]);
}

static void test_easter(void **state)
{
	(void)state;
	static const int known[][3] = {
		{1818, 3, 22}, {1900, 4, 15}, {1913, 3, 23}, {1943, 4, 25}, {1961, 4, 2},
		{1981, 4, 19}, {2000, 4, 23}, {2008, 3, 23}, {2011, 4, 24}, {2016, 3, 27},
		{2018, 4, 1},  {2019, 4, 21}, {2020, 4, 12}, {2021, 4, 4},  {2022, 4, 17},
		{2023, 4, 9},  {2024, 3, 31}, {2025, 4, 20}, {2026, 4, 5},  {2027, 3, 28},
		{2028, 4, 16}, {2029, 4, 1},  {2030, 4, 21}, {2038, 4, 25}, {2049, 4, 18},
		{2100, 3, 28}, {2285, 3, 22},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		int m, d;
		holidays_easter(known[i][0], &m, &d);
		if (m != known[i][1] || d != known[i][2])
			fail_msg("Easter %d: got %02d-%02d, want %02d-%02d", known[i][0], m, d,
				 known[i][1], known[i][2]);
	}
}

/* The weekday (0 = Monday) of a date. */
static int weekday(int y, int m, int d)
{
	int64_t days = time_days_from_civil(y, (unsigned)m, (unsigned)d);
	return (int)(((days + 3) % 7 + 7) % 7);
}

/* The date of holiday key in a state's year; 0 when it is not kept. */
static int find_date(const char *st, int year, const char *key, int *m, int *d)
{
	calendar_holiday list[32];
	int n = calendar_state_holidays(st, year, list, 32);
	for (int i = 0; i < n; i++)
		if (strcmp(list[i].key, key) == 0) {
			*m = list[i].month;
			*d = list[i].day;
			return 1;
		}
	return 0;
}

/* Over every supported year: Easter is a Sunday from 22 March to 25 April,
 * the feasts fall on their weekdays, Buß- und Bettag on a Wednesday from 16
 * to 22 November. */
static void test_weekdays_all_years(void **state)
{
	(void)state;
	static const struct {
		const char *state, *key;
		int weekday;
	} feasts[] = {
		{"BW", "karfreitag", 4},     {"BB", "ostersonntag", 6},
		{"BW", "ostermontag", 0},    {"BW", "christi_himmelfahrt", 3},
		{"BB", "pfingstsonntag", 6}, {"BW", "pfingstmontag", 0},
		{"BW", "fronleichnam", 3},   {"SN", "buss_und_bettag", 2},
	};
	for (int y = HOLIDAYS_YEAR_MIN; y <= HOLIDAYS_YEAR_MAX; y++) {
		int m, d;
		holidays_easter(y, &m, &d);
		assert_int_equal(weekday(y, m, d), 6);
		assert_true((m == 3 && d >= 22) || (m == 4 && d <= 25));
		for (size_t i = 0; i < sizeof(feasts) / sizeof(feasts[0]); i++) {
			if (y < 1991 && strcmp(feasts[i].state, "BB") == 0)
				continue;
			if (!find_date(feasts[i].state, y, feasts[i].key, &m, &d))
				fail_msg("%d: no %s in %s", y, feasts[i].key, feasts[i].state);
			assert_int_equal(weekday(y, m, d), feasts[i].weekday);
		}
		assert_true(find_date("SN", y, "buss_und_bettag", &m, &d));
		assert_true(m == 11 && d >= 16 && d <= 22);
	}
}

/* 1 when state keeps key in year. */
static int keeps(const char *st, int year, const char *key)
{
	int m, d;
	return find_date(st, year, key, &m, &d);
}

static void test_years_in_force(void **state)
{
	(void)state;
	/* Reformationstag: nationwide in 2017 only, in the north since 2018 */
	for (int s = 0; s < CALENDAR_STATES; s++)
		assert_true(keeps(STATES[s], 2017, "reformationstag"));
	assert_false(keeps("NI", 2016, "reformationstag"));
	assert_true(keeps("NI", 2018, "reformationstag"));
	assert_false(keeps("NW", 2018, "reformationstag"));
	assert_true(keeps("SN", 2016, "reformationstag"));
	/* Frauentag in Berlin since 2019, in MV since 2023 */
	assert_false(keeps("BE", 2018, "frauentag"));
	assert_true(keeps("BE", 2019, "frauentag"));
	assert_false(keeps("MV", 2022, "frauentag"));
	assert_true(keeps("MV", 2023, "frauentag"));
	/* Weltkindertag in Thuringia since 2019 */
	assert_false(keeps("TH", 2018, "weltkindertag"));
	assert_true(keeps("TH", 2019, "weltkindertag"));
	/* Berlin's one-off days */
	assert_true(keeps("BE", 2020, "tag_der_befreiung"));
	assert_false(keeps("BE", 2021, "tag_der_befreiung"));
	assert_false(keeps("BE", 2030, "tag_der_befreiung"));
	assert_false(keeps("BB", 2025, "tag_der_befreiung"));
	assert_false(keeps("BE", 2027, "jahrestag_volksaufstand"));
	/* Buß- und Bettag everywhere until 1994, then only in Saxony */
	assert_true(keeps("NW", 1994, "buss_und_bettag"));
	assert_false(keeps("NW", 1995, "buss_und_bettag"));
	assert_true(keeps("SN", 1995, "buss_und_bettag"));
	int m, d;
	assert_true(find_date("SN", 2022, "buss_und_bettag", &m, &d)); /* 23 Nov was a Wednesday */
	assert_true(m == 11 && d == 16);
}

static void test_states_and_ranges(void **state)
{
	(void)state;
	for (int s = 0; s < CALENDAR_STATES; s++)
		assert_true(calendar_state_valid(STATES[s]));
	assert_false(calendar_state_valid("nw"));
	assert_false(calendar_state_valid("DE"));
	assert_false(calendar_state_valid(""));
	assert_false(calendar_state_valid("NWX"));
	assert_false(calendar_state_valid(NULL));
	calendar_holiday list[4];
	assert_int_equal(calendar_state_holidays("XX", 2026, list, 4), -1);
	assert_int_equal(calendar_state_holidays("NW", 1899, list, 4), 0);
	assert_int_equal(calendar_state_holidays("NW", 2200, list, 4), 0);
	assert_true(calendar_state_holidays("NW", 2199, NULL, 0) > 0);
	/* a short buffer gets the first holidays and the full count */
	memset(list, 0, sizeof(list));
	assert_int_equal(calendar_state_holidays("NW", 2026, list, 2), 11);
	assert_string_equal(list[0].key, "neujahr");
	assert_string_equal(list[1].key, "karfreitag");
	assert_null(list[2].key);
	assert_string_equal(list[0].name, "Neujahr");
}

/* Regional holidays come only by key, on any calendar. */
static void test_regional(void **state)
{
	(void)state;
	assert_int_equal(holidays_regional_bit("fronleichnam"), 0);
	assert_true(holidays_regional_bit("mariae_himmelfahrt") > 0);
	assert_true(holidays_regional_bit("augsburger_friedensfest") > 0);
	assert_int_equal(holidays_regional_bit("allerheiligen"), -1);
	assert_int_equal(holidays_regional_bit(NULL), -1);
	assert_false(keeps("BY", 2026, "mariae_himmelfahrt"));
	assert_false(keeps("SN", 2026, "fronleichnam"));

	calendar *cal = calendar_new("Europe/Berlin");
	assert_non_null(cal);
	assert_int_equal(calendar_set_state(cal, "BY"), CT_OK);
	const char *name = NULL;
	assert_false(calendar_is_holiday(cal, 2026, 8, 15, &name));
	assert_null(name);
	assert_int_equal(calendar_add_regional(cal, "mariae_himmelfahrt"), CT_OK);
	assert_int_equal(calendar_add_regional(cal, "augsburger_friedensfest"), CT_OK);
	assert_int_equal(calendar_add_regional(cal, "mariae_himmelfahrt"), CT_OK); /* again */
	assert_int_equal(calendar_add_regional(cal, "Mariae_Himmelfahrt"), CT_ERR_INVALID);
	assert_int_equal(calendar_add_regional(cal, "reformationstag"), CT_ERR_INVALID);
	assert_true(calendar_is_holiday(cal, 2026, 8, 15, &name));
	assert_string_equal(name, "Mariä Himmelfahrt");
	assert_true(calendar_is_holiday(cal, 2026, 8, 8, &name));
	assert_string_equal(name, "Augsburger Hohes Friedensfest");
	assert_true(calendar_is_holiday(cal, 2026, 1, 6, &name)); /* Bavaria's own */
	assert_false(calendar_is_holiday(cal, 2026, 10, 31, NULL));
	calendar_free(cal);

	cal = calendar_new("Europe/Berlin");
	assert_int_equal(calendar_set_state(cal, "SN"), CT_OK);
	assert_false(calendar_is_holiday(cal, 2026, 6, 4, NULL));
	assert_int_equal(calendar_add_regional(cal, "fronleichnam"), CT_OK);
	assert_true(calendar_is_holiday(cal, 2026, 6, 4, &name));
	assert_string_equal(name, "Fronleichnam");
	assert_true(calendar_is_holiday(cal, 2026, 11, 18, &name));
	assert_string_equal(name, "Buß- und Bettag");
	assert_int_equal(calendar_set_state(cal, "sn"), CT_ERR_INVALID);
	calendar_free(cal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_2024_2030),
		cmocka_unit_test(test_counts_2026),
		cmocka_unit_test(test_easter),
		cmocka_unit_test(test_weekdays_all_years),
		cmocka_unit_test(test_years_in_force),
		cmocka_unit_test(test_states_and_ranges),
		cmocka_unit_test(test_regional),
	};
	return cmocka_run_group_tests_name("holidays", tests, NULL, NULL);
}

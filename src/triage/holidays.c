/*
 * holidays.c: the public holidays of the 16 German federal states, computed
 * (see calendar.h for the public part, holidays.h for the internal one).
 *
 * One table holds every rule: a fixed date, a number of days after Easter
 * Sunday, or Buß- und Bettag (the Wednesday before 23 November), together
 * with the states that keep it state-wide and the years it is in force.
 * Rules kept only in some municipalities (Mariä Himmelfahrt in Bavaria,
 * Fronleichnam in parts of Saxony and Thuringia, the Augsburger Hohes
 * Friedensfest) carry a regional bit instead of states; a calendar turns
 * them on by key.
 *
 * The rules are those in force since reunification, with the years in
 * which later ones came or went: Buß- und Bettag outside Saxony until 1994,
 * Reformationstag nationwide in 2017 and in HB, HH, NI and SH since 2018,
 * Frauentag in Berlin since 2019 and in MV since 2023, Weltkindertag in
 * Thuringia since 2019, Berlin's one-off days (8 May 2020 and 2025, 17 June
 * 2028). Years before 1990 are not historical: the West German 17 June and
 * the holidays of the GDR are not modelled.
 */
#include "triage/holidays.h"

#include <string.h>

#include "core/timeutil.h"
#include "triage/calendar.h"

/* State bits, in the order of STATE_CODES. */
enum {
	BW = 1u << 0,
	BY = 1u << 1,
	BE = 1u << 2,
	BB = 1u << 3,
	HB = 1u << 4,
	HH = 1u << 5,
	HE = 1u << 6,
	MV = 1u << 7,
	NI = 1u << 8,
	NW = 1u << 9,
	RP = 1u << 10,
	SL = 1u << 11,
	SN = 1u << 12,
	ST = 1u << 13,
	SH = 1u << 14,
	TH = 1u << 15,
	ALL = 0xffffu,
};

static const char STATE_CODES[CALENDAR_STATES][3] = {"BW", "BY", "BE", "BB", "HB", "HH",
						     "HE", "MV", "NI", "NW", "RP", "SL",
						     "SN", "ST", "SH", "TH"};

/* Regional holidays, by bit. */
static const char *const REGIONAL_KEYS[] = {"fronleichnam", "mariae_himmelfahrt",
					    "augsburger_friedensfest", NULL};

typedef enum rule_kind {
	RULE_FIXED,          /* month and day */
	RULE_EASTER,         /* offset days after Easter Sunday */
	RULE_BUSS_UND_BETTAG /* the Wednesday before 23 November */
} rule_kind;

typedef struct holiday_rule {
	const char *key, *name;
	rule_kind kind;
	int month, day; /* RULE_FIXED */
	int offset;     /* RULE_EASTER */
	unsigned states;
	int regional; /* bit in REGIONAL_KEYS, -1: none */
	int from, to; /* years in force */
} holiday_rule;

#define Y_MIN HOLIDAYS_YEAR_MIN
#define Y_MAX HOLIDAYS_YEAR_MAX
#define FIXED(m, d) RULE_FIXED, m, d, 0
#define EASTER(n) RULE_EASTER, 0, 0, n
#define BUSSTAG RULE_BUSS_UND_BETTAG, 0, 0, 0

/* In date order within a year, so that a year's list needs little sorting;
 * where two fall on one date the first rule names the day. */
static const holiday_rule RULES[] = {
	{"neujahr", "Neujahr", FIXED(1, 1), ALL, -1, Y_MIN, Y_MAX},
	{"heilige_drei_koenige", "Heilige Drei Könige", FIXED(1, 6), BW | BY, -1, Y_MIN, Y_MAX},
	{"heilige_drei_koenige", "Heilige Drei Könige", FIXED(1, 6), ST, -1, 1993, Y_MAX},
	{"frauentag", "Internationaler Frauentag", FIXED(3, 8), BE, -1, 2019, Y_MAX},
	{"frauentag", "Internationaler Frauentag", FIXED(3, 8), MV, -1, 2023, Y_MAX},
	{"karfreitag", "Karfreitag", EASTER(-2), ALL, -1, Y_MIN, Y_MAX},
	{"ostersonntag", "Ostersonntag", EASTER(0), BB, -1, 1991, Y_MAX},
	{"ostermontag", "Ostermontag", EASTER(1), ALL, -1, Y_MIN, Y_MAX},
	{"tag_der_arbeit", "Tag der Arbeit", FIXED(5, 1), ALL, -1, Y_MIN, Y_MAX},
	{"tag_der_befreiung", "Tag der Befreiung", FIXED(5, 8), BE, -1, 2020, 2020},
	{"tag_der_befreiung", "Tag der Befreiung", FIXED(5, 8), BE, -1, 2025, 2025},
	{"christi_himmelfahrt", "Christi Himmelfahrt", EASTER(39), ALL, -1, Y_MIN, Y_MAX},
	{"pfingstsonntag", "Pfingstsonntag", EASTER(49), BB, -1, 1991, Y_MAX},
	{"pfingstmontag", "Pfingstmontag", EASTER(50), ALL, -1, Y_MIN, Y_MAX},
	{"fronleichnam", "Fronleichnam", EASTER(60), BW | BY | HE | NW | RP | SL, -1, Y_MIN, Y_MAX},
	{"fronleichnam", "Fronleichnam", EASTER(60), 0, 0, Y_MIN, Y_MAX},
	{"jahrestag_volksaufstand", "75. Jahrestag des Volksaufstands vom 17. Juni 1953",
	 FIXED(6, 17), BE, -1, 2028, 2028},
	{"augsburger_friedensfest", "Augsburger Hohes Friedensfest", FIXED(8, 8), 0, 2, Y_MIN,
	 Y_MAX},
	{"mariae_himmelfahrt", "Mariä Himmelfahrt", FIXED(8, 15), SL, -1, Y_MIN, Y_MAX},
	{"mariae_himmelfahrt", "Mariä Himmelfahrt", FIXED(8, 15), 0, 1, Y_MIN, Y_MAX},
	{"weltkindertag", "Weltkindertag", FIXED(9, 20), TH, -1, 2019, Y_MAX},
	{"tag_der_deutschen_einheit", "Tag der Deutschen Einheit", FIXED(10, 3), ALL, -1, 1990,
	 Y_MAX},
	{"reformationstag", "Reformationstag", FIXED(10, 31), BB | MV | SN | ST | TH, -1, 1990,
	 Y_MAX},
	{"reformationstag", "Reformationstag", FIXED(10, 31), HB | HH | NI | SH, -1, 2018, Y_MAX},
	{"reformationstag", "Reformationstag", FIXED(10, 31), ALL & ~(BB | MV | SN | ST | TH), -1,
	 2017, 2017},
	{"allerheiligen", "Allerheiligen", FIXED(11, 1), BW | BY | NW | RP | SL, -1, Y_MIN, Y_MAX},
	{"buss_und_bettag", "Buß- und Bettag", BUSSTAG, ALL & ~SN, -1, Y_MIN, 1994},
	{"buss_und_bettag", "Buß- und Bettag", BUSSTAG, SN, -1, Y_MIN, Y_MAX},
	{"weihnachtstag_1", "1. Weihnachtstag", FIXED(12, 25), ALL, -1, Y_MIN, Y_MAX},
	{"weihnachtstag_2", "2. Weihnachtstag", FIXED(12, 26), ALL, -1, Y_MIN, Y_MAX},
};

#define N_RULES (sizeof(RULES) / sizeof(RULES[0]))
_Static_assert(N_RULES <= HOLIDAYS_PER_YEAR_MAX, "a year's list must fit");

void holidays_easter(int year, int *month, int *day)
{
	int a = year % 19, b = year / 100, c = year % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int n = h + l - 7 * m + 114;
	*month = n / 31;
	*day = n % 31 + 1;
}

int holidays_state_index(const char *code)
{
	if (!code)
		return -1;
	for (int i = 0; i < CALENDAR_STATES; i++)
		if (strcmp(code, STATE_CODES[i]) == 0)
			return i;
	return -1;
}

int holidays_regional_bit(const char *key)
{
	for (int i = 0; key && REGIONAL_KEYS[i]; i++)
		if (strcmp(key, REGIONAL_KEYS[i]) == 0)
			return i;
	return -1;
}

int calendar_state_valid(const char *code)
{
	return holidays_state_index(code) >= 0;
}

/* A date within one year, as month and day. */
typedef struct month_day {
	int month, day;
} month_day;

/* The number of days in a month of year. */
static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return days[month - 1] + (month == 2 && leap);
}

/* date moved by n days (the result stays within year for every rule). */
static month_day add_days(int year, month_day date, int n)
{
	date.day += n;
	while (date.day > days_in_month(year, date.month))
		date.day -= days_in_month(year, date.month++);
	while (date.day < 1)
		date.day += days_in_month(year, --date.month);
	return date;
}

/* Buß- und Bettag: the last Wednesday before 23 November. */
static month_day buss_und_bettag(int year)
{
	int64_t nov22 = time_days_from_civil(year, 11, 22);
	int weekday = (int)(((nov22 + 3) % 7 + 7) % 7); /* 0 = Monday; 1970-01-01 was a Thursday */
	return (month_day){11, 22 - (weekday - 2 + 7) % 7};
}

/* The date of rule r in year, given that year's Easter Sunday. */
static month_day rule_date(const holiday_rule *r, int year, month_day easter)
{
	switch (r->kind) {
	case RULE_FIXED: return (month_day){r->month, r->day};
	case RULE_EASTER: return add_days(year, easter, r->offset);
	case RULE_BUSS_UND_BETTAG: return buss_und_bettag(year);
	}
	return (month_day){0, 0};
}

/* A number that sorts dates of one year. */
static int date_order(month_day d)
{
	return d.month * 32 + d.day;
}

/* Easter Sunday of year as a month_day. */
static month_day easter_of(int year)
{
	month_day e;
	holidays_easter(year, &e.month, &e.day);
	return e;
}

/* 1 when rule r is in force in year for the state bit and regional bits. */
static int rule_applies(const holiday_rule *r, int year, unsigned state_bit, unsigned regional)
{
	if (year < r->from || year > r->to)
		return 0;
	if (r->regional >= 0)
		return (regional >> r->regional) & 1u;
	return (r->states & state_bit) != 0;
}

/* The state bit of a state index (0: none). */
static unsigned state_bit(int state)
{
	return state >= 0 && state < CALENDAR_STATES ? 1u << state : 0;
}

const char *holidays_name_on(int state, unsigned regional, int year, int month, int day)
{
	if (year < Y_MIN || year > Y_MAX || (state_bit(state) == 0 && regional == 0))
		return NULL;
	month_day easter = easter_of(year);
	for (size_t i = 0; i < N_RULES; i++) {
		if (!rule_applies(&RULES[i], year, state_bit(state), regional))
			continue;
		month_day date = rule_date(&RULES[i], year, easter);
		if (date.month == month && date.day == day)
			return RULES[i].name;
	}
	return NULL;
}

int holidays_list(int state, unsigned regional, int year, calendar_holiday *out, size_t max)
{
	if (year < Y_MIN || year > Y_MAX)
		return 0;
	/* Collect in date order (insertion sort keeps equal dates in rule order). */
	month_day easter = easter_of(year), dates[N_RULES];
	const holiday_rule *rules[N_RULES];
	size_t n = 0;
	for (size_t i = 0; i < N_RULES; i++) {
		if (!rule_applies(&RULES[i], year, state_bit(state), regional))
			continue;
		month_day date = rule_date(&RULES[i], year, easter);
		size_t j = n++;
		for (; j > 0 && date_order(dates[j - 1]) > date_order(date); j--) {
			dates[j] = dates[j - 1];
			rules[j] = rules[j - 1];
		}
		dates[j] = date;
		rules[j] = &RULES[i];
	}
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = (calendar_holiday){year, dates[i].month, dates[i].day, rules[i]->key,
					    rules[i]->name};
	return (int)n;
}

int calendar_state_holidays(const char *state, int year, calendar_holiday *out, size_t max)
{
	int idx = holidays_state_index(state);
	return idx < 0 ? -1 : holidays_list(idx, 0, year, out, max);
}

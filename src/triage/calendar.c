/*
 * calendar.c: office hours, closure days, local time and business time (see
 * calendar.h; the holiday rules live in holidays.c).
 *
 * calendar_new asks ICU once for every change of the zone's UTC offset
 * between 1900 and 2200 and keeps them as a sorted table; after that no
 * function here calls ICU or looks at the process time zone, so a built
 * calendar is a read-only value that any number of threads may query.
 *
 * Everything about open time goes through one primitive, day_spans: the
 * open intervals of one local day as UTC instants [a, b). Local day d
 * covers the UTC instants from calendar_utc(d 00:00) up to calendar_utc(d+1
 * 00:00); the spans of consecutive days follow each other in time, so is_open,
 * next_open, closed_since, add_business and business_between are walks over
 * days and spans (never minute by minute) and agree with one another. Wall
 * clock times that do not exist (the spring-forward gap) map to the end of
 * the gap, those that occur twice (fall back) to their first occurrence: an
 * office that closes at 02:30 on the night the clocks go back closes at the
 * first 02:30.
 *
 * Searches are bounded: a walk gives up after EMPTY_DAYS_MAX days in a row
 * without open time, and nothing is computed past the table's end in 2200.
 */
#include "triage/calendar.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>

#include "core/buf.h"
#include "core/timeutil.h"
#include "triage/holidays.h"

#define MS_MIN 60000LL
#define MS_DAY 86400000LL
#define MINUTES_PER_DAY 1440

/* The offset table and all business time cover [RANGE_START, RANGE_END):
 * 1900-01-01T00:00Z to 2200-01-01T00:00Z. */
#define RANGE_START (-2208988800000LL)
#define RANGE_END 7258118400000LL
#define DAY_FIRST (-25568) /* local 1899-12-31: the day of RANGE_START west of UTC */
#define DAY_END 84007      /* local 2200-01-02: the day after RANGE_END's */
#define CLOSED_WORDS ((DAY_END - DAY_FIRST + 63) / 64)

/* Every UTC offset is within this of zero (ICU's extremes are -12 and +14
 * hours; local mean times before 1900 do not matter here). */
#define OFFSET_MAX (26 * 3600 * 1000LL)

#define HOURS_PER_DAY_MAX 12
#define EMPTY_DAYS_MAX 400
#define ZONE_NAME_MAX 128
#define UNNAMED_CLOSURE "Schließtag"

typedef struct hours {
	int start, end; /* minutes of the local day, start < end <= 1440 */
} hours;

typedef struct closed_day {
	int64_t day; /* days since 1970-01-01 (local date) */
	char *name;  /* owned; NULL: unnamed */
} closed_day;

/* An open interval [a, b) in UTC milliseconds. */
typedef struct span {
	int64_t a, b;
} span;

struct calendar {
	char *tz;             /* as given to calendar_new; owned */
	int32_t first_offset; /* UTC offset (ms) before the first transition */
	int64_t *trans_at;    /* instants of offset changes, ascending; owned */
	int32_t *trans_off;   /* the offset from trans_at[i] on; owned */
	size_t n_trans;
	hours hours[7][HOURS_PER_DAY_MAX]; /* per weekday (0 = Monday), by start */
	int n_hours[7];
	int any_hours;
	int state;          /* holidays_state_index; -1: none */
	unsigned regional;  /* bits of holidays_regional_bit */
	closed_day *closed; /* by day, one entry per day; owned */
	size_t n_closed, cap_closed;
	uint64_t *closed_bits; /* holidays and closure days, bit day - DAY_FIRST;
				  owned; NULL while there are none */
};

/* ---- calendar arithmetic ---------------------------------------------- */

/* a / b rounded towards minus infinity (b > 0). */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return a % b < 0 ? q - 1 : q;
}

/* The weekday of a day number, 0 = Monday (1970-01-01 was a Thursday). */
static int weekday_of(int64_t day)
{
	return (int)(day + 3 - floor_div(day + 3, 7) * 7);
}

/* The civil date of a day number (the inverse of time_days_from_civil). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/* 1 when y-m-d is a real date. */
static int date_valid(int y, int m, int d)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

/* The day number of y-m-d for any month and day (month 13 is January of
 * the next year, day 0 the last of the previous month). Years are clamped
 * to +-1,000,000 so that nothing overflows. */
static int64_t day_number(int y, int m, int d)
{
	int64_t year = y, month = m;
	year += floor_div(month - 1, 12);
	month -= floor_div(month - 1, 12) * 12;
	if (year < -1000000)
		year = -1000000;
	if (year > 1000000)
		year = 1000000;
	return time_days_from_civil(year, (unsigned)month, 1) + d - 1;
}

/* ---- the offset table -------------------------------------------------- */

/* How many transitions happened at or before t. */
static size_t transitions_upto(const calendar *cal, int64_t t)
{
	size_t lo = 0, hi = cal->n_trans;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->trans_at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The offset in effect before transition i (after the last one when i ==
 * n_trans). */
static int32_t offset_before(const calendar *cal, size_t i)
{
	return i == 0 ? cal->first_offset : cal->trans_off[i - 1];
}

/* The UTC offset (ms) in effect at t. */
static int32_t offset_at(const calendar *cal, int64_t t)
{
	return offset_before(cal, transitions_upto(cal, t));
}

/*
 * The UTC instant of a local time given as ms since 1970-01-01 00:00 local:
 * the earliest instant that shows it, or the end of the gap it falls in.
 * It looks at the stretches between transitions near local, in time order.
 */
static int64_t local_to_utc(const calendar *cal, int64_t local)
{
	size_t i = transitions_upto(cal, local - OFFSET_MAX);
	int64_t from = i == 0 ? INT64_MIN : cal->trans_at[i - 1];
	int32_t off = offset_before(cal, i);
	for (;; i++) {
		int64_t until = i < cal->n_trans ? cal->trans_at[i] : INT64_MAX;
		int64_t t = local - off;
		if (t >= from && t < until)
			return t;
		if (i >= cal->n_trans || until > local + OFFSET_MAX)
			break;
		int32_t next = cal->trans_off[i];
		if (next > off && local >= until + off && local < until + next)
			return until; /* in the gap this transition opens */
		from = until;
		off = next;
	}
	return local - off; /* not reached while offsets stay within OFFSET_MAX */
}

/* The local day number and the ms into that day of instant t. */
static void local_split(const calendar *cal, int64_t t, int64_t *day, int64_t *ms)
{
	int64_t d = t / MS_DAY; /* truncating: no overflow at the int64 ends */
	int64_t r = t % MS_DAY + offset_at(cal, t);
	int64_t carry = floor_div(r, MS_DAY);
	*day = d + carry;
	*ms = r - carry * MS_DAY;
}

/* The UTC instant at which local day `day` begins. */
static int64_t day_start(const calendar *cal, int64_t day)
{
	return local_to_utc(cal, day * MS_DAY);
}

/* The local day whose UTC stretch [day_start(d), day_start(d + 1)) holds t:
 * t's local date, except in an overlap that crosses midnight. t must lie in
 * the range (RANGE_START..RANGE_END, give or take a day). */
static int64_t day_of(const calendar *cal, int64_t t)
{
	int64_t day, ms;
	local_split(cal, t, &day, &ms);
	if (t < day_start(cal, day))
		return day - 1;
	if (t >= day_start(cal, day + 1))
		return day + 1;
	return day;
}

/* ---- building ----------------------------------------------------------- */

/* zone as UTF-16 into out (cap units); 0 when it is empty, too long or not
 * printable ASCII (every IANA name is). */
static int zone_to_uchars(const char *zone, UChar *out, size_t cap)
{
	size_t n = strlen(zone);
	if (n == 0 || n >= cap)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && (zone[i] <= ' ' || zone[i] > '~'))
			return 0;
		out[i] = (UChar)zone[i];
	}
	return 1;
}

/* 1 when the n units of u spell the ASCII string s. */
static int uchars_equal(const UChar *u, int32_t n, const char *s)
{
	if ((size_t)n != strlen(s))
		return 0;
	for (int32_t i = 0; i < n; i++)
		if (u[i] != (UChar)s[i])
			return 0;
	return 1;
}

/* 1 when ICU knows zone as a time zone of its database. ICU would quietly
 * answer with GMT ("Etc/Unknown") for a name it does not know, and it
 * accepts custom IDs such as "GMT+5"; both are refused here. */
static int zone_known(const UChar *zone)
{
	UChar canonical[ZONE_NAME_MAX];
	UBool system_id = 0;
	UErrorCode st = U_ZERO_ERROR;
	int32_t n =
		ucal_getCanonicalTimeZoneID(zone, -1, canonical, ZONE_NAME_MAX, &system_id, &st);
	return U_SUCCESS(st) && system_id && n > 0 && n < ZONE_NAME_MAX &&
	       !uchars_equal(canonical, n, "Etc/Unknown");
}

/* ICU's total UTC offset (raw plus daylight saving, ms) at uc's instant. */
static int32_t icu_offset(const UCalendar *uc, UErrorCode *st)
{
	return ucal_get(uc, UCAL_ZONE_OFFSET, st) + ucal_get(uc, UCAL_DST_OFFSET, st);
}

/* Append one transition to cal's table, growing it by doubling. */
static void push_transition(calendar *cal, size_t *cap, int64_t at, int32_t off)
{
	if (cal->n_trans == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		cal->trans_at = xrealloc(cal->trans_at, *cap * sizeof(*cal->trans_at));
		cal->trans_off = xrealloc(cal->trans_off, *cap * sizeof(*cal->trans_off));
	}
	cal->trans_at[cal->n_trans] = at;
	cal->trans_off[cal->n_trans] = off;
	cal->n_trans++;
}

/* Fill cal's offset table from ICU: the offset at RANGE_START and every
 * change of the total offset before RANGE_END. ICU also reports changes
 * that keep the total (a new name, raw and DST offsets trading places);
 * those are skipped. CT_ERR_INTERNAL when ICU fails. */
static ct_err load_offsets(calendar *cal, const UChar *zone)
{
	UErrorCode st = U_ZERO_ERROR;
	UCalendar *uc = ucal_open(zone, -1, "", UCAL_GREGORIAN, &st);
	if (U_FAILURE(st))
		return CT_ERR_INTERNAL;
	ucal_setMillis(uc, (UDate)RANGE_START, &st);
	cal->first_offset = icu_offset(uc, &st);
	int32_t last = cal->first_offset;
	size_t cap = 0;
	UDate next;
	while (U_SUCCESS(st) &&
	       ucal_getTimeZoneTransitionDate(uc, UCAL_TZ_TRANSITION_NEXT, &next, &st) &&
	       next < (UDate)RANGE_END) {
		ucal_setMillis(uc, next, &st);
		int32_t off = icu_offset(uc, &st);
		if (U_SUCCESS(st) && off != last)
			push_transition(cal, &cap, (int64_t)next, off);
		last = off;
	}
	ucal_close(uc);
	return U_FAILURE(st) ? CT_ERR_INTERNAL : CT_OK;
}

calendar *calendar_new(const char *tz)
{
	UChar zone[ZONE_NAME_MAX];
	if (!tz || !zone_to_uchars(tz, zone, ZONE_NAME_MAX) || !zone_known(zone))
		return NULL;
	calendar *cal = xcalloc(1, sizeof(*cal));
	cal->tz = xstrdup(tz);
	cal->state = -1;
	if (load_offsets(cal, zone) != CT_OK) {
		calendar_free(cal);
		return NULL;
	}
	return cal;
}

void calendar_free(calendar *cal)
{
	if (!cal)
		return;
	for (size_t i = 0; i < cal->n_closed; i++)
		free(cal->closed[i].name);
	free(cal->closed);
	free(cal->closed_bits);
	free(cal->trans_at);
	free(cal->trans_off);
	free(cal->tz);
	free(cal);
}

ct_err calendar_add_hours(calendar *cal, int wd, int start_min, int end_min)
{
	if (wd < 0 || wd > 6 || start_min < 0 || start_min >= end_min || end_min > MINUTES_PER_DAY)
		return CT_ERR_INVALID;
	hours *h = cal->hours[wd];
	int n = cal->n_hours[wd];
	for (int i = 0; i < n; i++)
		if (start_min < h[i].end && h[i].start < end_min)
			return CT_ERR_CONFLICT;
	if (n == HOURS_PER_DAY_MAX)
		return CT_ERR_TOO_LARGE;
	int at = n;
	while (at > 0 && h[at - 1].start > start_min) {
		h[at] = h[at - 1];
		at--;
	}
	h[at] = (hours){start_min, end_min};
	cal->n_hours[wd] = n + 1;
	cal->any_hours = 1;
	return CT_OK;
}

/* Set the closed bit of day (days outside the range have none). */
static void mark_closed(calendar *cal, int64_t day)
{
	if (day < DAY_FIRST || day >= DAY_END)
		return;
	if (!cal->closed_bits)
		cal->closed_bits = xcalloc(CLOSED_WORDS, sizeof(uint64_t));
	uint64_t bit = (uint64_t)(day - DAY_FIRST);
	cal->closed_bits[bit / 64] |= 1ull << (bit % 64);
}

/* Mark the holidays of cal's state and regional keys in every year, so
 * that the walks test a bit instead of computing Easter day by day. Called
 * after the state or the regional keys change. */
static void mark_holidays(calendar *cal)
{
	for (int y = HOLIDAYS_YEAR_MIN; y <= HOLIDAYS_YEAR_MAX; y++) {
		calendar_holiday list[HOLIDAYS_PER_YEAR_MAX];
		int n = holidays_list(cal->state, cal->regional, y, list, HOLIDAYS_PER_YEAR_MAX);
		for (int i = 0; i < n; i++)
			mark_closed(cal, day_number(y, list[i].month, list[i].day));
	}
}

ct_err calendar_set_state(calendar *cal, const char *state)
{
	int idx = holidays_state_index(state);
	if (idx < 0)
		return CT_ERR_INVALID;
	if (cal->state >= 0 && cal->state != idx) { /* a new state: start afresh */
		free(cal->closed_bits);
		cal->closed_bits = NULL;
		for (size_t i = 0; i < cal->n_closed; i++)
			mark_closed(cal, cal->closed[i].day);
	}
	cal->state = idx;
	mark_holidays(cal);
	return CT_OK;
}

ct_err calendar_add_regional(calendar *cal, const char *key)
{
	int bit = holidays_regional_bit(key);
	if (bit < 0)
		return CT_ERR_INVALID;
	if (!(cal->regional & (1u << bit))) {
		cal->regional |= 1u << bit;
		mark_holidays(cal);
	}
	return CT_OK;
}

/* The index of the first closure day >= day (n_closed when none). */
static size_t closed_lower_bound(const calendar *cal, int64_t day)
{
	size_t lo = 0, hi = cal->n_closed;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->closed[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The closure day on day, or NULL. Borrowed. */
static const closed_day *find_closed(const calendar *cal, int64_t day)
{
	size_t i = closed_lower_bound(cal, day);
	return i < cal->n_closed && cal->closed[i].day == day ? &cal->closed[i] : NULL;
}

ct_err calendar_add_closed_day(calendar *cal, int year, int month, int day, const char *name)
{
	if (year < HOLIDAYS_YEAR_MIN || year > HOLIDAYS_YEAR_MAX || !date_valid(year, month, day))
		return CT_ERR_INVALID;
	int64_t dn = day_number(year, month, day);
	size_t at = closed_lower_bound(cal, dn);
	if (at < cal->n_closed && cal->closed[at].day == dn)
		return CT_OK; /* already closed; the first name stays */
	if (cal->n_closed == cal->cap_closed) {
		cal->cap_closed = cal->cap_closed ? cal->cap_closed * 2 : 16;
		cal->closed = xrealloc(cal->closed, cal->cap_closed * sizeof(*cal->closed));
	}
	memmove(&cal->closed[at + 1], &cal->closed[at],
		(cal->n_closed - at) * sizeof(*cal->closed));
	cal->closed[at] = (closed_day){dn, name ? xstrdup(name) : NULL};
	cal->n_closed++;
	mark_closed(cal, dn);
	return CT_OK;
}

/* ---- queries -------------------------------------------------------------- */

const char *calendar_time_zone(const calendar *cal)
{
	return cal->tz;
}

void calendar_local(const calendar *cal, int64_t t, int *y, int *m, int *d, int *wd, int *minute)
{
	int64_t day, ms;
	local_split(cal, t, &day, &ms);
	int yy, mm, dd;
	civil_from_days(day, &yy, &mm, &dd);
	if (y)
		*y = yy;
	if (m)
		*m = mm;
	if (d)
		*d = dd;
	if (wd)
		*wd = weekday_of(day);
	if (minute)
		*minute = (int)(ms / MS_MIN);
}

int64_t calendar_utc(const calendar *cal, int y, int m, int d, int minute)
{
	return local_to_utc(cal, day_number(y, m, d) * MS_DAY + (int64_t)minute * MS_MIN);
}

/* The name of the holiday or closure day on local date y-m-d (day number
 * dn), or NULL. Static or owned by cal. */
static const char *closed_name(const calendar *cal, int y, int m, int d, int64_t dn)
{
	const char *name = holidays_name_on(cal->state, cal->regional, y, m, d);
	if (name)
		return name;
	const closed_day *c = find_closed(cal, dn);
	if (c)
		return c->name ? c->name : UNNAMED_CLOSURE;
	return NULL;
}

int calendar_is_holiday(const calendar *cal, int y, int m, int d, const char **name)
{
	const char *found =
		date_valid(y, m, d) ? closed_name(cal, y, m, d, day_number(y, m, d)) : NULL;
	if (name)
		*name = found;
	return found != NULL;
}

/* 1 when local day number day is a holiday or closure day. */
static int day_closed(const calendar *cal, int64_t day)
{
	if (!cal->closed_bits || day < DAY_FIRST || day >= DAY_END)
		return 0;
	uint64_t bit = (uint64_t)(day - DAY_FIRST);
	return (cal->closed_bits[bit / 64] >> (bit % 64)) & 1;
}

/* The open spans of local day `day` in time order into out
 * (HOURS_PER_DAY_MAX); returns how many. Hours that fall wholly into a
 * spring-forward gap give no span; outside RANGE_START..RANGE_END the office
 * is closed. */
static size_t day_spans(const calendar *cal, int64_t day, span *out)
{
	int wd = weekday_of(day);
	if (cal->n_hours[wd] == 0 || day_closed(cal, day))
		return 0;
	int64_t midnight = day * MS_DAY;
	size_t n = 0;
	for (int i = 0; i < cal->n_hours[wd]; i++) {
		const hours *h = &cal->hours[wd][i];
		span s = {local_to_utc(cal, midnight + h->start * MS_MIN),
			  local_to_utc(cal, midnight + h->end * MS_MIN)};
		s.a = s.a > RANGE_START ? s.a : RANGE_START;
		s.b = s.b < RANGE_END ? s.b : RANGE_END;
		if (s.a < s.b)
			out[n++] = s;
	}
	return n;
}

/* A walk over the open spans, forward from a day. */
typedef struct span_walk {
	const calendar *cal;
	int64_t day, end_day; /* the next day to look at; stop before end_day */
	int empty_days, max_empty;
	size_t i, n;
	span spans[HOURS_PER_DAY_MAX];
} span_walk;

/* Start a walk at day that stops before end_day or after max_empty days in
 * a row without open time. */
static void walk_start(span_walk *w, const calendar *cal, int64_t day, int64_t end_day,
		       int max_empty)
{
	*w = (span_walk){.cal = cal, .day = day, .end_day = end_day, .max_empty = max_empty};
}

/* The next open span into *out; 0 when the walk has ended. */
static int walk_next(span_walk *w, span *out)
{
	while (w->i == w->n) {
		if (w->day >= w->end_day || w->empty_days > w->max_empty)
			return 0;
		w->n = day_spans(w->cal, w->day++, w->spans);
		w->i = 0;
		w->empty_days = w->n ? 0 : w->empty_days + 1;
	}
	*out = w->spans[w->i++];
	return 1;
}

int calendar_is_open(const calendar *cal, int64_t t)
{
	if (!cal->any_hours || t < RANGE_START || t >= RANGE_END)
		return 0;
	span spans[HOURS_PER_DAY_MAX];
	size_t n = day_spans(cal, day_of(cal, t), spans);
	for (size_t i = 0; i < n; i++)
		if (spans[i].a <= t && t < spans[i].b)
			return 1;
	return 0;
}

int64_t calendar_next_open(const calendar *cal, int64_t t)
{
	if (!cal->any_hours || t >= RANGE_END)
		return INT64_MAX;
	if (t < RANGE_START)
		t = RANGE_START;
	span_walk w;
	span s;
	walk_start(&w, cal, day_of(cal, t), DAY_END, EMPTY_DAYS_MAX);
	while (walk_next(&w, &s))
		if (s.b > t)
			return s.a > t ? s.a : t;
	return INT64_MAX;
}

int64_t calendar_closed_since(const calendar *cal, int64_t t)
{
	if (calendar_is_open(cal, t))
		return t;
	if (!cal->any_hours || t < RANGE_START)
		return INT64_MIN;
	int64_t day = day_of(cal, t < RANGE_END ? t : RANGE_END - 1);
	span spans[HOURS_PER_DAY_MAX];
	for (int empty = 0; empty <= EMPTY_DAYS_MAX && day >= DAY_FIRST; day--) {
		size_t n = day_spans(cal, day, spans);
		for (size_t i = n; i-- > 0;)
			if (spans[i].b <= t)
				return spans[i].b;
		empty = n ? 0 : empty + 1;
	}
	return INT64_MIN;
}

int64_t calendar_add_business(const calendar *cal, int64_t start, int64_t duration)
{
	if (duration <= 0)
		return start;
	if (!cal->any_hours || start >= RANGE_END)
		return INT64_MAX;
	if (start < RANGE_START)
		start = RANGE_START;
	span_walk w;
	span s;
	walk_start(&w, cal, day_of(cal, start), DAY_END, EMPTY_DAYS_MAX);
	while (walk_next(&w, &s)) {
		if (s.b <= start)
			continue;
		int64_t from = s.a > start ? s.a : start;
		if (s.b - from >= duration)
			return from + duration;
		duration -= s.b - from;
	}
	return INT64_MAX;
}

int64_t calendar_business_between(const calendar *cal, int64_t a, int64_t b)
{
	if (a < RANGE_START)
		a = RANGE_START;
	if (b > RANGE_END)
		b = RANGE_END;
	if (!cal->any_hours || b <= a)
		return 0;
	span_walk w;
	span s;
	int64_t sum = 0;
	walk_start(&w, cal, day_of(cal, a), day_of(cal, b - 1) + 1, INT_MAX);
	while (walk_next(&w, &s) && s.a < b)
		if (s.b > a)
			sum += (s.b < b ? s.b : b) - (s.a > a ? s.a : a);
	return sum;
}

int calendar_parse_when(const calendar *cal, const char *s, int end_of_day, int64_t *ms)
{
	int y, m, d, n = 0;
	if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10 &&
	    m >= 1 && m <= 12 && d >= 1 && d <= 31) {
		if (end_of_day) { /* the next day, by way of its noon */
			int wd, minute;
			calendar_local(cal, calendar_utc(cal, y, m, d, 12 * 60) + 86400000LL, &y,
				       &m, &d, &wd, &minute);
		}
		*ms = calendar_utc(cal, y, m, d, 0);
		return 1;
	}
	return time_parse_rfc3339(s, strlen(s), ms) == CT_OK;
}

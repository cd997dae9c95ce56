/*
 * calendar.h: office hours, public holidays and business time.
 *
 * A calendar knows an organisation's time zone (an IANA name such as
 * "Europe/Berlin"; the UTC offsets come from ICU and are kept as a table of
 * transitions, so the hot path needs no library call and no global TZ), its
 * opening hours per weekday in local time, the public holidays of one German
 * federal state (computed, Easter-based feasts included) and extra closure
 * days. With it, triage asks: is the office open at time t, when does it
 * open next, and when is a response due if the clock runs only while the
 * office is open (business time)?
 *
 * Times are UTC milliseconds since the epoch, as everywhere in cluetrain.
 * Weekdays are 0 = Monday .. 6 = Sunday. Minutes of the day are local time,
 * 0..1440.
 *
 * Open time is computed from 1900-01-01 to 2200-01-01 UTC; outside that
 * range the office counts as closed. Office hours are wall-clock times: on
 * the night the clocks go forward, hours in the missing hour begin or end
 * when it is over; on the night they go back, a time that occurs twice
 * means its first occurrence (an office open 02:00-02:30 is open for the
 * first half hour only). Searches for open time give up after 400 days in
 * a row without any.
 *
 * Ownership: calendar_new returns a calendar the caller frees with
 * calendar_free. Once built it is immutable: many threads may query it.
 */
#ifndef CT_CALENDAR_H
#define CT_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct calendar calendar;

/* The federal states by their ISO 3166-2:DE suffix: BW BY BE BB HB HH HE MV
 * NI NW RP SL SN ST SH TH. */
#define CALENDAR_STATES 16

/* One public holiday of a year. name is a static German name. */
typedef struct calendar_holiday {
	int year, month, day;
	const char *key;  /* stable identifier: "neujahr", "karfreitag", ... */
	const char *name; /* "Neujahr", "Karfreitag", ... */
} calendar_holiday;

/* 1 when code names a federal state ("NW", upper case as written; NULL: 0). */
int calendar_state_valid(const char *code);

/*
 * The state-wide public holidays of a state in a year (1900..2199), in date
 * order, written to out (at most max). Returns how many there are (which
 * may exceed max), or -1 for an unknown state. Holidays that only some
 * municipalities keep (Mariä Himmelfahrt in Bavaria, Augsburger
 * Friedensfest, Fronleichnam in parts of Saxony and Thuringia) are not
 * state-wide; calendar_add_regional adds them to a calendar. Years outside
 * 1900..2199 have none (0). Keys: neujahr, heilige_drei_koenige, frauentag,
 * karfreitag, ostersonntag, ostermontag, tag_der_arbeit, tag_der_befreiung,
 * christi_himmelfahrt, pfingstsonntag, pfingstmontag, fronleichnam,
 * jahrestag_volksaufstand, mariae_himmelfahrt, weltkindertag,
 * tag_der_deutschen_einheit, reformationstag, allerheiligen,
 * buss_und_bettag, weihnachtstag_1, weihnachtstag_2.
 */
int calendar_state_holidays(const char *state, int year, calendar_holiday *out, size_t max);

/*
 * A new calendar in time zone tz with no office hours (always closed) and
 * no holidays. NULL when the zone is unknown to ICU.
 */
calendar *calendar_new(const char *tz);
void calendar_free(calendar *cal);

/* Open on weekday wd from start_min to end_min (local; start < end <= 1440).
 * Several intervals per day may be added (up to 12); CT_ERR_INVALID for
 * values out of range, CT_ERR_CONFLICT for an interval that overlaps one
 * already there (touching is fine: 08:00-12:00 and 12:00-18:00 are one
 * stretch), CT_ERR_TOO_LARGE past the limit. */
ct_err calendar_add_hours(calendar *cal, int wd, int start_min, int end_min);

/* Keep the public holidays of state (CT_ERR_INVALID for an unknown code).
 * A second call replaces the state. */
ct_err calendar_set_state(calendar *cal, const char *state);

/* Keep a regional holiday by key ("mariae_himmelfahrt", "fronleichnam",
 * "augsburger_friedensfest"). CT_ERR_INVALID for an unknown key. The key
 * applies whatever the state (the caller knows its municipality); adding
 * one twice is harmless. */
ct_err calendar_add_regional(calendar *cal, const char *key);

/* A custom closure day (local date, 1900..2199); name is copied, may be
 * NULL. CT_ERR_INVALID for a date that does not exist; a day added twice
 * keeps its first name. */
ct_err calendar_add_closed_day(calendar *cal, int year, int month, int day, const char *name);

/* The time zone's name as given to calendar_new. Borrowed. */
const char *calendar_time_zone(const calendar *cal);

/* Local date and time of t: y, m (1..12), d, weekday (0 = Monday), minute of
 * day. Any of the pointers may be NULL. */
void calendar_local(const calendar *cal, int64_t t, int *y, int *m, int *d, int *wd, int *minute);

/* The UTC time of a local wall-clock time. In a gap (spring forward) the
 * instant the gap ends (02:30 on 2026-03-29 in Berlin gives 03:00 CEST); in
 * an overlap (fall back) the earlier instant. Minute 1440 is the next
 * midnight; months and minutes out of range carry over. */
int64_t calendar_utc(const calendar *cal, int y, int m, int d, int minute);

/* 1 when the local date is a holiday or closure day; *name (may be NULL)
 * gets its name (borrowed; a public holiday's name before a closure day's,
 * "Schließtag" for an unnamed closure day; NULL when the date is neither). */
int calendar_is_holiday(const calendar *cal, int y, int m, int d, const char **name);

/* 1 when the office is open at t. */
int calendar_is_open(const calendar *cal, int64_t t);

/* The first instant >= t at which the office is open; INT64_MAX when it
 * never opens (no office hours, 400 days without open time, or past the
 * range). */
int64_t calendar_next_open(const calendar *cal, int64_t t);

/* The instant the closed period containing t began (the end of the last
 * open interval before t); t itself when open. Identifies "this closed
 * period" so that an after-hours reply goes out once per period. INT64_MIN
 * when the office was never open before t (no office hours, or none in the
 * 400 days before). */
int64_t calendar_closed_since(const calendar *cal, int64_t t);

/* start + duration, counting only open time: the due time of a business
 * time promise (duration > 0: the instant at which that much open time has
 * passed since start; duration 0 or less: start). A start in closed time
 * starts the clock when the office opens; a promise that uses up the open
 * time to the end of an interval is due at that closing instant, not at the
 * next opening. So add_business(add_business(s, a), b) equals
 * add_business(s, a + b), and business_between(s, add_business(s, d)) is
 * d. INT64_MAX when the office never opens (as calendar_next_open). */
int64_t calendar_add_business(const calendar *cal, int64_t start, int64_t duration);

/* The open time in [a, b), in milliseconds; 0 when b <= a. */
int64_t calendar_business_between(const calendar *cal, int64_t a, int64_t b);

/* A day "YYYY-MM-DD" (local midnight in cal's zone; end_of_day: the
 * following midnight, so that the day is included) or an RFC 3339 time,
 * into *ms. 0 when s is neither. */
int calendar_parse_when(const calendar *cal, const char *s, int end_of_day, int64_t *ms);

#endif

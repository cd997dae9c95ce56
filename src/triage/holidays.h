/*
 * holidays.h: the German public holiday rules behind calendar.h (internal
 * to src/triage/calendar.c and the unit tests).
 *
 * holidays.c keeps one table of rules: a fixed date, a day counted from
 * Easter Sunday, or Buß- und Bettag, each with the states that keep it and
 * the years it is in force. Nothing is cached, so every function here is a
 * pure computation and safe from any thread.
 */
#ifndef CT_HOLIDAYS_H
#define CT_HOLIDAYS_H

#include <stddef.h>

#include "triage/calendar.h"

/* The first and last year that holidays are computed for. */
#define HOLIDAYS_YEAR_MIN 1900
#define HOLIDAYS_YEAR_MAX 2199

/* Easter Sunday of a Gregorian year (any year >= 1583), by the anonymous
 * Gregorian algorithm (Meeus/Jones/Butcher). */
void holidays_easter(int year, int *month, int *day);

/* The index (0..15) of a state code in the order BW BY BE BB HB HH HE MV NI
 * NW RP SL SN ST SH TH; -1 for anything else, including lower case. */
int holidays_state_index(const char *code);

/* The bit (0..) of a regional holiday key; -1 for an unknown key. */
int holidays_regional_bit(const char *key);

/*
 * The name of the holiday on a date for a calendar that keeps the
 * state-wide holidays of state (an index from holidays_state_index, -1:
 * none) and the regional holidays whose bits are set in regional. NULL
 * when the date is no such holiday or lies outside HOLIDAYS_YEAR_MIN..MAX.
 * The name is static.
 */
const char *holidays_name_on(int state, unsigned regional, int year, int month, int day);

/* The number of rules, and so the most holidays a list can hold. */
#define HOLIDAYS_PER_YEAR_MAX 32

/*
 * The holidays of a year for such a calendar (state -1: none), in date
 * order, written to out (at most max); returns how many there are. A date
 * may appear twice (Fronleichnam both state-wide and regional). Names and
 * keys are static.
 */
int holidays_list(int state, unsigned regional, int year, calendar_holiday *out, size_t max);

#endif

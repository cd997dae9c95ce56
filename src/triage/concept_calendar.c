/*
 * concept_calendar.c: the concept blocks that make its calendar: the time
 * zone, the office hours per weekday and the holidays (a federal state's,
 * regional ones and closure days). Each value is checked and handed to
 * calendar.c; when the time zone is wrong, a UTC stand-in calendar still
 * lets the rest be checked. Part of the concept loader (concept_parse.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "triage/concept_internal.h"

#define HOURS_PER_DAY_MAX 16
#define CLOSED_DAYS_MAX 1000

/* time_zone, and the calendar built on it (a UTC stand-in when the zone is
 * wrong, so that office hours and holidays are still checked). */
void cp_parse_time_zone(cp_ctx *p, const cy_node *root)
{
	concept *c = p->c;
	size_t old = cp_push_key(p, "time_zone");
	cy_node *n = cp_require(p, root, "time_zone");
	const char *s = n ? cp_text(p, n, 64) : NULL;
	if (s) {
		int plausible = 1;
		for (const char *q = s; *q; q++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    "/_+-",
				    *q))
				plausible = 0;
		c->cal = plausible ? calendar_new(s) : NULL;
		if (c->cal) {
			c->time_zone = xstrdup(s);
		} else {
			char shown[72];
			cp_error(p, n,
				 "unknown time zone '%s' (an IANA name such as Europe/Berlin)",
				 cp_show(s, shown, sizeof(shown)));
		}
	}
	if (!c->cal)
		c->cal = calendar_new("UTC");
	cp_pop(p, old);
}

/* One day of office_hours: a list of ranges, or closed. */
static void parse_day(cp_ctx *p, int wd, cy_node *v)
{
	if (v->kind == CY_NULL || (v->kind == CY_SCALAR && strcmp(v->text, "closed") == 0))
		return;
	cp_list l;
	if (!cp_get_list(p, v, &l, HOURS_PER_DAY_MAX))
		return;
	int starts[HOURS_PER_DAY_MAX], ends[HOURS_PER_DAY_MAX];
	const char *texts[HOURS_PER_DAY_MAX];
	size_t have = 0;
	for (size_t i = 0; i < l.n; i++) {
		size_t old = v->kind == CY_SEQ ? cp_push_index(p, i) : p->plen;
		cy_node *item = l.items[i];
		const char *s = cp_text(p, item, 32);
		int a, b;
		char shown[72], other[72];
		if (!s) {
			/* reported */
		} else if (!time_parse_day_span(s, &a, &b)) {
			cp_error(p, item, "'%s' is not a time range such as 08:00-18:00",
				 cp_show(s, shown, sizeof(shown)));
		} else if (a >= b) {
			cp_error(p, item, "'%s' ends before it starts (or is empty)",
				 cp_show(s, shown, sizeof(shown)));
		} else {
			size_t j = 0;
			while (j < have && (b <= starts[j] || a >= ends[j]))
				j++;
			if (j < have) {
				cp_error(p, item, "'%s' overlaps '%s'",
					 cp_show(s, shown, sizeof(shown)),
					 cp_show(texts[j], other, sizeof(other)));
			} else {
				starts[have] = a;
				ends[have] = b;
				texts[have++] = s;
				if (p->c->cal && calendar_add_hours(p->c->cal, wd, a, b) != CT_OK)
					cp_error(p, item, "'%s' cannot be added to the calendar",
						 cp_show(s, shown, sizeof(shown)));
				else
					p->open_hours = 1;
			}
		}
		cp_pop(p, old);
	}
}

/* office_hours: a mapping of weekdays into the calendar. */
void cp_parse_office_hours(cp_ctx *p, cy_node *n)
{
	static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};
	size_t before = p->n_found;
	if (cp_is_map(p, n)) {
		cp_check_keys(p, n, days);
		for (size_t i = 0; i < n->n_pairs; i++) {
			const cy_pair *pair = &n->pairs[i];
			for (int wd = 0; days[wd]; wd++) {
				if (strcmp(pair->key->text, days[wd]) != 0)
					continue;
				size_t old = cp_push_key(p, days[wd]);
				parse_day(p, wd, pair->value);
				cp_pop(p, old);
			}
		}
	}
	p->hours_bad = p->n_found != before;
}

/* "YYYY-MM-DD", a real day of 1900..2199; 0 if not. */
static int parse_date(const char *s, int *y, int *m, int *d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	if (*y < 1900 || *y > 2199 || *m < 1 || *m > 12 || *d < 1)
		return 0;
	int leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	return *d <= mdays[*m - 1] + (*m == 2 && leap);
}

/* One entry of holidays.closed: a date, or {date, name}. */
static void parse_closed_day(cp_ctx *p, cy_node *item)
{
	static const char *const keys[] = {"date", "name", NULL};
	cy_node *date = item;
	const char *name = NULL;
	if (item->kind == CY_MAP) {
		cp_check_keys(p, item, keys);
		cy_node *nn = cy_get(item, "name");
		if (nn) {
			size_t old = cp_push_key(p, "name");
			name = cp_text(p, nn, 100);
			cp_pop(p, old);
		}
	}
	size_t old = item->kind == CY_MAP ? cp_push_key(p, "date") : p->plen;
	if (item->kind == CY_MAP && !(date = cp_require(p, item, "date"))) {
		cp_pop(p, old);
		return;
	}
	const char *s = cp_text(p, date, 32);
	int y, m, d;
	char shown[72];
	if (s && !parse_date(s, &y, &m, &d))
		cp_error(p, date, "'%s' is not a date such as 2026-12-24",
			 cp_show(s, shown, sizeof(shown)));
	else if (s && p->c->cal && calendar_add_closed_day(p->c->cal, y, m, d, name) != CT_OK)
		cp_error(p, date, "'%s' cannot be added to the calendar",
			 cp_show(s, shown, sizeof(shown)));
	cp_pop(p, old);
}

/* holidays: the state's public holidays, regional ones and closure days,
 * into the calendar (regional keys are checked once the state is known). */
void cp_parse_holidays(cp_ctx *p, cy_node *n)
{
	static const char *const keys[] = {"state", "regional", "closed", NULL};
	if (!cp_is_map(p, n))
		return;
	cp_check_keys(p, n, keys);
	calendar *cal = p->c->cal;
	size_t old = cp_push_key(p, "state");
	cy_node *v = cp_require(p, n, "state");
	const char *s = v ? cp_text(p, v, 8) : NULL;
	char shown[72];
	int state_ok = 0;
	if (s && !calendar_state_valid(s))
		cp_error(p, v,
			 "'%s' is not a German federal state (BW, BY, BE, BB, HB, HH, HE, MV, NI, "
			 "NW, RP, SL, SN, ST, SH or TH)",
			 cp_show(s, shown, sizeof(shown)));
	else if (s && cal)
		state_ok = calendar_set_state(cal, s) == CT_OK;
	cp_pop(p, old);

	if ((v = cy_get(n, "regional"))) {
		old = cp_push_key(p, "regional");
		cp_list l;
		if (cp_get_list(p, v, &l, 10)) {
			for (size_t i = 0; i < l.n; i++) {
				size_t o2 = v->kind == CY_SEQ ? cp_push_index(p, i) : p->plen;
				const char *key = cp_text(p, l.items[i], 64);
				if (key && state_ok && calendar_add_regional(cal, key) != CT_OK)
					cp_error(p, l.items[i],
						 "unknown regional holiday '%s' "
						 "(mariae_himmelfahrt, "
						 "fronleichnam or augsburger_friedensfest)",
						 cp_show(key, shown, sizeof(shown)));
				cp_pop(p, o2);
			}
		}
		cp_pop(p, old);
	}
	if ((v = cy_get(n, "closed"))) {
		old = cp_push_key(p, "closed");
		cp_list l;
		if (v->kind == CY_MAP) {
			cp_error(p, v, "expected a list of dates, found a mapping");
		} else if (cp_get_list(p, v, &l, CLOSED_DAYS_MAX)) {
			for (size_t i = 0; i < l.n; i++) {
				size_t o2 = v->kind == CY_SEQ ? cp_push_index(p, i) : p->plen;
				parse_closed_day(p, l.items[i]);
				cp_pop(p, o2);
			}
		}
		cp_pop(p, old);
	}
}

/*
 * replay_print.c: the replay report (see replay.h) as readable text for
 * `cluetrain concept replay`: the volume per intent, team, language and
 * channel, the SLA due-time buckets per policy, the load per hour of the
 * week, unmatched messages, automatic replies and the difference from the
 * active concept. It reads only the JSON, so the CLI can print a report
 * that came from the API just as well.
 */
#include <string.h>

#include "core/i18n.h"
#include "triage/replay_internal.h"

static const char *const DAYS[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const TARGETS[RP_TARGETS] = {"first_response", "next_response", "resolution"};

/* A member's integer value; 0 when absent. */
static json_int_t num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* A member's string value; def when absent or not a string. */
static const char *str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : def;
}

/* Characters (not bytes) of UTF-8 text s. */
static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* s right-aligned in width characters. */
static void pad_left(buf *out, const char *s, size_t width)
{
	for (size_t n = chars(s); n < width; n++)
		buf_append(out, " ", 1);
	buf_puts(out, s);
}

/* "name count (pct %)" for each member of a {name: count} object. */
static void print_counts(buf *out, const char *title, const json_t *counts, json_int_t total)
{
	buf_printf(out, "  %-9s", title);
	const char *key;
	const json_t *v;
	int first = 1;
	json_object_foreach((json_t *)counts, key, v)
	{
		json_int_t n = json_integer_value(v);
		buf_printf(out, "%s%s %lld", first ? " " : " · ", key, (long long)n);
		if (total > 0)
			buf_printf(out, " (%.1f %%)", 100.0 * (double)n / (double)total);
		first = 0;
	}
	buf_puts(out, first ? " -\n" : "\n");
}

/* The concept, the period, the source and what was compared. */
static void print_head(buf *out, const json_t *r)
{
	const json_t *c = json_object_get(r, "concept"), *p = json_object_get(r, "period");
	buf_printf(out, _("Replay of the draft \"%s\" (%lld rules, %s)\n"), str(c, "name", "?"),
		   (long long)num(c, "rules"), str(c, "time_zone", "?"));
	buf_printf(out, _("Period: %s – %s"), str(p, "from", _("the beginning")),
		   str(p, "to", _("now")));
	if (json_is_string(json_object_get(p, "first_message")))
		buf_printf(out, _("; messages from %s to %s"), str(p, "first_message", ""),
			   str(p, "last_message", ""));
	buf_printf(out, _("\n%lld messages (%s)"), (long long)num(r, "messages"),
		   str(r, "source", "?"));
	if (num(r, "late_timed_by_created_at"))
		buf_printf(out, _(", %lld of them timed by when they were written (stored later)"),
			   (long long)num(r, "late_timed_by_created_at"));
	buf_puts(out, "\n");
	const json_t *a = json_object_get(r, "active");
	if (json_is_object(a)) {
		buf_printf(out, _("Compared with the active concept \"%s\""), str(a, "name", "?"));
		if (json_is_integer(json_object_get(a, "version_id")))
			buf_printf(out, _(" (version %lld)"), (long long)num(a, "version_id"));
		buf_puts(out, "\n");
	}
	const json_t *in = json_object_get(r, "input");
	if (json_is_object(in)) {
		buf_printf(out, _("Input: %lld lines, %lld not readable\n"),
			   (long long)num(in, "lines"), (long long)num(in, "invalid"));
		size_t i;
		const json_t *e;
		json_array_foreach(json_object_get(in, "errors"), i, e)
			buf_printf(out, "  %s\n", json_string_value(e));
	}
}

/* The counts per intent, team, language, channel, action, priority. */
static void print_volume(buf *out, const json_t *r)
{
	static const char *const parts[] = {"intent",  "team",   "language",
					    "channel", "action", "priority"};
	const json_t *v = json_object_get(r, "volume");
	buf_puts(out, _("\nVolume\n"));
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		print_counts(out, parts[i], json_object_get(v, parts[i]), num(r, "messages"));
}

/* Per policy a table: targets by due-time bucket. */
static void print_sla(buf *out, const json_t *r)
{
	const json_t *sla = json_object_get(r, "sla");
	const json_t *buckets = json_object_get(sla, "buckets");
	buf_puts(out, _("\nSLA: when the targets fall due after arrival\n"));
	const char *name;
	const json_t *p;
	json_object_foreach(json_object_get(sla, "policies"), name, p)
	{
		buf_printf(out, _("  %s (%lld messages)\n    %-16s"), name,
			   (long long)num(p, "messages"), "");
		size_t b;
		const json_t *bucket;
		json_array_foreach(buckets, b, bucket) pad_left(out, str(bucket, "label", "?"), 8);
		buf_puts(out, "\n");
		for (int t = 0; t < RP_TARGETS; t++) {
			const json_t *counts = json_object_get(p, TARGETS[t]);
			buf_printf(out, "    %-16s", TARGETS[t]);
			json_array_foreach(buckets, b, bucket)
			{
				char n[32];
				snprintf(n, sizeof(n), "%lld",
					 (long long)num(counts, str(bucket, "key", "")));
				pad_left(out, n, 8);
			}
			buf_puts(out, "\n");
		}
	}
	buf_printf(out, _("  without a policy: %lld messages\n"), (long long)num(sla, "no_policy"));
}

/* The busiest hour of a week grid: "Mon 09–10 (35)". */
static void busiest(buf *out, const json_t *week)
{
	json_int_t best = -1;
	int bd = 0, bh = 0;
	for (int d = 0; d < 7; d++)
		for (int h = 0; h < 24; h++) {
			json_int_t n = json_integer_value(
				json_array_get(json_array_get(week, (size_t)d), (size_t)h));
			if (n > best) {
				best = n;
				bd = d;
				bh = h;
			}
		}
	buf_printf(out, _("busiest %s %02d–%02d (%lld)"), DAYS[bd], bh, bh + 1, (long long)best);
}

/* The week grid of messages that need an answer, and each team's total. */
static void print_load(buf *out, const json_t *r)
{
	const json_t *load = json_object_get(r, "load");
	const json_t *week = json_object_get(load, "by_hour");
	json_int_t max = 0;
	for (int d = 0; d < 7; d++)
		for (int h = 0; h < 24; h++) {
			json_int_t n = json_integer_value(
				json_array_get(json_array_get(week, (size_t)d), (size_t)h));
			max = n > max ? n : max;
		}
	char tmp[32];
	int width = snprintf(tmp, sizeof(tmp), "%lld", (long long)max) + 1;
	width = width < 3 ? 3 : width;
	buf_printf(out,
		   _("\nLoad: messages that need an answer, per hour of the week (%s): %lld\n"),
		   str(load, "time_zone", "?"), (long long)num(load, "needs_answer"));
	buf_puts(out, "     ");
	for (int h = 0; h < 24; h++)
		buf_printf(out, "%*d", width, h);
	buf_puts(out, "\n");
	for (int d = 0; d < 7; d++) {
		buf_printf(out, "  %s", DAYS[d]);
		for (int h = 0; h < 24; h++) {
			json_int_t n = json_integer_value(
				json_array_get(json_array_get(week, (size_t)d), (size_t)h));
			if (n)
				buf_printf(out, "%*lld", width, (long long)n);
			else
				buf_printf(out, "%*s", width, ".");
		}
		buf_puts(out, "\n");
	}
	const char *team;
	const json_t *tw;
	json_object_foreach(json_object_get(load, "by_team"), team, tw)
	{
		json_int_t total = 0;
		for (int d = 0; d < 7; d++)
			for (int h = 0; h < 24; h++)
				total += json_integer_value(
					json_array_get(json_array_get(tw, (size_t)d), (size_t)h));
		buf_printf(out, "  %s: %lld, ", team, (long long)total);
		busiest(out, tw);
		buf_puts(out, "\n");
	}
}

/* Unmatched messages, automatic replies, and the difference from the
 * active concept. */
static void print_rest(buf *out, const json_t *r)
{
	const json_t *u = json_object_get(r, "unmatched");
	buf_printf(out, _("\nMatched by no rule: %lld\n"), (long long)num(u, "count"));
	size_t i;
	const json_t *e;
	json_array_foreach(json_object_get(u, "examples"), i, e)
		buf_printf(out, "  #%lld [%s] %s\n", (long long)num(e, "id"), str(e, "channel", ""),
			   str(e, "text", ""));
	const json_t *ah = json_object_get(r, "after_hours"),
		     *fc = json_object_get(r, "first_contact");
	buf_printf(out, _("After office hours: %lld messages, %lld automatic replies\n"),
		   (long long)num(ah, "messages"), (long long)num(ah, "auto_replies"));
	buf_printf(out, _("First contact: %lld messages, %lld automatic replies\n"),
		   (long long)num(fc, "messages"), (long long)num(fc, "auto_replies"));
	buf_printf(out, _("In a language no team owns: %lld\n"),
		   (long long)num(r, "language_unowned"));
	const json_t *d = json_object_get(r, "diff");
	if (!json_is_object(d))
		return;
	buf_printf(out, _("\nDifference from the active concept: %lld messages\n "),
		   (long long)num(d, "changed"));
	const char *field;
	const json_t *n;
	int first = 1;
	json_object_foreach(json_object_get(d, "fields"), field, n)
	{
		buf_printf(out, "%s%s %lld", first ? " " : " · ", field,
			   (long long)json_integer_value(n));
		first = 0;
	}
	buf_puts(out, "\n");
	json_array_foreach(json_object_get(d, "examples"), i, e)
		buf_printf(out, "  %s\n    [%s] %s\n", str(e, "summary", ""), str(e, "channel", ""),
			   str(e, "text", ""));
}

void triage_replay_print(const json_t *report, buf *out)
{
	print_head(out, report);
	print_volume(out, report);
	print_sla(out, report);
	print_load(out, report);
	print_rest(out, report);
}

/*
 * replay_stats.c: the counting half of the replay simulator (see replay.h
 * and replay_internal.h): counters by name, sets of ids, what each replayed
 * message adds to the report (volume, SLA due-time buckets, load per hour
 * of the week, unmatched messages, automatic replies, differences from the
 * active concept), and the report's counted parts as JSON.
 *
 * Memory stays small whatever the number of messages: counters are per
 * name (intents, teams, languages, channels, policies), examples are capped.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "triage/replay_internal.h"

#define EXCERPT_CHARS 120

static const char *const TARGETS[RP_TARGETS] = {"first_response", "next_response", "resolution"};
static const char *const BUCKET_KEYS[RP_BUCKETS] = {"le_1h", "1h_4h", "4h_24h",
						    "1d_3d", "gt_3d", "never"};
static const char *const BUCKET_LABELS[RP_BUCKETS] = {"≤ 1h", "1–4h", "4–24h",
						      "1–3d", "> 3d", "never"};
static const int64_t BUCKET_UPTO[RP_BUCKETS - 2] = {3600000LL, 4 * 3600000LL, 24 * 3600000LL,
						    72 * 3600000LL};
static const char *const FIELDS[RP_FIELDS] = {"intent", "team", "priority", "action", "sla"};

/* ---- Counters by name ---------------------------------------------------- */

void rp_tally_init(rp_tally *t, size_t n_cells)
{
	memset(t, 0, sizeof(*t));
	t->n_cells = n_cells;
}

void rp_tally_free(rp_tally *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i].key);
		free(t->items[i].cells);
	}
	free(t->items);
	memset(t, 0, sizeof(*t));
}

rp_entry *rp_tally_get(rp_tally *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->items[i].key, key) == 0)
			return &t->items[i];
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 8;
		t->items = xrealloc(t->items, t->cap * sizeof(*t->items));
	}
	rp_entry *e = &t->items[t->n++];
	e->key = xstrdup(key);
	e->n = 0;
	e->cells = t->n_cells ? xcalloc(t->n_cells, sizeof(int64_t)) : NULL;
	return e;
}

/* Largest count first, then by name. */
static int entry_cmp(const void *pa, const void *pb)
{
	const rp_entry *a = *(const rp_entry *const *)pa, *b = *(const rp_entry *const *)pb;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* t's entries sorted for the report: an array the caller frees (the
 * entries are borrowed from t). */
static const rp_entry **tally_sorted(const rp_tally *t)
{
	const rp_entry **v = xcalloc(t->n + 1, sizeof(*v));
	for (size_t i = 0; i < t->n; i++)
		v[i] = &t->items[i];
	qsort(v, t->n, sizeof(*v), entry_cmp);
	return v;
}

/* {key: count}, largest first. New reference. */
static json_t *tally_json(const rp_tally *t)
{
	json_t *o = json_object();
	const rp_entry **v = tally_sorted(t);
	for (size_t i = 0; i < t->n; i++)
		json_object_set_new(o, v[i]->key, json_integer(v[i]->n));
	free(v);
	return o;
}

/* ---- Sets of ids --------------------------------------------------------- */

/* splitmix64's finaliser: spreads close ids over the table. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Put key (not 0) into a table of cap slots (a power of two) with room. */
static void set_insert(uint64_t *slots, size_t cap, uint64_t key)
{
	size_t i = (size_t)mix(key) & (cap - 1);
	while (slots[i] && slots[i] != key)
		i = (i + 1) & (cap - 1);
	slots[i] = key;
}

int rp_set_add(rp_set *s, uint64_t key)
{
	if (key == 0) {
		int fresh = !s->has_zero;
		s->has_zero = 1;
		return fresh;
	}
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint64_t *slots = xcalloc(cap, sizeof(*slots));
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i])
				set_insert(slots, cap, s->slots[i]);
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	size_t i = (size_t)mix(key) & (s->cap - 1);
	while (s->slots[i]) {
		if (s->slots[i] == key)
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->slots[i] = key;
	s->n++;
	return 1;
}

void rp_set_clear(rp_set *s)
{
	if (s->slots)
		memset(s->slots, 0, s->cap * sizeof(*s->slots));
	s->n = 0;
	s->has_zero = 0;
}

void rp_set_free(rp_set *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

/* FNV-1a over the bytes of s and a separator. */
static uint64_t fnv(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

uint64_t rp_hash(const char *a, const char *b, const char *c)
{
	return fnv(fnv(fnv(0xcbf29ce484222325ULL, a), b), c);
}

/* ---- Texts and times ----------------------------------------------------- */

/* The length of the UTF-8 sequence at p (n bytes left), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80             ? 1
		     : (p[0] & 0xe0) == 0xc0 ? 2
		     : (p[0] & 0xf0) == 0xe0 ? 3
		     : (p[0] & 0xf8) == 0xf0 ? 4
					     : 0;
	if (len == 0 || len > n || (len == 2 && p[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

json_t *rp_excerpt(const char *text, size_t len)
{
	buf b;
	buf_init(&b, 0);
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, chars = 0;
	int space = 0;
	while (i < len && chars < EXCERPT_CHARS) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
			space = b.len > 0;
			i++;
			continue;
		}
		if (space) {
			buf_append(&b, " ", 1);
			chars++;
			space = 0;
		}
		size_t n = utf8_len(p + i, len - i);
		if (n == 0 || p[i] < 0x20)
			buf_append(&b, "?", 1);
		else
			buf_append(&b, p + i, n);
		i += n ? n : 1;
		chars++;
	}
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	if (i < len)
		buf_puts(&b, "…");
	json_t *s = json_stringn(buf_cstr(&b), b.len);
	buf_free(&b);
	return s ? s : json_string("");
}

json_t *rp_time_json(int64_t ms)
{
	if (ms == 0 || ms == INT64_MAX)
		return json_null();
	char t[TIME_RFC3339_SIZE];
	time_format_rfc3339(ms, t);
	return json_string(t);
}

/* ---- Counting ------------------------------------------------------------ */

void rp_stats_init(rp_stats *st, const calendar *cal, size_t max_examples, int compared)
{
	memset(st, 0, sizeof(*st));
	st->cal = cal;
	st->max_examples = max_examples;
	st->compared = compared;
	rp_tally_init(&st->intent, 0);
	rp_tally_init(&st->team, 0);
	rp_tally_init(&st->language, 0);
	rp_tally_init(&st->channel, 0);
	rp_tally_init(&st->action, 0);
	rp_tally_init(&st->priority, 0);
	rp_tally_init(&st->sla, RP_TARGETS * RP_BUCKETS);
	rp_tally_init(&st->team_load, RP_HOURS);
	st->unmatched_examples = json_array();
	st->diff_examples = json_array();
}

void rp_stats_free(rp_stats *st)
{
	rp_tally_free(&st->intent);
	rp_tally_free(&st->team);
	rp_tally_free(&st->language);
	rp_tally_free(&st->channel);
	rp_tally_free(&st->action);
	rp_tally_free(&st->priority);
	rp_tally_free(&st->sla);
	rp_tally_free(&st->team_load);
	json_decref(st->unmatched_examples);
	json_decref(st->diff_examples);
	memset(st, 0, sizeof(*st));
}

/* The bucket of a due time `due` for a message that arrived at `at`. */
static int bucket_of(int64_t at, int64_t due)
{
	if (due == INT64_MAX)
		return RP_BUCKETS - 1;
	int64_t wait = due - at;
	for (int b = 0; b < RP_BUCKETS - 2; b++)
		if (wait <= BUCKET_UPTO[b])
			return b;
	return RP_BUCKETS - 2;
}

/* The SLA targets whose clock m starts, into the policy's buckets. */
static void add_sla(rp_stats *st, const concept *k, const rp_msg *m, const concept_sla *sla)
{
	if (!sla) {
		st->no_sla++;
		return;
	}
	rp_entry *e = rp_tally_get(&st->sla, sla->name);
	e->n++;
	const int64_t ms[RP_TARGETS] = {sla->first_response_ms, sla->next_response_ms,
					sla->resolution_ms};
	const int starts[RP_TARGETS] = {m->opens, m->after_answer, m->opens};
	for (int t = 0; t < RP_TARGETS; t++) {
		if (!starts[t] || ms[t] <= 0)
			continue;
		int64_t due = triage_due(k, sla, m->at, ms[t]);
		e->cells[t * RP_BUCKETS + bucket_of(m->at, due)]++;
	}
}

/* 1 for the actions that give an agent work: answer, share, escalate. */
static int needs_answer(concept_action a)
{
	return a == CONCEPT_ACTION_ANSWER || a == CONCEPT_ACTION_SHARE ||
	       a == CONCEPT_ACTION_ESCALATE;
}

void rp_stats_add(rp_stats *st, const concept *k, const rp_msg *m, const triage_result *r,
		  int replies)
{
	st->messages++;
	if (st->messages == 1 || m->at < st->first_at)
		st->first_at = m->at;
	if (m->at > st->last_at)
		st->last_at = m->at;
	rp_tally_get(&st->intent, r->intent ? r->intent->name : "none")->n++;
	rp_tally_get(&st->team, r->team ? r->team : "none")->n++;
	rp_tally_get(&st->language, r->text.language[0] ? r->text.language : "none")->n++;
	rp_tally_get(&st->channel, m->channel_name)->n++;
	rp_tally_get(&st->action, concept_action_name(r->action))->n++;
	rp_tally_get(&st->priority, r->priority ? r->priority : "none")->n++;
	add_sla(st, k, m, r->sla);
	if (needs_answer(r->action)) {
		int y, mo, d, wd, minute;
		calendar_local(st->cal, m->at, &y, &mo, &d, &wd, &minute);
		int hour = wd * 24 + minute / 60;
		if (hour >= 0 && hour < RP_HOURS) {
			st->needs_answer++;
			st->load[hour]++;
			rp_entry *e = rp_tally_get(&st->team_load, r->team ? r->team : "none");
			e->n++;
			e->cells[hour]++;
		}
	}
	if (r->n_matches == 0) {
		st->unmatched++;
		if (json_array_size(st->unmatched_examples) < st->max_examples)
			json_array_append_new(st->unmatched_examples,
					      json_pack("{s:I, s:s, s:o}", "id", (json_int_t)m->id,
							"channel", m->channel_name, "text",
							rp_excerpt(m->text, m->len)));
	}
	st->after_hours += r->after_hours != 0;
	st->after_hours_replies += (replies & 1) != 0;
	st->first_contacts += m->first_contact != 0;
	st->first_contact_replies += (replies & 2) != 0;
	st->unowned += r->language_unowned != 0;
}

/* The value of field f in r, as the report writes it ("none" when unset). */
static const char *field_value(const triage_result *r, int f)
{
	const char *v = NULL;
	switch (f) {
	case RP_F_INTENT: v = r->intent ? r->intent->name : NULL; break;
	case RP_F_TEAM: v = r->team; break;
	case RP_F_PRIORITY: v = r->priority; break;
	case RP_F_ACTION: v = concept_action_name(r->action); break;
	case RP_F_SLA: v = r->sla ? r->sla->name : NULL; break;
	default: break;
	}
	return v ? v : "none";
}

void rp_stats_diff(rp_stats *st, const rp_msg *m, const triage_result *d, const triage_result *a)
{
	int differs[RP_FIELDS], any = 0;
	for (int f = 0; f < RP_FIELDS; f++) {
		differs[f] = strcmp(field_value(d, f), field_value(a, f)) != 0;
		st->field_changed[f] += differs[f];
		any |= differs[f];
	}
	if (!any)
		return;
	st->changed++;
	if (json_array_size(st->diff_examples) >= st->max_examples)
		return;
	json_t *changes = json_array();
	buf summary;
	buf_init(&summary, 4096);
	buf_printf(&summary, "message %lld:", (long long)m->id);
	for (int f = 0; f < RP_FIELDS; f++) {
		if (!differs[f])
			continue;
		const char *from = field_value(a, f), *to = field_value(d, f);
		json_array_append_new(changes, json_pack("{s:s, s:s, s:s}", "field", FIELDS[f],
							 "from", from, "to", to));
		buf_printf(&summary, "%s %s %s → %s", json_array_size(changes) > 1 ? "," : "",
			   FIELDS[f], from, to);
	}
	json_array_append_new(st->diff_examples,
			      json_pack("{s:I, s:s, s:o, s:s, s:o}", "id", (json_int_t)m->id,
					"channel", m->channel_name, "text",
					rp_excerpt(m->text, m->len), "summary", buf_cstr(&summary),
					"changes", changes));
	buf_free(&summary);
}

/* ---- The report ---------------------------------------------------------- */

/* 7 rows (Monday first) of 24 hourly counts. New reference. */
static json_t *week_json(const int64_t *cells)
{
	json_t *week = json_array();
	for (int d = 0; d < 7; d++) {
		json_t *day = json_array();
		for (int h = 0; h < 24; h++)
			json_array_append_new(day, json_integer(cells[d * 24 + h]));
		json_array_append_new(week, day);
	}
	return week;
}

/* The "sla" part of the report. New reference. */
static json_t *sla_json(const rp_stats *st)
{
	json_t *buckets = json_array();
	for (int b = 0; b < RP_BUCKETS; b++)
		json_array_append_new(buckets, json_pack("{s:s, s:s}", "key", BUCKET_KEYS[b],
							 "label", BUCKET_LABELS[b]));
	json_t *policies = json_object();
	const rp_entry **v = tally_sorted(&st->sla);
	for (size_t i = 0; i < st->sla.n; i++) {
		json_t *p = json_pack("{s:I}", "messages", (json_int_t)v[i]->n);
		for (int t = 0; t < RP_TARGETS; t++) {
			json_t *counts = json_object();
			for (int b = 0; b < RP_BUCKETS; b++)
				json_object_set_new(counts, BUCKET_KEYS[b],
						    json_integer(v[i]->cells[t * RP_BUCKETS + b]));
			json_object_set_new(p, TARGETS[t], counts);
		}
		json_object_set_new(policies, v[i]->key, p);
	}
	free(v);
	return json_pack("{s:o, s:o, s:I}", "buckets", buckets, "policies", policies, "no_policy",
			 (json_int_t)st->no_sla);
}

/* The "load" part of the report. New reference. */
static json_t *load_json(const rp_stats *st)
{
	json_t *teams = json_object();
	const rp_entry **v = tally_sorted(&st->team_load);
	for (size_t i = 0; i < st->team_load.n; i++)
		json_object_set_new(teams, v[i]->key, week_json(v[i]->cells));
	free(v);
	return json_pack("{s:s, s:I, s:o, s:o}", "time_zone", calendar_time_zone(st->cal),
			 "needs_answer", (json_int_t)st->needs_answer, "by_hour",
			 week_json(st->load), "by_team", teams);
}

/* The "diff" part of the report (null without an active concept). New
 * reference. */
static json_t *diff_json(const rp_stats *st)
{
	if (!st->compared)
		return json_null();
	json_t *fields = json_object();
	for (int f = 0; f < RP_FIELDS; f++)
		json_object_set_new(fields, FIELDS[f], json_integer(st->field_changed[f]));
	return json_pack("{s:I, s:o, s:O}", "changed", (json_int_t)st->changed, "fields", fields,
			 "examples", st->diff_examples);
}

void rp_stats_json(const rp_stats *st, json_t *report)
{
	json_object_set_new(report, "volume",
			    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "intent",
				      tally_json(&st->intent), "team", tally_json(&st->team),
				      "language", tally_json(&st->language), "channel",
				      tally_json(&st->channel), "action", tally_json(&st->action),
				      "priority", tally_json(&st->priority)));
	json_object_set_new(report, "sla", sla_json(st));
	json_object_set_new(report, "load", load_json(st));
	json_object_set_new(report, "unmatched",
			    json_pack("{s:I, s:O}", "count", (json_int_t)st->unmatched, "examples",
				      st->unmatched_examples));
	json_object_set_new(report, "after_hours",
			    json_pack("{s:I, s:I}", "messages", (json_int_t)st->after_hours,
				      "auto_replies", (json_int_t)st->after_hours_replies));
	json_object_set_new(report, "first_contact",
			    json_pack("{s:I, s:I}", "messages", (json_int_t)st->first_contacts,
				      "auto_replies", (json_int_t)st->first_contact_replies));
	json_object_set_new(report, "language_unowned", json_integer(st->unowned));
	json_object_set_new(report, "diff", diff_json(st));
}

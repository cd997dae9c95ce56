/*
 * triage.c: evaluating the concept's rules for one message (see triage.h).
 *
 * The engine is shared; what is not thread-safe (the text analyzer with its
 * stemmers and language classifier) is kept per thread under a pthread key,
 * tagged with the serial number of the engine it was made for, and made
 * anew when a thread first meets a newer engine.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/triage.h"

struct triage_engine {
	concept *c;
	int64_t version_id;
	uint64_t serial; /* unique per engine, for the per-thread analyzers */
	atomic_int refs;
};

/* The analyzer of one thread, for the engine with this serial. */
typedef struct local_analyzer {
	uint64_t serial;
	text_analyzer *ta;
} local_analyzer;

static atomic_uint_fast64_t engine_serials;
static pthread_key_t analyzer_key;
static pthread_once_t analyzer_once = PTHREAD_ONCE_INIT;

static void free_local(void *p)
{
	local_analyzer *l = p;
	if (l)
		text_analyzer_free(l->ta);
	free(l);
}

static void make_key(void)
{
	pthread_key_create(&analyzer_key, free_local);
}

triage_engine *triage_engine_new(concept *c, int64_t version_id)
{
	triage_engine *e = xcalloc(1, sizeof(*e));
	e->c = c;
	e->version_id = version_id;
	e->serial = atomic_fetch_add(&engine_serials, 1) + 1;
	atomic_init(&e->refs, 1);
	return e;
}

triage_engine *triage_engine_ref(triage_engine *e)
{
	if (e)
		atomic_fetch_add(&e->refs, 1);
	return e;
}

void triage_engine_unref(triage_engine *e)
{
	if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	concept_free(e->c);
	free(e);
}

const concept *triage_engine_concept(const triage_engine *e)
{
	return e->c;
}

int64_t triage_engine_version(const triage_engine *e)
{
	return e->version_id;
}

/* This thread's analyzer for e, made on first use. Borrowed; NULL when the
 * concept's languages have no classifier data. */
static text_analyzer *thread_analyzer(const triage_engine *e)
{
	pthread_once(&analyzer_once, make_key);
	local_analyzer *l = pthread_getspecific(analyzer_key);
	if (l && l->serial == e->serial)
		return l->ta;
	if (!l) {
		l = xcalloc(1, sizeof(*l));
		pthread_setspecific(analyzer_key, l);
	}
	text_analyzer_free(l->ta);
	const char *codes[32];
	size_t n = 0;
	for (size_t i = 0; i < e->c->n_languages && n < 32; i++)
		codes[n++] = e->c->languages[i].code;
	const char *why = NULL;
	l->ta = text_analyzer_new(codes, n, &why);
	l->serial = l->ta ? e->serial : 0;
	return l->ta;
}

void triage_result_init(triage_result *r)
{
	memset(r, 0, sizeof(*r));
	text_analysis_init(&r->text);
	buf_init(&r->intent_evidence, 4096);
}

void triage_result_free(triage_result *r)
{
	text_analysis_free(&r->text);
	buf_free(&r->intent_evidence);
}

/* Forget the previous message's outcome, keeping the buffers. */
static void result_reset(triage_result *r)
{
	r->intent = NULL;
	buf_reset(&r->intent_evidence);
	r->priority = r->team = NULL;
	r->n_tags = 0;
	r->action = CONCEPT_ACTION_NONE;
	r->sla = NULL;
	r->language_unowned = r->after_hours = 0;
	r->n_matches = 0;
}

static int list_has(const concept_strings *l, const char *s)
{
	for (size_t i = 0; s && i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return 1;
	return 0;
}

static const char *sentiment_name(concept_sentiment s)
{
	switch (s) {
	case CONCEPT_SENTIMENT_NEGATIVE: return "negative";
	case CONCEPT_SENTIMENT_NEUTRAL: return "neutral";
	case CONCEPT_SENTIMENT_POSITIVE: return "positive";
	default: return "any";
	}
}

/* Append "; what" to the reason of a match (truncating quietly). */
static void because_add(char *because, size_t size, const char *fmt, const char *a, const char *b)
{
	size_t used = strlen(because);
	if (used + 3 >= size)
		return;
	if (used)
		used += (size_t)snprintf(because + used, size - used, ", ");
	if (used < size)
		snprintf(because + used, size - used, fmt, a, b ? b : "");
}

/* 1 when every contact condition of w holds for attrs. */
static int contact_matches(const concept_when *w, const json_t *attrs)
{
	for (size_t i = 0; i < w->n_contact; i++) {
		const json_t *v = attrs ? json_object_get(attrs, w->contact[i].key) : NULL;
		const char *s = json_string_value(v);
		if (!s || strcmp(s, w->contact[i].value) != 0)
			return 0;
	}
	return 1;
}

/* The conditions of w about the message's context (not its text). */
static int context_matches(const concept_when *w, const triage_input *in, const triage_result *r)
{
	if (w->channels.n && !list_has(&w->channels, in->channel_name) &&
	    !list_has(&w->channels, in->channel_kind))
		return 0;
	if (w->first_contact >= 0 && w->first_contact != (in->first_contact != 0))
		return 0;
	if (w->time == CONCEPT_TIME_OFFICE_HOURS && r->after_hours)
		return 0;
	if (w->time == CONCEPT_TIME_AFTER_HOURS && !r->after_hours)
		return 0;
	return contact_matches(w, in->contact_attrs);
}

/* 1 when rule matches; because gets what made it match. */
static int rule_matches(const concept_rule *rule, const triage_input *in, const triage_result *r,
			char *because, size_t size)
{
	const concept_when *w = &rule->when;
	because[0] = '\0';
	if (!context_matches(w, in, r))
		return 0;
	if (w->languages.n && !list_has(&w->languages, r->text.language))
		return 0;
	const char *intent = r->intent ? r->intent->name : "none";
	if (w->intents.n && !list_has(&w->intents, intent))
		return 0;
	if (w->sentiment != CONCEPT_SENTIMENT_ANY && w->sentiment != r->text.feeling)
		return 0;
	size_t which = 0;
	if (w->keywords.n && !text_has_stem(&r->text, &w->keywords, &which))
		return 0;
	if (w->intents.n && r->intent)
		because_add(because, size, "intent %s ('%s')", intent,
			    buf_cstr(&r->intent_evidence));
	else if (w->intents.n)
		because_add(because, size, "no intent%s%s", "", NULL);
	if (w->keywords.n) {
		const concept_strings *kw = &w->keywords_written;
		because_add(because, size, "keyword '%s'%s", which < kw->n ? kw->items[which] : "",
			    NULL);
	}
	if (w->sentiment != CONCEPT_SENTIMENT_ANY)
		because_add(because, size, "sentiment %s%s", sentiment_name(w->sentiment), NULL);
	if (w->languages.n)
		because_add(because, size, "language %s%s", r->text.language, NULL);
	if (w->channels.n)
		because_add(because, size, "channel %s%s", in->channel_name, NULL);
	if (w->time != CONCEPT_TIME_ANY)
		because_add(because, size, "%s%s",
			    r->after_hours ? "after office hours" : "in office hours", NULL);
	if (w->first_contact >= 0)
		because_add(because, size, "%s%s",
			    in->first_contact ? "first contact" : "returning", NULL);
	if (w->n_contact)
		because_add(because, size, "contact %s%s", w->contact[0].key, NULL);
	if (!because[0])
		because_add(because, size, "always%s%s", "", NULL);
	return 1;
}

/* Add what then sets and r has not got yet; tags accumulate. */
static void apply_then(const concept *c, const concept_then *then, triage_result *r)
{
	if (!r->priority && then->priority)
		r->priority = then->priority;
	if (!r->team && then->team)
		r->team = then->team;
	if (r->action == CONCEPT_ACTION_NONE)
		r->action = then->action;
	if (!r->sla && then->sla)
		r->sla = concept_sla_by_name(c, then->sla);
	for (size_t i = 0; i < then->tags.n && r->n_tags < TRIAGE_MAX_TAGS; i++) {
		const char *tag = then->tags.items[i];
		int seen = 0;
		for (size_t j = 0; j < r->n_tags && !seen; j++)
			seen = strcmp(r->tags[j], tag) == 0;
		if (!seen)
			r->tags[r->n_tags++] = tag;
	}
}

/* The rules in order, then the defaults and the language's team. */
static void evaluate(const concept *c, const triage_input *in, triage_result *r)
{
	for (size_t i = 0; i < c->n_rules; i++) {
		const concept_rule *rule = &c->rules[i];
		char because[sizeof(r->matches[0].because)];
		if (!rule_matches(rule, in, r, because, sizeof(because)))
			continue;
		if (r->n_matches < TRIAGE_MAX_RULES) {
			triage_match *m = &r->matches[r->n_matches++];
			m->rule = rule;
			snprintf(m->because, sizeof(m->because), "%s", because);
		}
		apply_then(c, &rule->then, r);
		if (rule->stop)
			break;
	}
	apply_then(c, &c->defaults, r);
	const char *owner = concept_language_team(c, r->text.language);
	r->language_unowned = owner == NULL;
	if (!r->team)
		r->team = owner ? owner : c->fallback_team;
	if (!r->priority)
		r->priority = "normal";
	if (r->action == CONCEPT_ACTION_NONE)
		r->action = CONCEPT_ACTION_ANSWER;
}

ct_err triage_analyze(triage_engine *e, const char *text, size_t len, const char *language,
		      triage_result *r)
{
	result_reset(r);
	text_analyzer *ta = thread_analyzer(e);
	if (!ta)
		return CT_ERR_INTERNAL;
	ct_err err = language ? text_analyze_as(ta, language, text, len, &r->text)
			      : text_analyze(ta, text, len, &r->text);
	if (!err)
		r->intent = text_match_intent(e->c, &r->text, &r->intent_evidence);
	return err;
}

void triage_decide(const triage_engine *e, const triage_input *in, triage_result *r)
{
	r->priority = r->team = NULL;
	r->n_tags = 0;
	r->action = CONCEPT_ACTION_NONE;
	r->sla = NULL;
	r->n_matches = 0;
	r->after_hours = !calendar_is_open(e->c->cal, in->at);
	evaluate(e->c, in, r);
}

ct_err triage_run(triage_engine *e, const triage_input *in, triage_result *r)
{
	ct_err err = triage_analyze(e, in->text, in->len, in->language, r);
	if (!err)
		triage_decide(e, in, r);
	return err;
}

json_t *triage_result_json(const triage_result *r)
{
	json_t *rules = json_array();
	for (size_t i = 0; i < r->n_matches; i++)
		json_array_append_new(rules,
				      json_pack("{s:s, s:s}", "name", r->matches[i].rule->name,
						"because", r->matches[i].because));
	json_t *tags = json_array();
	for (size_t i = 0; i < r->n_tags; i++)
		json_array_append_new(tags, json_string(r->tags[i]));
	json_t *o =
		json_pack("{s:s, s:b, s:s?, s:s?, s:f, s:s, s:s, s:s?, s:s, s:s?, s:b, s:o, s:o}",
			  "language", r->text.language, "language_unowned", r->language_unowned,
			  "intent", r->intent ? r->intent->name : NULL, "evidence",
			  r->intent ? buf_cstr(&r->intent_evidence) : NULL, "sentiment",
			  r->text.sentiment, "feeling", sentiment_name(r->text.feeling), "priority",
			  r->priority, "team", r->team, "action", concept_action_name(r->action),
			  "sla", r->sla ? r->sla->name : NULL, "after_hours", r->after_hours,
			  "tags", tags, "rules", rules);
	return o;
}

int64_t triage_due(const concept *c, const concept_sla *sla, int64_t start, int64_t ms)
{
	if (!sla || ms <= 0)
		return 0;
	if (!sla->business_time)
		return start + ms;
	int64_t due = calendar_add_business(c->cal, start, ms);
	return due == INT64_MAX ? 0 : due; /* the office never opens: no due time */
}

int64_t triage_due_soon_lead(const concept_sla *sla, int64_t ms)
{
	if (sla && sla->due_soon_ms > 0)
		return sla->due_soon_ms < ms ? sla->due_soon_ms : ms;
	return ms / 5;
}

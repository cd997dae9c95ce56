/*
 * triage.h: the dialog concept applied to one incoming message.
 *
 * triage_run reads a message's text (language, stems, sentiment, intent:
 * see text.h) and checks the concept's rules against it and its context
 * (channel, contact, time). The result says what the concept wants done:
 * priority, team, tags, action, SLA policy, whether the language has an
 * owning team, whether the office is closed, and why, as the names of the
 * rules that matched with what made them match ("outage-de: intent outage
 * ('strom weg')").
 *
 * Rule semantics (docs/concept.md): rules are checked in document order;
 * every matching rule is recorded; a field set by an earlier matching rule
 * is not overwritten by a later one, except tags, which accumulate; a rule
 * with `stop: true` ends the evaluation; the defaults fill what no rule set.
 * The team is the rule's, else the owning team of the message's language,
 * else the fallback team (and the result is flagged language_unowned).
 *
 * A triage_engine owns one parsed concept and is shared by every thread;
 * each thread keeps its own text analyzer for it (thread-local, made on
 * first use), so triage_run needs no lock. Engines are reference-counted:
 * activating a new concept swaps the app's engine while running requests
 * finish with the old one.
 */
#ifndef CT_TRIAGE_H
#define CT_TRIAGE_H

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "triage/concept.h"
#include "triage/text.h"

#define TRIAGE_MAX_TAGS 16
#define TRIAGE_MAX_RULES 32

typedef struct triage_engine triage_engine;

/* A new engine owning c (freed with the engine), for concept version
 * version_id (0: a draft that is not stored). Reference count 1. */
triage_engine *triage_engine_new(concept *c, int64_t version_id);
triage_engine *triage_engine_ref(triage_engine *e);
void triage_engine_unref(triage_engine *e);
const concept *triage_engine_concept(const triage_engine *e);
int64_t triage_engine_version(const triage_engine *e);

/* What a rule may look at besides the text. Strings are borrowed. */
typedef struct triage_input {
	const char *channel_name;
	const char *channel_kind;
	const char *text;
	size_t len;
	int64_t at;                  /* when it arrived (UTC ms) */
	int first_contact;           /* the contact's first message ever */
	const json_t *contact_attrs; /* object of strings, or NULL */
	const char *language;        /* known language (NULL: detect) */
} triage_input;

/* One rule that matched, and why. */
typedef struct triage_match {
	const concept_rule *rule;
	char because[160];
} triage_match;

/* What the concept wants done with one message. Pointers are borrowed
 * from the engine's concept. Reuse one result for many messages; free it
 * with triage_result_free. */
typedef struct triage_result {
	text_analysis text;           /* language, words, stems, sentiment */
	const concept_intent *intent; /* NULL: no intent matched */
	buf intent_evidence;          /* what made the intent match */
	const char *priority;         /* low, normal, high, urgent */
	const char *team;             /* NULL: the concept names none */
	const char *tags[TRIAGE_MAX_TAGS];
	size_t n_tags;
	concept_action action;
	const concept_sla *sla; /* NULL: no promise */
	int language_unowned;   /* no team owns the language: fallback team */
	int after_hours;        /* the office is closed at `at` */
	triage_match matches[TRIAGE_MAX_RULES];
	size_t n_matches;
} triage_result;

void triage_result_init(triage_result *r);
void triage_result_free(triage_result *r);

/*
 * The text part of triage (language, stems, sentiment, intent), which
 * needs nothing but the text: ingest runs it on the request's thread before
 * the write. language NULL: detect it. Resets r.
 */
ct_err triage_analyze(triage_engine *e, const char *text, size_t len, const char *language,
		      triage_result *r);

/* The rules part, on a result triage_analyze filled (in->text unused). */
void triage_decide(const triage_engine *e, const triage_input *in, triage_result *r);

/*
 * Triage one message: analyse the text (unless in->language is set, the
 * language is detected) and evaluate the rules. CT_OK, or CT_ERR_INTERNAL
 * when no analyzer could be made for the concept's languages.
 */
ct_err triage_run(triage_engine *e, const triage_input *in, triage_result *r);

/* The result as JSON for storage and the API ({"language", "intent",
 * "evidence", "sentiment", "action", "rules": [{"name", "because"}], ...}).
 * New reference. */
json_t *triage_result_json(const triage_result *r);

/* The due time of a promise of ms milliseconds that starts at start, on
 * the policy's clock (business time or around the clock); 0 when ms is 0
 * (no promise) or when the office never opens. */
int64_t triage_due(const concept *c, const concept_sla *sla, int64_t start, int64_t ms);

/* The "due soon" lead for a target of ms milliseconds (the policy's
 * due_soon, else a fifth of the target). */
int64_t triage_due_soon_lead(const concept_sla *sla, int64_t ms);

#endif

/*
 * concept_rules.c: the concept blocks that look at messages: intents (with
 * keywords stemmed, phrases normalised and patterns compiled by PCRE2), the
 * `then` part shared by rules and defaults, and the rules themselves with
 * their `when` conditions. Part of the concept loader (see concept_parse.c).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/concept_internal.h"

#define INTENTS_MAX 500
#define INTENT_LANGUAGES_MAX 20
#define TERMS_MAX 500 /* keywords, phrases or patterns of one intent language */
#define WORD_MAX 100
#define PHRASE_MAX 200
#define PATTERN_MAX 1000
#define RULES_MAX 2000
#define RULE_KEYWORDS_MAX 200
#define TAGS_MAX 50
#define TAG_MAX 64
#define CONTACT_MAX 50

typedef struct str_ref {
	const char *s;
	size_t index;
} str_ref;

/* Order strings by text, then by position (for finding repeats). */
static int str_ref_cmp(const void *a, const void *b)
{
	const str_ref *x = a, *y = b;
	int c = strcmp(x->s, y->s);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Drop repeated strings from l, keeping each first occurrence in its place. */
static void strings_unique(concept_strings *l)
{
	if (l->n < 2)
		return;
	str_ref *refs = xmalloc(l->n * sizeof(*refs));
	unsigned char *drop = xcalloc(l->n, 1);
	for (size_t i = 0; i < l->n; i++)
		refs[i] = (str_ref){l->items[i], i};
	qsort(refs, l->n, sizeof(*refs), str_ref_cmp);
	for (size_t i = 1; i < l->n; i++)
		if (strcmp(refs[i].s, refs[i - 1].s) == 0)
			drop[refs[i].index] = 1;
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (drop[i])
			free(l->items[i]);
		else
			l->items[w++] = l->items[i];
	}
	l->n = w;
	free(drop);
	free(refs);
}

/* Compile one pattern into il; an error names PCRE2's message and offset. */
static void add_pattern(cp_ctx *p, const cy_node *n, const char *s, concept_intent_language *il)
{
	int code = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *re =
		pcre2_compile((PCRE2_SPTR)s, strlen(s),
			      PCRE2_UTF | PCRE2_CASELESS | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C,
			      &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR why[160];
		if (pcre2_get_error_message(code, why, sizeof(why)) < 0)
			snprintf((char *)why, sizeof(why), "error %d", code);
		char shown[72];
		cp_error(p, n, "pattern '%s' does not compile: %s (at offset %zu)",
			 cp_show(s, shown, sizeof(shown)), (const char *)why, (size_t)off);
		return;
	}
	/* Machine code for the hot path (about 2.5 times faster); where the JIT
	 * is unavailable, matching falls back to the interpreter by itself. */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	il->patterns = xrealloc(il->patterns, (il->n_patterns + 1) * sizeof(*il->patterns));
	il->patterns[il->n_patterns].source = xstrdup(s);
	il->patterns[il->n_patterns].code = re;
	il->n_patterns++;
}

/* The keywords, phrases or patterns (which: 0, 1, 2) of one intent language.
 * Returns how many entries were written (good or bad). */
static size_t parse_terms(cp_ctx *p, cy_node *v, int which, concept_intent_language *il)
{
	static const size_t max_len[] = {WORD_MAX, PHRASE_MAX, PATTERN_MAX};
	cp_list l;
	if (!cp_get_list(p, v, &l, TERMS_MAX))
		return 1; /* reported; do not also complain that nothing is given */
	for (size_t i = 0; i < l.n; i++) {
		size_t old = v->kind == CY_SEQ ? cp_push_index(p, i) : p->plen;
		cy_node *item = l.items[i];
		const char *s = cp_text(p, item, max_len[which]);
		if (s && which == 0) {
			char *stem = NULL;
			if (cp_keyword(p, item, il->language, NULL, &stem)) {
				cp_strings_add(&il->keywords, s);
				cp_strings_add(&il->stems, stem);
				free(stem);
			}
		} else if (s && which == 1) {
			char *phrase = cp_phrase(p, item);
			if (phrase) {
				cp_strings_add(&il->phrases, phrase);
				free(phrase);
			}
		} else if (s) {
			add_pattern(p, item, s, il);
		}
		cp_pop(p, old);
	}
	return l.n;
}

/* One language of an intent: keywords, phrases and patterns into il. */
static void parse_intent_language(cp_ctx *p, const cy_pair *pair, concept_intent_language *il)
{
	static const char *const keys[] = {"keywords", "phrases", "patterns", NULL};
	cy_node *v = pair->value;
	memcpy(il->language, pair->key->text, 3);
	if (!cp_is_map(p, v))
		return;
	size_t written = cp_check_keys(p, v, keys); /* a misspelt list: say only that */
	for (int which = 0; which < 3; which++) {
		cy_node *list = cy_get(v, keys[which]);
		if (!list)
			continue;
		size_t old = cp_push_key(p, keys[which]);
		written += parse_terms(p, list, which, il);
		cp_pop(p, old);
	}
	if (!written)
		cp_error(p, v, "needs at least one of keywords, phrases or patterns");
}

/* One intent: its languages (each one of the concept's). */
static void parse_intent(cp_ctx *p, const cy_pair *pair, concept_intent *in)
{
	cy_node *v = pair->value;
	if (!cp_is_map(p, v))
		return;
	if (v->n_pairs == 0) {
		cp_error(p, v,
			 "an intent needs at least one language (such as de: {keywords: [...]})");
		return;
	}
	if (v->n_pairs > INTENT_LANGUAGES_MAX) {
		cp_error(p, v, "more than %d languages", INTENT_LANGUAGES_MAX);
		return;
	}
	in->languages = xcalloc(v->n_pairs, sizeof(*in->languages));
	for (size_t i = 0; i < v->n_pairs; i++) {
		const cy_pair *lp = &v->pairs[i];
		size_t old = cp_push_key(p, lp->key->text);
		if (cp_language_code(p, lp->key) && cp_ref_language(p, lp->key, lp->key->text))
			parse_intent_language(p, lp, &in->languages[in->n_languages++]);
		cp_pop(p, old);
	}
}

void cp_parse_intents(cp_ctx *p, cy_node *n)
{
	concept *c = p->c;
	if (!cp_is_map(p, n)) {
		p->have_intents = 0;
		return;
	}
	if (n->n_pairs > INTENTS_MAX) {
		cp_error(p, n, "more than %d intents", INTENTS_MAX);
		p->have_intents = 0;
		return;
	}
	c->intents = xcalloc(n->n_pairs ? n->n_pairs : 1, sizeof(*c->intents));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const cy_pair *pair = &n->pairs[i];
		size_t old = cp_push_key(p, pair->key->text);
		const char *name = cp_text(p, pair->key, CONCEPT_NAME_MAX);
		if (name && strcmp(name, "none") == 0) {
			cp_error(p, pair->key,
				 "the intent name 'none' is reserved (intent: [none] in a rule "
				 "matches messages without an intent)");
		} else if (name) {
			concept_intent *in = &c->intents[c->n_intents++];
			in->name = xstrdup(name);
			parse_intent(p, pair, in);
		}
		cp_pop(p, old);
	}
}

/* A name that must exist in another block; copied into *out when it does. */
static void ref_field(cp_ctx *p, cy_node *n, int (*ref)(cp_ctx *, const cy_node *, const char *),
		      char **out)
{
	const char *s = cp_text(p, n, CONCEPT_NAME_MAX);
	if (s && ref(p, n, s))
		*out = xstrdup(s);
}

void cp_parse_then(cp_ctx *p, cy_node *n, concept_then *t, int *any)
{
	static const char *const keys[] = {"priority", "team", "tags", "action", "sla", NULL};
	static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};
	static const char *const actions[] = {"answer", "share", "ignore", "escalate", NULL};
	*any = 0;
	if (!cp_is_map(p, n)) {
		*any = 1; /* reported; "sets nothing" would only repeat it */
		return;
	}
	cp_check_keys(p, n, keys);
	for (int k = 0; keys[k]; k++) {
		cy_node *v = cy_get(n, keys[k]);
		if (!v)
			continue;
		*any |= k != 2 || v->kind != CY_SEQ || v->n_items > 0; /* tags: [] sets nothing */
		size_t old = cp_push_key(p, keys[k]);
		int i = 0;
		switch (k) {
		case 0:
			if (cp_enum(p, v, priorities, &i))
				t->priority = xstrdup(priorities[i]);
			break;
		case 1: ref_field(p, v, cp_ref_team, &t->team); break;
		case 2: cp_strings(p, v, &t->tags, TAGS_MAX, TAG_MAX); break;
		case 3:
			if (cp_enum(p, v, actions, &i))
				t->action = (concept_action)(CONCEPT_ACTION_ANSWER + i);
			break;
		default: ref_field(p, v, cp_ref_sla, &t->sla); break;
		}
		cp_pop(p, old);
	}
}

/* when.language: codes of the concept's languages. */
static void when_languages(cp_ctx *p, cy_node *v, concept_when *w)
{
	cp_list l;
	if (!cp_get_list(p, v, &l, 50))
		return;
	for (size_t i = 0; i < l.n; i++) {
		size_t old = v->kind == CY_SEQ ? cp_push_index(p, i) : p->plen;
		cy_node *item = l.items[i];
		if (cp_language_code(p, item) && cp_ref_language(p, item, item->text))
			cp_strings_add(&w->languages, item->text);
		cp_pop(p, old);
	}
}

/* when.intent: names of intents, or none. */
static void when_intents(cp_ctx *p, cy_node *v, concept_when *w)
{
	cp_list l;
	if (!cp_get_list(p, v, &l, INTENTS_MAX + 1))
		return;
	for (size_t i = 0; i < l.n; i++) {
		size_t old = v->kind == CY_SEQ ? cp_push_index(p, i) : p->plen;
		const char *s = cp_text(p, l.items[i], CONCEPT_NAME_MAX);
		if (s && cp_ref_intent(p, l.items[i], s))
			cp_strings_add(&w->intents, s);
		cp_pop(p, old);
	}
}

/* when.keywords: each stemmed in every language of the concept. */
static void when_keywords(cp_ctx *p, cy_node *v, concept_when *w)
{
	const concept *c = p->c;
	cp_list l;
	if (!cp_get_list(p, v, &l, RULE_KEYWORDS_MAX))
		return;
	for (size_t i = 0; i < l.n; i++) {
		size_t old = v->kind == CY_SEQ ? cp_push_index(p, i) : p->plen;
		const char *s = cp_text(p, l.items[i], WORD_MAX);
		int ok = s != NULL;
		for (size_t k = 0; ok && k < c->n_languages; k++) {
			char *stem = NULL;
			ok = cp_keyword(p, l.items[i], c->languages[k].code, NULL, &stem);
			if (ok)
				cp_strings_add(&w->keywords, stem);
			free(stem);
		}
		if (ok)
			cp_strings_add(&w->keywords_written, s);
		cp_pop(p, old);
	}
	strings_unique(&w->keywords);
}

/* when.contact: attribute -> value, every one must hold. */
static void when_contact(cp_ctx *p, cy_node *v, concept_when *w)
{
	if (!cp_is_map(p, v))
		return;
	if (v->n_pairs > CONTACT_MAX) {
		cp_error(p, v, "more than %d contact conditions", CONTACT_MAX);
		return;
	}
	w->contact = xcalloc(v->n_pairs ? v->n_pairs : 1, sizeof(*w->contact));
	for (size_t i = 0; i < v->n_pairs; i++) {
		const cy_pair *pair = &v->pairs[i];
		size_t old = cp_push_key(p, pair->key->text);
		const char *key = cp_text(p, pair->key, 64);
		const char *value = cp_text(p, pair->value, 256);
		if (key && value) {
			w->contact[w->n_contact].key = xstrdup(key);
			w->contact[w->n_contact].value = xstrdup(value);
			w->n_contact++;
		}
		cp_pop(p, old);
	}
}

/* A rule's when: each condition given into w (the rest stay "any"). */
static void parse_when(cp_ctx *p, cy_node *n, concept_when *w)
{
	static const char *const keys[] = {"channel",       "language", "intent",
					   "sentiment",     "keywords", "contact",
					   "first_contact", "time",     NULL};
	static const char *const feelings[] = {"negative", "neutral", "positive", NULL};
	static const char *const times[] = {"office_hours", "after_hours", NULL};
	w->first_contact = -1;
	if (!cp_is_map(p, n))
		return;
	cp_check_keys(p, n, keys);
	for (int k = 0; keys[k]; k++) {
		cy_node *v = cy_get(n, keys[k]);
		if (!v)
			continue;
		size_t old = cp_push_key(p, keys[k]);
		int i = 0;
		switch (k) {
		case 0: cp_strings(p, v, &w->channels, 100, 64); break;
		case 1: when_languages(p, v, w); break;
		case 2: when_intents(p, v, w); break;
		case 3:
			if (cp_enum(p, v, feelings, &i))
				w->sentiment = (concept_sentiment)(CONCEPT_SENTIMENT_NEGATIVE + i);
			break;
		case 4: when_keywords(p, v, w); break;
		case 5: when_contact(p, v, w); break;
		case 6:
			if (cp_bool(p, v, &i))
				w->first_contact = i;
			break;
		default:
			if (cp_enum(p, v, times, &i))
				w->time = (concept_when_time)(CONCEPT_TIME_OFFICE_HOURS + i);
			break;
		}
		cp_pop(p, old);
	}
}

/* One rule; its name is checked against the rules before it. */
static void parse_rule(cp_ctx *p, cy_node *n, concept_rule *r, size_t index)
{
	static const char *const keys[] = {"name", "when", "then", "stop", NULL};
	const concept *c = p->c;
	r->line = n->line;
	r->when.first_contact = -1;
	if (!cp_is_map(p, n))
		return;
	cp_check_keys(p, n, keys);
	size_t old = cp_push_key(p, "name");
	cy_node *v = cp_require(p, n, "name");
	const char *name = v ? cp_text(p, v, CONCEPT_NAME_MAX) : NULL;
	for (size_t i = 0; name && i < index; i++)
		if (c->rules[i].name && strcmp(c->rules[i].name, name) == 0) {
			char shown[72];
			cp_error(p, v, "rule name '%s' is already used by rules[%zu] (line %d)",
				 cp_show(name, shown, sizeof(shown)), i, c->rules[i].line);
			name = NULL;
		}
	if (name)
		r->name = xstrdup(name);
	cp_pop(p, old);
	if ((v = cy_get(n, "when"))) {
		old = cp_push_key(p, "when");
		parse_when(p, v, &r->when);
		cp_pop(p, old);
	}
	old = cp_push_key(p, "then");
	if ((v = cp_require(p, n, "then"))) {
		int any = 0;
		cp_parse_then(p, v, &r->then, &any);
		if (!any)
			cp_error(p, v,
				 "then sets nothing: give priority, team, tags, action or sla");
	}
	cp_pop(p, old);
	if ((v = cy_get(n, "stop"))) {
		old = cp_push_key(p, "stop");
		cp_bool(p, v, &r->stop);
		cp_pop(p, old);
	}
}

void cp_parse_rules(cp_ctx *p, cy_node *n)
{
	concept *c = p->c;
	if (n->kind != CY_SEQ) {
		cp_error(p, n, "expected a list of rules (each starting with '- name:')");
		return;
	}
	if (n->n_items > RULES_MAX) {
		cp_error(p, n, "more than %d rules", RULES_MAX);
		return;
	}
	c->rules = xcalloc(n->n_items ? n->n_items : 1, sizeof(*c->rules));
	for (size_t i = 0; i < n->n_items; i++) {
		size_t old = cp_push_index(p, i);
		parse_rule(p, n->items[i], &c->rules[c->n_rules++], i);
		cp_pop(p, old);
	}
}

/*
 * concept.c: what is done with a parsed dialog concept (see concept.h):
 * freeing it and its error lists, finding teams, SLA policies, intents and
 * a language's team by name, and the names of actions. Parsing lives in
 * concept_parse.c, concept_rules.c, concept_check.c and concept_yaml.c.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "triage/concept.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

/* Free the strings of l and empty it. */
static void strings_free(concept_strings *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Free what a then (or the defaults) owns. */
static void then_free(concept_then *t)
{
	free(t->priority);
	free(t->team);
	strings_free(&t->tags);
	free(t->sla);
}

/* Free what a rule's conditions own. */
static void when_free(concept_when *w)
{
	strings_free(&w->channels);
	strings_free(&w->languages);
	strings_free(&w->intents);
	strings_free(&w->keywords);
	strings_free(&w->keywords_written);
	for (size_t i = 0; i < w->n_contact; i++) {
		free(w->contact[i].key);
		free(w->contact[i].value);
	}
	free(w->contact);
}

/* Free an intent's name and sections, compiled patterns included. */
static void intent_free(concept_intent *in)
{
	free(in->name);
	for (size_t i = 0; i < in->n_languages; i++) {
		concept_intent_language *il = &in->languages[i];
		strings_free(&il->keywords);
		strings_free(&il->stems);
		strings_free(&il->phrases);
		for (size_t j = 0; j < il->n_patterns; j++) {
			free(il->patterns[j].source);
			pcre2_code_free(il->patterns[j].code);
		}
		free(il->patterns);
	}
	free(in->languages);
}

void concept_free(concept *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->time_zone);
	if (c->cal)
		calendar_free(c->cal);
	for (size_t i = 0; i < c->n_languages; i++)
		free(c->languages[i].team);
	free(c->languages);
	free(c->fallback_team);
	for (size_t i = 0; i < c->n_teams; i++)
		free(c->teams[i].name);
	free(c->teams);
	for (size_t i = 0; i < c->n_intents; i++)
		intent_free(&c->intents[i]);
	free(c->intents);
	for (size_t i = 0; i < c->n_slas; i++)
		free(c->slas[i].name);
	free(c->slas);
	then_free(&c->defaults);
	for (size_t i = 0; i < c->n_rules; i++) {
		free(c->rules[i].name);
		when_free(&c->rules[i].when);
		then_free(&c->rules[i].then);
	}
	free(c->rules);
	free(c->after_hours.template_name);
	free(c->first_contact.template_name);
	strings_free(&c->strict_intents);
	strings_free(&c->after_hours.languages);
	strings_free(&c->after_hours.texts);
	strings_free(&c->first_contact.languages);
	strings_free(&c->first_contact.texts);
	free(c);
}

void concept_errors_free(concept_errors *errs)
{
	if (!errs)
		return;
	free(errs->items);
	errs->items = NULL;
	errs->n = 0;
}

const concept_team *concept_team_by_name(const concept *c, const char *name)
{
	for (size_t i = 0; name && i < c->n_teams; i++)
		if (strcmp(c->teams[i].name, name) == 0)
			return &c->teams[i];
	return NULL;
}

const concept_sla *concept_sla_by_name(const concept *c, const char *name)
{
	for (size_t i = 0; name && i < c->n_slas; i++)
		if (strcmp(c->slas[i].name, name) == 0)
			return &c->slas[i];
	return NULL;
}

const concept_intent *concept_intent_by_name(const concept *c, const char *name)
{
	for (size_t i = 0; name && i < c->n_intents; i++)
		if (strcmp(c->intents[i].name, name) == 0)
			return &c->intents[i];
	return NULL;
}

const char *concept_language_team(const concept *c, const char *code)
{
	for (size_t i = 0; code && i < c->n_languages; i++)
		if (strcmp(c->languages[i].code, code) == 0)
			return c->languages[i].team;
	return NULL;
}

const char *concept_auto_reply_text(const concept_auto_reply *r, const char *code)
{
	for (size_t i = 0; code && i < r->languages.n; i++)
		if (strcmp(r->languages.items[i], code) == 0)
			return r->texts.items[i];
	return NULL;
}

const char *concept_action_name(concept_action a)
{
	switch (a) {
	case CONCEPT_ACTION_ANSWER: return "answer";
	case CONCEPT_ACTION_SHARE: return "share";
	case CONCEPT_ACTION_IGNORE: return "ignore";
	case CONCEPT_ACTION_ESCALATE: return "escalate";
	default: return "none";
	}
}

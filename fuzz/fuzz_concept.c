/*
 * fuzz_concept.c: libFuzzer driver for the dialog-concept loader
 * (src/triage/concept*.c).
 *
 * The input is parsed as it is, without a terminating NUL, so reading past
 * size bytes is caught by ASan. Beyond the sanitizers, it checks the
 * loader's promises: an accepted concept has everything that is required
 * and every reference resolves; a refused one yields no concept and 1 to
 * 100 errors, each with a message, in document order (only the closing
 * "more errors" note may stand without a position); both are freed without
 * leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "triage/concept.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every name the concept refers to is defined in it. */
static void check_concept(const concept *c)
{
	if (!c->name || !c->time_zone || !c->cal || !c->fallback_team || c->n_languages == 0 ||
	    c->n_teams == 0 || !concept_team_by_name(c, c->fallback_team))
		abort();
	for (size_t i = 0; i < c->n_languages; i++)
		if (strlen(c->languages[i].code) != 2 ||
		    (c->languages[i].team && !concept_team_by_name(c, c->languages[i].team)))
			abort();
	for (size_t i = 0; i < c->n_intents; i++)
		for (size_t j = 0; j < c->intents[i].n_languages; j++) {
			const concept_intent_language *il = &c->intents[i].languages[j];
			if (il->keywords.n != il->stems.n)
				abort();
			for (size_t k = 0; k < il->n_patterns; k++)
				if (!il->patterns[k].code || !il->patterns[k].source)
					abort();
		}
	for (size_t i = 0; i <= c->n_rules; i++) {
		const concept_then *t = i < c->n_rules ? &c->rules[i].then : &c->defaults;
		if (t->team && !concept_team_by_name(c, t->team))
			abort();
		if (t->sla && !concept_sla_by_name(c, t->sla))
			abort();
		if (i == c->n_rules)
			break;
		const concept_rule *r = &c->rules[i];
		if (!r->name || r->line < 1 ||
		    (!t->priority && !t->team && !t->tags.n && !t->action && !t->sla))
			abort();
		for (size_t k = 0; k < r->when.intents.n; k++)
			if (strcmp(r->when.intents.items[k], "none") != 0 &&
			    !concept_intent_by_name(c, r->when.intents.items[k]))
				abort();
	}
	if (c->after_hours.languages.n != c->after_hours.texts.n ||
	    c->first_contact.languages.n != c->first_contact.texts.n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1); /* exactly size bytes: no NUL to lean on */
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	concept *c = NULL;
	concept_errors errs = {0};
	ct_err err = concept_parse(copy, size, &c, &errs);
	if (err == CT_OK) {
		if (!c || errs.n)
			abort();
		check_concept(c);
	} else {
		if (err != CT_ERR_INVALID || c || errs.n == 0 || errs.n > 100)
			abort();
		for (size_t i = 0; i < errs.n; i++) {
			const concept_error *e = &errs.items[i];
			if (!e->message[0] || e->line < 0 || e->column < 0 ||
			    !memchr(e->path, '\0', sizeof(e->path)))
				abort();
			const concept_error *prev = i ? &errs.items[i - 1] : NULL;
			int last_note = i + 1 == errs.n && e->line == 0;
			if (prev && !last_note &&
			    (prev->line > e->line ||
			     (prev->line == e->line && prev->column > e->column)))
				abort();
		}
	}
	concept_free(c);
	concept_errors_free(&errs);
	free(copy);
	return 0;
}

/*
 * concept_parse.c: concept_parse, the entry of the concept loader, and the
 * blocks about the organisation: name, languages, teams, the fallback team,
 * SLA policies, defaults, automatic replies and strict wording (time zone, office hours and
 * holidays are in concept_calendar.c, intents and rules in
 * concept_rules.c).
 *
 * The document is read into a YAML tree (concept_yaml.c), then each block
 * is checked in an order that lets later blocks resolve references to
 * earlier ones (teams before languages, languages before intents, all
 * before rules), whatever order the document has. Every problem is
 * collected with its position; at the end the errors are sorted into
 * document order and, if there is any, the half-built concept is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "templates/templates.h"
#include "triage/concept_internal.h"

#define LANGUAGES_MAX 20
#define TEAMS_MAX 500
#define SLAS_MAX 100
#define AUTO_REPLY_MAX 2000
#define STRICT_INTENTS_MAX 200

static const char *const top_keys[] = {
	"name",          "time_zone",    "office_hours",   "holidays",     "languages",
	"fallback_team", "teams",        "intents",        "sla_policies", "defaults",
	"rules",         "auto_replies", "strict_wording", NULL,
};

/* The YAML layer's problems go straight into the list. */
static void yaml_report(void *ctx, int line, int column, const char *path, const char *msg)
{
	cp_error_raw(ctx, line, column, path, msg);
}

/* name: required text. */
static void parse_name(cp_ctx *p, const cy_node *root)
{
	size_t old = cp_push_key(p, "name");
	cy_node *n = cp_require(p, root, "name");
	const char *s = n ? cp_text(p, n, 200) : NULL;
	if (s)
		p->c->name = xstrdup(s);
	cp_pop(p, old);
}

/* teams: every team with its assignment mode and capacity. */
static void parse_teams(cp_ctx *p, cy_node *n)
{
	static const char *const keys[] = {"assignment", "capacity", NULL};
	static const char *const modes[] = {"none", "round_robin", "least_loaded", NULL};
	concept *c = p->c;
	if (!cp_is_map(p, n))
		return;
	if (n->n_pairs == 0) {
		cp_error(p, n, "at least one team is required");
		return;
	}
	if (n->n_pairs > TEAMS_MAX) {
		cp_error(p, n, "more than %d teams", TEAMS_MAX);
		return;
	}
	p->have_teams = 1;
	c->teams = xcalloc(n->n_pairs, sizeof(*c->teams));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const cy_pair *pair = &n->pairs[i];
		size_t old = cp_push_key(p, pair->key->text);
		const char *name = cp_text(p, pair->key, CONCEPT_NAME_MAX);
		if (name) {
			concept_team *t = &c->teams[c->n_teams++];
			t->name = xstrdup(name);
			cy_node *v = pair->value;
			if (v->kind != CY_NULL && cp_is_map(p, v)) {
				cp_check_keys(p, v, keys);
				cy_node *a = cy_get(v, "assignment");
				int mode = 0;
				size_t o2 = cp_push_key(p, "assignment");
				if (a && cp_enum(p, a, modes, &mode))
					t->assignment = (concept_assignment)mode;
				cp_pop(p, o2);
				cy_node *cap = cy_get(v, "capacity");
				o2 = cp_push_key(p, "capacity");
				if (cap)
					cp_int(p, cap, 0, 10000, &t->capacity);
				cp_pop(p, o2);
			}
		}
		cp_pop(p, old);
	}
}

/* languages: codes in document order (the first is the fallback), each
 * with its team or none. */
static void parse_languages(cp_ctx *p, cy_node *n)
{
	static const char *const keys[] = {"team", NULL};
	concept *c = p->c;
	if (!cp_is_map(p, n))
		return;
	if (n->n_pairs == 0) {
		cp_error(p, n, "at least one language is required");
		return;
	}
	if (n->n_pairs > LANGUAGES_MAX) {
		cp_error(p, n, "more than %d languages", LANGUAGES_MAX);
		return;
	}
	p->have_languages = 1;
	c->languages = xcalloc(n->n_pairs, sizeof(*c->languages));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const cy_pair *pair = &n->pairs[i];
		size_t old = cp_push_key(p, pair->key->text);
		if (cp_language_code(p, pair->key)) {
			concept_language *l = &c->languages[c->n_languages++];
			memcpy(l->code, pair->key->text, 3);
			cy_node *v = pair->value;
			if (v->kind != CY_NULL && cp_is_map(p, v)) {
				cp_check_keys(p, v, keys);
				cy_node *t = cy_get(v, "team");
				size_t o2 = cp_push_key(p, "team");
				const char *team = t ? cp_text(p, t, CONCEPT_NAME_MAX) : NULL;
				if (team && cp_ref_team(p, t, team))
					l->team = xstrdup(team);
				cp_pop(p, o2);
			}
		}
		cp_pop(p, old);
	}
}

/* fallback_team: required, a name in teams. */
static void parse_fallback_team(cp_ctx *p, const cy_node *root)
{
	size_t old = cp_push_key(p, "fallback_team");
	cy_node *n = cp_require(p, root, "fallback_team");
	const char *s = n ? cp_text(p, n, CONCEPT_NAME_MAX) : NULL;
	if (s && cp_ref_team(p, n, s))
		p->c->fallback_team = xstrdup(s);
	cp_pop(p, old);
}

/* One SLA policy: its clock and targets. */
static void parse_sla(cp_ctx *p, const cy_pair *pair, concept_sla *sla)
{
	static const char *const keys[] = {"clock",      "first_response", "next_response",
					   "resolution", "due_soon",       NULL};
	static const char *const clocks[] = {"business", "always", NULL};
	static const char *const targets[] = {"first_response", "next_response", "resolution",
					      "due_soon"};
	cy_node *v = pair->value;
	if (!cp_is_map(p, v))
		return;
	cp_check_keys(p, v, keys);
	int64_t *slots[] = {&sla->first_response_ms, &sla->next_response_ms, &sla->resolution_ms,
			    &sla->due_soon_ms};
	int given = 0;
	for (size_t i = 0; i < 4; i++) {
		cy_node *d = cy_get(v, targets[i]);
		if (!d)
			continue;
		given += i < 3;
		size_t old = cp_push_key(p, targets[i]);
		cp_duration(p, d, slots[i]);
		cp_pop(p, old);
	}
	if (!given)
		cp_error(p, v, "a policy needs first_response, next_response or resolution");
	int clock = 0;
	cy_node *cn = cy_get(v, "clock");
	size_t old = cp_push_key(p, "clock");
	if (cn && !cp_enum(p, cn, clocks, &clock))
		clock = 1;
	sla->business_time = clock == 0;
	if (clock == 0 && !p->open_hours && !p->hours_bad)
		cp_error(p, cn ? cn : v,
			 "the business clock needs office_hours that open at least once a week "
			 "(or write clock: always)");
	cp_pop(p, old);
}

/* sla_policies: every policy by name. */
static void parse_slas(cp_ctx *p, cy_node *n)
{
	concept *c = p->c;
	if (!cp_is_map(p, n)) {
		p->have_slas = 0;
		return;
	}
	if (n->n_pairs > SLAS_MAX) {
		cp_error(p, n, "more than %d SLA policies", SLAS_MAX);
		p->have_slas = 0;
		return;
	}
	c->slas = xcalloc(n->n_pairs ? n->n_pairs : 1, sizeof(*c->slas));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const cy_pair *pair = &n->pairs[i];
		size_t old = cp_push_key(p, pair->key->text);
		const char *name = cp_text(p, pair->key, CONCEPT_NAME_MAX);
		if (name) {
			concept_sla *sla = &c->slas[c->n_slas++];
			sla->name = xstrdup(name);
			parse_sla(p, pair, sla);
		}
		cp_pop(p, old);
	}
}

/* One kind of automatic reply as text per language, into r. */
static void parse_reply_texts(cp_ctx *p, cy_node *n, concept_auto_reply *r)
{
	for (size_t i = 0; i < n->n_pairs; i++) {
		const cy_pair *pair = &n->pairs[i];
		size_t old = cp_push_key(p, pair->key->text);
		if (cp_language_code(p, pair->key) &&
		    cp_ref_language(p, pair->key, pair->key->text)) {
			const char *text = cp_text(p, pair->value, AUTO_REPLY_MAX);
			if (text && text[strspn(text, " \t\r\n")] == '\0') {
				cp_error(p, pair->value, "must not be empty");
			} else if (text) {
				cp_strings_add(&r->languages, pair->key->text);
				cp_strings_add(&r->texts, text);
			}
		}
		cp_pop(p, old);
	}
}

/* One kind of automatic reply, into r: {template: name} (an approved
 * template, checked against the store on activation) or, as concepts
 * written before templates had it, text per language. */
static void parse_replies(cp_ctx *p, cy_node *n, concept_auto_reply *r)
{
	if (!cp_is_map(p, n))
		return;
	cy_node *t = cy_get(n, "template");
	if (!t) {
		parse_reply_texts(p, n, r);
		return;
	}
	if (n->n_pairs > 1) {
		cp_error(p, n, "write either template or texts per language, not both");
		return;
	}
	size_t old = cp_push_key(p, "template");
	const char *name = cp_text(p, t, TEMPLATE_NAME_MAX);
	if (name)
		r->template_name = xstrdup(name);
	cp_pop(p, old);
}

/* auto_replies: after_hours and first_contact. */
static void parse_auto_replies(cp_ctx *p, cy_node *n)
{
	static const char *const keys[] = {"after_hours", "first_contact", NULL};
	if (!cp_is_map(p, n))
		return;
	cp_check_keys(p, n, keys);
	cy_node *v;
	if ((v = cy_get(n, "after_hours"))) {
		size_t old = cp_push_key(p, "after_hours");
		parse_replies(p, v, &p->c->after_hours);
		cp_pop(p, old);
	}
	if ((v = cy_get(n, "first_contact"))) {
		size_t old = cp_push_key(p, "first_contact");
		parse_replies(p, v, &p->c->first_contact);
		cp_pop(p, old);
	}
}

/* strict_wording: {intents: [..]}, intents the concept defines whose
 * replies must be unedited approved templates or wait for approval. */
static void parse_strict_wording(cp_ctx *p, cy_node *n)
{
	static const char *const keys[] = {"intents", NULL};
	if (!cp_is_map(p, n))
		return;
	cp_check_keys(p, n, keys);
	size_t old = cp_push_key(p, "intents");
	cy_node *v = cp_require(p, n, "intents");
	cp_list l;
	if (v && cp_get_list(p, v, &l, STRICT_INTENTS_MAX)) {
		for (size_t i = 0; i < l.n; i++) {
			size_t o2 = v->kind == CY_SEQ ? cp_push_index(p, i) : p->plen;
			const char *s = cp_text(p, l.items[i], CONCEPT_NAME_MAX);
			if (s && strcmp(s, "none") == 0)
				cp_error(p, l.items[i],
					 "'none' is no intent; name intents of intents");
			else if (s && cp_ref_intent(p, l.items[i], s) &&
				 !cp_strings_has(&p->c->strict_intents, s))
				cp_strings_add(&p->c->strict_intents, s);
			cp_pop(p, o2);
		}
	}
	cp_pop(p, old);
}

/* Run parse on the value of root's key with the path set; an error when a
 * required key is absent. */
static void block(cp_ctx *p, const cy_node *root, const char *key,
		  void (*parse)(cp_ctx *, cy_node *), int required)
{
	size_t old = cp_push_key(p, key);
	cy_node *v = required ? cp_require(p, root, key) : cy_get(root, key);
	if (v)
		parse(p, v);
	cp_pop(p, old);
}

/* defaults: a then that may set nothing. */
static void parse_defaults(cp_ctx *p, cy_node *n)
{
	int any = 0;
	cp_parse_then(p, n, &p->c->defaults, &any);
}

/* Every block of a document whose top is a mapping. */
static void parse_document(cp_ctx *p, const cy_node *root)
{
	cp_check_keys(p, root, top_keys);
	parse_name(p, root);
	cp_parse_time_zone(p, root);
	block(p, root, "teams", parse_teams, 1);
	block(p, root, "languages", parse_languages, 1);
	parse_fallback_team(p, root);
	block(p, root, "office_hours", cp_parse_office_hours, 0);
	block(p, root, "holidays", cp_parse_holidays, 0);
	p->have_intents = 1;
	block(p, root, "intents", cp_parse_intents, 0);
	p->have_slas = 1;
	block(p, root, "sla_policies", parse_slas, 0);
	block(p, root, "defaults", parse_defaults, 0);
	block(p, root, "rules", cp_parse_rules, 0);
	block(p, root, "auto_replies", parse_auto_replies, 0);
	block(p, root, "strict_wording", parse_strict_wording, 0);
}

/* Document order: line, column, then order of discovery. */
static int found_cmp(const void *a, const void *b)
{
	const cp_found *x = a, *y = b;
	if (x->e.line != y->e.line)
		return x->e.line < y->e.line ? -1 : 1;
	if (x->e.column != y->e.column)
		return x->e.column < y->e.column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort the errors into document order and append at most
 * CONCEPT_MAX_ERRORS of them to errs (the last saying how many more there
 * were when there were more). */
static void hand_over(cp_ctx *p, concept_errors *errs)
{
	qsort(p->found, p->n_found, sizeof(*p->found), found_cmp);
	size_t total = p->n_found + p->n_dropped;
	size_t n = total > CONCEPT_MAX_ERRORS ? CONCEPT_MAX_ERRORS - 1 : p->n_found;
	errs->items = xrealloc(errs->items, (errs->n + n + 1) * sizeof(*errs->items));
	for (size_t i = 0; i < n; i++)
		errs->items[errs->n++] = p->found[i].e;
	if (total > n) {
		concept_error *e = &errs->items[errs->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->message, sizeof(e->message), "%zu more errors not shown", total - n);
	}
}

ct_err concept_parse(const char *text, size_t len, concept **out, concept_errors *errs)
{
	cp_ctx p;
	memset(&p, 0, sizeof(p));
	buf_init(&p.scratch, 64 * 1024);
	cy_node *root = NULL;
	*out = NULL;
	if (len > CONCEPT_PARSE_MAX_BYTES) {
		cp_error(&p, NULL, "the document is larger than 1 MiB (%zu bytes)", len);
		goto out;
	}
	if (cy_load(text, len, &root, yaml_report, &p) != CT_OK)
		goto out;
	if (!root || root->kind == CY_NULL) {
		cp_error(&p, root, "the document is empty");
		goto out;
	}
	if (root->kind != CY_MAP) {
		cp_error(&p, root,
			 "the document must be a mapping with keys such as name, time_zone and "
			 "rules, not %s",
			 root->kind == CY_SEQ ? "a list" : "a single value");
		goto out;
	}
	p.c = xcalloc(1, sizeof(*p.c));
	parse_document(&p, root);
out:
	cy_free(root);
	buf_free(&p.scratch);
	ct_err err = CT_OK;
	if (p.n_found) {
		hand_over(&p, errs);
		concept_free(p.c);
		err = CT_ERR_INVALID;
	} else {
		*out = p.c;
	}
	free(p.found);
	return err;
}

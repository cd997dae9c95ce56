/*
 * concept_refs.c: the concept loader's checks across blocks and of words:
 * references to teams, languages, intents and SLA policies resolve (with a
 * "did you mean" for a close name), and keywords and phrases are prepared
 * the way triage prepares message text (normalised by text_normalise, split
 * into words as text.c splits them, keywords stemmed by text_stem).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "triage/concept_internal.h"
#include "triage/text.h"

/* Report a name missing from a block, with the closest existing one. */
static void missing_ref(cp_ctx *p, const cy_node *n, const char *what, const char *name,
			const char *block, const char *const *names, size_t count)
{
	char shown[72];
	const char *near = cp_wants_detail(p) ? cp_closest(name, names, count) : NULL;
	if (near)
		cp_error(p, n, "%s '%s' is not in %s (did you mean '%s'?)", what,
			 cp_show(name, shown, sizeof(shown)), block, near);
	else
		cp_error(p, n, "%s '%s' is not in %s", what, cp_show(name, shown, sizeof(shown)),
			 block);
}

int cp_ref_team(cp_ctx *p, const cy_node *n, const char *name)
{
	const concept *c = p->c;
	if (!p->have_teams || concept_team_by_name(c, name))
		return 1;
	const char **names = xcalloc(c->n_teams + 1, sizeof(*names));
	for (size_t i = 0; i < c->n_teams; i++)
		names[i] = c->teams[i].name;
	missing_ref(p, n, "team", name, "teams", names, c->n_teams);
	free(names);
	return 0;
}

int cp_ref_language(cp_ctx *p, const cy_node *n, const char *code)
{
	const concept *c = p->c;
	if (!p->have_languages)
		return 1;
	const char **names = xcalloc(c->n_languages + 1, sizeof(*names));
	for (size_t i = 0; i < c->n_languages; i++) {
		if (strcmp(c->languages[i].code, code) == 0) {
			free(names);
			return 1;
		}
		names[i] = c->languages[i].code;
	}
	char shown[72];
	cp_error(p, n, "language '%s' is not in languages", cp_show(code, shown, sizeof(shown)));
	free(names);
	return 0;
}

int cp_ref_intent(cp_ctx *p, const cy_node *n, const char *name)
{
	const concept *c = p->c;
	if (!p->have_intents || strcmp(name, "none") == 0)
		return 1;
	const char **names = xcalloc(c->n_intents + 1, sizeof(*names));
	for (size_t i = 0; i < c->n_intents; i++) {
		if (c->intents[i].name && strcmp(c->intents[i].name, name) == 0) {
			free(names);
			return 1;
		}
		names[i] = c->intents[i].name;
	}
	missing_ref(p, n, "intent", name, "intents", names, c->n_intents);
	free(names);
	return 0;
}

int cp_ref_sla(cp_ctx *p, const cy_node *n, const char *name)
{
	const concept *c = p->c;
	if (!p->have_slas || concept_sla_by_name(c, name))
		return 1;
	const char **names = xcalloc(c->n_slas + 1, sizeof(*names));
	for (size_t i = 0; i < c->n_slas; i++)
		names[i] = c->slas[i].name;
	missing_ref(p, n, "SLA policy", name, "sla_policies", names, c->n_slas);
	free(names);
	return 0;
}

/* 1 for ASCII white space (not NUL). */
static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Normalise the text of n into p->scratch, trimmed of white space at both
 * ends. 0 after an error. */
static int normalise(cp_ctx *p, const cy_node *n, const char *what, const char **out, size_t *len)
{
	buf_reset(&p->scratch);
	char shown[72];
	if (text_normalise(n->text, n->len, &p->scratch) != CT_OK) {
		cp_error(p, n, "%s '%s' cannot be normalised", what,
			 cp_show(n->text, shown, sizeof(shown)));
		return 0;
	}
	const char *s = buf_cstr(&p->scratch);
	size_t l = strlen(s);
	while (l && is_blank(s[l - 1]))
		l--;
	while (l && is_blank(*s)) {
		s++;
		l--;
	}
	if (l == 0) {
		cp_error(p, n, "%s '%s' has no letters or digits", what,
			 cp_show(n->text, shown, sizeof(shown)));
		return 0;
	}
	*out = s;
	*len = l;
	return 1;
}

/* How many words s[0..n) has, split as triage splits message text: runs
 * of letters and digits, which marks continue but never start. */
static size_t count_words(const char *s, size_t n)
{
	size_t words = 0, i = 0;
	int in_word = 0;
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t w = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(n - i), &cp);
		if (w <= 0)
			return 0;
		i += (size_t)w;
		switch (utf8proc_category(cp)) {
		case UTF8PROC_CATEGORY_LU:
		case UTF8PROC_CATEGORY_LL:
		case UTF8PROC_CATEGORY_LT:
		case UTF8PROC_CATEGORY_LM:
		case UTF8PROC_CATEGORY_LO:
		case UTF8PROC_CATEGORY_ND:
		case UTF8PROC_CATEGORY_NL:
			words += !in_word;
			in_word = 1;
			break;
		case UTF8PROC_CATEGORY_MN:
		case UTF8PROC_CATEGORY_MC: break;
		default: in_word = 0; break;
		}
	}
	return words;
}

int cp_keyword(cp_ctx *p, const cy_node *n, const char *language, char **word, char **stem)
{
	const char *s;
	size_t l;
	if (!normalise(p, n, "keyword", &s, &l))
		return 0;
	size_t words = count_words(s, l);
	if (words == 0) {
		char shown[72];
		cp_error(p, n, "keyword '%s' has no letters or digits",
			 cp_show(n->text, shown, sizeof(shown)));
		return 0;
	}
	if (words > 1) {
		char shown[72];
		cp_error(p, n, "keyword '%s' is more than one word: put it under phrases",
			 cp_show(n->text, shown, sizeof(shown)));
		return 0;
	}
	char *w = xstrndup(s, l);
	buf b;
	buf_init(&b, 4096);
	if (text_stem(language, w, &b) != CT_OK || b.len == 0) {
		char shown[72];
		cp_error(p, n, "keyword '%s' cannot be stemmed",
			 cp_show(n->text, shown, sizeof(shown)));
		buf_free(&b);
		free(w);
		return 0;
	}
	if (word)
		*word = w;
	else
		free(w);
	*stem = buf_detach(&b, NULL);
	return 1;
}

char *cp_phrase(cp_ctx *p, const cy_node *n)
{
	const char *s;
	size_t l;
	if (!normalise(p, n, "phrase", &s, &l))
		return NULL;
	if (count_words(s, l) == 0) {
		char shown[72];
		cp_error(p, n, "phrase '%s' has no letters or digits",
			 cp_show(n->text, shown, sizeof(shown)));
		return NULL;
	}
	char *out = xmalloc(l + 1), *w = out; /* runs of white space as one space */
	for (size_t i = 0; i < l; i++)
		if (!is_blank(s[i]))
			*w++ = s[i];
		else if (w > out && w[-1] != ' ')
			*w++ = ' ';
	*w = '\0';
	return out;
}

/*
 * concept_check.c: the concept loader's tools (see concept_internal.h):
 * collecting errors with line, column and key path; reading typed values
 * (text, lists, enums, booleans, numbers, durations, language codes) out of
 * the YAML tree with one consistent message per kind of mistake; resolving
 * references to teams, languages, intents and SLA policies, with a "did
 * you mean" when a name is close (references, keywords and phrases are in
 * concept_refs.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/concept_internal.h"

#define FOUND_MAX 1000 /* errors kept before sorting; the rest are only counted */

/* Drop the bytes of incomplete or invalid UTF-8 sequences from s (in place):
 * truncating user text by bytes must not leave half a character. */
static void utf8_clean(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = r;
	while (*r) {
		unsigned char c = *r;
		size_t n = c < 0x80             ? 1
			   : (c & 0xE0) == 0xC0 ? 2
			   : (c & 0xF0) == 0xE0 ? 3
			   : (c & 0xF8) == 0xF0 ? 4
						: 0;
		size_t i = 1;
		while (n && i < n && (r[i] & 0xC0) == 0x80)
			i++;
		if (n && i == n) {
			memmove(w, r, n);
			w += n;
			r += n;
		} else {
			r += i;
		}
	}
	*w = '\0';
}

void cp_error_raw(cp_ctx *p, int line, int column, const char *path, const char *msg)
{
	if (p->n_found == FOUND_MAX) {
		p->n_dropped++;
		return;
	}
	if (p->n_found == p->cap_found) {
		p->cap_found = p->cap_found ? p->cap_found * 2 : 16;
		p->found = xrealloc(p->found, p->cap_found * sizeof(*p->found));
	}
	cp_found *f = &p->found[p->n_found];
	memset(f, 0, sizeof(*f));
	f->seq = p->n_found++;
	f->e.line = line;
	f->e.column = column;
	snprintf(f->e.path, sizeof(f->e.path), "%s", path);
	snprintf(f->e.message, sizeof(f->e.message), "%s", msg);
	utf8_clean(f->e.path);
	utf8_clean(f->e.message);
}

void cp_error(cp_ctx *p, const cy_node *at, const char *fmt, ...)
{
	if (at && at->refused)
		return; /* the YAML layer said why already */
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cp_error_raw(p, at ? at->line : 0, at ? at->column : 0, p->path, msg);
}

int cp_wants_detail(const cp_ctx *p)
{
	return p->n_found < CONCEPT_MAX_ERRORS;
}

size_t cp_push_key(cp_ctx *p, const char *key)
{
	size_t old = p->plen;
	if (p->plen < sizeof(p->path) - 1) {
		int w = snprintf(p->path + p->plen, sizeof(p->path) - p->plen,
				 p->plen ? ".%.200s" : "%.200s", key);
		if (w > 0)
			p->plen += (size_t)w < sizeof(p->path) - p->plen
					   ? (size_t)w
					   : sizeof(p->path) - 1 - p->plen;
	}
	return old;
}

size_t cp_push_index(cp_ctx *p, size_t i)
{
	size_t old = p->plen;
	if (p->plen < sizeof(p->path) - 1) {
		int w = snprintf(p->path + p->plen, sizeof(p->path) - p->plen, "[%zu]", i);
		if (w > 0)
			p->plen += (size_t)w < sizeof(p->path) - p->plen
					   ? (size_t)w
					   : sizeof(p->path) - 1 - p->plen;
	}
	return old;
}

void cp_pop(cp_ctx *p, size_t len)
{
	p->plen = len;
	p->path[len] = '\0';
}

const char *cp_show(const char *s, char *out, size_t size)
{
	size_t n = strlen(s);
	if (n <= 60) {
		snprintf(out, size, "%s", s);
		return out;
	}
	size_t cut = 57;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	snprintf(out, size, "%.*s...", (int)cut, s);
	return out;
}

/* Levenshtein distance of two short strings (bytes), capped at 3. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na > 64 || nb > 64)
		return 3;
	if ((na > nb ? na - nb : nb - na) > 2)
		return 3;
	size_t row[65], prev[65];
	for (size_t j = 0; j <= nb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= na; i++) {
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, row, (nb + 1) * sizeof(row[0]));
	}
	return prev[nb] > 3 ? 3 : prev[nb];
}

const char *cp_closest(const char *s, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < n; i++) {
		if (!candidates[i])
			continue;
		size_t d = edit_distance(s, candidates[i]);
		size_t limit = strlen(s) <= 4 ? 1 : 2; /* "top" is not a typo of "low" */
		if (d < best_d && d <= limit && d < strlen(s)) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}

/* What a node is, for "expected X, not Y" messages. */
static const char *kind_name(const cy_node *n)
{
	switch (n->kind) {
	case CY_SEQ: return "a list";
	case CY_MAP: return "a mapping";
	case CY_SCALAR: return "a single value";
	default: return "nothing";
	}
}

int cp_is_map(cp_ctx *p, const cy_node *n)
{
	if (n->kind == CY_MAP)
		return 1;
	cp_error(p, n, "expected a mapping (key: value), found %s", kind_name(n));
	return 0;
}

size_t cp_check_keys(cp_ctx *p, const cy_node *map, const char *const *allowed)
{
	size_t unknown = 0;
	size_t n_allowed = 0;
	while (allowed[n_allowed])
		n_allowed++;
	for (size_t i = 0; i < map->n_pairs; i++) {
		const cy_node *k = map->pairs[i].key;
		if (str_in_list(k->text, allowed))
			continue;
		unknown++;
		size_t old = cp_push_key(p, k->text);
		char shown[72];
		const char *near = cp_closest(k->text, allowed, n_allowed);
		if (near)
			cp_error(p, k, "unknown key '%s' (did you mean '%s'?)",
				 cp_show(k->text, shown, sizeof(shown)), near);
		else
			cp_error(p, k, "unknown key '%s'", cp_show(k->text, shown, sizeof(shown)));
		cp_pop(p, old);
	}
	return unknown;
}

cy_node *cp_require(cp_ctx *p, const cy_node *map, const char *key)
{
	cy_node *v = cy_get(map, key);
	if (!v)
		cp_error(p, map, "%s is required", key);
	return v;
}

const char *cp_text(cp_ctx *p, const cy_node *n, size_t max)
{
	if (n->refused)
		return NULL;
	if (n->kind != CY_SCALAR) {
		cp_error(p, n, "expected text, found %s", kind_name(n));
		return NULL;
	}
	if (n->len == 0) {
		cp_error(p, n, "must not be empty");
		return NULL;
	}
	if (n->len > max) {
		cp_error(p, n, "longer than %zu bytes", max);
		return NULL;
	}
	return n->text;
}

int cp_get_list(cp_ctx *p, cy_node *n, cp_list *l, size_t max)
{
	l->one = n;
	if (n->kind == CY_SCALAR) {
		l->items = &l->one;
		l->n = 1;
		return 1;
	}
	l->items = NULL;
	l->n = 0;
	if (n->kind != CY_SEQ) {
		cp_error(p, n, "expected a list, found %s", kind_name(n));
		return 0;
	}
	if (n->n_items > max) {
		cp_error(p, n, "more than %zu entries", max);
		return 0;
	}
	l->items = n->items;
	l->n = n->n_items;
	return 1;
}

void cp_strings_add(concept_strings *l, const char *s)
{
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
	l->items[l->n++] = xstrdup(s);
}

int cp_strings_has(const concept_strings *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return 1;
	return 0;
}

int cp_strings(cp_ctx *p, cy_node *n, concept_strings *out, size_t max_items, size_t max_len)
{
	cp_list l;
	if (!cp_get_list(p, n, &l, max_items))
		return 0;
	int ok = 1;
	for (size_t i = 0; i < l.n; i++) {
		size_t old = n->kind == CY_SEQ ? cp_push_index(p, i) : p->plen;
		const char *s = cp_text(p, l.items[i], max_len);
		if (s)
			cp_strings_add(out, s);
		else
			ok = 0;
		cp_pop(p, old);
	}
	return ok;
}

/* "a, b or c" from a NULL-ended list, into out. */
static void join_names(const char *const *names, char *out, size_t size)
{
	size_t used = 0, n = 0;
	while (names[n])
		n++;
	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(out + used, size - used, "%s%s", sep, names[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int cp_enum(cp_ctx *p, const cy_node *n, const char *const *names, int *out)
{
	if (n->kind != CY_SCALAR) {
		char all[160];
		join_names(names, all, sizeof(all));
		cp_error(p, n, "expected one of %s, found %s", all, kind_name(n));
		return 0;
	}
	for (int i = 0; names[i]; i++)
		if (strcmp(n->text, names[i]) == 0) {
			*out = i;
			return 1;
		}
	char all[160], shown[72];
	join_names(names, all, sizeof(all));
	size_t count = 0;
	while (names[count])
		count++;
	const char *near = cp_closest(n->text, names, count);
	if (near)
		cp_error(p, n, "'%s' is not one of %s (did you mean '%s'?)",
			 cp_show(n->text, shown, sizeof(shown)), all, near);
	else
		cp_error(p, n, "'%s' is not one of %s", cp_show(n->text, shown, sizeof(shown)),
			 all);
	return 0;
}

int cp_bool(cp_ctx *p, const cy_node *n, int *out)
{
	static const char *const names[] = {"false", "true", "False", "True",
					    "FALSE", "TRUE", NULL};
	if (n->kind == CY_SCALAR)
		for (int i = 0; names[i]; i++)
			if (strcmp(n->text, names[i]) == 0) {
				*out = i % 2;
				return 1;
			}
	char shown[72];
	if (n->kind == CY_SCALAR)
		cp_error(p, n, "expected true or false, not '%s'",
			 cp_show(n->text, shown, sizeof(shown)));
	else
		cp_error(p, n, "expected true or false, found %s", kind_name(n));
	return 0;
}

int cp_int(cp_ctx *p, const cy_node *n, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t v = 0;
	int ok = n->kind == CY_SCALAR && n->len > 0 && n->len <= 12;
	for (size_t i = 0; ok && i < n->len; i++) {
		if (n->text[i] < '0' || n->text[i] > '9')
			ok = 0;
		else
			v = v * 10 + (n->text[i] - '0');
	}
	if (ok && v >= lo && v <= hi) {
		*out = v;
		return 1;
	}
	char shown[72];
	if (n->kind == CY_SCALAR)
		cp_error(p, n, "'%s' is not a whole number from %lld to %lld",
			 cp_show(n->text, shown, sizeof(shown)), (long long)lo, (long long)hi);
	else
		cp_error(p, n, "expected a whole number from %lld to %lld, found %s", (long long)lo,
			 (long long)hi, kind_name(n));
	return 0;
}

int cp_duration(cp_ctx *p, const cy_node *n, int64_t *ms)
{
	static const char units[] = "dhm";
	static const int64_t unit_ms[] = {86400000LL, 3600000LL, 60000LL};
	const int64_t max_ms = 366 * 86400000LL;
	int ok = n->kind == CY_SCALAR && n->len > 0;
	int64_t total = 0;
	size_t i = 0, next_unit = 0;
	while (ok && i < n->len) {
		int64_t v = 0;
		size_t digits = 0;
		while (i < n->len && n->text[i] >= '0' && n->text[i] <= '9' && digits < 9) {
			v = v * 10 + (n->text[i++] - '0');
			digits++;
		}
		const char *u = i < n->len ? strchr(units + next_unit, n->text[i]) : NULL;
		if (!digits || !u || !*u) {
			ok = 0;
			break;
		}
		size_t k = (size_t)(u - units);
		total += v * unit_ms[k];
		next_unit = k + 1;
		i++;
		if (total > max_ms)
			break;
	}
	char shown[72];
	if (!ok) {
		if (n->kind == CY_SCALAR)
			cp_error(p, n, "'%s' is not a duration such as 30m, 4h, 2d or 1h30m",
				 cp_show(n->text, shown, sizeof(shown)));
		else
			cp_error(p, n, "expected a duration such as 30m, 4h, 2d or 1h30m, found %s",
				 kind_name(n));
		return 0;
	}
	if (total == 0) {
		cp_error(p, n, "a duration must be longer than zero");
		return 0;
	}
	if (total > max_ms) {
		cp_error(p, n, "'%s' is longer than 366 days",
			 cp_show(n->text, shown, sizeof(shown)));
		return 0;
	}
	*ms = total;
	return 1;
}

int cp_language_code(cp_ctx *p, const cy_node *n)
{
	const char *s = n->text;
	if (n->kind == CY_SCALAR && n->len == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' &&
	    s[1] <= 'z')
		return 1;
	char shown[72];
	if (n->kind == CY_SCALAR)
		cp_error(p, n,
			 "language code '%s' must be two lowercase letters (ISO 639-1) such as de",
			 cp_show(s, shown, sizeof(shown)));
	else
		cp_error(p, n, "expected a language code such as de, found %s", kind_name(n));
	return 0;
}

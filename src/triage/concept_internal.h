/*
 * concept_internal.h: what the parts of the concept loader share (internal
 * to src/triage/concept_*.c): the checking context that collects errors
 * with their key paths, and helpers that read typed values out of the YAML
 * tree (concept_check.c), references and word preparation (concept_refs.c),
 * plus the block parsers of concept_calendar.c and concept_rules.c.
 */
#ifndef CT_CONCEPT_INTERNAL_H
#define CT_CONCEPT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "triage/concept.h"
#include "triage/concept_yaml.h"

#define CONCEPT_PARSE_MAX_BYTES (1024 * 1024) /* a larger document is refused */
#define CONCEPT_MAX_ERRORS 100                /* errors reported at most */
#define CONCEPT_NAME_MAX 100                  /* bytes of a team, intent, policy or rule name */

/* An error with its place in the order of discovery (for a stable sort). */
typedef struct cp_found {
	concept_error e;
	size_t seq;
} cp_found;

/* The state of one concept_parse call. */
typedef struct cp_ctx {
	concept *c;
	cp_found *found; /* every error so far (up to a hard limit), unsorted */
	size_t n_found, cap_found, n_dropped;
	char path[512]; /* key path of the node being checked */
	size_t plen;
	buf scratch;
	/* which blocks could be read, so references to them can be checked
	 * without a cascade of errors when a block is missing altogether */
	int have_languages, have_teams, have_intents, have_slas;
	int open_hours; /* office_hours opens at least once a week */
	int hours_bad;  /* office_hours had errors (so say nothing more about it) */
} cp_ctx;

/* A list read from the tree: a sequence's items, or one scalar as a list of one. */
typedef struct cp_list {
	cy_node *const *items;
	size_t n;
	cy_node *one; /* storage for the single-scalar case */
} cp_list;

/* --- errors and paths (concept_check.c) --- */

/* Record an error at node at (NULL: the whole document) under the current
 * path; nothing when the YAML layer refused that node already. */
void cp_error(cp_ctx *p, const cy_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same, at a given position and path (the YAML layer's reports). */
void cp_error_raw(cp_ctx *p, int line, int column, const char *path, const char *msg);

/* 1 while more errors are still worth the effort of a suggestion. */
int cp_wants_detail(const cp_ctx *p);

/* Extend the path by ".key" (or "key" at the top) / "[i]"; each returns the
 * previous length for cp_pop. */
size_t cp_push_key(cp_ctx *p, const char *key);
size_t cp_push_index(cp_ctx *p, size_t i);
void cp_pop(cp_ctx *p, size_t len);

/* s for a message: at most about 60 bytes, cut at a character boundary with
 * "..." appended when longer. Written to out (size >= 72). */
const char *cp_show(const char *s, char *out, size_t size);

/* A suggestion for an unknown name: the closest of the n candidates within
 * an edit distance of 2 (1 for names of up to 4 bytes), or NULL. Borrowed
 * from candidates. */
const char *cp_closest(const char *s, const char *const *candidates, size_t n);

/* --- reading the tree (concept_check.c) --- */

/* n must be a mapping; otherwise an error at n (what names the block). */
int cp_is_map(cp_ctx *p, const cy_node *n);

/* Report every key of map that is not in allowed (NULL-ended), suggesting
 * a close allowed key; returns how many there were. */
size_t cp_check_keys(cp_ctx *p, const cy_node *map, const char *const *allowed);

/* A key that must be there: an error at map when absent (the caller has
 * already pushed key onto the path). */
cy_node *cp_require(cp_ctx *p, const cy_node *map, const char *key);

/* Text of a scalar that is non-empty and at most max bytes; NULL after an
 * error at n otherwise (or when n was refused). Borrowed from the tree. */
const char *cp_text(cp_ctx *p, const cy_node *n, size_t max);

/* A list (a scalar counts as a list of one) of at most max items; 0 after
 * an error. An empty sequence is a list of none. */
int cp_get_list(cp_ctx *p, cy_node *n, cp_list *l, size_t max);

/* A list of texts, each non-empty and at most max_len bytes, copied into
 * out (which the caller frees via the concept). 0 after an error. */
int cp_strings(cp_ctx *p, cy_node *n, concept_strings *out, size_t max_items, size_t max_len);

/* One of names (NULL-ended) by its index into *out; 0 after an error. */
int cp_enum(cp_ctx *p, const cy_node *n, const char *const *names, int *out);

/* true or false; 0 after an error. */
int cp_bool(cp_ctx *p, const cy_node *n, int *out);

/* A whole number from lo to hi; 0 after an error. */
int cp_int(cp_ctx *p, const cy_node *n, int64_t lo, int64_t hi, int64_t *out);

/* A duration such as 30m, 4h, 2d, 1h30m, in milliseconds (> 0); 0 after an error. */
int cp_duration(cp_ctx *p, const cy_node *n, int64_t *ms);

/* A two-letter language code in canonical form; 0 after an error. */
int cp_language_code(cp_ctx *p, const cy_node *n);

/* Append s to a string list (copied). */
void cp_strings_add(concept_strings *l, const char *s);

/* 1 when l holds s. */
int cp_strings_has(const concept_strings *l, const char *s);

/* --- references (concept_refs.c) --- */

/* The referenced team, language, intent or SLA policy exists (or its block
 * is missing, already reported); otherwise an error at n. */
int cp_ref_team(cp_ctx *p, const cy_node *n, const char *name);
int cp_ref_language(cp_ctx *p, const cy_node *n, const char *code);
int cp_ref_intent(cp_ctx *p, const cy_node *n, const char *name);
int cp_ref_sla(cp_ctx *p, const cy_node *n, const char *name);

/* --- text preparation (concept_refs.c) --- */

/* The normalised keyword (one word; into *word unless word is NULL) and
 * its stem in language, both owned by the caller; 0 after an error. */
int cp_keyword(cp_ctx *p, const cy_node *n, const char *language, char **word, char **stem);

/* The normalised phrase, white space runs as one space; NULL after an
 * error. Owned by the caller. */
char *cp_phrase(cp_ctx *p, const cy_node *n);

/* --- blocks (concept_calendar.c) --- */

/* time_zone (required) and the calendar on it: c->cal is always set
 * afterwards (a UTC stand-in when the zone is wrong or missing). */
void cp_parse_time_zone(cp_ctx *p, const cy_node *root);
void cp_parse_office_hours(cp_ctx *p, cy_node *n);
void cp_parse_holidays(cp_ctx *p, cy_node *n);

/* --- blocks (concept_rules.c) --- */

void cp_parse_intents(cp_ctx *p, cy_node *n);
/* A concept_then; sets *any when it sets anything. */
void cp_parse_then(cp_ctx *p, cy_node *n, concept_then *t, int *any);
void cp_parse_rules(cp_ctx *p, cy_node *n);

#endif

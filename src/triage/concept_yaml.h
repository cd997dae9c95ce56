/*
 * concept_yaml.h: a small YAML node tree with positions, for the concept
 * loader (internal to src/triage/concept_*.c).
 *
 * cy_load reads one YAML document with libyaml's event parser into a tree
 * of scalars, sequences and mappings, each node carrying the 1-based line
 * and column where it starts. It refuses what a dialog concept never needs
 * and what makes YAML surprising: anchors and aliases, tags, duplicate keys,
 * keys that are not plain text, more than one document, NUL characters in
 * values and nesting deeper than CY_MAX_DEPTH. Every such problem is handed
 * to a callback with its position and key path ("rules[2].then"); the tree
 * is still built (without the offending pairs) so that the caller can check
 * the rest. Values are untyped text: "true", "4h" and "08:00-18:00" are all
 * scalars, and the caller decides what they mean.
 */
#ifndef CT_CONCEPT_YAML_H
#define CT_CONCEPT_YAML_H

#include <stddef.h>

#include "core/err.h"

#define CY_MAX_DEPTH 32

typedef enum cy_kind {
	CY_NULL = 0, /* an empty value, ~ or null (plain) */
	CY_SCALAR,
	CY_SEQ,
	CY_MAP,
} cy_kind;

typedef struct cy_node cy_node;

typedef struct cy_pair {
	cy_node *key; /* always a CY_SCALAR */
	cy_node *value;
} cy_pair;

struct cy_node {
	cy_kind kind;
	int line, column; /* 1-based; column counts characters */
	char *text;       /* CY_SCALAR: the value, NUL-terminated; owned ("" otherwise) */
	size_t len;
	int plain;       /* CY_SCALAR: written without quotes and not as a block */
	int refused;     /* an alias or a value with NUL, reported: say no more about it */
	cy_node **items; /* CY_SEQ */
	size_t n_items;
	cy_pair *pairs; /* CY_MAP: unique keys, in document order */
	size_t n_pairs;
	size_t cap;
};

/* Where a problem is: 1-based line and column (0: the whole document), key
 * path ("" for the document) and a message. */
typedef void (*cy_report)(void *ctx, int line, int column, const char *path, const char *msg);

/*
 * Parse len bytes of YAML. CT_OK: *root is the document's top node (NULL
 * for a stream without any document), owned by the caller (cy_free); some
 * problems may still have been reported. CT_ERR_INVALID: a syntax error or
 * a nesting too deep made the tree unusable; it was reported and *root is
 * NULL.
 */
ct_err cy_load(const char *text, size_t len, cy_node **root, cy_report report, void *ctx);

void cy_free(cy_node *n);

/* The value of key in map (NULL when absent or n is not a mapping). Borrowed. */
cy_node *cy_get(const cy_node *map, const char *key);

/* The pair of key in map, or NULL. Borrowed. */
const cy_pair *cy_get_pair(const cy_node *map, const char *key);

#endif

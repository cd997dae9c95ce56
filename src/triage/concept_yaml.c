/*
 * concept_yaml.c: the YAML node tree of the concept loader (see
 * concept_yaml.h), built from libyaml's event parser.
 *
 * The event API (not yaml_parser_load) is used because it shows what the
 * document API hides: whether a node came through an alias, which keys are
 * repeated, and where a problem is. Nodes are attached to their parent as
 * soon as they start, so freeing the root frees everything at any point.
 */
#include "triage/concept_yaml.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/buf.h"

typedef struct frame {
	cy_node *node;
	size_t plen;    /* length of this container's path */
	int want_value; /* CY_MAP: a key was read; its value comes next */
} frame;

typedef struct builder {
	cy_report report;
	void *ctx;
	frame stack[CY_MAX_DEPTH];
	int depth;
	char path[512];
	size_t plen;
	cy_node *root;
} builder;

/* A libyaml mark as 1-based line and column, capped to int. */
static int mark_int(size_t v)
{
	return v >= (size_t)INT_MAX ? INT_MAX : (int)v + 1;
}

static void say(builder *b, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Report a problem at a position with the current path. */
static void say(builder *b, int line, int column, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->report(b->ctx, line, column, b->path, msg);
}

/* Append text to the path (truncated when the buffer is full). */
static void path_add(builder *b, const char *fmt, const char *s, size_t n)
{
	if (b->plen >= sizeof(b->path) - 1)
		return;
	int w = snprintf(b->path + b->plen, sizeof(b->path) - b->plen, fmt, (int)n, s);
	if (w > 0)
		b->plen += (size_t)w < sizeof(b->path) - b->plen ? (size_t)w
								 : sizeof(b->path) - 1 - b->plen;
}

/* Cut the path back to len bytes. */
static void path_set(builder *b, size_t len)
{
	b->plen = len;
	b->path[len] = '\0';
}

/* Extend the path to the node about to be attached: "[i]" in a sequence,
 * ".key" for a mapping's value or for a key with text ktext. */
static void path_child(builder *b, const char *ktext, size_t klen)
{
	if (b->depth == 0)
		return;
	frame *f = &b->stack[b->depth - 1];
	const cy_node *p = f->node;
	if (p->kind == CY_SEQ) {
		char idx[32];
		snprintf(idx, sizeof(idx), "[%zu]", p->n_items);
		path_add(b, "%.*s", idx, strlen(idx));
		return;
	}
	const char *k = ktext;
	size_t kl = klen;
	if (f->want_value) {
		const cy_node *key = p->pairs[p->n_pairs - 1].key;
		if (key->kind != CY_SCALAR)
			return;
		k = key->text;
		kl = key->len;
	}
	if (!k)
		return;
	path_add(b, b->plen ? ".%.*s" : "%.*s", k, kl > 200 ? 200 : kl);
}

/* A new empty node at mark m; owned by the caller until attached. */
static cy_node *node_new(cy_kind kind, const yaml_mark_t *m)
{
	cy_node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = mark_int(m->line);
	n->column = mark_int(m->column);
	return n;
}

void cy_free(cy_node *n)
{
	if (!n)
		return;
	free(n->text);
	for (size_t i = 0; i < n->n_items; i++)
		cy_free(n->items[i]);
	free(n->items);
	for (size_t i = 0; i < n->n_pairs; i++) {
		cy_free(n->pairs[i].key);
		cy_free(n->pairs[i].value);
	}
	free(n->pairs);
	free(n);
}

/* Hang n into the open container (or make it the root). */
static void attach(builder *b, cy_node *n)
{
	if (b->depth == 0) {
		b->root = n;
		return;
	}
	frame *f = &b->stack[b->depth - 1];
	cy_node *p = f->node;
	if (p->kind == CY_SEQ) {
		if (p->n_items == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 4;
			p->items = xrealloc(p->items, p->cap * sizeof(*p->items));
		}
		p->items[p->n_items++] = n;
		return;
	}
	if (!f->want_value) {
		if (p->n_pairs == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 4;
			p->pairs = xrealloc(p->pairs, p->cap * sizeof(*p->pairs));
		}
		p->pairs[p->n_pairs].key = n;
		p->pairs[p->n_pairs].value = NULL;
		p->n_pairs++;
		f->want_value = 1;
		if (n->kind == CY_NULL)
			say(b, n->line, n->column, "a key must not be empty");
		else if (n->kind != CY_SCALAR)
			say(b, n->line, n->column,
			    "a key must be plain text, not a list or mapping");
		return;
	}
	cy_pair *pair = &p->pairs[p->n_pairs - 1];
	pair->value = n;
	f->want_value = 0;
	/* "key:" with nothing after it: point at the key, not at the next line */
	if (n->kind == CY_NULL && n->len == 0 && !n->refused) {
		n->line = pair->key->line;
		n->column = pair->key->column;
	}
}

typedef struct key_ref {
	const char *text;
	size_t len, index;
} key_ref;

/* Order keys by text, then by position (for finding repeats). */
static int key_ref_cmp(const void *a, const void *b)
{
	const key_ref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->text, y->text, n);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* A mapping is complete: report repeated keys and drop them (the first
 * stays), and drop pairs whose key is not text. */
static void finish_map(builder *b, cy_node *m)
{
	size_t n = m->n_pairs;
	unsigned char *drop = xcalloc(n ? n : 1, 1);
	key_ref *refs = xmalloc((n ? n : 1) * sizeof(*refs));
	size_t nr = 0;
	for (size_t i = 0; i < n; i++) {
		const cy_node *k = m->pairs[i].key;
		if (k->kind != CY_SCALAR || !m->pairs[i].value) {
			drop[i] = 1;
			continue;
		}
		refs[nr++] = (key_ref){k->text, k->len, i};
	}
	qsort(refs, nr, sizeof(*refs), key_ref_cmp);
	size_t first = 0;
	for (size_t i = 1; i < nr; i++) {
		if (refs[i].len == refs[first].len &&
		    memcmp(refs[i].text, refs[first].text, refs[i].len) == 0) {
			const cy_node *k = m->pairs[refs[i].index].key;
			const cy_node *k0 = m->pairs[refs[first].index].key;
			size_t keep = b->plen;
			path_add(b, b->plen ? ".%.*s" : "%.*s", k->text,
				 k->len > 200 ? 200 : k->len);
			say(b, k->line, k->column, "duplicate key '%.60s' (first at line %d)",
			    k->text, k0->line);
			path_set(b, keep);
			drop[refs[i].index] = 1;
		} else {
			first = i;
		}
	}
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (drop[i]) {
			cy_free(m->pairs[i].key);
			cy_free(m->pairs[i].value);
		} else {
			m->pairs[w++] = m->pairs[i];
		}
	}
	m->n_pairs = w;
	free(refs);
	free(drop);
}

/* Refuse anchors and tags on a node that starts at m. */
static void check_props(builder *b, const yaml_mark_t *m, const yaml_char_t *anchor,
			const yaml_char_t *tag)
{
	if (anchor)
		say(b, mark_int(m->line), mark_int(m->column),
		    "anchors (&%.40s) are not supported: write the value out",
		    (const char *)anchor);
	static const char yaml_tags[] = "tag:yaml.org,2002:";
	if (tag && strncmp((const char *)tag, yaml_tags, sizeof(yaml_tags) - 1) == 0)
		say(b, mark_int(m->line), mark_int(m->column),
		    "tags (!!%.40s) are not supported: write the value without one",
		    (const char *)tag + sizeof(yaml_tags) - 1);
	else if (tag)
		say(b, mark_int(m->line), mark_int(m->column),
		    "tags (%.40s) are not supported: write the value without one",
		    (const char *)tag);
}

/* 1 for the plain spellings of null: nothing, ~, null, Null, NULL. */
static int is_null_text(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '~') ||
	       (n == 4 &&
		(!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

/* A scalar: checked, made a node and attached. */
static void on_scalar(builder *b, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	size_t keep = b->plen;
	path_child(b, v, n);
	check_props(b, &ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag);
	cy_node *node =
		node_new(plain && is_null_text(v, n) ? CY_NULL : CY_SCALAR, &ev->start_mark);
	node->text = xstrndup(v, n);
	node->len = n;
	node->plain = plain;
	if (memchr(v, '\0', n)) {
		say(b, node->line, node->column, "a value must not contain a NUL character");
		node->refused = 1;
	}
	path_set(b, keep);
	attach(b, node);
}

/* Start a sequence or mapping. 0 when it nests too deep (reported). */
static int on_start(builder *b, const yaml_event_t *ev, cy_kind kind)
{
	const yaml_char_t *anchor =
		kind == CY_SEQ ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
	const yaml_char_t *tag =
		kind == CY_SEQ ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
	path_child(b, NULL, 0);
	check_props(b, &ev->start_mark, anchor, tag);
	if (b->depth == CY_MAX_DEPTH) {
		say(b, mark_int(ev->start_mark.line), mark_int(ev->start_mark.column),
		    "nested deeper than %d levels", CY_MAX_DEPTH);
		return 0;
	}
	cy_node *node = node_new(kind, &ev->start_mark);
	node->text = xstrdup("");
	attach(b, node); /* a bad key is reported with the mapping's path: unchanged */
	b->stack[b->depth++] = (frame){node, b->plen, 0};
	return 1;
}

/* A sequence or mapping ends: finish it and restore the parent's path. */
static void on_end(builder *b)
{
	if (b->depth == 0)
		return;
	frame *f = &b->stack[b->depth - 1];
	path_set(b, f->plen);
	if (f->node->kind == CY_MAP)
		finish_map(b, f->node);
	b->depth--;
	path_set(b, b->depth ? b->stack[b->depth - 1].plen : 0);
}

/* Line and column (1-based) of byte offset off in text. */
static void offset_position(const char *text, size_t len, size_t off, int *line, int *column)
{
	int l = 1, c = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80 && c < INT_MAX) {
			c++;
		}
		if (l == INT_MAX)
			break;
	}
	*line = l;
	*column = c;
}

/* Report libyaml's error with its problem text and position. */
static void syntax_error(builder *b, const yaml_parser_t *ps, const char *text, size_t len)
{
	if (ps->error == YAML_MEMORY_ERROR)
		abort();
	path_set(b, 0);
	const char *problem = ps->problem ? ps->problem : "unreadable YAML";
	if (ps->error == YAML_READER_ERROR) {
		int line, column;
		offset_position(text, len, ps->problem_offset, &line, &column);
		if (ps->problem_value >= 0)
			say(b, line, column, "syntax error: %s (byte 0x%02x)", problem,
			    (unsigned)ps->problem_value & 0xffu);
		else
			say(b, line, column, "syntax error: %s", problem);
		return;
	}
	int line = mark_int(ps->problem_mark.line), column = mark_int(ps->problem_mark.column);
	if (ps->context)
		say(b, line, column, "syntax error: %s (%s at line %d, column %d)", problem,
		    ps->context, mark_int(ps->context_mark.line),
		    mark_int(ps->context_mark.column));
	else
		say(b, line, column, "syntax error: %s", problem);
}

ct_err cy_load(const char *text, size_t len, cy_node **root, cy_report report, void *ctx)
{
	builder *b = xcalloc(1, sizeof(*b));
	b->report = report;
	b->ctx = ctx;
	yaml_parser_t ps;
	if (!yaml_parser_initialize(&ps))
		abort();
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	ct_err err = CT_OK;
	int docs = 0;
	for (int done = 0; !done;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&ps, &ev)) {
			syntax_error(b, &ps, text, len);
			err = CT_ERR_INVALID;
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				say(b, mark_int(ev.start_mark.line), mark_int(ev.start_mark.column),
				    "only one YAML document is allowed (remove this '---' and what "
				    "follows)");
				done = 1;
			}
			break;
		case YAML_STREAM_END_EVENT: done = 1; break;
		case YAML_ALIAS_EVENT: {
			size_t keep = b->plen;
			path_child(b, NULL, 0);
			say(b, mark_int(ev.start_mark.line), mark_int(ev.start_mark.column),
			    "aliases (*%.40s) are not supported: write the value out",
			    (const char *)ev.data.alias.anchor);
			path_set(b, keep);
			cy_node *node = node_new(CY_NULL, &ev.start_mark);
			node->text = xstrdup("");
			node->refused = 1;
			attach(b, node);
			break;
		}
		case YAML_SCALAR_EVENT: on_scalar(b, &ev); break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (!on_start(b, &ev,
				      ev.type == YAML_SEQUENCE_START_EVENT ? CY_SEQ : CY_MAP)) {
				err = CT_ERR_INVALID;
				done = 1;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: on_end(b); break;
		default: break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&ps);
	if (err) {
		cy_free(b->root);
		b->root = NULL;
	}
	*root = b->root;
	free(b);
	return err;
}

const cy_pair *cy_get_pair(const cy_node *map, const char *key)
{
	if (!map || map->kind != CY_MAP)
		return NULL;
	size_t n = strlen(key);
	for (size_t i = 0; i < map->n_pairs; i++) {
		const cy_node *k = map->pairs[i].key;
		if (k->len == n && memcmp(k->text, key, n) == 0)
			return &map->pairs[i];
	}
	return NULL;
}

cy_node *cy_get(const cy_node *map, const char *key)
{
	const cy_pair *p = cy_get_pair(map, key);
	return p ? p->value : NULL;
}

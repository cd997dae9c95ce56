/*
 * io.c: templates to and from a document for review outside the tool
 * (templates.h, "Import and export"), as JSON (jansson) or YAML (written
 * with libyaml's emitter, read with the concept's loader cy_load, which
 * refuses anchors, aliases and duplicate keys and gives every node its
 * line).
 *
 * Import reads the document into the JSON shape of an API body, checks
 * every template with the same body check as create (tpl_body_check) and
 * then does all creates and updates in one write: all or nothing. A
 * problem names the field ("templates[3].variants[0].text") and, for YAML,
 * starts its message with the line of that node ("line 14: ...").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/timeutil.h"
#include "templates/templates_internal.h"
#include "triage/concept_yaml.h"

static const char SQL_EXPORT[] =
	"SELECT t.name, t.status, t.approved_version, v.intents, v.variants,"
	" v.review_interval_days, v.note FROM templates t JOIN template_versions v"
	" ON v.template_id = t.id AND v.number = t.current_version WHERE t.status <> 'retired'";

/* ---- Export --------------------------------------------------------------- */

/* The variants with their keys in reading order: language, channel, text. */
static json_t *ordered_variants(json_t *stored)
{
	json_t *list = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(stored, i, v) json_array_append_new(
		list,
		json_pack("{s:O, s:O, s:O}", "language", json_object_get(v, "language"), "channel",
			  json_object_get(v, "channel"), "text", json_object_get(v, "text")));
	json_decref(stored);
	return list;
}

/* One exported template from a row of SQL_EXPORT. */
static json_t *export_item(store_stmt *st)
{
	json_t *v = json_pack("{s:s, s:o, s:I, s:o}", "name", store_col_text(st, 0), "intents",
			      tpl_col_array(st, 3), "review_interval_days",
			      (json_int_t)store_col_int(st, 5), "variants",
			      ordered_variants(tpl_col_array(st, 4)));
	if (!store_col_is_null(st, 6))
		json_object_set_new(v, "note", json_string(store_col_text(st, 6)));
	json_object_set_new(v, "status", json_string(store_col_text(st, 1)));
	json_object_set_new(v, "approved_version",
			    store_col_is_null(st, 2) ? json_null()
						     : json_integer(store_col_int(st, 2)));
	return v;
}

/* qsort: entries by name, bytewise. */
static int by_name(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

/* The export document {"templates": [...]} sorted by name. */
static ct_err export_doc(store_conn *c, json_t **out)
{
	store_stmt *st = store_prepare(c, SQL_EXPORT);
	if (!st)
		return CT_ERR_STORE;
	size_t n = 0, cap = 16;
	json_t **items = xcalloc(cap, sizeof(*items));
	int rc;
	while ((rc = store_step(st)) == STORE_ROW) {
		if (n == cap)
			items = xrealloc(items, (cap *= 2) * sizeof(*items));
		items[n++] = export_item(st);
	}
	store_reset(st);
	qsort(items, n, sizeof(*items), by_name);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, items[i]);
	free(items);
	if (rc != STORE_DONE) {
		json_decref(list);
		return CT_ERR_STORE;
	}
	*out = json_pack("{s:o}", "templates", list);
	return CT_OK;
}

/* libyaml output handler: append to the buf in data; 1 when it fit. */
static int yaml_write(void *data, unsigned char *bytes, size_t size)
{
	return buf_append(data, bytes, size) == CT_OK;
}

/* 1 when a plain scalar s would be read back as something other than the
 * text s (a number, a boolean, null) or is empty. */
static int needs_quotes(const char *s)
{
	static const char *const words[] = {
		"true", "false", "null", "~",     "yes", "no", "on",  "off", "True", "False",
		"Null", "NULL",  "TRUE", "FALSE", "Yes", "No", "YES", "NO",  NULL};
	if (!*s || str_in_list(s, words))
		return 1;
	char *end = NULL;
	errno = 0;
	(void)strtod(s, &end);
	return end && *end == '\0';
}

/* Emit one scalar (text borrowed) in style; 1 on success. */
static int emit_scalar(yaml_emitter_t *e, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
				     style);
	return yaml_emitter_emit(e, &ev);
}

/* Emit v (a JSON value of the export document) as YAML events. */
static int emit_value(yaml_emitter_t *e, json_t *v)
{
	yaml_event_t ev;
	char num[32];
	if (json_is_object(v)) {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return 0;
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x)
		{
			if (!emit_scalar(e, key, YAML_PLAIN_SCALAR_STYLE) || !emit_value(e, x))
				return 0;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev);
	}
	if (json_is_array(v)) {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     json_array_size(v) ? YAML_BLOCK_SEQUENCE_STYLE
									: YAML_FLOW_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return 0;
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) if (!emit_value(e, x)) return 0;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev);
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		yaml_scalar_style_t style = strchr(s, '\n')   ? YAML_LITERAL_SCALAR_STYLE
					    : needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
							      : YAML_ANY_SCALAR_STYLE;
		return emit_scalar(e, s, style);
	}
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return emit_scalar(e, num, YAML_PLAIN_SCALAR_STYLE);
	}
	if (json_is_boolean(v))
		return emit_scalar(e, json_is_true(v) ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
	return emit_scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
}

/* The document as YAML appended to out. */
static ct_err emit_yaml(json_t *doc, buf *out)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	if (!yaml_emitter_initialize(&e))
		return CT_ERR_INTERNAL;
	yaml_emitter_set_output(&e, yaml_write, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_indent(&e, 2);
	yaml_emitter_set_width(&e, -1);
	int ok = 1;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&e, &ev);
	ok = ok && emit_value(&e, doc);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&e, &ev);
	ok = ok && yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
	return ok ? CT_OK : CT_ERR_INTERNAL;
}

/* See templates.h. */
ct_err template_export(store_conn *c, const char *format, buf *out)
{
	int yaml = format && strcmp(format, "yaml") == 0;
	if (!yaml && !(format && strcmp(format, "json") == 0))
		return CT_ERR_INVALID;
	json_t *doc = NULL;
	ct_err err = export_doc(c, &doc);
	if (err)
		return err;
	if (yaml) {
		err = emit_yaml(doc, out);
	} else {
		char *s = json_dumps(doc, JSON_INDENT(2));
		err = buf_puts(out, s);
		if (!err)
			err = buf_puts(out, "\n");
		free(s);
	}
	json_decref(doc);
	return err;
}

/* ---- Reading a document ---------------------------------------------------- */

/* The first problem cy_load reported. */
typedef struct yaml_problem {
	int line;
	char path[64];
	char message[200];
	int found;
} yaml_problem;

/* cy_load callback: keep the first problem in the yaml_problem ctx. */
static void yaml_report(void *ctx, int line, int column, const char *path, const char *msg)
{
	yaml_problem *p = ctx;
	(void)column;
	if (p->found++)
		return;
	p->line = line;
	snprintf(p->path, sizeof(p->path), "%s", path);
	snprintf(p->message, sizeof(p->message), "%s", msg);
}

/* A plain scalar read as a JSON value: whole numbers and true/false typed,
 * everything else text. */
static json_t *plain_value(const cy_node *n)
{
	if (strcmp(n->text, "true") == 0)
		return json_true();
	if (strcmp(n->text, "false") == 0)
		return json_false();
	const char *s = n->text;
	size_t i = s[0] == '-' ? 1 : 0;
	int digits = s[i] != '\0' && n->len < 19;
	for (; digits && s[i]; i++)
		digits = s[i] >= '0' && s[i] <= '9';
	if (digits)
		return json_integer(strtoll(s, NULL, 10));
	return json_stringn(n->text, n->len);
}

/* The node tree as JSON; lines gets path -> line of every node. */
static json_t *node_json(const cy_node *n, const char *path, json_t *lines)
{
	json_object_set_new(lines, path, json_integer(n->line));
	char sub[256];
	switch (n->kind) {
	case CY_NULL: return json_null();
	case CY_SCALAR: return n->plain ? plain_value(n) : json_stringn(n->text, n->len);
	case CY_SEQ: {
		json_t *list = json_array();
		for (size_t i = 0; i < n->n_items; i++) {
			snprintf(sub, sizeof(sub), "%.200s[%zu]", path, i);
			json_array_append_new(list, node_json(n->items[i], sub, lines));
		}
		return list;
	}
	case CY_MAP: {
		json_t *map = json_object();
		for (size_t i = 0; i < n->n_pairs; i++) {
			const cy_pair *p = &n->pairs[i];
			snprintf(sub, sizeof(sub), "%.200s%s%.40s", path, *path ? "." : "",
				 p->key->text);
			json_object_set_new(map, p->key->text, node_json(p->value, sub, lines));
		}
		return map;
	}
	}
	return json_null();
}

/* Parse YAML into *doc (new reference) and lines; the first problem of
 * cy_load goes into d with its line. */
static ct_err read_yaml(const char *text, size_t len, json_t **doc, json_t *lines, err_detail *d)
{
	yaml_problem p = {0};
	cy_node *root = NULL;
	ct_err err = cy_load(text, len, &root, yaml_report, &p);
	if (!err && p.found)
		err = CT_ERR_INVALID;
	if (err) {
		cy_free(root);
		err_set(d, CT_ERR_INVALID, p.path, "");
		snprintf(d->message, sizeof(d->message), "line %d: %s", p.line,
			 p.found ? p.message : "the document is not valid YAML");
		return CT_ERR_INVALID;
	}
	*doc = root ? node_json(root, "", lines) : json_object();
	cy_free(root);
	return CT_OK;
}

/* Parse JSON into *doc (new reference); a syntax error into d with line
 * and column. */
static ct_err read_json(const char *text, size_t len, json_t **doc, err_detail *d)
{
	json_error_t je;
	*doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (*doc)
		return CT_OK;
	err_set(d, CT_ERR_INVALID, "", "");
	snprintf(d->message, sizeof(d->message), "line %d, column %d: %s", je.line, je.column,
		 je.text);
	return CT_ERR_INVALID;
}

/* Prefix d's message with the line of the node d names, when known. */
static void add_line(json_t *lines, err_detail *d)
{
	if (!lines)
		return;
	char path[128];
	if (d->index >= 0)
		snprintf(path, sizeof(path), "%s[%d]", d->field, d->index);
	else
		snprintf(path, sizeof(path), "%s", d->field);
	for (;;) {
		json_t *line = json_object_get(lines, path);
		if (line) {
			char head[32];
			size_t h = (size_t)snprintf(head, sizeof(head), "line %lld: ",
						    (long long)json_integer_value(line));
			size_t m = strlen(d->message);
			if (h + m >= sizeof(d->message))
				m = sizeof(d->message) - h - 1;
			memmove(d->message + h, d->message, m);
			memcpy(d->message, head, h);
			d->message[h + m] = '\0';
			return;
		}
		char *cut = strrchr(path, '.'), *bracket = strrchr(path, '[');
		if (bracket > cut)
			cut = bracket;
		if (!cut)
			cut = path;
		if (cut == path && !*path)
			return;
		*cut = '\0';
	}
}

/* ---- Import ---------------------------------------------------------------- */

/* The template entries of doc, checked on their own (as for create) and
 * for duplicate names. The entries lose status and approved_version. */
static ct_err check_doc(json_t *doc, err_detail *d)
{
	if (!json_is_object(doc))
		return err_set(d, CT_ERR_INVALID, "",
			       "the document must be a mapping {templates: [...]}");
	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v)
	{
		if (strcmp(key, "templates") != 0)
			return tpl_fail(d, CT_ERR_INVALID, "", key, "unknown field");
	}
	json_t *list = json_object_get(doc, "templates");
	if (!json_is_array(list))
		return err_set(d, CT_ERR_INVALID, "templates", "templates must be a list");
	size_t i;
	json_array_foreach(list, i, v)
	{
		char prefix[48];
		snprintf(prefix, sizeof(prefix), "templates[%zu].", i);
		json_object_del(v, "status");
		json_object_del(v, "approved_version");
		json_t *checked = NULL;
		ct_err err = tpl_body_check(v, NULL, prefix, &checked, d);
		json_decref(checked);
		if (err)
			return err;
		for (size_t j = 0; j < i; j++)
			if (json_equal(json_object_get(json_array_get(list, j), "name"),
				       json_object_get(v, "name")))
				return tpl_fail(d, CT_ERR_INVALID, prefix, "name",
						"templates[%zu] has the same name", j);
	}
	return CT_OK;
}

typedef struct import_ctx {
	const actor *who;
	json_t *list;   /* the checked entries */
	json_t *report; /* {created, updated, unchanged} */
	err_detail *d;
} import_ctx;

/* One entry inside the write: create, update or leave alone. */
static ct_err import_one(store_conn *c, import_ctx *x, json_t *entry, size_t i, int64_t now)
{
	char prefix[48];
	snprintf(prefix, sizeof(prefix), "templates[%zu].", i);
	json_t *name = json_object_get(entry, "name");
	int64_t id = 0;
	ct_err err = tpl_find_by_name(c, json_string_value(name), &id);
	json_t *base = NULL, *checked = NULL;
	tpl_row r;
	const char *outcome = "created";
	if (err == CT_ERR_NOT_FOUND) {
		err = tpl_body_check(entry, NULL, prefix, &checked, x->d);
		if (!err)
			err = tpl_insert_template(c, x->who, checked, now, prefix, &id, x->d);
	} else if (!err) {
		err = tpl_row_load(c, id, 1, &r);
		if (!err && strcmp(r.status, "retired") == 0)
			err = tpl_fail(x->d, CT_ERR_CONFLICT, prefix, "",
				       "the template '%s' is retired", r.name);
		if (!err)
			err = tpl_newest_body(c, &r, &base);
		if (!err)
			err = tpl_body_check(entry, base, prefix, &checked, x->d);
		outcome = !err && tpl_body_same(base, checked) ? "unchanged" : "updated";
		if (!err && strcmp(outcome, "updated") == 0)
			err = tpl_insert_version(c, x->who, &r, checked, now, prefix, x->d);
	}
	if (!err)
		json_array_append(json_object_get(x->report, outcome), name);
	json_decref(base);
	json_decref(checked);
	return err;
}

/* Inside the write: every entry in order; the report starts afresh (the
 * write may run again). */
static ct_err write_import(store_conn *c, void *arg)
{
	import_ctx *x = arg;
	json_decref(x->report);
	x->report = json_pack("{s:[], s:[], s:[]}", "created", "updated", "unchanged");
	int64_t now = time_now_ms();
	size_t i;
	json_t *entry;
	json_array_foreach(x->list, i, entry)
	{
		ct_err err = import_one(c, x, entry, i, now);
		if (err)
			return err;
	}
	return CT_OK;
}

/* See templates.h: read, check the whole document, then one write. */
ct_err template_import(store *s, const actor *who, const char *format, const char *text, size_t len,
		       json_t **report, err_detail *d)
{
	*report = NULL;
	int yaml = format && strcmp(format, "yaml") == 0;
	if (!yaml && !(format && strcmp(format, "json") == 0))
		return err_set(d, CT_ERR_INVALID, "format", "format must be json or yaml");
	if (len > TEMPLATE_IMPORT_MAX)
		return err_set(d, CT_ERR_TOO_LARGE, "", "the document is larger than 4 MiB");
	json_t *doc = NULL, *lines = yaml ? json_object() : NULL;
	ct_err err = yaml ? read_yaml(text, len, &doc, lines, d) : read_json(text, len, &doc, d);
	import_ctx x = {who, NULL, NULL, d};
	if (!err) {
		err = check_doc(doc, d);
		x.list = json_object_get(doc, "templates");
		if (!err)
			err = store_write(s, write_import, &x);
		if (err == CT_ERR_INVALID || err == CT_ERR_CONFLICT)
			add_line(lines, d);
	}
	if (!err)
		*report = json_incref(x.report);
	json_decref(x.report);
	json_decref(doc);
	json_decref(lines);
	return err;
}

/*
 * templates_internal.h: what store.c, workflow.c, report.c and io.c share
 * (internal to src/templates/): the check of a template body, the row of a
 * template as a write sees it, writing a new template or a new version, and
 * the review state. Create, update and import all go through the same
 * check and the same inserts, so an imported template is held to exactly
 * the rules of one saved through the API.
 *
 * A "body" here is the normalised JSON object {name, intents,
 * review_interval_days, variants: [{language, channel, text}], note (string
 * or null)} that tpl_body_check produces.
 */
#ifndef CT_TEMPLATES_INTERNAL_H
#define CT_TEMPLATES_INTERNAL_H

#include "templates/templates.h"

#define TEMPLATE_NOTE_MAX 2000      /* bytes of a version's note */
#define TEMPLATE_COMMENT_MAX 2000   /* bytes of a reviewer's comment */
#define TEMPLATE_INTENTS_MAX 32     /* intents per version */
#define TEMPLATE_INTENT_NAME_MAX 64 /* bytes of an intent name */
#define TEMPLATE_INTERVAL_MAX 3650  /* review interval in days */

/*
 * Check body (a JSON object from a client or an import) and normalise it
 * into *out (a new reference; NULL on error). base is NULL for a new
 * template (name and variants required) or the newest version's body for
 * an update (each field optional, the rest taken from base). Field names in
 * d are prefixed with prefix ("" or "templates[3]."). CT_ERR_INVALID.
 */
ct_err tpl_body_check(json_t *body, json_t *base, const char *prefix, json_t **out, err_detail *d);

/* 1 when two normalised bodies hold the same intents, interval, variants
 * and note (the name is not compared). */
int tpl_body_same(json_t *a, json_t *b);

/* The values filled into texts to check their length against a channel's
 * limit: a new object with a value for every known variable. */
json_t *tpl_sample_values(void);

/* A template as a write sees it, with its newest version. */
typedef struct tpl_row {
	int64_t id;
	char name[TEMPLATE_NAME_MAX + 1];
	char status[16];
	int64_t current_version;
	int64_t approved_version; /* 0: none */
	int64_t review_interval_days;
	char newest_state[16];
	int64_t newest_author; /* author_user_id of the newest version; 0: none */
} tpl_row;

/* Read template id into r; inside a write (lock 1) its rows stay locked
 * until the commit. CT_ERR_NOT_FOUND. */
ct_err tpl_row_load(store_conn *c, int64_t id, int lock, tpl_row *r);

/* The id of the template called name; CT_ERR_NOT_FOUND. */
ct_err tpl_find_by_name(store_conn *c, const char *name, int64_t *id);

/* The newest version of r as a normalised body (new reference). */
ct_err tpl_newest_body(store_conn *c, const tpl_row *r, json_t **out);

/* Inside a write: a new template from a checked body, version 1 a draft by
 * who, audited "template.created". CT_ERR_CONFLICT (d says so) when the
 * name is taken. prefix as for tpl_body_check. */
ct_err tpl_insert_template(store_conn *c, const actor *who, json_t *body, int64_t now,
			   const char *prefix, int64_t *id, err_detail *d);

/* Inside a write: a new draft version of r from a checked body, audited
 * "template.updated". CT_ERR_CONFLICT when r is retired or a rename hits a
 * taken name. */
ct_err tpl_insert_version(store_conn *c, const actor *who, const tpl_row *r, json_t *body,
			  int64_t now, const char *prefix, err_detail *d);

/* A column holding a JSON array as text, parsed: a new reference (an
 * empty array when the column is NULL or not an array). */
json_t *tpl_col_array(store_stmt *st, int col);

/* "none", "ok", "due" or "expired" (see template_list). Static. */
const char *tpl_review_state(int64_t approved_version, const char *status, int64_t due_at,
			     int64_t now, int64_t grace_ms);

/* Set d to code with field prefix+field and a formatted message; index -1. */
ct_err tpl_fail(err_detail *d, ct_err code, const char *prefix, const char *field, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

#endif

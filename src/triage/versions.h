/*
 * versions.h: the concept's versions in the database, and the live one.
 *
 * Every concept that is checked in is kept as written (its YAML), with a
 * checksum, who added it and when; at most one version is active. A
 * version is only stored and only activated after concept_parse accepted
 * it, so an invalid concept never goes live and the running one stays.
 * Activation also needs every template the automatic replies name to be
 * approved and usable (not retired, not past review plus grace).
 * Activation is audited ("concept.activated").
 *
 * triage_active keeps the parsed engine of the active version for a
 * process: it looks at the database at most once a second (another node
 * may have activated a newer version) and reloads when the version
 * changed.
 *
 * Ownership: JSON results are new references for the caller; engines from
 * triage_active_get are references the caller drops with
 * triage_engine_unref.
 */
#ifndef CT_VERSIONS_H
#define CT_VERSIONS_H

#include <jansson.h>
#include <pthread.h>

#include "audit/audit.h"
#include "store/store.h"
#include "triage/concept.h"
#include "triage/triage.h"

/* Largest concept document accepted (bytes). */
#define CONCEPT_MAX_BYTES (1024 * 1024)

/* The engine cache of one process; see triage_active below. */
typedef struct triage_active triage_active;

/*
 * Check source, store it as a new version (unless the newest stored
 * version has the same text: then that one's id) and, when activate is
 * set, make it the active one (audited), all in one write; then reload
 * live (may be NULL) so that this process triages with it at once.
 * CT_ERR_INVALID with errs filled (owned by the caller, start it as {0})
 * when the concept is invalid or names a team the installation does not
 * have, or (on activation) an automatic reply's template that may not be
 * used (template_usable, with template_grace_ms: templates.review_grace_days
 * in ms, see template_grace_ms): nothing is stored, the running concept stays.
 */
ct_err concept_version_add(store *s, triage_active *live, const actor *who, const char *source,
			   size_t len, int activate, int64_t template_grace_ms, int64_t *id,
			   concept_errors *errs);

/* Make stored version id the active one (audited) and reload live (may be
 * NULL). CT_ERR_NOT_FOUND; CT_ERR_INVALID (errs filled) when it no longer
 * parses, names a missing team or a template that may not be used. */
ct_err concept_version_activate(store *s, triage_active *live, const actor *who, int64_t id,
				int64_t template_grace_ms, concept_errors *errs);

/* The versions, newest first: [{"id", "name", "checksum", "created_at",
 * "created_by", "activated_at", "active"}]. */
ct_err concept_version_list(store_conn *c, json_t **out);

/* One version with its "source"; id 0: the active one (CT_ERR_NOT_FOUND
 * when none). */
ct_err concept_version_get(store_conn *c, int64_t id, json_t **out);

/* A unified diff of the sources of versions a and b, appended to out. */
ct_err concept_version_diff(store_conn *c, int64_t a, int64_t b, buf *out);

/* A unified diff of two texts (named a and b in the header), appended to out. */
ct_err concept_text_diff(const char *a, const char *a_name, const char *b, const char *b_name,
			 buf *out);

/* The errors as JSON [{"line", "column", "field", "message"}] (new reference). */
json_t *concept_errors_json(const concept_errors *errs);

/* The errors as text, one per line, "FILE:LINE:COLUMN: FIELD: MESSAGE". */
void concept_errors_print(const concept_errors *errs, const char *file, buf *out);

struct triage_active {
	pthread_mutex_t lock;
	triage_engine *engine; /* NULL: no concept active */
	int64_t version_id;
	int64_t checked_ms; /* when the database was last asked */
};

void triage_active_init(triage_active *t);
void triage_active_free(triage_active *t);

/* The engine of the active version (a new reference) or NULL when no
 * concept is active. Asks the database (a reader of s) at most once a
 * second; force = 1 asks now (after an activation on this node). */
triage_engine *triage_active_get(triage_active *t, store *s, int force);

#endif

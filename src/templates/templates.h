/*
 * templates.h: approved wording (Sprachregelungen): reply templates that a
 * second person approved, that are reviewed at set intervals, and whose
 * use is measured.
 *
 * A template has a unique name, the intents it answers (names from the
 * dialog concept) and variants: one text per language and channel kind
 * ("any" for every channel without a variant of its own). Texts hold
 * variables, "{{contact.first_name}}", filled from the conversation when
 * an agent inserts the template or the concept sends it automatically.
 *
 * Workflow (workflow.c): every change makes a new version; versions are
 * never changed once submitted. A version goes draft -> in_review ->
 * approved; a reviewer may return it (-> returned, and the next edit is a
 * new draft). Approval needs a signed-in supervisor or admin who did not
 * write that version (four eyes). The approved version stays in use while
 * a newer one is drafted or reviewed. An approved template is due for
 * review review_interval_days after its approval; a reviewer confirms it
 * (again four eyes) or approves a revision. Past its due date plus the
 * grace period (templates.review_grace_days) it cannot be used until that
 * happens. A retired template is never used again. Every step is audited
 * (object_type "template").
 *
 * Files: render.c (variables, rendering, matching, lengths; no store),
 * store.c (create, update, read), workflow.c (submit, approve, return,
 * confirm, retire), use.c (suggestions, the usable variant, values of a
 * conversation), report.c, io.c (import and export as JSON or YAML).
 *
 * Ownership: json_t results are new references the caller owns; buf
 * outputs are the caller's and are appended to; strings passed in are
 * borrowed for the call.
 */
#ifndef CT_TEMPLATES_H
#define CT_TEMPLATES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

struct concept;

#define TEMPLATE_NAME_MAX 100         /* bytes of a name */
#define TEMPLATE_TEXT_MAX (16 * 1024) /* bytes of one variant's text */
#define TEMPLATE_VARIANTS_MAX 64      /* variants per version */
#define TEMPLATE_REVIEW_DAYS_DEFAULT 180
#define TEMPLATE_IMPORT_MAX (4u << 20) /* bytes of an import document */
#define TEMPLATE_DAY_MS (86400000LL)   /* review intervals and grace are in days */

/* ---- Variables and rendering (render.c; pure, no store) ---------------- */

/*
 * The variables a text may use, NULL-terminated: contact.name,
 * contact.first_name, contact.last_name, agent.name, agent.first_name,
 * organisation.name, office_hours.next_open, conversation.id, channel.name,
 * incident.status, incident.title, date.today. Static.
 */
extern const char *const template_variables[];

/* 1 when name (without braces or spaces) is one of template_variables. */
int template_variable_known(const char *name);

/*
 * Check a text's syntax: "{{ name }}" with optional spaces inside the
 * braces, every name known, no "{{" without its "}}", valid UTF-8, at most
 * TEMPLATE_TEXT_MAX bytes, not empty. CT_OK, or CT_ERR_INVALID with a
 * message in msg naming the variable or the problem ("unknown variable
 * {{contact.vorname}}").
 */
ct_err template_check_text(const char *text, buf *msg);

/*
 * Fill the variables of text from values (a JSON object: variable name ->
 * string; borrowed) into out, in one pass: a value that itself looks like
 * "{{...}}" is copied as it is, never expanded again. A variable without a
 * value (absent, null or "") is left in out as "{{name}}" and its name
 * appended to missing (a JSON array; may be NULL). The text must have
 * passed template_check_text.
 */
void template_render(const char *text, json_t *values, buf *out, json_t *missing);

/*
 * 1 when reply is text with each variable replaced by some text (possibly
 * another value than the one inserted) and nothing else changed; leading
 * and trailing white space and CR LF versus LF do not count. This is how a
 * reply that came from a template is told from one the agent edited.
 */
int template_matches(const char *text, const char *reply);

/* The name of the first "{{variable}}" of a known variable left in text
 * (an unfilled placeholder) into name; 0 when there is none. */
int template_find_placeholder(const char *text, buf *name);

/* The length of text as the platforms count it: Unicode code points after
 * NFC normalisation. Invalid UTF-8 counts byte by byte. */
size_t template_text_length(const char *text);

/* The longest text a channel kind takes ("x": 280, "sms": 160, "mastodon":
 * 500, "instagram": 1000, "telegram" and "whatsapp": 4096, "facebook":
 * 8000); 0 for no limit ("email", "web", "api", "any", unknown kinds). */
size_t template_channel_limit(const char *kind);

/* 1 when kind may name a variant's channel: "any" or a kind of
 * template_channel_limit's list, "email", "web" or "api". */
int template_channel_known(const char *kind);

/* ---- Templates as stored (store.c) -------------------------------------- */

/*
 * Create a template from body {name, intents: [..], review_interval_days
 * (optional, default 180), variants: [{language, channel, text}], note
 * (optional)}: the template in status draft with version 1 by who. Every
 * field is checked before anything is written: CT_ERR_INVALID with d naming
 * the field ("variants[1].text") and the problem (an unknown variable, a
 * text longer than the channel takes with sample values filled in, two
 * variants for the same language and channel, a language code that is not
 * two or three lower-case letters); CT_ERR_CONFLICT when the name is taken.
 * Audited "template.created". *id gets the new id.
 */
ct_err template_create(store *s, const actor *who, json_t *body, int64_t *id, err_detail *d);

/*
 * A new version of template id from body (the same fields as create, each
 * optional: what is left out is taken from the newest version; "name"
 * renames). The new version is a draft, and the template's status becomes
 * draft; its approved version stays usable. CT_ERR_NOT_FOUND; CT_ERR_CONFLICT
 * when the template is retired or the new name is taken; CT_ERR_INVALID as
 * for create. Audited "template.updated".
 */
ct_err template_update(store *s, const actor *who, int64_t id, json_t *body, err_detail *d);

typedef struct template_filter {
	const char *status; /* draft, in_review, approved, retired; NULL: all but retired */
	const char *intent; /* NULL: any */
	const char *language;
	const char *q;    /* part of the name or a text, any case; NULL: any */
	int review;       /* 1: only templates due for review or expired */
	int64_t now;      /* for review states */
	int64_t grace_ms; /* templates.review_grace_days in ms */
} template_filter;

/*
 * Templates by name. Each: {id, name, status, intents, languages,
 * channels, current_version, approved_version, review_interval_days,
 * approved_at, approved_by, review_due_at, expires_at (due plus grace),
 * review_state ("none": never approved or retired, "ok", "due": past due
 * but in the grace period, "expired"), usable (bool), updated_at}.
 */
ct_err template_list(store_conn *c, const template_filter *f, json_t **out);

/*
 * One template as in the list, plus "versions" (every version without its
 * texts, newest first: {number, state, created_by, created_at,
 * submitted_by, submitted_at, approved_by, approved_at, review_comment}),
 * "current" (the newest version with intents, variants and note) and
 * "approved" (the approved version, or null). CT_ERR_NOT_FOUND.
 */
ct_err template_get(store_conn *c, int64_t id, int64_t now, int64_t grace_ms, json_t **out);

/* One version {number, state, intents, variants, note, created_by, ...}.
 * CT_ERR_NOT_FOUND. */
ct_err template_version_get(store_conn *c, int64_t id, int64_t number, json_t **out);

/* A unified diff of two versions (their intents and texts, one block per
 * variant) appended to out. CT_ERR_NOT_FOUND. */
ct_err template_diff(store_conn *c, int64_t id, int64_t a, int64_t b, buf *out);

/* ---- Workflow (workflow.c) ---------------------------------------------- */

/* The newest version, a draft, goes to review. CT_ERR_CONFLICT when it is
 * not a draft. Audited "template.submitted". */
ct_err template_submit(store *s, const actor *who, int64_t id, err_detail *d);

/*
 * Approve version number (which must be the newest, and in review) of
 * template id. who must be a signed-in user (not an API token) other than
 * the version's author; the route admits supervisors and admins only.
 * CT_ERR_FORBIDDEN (d says "four eyes: ...") when who wrote it or is no
 * user; CT_ERR_CONFLICT when that version is not in review (another
 * version was written meanwhile). The earlier approved version is
 * superseded; the review clock starts again. Audited "template.approved".
 */
ct_err template_approve(store *s, const actor *who, int64_t id, int64_t number, err_detail *d);

/* Send the version in review back to its author with comment (required).
 * Audited "template.returned". */
ct_err template_return(store *s, const actor *who, int64_t id, const char *comment, err_detail *d);

/*
 * Confirm an approved template at its review without changing it: the
 * review clock starts again. The four-eyes rule as for approve (who did not
 * write the approved version). CT_ERR_CONFLICT when nothing is approved.
 * Audited "template.confirmed".
 */
ct_err template_confirm(store *s, const actor *who, int64_t id, err_detail *d);

/*
 * Retire template id: never used again. CT_ERR_CONFLICT (d explains) when
 * active (the live concept, may be NULL) names it for an automatic reply.
 * Audited "template.retired".
 */
ct_err template_retire(store *s, const actor *who, int64_t id, const struct concept *active,
		       err_detail *d);

/* ---- Use (use.c) --------------------------------------------------------- */

/* What rendering knows besides the store. */
typedef struct template_env {
	const char *org_name;          /* organisation.name */
	const struct concept *concept; /* office_hours.next_open; may be NULL */
	int64_t now;
	int64_t grace_ms; /* templates.review_grace_days in ms */
} template_env;

/*
 * The values of every variable for a reply in conversation_id by the user
 * agent_user_id (0: the organisation, for automatic replies) as a JSON
 * object; variables without a value are absent. office_hours.next_open is
 * written in the conversation's language ("24.11.2026, 08:00 Uhr" in
 * German, "2026-11-24 08:00" otherwise). CT_ERR_NOT_FOUND.
 */
ct_err template_values(store_conn *c, const template_env *env, int64_t conversation_id,
		       int64_t agent_user_id, json_t **out);

/* The time at in k's time zone (UTC when k is NULL) into out (size bytes):
 * "24.11.2026, 08:00 Uhr" for language "de" (and NULL), "2026-11-24 08:00"
 * for any other language. office_hours.next_open is written so. */
void template_format_local_time(const struct concept *k, int64_t at, const char *language,
				char *out, size_t size);

/* A usable variant of a template. */
typedef struct template_choice {
	int64_t template_id;
	int64_t version;
	char name[TEMPLATE_NAME_MAX + 1];
	char language[8];
	char channel[16];
	buf text; /* the variant's text, variables unfilled; the caller frees it */
} template_choice;

/*
 * The variant of template id (or, with id 0, of the template called name)
 * for language and channel kind: the approved version's variant in that
 * language for that channel, else for "any", else (other language) none.
 * CT_ERR_NOT_FOUND when there is no such template or variant;
 * CT_ERR_CONFLICT (d says why: "retired", "not approved", "review expired
 * on ...") when the template may not be used now. out->text is initialised
 * either way; buf_free it.
 */
ct_err template_choose(store_conn *c, const template_env *env, int64_t id, const char *name,
		       const char *language, const char *channel_kind, template_choice *out,
		       err_detail *d);

/*
 * Whether the template called name may be used now: CT_OK;
 * CT_ERR_NOT_FOUND when there is none; CT_ERR_CONFLICT with the reason in
 * d->message ("retired", "not approved", "review expired on YYYY-MM-DD").
 * The one rule template_choose, suggestions and concept activation share.
 */
ct_err template_usable(store_conn *c, const template_env *env, const char *name, err_detail *d);

/*
 * Suggestions for a reply in conversation_id by agent_user_id: the usable
 * templates with a variant in the conversation's language (any channel
 * fitting its channel kind), best first: those whose intents hold the
 * conversation's intent, then by use in the last 90 days, then by name. At
 * most limit. Each: {template_id, name, version, intents, language,
 * channel, text (filled), missing (variables without a value), length,
 * limit (the channel's, 0: none), intent_match (bool), review_state}.
 */
ct_err template_suggest(store_conn *c, const template_env *env, int64_t conversation_id,
			int64_t agent_user_id, int limit, json_t **out);

/*
 * A preview of variants (a JSON array of {language, channel, text}, as in
 * a version; borrowed), each filled from conversation_id as the user
 * agent_user_id would send it: [{language, channel, text (filled), missing,
 * length, limit, too_long (bool)}]. CT_ERR_NOT_FOUND for no such
 * conversation; CT_ERR_INVALID (d names the field) for a bad variant.
 */
ct_err template_preview(store_conn *c, const template_env *env, json_t *variants,
			int64_t conversation_id, int64_t agent_user_id, json_t **out,
			err_detail *d);

/* ---- Reports (report.c) -------------------------------------------------- */

/*
 * Use of templates in replies sent between from and to (ms): {"from",
 * "to", "templates": [{template_id, name, uses, deviations,
 * deviation_rate}], "agents": [{template_id, name, agent, uses, deviations,
 * deviation_rate}], "review": [templates due for review or expired, as in
 * template_list], "replies": {total, from_template, deviated}}. Automatic
 * replies count as uses by the agent "system".
 */
ct_err template_report(store_conn *c, int64_t from, int64_t to, int64_t now, int64_t grace_ms,
		       json_t **out);

/* ---- Import and export (io.c) -------------------------------------------- */

/*
 * Every template that is not retired, newest version, as a document
 * {"templates": [{name, intents, review_interval_days, variants, status,
 * approved_version}]} in format "json" or "yaml" appended to out. Status
 * and approved_version are for the reader; import ignores them.
 */
ct_err template_export(store_conn *c, const char *format, buf *out);

/*
 * Import a document of that shape (format "json" or "yaml", len bytes at
 * most TEMPLATE_IMPORT_MAX): a template whose name is new is created as a
 * draft, one whose texts, intents or interval differ from its newest
 * version gets a new draft version, an identical one is left alone. Nothing
 * is approved by an import. All or nothing: the whole document is checked
 * first; CT_ERR_INVALID with d naming the field
 * ("templates[3].variants[0].text") and, for YAML, the line in d->message.
 * *report gets {"created": [names], "updated": [names], "unchanged":
 * [names]}. Audited per template as create and update are.
 */
ct_err template_import(store *s, const actor *who, const char *format, const char *text, size_t len,
		       json_t **report, err_detail *d);

/* ---- The environment of a running server (env.c) ------------------------- */

struct app;
struct config;
struct triage_engine;

/* templates.review_grace_days of cfg in ms: how long a template past its
 * review date may still be used. */
int64_t template_grace_ms(const struct config *cfg);

/*
 * env from the app: org_name = cfg.org_name, concept = the active concept,
 * now = time_now_ms(), grace_ms = cfg.templates_review_grace_days in ms.
 * *hold gets the active concept's engine (NULL when none is active), a
 * reference that env->concept points into: pass it to template_env_release
 * when done. Used by the API and the web pages alike.
 */
void template_env_from_app(struct app *a, template_env *env, struct triage_engine **hold);
void template_env_release(template_env *env, struct triage_engine *hold);

#endif

/*
 * templates_web.h: what the pages about approved wording share among
 * themselves (internal to web/): the template list and editor
 * (templates.c, templates_edit.c, templates_preview.c, templates_flow.c),
 * the approval queue
 * (approvals.c), the report (reports.c) and the reply box (composer.c).
 *
 * The pages are thin views over templates/templates.h and the held
 * replies of inbox/inbox.h; the route table admits the roles.
 */
#ifndef CT_WEB_TEMPLATES_WEB_H
#define CT_WEB_TEMPLATES_WEB_H

#include <jansson.h>

#include "templates/templates.h"
#include "web/pages.h"

/* The channel kinds a variant may name, NULL-ended ("any" first). */
extern const char *const web_template_channels[];

/* Everything rendering needs from the app (organisation, the live
 * concept, now, the grace period: template_env_from_app);
 * web_template_env_release gives the concept back. */
typedef struct web_tenv {
	template_env env;
	struct triage_engine *engine; /* the concept's engine reference; private */
} web_tenv;

void web_template_env(web_page *p, web_tenv *t);
void web_template_env_release(web_tenv *t);

/* "Draft", "In review", ... for a template or version state; "OK",
 * "Due", "Expired" for a review state. Static or gettext storage. */
const char *web_template_status_label(const char *status);
const char *web_template_review_label(const char *state);

/* A badge with the template's status (and its review state when due or
 * expired). */
void web_template_badges(web_page *p, json_t *item);

/* The page frame of /templates...: layout, a sub-navigation (tab: "all",
 * "review", "new", or NULL), the heading title and ?done= messages.
 * web_templates_close ends and sends it with status. */
void web_templates_open(web_page *p, const char *tab, const char *title);
void web_templates_close(web_page *p, int status);

/* A person as stored ("user:anna@example.org") without the prefix. */
const char *web_actor_label(const char *name);

/* The live character counter of the textarea id ("n / limit", app.js
 * fills it) with its limit (0: none). */
void web_char_counter(web_page *p, const char *id, size_t limit);

/* The editor's page of template id (0: a new one): the form with what
 * was posted (form: 1) or stored, error (may be NULL), preview (the
 * result of template_preview, may be NULL), status. In templates_edit.c. */
typedef struct web_template_view {
	int from_form;             /* show the posted fields instead of the stored ones */
	const err_detail *error;   /* a refused save; NULL: none */
	const char *flash_error;   /* a refused workflow step (plain text); NULL: none */
	json_t *preview;           /* template_preview's rows; NULL: none */
	const char *preview_error; /* plain text; NULL: none */
} web_template_view;

void web_template_page(web_page *p, int64_t id, const web_template_view *view, int status);

/* The variants of the posted editor form ([{language, channel, text}],
 * rows without a text left out; new reference). templates_edit.c */
json_t *web_template_posted_variants(http_request *req);

/* "Any channel", "E-mail", "X", ... for a channel kind. Static or gettext
 * storage. templates_edit.c */
const char *web_template_channel_label(const char *kind);

/* The preview (#preview) of rows (template_preview's result; NULL: none
 * yet) or error (plain text; NULL: none). templates_preview.c */
void web_template_preview_section(web_page *p, json_t *rows, const char *error);

/* The workflow part of the editor's page for tpl (template_get's view):
 * status, buttons the viewer may use, history, compare. templates_flow.c */
void web_template_workflow(web_page *p, json_t *tpl);

/* s with every CR LF (and lone CR) as LF, as browsers post textareas
 * with CR LF: a new string the caller frees ("" for NULL). */
char *web_text_lf(const char *s);

/* The reply box (#composer) of conversation id (conv: inbox_get's or
 * inbox_conversation's view) with the templates panel; draft (may be
 * NULL: empty, or the template of ?template= inserted) keeps what was
 * typed after a refused post. In composer.c. */
typedef struct web_draft {
	const char *text;    /* NULL: empty */
	int64_t template_id; /* 0: none */
	json_t *missing;     /* variables to fill (array); may be NULL */
	const char *error;   /* plain text; NULL: none */
	const char *notice;  /* plain text (the reply is held); NULL: none */
} web_draft;

void web_composer(web_page *p, int64_t id, json_t *conv, const web_draft *draft);

/* The number of pending held replies the user sees (for the navigation). */
int web_held_pending_count(web_page *p);

#endif

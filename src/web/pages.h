/*
 * pages.h: what the page files of web/ share among themselves (internal to
 * web/): the inbox filter in the query string, the panes that several pages
 * render, small views of conversations, and the route handlers.
 */
#ifndef CT_WEB_PAGES_H
#define CT_WEB_PAGES_H

#include <jansson.h>

#include "inbox/inbox.h"
#include "web/web.h"

/* The inbox filter as query keys, in this order. */
enum { WF_VIEW, WF_STATUS, WF_CHANNEL, WF_LANGUAGE, WF_PRIORITY, WF_TAG, WF_Q, WEB_FILTER_KEYS };

typedef struct web_filter {
	const char *value[WEB_FILTER_KEYS]; /* NULL: not set; owned by the request */
	const char *cursor;
} web_filter;

/* Read the filter from the request's query. */
void web_filter_read(http_request *req, web_filter *f);

/* Append the filter as a query string ("?view=mine&..."), with key set to
 * value (NULL: removed; key -1: no change). Returns 1 if anything was
 * written. */
int web_filter_query(html *h, const web_filter *f, int key, const char *value);

/* The query key of filter key i ("view", ...). Static storage. */
const char *web_filter_name(int key);

/* The part of the inbox the signed-in user may see (the rule of the API). */
void web_scope(const principal *who, inbox_scope *scope);

/* The inbox page with every pane; conversation_id 0 for none open. */
void web_inbox_page(web_page *p, const web_filter *f, int64_t conversation_id);

/* The conversation list (#list) for the filter. */
void web_list_pane(web_page *p, const web_filter *f, int64_t open_id);

/* The open conversation (#conversation); error is a message to show above
 * the reply box (plain text) or NULL. Writes a "not found" pane when the
 * conversation is not in view. */
void web_conversation_pane(web_page *p, const web_filter *f, int64_t id, const char *error);

/* Small views. */
void web_channel_icon(web_page *p, const char *kind);
void web_status_badges(web_page *p, json_t *conversation);
const char *web_status_label(const char *status);
int64_t web_json_time(json_t *o, const char *key);

/* Route handlers: inbox.c */
void web_inbox(http_request *req, http_response *res);
void web_inbox_list(http_request *req, http_response *res);

/* Route handlers: conversation.c */
void web_conversation(http_request *req, http_response *res);
void web_conversation_messages(http_request *req, http_response *res);
void web_conversation_meta(http_request *req, http_response *res);
void web_conversation_reply(http_request *req, http_response *res);
void web_conversation_note(http_request *req, http_response *res);
void web_conversation_retry(http_request *req, http_response *res);
void web_conversation_update(http_request *req, http_response *res);
void web_conversation_presence(http_request *req, http_response *res);

/* Route handlers: search.c */
void web_search(http_request *req, http_response *res);

/* Route handlers: contacts.c */
void web_contacts(http_request *req, http_response *res);
void web_contact(http_request *req, http_response *res);
void web_contact_erase(http_request *req, http_response *res);

/* --- Settings and profile: what their pages share (settings.c) --- */

/* A refused form field: field names it (also the element's id), message
 * says what to do (plain text, translated). NULL or {NULL, NULL}: none. */
typedef struct web_field_error {
	const char *field;
	const char *message;
} web_field_error;

/* One input with its label, hint and error (see web_input). */
typedef struct web_field {
	const char *type;         /* "text", "email", "password", "url" */
	const char *name;         /* the form field; also the element's id (see id) */
	const char *label;        /* plain text */
	const char *value;        /* NULL: empty */
	const char *autocomplete; /* NULL: "off" */
	const char *hint;         /* plain text shown under the label; NULL: none */
	int required;
	int maxlength;  /* 0: no limit */
	const char *id; /* the element's id when it is not name (repeated fields) */
} web_field;

/* The audit actor of the page's user (borrows the principal's strings). */
void web_actor(const web_page *p, actor *out);

/* Answer 303 to path (a path on this site) instead of a page. */
void web_go(web_page *p, const char *path);

/* "Administrator", ... for a role name; "Deutsch"/"English" for "de"/"en".
 * Static or gettext storage. */
const char *web_role_label(const char *role);
const char *web_language_label(const char *lang);

/* The short confirmation named by ?done= (a fixed list), role="status". */
void web_done_message(web_page *p);

/* Open a settings page (section: "users", "teams", "channels", "tokens",
 * "concept"): the layout, the settings sub-navigation (the sections the
 * user's role may open), the heading title and any confirmation.
 * web_settings_close ends and sends it with status. */
void web_settings_open(web_page *p, const char *section, const char *title);
void web_settings_close(web_page *p, int status);

/* Open a table inside a region that scrolls sideways on narrow screens,
 * named by caption (hidden; id is the caption's element id), with the
 * column headings columns (NULL-ended); the caller writes the rows of the
 * body, then web_table_close. */
void web_table_open(web_page *p, const char *id, const char *caption, const char *const *columns);
void web_table_close(web_page *p);

/* The users and teams (users_list, teams_list) into *users and *teams (new
 * references, the caller's); on failure answers an error page. */
ct_err web_read_people(web_page *p, json_t **users, json_t **teams);

/* err's message when it is about field, else NULL. */
const char *web_error_for(const web_field_error *err, const char *field);

/* The error paragraph of field id (role="alert", id "<id>-error") when err
 * is about it; and the attributes that tie a control to its hint (when
 * hint) and error (aria-describedby, aria-invalid). */
void web_field_message(web_page *p, const web_field_error *err, const char *id);
void web_field_attrs(web_page *p, const web_field_error *err, const char *id, int hint);

/* Form controls with their labels and errors. values is NULL-ended,
 * labels parallel to it. */
void web_input(web_page *p, const web_field *f, const web_field_error *err);
void web_select(web_page *p, const char *name, const char *label, const char *const *values,
		const char *const *labels, const char *selected, const web_field_error *err);
void web_language_select(web_page *p, const char *name, const char *selected,
			 const web_field_error *err);
void web_role_select(web_page *p, const char *name, const char *selected,
		     const web_field_error *err);

/* A fieldset of checkboxes named name, one per row of rows ([{id, name}]),
 * ticked when the id is in checked (an array of ids); none is said when
 * rows is empty. */
void web_checkboxes(web_page *p, const char *name, const char *legend, json_t *rows,
		    json_t *checked, const char *none, const web_field_error *err);

/* The posted fields name as an array of ids (new reference); a value that
 * is not a positive number becomes -1, which the domain refuses. */
json_t *web_form_ids(http_request *req, const char *name);

/* A posted field, "" when absent. Owned by the request. */
const char *web_form_text(http_request *req, const char *name);

/* Route handlers: settings.c (teams) */
void web_settings_teams(http_request *req, http_response *res);
void web_settings_team_create(http_request *req, http_response *res);
void web_settings_team(http_request *req, http_response *res);
void web_settings_team_update(http_request *req, http_response *res);

/* Route handlers: settings_users.c */
void web_settings_users(http_request *req, http_response *res);
void web_settings_user_create(http_request *req, http_response *res);
void web_settings_user(http_request *req, http_response *res);
void web_settings_user_update(http_request *req, http_response *res);

/* Route handlers: settings_channels.c (channels and API tokens) */
/* A channel's health (channel_health.c): a badge for the list, a card for
 * its page; ch is the channel as channel_settings_get gives it. */
void web_channel_health_badge(web_page *p, json_t *ch);
void web_channel_health(web_page *p, json_t *ch);

void web_settings_channels(http_request *req, http_response *res);
void web_settings_channel_create(http_request *req, http_response *res);
void web_settings_channel(http_request *req, http_response *res);
void web_settings_channel_update(http_request *req, http_response *res);
void web_settings_tokens(http_request *req, http_response *res);
void web_settings_token_create(http_request *req, http_response *res);
void web_settings_token_revoke(http_request *req, http_response *res);

/* Route handlers: settings_concept.c (admins and supervisors) */
void web_settings_concept(http_request *req, http_response *res);
void web_settings_concept_check(http_request *req, http_response *res);
void web_settings_concept_save(http_request *req, http_response *res);
void web_settings_concept_activate(http_request *req, http_response *res);
void web_settings_concept_diff(http_request *req, http_response *res);

/* Route handlers: profile.c (any signed-in user) */
void web_profile(http_request *req, http_response *res);
void web_profile_away(http_request *req, http_response *res);
void web_profile_language(http_request *req, http_response *res);
void web_profile_password(http_request *req, http_response *res);
void web_profile_logout_all(http_request *req, http_response *res);
void web_second_factor_setup_page(http_request *req, http_response *res);
void web_second_factor_start(http_request *req, http_response *res);
void web_second_factor_enable(http_request *req, http_response *res);
void web_second_factor_disable(http_request *req, http_response *res);

/* Route handlers: templates.c, templates_edit.c, templates_flow.c,
 * approvals.c, reports.c, composer.c (approved wording; templates_web.h) */
void web_templates(http_request *req, http_response *res);
void web_template_new(http_request *req, http_response *res);
void web_template(http_request *req, http_response *res);
void web_template_create(http_request *req, http_response *res);
void web_template_save(http_request *req, http_response *res);
void web_template_preview(http_request *req, http_response *res);
void web_template_submit(http_request *req, http_response *res);
void web_template_approve(http_request *req, http_response *res);
void web_template_return(http_request *req, http_response *res);
void web_template_confirm(http_request *req, http_response *res);
void web_template_retire(http_request *req, http_response *res);
void web_approvals(http_request *req, http_response *res);
void web_approval_approve(http_request *req, http_response *res);
void web_approval_reject(http_request *req, http_response *res);
void web_report_templates(http_request *req, http_response *res);
void web_templates_import_form(http_request *req, http_response *res);
void web_templates_import(http_request *req, http_response *res);
void web_conversation_compose(http_request *req, http_response *res);

#endif

/*
 * settings_concept.c: the dialog concept in the settings (administrators
 * and supervisors; the route table says who).
 *
 * GET /settings/concept shows the active version (name, id, when and by
 * whom it was activated, its YAML), the history of every stored version
 * with a button to activate an older one and a link to compare it with
 * the active one, and an editor: a textarea prefilled with the active YAML
 * and two buttons. "Check" (POST /settings/concept/check) parses the draft
 * and shows the page again with "valid" or every error (line, column, key
 * path, message), keeping what was typed; nothing is stored. "Save and
 * activate" (POST /settings/concept) stores the draft as a new version and
 * activates it in one write, then reloads the live engine; a refused draft
 * comes back with its errors and the running concept stays.
 * POST /settings/concept/{id}/activate switches to a stored version.
 * GET /settings/concept/diff?from=A&to=B shows the unified diff of two
 * versions, line by line, with a form to choose them.
 *
 * Everything goes through triage/versions.h, as the JSON API does, so the
 * same checks (every team the concept names must exist) and the same
 * audit entries apply. The YAML and the diff are text from users: they are
 * escaped like any other text (html_printf).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "core/i18n.h"
#include "templates/templates.h"
#include "triage/versions.h"
#include "web/pages.h"

/* What the page shows besides the stored state: the editor's text and the
 * result of a check or a refused save. */
typedef struct concept_view {
	const char *draft;          /* the textarea's text; NULL: the active YAML */
	const concept_errors *errs; /* errors to list; NULL or empty: none */
	const char *valid_name;     /* a check passed: the draft's name; else NULL */
	int64_t refused_version;    /* activation of this stored version was refused */
} concept_view;

/* An actor as stored ("user:anna@example.org") for people: the address
 * without the "user:" prefix. Borrowed from name; "" for NULL. */
static const char *actor_label(const char *name)
{
	if (!name)
		return "";
	return strncmp(name, "user:", 5) == 0 ? name + 5 : name;
}

/* The confirmation after a redirect back here (?done=...). */
static void done_message(web_page *p)
{
	const char *done = http_query(p->req, "done");
	const char *message = NULL;
	if (done && strcmp(done, "concept") == 0)
		message = _("The concept was saved and is active now. New messages are triaged "
			    "with it.");
	else if (done && strcmp(done, "concept-activated") == 0)
		message = _("The version is active now. New messages are triaged with it.");
	if (message)
		html_printf(&p->h, "<p class=\"flash ok\" role=\"status\">%s</p>", message);
}

/* The list of errors of a draft (id "source-error", role="alert"), headed
 * by intro (plain text). */
static void error_list(web_page *p, const char *intro, const concept_errors *errs)
{
	html_printf(&p->h,
		    "<div class=\"flash error concept-errors\" id=\"source-error\" role=\"alert\">"
		    "<p>%s</p><ul>",
		    intro);
	for (size_t i = 0; i < errs->n; i++) {
		const concept_error *e = &errs->items[i];
		char where[96] = "";
		if (e->line > 0)
			snprintf(where, sizeof(where), _("Line %d, column %d"), e->line, e->column);
		html_printf(&p->h, "<li>");
		if (where[0])
			html_printf(&p->h, "<span class=\"where\">%s</span>: ", where);
		if (e->path[0])
			html_printf(&p->h, "<code>%s</code>: ", e->path);
		html_printf(&p->h, "%s</li>", e->message);
	}
	html_printf(&p->h, "</ul></div>");
}

/* The active version: its facts and its YAML; or what a concept is when
 * none is active. who_activated is the audit's actor (may be NULL). */
static void active_card(web_page *p, json_t *active, const char *who_activated)
{
	html_printf(&p->h,
		    "<section class=\"card concept-active\" aria-labelledby=\"active-h\">"
		    "<h2 id=\"active-h\">%s</h2>",
		    _("Active version"));
	if (!active) {
		html_printf(&p->h, "<p><strong>%s</strong></p><p>%s</p></section>",
			    _("No concept is active yet."),
			    _("A dialog concept is the written policy for incoming messages: it "
			      "recognises what a message is about and sets its team, priority, "
			      "response times and automatic replies. Every key is explained in "
			      "docs/concept.md; docs/examples/concept-stadtwerk.yaml is a complete "
			      "example."));
		return;
	}
	char when[48];
	web_format_time(p, web_json_time(active, "activated_at"), when, sizeof(when));
	html_printf(&p->h,
		    "<dl class=\"facts\"><dt>%s</dt><dd id=\"active-name\">%s</dd>"
		    "<dt>%s</dt><dd id=\"active-version\">%lld</dd><dt>%s</dt><dd>%s",
		    _("Name"), json_string_value(json_object_get(active, "name")), _("Version"),
		    (long long)json_integer_value(json_object_get(active, "id")), _("Activated"),
		    when);
	if (who_activated)
		html_printf(&p->h, " · %s", actor_label(who_activated));
	html_printf(&p->h,
		    "</dd></dl><h3 id=\"active-source-h\">%s</h3>"
		    "<pre class=\"concept-source\" tabindex=\"0\" "
		    "aria-labelledby=\"active-source-h\"><code>%s</code></pre></section>",
		    _("The concept as written"),
		    json_string_value(json_object_get(active, "source")));
}

/* One row of the history: the version, and for inactive ones the button
 * that activates it and the link that compares it with the active one. */
static void version_row(web_page *p, json_t *v, int64_t active_id)
{
	int64_t id = json_integer_value(json_object_get(v, "id"));
	int active = json_is_true(json_object_get(v, "active"));
	char stored[48];
	web_format_time(p, web_json_time(v, "created_at"), stored, sizeof(stored));
	html_printf(&p->h,
		    "<tr id=\"version-%lld\"><th scope=\"row\">%lld</th><td>%s</td><td>%s</td>"
		    "<td>%s</td>",
		    (long long)id, (long long)id, json_string_value(json_object_get(v, "name")),
		    stored, actor_label(json_string_value(json_object_get(v, "created_by"))));
	if (active) {
		html_printf(&p->h,
			    "<td><span class=\"badge resolved\">%s</span></td><td></td></tr>",
			    _("active"));
		return;
	}
	html_printf(&p->h,
		    "<td></td><td><div class=\"actions\">"
		    "<form method=\"post\" action=\"/settings/concept/%lld/activate\">",
		    (long long)id);
	web_csrf_field(p);
	html_printf(&p->h, "<button type=\"submit\" class=\"secondary\">%s</button></form>",
		    _("Activate"));
	if (active_id)
		html_printf(&p->h,
			    "<a href=\"/settings/concept/diff?from=%lld&amp;to=%lld\">%s</a>",
			    (long long)active_id, (long long)id, _("Compare with active"));
	html_printf(&p->h, "</div></td></tr>");
}

/* The history table of versions (concept_version_list), newest first. */
static void history(web_page *p, json_t *versions, int64_t active_id)
{
	const char *columns[] = {_("Version"), _("Name"),    _("Stored"), _("By"),
				 _("Status"),  _("Actions"), NULL};
	html_printf(&p->h, "<h2 id=\"history-h\">%s</h2>", _("History"));
	if (!json_array_size(versions)) {
		html_printf(&p->h, "<p class=\"muted\">%s</p>", _("No version is stored yet."));
		return;
	}
	web_table_open(p, "history-caption", _("Stored versions"), columns);
	size_t i;
	json_t *v;
	json_array_foreach(versions, i, v) version_row(p, v, active_id);
	web_table_close(p);
}

/* The editor: the result of a check or a refused save, the textarea with
 * text, and the buttons Check and Save and activate. */
static void editor(web_page *p, const char *text, const concept_view *view)
{
	int bad = view && view->errs && view->errs->n && !view->refused_version;
	html_printf(&p->h,
		    "<section class=\"card concept-edit\" aria-labelledby=\"edit-h\">"
		    "<h2 id=\"edit-h\">%s</h2>"
		    "<form method=\"post\" action=\"/settings/concept\">",
		    _("Change the concept"));
	web_csrf_field(p);
	html_printf(&p->h,
		    "<div class=\"field\"><label for=\"source\">%s</label>"
		    "<p class=\"field-hint\" id=\"source-hint\">%s</p>",
		    _("The concept (YAML)"),
		    _("Check shows every error with its line; nothing is stored. Save and activate "
		      "stores a new version and triages new messages with it. The teams it names "
		      "must exist."));
	if (view && view->valid_name) {
		char ok[400];
		snprintf(ok, sizeof(ok), _("The concept \"%s\" is valid."), view->valid_name);
		html_printf(&p->h, "<p class=\"flash ok\" id=\"source-ok\" role=\"status\">%s</p>",
			    ok);
	}
	if (bad) {
		char intro[200];
		snprintf(intro, sizeof(intro),
			 ngettext("The concept has %zu error. Nothing was stored.",
				  "The concept has %zu errors. Nothing was stored.", view->errs->n),
			 view->errs->n);
		error_list(p, intro, view->errs);
	}
	html_printf(&p->h,
		    "<textarea id=\"source\" name=\"source\" rows=\"24\" spellcheck=\"false\" "
		    "autocomplete=\"off\" autocapitalize=\"off\" class=\"code\" "
		    "aria-describedby=\"source-hint%s\"",
		    bad ? " source-error" : "");
	if (bad)
		html_printf(&p->h, " aria-invalid=\"true\"");
	html_printf(&p->h,
		    ">\n%s</textarea></div>"
		    "<p class=\"actions\"><button type=\"submit\" class=\"secondary\" "
		    "formaction=\"/settings/concept/check\">%s</button>"
		    "<button type=\"submit\">%s</button></p></form></section>",
		    text ? text : "", _("Check"), _("Save and activate"));
}

/* Who activated version id last (the audit's actor), new reference or
 * NULL. Inside the reader c. */
static json_t *activation_entry(store_conn *c, int64_t id)
{
	audit_filter f = {.object_type = "concept_version",
			  .object_id = id,
			  .action = "concept.activated",
			  .limit = 1};
	json_t *rows = NULL;
	int64_t next = 0;
	if (audit_list(c, &f, &rows, &next) != CT_OK) {
		json_decref(rows);
		return NULL;
	}
	json_t *row = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return row;
}

/* The whole concept page with status; view adds the editor's text and a
 * result (NULL: the stored state only). */
static void concept_page(web_page *p, int status, const concept_view *view)
{
	json_t *active = NULL, *versions = NULL, *entry = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = concept_version_get(c, 0, &active);
	if (err == CT_ERR_NOT_FOUND)
		err = CT_OK;
	if (!err)
		err = concept_version_list(c, &versions);
	if (!err && active)
		entry = activation_entry(c, json_integer_value(json_object_get(active, "id")));
	store_reader_release(p->a->store, c);
	if (err) {
		json_decref(active);
		json_decref(versions);
		web_error(p, 500, _("The concept could not be read."));
		return;
	}
	int64_t active_id = active ? json_integer_value(json_object_get(active, "id")) : 0;
	web_settings_open(p, "concept", _("Dialog concept"));
	done_message(p);
	if (view && view->refused_version && view->errs) {
		char intro[200];
		snprintf(intro, sizeof(intro),
			 _("Version %lld cannot be activated. The active version stays."),
			 (long long)view->refused_version);
		error_list(p, intro, view->errs);
	}
	active_card(p, active, json_string_value(json_object_get(entry, "actor")));
	history(p, versions, active_id);
	const char *text = view && view->draft
				   ? view->draft
				   : json_string_value(json_object_get(active, "source"));
	editor(p, text, view);
	web_settings_close(p, status);
	json_decref(entry);
	json_decref(active);
	json_decref(versions);
}

/* GET /settings/concept */
void web_settings_concept(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	concept_page(&p, 200, NULL);
}

/* errs as the one error e without a position, saying message. */
static void one_error(concept_error *e, concept_errors *errs, const char *message)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->message, sizeof(e->message), "%s", message);
	errs->items = e;
	errs->n = 1;
}

/* POST /settings/concept/check (source): the page with the draft and
 * whether it is valid, or its errors. Nothing is stored. */
void web_settings_concept_check(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	const char *source = web_form_text(req, "source");
	size_t len = strlen(source);
	concept_view view = {.draft = source};
	concept_error e;
	concept_errors one;
	if (len > CONCEPT_MAX_BYTES) {
		one_error(&e, &one, _("The concept is larger than 1 MiB."));
		view.errs = &one;
		concept_page(&p, 422, &view);
		return;
	}
	concept *k = NULL;
	concept_errors errs = {0};
	ct_err err = concept_parse(source, len, &k, &errs);
	view.errs = &errs;
	if (!err) {
		view.valid_name = k->name;
	} else if (!errs.n) {
		one_error(&e, &one, _("The concept could not be checked."));
		view.errs = &one;
	}
	concept_page(&p, 200, &view);
	concept_free(k);
	concept_errors_free(&errs);
}

/* POST /settings/concept (source): store the draft as a new version and
 * activate it, then back to the page; a refused draft comes back with its
 * errors (422) and nothing is stored. */
void web_settings_concept_save(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	actor who;
	web_actor(&p, &who);
	const char *source = web_form_text(req, "source");
	int64_t id = 0;
	concept_errors errs = {0};
	ct_err err = concept_version_add(p.a->store, &p.a->triage, &who, source, strlen(source), 1,
					 template_grace_ms(&p.a->cfg), &id, &errs);
	if (err == CT_ERR_INVALID) {
		concept_view view = {.draft = source, .errs = &errs};
		concept_page(&p, 422, &view);
	} else if (err) {
		web_error(&p, 500, _("The concept could not be saved. Try again."));
	} else {
		web_go(&p, "/settings/concept?done=concept");
	}
	concept_errors_free(&errs);
}

/* POST /settings/concept/{id}/activate: make a stored version the active
 * one, then back to the page. */
void web_settings_concept_activate(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	actor who;
	web_actor(&p, &who);
	int64_t id = http_param_id(req, 0);
	concept_errors errs = {0};
	ct_err err = id ? concept_version_activate(p.a->store, &p.a->triage, &who, id,
						   template_grace_ms(&p.a->cfg), &errs)
			: CT_ERR_NOT_FOUND;
	if (err == CT_ERR_NOT_FOUND) {
		web_error(&p, 404, _("There is no such version."));
	} else if (err == CT_ERR_INVALID) {
		concept_view view = {.errs = &errs, .refused_version = id};
		concept_page(&p, 422, &view);
	} else if (err) {
		web_error(&p, 500, _("The version could not be activated. Try again."));
	} else {
		web_go(&p, "/settings/concept?done=concept-activated");
	}
	concept_errors_free(&errs);
}

/* A <select> of the versions named name with selected chosen. */
static void version_select(web_page *p, const char *name, const char *label, json_t *versions,
			   int64_t selected)
{
	html_printf(&p->h,
		    "<div class=\"field\"><label for=\"%s\">%s</label>"
		    "<select id=\"%s\" name=\"%s\">",
		    name, label, name, name);
	size_t i;
	json_t *v;
	json_array_foreach(versions, i, v)
	{
		int64_t id = json_integer_value(json_object_get(v, "id"));
		int active = json_is_true(json_object_get(v, "active"));
		html_printf(&p->h, "<option value=\"%lld\"%s>%lld · %s%s%s%s</option>",
			    (long long)id, id == selected ? " selected" : "", (long long)id,
			    json_string_value(json_object_get(v, "name")), active ? " (" : "",
			    active ? _("active") : "", active ? ")" : "");
	}
	html_printf(&p->h, "</select></div>");
}

/* GET /settings/concept/diff?from=A&to=B: the changes from version A to
 * version B, and a form to choose two versions. */
void web_settings_concept_diff(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t from = http_parse_id(http_query(p.req, "from")),
		to = http_parse_id(http_query(p.req, "to"));
	json_t *versions = NULL;
	buf out;
	buf_init(&out, (size_t)8 << 20);
	store_conn *c = store_reader_acquire(p.a->store);
	ct_err err = concept_version_list(c, &versions);
	ct_err diff_err = CT_ERR_NOT_FOUND;
	if (!err && from && to)
		diff_err = concept_version_diff(c, from, to, &out);
	store_reader_release(p.a->store, c);
	if (err) {
		buf_free(&out);
		web_error(&p, 500, _("The versions could not be read."));
		return;
	}
	web_settings_open(&p, "concept", _("Compare versions"));
	html_printf(&p.h, "<form method=\"get\" action=\"/settings/concept/diff\" "
			  "class=\"card row pair concept-compare\">");
	version_select(&p, "from", _("From version"), versions, from);
	version_select(&p, "to", _("To version"), versions, to);
	html_printf(&p.h,
		    "<p class=\"actions\"><button type=\"submit\">%s</button> "
		    "<a href=\"/settings/concept\">%s</a></p></form>",
		    _("Compare"), _("Back to the concept"));
	int status = 200;
	if (from && to && diff_err == CT_ERR_NOT_FOUND) {
		status = 404;
		html_printf(&p.h, "<p class=\"flash error\" role=\"alert\">%s</p>",
			    _("There is no such version."));
	} else if (from && to && diff_err) {
		status = 500;
		html_printf(&p.h, "<p class=\"flash error\" role=\"alert\">%s</p>",
			    _("The versions could not be compared."));
	} else if (from && to) {
		char title[160];
		snprintf(title, sizeof(title), _("Changes from version %lld to version %lld"),
			 (long long)from, (long long)to);
		html_printf(&p.h, "<h2 id=\"diff-h\">%s</h2>", title);
		const char *text = buf_cstr(&out);
		size_t len = strlen(text);
		if (!strstr(text, "\n@@"))
			html_printf(&p.h, "<p class=\"muted\">%s</p>",
				    _("The two versions are the same."));
		else
			web_diff_block(&p, text, len, "diff-h");
	} else {
		html_printf(&p.h, "<p class=\"muted\">%s</p>",
			    _("Choose two versions to compare."));
	}
	web_settings_close(&p, status);
	buf_free(&out);
	json_decref(versions);
}

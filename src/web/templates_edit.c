/*
 * templates_edit.c: the editor of a template (GET /templates/new,
 * GET /templates/{id}) and its forms: save (POST /templates creates,
 * POST /templates/{id} stores a new version) and preview
 * (POST /templates/preview, in templates_preview.c).
 *
 * The editor has the name, the intents (comma separated), the review
 * interval, a note and the variants as rows of language, channel and text;
 * each text has a live character counter against its channel's limit
 * (app.js; the limit travels in the options' data attributes) and one
 * empty row to add a variant. The variables a text may use are listed. A
 * preview fills the texts from a real conversation the user may see
 * (template_preview); htmx swaps only the preview, a plain form gets the
 * whole page back with what was typed. A refused save comes back with the
 * typed fields and the domain's message at the field it names. Viewers
 * and retired templates get the same page read-only. Below the editor,
 * templates_flow.c adds the workflow, the history and the comparison;
 * templates_preview.c makes the preview.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/timeutil.h"
#include "web/templates_web.h"

/* What the editor shows: from a stored version or from the posted form.
 * All JSON is owned by the model. */
typedef struct tpl_form {
	const char *name; /* borrowed from the request or from tpl */
	json_t *intents;  /* array of strings */
	char interval[24];
	char *note;     /* owned */
	json_t *rows;   /* [{language, channel, text}] */
	json_t *rowmap; /* body index -> row index (from the form) */
} tpl_form;

static void form_free(tpl_form *m)
{
	json_decref(m->intents);
	json_decref(m->rows);
	json_decref(m->rowmap);
	free(m->note);
	memset(m, 0, sizeof(*m));
}

/* The intents typed as "a, b" into a JSON array (empty parts dropped). */
static json_t *split_intents(const char *v)
{
	json_t *list = json_array();
	while (v && *v) {
		size_t len = strcspn(v, ",");
		const char *start = v;
		while (len && (*start == ' ' || *start == '\t'))
			start++, len--;
		while (len && (start[len - 1] == ' ' || start[len - 1] == '\t'))
			len--;
		if (len)
			json_array_append_new(list, json_stringn(start, len));
		v += strcspn(v, ",");
		v += *v == ',';
	}
	return list;
}

/* 1 when s is empty or only white space. */
static int blank(const char *s)
{
	return !s || !s[strspn(s, " \t\r\n")];
}

/* The model from the posted fields; rows without a text are dropped from
 * the body (rowmap keeps where each body row came from). */
static void form_from_request(http_request *req, tpl_form *m)
{
	memset(m, 0, sizeof(*m));
	m->name = web_form_text(req, "name");
	m->intents = split_intents(web_form_text(req, "intents"));
	snprintf(m->interval, sizeof(m->interval), "%s",
		 web_form_text(req, "review_interval_days"));
	m->note = web_text_lf(web_form_text(req, "note"));
	m->rows = json_array();
	m->rowmap = json_array();
	for (int i = 0; i < TEMPLATE_VARIANTS_MAX * 2; i++) {
		const char *lang = http_form_nth(req, "variant_language", i);
		const char *chan = http_form_nth(req, "variant_channel", i);
		const char *text = http_form_nth(req, "variant_text", i);
		if (!lang && !chan && !text)
			break;
		if (blank(text))
			continue;
		char *t = web_text_lf(text);
		json_array_append_new(m->rows,
				      json_pack("{s:s, s:s, s:s}", "language", lang ? lang : "",
						"channel", chan ? chan : "any", "text", t));
		json_array_append_new(m->rowmap, json_integer((json_int_t)i));
		free(t);
	}
}

json_t *web_template_posted_variants(http_request *req)
{
	tpl_form m;
	form_from_request(req, &m);
	json_t *rows = json_incref(m.rows);
	form_free(&m);
	return rows;
}

/* The model from template_get's current version. */
static void form_from_template(json_t *tpl, tpl_form *m)
{
	memset(m, 0, sizeof(*m));
	json_t *cur = json_object_get(tpl, "current");
	m->name = json_string_value(json_object_get(tpl, "name"));
	m->intents = json_incref(json_object_get(cur, "intents"));
	if (!m->intents)
		m->intents = json_array();
	snprintf(m->interval, sizeof(m->interval), "%lld",
		 (long long)json_integer_value(json_object_get(cur, "review_interval_days")));
	const char *note = json_string_value(json_object_get(cur, "note"));
	m->note = web_text_lf(note);
	m->rows = json_deep_copy(json_object_get(cur, "variants"));
	if (!m->rows)
		m->rows = json_array();
}

/* The model of a new template: nothing typed yet. */
static void form_empty(tpl_form *m)
{
	memset(m, 0, sizeof(*m));
	m->intents = json_array();
	m->rows = json_array();
	m->note = web_text_lf(NULL);
}

/* The body of create and update from the model (a new reference). */
static json_t *form_body(const tpl_form *m)
{
	json_t *body = json_pack("{s:s, s:O, s:s, s:O}", "name", m->name, "intents", m->intents,
				 "note", m->note, "variants", m->rows);
	if (!blank(m->interval)) {
		char *end = NULL;
		long long days = strtoll(m->interval, &end, 10);
		json_object_set_new(body, "review_interval_days",
				    end && *end == '\0' ? json_integer(days)
							: json_string(m->interval));
	}
	return body;
}

/* The element id a domain field names ("variants[1].text" -> the row's
 * textarea), into out; rowmap turns body indexes into form rows. */
static void field_id(const char *field, json_t *rowmap, char *out, size_t size)
{
	int index = -1;
	char part[32] = "";
	if (sscanf(field, "variants[%d].%31[a-z_]", &index, part) == 2 && index >= 0) {
		json_t *row = json_array_get(rowmap, (size_t)index);
		int at = row ? (int)json_integer_value(row) : index;
		snprintf(out, size, "variant-%d-%s", at, part);
		return;
	}
	if (strncmp(field, "intents", 7) == 0)
		snprintf(out, size, "intents");
	else if (strncmp(field, "variants", 8) == 0)
		snprintf(out, size, "variants");
	else
		snprintf(out, size, "%s", field);
}

/* ---- Rendering ---------------------------------------------------------- */

const char *web_template_channel_label(const char *kind)
{
	static const char *const names[][2] = {{"x", "X"},
					       {"sms", "SMS"},
					       {"mastodon", "Mastodon"},
					       {"facebook", "Facebook"},
					       {"instagram", "Instagram"},
					       {"whatsapp", "WhatsApp"},
					       {"telegram", "Telegram"},
					       {"api", "API"}};
	if (strcmp(kind, "any") == 0)
		return _("Any channel");
	if (strcmp(kind, "email") == 0)
		return _("E-mail");
	if (strcmp(kind, "web") == 0)
		return _("Web widget");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i][0], kind) == 0)
			return names[i][1];
	return kind;
}

/* The channel select of row i with the limits as data attributes. */
static void channel_select(web_page *p, int i, const char *selected, const web_field_error *err)
{
	char id[40];
	snprintf(id, sizeof(id), "variant-%d-channel", i);
	html_printf(&p->h, "<div class=\"field\"><label for=\"%s\">%s</label>", id, _("Channel"));
	web_field_message(p, err, id);
	html_printf(&p->h,
		    "<select id=\"%s\" name=\"variant_channel\" data-limit-for=\"variant-%d-text\"",
		    id, i);
	web_field_attrs(p, err, id, 0);
	html_printf(&p->h, ">");
	for (size_t k = 0; web_template_channels[k]; k++) {
		const char *kind = web_template_channels[k];
		html_printf(&p->h, "<option value=\"%s\" data-limit=\"%zu\"%s>%s</option>", kind,
			    template_channel_limit(kind),
			    selected && strcmp(selected, kind) == 0 ? " selected" : "",
			    web_template_channel_label(kind));
	}
	html_printf(&p->h, "</select></div>");
}

/* One variant row: language, channel, text with its counter. */
static void variant_row(web_page *p, int i, json_t *row, const web_field_error *err)
{
	const char *lang = json_string_value(json_object_get(row, "language"));
	const char *chan = json_string_value(json_object_get(row, "channel"));
	const char *text = json_string_value(json_object_get(row, "text"));
	char id[40], legend[64];
	snprintf(legend, sizeof(legend), _("Variant %d"), i + 1);
	html_printf(&p->h,
		    "<fieldset class=\"variant\" id=\"variant-%d\"><legend>%s</legend>"
		    "<div class=\"row pair\">",
		    i, legend);
	snprintf(id, sizeof(id), "variant-%d-language", i);
	web_field language = {.type = "text",
			      .name = "variant_language",
			      .id = id,
			      .label = _("Language"),
			      .value = lang ? lang : (row ? "" : "de"),
			      .maxlength = 3};
	web_input(p, &language, err);
	channel_select(p, i, chan ? chan : "any", err);
	html_printf(&p->h, "</div>");
	snprintf(id, sizeof(id), "variant-%d-text", i);
	html_printf(&p->h, "<div class=\"field\"><label for=\"%s\">%s</label>", id, _("Text"));
	web_field_message(p, err, id);
	html_printf(&p->h, "<textarea id=\"%s\" name=\"variant_text\" rows=\"5\" data-count", id);
	web_field_attrs(p, err, id, 0);
	html_printf(&p->h, ">\n%s</textarea>", text ? text : "");
	web_char_counter(p, id, template_channel_limit(chan ? chan : "any"));
	html_printf(&p->h, "</div></fieldset>");
}

/* The variables a text may use. */
static void variables_list(web_page *p)
{
	html_printf(&p->h,
		    "<details class=\"variables\" open><summary>%s</summary>"
		    "<p class=\"field-hint\">%s</p><ul class=\"plain vars\">",
		    _("Variables"),
		    _("These are filled from the conversation when a template is used. Any other "
		      "name in double braces is refused when saving."));
	for (size_t i = 0; template_variables[i]; i++)
		html_printf(&p->h, "<li><code>{{%s}}</code></li>", template_variables[i]);
	html_printf(&p->h, "</ul></details>");
}

/* The first fields: name, intents, interval, note. */
static void head_fields(web_page *p, const tpl_form *m, const web_field_error *err)
{
	web_field name = {.type = "text",
			  .name = "name",
			  .label = _("Name"),
			  .value = m->name,
			  .required = 1,
			  .maxlength = TEMPLATE_NAME_MAX};
	web_input(p, &name, err);
	html_printf(&p->h,
		    "<div class=\"field\"><label for=\"intents\">%s</label>"
		    "<p class=\"field-hint\" id=\"intents-hint\">%s</p>",
		    _("Intents"),
		    _("The intents of the dialog concept this template answers, separated by "
		      "commas (e.g. outage, billing)."));
	web_field_message(p, err, "intents");
	html_printf(&p->h, "<input type=\"text\" id=\"intents\" name=\"intents\" value=\"");
	size_t i;
	json_t *v;
	json_array_foreach(m->intents, i, v)
		html_printf(&p->h, "%s%s", i ? ", " : "", json_string_value(v));
	html_printf(&p->h, "\" autocomplete=\"off\"");
	web_field_attrs(p, err, "intents", 1);
	html_printf(&p->h, "></div>");
	html_printf(&p->h,
		    "<div class=\"field\"><label for=\"review_interval_days\">%s</label>"
		    "<p class=\"field-hint\" id=\"review_interval_days-hint\">%s</p>",
		    _("Review interval (days)"),
		    _("An approved template is due for review after this many days."));
	web_field_message(p, err, "review_interval_days");
	html_printf(&p->h,
		    "<input type=\"number\" id=\"review_interval_days\" "
		    "name=\"review_interval_days\" min=\"1\" value=\"%s\"",
		    m->interval[0] ? m->interval : "180");
	web_field_attrs(p, err, "review_interval_days", 1);
	html_printf(&p->h, "></div><div class=\"field\"><label for=\"note\">%s</label>",
		    _("Note for reviewers"));
	web_field_message(p, err, "note");
	html_printf(&p->h, "<textarea id=\"note\" name=\"note\" rows=\"2\"");
	web_field_attrs(p, err, "note", 0);
	html_printf(&p->h, ">\n%s</textarea></div>", m->note ? m->note : "");
}

/* The variants: each row, then an empty one to add a variant. */
static void variant_rows(web_page *p, const tpl_form *m, const web_field_error *err, int writable)
{
	html_printf(&p->h, "<fieldset class=\"variants\" id=\"variants\"><legend>%s</legend>",
		    _("Variants"));
	web_field_message(p, err, "variants");
	html_printf(&p->h, "<p class=\"field-hint\">%s</p>",
		    _("One text per language and channel. \"Any channel\" is used where a "
		      "channel has no text of its own. Leave a text empty to remove its "
		      "variant."));
	size_t n = json_array_size(m->rows), i;
	for (i = 0; i < n; i++) {
		/* Rows from the form keep their form position (errors name it). */
		json_t *at = json_array_get(m->rowmap, i);
		variant_row(p, at ? (int)json_integer_value(at) : (int)i,
			    json_array_get(m->rows, i), err);
	}
	if (writable && n < TEMPLATE_VARIANTS_MAX) {
		int next = (int)n; /* after every row the form had */
		json_t *at;
		json_array_foreach(m->rowmap, i, at)
		{
			if (json_integer_value(at) >= next)
				next = (int)json_integer_value(at) + 1;
		}
		variant_row(p, next, NULL, err);
	}
	html_printf(&p->h, "</fieldset>");
}

/* The editor's form of template id (0: new). */
static void editor_form(web_page *p, int64_t id, const tpl_form *m, const web_template_view *view,
			int writable)
{
	web_field_error fe = {0};
	char fid[64] = "";
	if (view && view->error && view->error->field[0]) {
		field_id(view->error->field, m->rowmap, fid, sizeof(fid));
		fe.field = fid;
		fe.message = view->error->message;
	}
	if (id)
		html_printf(&p->h,
			    "<form method=\"post\" action=\"/templates/%lld\" "
			    "class=\"card template-edit\" id=\"template-form\">",
			    (long long)id);
	else
		html_printf(&p->h, "<form method=\"post\" action=\"/templates\" "
				   "class=\"card template-edit\" id=\"template-form\">");
	web_csrf_field(p);
	html_printf(&p->h, "<input type=\"hidden\" name=\"template_id\" value=\"%lld\">",
		    (long long)id);
	if (!writable)
		html_printf(&p->h, "<fieldset class=\"plain\" disabled>");
	head_fields(p, m, &fe);
	variant_rows(p, m, &fe, writable);
	variables_list(p);
	if (writable) {
		const char *cid = web_form_text(p->req, "conversation_id");
		html_printf(&p->h,
			    "<div class=\"row preview-ask\"><div class=\"field\">"
			    "<label for=\"conversation_id\">%s</label>"
			    "<input type=\"number\" min=\"1\" id=\"conversation_id\" "
			    "name=\"conversation_id\" value=\"%s\"></div>"
			    "<button type=\"submit\" class=\"secondary\" id=\"preview-button\" "
			    "formaction=\"/templates/preview\" formnovalidate "
			    "hx-post=\"/templates/preview\" hx-target=\"#preview\" "
			    "hx-swap=\"outerHTML\">%s</button></div>",
			    _("Conversation number for the preview"), cid, _("Preview"));
	}
	web_template_preview_section(p, view ? view->preview : NULL,
				     view ? view->preview_error : NULL);
	if (writable)
		html_printf(&p->h,
			    "<p class=\"actions\"><button type=\"submit\" id=\"save-button\">%s"
			    "</button><span class=\"field-hint\">%s</span></p>",
			    _("Save"), _("Saving stores a new version as a draft."));
	else
		html_printf(&p->h, "</fieldset>");
	html_printf(&p->h, "</form>");
}

/* The refusal of a save above the form. */
static void save_error(web_page *p, const err_detail *d)
{
	html_printf(&p->h, "<div class=\"flash error\" role=\"alert\" id=\"save-error\"><p>%s</p>",
		    _("The template was not saved. Nothing was changed."));
	if (d->message[0])
		html_printf(&p->h, "<p>%s%s%s</p>", d->field, d->field[0] ? ": " : "", d->message);
	html_printf(&p->h, "</div>");
}

void web_template_page(web_page *p, int64_t id, const web_template_view *view, int status)
{
	json_t *tpl = NULL;
	if (id) {
		store_conn *c = store_reader_acquire(p->a->store);
		ct_err err =
			template_get(c, id, time_now_ms(), template_grace_ms(&p->a->cfg), &tpl);
		store_reader_release(p->a->store, c);
		if (err == CT_ERR_NOT_FOUND) {
			web_error(p, 404, _("There is no such template."));
			return;
		}
		if (err) {
			web_error(p, 500, _("The template could not be read."));
			return;
		}
	}
	tpl_form m;
	if (view && view->from_form)
		form_from_request(p->req, &m);
	else if (tpl)
		form_from_template(tpl, &m);
	else
		form_empty(&m);
	const char *status_name = json_string_value(json_object_get(tpl, "status"));
	int writable = (p->who->role & ROLES_WRITE) &&
		       !(status_name && strcmp(status_name, "retired") == 0);
	char title[200];
	if (tpl)
		snprintf(title, sizeof(title), _("Template \"%s\""),
			 json_string_value(json_object_get(tpl, "name")));
	else
		snprintf(title, sizeof(title), "%s", _("New template"));
	web_templates_open(p, tpl ? NULL : "new", title);
	if (view && view->flash_error)
		html_printf(&p->h,
			    "<p class=\"flash error\" role=\"alert\" id=\"workflow-error\">%s</p>",
			    view->flash_error);
	if (view && view->error)
		save_error(p, view->error);
	if (tpl) {
		html_printf(&p->h, "<p class=\"template-status\" id=\"template-status\">");
		web_template_badges(p, tpl);
		html_printf(&p->h, "</p>");
	}
	editor_form(p, id, &m, view, writable);
	if (tpl)
		web_template_workflow(p, tpl);
	web_templates_close(p, status);
	form_free(&m);
	json_decref(tpl);
}

/* ---- Routes ------------------------------------------------------------- */

/* GET /templates/new */
void web_template_new(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	web_template_page(&p, 0, NULL, 200);
}

/* GET /templates/{id} */
void web_template(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	if (!id) {
		web_error(&p, 404, _("There is no such template."));
		return;
	}
	web_template_page(&p, id, NULL, 200);
}

/* Store the posted form: a new template (id 0) or a new version. */
static void save(http_request *req, http_response *res, int64_t id)
{
	web_page p;
	web_begin(&p, req, res);
	actor who;
	web_actor(&p, &who);
	tpl_form m;
	form_from_request(req, &m);
	json_t *body = form_body(&m);
	err_detail d = {.index = -1};
	int64_t made = id;
	ct_err err = id ? template_update(p.a->store, &who, id, body, &d)
			: template_create(p.a->store, &who, body, &made, &d);
	json_decref(body);
	form_free(&m);
	if (err == CT_ERR_NOT_FOUND && id) {
		web_error(&p, 404, _("There is no such template."));
	} else if (err == CT_ERR_INVALID || err == CT_ERR_CONFLICT) {
		if (err == CT_ERR_CONFLICT && !d.message[0])
			snprintf(d.message, sizeof(d.message), "%s",
				 _("The name is taken, or the template is retired."));
		web_template_view view = {.from_form = 1, .error = &d};
		web_template_page(&p, id, &view, err == CT_ERR_CONFLICT ? 409 : 422);
	} else if (err) {
		web_error(&p, 500, _("The template could not be saved. Try again."));
	} else {
		char to[80];
		snprintf(to, sizeof(to), "/templates/%lld?done=saved", (long long)made);
		web_go(&p, to);
	}
}

/* POST /templates */
void web_template_create(http_request *req, http_response *res)
{
	save(req, res, 0);
}

/* POST /templates/{id} */
void web_template_save(http_request *req, http_response *res)
{
	int64_t id = http_param_id(req, 0);
	if (!id) {
		web_page p;
		web_begin(&p, req, res);
		web_error(&p, 404, _("There is no such template."));
		return;
	}
	save(req, res, id);
}

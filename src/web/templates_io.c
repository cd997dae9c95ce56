/*
 * templates_io.c: Templates -> Import / export, for a review of the wording
 * outside the tool (legal department, works council).
 *
 * GET /templates/import shows the links that download every template as
 * YAML or JSON (the API's export route, which the session cookie opens)
 * and a form that takes such a document back, pasted or as a file.
 * POST /templates/import hands it to template_import: new names become
 * drafts, changed ones get a new draft version, nothing is approved, and a
 * document with an error changes nothing; the page then names the line and
 * field and keeps the text. Supervisors and admins only (the route table).
 */
#include <string.h>

#include "core/i18n.h"
#include "web/templates_web.h"

/* The export links and the import form, with text (may be NULL) kept. */
static void import_form(web_page *p, const char *text, const char *format)
{
	int json = format && strcmp(format, "json") == 0;
	html_printf(&p->h, "<h2>%s</h2><p class=\"actions\">", _("Export"));
	html_printf(&p->h,
		    "<a class=\"button\" href=\"/api/v1/templates/export?format=yaml\" "
		    "id=\"export-yaml\" download>%s</a> ",
		    _("Download as YAML"));
	html_printf(&p->h,
		    "<a class=\"button\" href=\"/api/v1/templates/export?format=json\" "
		    "id=\"export-json\" download>%s</a></p>",
		    _("Download as JSON"));
	html_printf(&p->h, "<h2>%s</h2><p class=\"muted\">%s</p>", _("Import"),
		    _("New templates are created as drafts, changed ones get a new draft "
		      "version; nothing is approved by an import. A document with an error "
		      "changes nothing."));
	html_printf(&p->h, "<form method=\"post\" action=\"/templates/import\" "
			   "enctype=\"multipart/form-data\">");
	web_csrf_field(p);
	html_printf(&p->h,
		    "<label for=\"import-format\">%s</label><select id=\"import-format\" "
		    "name=\"format\"><option value=\"yaml\"%s>YAML</option>"
		    "<option value=\"json\"%s>JSON</option></select>",
		    _("Format"), json ? "" : " selected", json ? " selected" : "");
	html_printf(&p->h,
		    "<label for=\"import-file\">%s</label><input type=\"file\" "
		    "id=\"import-file\" name=\"file\" accept=\".yaml,.yml,.json\">",
		    _("File"));
	html_printf(&p->h,
		    "<label for=\"import-text\">%s</label><textarea id=\"import-text\" "
		    "name=\"text\" rows=\"16\" spellcheck=\"false\">%s</textarea>",
		    _("or paste the document"), text ? text : "");
	html_printf(&p->h, "<button type=\"submit\">%s</button></form>", _("Import"));
}

/* GET /templates/import */
void web_templates_import_form(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	web_templates_open(&p, "io", _("Import and export"));
	import_form(&p, NULL, NULL);
	web_templates_close(&p, 200);
}

/* One list of names from the import report, under a heading. */
static void name_list(web_page *p, json_t *report, const char *key, const char *title)
{
	json_t *names = json_object_get(report, key);
	html_printf(&p->h, "<h3>%s (%zu)</h3>", title, json_array_size(names));
	if (!json_array_size(names))
		return;
	html_printf(&p->h, "<ul class=\"import-%s\">", key);
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n) html_printf(&p->h, "<li>%s</li>", json_string_value(n));
	html_printf(&p->h, "</ul>");
}

/* POST /templates/import (format, file or text) */
void web_templates_import(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	const char *format = web_form_text(req, "format");
	const char *text = web_form_text(req, "file");
	if (!*text)
		text = web_form_text(req, "text");
	if (strcmp(format, "json") != 0)
		format = "yaml";
	actor who;
	web_actor(&p, &who);
	json_t *report = NULL;
	err_detail d = {.index = -1};
	ct_err err =
		*text ? template_import(p.a->store, &who, format, text, strlen(text), &report, &d)
		      : err_set(&d, CT_ERR_INVALID, "text", "the document is empty");
	web_templates_open(&p, "io", _("Import and export"));
	if (err) {
		html_printf(&p.h,
			    "<p class=\"error\" role=\"alert\" id=\"import-error\">%s %s%s%s</p>",
			    _("Nothing was imported:"), d.field, d.field[0] ? ": " : "",
			    d.message[0] ? d.message : _("the document could not be read."));
		import_form(&p, text, format);
		web_templates_close(&p,
				    err == CT_ERR_INVALID || err == CT_ERR_CONFLICT ? 422 : 500);
		return;
	}
	html_printf(&p.h, "<p class=\"notice\" role=\"status\" id=\"import-done\">%s</p>",
		    _("The document was imported."));
	name_list(&p, report, "created", _("New drafts"));
	name_list(&p, report, "updated", _("New draft versions"));
	name_list(&p, report, "unchanged", _("Unchanged"));
	json_decref(report);
	import_form(&p, NULL, format);
	web_templates_close(&p, 200);
}

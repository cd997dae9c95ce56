/*
 * templates_preview.c: the preview of a template in the editor
 * (POST /templates/preview): the posted variants filled from a real
 * conversation as the signed-in user would send them there
 * (template_preview), each with the variables that had no value, its
 * length against the channel's limit and a mark when it is too long. The
 * conversation must be one the user may see. htmx swaps only #preview; a
 * plain form gets the whole editor back with what was typed. Nothing is
 * stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "web/templates_web.h"

/* The preview (#preview): each variant filled, with what is missing and
 * its length; or the error; or nothing yet. */
void web_template_preview_section(web_page *p, json_t *rows, const char *error)
{
	html_printf(&p->h,
		    "<section id=\"preview\" class=\"preview\" aria-live=\"polite\" "
		    "aria-labelledby=\"preview-h\"><h2 id=\"preview-h\">%s</h2>",
		    _("Preview"));
	if (error)
		html_printf(&p->h, "<p class=\"flash error\" role=\"alert\">%s</p>", error);
	if (!rows) {
		if (!error)
			html_printf(&p->h, "<p class=\"muted\">%s</p>",
				    _("Enter the number of a conversation to see the texts as "
				      "its contact would get them."));
		html_printf(&p->h, "</section>");
		return;
	}
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
	{
		int too_long = json_is_true(json_object_get(r, "too_long"));
		json_int_t limit = json_integer_value(json_object_get(r, "limit"));
		const char *chan = json_string_value(json_object_get(r, "channel"));
		html_printf(&p->h,
			    "<article class=\"preview-item%s\"><h3>%s · %s</h3>"
			    "<div class=\"body\">",
			    too_long ? " too-long" : "",
			    json_string_value(json_object_get(r, "language")),
			    web_template_channel_label(chan ? chan : "any"));
		html_safe body = html_text_block(json_string_value(json_object_get(r, "text")));
		html_raw(&p->h, &body);
		html_safe_free(&body);
		html_printf(&p->h, "</div><p class=\"muted\">%lld",
			    (long long)json_integer_value(json_object_get(r, "length")));
		if (limit)
			html_printf(&p->h, " / %lld", (long long)limit);
		html_printf(&p->h, " %s", _("characters"));
		if (too_long)
			html_printf(&p->h, " <strong class=\"error\">%s</strong>",
				    _("too long for this channel"));
		html_printf(&p->h, "</p>");
		json_t *missing = json_object_get(r, "missing");
		if (json_array_size(missing)) {
			html_printf(&p->h, "<p class=\"flash warn missing\">%s ",
				    _("No value for:"));
			size_t k;
			json_t *v;
			json_array_foreach(missing, k, v)
				html_printf(&p->h, "%s<code>{{%s}}</code>", k ? ", " : "",
					    json_string_value(v));
			html_printf(&p->h, "</p>");
		}
		html_printf(&p->h, "</article>");
	}
	html_printf(&p->h, "</section>");
}

/* The preview of the posted variants filled from the posted conversation
 * (which the user must be able to see): rows, or an error message. */
static json_t *run_preview(web_page *p, const char **error)
{
	*error = NULL;
	const char *cid = web_form_text(p->req, "conversation_id");
	char *end = NULL;
	long long conv = strtoll(cid, &end, 10);
	if (!*cid || !end || *end || conv <= 0) {
		*error = _("Enter the number of a conversation.");
		return NULL;
	}
	json_t *variants = web_template_posted_variants(p->req);
	inbox_scope scope;
	web_scope(p->who, &scope);
	web_tenv t;
	web_template_env(p, &t);
	json_t *rows = NULL;
	err_detail d = {.index = -1};
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = inbox_check_access(c, &scope, conv);
	if (!err)
		err = template_preview(c, &t.env, variants, conv, web_user_id(p), &rows, &d);
	store_reader_release(p->a->store, c);
	web_template_env_release(&t);
	json_decref(variants);
	if (err == CT_ERR_NOT_FOUND || err == CT_ERR_FORBIDDEN)
		*error = _("This conversation does not exist or is not yours to see.");
	else if (err == CT_ERR_INVALID)
		*error = _("A variant cannot be previewed: check its language and its variables.");
	else if (err)
		*error = _("The preview could not be made. Try again.");
	if (err) {
		json_decref(rows);
		return NULL;
	}
	return rows;
}

/* POST /templates/preview: htmx gets #preview; a plain form the editor
 * with what was typed and the preview. Nothing is stored. */
void web_template_preview(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	const char *error = NULL;
	json_t *rows = run_preview(&p, &error);
	if (p.partial) {
		web_template_preview_section(&p, rows, error);
		web_send(&p, 200);
	} else {
		const char *tid = web_form_text(req, "template_id");
		int64_t id = strtoll(tid, NULL, 10);
		web_template_view view = {.from_form = 1, .preview = rows, .preview_error = error};
		web_template_page(&p, id > 0 ? id : 0, &view, 200);
	}
	json_decref(rows);
}

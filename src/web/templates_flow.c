/*
 * templates_flow.c: the workflow of a template on its page (see
 * templates_web.h): the review facts, the buttons the viewer may use
 * (Submit for review for writers; Approve, Return with a comment, Confirm
 * review and Retire for supervisors and administrators, as the route table
 * admits them), the history of every version (who wrote, submitted and
 * approved it when, the review comment) and the comparison of any two
 * versions (template_diff, GET ?from=A&to=B on the same page).
 *
 * Each button is a plain form POST that redirects back with ?done=; a
 * refused step (the four-eyes rule, a version that changed meanwhile)
 * shows the page again with a clear message and the status the domain
 * gave (403, 409, 422).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "web/templates_web.h"

/* The newest version's view in tpl's "versions" (newest first). */
static json_t *newest(json_t *tpl)
{
	return json_array_get(json_object_get(tpl, "versions"), 0);
}

/* "anna@example.org · 23 Nov 2026, 14:05" for by and at of v, or "". */
static void who_when(web_page *p, json_t *v, const char *by, const char *at)
{
	const char *name = json_string_value(json_object_get(v, by));
	char when[48];
	web_format_time(p, web_json_time(v, at), when, sizeof(when));
	if (!name && !when[0])
		return;
	html_printf(&p->h, "%s<br><span class=\"muted\">%s</span>", web_actor_label(name), when);
}

/* The review facts: approved version, approval, due date, expiry. */
static void review_facts(web_page *p, json_t *tpl)
{
	json_int_t approved = json_integer_value(json_object_get(tpl, "approved_version"));
	char due[48], expires[48];
	web_format_time(p, web_json_time(tpl, "review_due_at"), due, sizeof(due));
	web_format_time(p, web_json_time(tpl, "expires_at"), expires, sizeof(expires));
	const char *state = json_string_value(json_object_get(tpl, "review_state"));
	html_printf(&p->h,
		    "<dl class=\"facts\"><dt>%s</dt><dd id=\"current-version\">%lld</dd>"
		    "<dt>%s</dt><dd id=\"approved-version\">",
		    _("Newest version"),
		    (long long)json_integer_value(json_object_get(tpl, "current_version")),
		    _("Approved version"));
	if (approved)
		html_printf(&p->h, "%lld", (long long)approved);
	else
		html_printf(&p->h, "%s", _("none"));
	html_printf(&p->h, "</dd><dt>%s</dt><dd id=\"review-state\" class=\"review-%s\">%s",
		    _("Review"), state ? state : "", web_template_review_label(state));
	if (due[0])
		html_printf(&p->h, " · %s %s", _("due"), due);
	if (expires[0])
		html_printf(&p->h, " · %s %s", _("unusable from"), expires);
	html_printf(&p->h, "</dd><dt>%s</dt><dd>%s</dd></dl>", _("Usable in replies"),
		    json_is_true(json_object_get(tpl, "usable")) ? _("yes") : _("no"));
}

/* A form with one button posting to /templates/{id}/{step}. */
static void step_open(web_page *p, int64_t id, const char *step)
{
	html_printf(&p->h, "<form method=\"post\" action=\"/templates/%lld/%s\" class=\"step\">",
		    (long long)id, step);
	web_csrf_field(p);
}

/* Approve and Return for the version in review (supervisors, admins). */
static void review_buttons(web_page *p, int64_t id, json_t *v)
{
	const char *author = json_string_value(json_object_get(v, "created_by"));
	json_int_t number = json_integer_value(json_object_get(v, "number"));
	if (author && strcmp(author, p->who->name) == 0)
		html_printf(&p->h, "<p class=\"flash warn\" id=\"own-version\">%s</p>",
			    _("You wrote this version. Another supervisor or administrator must "
			      "approve it (four eyes)."));
	step_open(p, id, "approve");
	html_printf(&p->h,
		    "<input type=\"hidden\" name=\"number\" value=\"%lld\">"
		    "<button type=\"submit\" id=\"approve-button\">%s</button></form>",
		    (long long)number, _("Approve"));
	step_open(p, id, "return");
	html_printf(&p->h,
		    "<label for=\"return-comment\">%s</label>"
		    "<textarea id=\"return-comment\" name=\"comment\" rows=\"2\" required>"
		    "</textarea><button type=\"submit\" class=\"secondary\" id=\"return-button\">"
		    "%s</button></form>",
		    _("Comment for the author"), _("Return with comment"));
}

/* The buttons the viewer may use now. */
static void step_buttons(web_page *p, json_t *tpl)
{
	int64_t id = json_integer_value(json_object_get(tpl, "id"));
	const char *status = json_string_value(json_object_get(tpl, "status"));
	json_t *v = newest(tpl);
	const char *state = json_string_value(json_object_get(v, "state"));
	int manage = (p->who->role & ROLES_MANAGE) != 0;
	if (status && strcmp(status, "retired") == 0)
		return;
	html_printf(&p->h, "<div class=\"actions workflow-actions\">");
	if ((p->who->role & ROLES_WRITE) && state && strcmp(state, "draft") == 0) {
		step_open(p, id, "submit");
		html_printf(&p->h,
			    "<button type=\"submit\" id=\"submit-button\">%s</button></form>",
			    _("Submit for review"));
	}
	if (manage && state && strcmp(state, "in_review") == 0)
		review_buttons(p, id, v);
	if (manage && json_integer_value(json_object_get(tpl, "approved_version"))) {
		step_open(p, id, "confirm");
		html_printf(&p->h,
			    "<button type=\"submit\" class=\"secondary\" id=\"confirm-button\">%s"
			    "</button></form>",
			    _("Confirm review"));
	}
	if (manage) {
		html_printf(&p->h, "<details class=\"revoke\"><summary>%s</summary>", _("Retire"));
		step_open(p, id, "retire");
		html_printf(&p->h,
			    "<p>%s</p><button type=\"submit\" class=\"danger\" "
			    "id=\"retire-button\">%s</button></form></details>",
			    _("A retired template is never used again."), _("Retire template"));
	}
	html_printf(&p->h, "</div>");
}

/* The history: every version with who did what when. */
static void history(web_page *p, json_t *tpl)
{
	const char *columns[] = {_("Version"),  _("State"),          _("Written"), _("Submitted"),
				 _("Approved"), _("Review comment"), NULL};
	html_printf(&p->h, "<h2 id=\"history-h\">%s</h2>", _("History"));
	web_table_open(p, "history-caption", _("Versions"), columns);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(tpl, "versions"), i, v)
	{
		json_int_t n = json_integer_value(json_object_get(v, "number"));
		const char *comment = json_string_value(json_object_get(v, "review_comment"));
		html_printf(
			&p->h, "<tr id=\"version-%lld\"><th scope=\"row\">%lld</th><td>%s</td><td>",
			(long long)n, (long long)n,
			web_template_status_label(json_string_value(json_object_get(v, "state"))));
		who_when(p, v, "created_by", "created_at");
		html_printf(&p->h, "</td><td>");
		who_when(p, v, "submitted_by", "submitted_at");
		html_printf(&p->h, "</td><td>");
		who_when(p, v, "approved_by", "approved_at");
		html_printf(&p->h, "</td><td>%s</td></tr>", comment ? comment : "");
	}
	web_table_close(p);
}

/* A <select> of the version numbers. */
static void number_select(web_page *p, const char *name, const char *label, json_t *versions,
			  int64_t selected)
{
	html_printf(&p->h,
		    "<div class=\"field\"><label for=\"%s\">%s</label><select id=\"%s\" "
		    "name=\"%s\">",
		    name, label, name, name);
	size_t i;
	json_t *v;
	json_array_foreach(versions, i, v)
	{
		json_int_t n = json_integer_value(json_object_get(v, "number"));
		html_printf(
			&p->h, "<option value=\"%lld\"%s>%lld · %s</option>", (long long)n,
			n == selected ? " selected" : "", (long long)n,
			web_template_status_label(json_string_value(json_object_get(v, "state"))));
	}
	html_printf(&p->h, "</select></div>");
}

/* The comparison: a form choosing two versions, and their diff. */
static void compare(web_page *p, json_t *tpl)
{
	int64_t id = json_integer_value(json_object_get(tpl, "id"));
	json_t *versions = json_object_get(tpl, "versions");
	int64_t from = http_parse_id(http_query(p->req, "from")),
		to = http_parse_id(http_query(p->req, "to"));
	size_t n = json_array_size(versions);
	html_printf(&p->h,
		    "<section id=\"compare\" aria-labelledby=\"compare-h\"><h2 id=\"compare-h\">%s"
		    "</h2>",
		    _("Compare versions"));
	if (n < 2) {
		html_printf(&p->h, "<p class=\"muted\">%s</p></section>",
			    _("There is only one version so far."));
		return;
	}
	int64_t first = json_integer_value(json_object_get(json_array_get(versions, 1), "number"));
	int64_t last = json_integer_value(json_object_get(json_array_get(versions, 0), "number"));
	html_printf(&p->h,
		    "<form method=\"get\" action=\"/templates/%lld#compare\" "
		    "class=\"row pair template-compare\">",
		    (long long)id);
	number_select(p, "from", _("From version"), versions, from ? from : first);
	number_select(p, "to", _("To version"), versions, to ? to : last);
	html_printf(&p->h,
		    "<p class=\"actions\"><button type=\"submit\" class=\"secondary\">%s"
		    "</button></p></form>",
		    _("Compare"));
	if (from && to) {
		buf out;
		buf_init(&out, (size_t)4 << 20);
		store_conn *c = store_reader_acquire(p->a->store);
		ct_err err = template_diff(c, id, from, to, &out);
		store_reader_release(p->a->store, c);
		char title[160];
		snprintf(title, sizeof(title), _("Changes from version %lld to version %lld"),
			 (long long)from, (long long)to);
		html_printf(&p->h, "<h3 id=\"diff-h\">%s</h3>", title);
		const char *text = buf_cstr(&out);
		if (err == CT_ERR_NOT_FOUND)
			html_printf(&p->h, "<p class=\"flash error\" role=\"alert\">%s</p>",
				    _("There is no such version."));
		else if (err)
			html_printf(&p->h, "<p class=\"flash error\" role=\"alert\">%s</p>",
				    _("The versions could not be compared."));
		else if (!strstr(text, "@@"))
			html_printf(&p->h, "<p class=\"muted\">%s</p>",
				    _("The two versions are the same."));
		else
			web_diff_block(p, text, strlen(text), "diff-h");
		buf_free(&out);
	}
	html_printf(&p->h, "</section>");
}

void web_template_workflow(web_page *p, json_t *tpl)
{
	html_printf(&p->h,
		    "<section class=\"card template-flow\" aria-labelledby=\"flow-h\">"
		    "<h2 id=\"flow-h\">%s</h2>",
		    _("Approval and review"));
	review_facts(p, tpl);
	step_buttons(p, tpl);
	html_printf(&p->h, "</section>");
	history(p, tpl);
	compare(p, tpl);
}

/* ---- The steps ---------------------------------------------------------- */

typedef enum { STEP_SUBMIT, STEP_APPROVE, STEP_RETURN, STEP_CONFIRM, STEP_RETIRE } step_kind;

/* The message for a refused step (plain text, translated) into out. */
static void refusal(step_kind k, ct_err err, const err_detail *d, char *out, size_t size)
{
	if (err == CT_ERR_FORBIDDEN && k == STEP_CONFIRM)
		snprintf(out, size, "%s",
			 _("Four eyes: you wrote the approved version, so another supervisor or "
			   "administrator must confirm its review."));
	else if (err == CT_ERR_FORBIDDEN)
		snprintf(out, size, "%s",
			 _("Four eyes: you wrote this version, so another supervisor or "
			   "administrator must approve it."));
	else if (err == CT_ERR_INVALID && k == STEP_RETURN)
		snprintf(out, size, "%s", _("Write a comment for the author."));
	else if (err == CT_ERR_CONFLICT || err == CT_ERR_INVALID)
		snprintf(out, size, _("This step is not possible now (%s). Reload the page."),
			 d->message[0] ? d->message : "conflict");
	else
		snprintf(out, size, "%s", _("That did not work. Try again."));
}

/* Run step k on the template of the path, then back to its page. */
static void run_step(http_request *req, http_response *res, step_kind k)
{
	static const char *const done[] = {"submitted", "approved", "returned", "confirmed",
					   "retired"};
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	actor who;
	web_actor(&p, &who);
	err_detail d = {.index = -1};
	ct_err err = CT_ERR_NOT_FOUND;
	if (id && k == STEP_SUBMIT)
		err = template_submit(p.a->store, &who, id, &d);
	else if (id && k == STEP_APPROVE)
		err = template_approve(p.a->store, &who, id,
				       strtoll(web_form_text(req, "number"), NULL, 10), &d);
	else if (id && k == STEP_RETURN)
		err = template_return(p.a->store, &who, id, web_form_text(req, "comment"), &d);
	else if (id && k == STEP_CONFIRM)
		err = template_confirm(p.a->store, &who, id, &d);
	else if (id && k == STEP_RETIRE) {
		web_tenv t;
		web_template_env(&p, &t);
		err = template_retire(p.a->store, &who, id, t.env.concept, &d);
		web_template_env_release(&t);
	}
	if (err == CT_ERR_NOT_FOUND) {
		web_error(&p, 404, _("There is no such template."));
		return;
	}
	if (err) {
		char message[400];
		refusal(k, err, &d, message, sizeof(message));
		web_template_view view = {.flash_error = message};
		web_template_page(&p, id, &view,
				  err == CT_ERR_FORBIDDEN  ? 403
				  : err == CT_ERR_CONFLICT ? 409
				  : err == CT_ERR_INVALID  ? 422
							   : 500);
		return;
	}
	char to[96];
	snprintf(to, sizeof(to), "/templates/%lld?done=%s", (long long)id, done[k]);
	web_go(&p, to);
}

/* POST /templates/{id}/submit */
void web_template_submit(http_request *req, http_response *res)
{
	run_step(req, res, STEP_SUBMIT);
}

/* POST /templates/{id}/approve (number) */
void web_template_approve(http_request *req, http_response *res)
{
	run_step(req, res, STEP_APPROVE);
}

/* POST /templates/{id}/return (comment) */
void web_template_return(http_request *req, http_response *res)
{
	run_step(req, res, STEP_RETURN);
}

/* POST /templates/{id}/confirm */
void web_template_confirm(http_request *req, http_response *res)
{
	run_step(req, res, STEP_CONFIRM);
}

/* POST /templates/{id}/retire */
void web_template_retire(http_request *req, http_response *res)
{
	run_step(req, res, STEP_RETIRE);
}

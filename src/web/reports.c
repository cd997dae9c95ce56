/*
 * reports.c: the report on approved wording (GET /reports/templates) for
 * supervisors and administrators: how often each template was used in
 * replies of the chosen period (the last 7, 30 or 90 days), how often the
 * agents changed its text before sending (deviation rate per template and
 * per agent), and the templates due for review. Tables for now; charts
 * come later. Everything comes from template_report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/timeutil.h"
#include "web/templates_web.h"

#define DAY_MS ((int64_t)24 * 3600 * 1000)

/* The period in days from ?days= (7, 30 or 90; default 30). */
static int period_days(web_page *p)
{
	const char *v = http_query(p->req, "days");
	if (v && strcmp(v, "7") == 0)
		return 7;
	if (v && strcmp(v, "90") == 0)
		return 90;
	return 30;
}

/* A rate (0..1) as "12.5 %" ("12,5 %" in German) into out. */
static void format_rate(const web_page *p, double rate, char *out, size_t size)
{
	long tenths = (long)(rate * 1000.0 + 0.5);
	snprintf(out, size, "%ld%c%ld %%", tenths / 10, strcmp(p->lang, "en") == 0 ? '.' : ',',
		 tenths % 10);
}

/* The period selector: three links, the current one marked. */
static void period_links(web_page *p, int days)
{
	static const int choices[] = {7, 30, 90};
	html_printf(&p->h, "<nav class=\"subnav period\" aria-label=\"%s\"><ul>", _("Period"));
	for (size_t i = 0; i < 3; i++) {
		char label[48];
		snprintf(label, sizeof(label), _("Last %d days"), choices[i]);
		if (choices[i] == days)
			html_printf(&p->h,
				    "<li><a href=\"/reports/templates?days=%d\" "
				    "aria-current=\"page\">%s</a></li>",
				    choices[i], label);
		else
			html_printf(&p->h, "<li><a href=\"/reports/templates?days=%d\">%s</a></li>",
				    choices[i], label);
	}
	html_printf(&p->h, "</ul></nav>");
}

/* The totals of the period. */
static void totals(web_page *p, json_t *replies)
{
	char total[32], from[32], deviated[32];
	web_format_count(p, json_integer_value(json_object_get(replies, "total")), total,
			 sizeof(total));
	web_format_count(p, json_integer_value(json_object_get(replies, "from_template")), from,
			 sizeof(from));
	web_format_count(p, json_integer_value(json_object_get(replies, "deviated")), deviated,
			 sizeof(deviated));
	html_printf(&p->h,
		    "<dl class=\"facts card report-totals\"><dt>%s</dt><dd id=\"total-replies\">%s"
		    "</dd><dt>%s</dt><dd id=\"template-replies\">%s</dd><dt>%s</dt>"
		    "<dd id=\"deviated-replies\">%s</dd></dl>",
		    _("Replies sent"), total, _("From a template"), from,
		    _("Template text changed"), deviated);
}

/* The cells uses, deviations and rate of row r. */
static void use_cells(web_page *p, json_t *r)
{
	char uses[32], devs[32], rate[32];
	web_format_count(p, json_integer_value(json_object_get(r, "uses")), uses, sizeof(uses));
	web_format_count(p, json_integer_value(json_object_get(r, "deviations")), devs,
			 sizeof(devs));
	format_rate(p, json_number_value(json_object_get(r, "deviation_rate")), rate, sizeof(rate));
	html_printf(&p->h,
		    "<td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>",
		    uses, devs, rate);
}

/* Use per template. */
static void per_template(web_page *p, json_t *rows)
{
	const char *columns[] = {_("Template"), _("Uses"), _("Changed"), _("Deviation rate"), NULL};
	html_printf(&p->h, "<h2 id=\"use-h\">%s</h2>", _("Use per template"));
	if (!json_array_size(rows)) {
		html_printf(&p->h, "<p class=\"muted\" id=\"use-empty\">%s</p>",
			    _("No template was used in this period."));
		return;
	}
	web_table_open(p, "use-caption", _("Use per template"), columns);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
	{
		int64_t id = json_integer_value(json_object_get(r, "template_id"));
		html_printf(
			&p->h,
			"<tr id=\"use-%lld\"><th scope=\"row\"><a href=\"/templates/%lld\">%s</a>"
			"</th>",
			(long long)id, (long long)id,
			json_string_value(json_object_get(r, "name")));
		use_cells(p, r);
		html_printf(&p->h, "</tr>");
	}
	web_table_close(p);
}

/* Use per template and agent. */
static void per_agent(web_page *p, json_t *rows)
{
	const char *columns[] = {_("Agent"),   _("Template"),       _("Uses"),
				 _("Changed"), _("Deviation rate"), NULL};
	html_printf(&p->h, "<h2 id=\"agents-h\">%s</h2>", _("Deviation per agent"));
	if (!json_array_size(rows)) {
		html_printf(&p->h, "<p class=\"muted\">%s</p>",
			    _("No template was used in this period."));
		return;
	}
	web_table_open(p, "agents-caption", _("Deviation per agent"), columns);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
	{
		html_printf(&p->h, "<tr><th scope=\"row\">%s</th><td>%s</td>",
			    json_string_value(json_object_get(r, "agent")),
			    json_string_value(json_object_get(r, "name")));
		use_cells(p, r);
		html_printf(&p->h, "</tr>");
	}
	web_table_close(p);
}

/* The templates due for review. */
static void due_list(web_page *p, json_t *rows)
{
	const char *columns[] = {_("Template"), _("Review"), _("Due"), _("Unusable from"), NULL};
	html_printf(&p->h, "<h2 id=\"due-h\">%s</h2>", _("Due for review"));
	if (!json_array_size(rows)) {
		html_printf(&p->h, "<p class=\"muted\">%s</p>",
			    _("No template is due for review."));
		return;
	}
	web_table_open(p, "due-caption", _("Due for review"), columns);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
	{
		int64_t id = json_integer_value(json_object_get(r, "id"));
		char due[48], expires[48];
		web_format_time(p, web_json_time(r, "review_due_at"), due, sizeof(due));
		web_format_time(p, web_json_time(r, "expires_at"), expires, sizeof(expires));
		html_printf(
			&p->h,
			"<tr id=\"due-%lld\"><th scope=\"row\"><a href=\"/templates/%lld\">%s</a>"
			"</th><td>%s</td><td>%s</td><td>%s</td></tr>",
			(long long)id, (long long)id, json_string_value(json_object_get(r, "name")),
			web_template_review_label(
				json_string_value(json_object_get(r, "review_state"))),
			due, expires);
	}
	web_table_close(p);
}

/* GET /reports/templates?days=7|30|90 */
void web_report_templates(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int days = period_days(&p);
	int64_t now = time_now_ms();
	json_t *report = NULL;
	store_conn *c = store_reader_acquire(p.a->store);
	ct_err err = template_report(c, now - days * DAY_MS, now, now, template_grace_ms(&p.a->cfg),
				     &report);
	store_reader_release(p.a->store, c);
	if (err) {
		web_error(&p, 500, _("The report could not be made."));
		return;
	}
	web_open(&p, _("Template report"), "reports");
	html_printf(&p.h, "<div class=\"page report\"><h1>%s</h1>", _("Template report"));
	period_links(&p, days);
	totals(&p, json_object_get(report, "replies"));
	per_template(&p, json_object_get(report, "templates"));
	per_agent(&p, json_object_get(report, "agents"));
	due_list(&p, json_object_get(report, "review"));
	html_printf(&p.h, "</div>");
	web_close(&p);
	web_send(&p, 200);
	json_decref(report);
}

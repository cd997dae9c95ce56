/*
 * templates.c: the list of approved wording (GET /templates) and what the
 * template pages share (see templates_web.h).
 *
 * The list is for everyone signed in: the templates by name with their
 * status, intents, languages, channels and review state, filtered by
 * status, intent, language and words (a plain GET form, so a filtered list
 * can be bookmarked). The tab "Due for review" lists the approved
 * templates whose review is due or whose grace period has run out, with
 * the dates. Writers see "New template".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/timeutil.h"
#include "web/templates_web.h"

const char *const web_template_channels[] = {"any",      "email",    "x",         "sms",
					     "mastodon", "facebook", "instagram", "whatsapp",
					     "telegram", "web",      "api",       NULL};

/* template_env_from_app builds it (the API does the same); the engine is
 * a reference held until release (the caller's). */
void web_template_env(web_page *p, web_tenv *t)
{
	memset(t, 0, sizeof(*t));
	template_env_from_app(p->a, &t->env, &t->engine);
}

void web_template_env_release(web_tenv *t)
{
	template_env_release(&t->env, t->engine);
	t->engine = NULL;
}

const char *web_template_status_label(const char *status)
{
	if (!status)
		return "";
	if (strcmp(status, "draft") == 0)
		return _("Draft");
	if (strcmp(status, "in_review") == 0)
		return _("In review");
	if (strcmp(status, "approved") == 0)
		return _("Approved");
	if (strcmp(status, "returned") == 0)
		return _("Returned");
	if (strcmp(status, "retired") == 0)
		return _("Retired");
	if (strcmp(status, "superseded") == 0)
		return _("Superseded");
	return status;
}

const char *web_template_review_label(const char *state)
{
	if (!state || strcmp(state, "none") == 0)
		return _("not approved");
	if (strcmp(state, "ok") == 0)
		return _("OK");
	if (strcmp(state, "due") == 0)
		return _("Review due");
	if (strcmp(state, "expired") == 0)
		return _("Review expired");
	return state;
}

void web_template_badges(web_page *p, json_t *item)
{
	const char *status = json_string_value(json_object_get(item, "status"));
	const char *review = json_string_value(json_object_get(item, "review_state"));
	html_printf(&p->h, "<span class=\"badge tpl-%s\">%s</span>", status ? status : "",
		    web_template_status_label(status));
	if (review && (strcmp(review, "due") == 0 || strcmp(review, "expired") == 0))
		html_printf(&p->h, " <span class=\"badge %s\">%s</span>",
			    strcmp(review, "due") == 0 ? "due" : "overdue",
			    web_template_review_label(review));
}

const char *web_actor_label(const char *name)
{
	if (!name)
		return "";
	return strncmp(name, "user:", 5) == 0 ? name + 5 : name;
}

/* The confirmation after a redirect back (?done=...). */
static void done_message(web_page *p)
{
	static const char *const keys[] = {"saved",     "submitted", "approved", "returned",
					   "confirmed", "retired",   NULL};
	const char *messages[] = {_("The template was saved as a new version."),
				  _("The version was submitted for review."),
				  _("The version was approved. Agents can use it now."),
				  _("The version was returned to its author."),
				  _("The review was confirmed. The review period starts again."),
				  _("The template was retired. It cannot be used any more.")};
	const char *done = http_query(p->req, "done");
	for (size_t i = 0; done && keys[i]; i++)
		if (strcmp(done, keys[i]) == 0)
			html_printf(&p->h, "<p class=\"flash ok\" role=\"status\">%s</p>",
				    messages[i]);
}

/* One tab of the sub-navigation; the current one is marked. */
static void tab_link(web_page *p, const char *href, const char *label, int current)
{
	if (current)
		html_printf(&p->h, "<li><a href=\"%s\" aria-current=\"page\">%s</a></li>", href,
			    label);
	else
		html_printf(&p->h, "<li><a href=\"%s\">%s</a></li>", href, label);
}

void web_templates_open(web_page *p, const char *tab, const char *title)
{
	const char *t = tab ? tab : "";
	web_open(p, title, "templates");
	html_printf(&p->h,
		    "<div class=\"page templates\"><nav class=\"subnav\" aria-label=\"%s\"><ul>",
		    _("Templates"));
	tab_link(p, "/templates", _("All templates"), strcmp(t, "all") == 0);
	tab_link(p, "/templates?review=1", _("Due for review"), strcmp(t, "review") == 0);
	if (p->who->role & ROLES_MANAGE) {
		tab_link(p, "/templates/import", _("Import and export"), strcmp(t, "io") == 0);
		tab_link(p, "/reports/templates", _("Report"), 0);
	}
	html_printf(&p->h, "</ul></nav><h1>%s</h1>", title);
	done_message(p);
}

void web_templates_close(web_page *p, int status)
{
	html_printf(&p->h, "</div>");
	web_close(p);
	web_send(p, status);
}

void web_char_counter(web_page *p, const char *id, size_t limit)
{
	html_printf(&p->h,
		    "<output class=\"counter\" id=\"%s-count\" for=\"%s\" data-counter=\"%s\" "
		    "data-limit=\"%zu\" aria-live=\"polite\" data-over=\"%s\"></output>",
		    id, id, id, limit, _("too long for this channel"));
}

char *web_text_lf(const char *s)
{
	size_t n = s ? strlen(s) : 0, o = 0;
	char *out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			out[o++] = '\n';
			if (s[i + 1] == '\n')
				i++;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- The list ----------------------------------------------------------- */

/* The filter of the list from the query. */
static void read_filter(web_page *p, template_filter *f)
{
	memset(f, 0, sizeof(*f));
	const char *v;
	if ((v = http_query(p->req, "status")) && *v)
		f->status = v;
	if ((v = http_query(p->req, "intent")) && *v)
		f->intent = v;
	if ((v = http_query(p->req, "language")) && *v)
		f->language = v;
	if ((v = http_query(p->req, "q")) && *v)
		f->q = v;
	v = http_query(p->req, "review");
	f->review = v && strcmp(v, "1") == 0;
	f->now = time_now_ms();
	f->grace_ms = template_grace_ms(&p->a->cfg);
}

/* The filter form (a GET form, so the list can be bookmarked). */
static void filter_form(web_page *p, const template_filter *f)
{
	static const char *const statuses[] = {"",         "draft",   "in_review",
					       "approved", "retired", NULL};
	const char *labels[] = {_("Any but retired"), web_template_status_label("draft"),
				web_template_status_label("in_review"),
				web_template_status_label("approved"),
				web_template_status_label("retired")};
	html_printf(&p->h,
		    "<form method=\"get\" action=\"/templates\" class=\"card row filters-row\" "
		    "role=\"search\" aria-label=\"%s\">",
		    _("Filter templates"));
	if (f->review)
		html_printf(&p->h, "<input type=\"hidden\" name=\"review\" value=\"1\">");
	web_select(p, "status", _("Status"), statuses, labels, f->status ? f->status : "", NULL);
	web_field intent = {
		.type = "text", .name = "intent", .label = _("Intent"), .value = f->intent};
	web_input(p, &intent, NULL);
	web_field lang = {.type = "text",
			  .name = "language",
			  .label = _("Language"),
			  .value = f->language,
			  .maxlength = 3};
	web_input(p, &lang, NULL);
	web_field q = {.type = "search", .name = "q", .label = _("Words"), .value = f->q};
	web_input(p, &q, NULL);
	html_printf(&p->h, "<p class=\"actions\"><button type=\"submit\">%s</button></p></form>",
		    _("Filter"));
}

/* The strings of a JSON array joined with ", ". */
static void joined(web_page *p, json_t *list)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		html_printf(&p->h, "%s%s", i ? ", " : "", json_string_value(v));
}

/* One row of the list. */
static void list_row(web_page *p, json_t *t, int review)
{
	int64_t id = json_integer_value(json_object_get(t, "id"));
	char due[48], expires[48], approved[48];
	web_format_time(p, web_json_time(t, "review_due_at"), due, sizeof(due));
	web_format_time(p, web_json_time(t, "expires_at"), expires, sizeof(expires));
	web_format_time(p, web_json_time(t, "approved_at"), approved, sizeof(approved));
	html_printf(&p->h,
		    "<tr id=\"template-%lld\"><th scope=\"row\"><a href=\"/templates/%lld\">%s</a>"
		    "</th><td>",
		    (long long)id, (long long)id, json_string_value(json_object_get(t, "name")));
	web_template_badges(p, t);
	html_printf(&p->h, "</td><td>");
	joined(p, json_object_get(t, "intents"));
	html_printf(&p->h, "</td><td>");
	if (!review) {
		joined(p, json_object_get(t, "languages"));
		html_printf(&p->h, "</td><td>");
		joined(p, json_object_get(t, "channels"));
		html_printf(&p->h, "</td><td>");
	}
	const char *state = json_string_value(json_object_get(t, "review_state"));
	html_printf(&p->h, "<span class=\"review-%s\">%s</span>", state ? state : "",
		    web_template_review_label(state));
	if (due[0])
		html_printf(&p->h, "<br><span class=\"muted\">%s %s</span>", _("due"), due);
	if (review && expires[0])
		html_printf(&p->h, "<br><span class=\"muted\">%s %s</span>", _("unusable from"),
			    expires);
	html_printf(&p->h, "</td>");
	if (review)
		html_printf(&p->h, "<td>%s<br><span class=\"muted\">%s</span></td>", approved,
			    web_actor_label(json_string_value(json_object_get(t, "approved_by"))));
	html_printf(&p->h, "</tr>");
}

/* The table of templates, or what to do when there are none. */
static void list_table(web_page *p, json_t *list, int review)
{
	if (!json_array_size(list)) {
		html_printf(&p->h, "<p class=\"empty\" id=\"templates-empty\">%s</p>",
			    review ? _("No template is due for review.")
				   : _("No template matches."));
		return;
	}
	const char *all[] = {_("Name"),     _("Status"), _("Intents"), _("Languages"),
			     _("Channels"), _("Review"), NULL};
	const char *due[] = {_("Name"),   _("Status"),   _("Intents"),
			     _("Review"), _("Approved"), NULL};
	web_table_open(p, "templates-caption", review ? _("Due for review") : _("Templates"),
		       review ? due : all);
	size_t i;
	json_t *t;
	json_array_foreach(list, i, t) list_row(p, t, review);
	web_table_close(p);
}

/* GET /templates: the list (?review=1: the templates due for review). */
void web_templates(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	template_filter f;
	read_filter(&p, &f);
	json_t *list = NULL;
	store_conn *c = store_reader_acquire(p.a->store);
	ct_err err = template_list(c, &f, &list);
	store_reader_release(p.a->store, c);
	if (err == CT_ERR_INVALID) {
		f.status = NULL;
		list = json_array();
	} else if (err) {
		web_error(&p, 500, _("The templates could not be read."));
		return;
	}
	web_templates_open(&p, f.review ? "review" : "all",
			   f.review ? _("Templates due for review") : _("Templates"));
	if (p.who->role & ROLES_WRITE)
		html_printf(&p.h,
			    "<p class=\"actions\"><a class=\"button\" href=\"/templates/new\" "
			    "id=\"new-template\">%s</a></p>",
			    _("New template"));
	if (f.review)
		html_printf(&p.h, "<p class=\"muted\">%s</p>",
			    _("An approved template is due for review after its review interval. "
			      "After the grace period it cannot be used until a supervisor "
			      "confirms it or approves a new version."));
	filter_form(&p, &f);
	list_table(&p, list, f.review);
	json_decref(list);
	web_templates_close(&p, 200);
}

/*
 * inbox.c: the inbox page, three panes (see web.h): saved views and filters
 * on the left, the conversation list in the middle, the open conversation on
 * the right (conversation.c). On a phone one pane shows at a time.
 *
 * The list is a fragment of its own (/inbox/list) so that live events and
 * filter changes refresh just the list; links and forms work without
 * JavaScript (plain GET with the filter in the query). A conversation that
 * waits for an answer under a promise of the dialog concept shows "overdue"
 * or "due in 25 min" instead of how long it has waited.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "core/i18n.h"
#include "core/timeutil.h"
#include "inbox/inbox.h"
#include "triage/versions.h"
#include "web/pages.h"

void web_filter_read(http_request *req, web_filter *f)
{
	memset(f, 0, sizeof(*f));
	const char *keys[WEB_FILTER_KEYS] = {"view",     "status", "channel", "language",
					     "priority", "tag",    "q"};
	for (int i = 0; i < WEB_FILTER_KEYS; i++) {
		const char *v = http_query(req, keys[i]);
		f->value[i] = v && *v ? v : NULL;
	}
	f->cursor = http_query(req, "cursor");
}

int web_filter_query(html *h, const web_filter *f, int key, const char *value)
{
	static const char *const names[WEB_FILTER_KEYS] = {
		"view", "status", "channel", "language", "priority", "tag", "q"};
	char sep = '?';
	for (int i = 0; i < WEB_FILTER_KEYS; i++) {
		const char *v = i == key ? value : f->value[i];
		if (!v)
			continue;
		html_printf(h, "%c%s=", sep, names[i]);
		html_urlenc(h, v);
		sep = '&';
	}
	return sep == '&';
}

void web_scope(const principal *who, inbox_scope *scope)
{
	/* The rule of api_scope: agents see their teams' and their own. */
	scope->agent_user_id = who->role == ROLE_AGENT ? who->user_id : 0;
	scope->channel_id = 0;
}

/* The store filter and scope for a page filter. */
static void list_query(const web_page *p, const web_filter *wf, inbox_scope *scope, inbox_filter *f)
{
	web_scope(p->who, scope);
	memset(f, 0, sizeof(*f));
	const char *view = wf->value[WF_VIEW] ? wf->value[WF_VIEW] : "all";
	const char *status = wf->value[WF_STATUS] ? wf->value[WF_STATUS] : "open";
	f->status = strcmp(status, "any") == 0 ? NULL : status;
	f->channel = wf->value[WF_CHANNEL];
	f->language = wf->value[WF_LANGUAGE];
	f->priority = wf->value[WF_PRIORITY];
	f->tag = wf->value[WF_TAG];
	f->q = wf->value[WF_Q];
	f->cursor = wf->cursor;
	f->limit = 50;
	if (strcmp(view, "mine") == 0)
		f->assignee_id = p->who->user_id;
	else if (strcmp(view, "unassigned") == 0)
		f->unassigned = 1;
	else if (strcmp(view, "teams") == 0)
		scope->agent_user_id = p->who->user_id;
}

/* A link in the views pane that sets one filter key. */
static void view_link(web_page *p, const web_filter *f, int key, const char *value,
		      const char *label)
{
	const char *now = f->value[key];
	int current = value ? now && strcmp(now, value) == 0 : now == NULL;
	if (key == WF_VIEW && !now && value && strcmp(value, "all") == 0)
		current = 1;
	if (key == WF_STATUS && !now && value && strcmp(value, "open") == 0)
		current = 1;
	html_printf(&p->h, "<li><a href=\"/inbox");
	web_filter_query(&p->h, f, key, value);
	html_printf(&p->h, "\" aria-current=\"%s\">%s</a></li>", current ? "true" : "false", label);
}

/* One group of choices from inbox_choices ("channels", "tags") as links. */
static void choice_links(web_page *p, const web_filter *f, int key, json_t *rows, const char *title)
{
	if (!json_array_size(rows))
		return;
	html_printf(&p->h, "<h2>%s</h2><ul>", title);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		const char *name = json_string_value(json_object_get(row, "name"));
		view_link(p, f, key, name, name);
	}
	html_printf(&p->h, "</ul>");
}

static void views_pane(web_page *p, const web_filter *f, json_t *choices)
{
	html_printf(&p->h,
		    "<nav class=\"views\" aria-label=\"%s\">"
		    "<button type=\"button\" class=\"secondary\" data-toggle-views "
		    "aria-expanded=\"false\">%s</button><div class=\"groups\"><h2>%s</h2><ul>",
		    _("Views and filters"), _("Views and filters"), _("Views"));
	view_link(p, f, WF_VIEW, "mine", _("Mine"));
	view_link(p, f, WF_VIEW, "unassigned", _("Unassigned"));
	view_link(p, f, WF_VIEW, "teams", _("My teams"));
	view_link(p, f, WF_VIEW, "all", _("All"));
	html_printf(&p->h, "</ul><h2>%s</h2><ul>", _("Status"));
	view_link(p, f, WF_STATUS, "open", _("Open"));
	view_link(p, f, WF_STATUS, "pending", _("Pending"));
	view_link(p, f, WF_STATUS, "snoozed", _("Snoozed"));
	view_link(p, f, WF_STATUS, "resolved", _("Resolved"));
	view_link(p, f, WF_STATUS, "any", _("Any status"));
	html_printf(&p->h, "</ul><h2>%s</h2><ul>", _("Priority"));
	view_link(p, f, WF_PRIORITY, NULL, _("Any priority"));
	view_link(p, f, WF_PRIORITY, "urgent", _("Urgent"));
	view_link(p, f, WF_PRIORITY, "high", _("High"));
	html_printf(&p->h, "</ul><h2>%s</h2><ul>", _("Language"));
	view_link(p, f, WF_LANGUAGE, NULL, _("Any language"));
	view_link(p, f, WF_LANGUAGE, "de", _("German"));
	view_link(p, f, WF_LANGUAGE, "en", _("English"));
	html_printf(&p->h, "</ul>");
	choice_links(p, f, WF_CHANNEL, json_object_get(choices, "channels"), _("Channels"));
	choice_links(p, f, WF_TAG, json_object_get(choices, "tags"), _("Tags"));
	html_printf(&p->h, "</div></nav>");
}

/* The channel's icon: a coloured letter with the channel kind as its name. */
void web_channel_icon(web_page *p, const char *kind)
{
	static const char *const kinds[][3] = {
		{"facebook", "f", "Facebook"},
		{"instagram", "IG", "Instagram"},
		{"x", "X", "X"},
		{"mastodon", "M", "Mastodon"},
		{"whatsapp", "WA", "WhatsApp"},
		{"telegram", "TG", "Telegram"},
		{"email", "@", "E-Mail"},
		{"web", "W", "Website"},
		{"api", "A", "API"},
	};
	const char *letter = "?", *label = kind ? kind : "";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kind && strcmp(kind, kinds[i][0]) == 0)
			letter = kinds[i][1], label = kinds[i][2];
	html_printf(&p->h,
		    "<span class=\"chan chan-%s\" role=\"img\" aria-label=\"%s\">"
		    "<span aria-hidden=\"true\">%s</span></span>",
		    kind ? kind : "other", label, letter);
}

/* ms since the epoch of an RFC 3339 member of o; 0 when absent. */
int64_t web_json_time(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	int64_t ms = 0;
	if (s && time_parse_rfc3339(s, strlen(s), &ms) != CT_OK)
		ms = 0;
	return ms;
}

/* How long until ms from now, rounded up: "25 min", "3 h", "2 d". */
static void format_until(int64_t ms, char *out, size_t size)
{
	int64_t min = (ms + 59999) / 60000;
	if (min < 60)
		snprintf(out, size, _("%lld min"), (long long)(min < 1 ? 1 : min));
	else if (min < 24 * 60)
		snprintf(out, size, _("%lld h"), (long long)(min / 60));
	else
		snprintf(out, size, _("%lld d"), (long long)(min / (24 * 60)));
}

/* How long before a due time of policy's target ("first_response" or
 * "next_response") it counts as due soon: the active concept's lead for
 * it, else 30 minutes. */
static int64_t due_soon_lead(web_page *p, const char *policy, int first)
{
	int64_t lead = 30 * 60000;
	triage_engine *e = triage_active_get(&p->a->triage, p->a->store, 0);
	const concept_sla *sla =
		e && policy ? concept_sla_by_name(triage_engine_concept(e), policy) : NULL;
	if (sla) {
		int64_t ms = first ? sla->first_response_ms : sla->next_response_ms;
		if (triage_due_soon_lead(sla, ms) > 0)
			lead = triage_due_soon_lead(sla, ms);
	}
	triage_engine_unref(e);
	return lead;
}

/* The response-time state of a conversation that waits for an answer
 * under a promise of the dialog concept: "overdue" (red) or "due in 25 min"
 * (marked when soon). 1 when a badge was written, 0 when nothing is due. */
static int sla_badge(web_page *p, json_t *conv, const char *status)
{
	if (!status || strcmp(status, "resolved") == 0)
		return 0;
	json_t *sla = json_object_get(conv, "sla");
	int64_t due = 0;
	int first = 0;
	if (json_is_null(json_object_get(conv, "first_response_at")) &&
	    (due = web_json_time(sla, "first_response_due_at")))
		first = 1;
	else
		due = web_json_time(sla, "next_response_due_at");
	if (!due)
		return 0;
	char when[48], title[160], text[80], in[32];
	web_format_time(p, due, when, sizeof(when));
	snprintf(title, sizeof(title),
		 first ? _("First response due at %s") : _("Next response due at %s"), when);
	int64_t left = due - time_now_ms();
	if (left <= 0) {
		html_printf(&p->h, "<span class=\"badge overdue\" title=\"%s\">%s</span>", title,
			    _("overdue"));
		return 1;
	}
	format_until(left, in, sizeof(in));
	snprintf(text, sizeof(text), _("due in %s"), in);
	int soon =
		left <= due_soon_lead(p, json_string_value(json_object_get(sla, "policy")), first);
	html_printf(&p->h, "<span class=\"badge %s\" title=\"%s\">%s</span>",
		    soon ? "due soon" : "sla", title, text);
	return 1;
}

void web_status_badges(web_page *p, json_t *conv)
{
	const char *status = json_string_value(json_object_get(conv, "status"));
	const char *priority = json_string_value(json_object_get(conv, "priority"));
	if (status && strcmp(status, "open") != 0)
		html_printf(&p->h, "<span class=\"badge %s\">%s</span>", status,
			    web_status_label(status));
	if (priority && (strcmp(priority, "high") == 0 || strcmp(priority, "urgent") == 0))
		html_printf(&p->h, "<span class=\"badge %s\">%s</span>", priority,
			    strcmp(priority, "urgent") == 0 ? _("Urgent") : _("High"));
	/* A promise of the dialog concept shows its state; without one, an
	 * open conversation that nobody has answered shows how long it waits. */
	if (!sla_badge(p, conv, status) && status && strcmp(status, "open") == 0 &&
	    json_is_null(json_object_get(conv, "first_response_at"))) {
		char age[32];
		web_format_age(p, web_json_time(conv, "created_at"), age, sizeof(age));
		html_printf(&p->h, "<span class=\"badge due\">%s %s</span>", _("waiting"), age);
	}
	size_t i;
	json_t *tag;
	json_array_foreach(json_object_get(conv, "tags"), i, tag)
		html_printf(&p->h, "<span class=\"badge\">#%s</span>", json_string_value(tag));
}

const char *web_status_label(const char *status)
{
	if (!status)
		return "";
	if (strcmp(status, "open") == 0)
		return _("Open");
	if (strcmp(status, "pending") == 0)
		return _("Pending");
	if (strcmp(status, "snoozed") == 0)
		return _("Snoozed");
	if (strcmp(status, "resolved") == 0)
		return _("Resolved");
	return status;
}

static void list_item(web_page *p, const web_filter *f, json_t *conv, int64_t open_id)
{
	json_int_t id = json_integer_value(json_object_get(conv, "id"));
	json_t *contact = json_object_get(conv, "contact");
	html_printf(&p->h,
		    "<li><a class=\"conv\" id=\"conv-%lld\" data-id=\"%lld\" "
		    "aria-current=\"%s\" href=\"/inbox/c/%lld",
		    (long long)id, (long long)id, id == open_id ? "true" : "false", (long long)id);
	web_filter_query(&p->h, f, -1, NULL);
	html_printf(&p->h, "\" hx-get=\"/inbox/c/%lld", (long long)id);
	web_filter_query(&p->h, f, -1, NULL);
	html_printf(&p->h, "\" hx-target=\"#conversation\" hx-swap=\"outerHTML\" "
			   "hx-push-url=\"true\">");
	web_channel_icon(
		p, json_string_value(json_object_get(json_object_get(conv, "channel"), "kind")));
	char age[32], when[48];
	int64_t last = web_json_time(conv, "last_activity_at");
	web_format_age(p, last, age, sizeof(age));
	web_format_time(p, last, when, sizeof(when));
	html_printf(&p->h,
		    "<span class=\"who\">%s</span><span class=\"age\"><time title=\"%s\">%s</time>"
		    "</span><span class=\"snippet\">%s</span><span class=\"meta\">",
		    json_string_value(json_object_get(contact, "name")), when, age,
		    json_string_value(json_object_get(conv, "snippet")));
	web_status_badges(p, conv);
	html_printf(&p->h, "</span></a></li>");
}

void web_list_pane(web_page *p, const web_filter *f, int64_t open_id)
{
	inbox_scope scope;
	inbox_filter lf;
	list_query(p, f, &scope, &lf);
	json_t *data = NULL;
	buf next;
	buf_init(&next, 1024);
	err_detail d = {.index = -1};
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = inbox_list(c, &scope, &lf, &data, &next, &d);
	store_reader_release(p->a->store, c);
	html_printf(&p->h,
		    "<section id=\"list\" class=\"list\" aria-label=\"%s\" data-src=\"/inbox/list",
		    _("Conversations"));
	web_filter_query(&p->h, f, -1, NULL);
	html_printf(&p->h, "\"><div class=\"list-head\"><h2>%s</h2>", _("Conversations"));
	html_printf(&p->h, "<form method=\"get\" action=\"/inbox\" role=\"search\">");
	for (int i = 0; i < WEB_FILTER_KEYS; i++)
		if (i != WF_Q && f->value[i])
			html_printf(&p->h, "<input type=\"hidden\" name=\"%s\" value=\"%s\">",
				    web_filter_name(i), f->value[i]);
	html_printf(&p->h,
		    "<label class=\"sr\" for=\"q\">%s</label><input type=\"search\" id=\"q\" "
		    "name=\"q\" value=\"%s\" placeholder=\"%s\" aria-keyshortcuts=\"/\"></form>"
		    "</div>",
		    _("Filter conversations"), f->value[WF_Q] ? f->value[WF_Q] : "", _("Filter…"));
	if (err) {
		html_printf(&p->h, "<p class=\"empty error\">%s</p>",
			    d.message[0] ? d.message : _("The list could not be read."));
	} else if (!json_array_size(data)) {
		html_printf(&p->h, "<p class=\"empty\">%s</p>", _("Nothing here. Well done."));
	} else {
		html_printf(&p->h, "<ol>");
		size_t i;
		json_t *conv;
		json_array_foreach(data, i, conv) list_item(p, f, conv, open_id);
		html_printf(&p->h, "</ol>");
	}
	if (next.len) {
		html_printf(&p->h, "<a class=\"more\" href=\"/inbox");
		int any = web_filter_query(&p->h, f, -1, NULL);
		html_printf(&p->h, "%scursor=", any ? "&" : "?");
		html_urlenc(&p->h, buf_cstr(&next));
		html_printf(&p->h, "\">%s</a>", _("Older conversations"));
	}
	html_printf(&p->h, "</section>");
	json_decref(data);
	buf_free(&next);
}

const char *web_filter_name(int key)
{
	static const char *const names[WEB_FILTER_KEYS] = {
		"view", "status", "channel", "language", "priority", "tag", "q"};
	return key >= 0 && key < WEB_FILTER_KEYS ? names[key] : "";
}

/* The whole inbox page; conversation_id 0 shows the placeholder. */
void web_inbox_page(web_page *p, const web_filter *f, int64_t conversation_id)
{
	json_t *choices = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	if (inbox_choices(c, &choices) != CT_OK)
		choices = json_object();
	store_reader_release(p->a->store, c);
	web_open(p, _("Inbox"), "inbox");
	html_printf(&p->h, "<div class=\"inbox%s\">", conversation_id ? " has-conversation" : "");
	views_pane(p, f, choices);
	web_list_pane(p, f, conversation_id);
	if (conversation_id)
		web_conversation_pane(p, f, conversation_id, NULL);
	else
		html_printf(&p->h,
			    "<section id=\"conversation\" class=\"thread-pane\" aria-label=\"%s\">"
			    "<p class=\"placeholder\">%s</p></section>",
			    _("Conversation"),
			    _("Pick a conversation. Press ? for keyboard shortcuts."));
	html_printf(&p->h, "</div>");
	json_decref(choices);
	web_close(p);
}

/* GET /inbox */
void web_inbox(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	web_filter f;
	web_filter_read(req, &f);
	if (p.partial) {
		web_list_pane(&p, &f, 0);
		web_send(&p, 200);
		return;
	}
	web_inbox_page(&p, &f, 0);
	web_send(&p, 200);
}

/* GET /inbox/list: the list alone (live refresh). */
void web_inbox_list(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	p.partial = 1;
	web_filter f;
	web_filter_read(req, &f);
	web_list_pane(&p, &f, 0); /* app.js marks the open conversation */
	web_send(&p, 200);
}

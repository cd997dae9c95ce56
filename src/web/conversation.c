/*
 * conversation.c: the open conversation in the inbox (see pages.h): the
 * thread, the reply box with internal notes, the details beside it (status,
 * assignee, team, priority, tags, why the dialog concept routed it so and its
 * response-time promise, the contact card) and the actions on it.
 *
 * Every action is a plain form POST that redirects back (no JavaScript
 * needed); htmx posts the same forms and gets the refreshed pane instead.
 * The reply box with its templates panel is in composer.c; a reply goes
 * through inbox_reply (the template it came from, strict wording),
 * and replies held for approval show in the thread, marked as not sent.
 * Actions publish the same live events as the JSON API, so every open inbox
 * follows. Presence ("Anna is viewing / replying") is only an event: the
 * browsers of the others show it for a while and forget it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/i18n.h"
#include "core/timeutil.h"
#include "jobs/jobs.h"
#include "web/pages.h"
#include "web/templates_web.h"

static void post_attrs(web_page *p, int64_t id, const char *action);

/* Under a reply that was not delivered: why, and a button to send it again. */
static void retry_form(web_page *p, json_t *m)
{
	const char *why = json_string_value(json_object_get(m, "delivery_error"));
	html_printf(&p->h, "<form class=\"retry row\"");
	post_attrs(p, json_integer_value(json_object_get(m, "conversation_id")), "retry");
	html_printf(&p->h, "><p class=\"delivery-error\">%s</p>", why ? why : "");
	web_csrf_field(p);
	html_printf(&p->h,
		    "<input type=\"hidden\" name=\"message_id\" value=\"%lld\">"
		    "<button type=\"submit\">%s</button></form>",
		    (long long)json_integer_value(json_object_get(m, "id")), _("Send again"));
}

static void message_item(web_page *p, json_t *m)
{
	const char *direction = json_string_value(json_object_get(m, "direction"));
	const char *state = json_string_value(json_object_get(m, "delivery_state"));
	json_t *author = json_object_get(m, "author");
	int note = direction && strcmp(direction, "note") == 0;
	char when[48];
	web_format_time(p, web_json_time(m, "created_at"), when, sizeof(when));
	const char *name = json_string_value(json_object_get(author, "name"));
	html_printf(&p->h,
		    "<li class=\"msg %s\" id=\"m-%lld\"><header><strong>%s</strong>"
		    "<span>%s</span><time>%s</time>",
		    direction ? direction : "",
		    (long long)json_integer_value(json_object_get(m, "id")), name ? name : "",
		    note ? _("internal note") : "", when);
	if (state && strcmp(direction, "out") == 0)
		html_printf(&p->h, "<span class=\"delivery %s\">%s</span>", state,
			    strcmp(state, "sent") == 0     ? _("delivered")
			    : strcmp(state, "failed") == 0 ? _("not delivered")
							   : _("sending"));
	html_safe body = html_text_block(json_string_value(json_object_get(m, "text")));
	html_printf(&p->h, "</header><div class=\"body\">");
	html_raw(&p->h, &body);
	html_printf(&p->h, "</div>");
	html_safe_free(&body);
	if (state && strcmp(state, "failed") == 0)
		retry_form(p, m);
	html_printf(&p->h, "</li>");
}

/* A reply held for approval (pending or rejected): in the thread, marked
 * as not sent; a rejected one with its reason. */
static void held_item(web_page *p, json_t *r)
{
	const char *state = json_string_value(json_object_get(r, "state"));
	int rejected = state && strcmp(state, "rejected") == 0;
	const char *reason = json_string_value(json_object_get(r, "reason"));
	char when[48];
	web_format_time(p, web_json_time(r, "created_at"), when, sizeof(when));
	html_printf(&p->h,
		    "<li class=\"msg out held %s\" id=\"h-%lld\"><header><strong>%s</strong>"
		    "<time>%s</time><span class=\"delivery held\">%s</span></header>"
		    "<div class=\"body\">",
		    rejected ? "held-rejected" : "held-pending",
		    (long long)json_integer_value(json_object_get(r, "id")),
		    json_string_value(json_object_get(r, "author_name")), when,
		    rejected ? _("Rejected – not sent")
			     : _("Waiting for approval by a supervisor – not sent"));
	html_safe body = html_text_block(json_string_value(json_object_get(r, "text")));
	html_raw(&p->h, &body);
	html_safe_free(&body);
	html_printf(&p->h, "</div>");
	if (rejected) {
		char by[400];
		snprintf(by, sizeof(by), _("Rejected by %s:"),
			 web_actor_label(json_string_value(json_object_get(r, "decided_by"))));
		html_printf(&p->h, "<p class=\"held-reason\"><strong>%s</strong> %s</p>", by,
			    reason ? reason : "");
	}
	html_printf(&p->h, "</li>");
}

/* The thread: messages and held replies by time, oldest first. */
static void messages_list(web_page *p, int64_t id, json_t *conv)
{
	html_printf(&p->h,
		    "<ol id=\"messages\" class=\"messages\" data-src=\"/inbox/c/%lld/messages\" "
		    "aria-label=\"%s\" aria-live=\"polite\">",
		    (long long)id, _("Messages"));
	json_t *messages = json_object_get(conv, "messages");
	json_t *held = json_object_get(conv, "held_replies");
	size_t i = 0, k = 0, nm = json_array_size(messages), nh = json_array_size(held);
	while (i < nm || k < nh) {
		json_t *m = json_array_get(messages, i), *h = json_array_get(held, k);
		if (m && (!h || web_json_time(m, "created_at") <= web_json_time(h, "created_at")))
			message_item(p, m), i++;
		else
			held_item(p, h), k++;
	}
	html_printf(&p->h, "</ol>");
}

/* An htmx form attribute set that posts to url and swaps the pane. */
static void post_attrs(web_page *p, int64_t id, const char *action)
{
	html_printf(&p->h,
		    " method=\"post\" action=\"/inbox/c/%lld/%s\" hx-post=\"/inbox/c/%lld/%s\" "
		    "hx-target=\"#conversation\" hx-swap=\"outerHTML\"",
		    (long long)id, action, (long long)id, action);
}

/* <option>s from rows [{id, name}] with selected marked; none_label first. */
static void options(web_page *p, json_t *rows, int64_t selected, const char *none_label)
{
	html_printf(&p->h, "<option value=\"\">%s</option>", none_label);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		json_int_t id = json_integer_value(json_object_get(row, "id"));
		html_printf(&p->h, "<option value=\"%lld\"%s>%s</option>", (long long)id,
			    id == selected ? " selected" : "",
			    json_string_value(json_object_get(row, "name")));
	}
}

static void status_form(web_page *p, int64_t id, const char *status)
{
	static const char *const statuses[] = {"open", "pending", "snoozed", "resolved"};
	html_printf(&p->h, "<form class=\"row\"");
	post_attrs(p, id, "update");
	html_printf(&p->h, ">");
	web_csrf_field(p);
	html_printf(&p->h,
		    "<div><label for=\"status\">%s</label><select id=\"status\" name=\"status\">",
		    _("Status"));
	for (size_t i = 0; i < 4; i++)
		html_printf(&p->h, "<option value=\"%s\"%s>%s</option>", statuses[i],
			    strcmp(status, statuses[i]) == 0 ? " selected" : "",
			    web_status_label(statuses[i]));
	html_printf(&p->h,
		    "</select></div><button type=\"submit\" class=\"secondary\">%s</button>"
		    "</form>",
		    _("Save"));
	if (strcmp(status, "resolved") != 0) {
		html_printf(&p->h, "<form");
		post_attrs(p, id, "update");
		html_printf(&p->h, ">");
		web_csrf_field(p);
		html_printf(&p->h,
			    "<input type=\"hidden\" name=\"status\" value=\"resolved\">"
			    "<button type=\"submit\" id=\"resolve-button\" aria-keyshortcuts=\"e\">"
			    "%s</button></form>",
			    _("Resolve"));
	}
}

static void assign_form(web_page *p, int64_t id, json_t *conv, json_t *choices)
{
	html_printf(&p->h, "<form");
	post_attrs(p, id, "update");
	html_printf(&p->h, ">");
	web_csrf_field(p);
	html_printf(&p->h,
		    "<label for=\"assignee\">%s</label>"
		    "<select id=\"assignee\" name=\"assignee_id\" aria-keyshortcuts=\"a\">",
		    _("Assignee"));
	options(p, json_object_get(choices, "people"),
		json_integer_value(json_object_get(conv, "assignee_id")), _("Nobody"));
	html_printf(&p->h,
		    "</select><label for=\"team\">%s</label>"
		    "<select id=\"team\" name=\"team_id\">",
		    _("Team"));
	options(p, json_object_get(choices, "teams"),
		json_integer_value(json_object_get(conv, "team_id")), _("No team"));
	static const char *const priorities[] = {"low", "normal", "high", "urgent"};
	const char *labels[] = {_("Low"), _("Normal"), _("High"), _("Urgent")};
	const char *priority = json_string_value(json_object_get(conv, "priority"));
	html_printf(&p->h,
		    "</select><label for=\"priority\">%s</label>"
		    "<select id=\"priority\" name=\"priority\">",
		    _("Priority"));
	for (size_t i = 0; i < 4; i++)
		html_printf(&p->h, "<option value=\"%s\"%s>%s</option>", priorities[i],
			    priority && strcmp(priority, priorities[i]) == 0 ? " selected" : "",
			    labels[i]);
	html_printf(&p->h,
		    "</select><label for=\"tags\">%s</label><input type=\"text\" id=\"tags\" "
		    "name=\"tags\" value=\"",
		    _("Tags"));
	size_t i;
	json_t *tag;
	json_array_foreach(json_object_get(conv, "tags"), i, tag)
		html_printf(&p->h, "%s%s", i ? ", " : "", json_string_value(tag));
	html_printf(&p->h,
		    "\" aria-describedby=\"tags-hint\"><p class=\"field-hint\" id=\"tags-hint\">%s"
		    "</p><button type=\"submit\" class=\"secondary\">%s</button></form>",
		    _("Separate tags with commas."), _("Save"));
}

static void contact_card(web_page *p, json_t *conv, int64_t current)
{
	json_t *contact = json_object_get(conv, "contact");
	int64_t contact_id = json_integer_value(json_object_get(contact, "id"));
	inbox_scope scope;
	web_scope(p->who, &scope);
	json_t *card = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = inbox_contact(c, &scope, contact_id, &card);
	store_reader_release(p->a->store, c);
	html_printf(&p->h, "<section aria-labelledby=\"contact-h\"><h2 id=\"contact-h\">%s</h2>",
		    _("Contact"));
	html_printf(&p->h, "<p><a href=\"/contacts/%lld\">%s</a></p>", (long long)contact_id,
		    json_string_value(json_object_get(contact, "name")));
	if (!err) {
		html_printf(&p->h, "<ul>");
		size_t i;
		json_t *ident;
		json_array_foreach(json_object_get(card, "identities"), i, ident)
		{
			const char *handle = json_string_value(json_object_get(ident, "handle"));
			if (!handle)
				handle = json_string_value(json_object_get(ident, "name"));
			html_printf(&p->h, "<li><span class=\"badge\">%s</span> %s</li>",
				    json_string_value(json_object_get(ident, "channel")),
				    handle ? handle : "");
		}
		html_printf(&p->h, "</ul><h3>%s</h3><ul>", _("Earlier conversations"));
		json_t *other;
		int shown = 0;
		json_array_foreach(json_object_get(card, "conversations"), i, other)
		{
			json_int_t oid = json_integer_value(json_object_get(other, "id"));
			if (oid == current)
				continue;
			const char *subject = json_string_value(json_object_get(other, "subject"));
			char when[48];
			web_format_time(p, web_json_time(other, "created_at"), when, sizeof(when));
			html_printf(&p->h,
				    "<li><a href=\"/inbox/c/%lld\">%s</a> <span class=\"muted\">"
				    "%s · %s · %s</span></li>",
				    (long long)oid, subject && *subject ? subject : "#",
				    json_string_value(json_object_get(other, "channel")), when,
				    web_status_label(
					    json_string_value(json_object_get(other, "status"))));
			shown++;
		}
		if (!shown)
			html_printf(&p->h, "<li class=\"muted\">%s</li>", _("none"));
		html_printf(&p->h, "</ul>");
	}
	html_printf(&p->h, "</section>");
	json_decref(card);
}

/* The concept's action for people ("answer", ... as words). Gettext or
 * the name itself. */
static const char *action_label(const char *action)
{
	if (!action)
		return "";
	if (strcmp(action, "answer") == 0)
		return _("Answer");
	if (strcmp(action, "share") == 0)
		return _("Answer and consider sharing");
	if (strcmp(action, "escalate") == 0)
		return _("Escalate");
	if (strcmp(action, "ignore") == 0)
		return _("Ignore (no answer needed)");
	return action;
}

/* One target of the response-time promise as <dt>/<dd>: done at done_ms,
 * or due at due_ms (overdue since then once past). Nothing when neither. */
static void due_item(web_page *p, const char *label, int64_t due_ms, int64_t done_ms,
		     const char *done_text)
{
	char when[48], text[160];
	const char *cls = "";
	if (done_ms) {
		web_format_time(p, done_ms, when, sizeof(when));
		snprintf(text, sizeof(text), done_text, when);
	} else if (due_ms) {
		web_format_time(p, due_ms, when, sizeof(when));
		int overdue = due_ms <= time_now_ms();
		snprintf(text, sizeof(text), overdue ? _("overdue since %s") : _("due at %s"),
			 when);
		cls = overdue ? "overdue" : "due";
	} else {
		return;
	}
	html_printf(&p->h, "<dt>%s</dt><dd class=\"%s\">%s</dd>", label, cls, text);
}

/* Why the conversation is where it is: what the dialog concept found in
 * the latest message (intent and its evidence, the rules that matched and
 * why, the action) and the response-time promise with its due times.
 * Nothing when no concept looked at it. */
static void why_panel(web_page *p, json_t *conv)
{
	json_t *triage = json_object_get(conv, "triage");
	json_t *sla = json_object_get(conv, "sla");
	const char *policy = json_string_value(json_object_get(sla, "policy"));
	if (!json_is_object(triage) && !policy)
		return;
	html_printf(&p->h,
		    "<section class=\"why\" aria-labelledby=\"why-h\"><h2 id=\"why-h\">%s</h2>",
		    _("Why"));
	if (json_is_true(json_object_get(conv, "language_unowned")) ||
	    json_is_true(json_object_get(triage, "language_unowned")))
		html_printf(&p->h, "<p class=\"flash warn\" id=\"language-unowned\">%s</p>",
			    _("Language without a responsible team – routed to the fallback team"));
	html_printf(&p->h, "<dl class=\"facts\">");
	const char *intent = json_string_value(json_object_get(conv, "intent"));
	if (!intent)
		intent = json_string_value(json_object_get(triage, "intent"));
	const char *evidence = json_string_value(json_object_get(triage, "evidence"));
	html_printf(&p->h, "<dt>%s</dt><dd>%s", _("Intent"), intent ? intent : _("none found"));
	if (intent && evidence && *evidence) {
		char found[300];
		snprintf(found, sizeof(found), _("found: %s"), evidence);
		html_printf(&p->h, " <span class=\"muted\">(%s)</span>", found);
	}
	html_printf(&p->h, "</dd>");
	json_t *rules = json_object_get(triage, "rules");
	if (json_array_size(rules)) {
		html_printf(&p->h, "<dt>%s</dt><dd><ul class=\"plain rules\">", _("Rules"));
		size_t i;
		json_t *r;
		json_array_foreach(rules, i, r)
			html_printf(&p->h, "<li><strong>%s</strong>: %s</li>",
				    json_string_value(json_object_get(r, "name")),
				    json_string_value(json_object_get(r, "because")));
		html_printf(&p->h, "</ul></dd>");
	}
	const char *action = json_string_value(json_object_get(conv, "action"));
	if (!action)
		action = json_string_value(json_object_get(triage, "action"));
	if (action && *action)
		html_printf(&p->h, "<dt>%s</dt><dd>%s</dd>", _("Action"), action_label(action));
	if (policy) {
		const char *status = json_string_value(json_object_get(conv, "status"));
		int resolved = status && strcmp(status, "resolved") == 0;
		html_printf(&p->h, "<dt>%s</dt><dd>%s</dd>", _("Response times"), policy);
		due_item(p, _("First response"), web_json_time(sla, "first_response_due_at"),
			 web_json_time(conv, "first_response_at"), _("answered at %s"));
		if (!resolved)
			due_item(p, _("Next response"), web_json_time(sla, "next_response_due_at"),
				 0, NULL);
		due_item(p, _("Resolution"), web_json_time(sla, "resolution_due_at"),
			 resolved ? web_json_time(conv, "resolved_at") : 0, _("resolved at %s"));
	}
	html_printf(&p->h, "</dl>");
	if (json_is_true(json_object_get(triage, "after_hours")))
		html_printf(&p->h, "<p class=\"muted\">%s</p>",
			    _("The message came in outside the office hours."));
	html_printf(&p->h, "</section>");
}

/* The details beside the thread (#conv-meta). */
static void meta_pane(web_page *p, int64_t id, json_t *conv)
{
	json_t *choices = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	if (inbox_choices(c, &choices) != CT_OK)
		choices = json_object();
	store_reader_release(p->a->store, c);
	html_printf(&p->h,
		    "<aside id=\"conv-meta\" class=\"side\" data-src=\"/inbox/c/%lld/meta\" "
		    "aria-label=\"%s\">",
		    (long long)id, _("Details"));
	if (p->who->role != ROLE_VIEWER) {
		html_printf(&p->h, "<section>");
		status_form(p, id, json_string_value(json_object_get(conv, "status")));
		assign_form(p, id, conv, choices);
		html_printf(&p->h, "</section>");
	}
	why_panel(p, conv);
	contact_card(p, conv, id);
	html_printf(&p->h, "</aside>");
	json_decref(choices);
}

/* Read the conversation in the user's view, with its messages or without;
 * NULL when it is not in view. The caller owns it. */
static json_t *load(web_page *p, int64_t id, int with_messages)
{
	inbox_scope scope;
	web_scope(p->who, &scope);
	json_t *conv = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = with_messages ? inbox_get(c, &scope, id, &conv)
				   : inbox_conversation(c, &scope, id, &conv);
	if (err)
		conv = NULL;
	store_reader_release(p->a->store, c);
	return conv;
}

/* The open conversation (#conversation) with the reply box as draft says. */
static void pane(web_page *p, const web_filter *f, int64_t id, const web_draft *draft)
{
	json_t *conv = load(p, id, 1);
	if (!conv) {
		html_printf(&p->h,
			    "<section id=\"conversation\" class=\"thread-pane\" aria-label=\"%s\">"
			    "<p class=\"placeholder\">%s</p></section>",
			    _("Conversation"),
			    _("This conversation does not exist or is not yours to see."));
		return;
	}
	const char *contact =
		json_string_value(json_object_get(json_object_get(conv, "contact"), "name"));
	const char *subject = json_string_value(json_object_get(conv, "subject"));
	html_printf(&p->h,
		    "<section id=\"conversation\" class=\"thread-pane\" data-id=\"%lld\" "
		    "aria-labelledby=\"conv-title\"><div class=\"thread-main\">"
		    "<div class=\"thread-head\"><a class=\"back button secondary\" href=\"/inbox",
		    (long long)id);
	web_filter_query(&p->h, f, -1, NULL);
	html_printf(&p->h, "\">← %s</a><h1 id=\"conv-title\">", _("Back to the list"));
	web_channel_icon(
		p, json_string_value(json_object_get(json_object_get(conv, "channel"), "kind")));
	html_printf(&p->h, " %s</h1><div>", subject && *subject ? subject : contact);
	web_status_badges(p, conv);
	html_printf(&p->h,
		    "</div></div><p id=\"presence\" class=\"presence\" role=\"status\" "
		    "aria-live=\"polite\" data-viewing=\"%s\" data-replying=\"%s\"></p>",
		    _("%s is viewing this conversation"), _("%s is replying"));
	messages_list(p, id, conv);
	if (p->who->role != ROLE_VIEWER)
		web_composer(p, id, conv, draft);
	html_printf(&p->h, "</div>");
	meta_pane(p, id, conv);
	html_printf(&p->h, "</section>");
	json_decref(conv);
}

void web_conversation_pane(web_page *p, const web_filter *f, int64_t id, const char *error)
{
	const char *held = http_query(p->req, "held");
	web_draft d = {.error = error};
	if (held && strcmp(held, "1") == 0)
		d.notice = _("Waiting for approval by a supervisor. The customer sees nothing "
			     "until it is approved.");
	pane(p, f, id, error || d.notice ? &d : NULL);
}

/* GET /inbox/c/{id}: the inbox with the conversation open (htmx: the pane). */
void web_conversation(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	web_filter f;
	web_filter_read(req, &f);
	int64_t id = http_param_id(req, 0);
	if (p.partial) {
		web_conversation_pane(&p, &f, id, NULL);
		web_send(&p, 200);
		return;
	}
	web_inbox_page(&p, &f, id);
	web_send(&p, 200);
}

/* One part of the open conversation alone, for the live refresh. */
static void answer_part(http_request *req, http_response *res, int with_messages,
			void (*part)(web_page *p, int64_t id, json_t *conv))
{
	web_page p;
	web_begin(&p, req, res);
	p.partial = 1;
	int64_t id = http_param_id(req, 0);
	json_t *conv = load(&p, id, with_messages);
	if (!conv) {
		web_error(&p, 404, _("This conversation does not exist or is not yours to see."));
		return;
	}
	part(&p, id, conv);
	json_decref(conv);
	web_send(&p, 200);
}

/* GET /inbox/c/{id}/messages: the thread alone. */
void web_conversation_messages(http_request *req, http_response *res)
{
	answer_part(req, res, 1, messages_list);
}

/* GET /inbox/c/{id}/meta: the details alone. */
void web_conversation_meta(http_request *req, http_response *res)
{
	answer_part(req, res, 0, meta_pane);
}

/* After an action: htmx gets the pane (draft: the reply box's text and
 * message; status 422 on failure); a plain form goes back to the
 * conversation (?held=1 when the reply waits for approval). */
static void answer_action(web_page *p, int64_t id, ct_err err, const web_draft *draft, int held)
{
	if (p->partial || err) {
		web_filter f;
		web_filter_read(p->req, &f);
		p->partial = 1;
		pane(p, &f, id, draft);
		web_send(p, err == CT_ERR_NOT_FOUND ? 404 : err ? 422 : 200);
		return;
	}
	char to[80];
	snprintf(to, sizeof(to), "/inbox/c/%lld%s", (long long)id, held ? "?held=1" : "");
	http_redirect(p->res, to);
	html_free(&p->h);
}

/* What to tell the agent about a refused reply (plain text) into out. */
static void reply_error(ct_err err, const err_detail *d, const char *text, char *out, size_t size)
{
	buf name;
	buf_init(&name, 256);
	if (err == CT_ERR_NOT_FOUND)
		snprintf(out, size, "%s",
			 _("This conversation does not exist or is not yours to see."));
	else if (err != CT_ERR_INVALID)
		snprintf(out, size, "%s", _("That did not work. Try again."));
	else if (!text[strspn(text, " \t\r\n")])
		snprintf(out, size, "%s", _("Write something first."));
	else if (strcmp(d->field, "template_id") == 0)
		snprintf(out, size, _("This template cannot be used now (%s)."), d->message);
	else if (template_find_placeholder(text, &name))
		snprintf(out, size, _("Fill in {{%s}} before sending."), buf_cstr(&name));
	else
		snprintf(out, size, _("The reply cannot be sent like this: %s"), d->message);
	buf_free(&name);
}

/* POST /inbox/c/{id}/reply (text, template_id): checked against the
 * approved wording; held for a supervisor under strict wording. */
void web_conversation_reply(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	actor who;
	inbox_scope scope;
	web_actor(&p, &who);
	web_scope(p.who, &scope);
	char *text = web_text_lf(http_form(req, "text"));
	int64_t template_id = http_parse_id(http_form(req, "template_id"));
	web_tenv t;
	web_template_env(&p, &t);
	inbox_reply_input in = {.text = text,
				.template_id = template_id,
				.client_key = http_form(req, "client_key"),
				.max_attempts = (int)p.a->cfg.jobs_max_attempts};
	inbox_reply_result out = {0};
	err_detail d = {.index = -1};
	ct_err err = inbox_reply(p.a->store, &who, &scope, &t.env, id, &in, &out, &d);
	web_template_env_release(&t);
	if (!err && out.created && out.message_id) {
		jobs_wake(p.a->jobs);
		inbox_publish(p.a->events, "message.created", id, out.message_id);
	} else if (!err && out.created) {
		inbox_publish(p.a->events, "conversation.updated", id, 0);
	}
	char message[600];
	web_draft draft = {0};
	if (err) {
		reply_error(err, &d, text, message, sizeof(message));
		draft = (web_draft){.text = text, .template_id = template_id, .error = message};
	} else if (out.held_id) {
		draft.notice = _("Waiting for approval by a supervisor. The customer sees nothing "
				 "until it is approved.");
	}
	answer_action(&p, id, err, err || out.held_id ? &draft : NULL, !err && out.held_id);
	free(text);
}

/* POST /inbox/c/{id}/note */
void web_conversation_note(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	actor who;
	inbox_scope scope;
	web_actor(&p, &who);
	web_scope(p.who, &scope);
	err_detail d = {.index = -1};
	int64_t message_id = 0;
	const char *text = http_form(req, "text");
	ct_err err = inbox_note(p.a->store, &who, &scope, id, text, &message_id, &d);
	if (!err)
		inbox_publish(p.a->events, "message.created", id, message_id);
	web_draft draft = {.text = text,
			   .template_id = http_parse_id(http_form(req, "template_id")),
			   .error = err == CT_ERR_INVALID ? _("Write something first.")
							  : _("That did not work. Try again.")};
	answer_action(&p, id, err, err ? &draft : NULL, 0);
}

/* POST /inbox/c/{id}/retry (message_id): send a failed reply again. */
void web_conversation_retry(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0), conversation_id = 0;
	int64_t message_id = http_parse_id(http_form(req, "message_id"));
	actor who;
	inbox_scope scope;
	web_actor(&p, &who);
	web_scope(p.who, &scope);
	err_detail d = {.index = -1};
	ct_err err = inbox_retry_reply(p.a->store, &who, &scope, message_id, &conversation_id, &d);
	if (!err && conversation_id != id)
		err = CT_ERR_NOT_FOUND;
	if (!err) {
		if (p.a->jobs)
			jobs_wake(p.a->jobs);
		inbox_publish(p.a->events, "message.updated", id, message_id);
	}
	answer_action(&p, id, err == CT_ERR_CONFLICT ? CT_OK : err, NULL, 0);
}

/* A form's id field as JSON: "" is null (nobody, no team). */
static json_t *form_ref(const char *v)
{
	return v && *v ? json_integer(strtoll(v, NULL, 10)) : json_null();
}

/* The patch of inbox_update from the posted fields that are present. */
static json_t *form_patch(http_request *req)
{
	json_t *patch = json_object();
	const char *v;
	if ((v = http_form(req, "status")))
		json_object_set_new(patch, "status", json_string(v));
	if ((v = http_form(req, "priority")))
		json_object_set_new(patch, "priority", json_string(v));
	if ((v = http_form(req, "assignee_id")))
		json_object_set_new(patch, "assignee_id", form_ref(v));
	if ((v = http_form(req, "team_id")))
		json_object_set_new(patch, "team_id", form_ref(v));
	if ((v = http_form(req, "tags"))) {
		json_t *tags = json_array();
		while (*v) {
			size_t len = strcspn(v, ",");
			const char *start = v;
			while (len && (*start == ' ' || *start == '#'))
				start++, len--;
			while (len && start[len - 1] == ' ')
				len--;
			if (len)
				json_array_append_new(tags, json_stringn(start, len));
			v += strcspn(v, ",");
			v += *v == ',';
		}
		json_object_set_new(patch, "tags", tags);
	}
	return patch;
}

/* POST /inbox/c/{id}/update: status, assignee, team, priority, tags. */
void web_conversation_update(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	actor who;
	inbox_scope scope;
	web_actor(&p, &who);
	web_scope(p.who, &scope);
	json_t *patch = form_patch(req);
	err_detail d = {.index = -1};
	ct_err err = inbox_update(p.a->store, &who, &scope, id, patch, &d);
	json_decref(patch);
	if (!err)
		inbox_publish(p.a->events, "conversation.updated", id, 0);
	web_draft draft = {.error = d.message[0] ? d.message : _("That did not work. Try again.")};
	answer_action(&p, id, err, err ? &draft : NULL, 0);
}

/* POST /inbox/c/{id}/presence (state=viewing|replying|left): tell the
 * others' browsers; nothing is stored. 204. */
void web_conversation_presence(http_request *req, http_response *res)
{
	const principal *who = http_principal(req);
	int64_t id = http_param_id(req, 0);
	const char *state = http_form(req, "state");
	static const char *const states[] = {"viewing", "replying", "left", NULL};
	inbox_scope scope;
	web_scope(who, &scope);
	app *a = http_app(req);
	user_auth u;
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = inbox_check_access(c, &scope, id);
	if (!err)
		err = users_find_by_id(c, who->user_id, &u);
	store_reader_release(a->store, c);
	if (err || !str_in_list(state, states)) {
		http_error(res, err ? err : CT_ERR_INVALID,
			   err ? "no such conversation" : "state must be viewing, replying or left",
			   err ? NULL : "state", -1);
		return;
	}
	json_t *data =
		json_pack("{s:I, s:I, s:s, s:s}", "conversation_id", (json_int_t)id, "user_id",
			  (json_int_t)who->user_id, "name", u.name, "state", state);
	char *text = json_dumps(data, JSON_COMPACT);
	events_publish(a->events, "conversation.presence", text);
	free(text);
	json_decref(data);
	res->status = 204;
}

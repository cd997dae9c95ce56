/*
 * approvals.c: the approval queue of held replies (GET /approvals) for
 * supervisors and administrators (the route table admits them).
 *
 * Under strict wording (the concept's strict_intents) a reply that is not
 * an unedited approved template is held until someone approves it. The
 * page lists the pending ones in the user's view, oldest first: the
 * conversation, the contact, the author, the intent and the text in a
 * textarea. Approve (POST /approvals/{id}/approve) sends the text, the
 * edited one when it was changed; Reject (POST /approvals/{id}/reject)
 * needs a reason, which the author sees in the conversation. Nobody
 * approves their own reply (four eyes; the domain refuses it and the page
 * says so). The navigation shows how many wait (web_held_pending_count).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "jobs/jobs.h"
#include "web/templates_web.h"

#define QUEUE_MAX 200

int web_held_pending_count(web_page *p)
{
	inbox_scope scope;
	web_scope(p->who, &scope);
	int64_t n = 0;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = inbox_held_pending_count(c, &scope, &n);
	store_reader_release(p->a->store, c);
	return err ? 0 : (int)n;
}

/* The confirmation after a redirect back (?done=...). */
static void done_message(web_page *p)
{
	const char *done = http_query(p->req, "done");
	if (done && strcmp(done, "approved") == 0)
		html_printf(&p->h, "<p class=\"flash ok\" role=\"status\">%s</p>",
			    _("The reply was approved and is being sent."));
	else if (done && strcmp(done, "rejected") == 0)
		html_printf(&p->h, "<p class=\"flash ok\" role=\"status\">%s</p>",
			    _("The reply was rejected. Its author sees your reason."));
}

/* One held reply with its two forms. */
static void held_item(web_page *p, json_t *r)
{
	int64_t id = json_integer_value(json_object_get(r, "id"));
	int64_t cid = json_integer_value(json_object_get(r, "conversation_id"));
	const char *intent = json_string_value(json_object_get(r, "intent"));
	const char *contact = json_string_value(json_object_get(r, "contact_name"));
	const char *channel = json_string_value(json_object_get(r, "channel"));
	char when[48];
	web_format_time(p, web_json_time(r, "created_at"), when, sizeof(when));
	html_printf(&p->h,
		    "<article class=\"card held\" id=\"held-%lld\" aria-labelledby=\"held-%lld-h\">"
		    "<h2 id=\"held-%lld-h\"><a href=\"/inbox/c/%lld\">%s</a></h2>"
		    "<dl class=\"facts\"><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd>"
		    "<dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd></dl>",
		    (long long)id, (long long)id, (long long)id, (long long)cid,
		    contact && *contact ? contact : "#", _("Author"),
		    json_string_value(json_object_get(r, "author_name")), _("Intent"),
		    intent ? intent : "", _("Channel"), channel ? channel : "", _("Written"), when);
	if (json_integer_value(json_object_get(r, "author_user_id")) == web_user_id(p))
		html_printf(&p->h, "<p class=\"flash warn\">%s</p>",
			    _("You wrote this reply. Another supervisor or administrator must "
			      "approve it (four eyes)."));
	html_printf(&p->h, "<form method=\"post\" action=\"/approvals/%lld/approve\">",
		    (long long)id);
	web_csrf_field(p);
	html_printf(
		&p->h,
		"<label for=\"held-%lld-text\">%s</label>"
		"<textarea id=\"held-%lld-text\" name=\"text\" rows=\"5\" required>\n%s"
		"</textarea><p class=\"actions\"><button type=\"submit\" "
		"id=\"approve-%lld\">%s</button><span class=\"field-hint\">%s</span></p></form>",
		(long long)id, _("Reply"), (long long)id,
		json_string_value(json_object_get(r, "text")), (long long)id, _("Approve and send"),
		_("An edited text is sent as edited."));
	html_printf(&p->h,
		    "<details class=\"revoke\"><summary>%s</summary>"
		    "<form method=\"post\" action=\"/approvals/%lld/reject\">",
		    _("Reject"), (long long)id);
	web_csrf_field(p);
	html_printf(&p->h,
		    "<label for=\"held-%lld-reason\">%s</label>"
		    "<textarea id=\"held-%lld-reason\" name=\"reason\" rows=\"2\" required>"
		    "</textarea><button type=\"submit\" class=\"danger\" id=\"reject-%lld\">%s"
		    "</button></form></details></article>",
		    (long long)id, _("Reason for the author"), (long long)id, (long long)id,
		    _("Reject reply"));
}

/* The queue page with status; error (plain text) above it, or NULL. */
static void queue_page(web_page *p, int status, const char *error)
{
	inbox_scope scope;
	web_scope(p->who, &scope);
	json_t *list = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = inbox_held_list(c, &scope, "pending", QUEUE_MAX, &list);
	store_reader_release(p->a->store, c);
	if (err) {
		web_error(p, 500, _("The held replies could not be read."));
		return;
	}
	web_open(p, _("Approvals"), "approvals");
	html_printf(&p->h, "<div class=\"page approvals\"><h1>%s</h1>",
		    _("Replies waiting for approval"));
	done_message(p);
	if (error)
		html_printf(&p->h,
			    "<p class=\"flash error\" role=\"alert\" id=\"approval-error\">%s</p>",
			    error);
	html_printf(&p->h, "<p class=\"muted\">%s</p>",
		    _("Under strict wording, a reply that is not an unchanged approved template "
		      "waits here. The customer sees nothing until it is approved."));
	if (!json_array_size(list))
		html_printf(&p->h, "<p class=\"empty\" id=\"approvals-empty\">%s</p>",
			    _("No reply is waiting."));
	size_t i;
	json_t *r;
	json_array_foreach(list, i, r) held_item(p, r);
	html_printf(&p->h, "</div>");
	json_decref(list);
	web_close(p);
	web_send(p, status);
}

/* GET /approvals */
void web_approvals(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	queue_page(&p, 200, NULL);
}

/* The held reply of the path in the user's view (new reference) or NULL. */
static json_t *held_in_view(web_page *p, int64_t id)
{
	inbox_scope scope;
	web_scope(p->who, &scope);
	json_t *held = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = id ? inbox_held_get(c, &scope, id, &held) : CT_ERR_NOT_FOUND;
	store_reader_release(p->a->store, c);
	if (err) {
		json_decref(held);
		return NULL;
	}
	return held;
}

/* A refused decision as a plain-text message into out; the status. */
static int refusal(ct_err err, const err_detail *d, char *out, size_t size)
{
	if (err == CT_ERR_FORBIDDEN) {
		snprintf(out, size, "%s",
			 _("Four eyes: you wrote this reply, so another supervisor or "
			   "administrator must approve it."));
		return 403;
	}
	if (err == CT_ERR_CONFLICT) {
		snprintf(out, size, "%s", _("Someone decided on this reply already."));
		return 409;
	}
	if (err == CT_ERR_INVALID) {
		snprintf(out, size, _("The reply cannot be sent like this: %s"),
			 d->message[0] ? d->message : "invalid");
		return 422;
	}
	snprintf(out, size, "%s", _("That did not work. Try again."));
	return 500;
}

/* POST /approvals/{id}/approve (text): send it (edited when changed). */
void web_approval_approve(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	json_t *held = held_in_view(&p, id);
	if (!held) {
		web_error(&p, 404, _("There is no such held reply."));
		return;
	}
	int64_t cid = json_integer_value(json_object_get(held, "conversation_id"));
	char *text = web_text_lf(web_form_text(req, "text"));
	const char *was = json_string_value(json_object_get(held, "text"));
	int edited = !was || strcmp(was, text) != 0;
	actor who;
	web_actor(&p, &who);
	err_detail d = {.index = -1};
	int64_t message_id = 0;
	ct_err err = inbox_held_approve(p.a->store, &who, id, edited ? text : NULL,
					(int)p.a->cfg.jobs_max_attempts, &message_id, &d);
	free(text);
	json_decref(held);
	if (err) {
		char message[400];
		int status = refusal(err, &d, message, sizeof(message));
		queue_page(&p, status, message);
		return;
	}
	if (p.a->jobs)
		jobs_wake(p.a->jobs);
	inbox_publish(p.a->events, "message.created", cid, message_id);
	web_go(&p, "/approvals?done=approved");
}

/* POST /approvals/{id}/reject (reason) */
void web_approval_reject(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	json_t *held = held_in_view(&p, id);
	if (!held) {
		web_error(&p, 404, _("There is no such held reply."));
		return;
	}
	int64_t cid = json_integer_value(json_object_get(held, "conversation_id"));
	json_decref(held);
	actor who;
	web_actor(&p, &who);
	err_detail d = {.index = -1};
	ct_err err = inbox_held_reject(p.a->store, &who, id, web_form_text(req, "reason"), &d);
	if (err) {
		char message[400];
		if (err == CT_ERR_INVALID && strcmp(d.field, "reason") == 0)
			snprintf(message, sizeof(message), "%s",
				 _("Write a reason for the author."));
		int status = err == CT_ERR_INVALID && strcmp(d.field, "reason") == 0
				     ? 422
				     : refusal(err, &d, message, sizeof(message));
		queue_page(&p, status, message);
		return;
	}
	inbox_publish(p.a->events, "conversation.updated", cid, 0);
	web_go(&p, "/approvals?done=rejected");
}

/*
 * contacts.c: the contacts pages. GET /contacts lists the people who wrote
 * in, newest first (inbox_contacts_list), with their channels, how many
 * conversations they have and when they were last active, filtered by a
 * part of the name and paged by a cursor. GET /contacts/{id} is the card of
 * one person across channels (inbox_contact): identities and conversations.
 * Agents see only contacts with a conversation in their view, the rest is
 * "not found", as in the API.
 *
 * For administrators the card offers the GDPR export (the API's
 * /api/v1/contacts/{id}/export, which the session cookie opens) and erasure:
 * POST /contacts/{id}/erase with a ticked confirmation calls privacy_erase,
 * as the API does, which anonymises and audits in one transaction. Plain
 * GET links and a form post: no JavaScript needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "privacy/privacy.h"
#include "web/pages.h"

#define CONTACTS_PAGE 50

/* The name to show for a contact (erased contacts have none). Borrowed. */
static const char *shown_name(json_t *contact)
{
	const char *name = json_string_value(json_object_get(contact, "name"));
	if (name && *name)
		return name;
	return json_is_null(json_object_get(contact, "erased_at")) ? _("Unnamed contact")
								   : _("Erased contact");
}

/* The kind of the channel named name, from inbox_choices' channels. */
static const char *channel_kind(json_t *channels, const char *name)
{
	size_t i;
	json_t *ch;
	json_array_foreach(channels, i, ch)
	{
		const char *n = json_string_value(json_object_get(ch, "name"));
		if (n && name && strcmp(n, name) == 0)
			return json_string_value(json_object_get(ch, "kind"));
	}
	return NULL;
}

/* The identities as a list: icon, then handle (or name, or the channel);
 * detailed adds the channel's name. The kind of an identity without one
 * comes from channels (inbox_choices' list, may be NULL). */
static void identity_list(web_page *p, json_t *identities, json_t *channels, int detailed)
{
	html_printf(&p->h, "<ul class=\"idents\">");
	size_t i;
	json_t *ident;
	json_array_foreach(identities, i, ident)
	{
		const char *channel = json_string_value(json_object_get(ident, "channel"));
		const char *kind = json_string_value(json_object_get(ident, "kind"));
		const char *handle = json_string_value(json_object_get(ident, "handle"));
		if (!handle || !*handle)
			handle = json_string_value(json_object_get(ident, "name"));
		html_printf(&p->h, "<li>");
		web_channel_icon(p, kind ? kind : channel_kind(channels, channel));
		html_printf(&p->h, " <span>%s</span>", handle && *handle ? handle : channel);
		if (detailed)
			html_printf(&p->h, " <span class=\"muted\">(%s)</span>", channel);
		html_printf(&p->h, "</li>");
	}
	if (!json_array_size(identities))
		html_printf(&p->h, "<li class=\"muted\">%s</li>", _("none"));
	html_printf(&p->h, "</ul>");
}

static void contact_row(web_page *p, json_t *contact)
{
	char when[48], count[32];
	web_format_time(p, web_json_time(contact, "last_activity_at"), when, sizeof(when));
	web_format_count(p, json_integer_value(json_object_get(contact, "conversation_count")),
			 count, sizeof(count));
	html_printf(&p->h, "<tr><th scope=\"row\"><a href=\"/contacts/%lld\"",
		    (long long)json_integer_value(json_object_get(contact, "id")));
	if (!json_is_null(json_object_get(contact, "erased_at")))
		html_printf(&p->h, " class=\"erased\"");
	html_printf(&p->h, ">%s</a></th><td data-label=\"%s\">", shown_name(contact),
		    _("Channels"));
	identity_list(p, json_object_get(contact, "identities"), NULL, 0);
	html_printf(&p->h,
		    "</td><td data-label=\"%s\">%s</td><td data-label=\"%s\"><time datetime=\"%s\">"
		    "%s</time></td></tr>",
		    _("Conversations"), count, _("Last activity"),
		    json_string_value(json_object_get(contact, "last_activity_at")), when);
}

/* A link to the list with the filter q and, when set, the cursor. */
static void list_link(web_page *p, const char *q, const char *cursor, const char *label,
		      const char *rel)
{
	html_printf(&p->h, "<a href=\"/contacts");
	if (q && *q) {
		html_printf(&p->h, "?q=");
		html_urlenc(&p->h, q);
	}
	if (cursor) {
		if (q && *q)
			html_printf(&p->h, "&amp;cursor=");
		else
			html_printf(&p->h, "?cursor=");
		html_urlenc(&p->h, cursor);
	}
	html_printf(&p->h, "\"");
	if (rel)
		html_printf(&p->h, " rel=\"%s\"", rel);
	html_printf(&p->h, ">%s</a>", label);
}

/* GET /contacts?q=&cursor= */
void web_contacts(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	const char *q = http_query(req, "q");
	const char *cursor = http_query(req, "cursor");
	inbox_scope scope;
	web_scope(p.who, &scope);
	json_t *data = NULL;
	buf next;
	buf_init(&next, 64);
	err_detail d = {.index = -1};
	store_conn *c = store_reader_acquire(p.a->store);
	ct_err err = inbox_contacts_list(c, &scope, q, cursor, CONTACTS_PAGE, &data, &next, &d);
	store_reader_release(p.a->store, c);
	web_open(&p, _("Contacts"), "contacts");
	html_printf(
		&p.h,
		"<div class=\"page contacts-page\"><h1>%s</h1>"
		"<form class=\"search-form\" method=\"get\" action=\"/contacts\" role=\"search\">"
		"<label for=\"q\">%s</label><div class=\"row\">"
		"<input type=\"search\" id=\"q\" name=\"q\" value=\"%s\" "
		"aria-keyshortcuts=\"/\" autocomplete=\"off\">"
		"<button type=\"submit\">%s</button></div></form>",
		_("Contacts"), _("Filter by name"), q ? q : "", _("Filter"));
	int status = 200;
	if (err) {
		status = err == CT_ERR_INVALID ? 400 : 500;
		html_printf(&p.h, "<p class=\"flash error\" role=\"alert\">%s</p>",
			    err == CT_ERR_INVALID && strcmp(d.field, "cursor") == 0
				    ? _("This page of the list no longer exists. Start again.")
			    : err == CT_ERR_INVALID ? _("Type a shorter part of the name.")
						    : _("The list could not be read."));
	} else if (!json_array_size(data)) {
		html_printf(&p.h, "<p class=\"empty\">%s</p>",
			    q && *q ? _("No contact has this in their name.")
				    : _("No contacts yet."));
	} else {
		html_printf(
			&p.h,
			"<table class=\"contacts\"><caption class=\"sr\">%s</caption><thead><tr>"
			"<th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			"<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>",
			_("Contacts, newest first"), _("Name"), _("Channels"), _("Conversations"),
			_("Last activity"));
		size_t i;
		json_t *contact;
		json_array_foreach(data, i, contact) contact_row(&p, contact);
		html_printf(&p.h, "</tbody></table>");
	}
	if (next.len || (cursor && *cursor)) {
		html_printf(&p.h, "<nav class=\"pager\" aria-label=\"%s\">", _("More contacts"));
		if (cursor && *cursor)
			list_link(&p, q, NULL, _("First page"), NULL);
		if (next.len)
			list_link(&p, q, buf_cstr(&next), _("More contacts"), "next");
		html_printf(&p.h, "</nav>");
	}
	html_printf(&p.h, "</div>");
	web_close(&p);
	web_send(&p, status);
	json_decref(data);
	buf_free(&next);
}

/* The conversations of the card: link, channel, status and dates. */
static void conversation_list(web_page *p, json_t *card)
{
	html_printf(&p->h,
		    "<section aria-labelledby=\"convs-h\"><h2 id=\"convs-h\">%s</h2>"
		    "<ul class=\"contact-convs\">",
		    _("Conversations"));
	size_t i;
	json_t *conv;
	json_array_foreach(json_object_get(card, "conversations"), i, conv)
	{
		json_int_t id = json_integer_value(json_object_get(conv, "id"));
		const char *subject = json_string_value(json_object_get(conv, "subject"));
		const char *status = json_string_value(json_object_get(conv, "status"));
		char started[48], last[48], fallback[64];
		web_format_time(p, web_json_time(conv, "created_at"), started, sizeof(started));
		web_format_time(p, web_json_time(conv, "last_activity_at"), last, sizeof(last));
		snprintf(fallback, sizeof(fallback), _("Conversation %lld"), (long long)id);
		html_printf(
			&p->h,
			"<li><a href=\"/inbox/c/%lld\">%s</a> <span class=\"badge %s\">%s</span>"
			"<span class=\"muted\">%s · %s <time datetime=\"%s\">%s</time> · %s "
			"<time datetime=\"%s\">%s</time></span></li>",
			(long long)id, subject && *subject ? subject : fallback,
			status ? status : "", web_status_label(status),
			json_string_value(json_object_get(conv, "channel")), _("started"),
			json_string_value(json_object_get(conv, "created_at")), started,
			_("last activity"),
			json_string_value(json_object_get(conv, "last_activity_at")), last);
	}
	if (!json_array_size(json_object_get(card, "conversations")))
		html_printf(&p->h, "<li class=\"muted\">%s</li>", _("none"));
	html_printf(&p->h, "</ul></section>");
}

/* The administrator's part of the card: export and erasure. */
static void privacy_section(web_page *p, int64_t id, json_t *card, const char *error)
{
	html_printf(&p->h,
		    "<section class=\"card privacy\" aria-labelledby=\"privacy-h\">"
		    "<h2 id=\"privacy-h\">%s</h2><p><a class=\"button secondary\" "
		    "href=\"/api/v1/contacts/%lld/export\" download>%s</a></p>",
		    _("Data protection"), (long long)id,
		    _("Export everything held about this contact (JSON)"));
	if (!json_is_null(json_object_get(card, "erased_at"))) {
		html_printf(&p->h, "</section>");
		return;
	}
	html_printf(&p->h, "<form method=\"post\" action=\"/contacts/%lld/erase\">", (long long)id);
	web_csrf_field(p);
	if (error)
		html_printf(&p->h,
			    "<p class=\"flash error\" role=\"alert\" id=\"erase-error\">%s</p>",
			    error);
	html_printf(&p->h,
		    "<p id=\"erase-hint\">%s</p><label class=\"check\"><input type=\"checkbox\" "
		    "name=\"confirm\" value=\"yes\" required aria-describedby=\"erase-hint%s\"> %s"
		    "</label><button type=\"submit\" class=\"danger\">%s</button></form></section>",
		    _("Erasing removes the text of every message in this contact's conversations, "
		      "their names and their identities on every channel. The conversations stay, "
		      "anonymised. This cannot be undone."),
		    error ? " erase-error" : "", _("Yes, erase this contact's personal data"),
		    _("Erase contact"));
}

/* The card page of contact id with status; error is shown at the erase
 * form (plain text) or NULL. */
static void card_page(web_page *p, int64_t id, const char *error, int status)
{
	inbox_scope scope;
	web_scope(p->who, &scope);
	json_t *card = NULL, *choices = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = id ? inbox_contact(c, &scope, id, &card) : CT_ERR_NOT_FOUND;
	if (!err && inbox_choices(c, &choices) != CT_OK)
		choices = NULL;
	store_reader_release(p->a->store, c);
	if (err) {
		web_error(p, err == CT_ERR_NOT_FOUND ? 404 : 500,
			  err == CT_ERR_NOT_FOUND
				  ? _("This contact does not exist or is not yours to see.")
				  : _("The contact could not be read."));
		return;
	}
	const char *name = shown_name(card);
	web_open(p, name, "contacts");
	html_printf(&p->h,
		    "<div class=\"page contact-page\"><p><a href=\"/contacts\">← %s</a></p>"
		    "<h1>%s</h1>",
		    _("All contacts"), name);
	if (http_query(p->req, "erased"))
		html_printf(&p->h, "<p class=\"flash ok\" role=\"status\">%s</p>",
			    _("The contact's personal data was erased."));
	if (!json_is_null(json_object_get(card, "erased_at"))) {
		char when[48];
		web_format_time(p, web_json_time(card, "erased_at"), when, sizeof(when));
		html_printf(&p->h, "<p class=\"muted\">%s <time datetime=\"%s\">%s</time></p>",
			    _("Personal data erased on"),
			    json_string_value(json_object_get(card, "erased_at")), when);
	}
	html_printf(&p->h, "<section aria-labelledby=\"ids-h\"><h2 id=\"ids-h\">%s</h2>",
		    _("Channels"));
	identity_list(p, json_object_get(card, "identities"), json_object_get(choices, "channels"),
		      1);
	html_printf(&p->h, "</section>");
	conversation_list(p, card);
	if (p->who->role == ROLE_ADMIN)
		privacy_section(p, id, card, error);
	html_printf(&p->h, "</div>");
	web_close(p);
	web_send(p, status);
	json_decref(card);
	json_decref(choices);
}

/* GET /contacts/{id} */
void web_contact(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	card_page(&p, http_param_id(req, 0), NULL, 200);
}

/* POST /contacts/{id}/erase (admin, confirm=yes): erase and go back to the
 * card; without the confirmation the card again with an error. */
void web_contact_erase(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	p.partial = 0;
	int64_t id = http_param_id(req, 0);
	const char *confirm = http_form(req, "confirm");
	if (!confirm || strcmp(confirm, "yes") != 0) {
		card_page(&p, id, _("Tick the box to confirm the erasure."), 422);
		return;
	}
	actor who;
	web_actor(&p, &who);
	json_t *report = NULL;
	ct_err err = id ? privacy_erase(p.a->store, &who, id, &report) : CT_ERR_NOT_FOUND;
	json_decref(report);
	if (err) {
		web_error(&p, err == CT_ERR_NOT_FOUND ? 404 : 500,
			  err == CT_ERR_NOT_FOUND
				  ? _("This contact does not exist or is not yours to see.")
				  : _("The contact could not be erased. Try again."));
		return;
	}
	char to[64];
	snprintf(to, sizeof(to), "/contacts/%lld?erased=1", (long long)id);
	http_redirect(p.res, to);
	html_free(&p.h);
}

/*
 * composer.c: the reply box of the open conversation (#composer, see
 * templates_web.h) with its templates panel, and the htmx route that
 * inserts a template (GET /inbox/c/{id}/compose?template=ID).
 *
 * The panel lists the suggestions of template_suggest (best first: those
 * for the conversation's intent are marked), each with the first line of
 * its filled text and "Insert". Insert swaps the reply box for one with
 * the filled text in the textarea and the template's id in a hidden
 * field, so the reply records where it came from (and whether the agent
 * changed it). Without JavaScript Insert is a link that opens the
 * conversation with the same box. Variables without a value stay in the
 * text as "{{name}}" and are named below it; app.js keeps that list and
 * the character counter ("n / limit", the channel's limit) up to date and
 * clears the hidden field when the box is emptied. The form posts to
 * /inbox/c/{id}/reply (conversation.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "web/templates_web.h"

#define SUGGESTIONS 6
#define SUGGEST_SEARCH 100 /* how many suggestions Insert looks through */

/* The suggestions for the user in conversation id (new reference, an
 * empty array when there are none or they could not be read). */
static json_t *suggestions(web_page *p, int64_t id, int limit)
{
	web_tenv t;
	web_template_env(p, &t);
	json_t *list = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = template_suggest(c, &t.env, id, web_user_id(p), limit, &list);
	store_reader_release(p->a->store, c);
	web_template_env_release(&t);
	if (err) {
		json_decref(list);
		list = json_array();
	}
	return list;
}

/* The first line of text (at most 120 bytes, not cutting a character). */
static int first_line_len(const char *text)
{
	size_t n = text ? strcspn(text, "\r\n") : 0;
	if (n > 120) {
		n = 120;
		while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	return (int)n;
}

/* The templates panel: each suggestion with Insert. */
static void panel(web_page *p, int64_t id, json_t *list)
{
	html_printf(&p->h,
		    "<section class=\"tpl-suggest\" aria-labelledby=\"tpl-h\">"
		    "<h2 id=\"tpl-h\">%s</h2>",
		    _("Templates"));
	if (!json_array_size(list)) {
		html_printf(&p->h,
			    "<p class=\"muted\">%s <a href=\"/templates\">%s</a></p></section>",
			    _("No approved template fits this conversation."), _("All templates"));
		return;
	}
	html_printf(&p->h, "<ul class=\"plain\" id=\"suggestions\">");
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s)
	{
		int64_t tid = json_integer_value(json_object_get(s, "template_id"));
		const char *text = json_string_value(json_object_get(s, "text"));
		html_printf(&p->h,
			    "<li class=\"suggestion\" data-template=\"%lld\"><strong>%s</strong>",
			    (long long)tid, json_string_value(json_object_get(s, "name")));
		if (json_is_true(json_object_get(s, "intent_match")))
			html_printf(&p->h, " <span class=\"badge sla intent-match\">%s</span>",
				    _("fits the intent"));
		html_printf(
			&p->h,
			" <span class=\"muted first-line\">%.*s</span> "
			"<a class=\"button secondary insert\" id=\"insert-%lld\" "
			"href=\"/inbox/c/%lld?template=%lld#composer-text\" "
			"hx-get=\"/inbox/c/%lld/compose?template=%lld\" hx-target=\"#composer\" "
			"hx-swap=\"outerHTML\">%s</a></li>",
			first_line_len(text), text ? text : "", (long long)tid, (long long)id,
			(long long)tid, (long long)id, (long long)tid, _("Insert"));
	}
	html_printf(&p->h, "</ul></section>");
}

/* The list of variables still to fill (#composer-missing); app.js keeps it
 * current while the agent types. */
static void missing_list(web_page *p, json_t *missing)
{
	html_printf(&p->h,
		    "<p id=\"composer-missing\" class=\"flash warn missing\" data-label=\"%s\"%s>",
		    _("Fill in before sending:"), json_array_size(missing) ? "" : " hidden");
	if (json_array_size(missing)) {
		html_printf(&p->h, "%s ", _("Fill in before sending:"));
		size_t i;
		json_t *v;
		json_array_foreach(missing, i, v) html_printf(&p->h, "%s<code>{{%s}}</code>",
							      i ? ", " : "", json_string_value(v));
	}
	html_printf(&p->h, "</p>");
}

/* The suggestion of template tid in list, or NULL. Borrowed. */
static json_t *find_suggestion(json_t *list, int64_t tid)
{
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) if (json_integer_value(json_object_get(s, "template_id")) ==
					   tid) return s;
	return NULL;
}

void web_composer(web_page *p, int64_t id, json_t *conv, const web_draft *draft)
{
	json_t *contact = json_object_get(conv, "contact");
	const char *name = json_string_value(json_object_get(contact, "name"));
	const char *kind =
		json_string_value(json_object_get(json_object_get(conv, "channel"), "kind"));
	int64_t ask = draft && draft->text ? 0 : http_parse_id(http_query(p->req, "template"));
	json_t *list = suggestions(p, id, ask ? SUGGEST_SEARCH : SUGGESTIONS);
	web_draft d = draft ? *draft : (web_draft){0};
	json_t *chosen = ask ? find_suggestion(list, ask) : NULL;
	if (chosen) {
		d.text = json_string_value(json_object_get(chosen, "text"));
		d.template_id = ask;
		d.missing = json_object_get(chosen, "missing");
	} else if (ask && !d.error) {
		d.error = _("This template cannot be used in this conversation now.");
	}
	char reply_to[300];
	snprintf(reply_to, sizeof(reply_to), _("Reply to %s"), name ? name : "");
	html_printf(&p->h, "<div id=\"composer\" class=\"composer-wrap\">");
	json_t *shown = json_array();
	for (size_t i = 0; i < json_array_size(list) && i < SUGGESTIONS; i++)
		json_array_append(shown, json_array_get(list, i));
	panel(p, id, shown);
	json_decref(shown);
	html_printf(&p->h,
		    "<form class=\"composer\" data-mode=\"reply\" method=\"post\" "
		    "action=\"/inbox/c/%lld/reply\" hx-post=\"/inbox/c/%lld/reply\" "
		    "hx-target=\"#conversation\" hx-swap=\"outerHTML\">",
		    (long long)id, (long long)id);
	web_csrf_field(p);
	if (d.notice)
		html_printf(&p->h,
			    "<p class=\"flash warn\" role=\"status\" id=\"held-notice\">%s</p>",
			    d.notice);
	if (d.error)
		html_printf(&p->h, "<p class=\"flash error\" role=\"alert\">%s</p>", d.error);
	html_printf(&p->h,
		    "<label for=\"composer-text\" id=\"composer-mode\" data-reply=\"%s\" "
		    "data-note=\"%s\">%s</label>"
		    "<textarea id=\"composer-text\" name=\"text\" required data-count "
		    "data-template-field=\"composer-template\" data-missing=\"composer-missing\" "
		    "aria-keyshortcuts=\"r n\">\n%s</textarea>",
		    reply_to, _("Internal note (never sent)"), reply_to, d.text ? d.text : "");
	if (d.template_id)
		html_printf(&p->h,
			    "<input type=\"hidden\" name=\"template_id\" id=\"composer-template\" "
			    "value=\"%lld\">",
			    (long long)d.template_id);
	else
		html_printf(&p->h, "<input type=\"hidden\" name=\"template_id\" "
				   "id=\"composer-template\" value=\"\">");
	web_char_counter(p, "composer-text", template_channel_limit(kind));
	missing_list(p, d.missing);
	html_printf(&p->h,
		    "<div class=\"actions\">"
		    "<button type=\"submit\" class=\"secondary\" id=\"note-button\" "
		    "formaction=\"/inbox/c/%lld/note\" hx-post=\"/inbox/c/%lld/note\" "
		    "aria-keyshortcuts=\"n\">%s</button>"
		    "<button type=\"submit\" id=\"reply-button\">%s</button></div></form></div>",
		    (long long)id, (long long)id, _("Add note"), _("Send reply"));
	json_decref(list);
}

/* GET /inbox/c/{id}/compose?template=ID: the reply box with the template
 * inserted (htmx); without htmx, the conversation page with it. */
void web_conversation_compose(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	if (!p.partial) {
		char to[96];
		snprintf(to, sizeof(to), "/inbox/c/%lld?template=%lld", (long long)id,
			 (long long)http_parse_id(http_query(p.req, "template")));
		web_go(&p, to);
		return;
	}
	inbox_scope scope;
	web_scope(p.who, &scope);
	json_t *conv = NULL;
	store_conn *c = store_reader_acquire(p.a->store);
	ct_err err = id ? inbox_conversation(c, &scope, id, &conv) : CT_ERR_NOT_FOUND;
	store_reader_release(p.a->store, c);
	if (err) {
		web_error(&p, 404, _("This conversation does not exist or is not yours to see."));
		return;
	}
	web_composer(&p, id, conv, NULL);
	web_send(&p, 200);
	json_decref(conv);
}

/*
 * search.c: the search page (GET /search?q=...&before=...): a search form
 * and the messages that match, newest first, in the signed-in user's view
 * (inbox_search with web_scope). Each hit shows the channel, the author, the
 * time and the text with the matched words in <mark>, and links to the
 * message in its conversation. Words match by their German stem, as the
 * index does: store_text_hits finds exactly the words the search matched,
 * so "Stromausfall" marks "Stromausfälle" but "zähler" not "Zählerstand".
 *
 * A plain GET form and links: no JavaScript needed. Older results are a
 * keyset page ("before" the last message id shown).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "web/pages.h"

#define SEARCH_PAGE 20
#define HITS_MAX 64
#define EXCERPT_MAX 600 /* bytes of a long message shown around its first hit */
#define EXCERPT_BEFORE 160

/* A part of a message's text with the hits inside it, relative to it. */
typedef struct excerpt {
	char *text; /* owned */
	int cut_before, cut_after;
	size_t starts[HITS_MAX], ends[HITS_MAX];
	size_t n;
} excerpt;

/* Move i back to the start of a UTF-8 character. */
static size_t char_start(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

/* A cut at i moved to just after the nearest space within 40 bytes before
 * it (not below floor), else to a character boundary. */
static size_t word_cut(const char *s, size_t i, size_t floor)
{
	for (size_t j = i; j > floor && i - j < 40; j--)
		if (s[j - 1] == ' ' || s[j - 1] == '\n')
			return j;
	return char_start(s, i);
}

/*
 * The hits of q in text, and for a long text only the part around the first
 * hit (at most EXCERPT_MAX bytes, cut between words where it can). Free
 * x->text when done.
 */
static void make_excerpt(const char *q, const char *text, excerpt *x)
{
	memset(x, 0, sizeof(*x));
	size_t all_starts[HITS_MAX], all_ends[HITS_MAX];
	size_t n = store_text_hits(q, text, all_starts, all_ends, HITS_MAX);
	size_t len = strlen(text), from = 0, to = len;
	if (len > EXCERPT_MAX) {
		size_t first = n ? all_starts[0] : 0;
		from = first > EXCERPT_BEFORE ? word_cut(text, first - EXCERPT_BEFORE, 0) : 0;
		to = from + EXCERPT_MAX < len ? word_cut(text, from + EXCERPT_MAX, from + 1) : len;
		if (to <= from)
			to = len;
	}
	x->cut_before = from > 0;
	x->cut_after = to < len;
	x->text = malloc(to - from + 1);
	if (!x->text)
		abort();
	memcpy(x->text, text + from, to - from);
	x->text[to - from] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (all_starts[i] < from || all_ends[i] > to)
			continue;
		x->starts[x->n] = all_starts[i] - from;
		x->ends[x->n++] = all_ends[i] - from;
	}
}

/* The conversation of a hit (without its messages) from cache, a JSON
 * object by id that this fills; NULL when it cannot be read. Borrowed. */
static json_t *hit_conversation(store_conn *c, const inbox_scope *scope, json_t *cache, int64_t id)
{
	char key[24];
	snprintf(key, sizeof(key), "%lld", (long long)id);
	json_t *conv = json_object_get(cache, key);
	if (conv)
		return json_is_object(conv) ? conv : NULL;
	if (inbox_conversation(c, scope, id, &conv) != CT_OK) {
		json_object_set_new(cache, key, json_null());
		return NULL;
	}
	json_object_set_new(cache, key, conv);
	return conv;
}

/* One hit: channel, author, time, the marked text and the link to it. */
static void hit_item(web_page *p, const char *q, json_t *m, json_t *conv)
{
	json_int_t id = json_integer_value(json_object_get(m, "id"));
	json_int_t conv_id = json_integer_value(json_object_get(m, "conversation_id"));
	const char *direction = json_string_value(json_object_get(m, "direction"));
	const char *author =
		json_string_value(json_object_get(json_object_get(m, "author"), "name"));
	const char *contact =
		json_string_value(json_object_get(json_object_get(conv, "contact"), "name"));
	const char *subject = json_string_value(json_object_get(conv, "subject"));
	if (!author || !*author)
		author = direction && strcmp(direction, "in") == 0 && contact ? contact : _("Team");
	char when[48];
	web_format_time(p, web_json_time(m, "created_at"), when, sizeof(when));
	html_printf(&p->h, "<li class=\"hit\"><div class=\"hit-head\">");
	web_channel_icon(
		p, json_string_value(json_object_get(json_object_get(conv, "channel"), "kind")));
	html_printf(&p->h, "<strong>%s</strong>", author);
	if (direction && strcmp(direction, "note") == 0)
		html_printf(&p->h, "<span class=\"badge\">%s</span>", _("internal note"));
	html_printf(&p->h, "<time datetime=\"%s\">%s</time></div>",
		    json_string_value(json_object_get(m, "created_at")), when);
	excerpt x;
	make_excerpt(q, json_string_value(json_object_get(m, "text")), &x);
	html_safe marked = html_marked(x.text, x.starts, x.ends, x.n);
	html_printf(&p->h, "<p class=\"hit-text\">%s", x.cut_before ? "… " : "");
	html_raw(&p->h, &marked);
	html_printf(&p->h, "%s</p>", x.cut_after ? " …" : "");
	html_safe_free(&marked);
	free(x.text);
	char link[300];
	if (subject && *subject)
		snprintf(link, sizeof(link), "%s", subject);
	else
		snprintf(link, sizeof(link), _("Conversation with %s"),
			 contact ? contact : _("an erased contact"));
	html_printf(&p->h,
		    "<a class=\"hit-link\" href=\"/inbox/c/%lld#m-%lld\">%s</a>"
		    "<span class=\"sr\"> (%s)</span></li>",
		    (long long)conv_id, (long long)id, link,
		    _("open the conversation at this message"));
}

/* The results of q (older than before, 0: the newest) below the form. */
static int results(web_page *p, const char *q, int64_t before)
{
	inbox_scope scope;
	web_scope(p->who, &scope);
	json_t *data = NULL, *cache = json_object();
	int64_t next_before = 0;
	err_detail d = {.index = -1};
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = inbox_search(c, &scope, q, before, SEARCH_PAGE, &data, &next_before, &d);
	char heading[300];
	snprintf(heading, sizeof(heading), _("Results for “%s”"), q);
	html_printf(&p->h,
		    "<section class=\"search-results\" aria-labelledby=\"results-h\">"
		    "<h2 id=\"results-h\">%s</h2>",
		    heading);
	int status = 200;
	if (err == CT_ERR_INVALID) {
		html_printf(&p->h, "<p class=\"empty\">%s</p>",
			    _("Type a word to search for: punctuation and symbols alone find "
			      "nothing."));
	} else if (err) {
		status = 500;
		html_printf(&p->h, "<p class=\"empty error\" role=\"alert\">%s</p>",
			    _("The search did not work. Try again."));
	} else if (!json_array_size(data)) {
		html_printf(&p->h, "<p class=\"empty\">%s</p>",
			    before ? _("No older results.") : _("Nothing found."));
	} else {
		html_printf(&p->h, "<ol class=\"results\">");
		size_t i;
		json_t *m;
		json_array_foreach(data, i, m)
		{
			int64_t conv_id = json_integer_value(json_object_get(m, "conversation_id"));
			hit_item(p, q, m, hit_conversation(c, &scope, cache, conv_id));
		}
		html_printf(&p->h, "</ol>");
	}
	store_reader_release(p->a->store, c);
	if (next_before || before) {
		html_printf(&p->h, "<nav class=\"pager\" aria-label=\"%s\">", _("More results"));
		if (before) {
			html_printf(&p->h, "<a href=\"/search?q=");
			html_urlenc(&p->h, q);
			html_printf(&p->h, "\">%s</a>", _("Newest results"));
		}
		if (next_before) {
			html_printf(&p->h, "<a rel=\"next\" href=\"/search?q=");
			html_urlenc(&p->h, q);
			html_printf(&p->h, "&amp;before=%lld\">%s</a>", (long long)next_before,
				    _("Older results"));
		}
		html_printf(&p->h, "</nav>");
	}
	html_printf(&p->h, "</section>");
	json_decref(data);
	json_decref(cache);
	return status;
}

/* 1 when s holds something other than white space. */
static int has_text(const char *s)
{
	return s && s[strspn(s, " \t\r\n")] != '\0';
}

/* GET /search?q=...&before=... */
void web_search(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	const char *q = http_query(req, "q");
	const char *before_arg = http_query(req, "before");
	int64_t before = before_arg ? strtoll(before_arg, NULL, 10) : 0;
	if (before < 0)
		before = 0;
	char title[300];
	if (has_text(q))
		snprintf(title, sizeof(title), _("Search: %s"), q);
	else
		snprintf(title, sizeof(title), "%s", _("Search"));
	web_open(&p, title, "search");
	html_printf(&p.h,
		    "<div class=\"page search-page\"><h1>%s</h1>"
		    "<form class=\"search-form\" method=\"get\" action=\"/search\" role=\"search\">"
		    "<label for=\"q\">%s</label><div class=\"row\">"
		    "<input type=\"search\" id=\"q\" name=\"q\" value=\"%s\" "
		    "aria-keyshortcuts=\"/\" aria-describedby=\"q-hint\" autocomplete=\"off\">"
		    "<button type=\"submit\">%s</button></div>"
		    "<p class=\"field-hint\" id=\"q-hint\">%s</p></form>",
		    _("Search"), _("Search all messages"), q ? q : "", _("Search"),
		    _("Every word must occur, in any form: “Zähler” also finds “Zählers”."));
	int status = has_text(q) ? results(&p, q, before) : 200;
	html_printf(&p.h, "</div>");
	web_close(&p);
	web_send(&p, status);
}

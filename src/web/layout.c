/*
 * layout.c: what every page shares (see web.h): starting a page in the
 * user's language, the document around the content (head, skip link,
 * navigation, <main>), sending it, error pages, and formatting times and
 * numbers for the user.
 *
 * htmx is configured in a meta element so that it needs no inline script or
 * style (the Content Security Policy allows neither) and never evaluates
 * code from attributes. The CSRF token travels in hx-headers for htmx
 * requests and in a hidden field for plain forms. The navigation shows
 * supervisors and admins how many held replies wait for approval.
 */
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/i18n.h"
#include "core/timeutil.h"
#include "web/pages.h"
#include "web/templates_web.h"

void web_begin(web_page *p, http_request *req, http_response *res)
{
	memset(p, 0, sizeof(*p));
	p->req = req;
	p->res = res;
	p->a = http_app(req);
	p->who = http_principal(req);
	const char *asked = http_query(req, "lang");
	if (p->who->locale[0])
		p->lang = strcmp(p->who->locale, "en") == 0 ? "en" : "de";
	else
		p->lang = asked && strcmp(asked, "en") == 0 ? "en" : "de";
	p->partial = http_header(req, "HX-Request") != NULL &&
		     http_header(req, "HX-History-Restore-Request") == NULL;
	i18n_use(p->lang);
	html_init(&p->h);
}

void web_actor(const web_page *p, actor *out)
{
	out->name = p->who->name;
	out->user_id = p->who->user_id;
	out->token_id = 0;
	out->ip = http_client_ip(p->req);
}

int64_t web_user_id(const web_page *p)
{
	return p->who->user_id;
}

/* The opening tag of a navigation entry (current when key is active);
 * shortcut (may be NULL) is announced. */
static void nav_link_open(web_page *p, const char *href, const char *key, const char *active,
			  const char *shortcut)
{
	html_printf(&p->h, "<a href=\"%s\"", href);
	if (active && strcmp(active, key) == 0)
		html_printf(&p->h, " aria-current=\"page\"");
	if (shortcut)
		html_printf(&p->h, " aria-keyshortcuts=\"%s\"", shortcut);
	html_printf(&p->h, ">");
}

/* One entry of the main navigation. */
static void nav_link(web_page *p, const char *href, const char *label, const char *key,
		     const char *active, const char *shortcut)
{
	nav_link_open(p, href, key, active, shortcut);
	html_printf(&p->h, "%s</a>", label);
}

/* The approval queue with the number of held replies waiting (for
 * supervisors and admins). */
static void approvals_link(web_page *p, const char *active)
{
	int n = web_held_pending_count(p);
	nav_link_open(p, "/approvals", "approvals", active, NULL);
	html_printf(&p->h, "%s", _("Approvals"));
	if (n) {
		char label[80];
		snprintf(label, sizeof(label),
			 ngettext("%d reply waits", "%d replies wait", (unsigned long)n), n);
		html_printf(
			&p->h,
			" <span class=\"badge count\" id=\"approvals-count\" aria-hidden=\"true\">"
			"%d</span><span class=\"sr\">(%s)</span>",
			n, label);
	}
	html_printf(&p->h, "</a>");
}

static void navigation(web_page *p, const char *active)
{
	html_printf(&p->h,
		    "<header class=\"top\"><a class=\"brand\" href=\"/inbox\">%s</a>"
		    "<nav aria-label=\"%s\">",
		    p->a->cfg.org_name, _("Main navigation"));
	nav_link(p, "/inbox", _("Inbox"), "inbox", active, NULL);
	nav_link(p, "/search", _("Search"), "search", active, "/");
	nav_link(p, "/contacts", _("Contacts"), "contacts", active, NULL);
	nav_link(p, "/templates", _("Templates"), "templates", active, NULL);
	if (p->who->role & ROLES_MANAGE) {
		approvals_link(p, active);
		nav_link(p, "/reports/templates", _("Reports"), "reports", active, NULL);
	}
	if (p->who->role == ROLE_ADMIN)
		nav_link(p, "/settings/users", _("Settings"), "settings", active, NULL);
	else if (p->who->role == ROLE_SUPERVISOR) /* their only settings page */
		nav_link(p, "/settings/concept", _("Settings"), "settings", active, NULL);
	html_printf(&p->h, "</nav><div class=\"me\">");
	nav_link(p, "/profile", _("Profile"), "profile", active, NULL);
	html_printf(&p->h, "<form method=\"post\" action=\"/logout\">");
	web_csrf_field(p);
	html_printf(&p->h,
		    "<button type=\"submit\" class=\"link\">%s</button></form>"
		    "<button type=\"button\" class=\"link\" data-help aria-keyshortcuts=\"?\">"
		    "<span aria-hidden=\"true\">?</span><span class=\"sr\">%s</span></button>"
		    "</div></header>",
		    _("Sign out"), _("Keyboard shortcuts"));
}

void web_open(web_page *p, const char *title, const char *active)
{
	if (p->partial)
		return;
	html_printf(&p->h,
		    "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<title>%s · %s</title>"
		    "<link rel=\"stylesheet\" href=\"%s\">"
		    "<meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false,"
		    "\"allowEval\":false,\"allowScriptTags\":false,\"historyCacheSize\":0,"
		    "\"selfRequestsOnly\":true}'>"
		    "<script src=\"%s\" defer></script><script src=\"%s\" defer></script>"
		    "</head>",
		    p->lang, title, p->a->cfg.org_name, web_asset_url("app.css"),
		    web_asset_url("htmx.min.js"), web_asset_url("app.js"));
	if (p->who->user_id && !p->who->second_factor_pending)
		html_printf(&p->h,
			    "<body hx-headers='{\"X-CSRF-Token\": \"%s\"}' data-user=\"%lld\">"
			    "<a class=\"skip\" href=\"#main\">%s</a>",
			    p->who->csrf, (long long)p->who->user_id, _("Skip to content"));
	else
		html_printf(&p->h, "<body class=\"public\"><a class=\"skip\" href=\"#main\">%s</a>",
			    _("Skip to content"));
	if (p->who->user_id && !p->who->second_factor_pending && !p->who->totp_setup_required)
		navigation(p, active);
	html_printf(&p->h, "<main id=\"main\" tabindex=\"-1\">");
}

/* The keyboard shortcuts, shown by "?" (app.js opens the dialog). */
static void help_dialog(web_page *p)
{
	static const char *const keys[] = {"j", "k", "r", "n", "e", "a", "/", "?"};
	const char *what[] = {_("next conversation"),
			      _("previous conversation"),
			      _("write a reply"),
			      _("write an internal note"),
			      _("resolve"),
			      _("assign"),
			      _("search"),
			      _("this help")};
	html_printf(&p->h,
		    "<dialog id=\"help\" aria-labelledby=\"help-h\"><h2 id=\"help-h\">%s</h2><dl>",
		    _("Keyboard shortcuts"));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		html_printf(&p->h, "<dt><kbd>%s</kbd></dt><dd>%s</dd>", keys[i], what[i]);
	html_printf(&p->h,
		    "<dt><kbd>Ctrl</kbd>+<kbd>Enter</kbd></dt><dd>%s</dd></dl>"
		    "<form method=\"dialog\"><button type=\"submit\">%s</button></form></dialog>",
		    _("send what you wrote"), _("Close"));
}

void web_close(web_page *p)
{
	if (p->partial)
		return;
	html_printf(&p->h, "</main>");
	if (p->who->user_id && !p->who->second_factor_pending)
		help_dialog(p);
	html_printf(&p->h, "</body></html>\n");
}

void web_send(web_page *p, int status)
{
	html_send(&p->h, p->res, status);
	i18n_use(NULL);
}

void web_csrf_field(web_page *p)
{
	html_printf(&p->h, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", p->who->csrf);
}

void web_error(web_page *p, int status, const char *message)
{
	const char *title = status == 404   ? _("Not found")
			    : status == 429 ? _("Too many requests")
			    : status >= 500 ? _("Something went wrong")
					    : _("Not allowed");
	p->partial = 0;
	web_open(p, title, NULL);
	html_printf(&p->h,
		    "<section class=\"card narrow\"><h1>%s</h1><p>%s</p>"
		    "<p><a href=\"/inbox\">%s</a></p></section>",
		    title, message, _("Back to the inbox"));
	web_close(p);
	web_send(p, status);
}

void web_refusal(http_request *req, http_response *res, int status, const char *why)
{
	web_page p;
	web_begin(&p, req, res);
	web_error(&p, status, why);
}

static locale_t time_locales[2];
static pthread_once_t time_locales_once = PTHREAD_ONCE_INIT;

static void load_time_locales(void)
{
	time_locales[0] = newlocale(LC_TIME_MASK, "de_DE.UTF-8", (locale_t)0);
	time_locales[1] = newlocale(LC_TIME_MASK, "en_US.UTF-8", (locale_t)0);
}

void web_format_time(const web_page *p, int64_t ms, char *out, size_t size)
{
	out[0] = '\0';
	if (!ms)
		return;
	pthread_once(&time_locales_once, load_time_locales);
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	locale_t loc = time_locales[strcmp(p->lang, "en") == 0];
	/* TRANSLATORS: strftime format of a date and time in lists and threads. */
	const char *fmt = _("%d %b %Y, %H:%M");
	if (loc)
		strftime_l(out, size, fmt, &tm, loc);
	else
		strftime(out, size, fmt, &tm);
}

void web_format_age(const web_page *p, int64_t ms, char *out, size_t size)
{
	(void)p;
	int64_t s = (time_now_ms() - ms) / 1000;
	if (s < 60)
		snprintf(out, size, "%s", _("now"));
	else if (s < 3600)
		snprintf(out, size, _("%lld min"), (long long)(s / 60));
	else if (s < 86400)
		snprintf(out, size, _("%lld h"), (long long)(s / 3600));
	else
		snprintf(out, size, _("%lld d"), (long long)(s / 86400));
}

void web_format_count(const web_page *p, int64_t n, char *out, size_t size)
{
	char digits[32];
	snprintf(digits, sizeof(digits), "%lld", (long long)(n < 0 ? -n : n));
	char sep = strcmp(p->lang, "en") == 0 ? ',' : '.';
	size_t len = strlen(digits), o = 0;
	if (n < 0 && o + 1 < size)
		out[o++] = '-';
	for (size_t i = 0; i < len && o + 2 < size; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = sep;
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

void web_diff_block(web_page *p, const char *text, size_t len, const char *labelled_by)
{
	html_printf(&p->h, "<pre class=\"diff\" tabindex=\"0\" aria-labelledby=\"%s\"><code>",
		    labelled_by);
	size_t at = 0;
	while (at < len) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;
		at += n + (nl != NULL);
		const char *cls = NULL;
		if (n >= 3 && (strncmp(line, "---", 3) == 0 || strncmp(line, "+++", 3) == 0))
			cls = "file";
		else if (n && line[0] == '+')
			cls = "add";
		else if (n && line[0] == '-')
			cls = "del";
		else if (n && line[0] == '@')
			cls = "hunk";
		if (cls)
			html_printf(&p->h, "<span class=\"%s\">%.*s</span>\n", cls, (int)n, line);
		else
			html_printf(&p->h, "%.*s\n", (int)n, line);
	}
	html_printf(&p->h, "</code></pre>");
}

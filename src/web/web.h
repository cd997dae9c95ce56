/*
 * web.h: the HTML pages (server-rendered; htmx and live events on top).
 *
 * Each page is a handler in the route table (http/routes.c) with the flag
 * ROUTE_PAGE. A handler starts a web_page, writes its content with
 * html_printf between web_open and web_close (the layout: head, navigation,
 * main) and sends it. When htmx asks for a part of the page (the request
 * has HX-Request and the handler supports it), only that part is written.
 * Pages are thin views over the domain modules (inbox/, accounts/); they
 * never call api/. Every visible string goes through gettext in the user's
 * language (i18n_use), dates and times in the organisation's time zone.
 */
#ifndef CT_WEB_H
#define CT_WEB_H

#include <stdint.h>

#include "http/http.h"
#include "web/html.h"

typedef struct web_page {
	http_request *req;
	http_response *res;
	app *a;
	const principal *who;
	html h;
	const char *lang; /* "de" or "en" */
	int partial;      /* htmx asked for a fragment (HX-Request) */
} web_page;

/* Start a page for this request: language from the user (or the browser's
 * Accept-Language before login), the printer empty. */
void web_begin(web_page *p, http_request *req, http_response *res);

/* The document head, the navigation (active: "inbox", "search",
 * "contacts", "settings", or NULL) and the opening of <main>. Skipped for
 * partial requests. title is plain text (escaped). */
void web_open(web_page *p, const char *title, const char *active);

/* Close <main> and the document (skipped for partial requests). */
void web_close(web_page *p);

/* Send what was written with status; frees the printer. */
void web_send(web_page *p, int status);

/* A hidden form field with the session's CSRF token. */
void web_csrf_field(web_page *p);

/* An error page (title and message are plain text) and send it. */
void web_error(web_page *p, int status, const char *message);

/* A unified diff (text, len; of concept or template versions) line by line,
 * with file, added, removed and hunk lines in spans classed file, add, del
 * and hunk, all escaped; labelled by the element with id labelled_by. */
void web_diff_block(web_page *p, const char *text, size_t len, const char *labelled_by);

/* The signed-in user's id (0 for none). */
int64_t web_user_id(const web_page *p);

/* "23.11.2026, 14:05" (de) or "23 Nov 2026, 14:05" (en) in the organisation's
 * time zone, into out (at least 40 bytes). 0 gives "". */
void web_format_time(const web_page *p, int64_t ms, char *out, size_t size);

/* An age such as "5 min", "3 h", "2 d" since ms, into out. */
void web_format_age(const web_page *p, int64_t ms, char *out, size_t size);

/* A whole number with the language's thousands separator ("1.234"). */
void web_format_count(const web_page *p, int64_t n, char *out, size_t size);

/* The URL of an embedded asset with its content hash ("/static/app.css?v=...").
 * Static storage. */
const char *web_asset_url(const char *name);

/* Route handlers: web/assets.c */
void web_static(http_request *req, http_response *res);

/* Route handlers: web/login.c */
void web_root(http_request *req, http_response *res);
void web_login_form(http_request *req, http_response *res);
void web_login_submit(http_request *req, http_response *res);
void web_second_factor_form(http_request *req, http_response *res);
void web_second_factor_submit(http_request *req, http_response *res);
void web_logout(http_request *req, http_response *res);

/* The refusal page for http/ (see http_page_refusal). */
void web_refusal(http_request *req, http_response *res, int status, const char *why);

#endif

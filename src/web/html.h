/*
 * html.h: the page printer, where HTML escaping happens by construction.
 *
 * Page code writes HTML only through html_printf: its format string is a
 * literal (the trusted markup) and every %s argument is escaped for text and
 * for quoted attribute values (& < > " '). Numbers are formatted as printf
 * does, so the compiler checks the arguments. Raw markup can enter a page
 * only as an html_safe, which only the sanitizers below make (escaped text
 * with line breaks, search hits in <mark>). scripts/lint.sh (check "page")
 * fails the build when code in src/web/ writes to a buffer or a response
 * body any other way, or passes a format that is not a literal.
 */
#ifndef CT_WEB_HTML_H
#define CT_WEB_HTML_H

#include <stddef.h>

#include "core/buf.h"

#define HTML_MAX ((size_t)8 << 20)

typedef struct html {
	buf out; /* private to html.c */
} html;

/* Markup that a sanitizer produced; the text inside is owned by it. */
typedef struct html_safe {
	char *markup;
	size_t len;
} html_safe;

/* An empty page buffer (at most HTML_MAX bytes). */
void html_init(html *h);

/* Free the buffer. */
void html_free(html *h);

/* Answer the request with the page written so far (text/html) and empty
 * the printer. The only way page code sets a response body. */
struct http_response;
void html_send(html *h, struct http_response *res, int status);

/*
 * Append markup: fmt is literal markup; %s (and %.*s) and %c arguments are
 * escaped;
 * %d %i %u %ld %lu %lld %llu %zu %x with flags and width are formatted as
 * printf does; %% is a percent sign. Text beyond HTML_MAX is dropped.
 */
void html_printf(html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append s percent-encoded for a URL query or path component. */
void html_urlenc(html *h, const char *s);

/* Append a link target from data: s escaped when it is an http(s) URL or a
 * path on this site ("/..."), else "#" (no javascript: or data: URLs). */
void html_href(html *h, const char *s);

/* Append sanitised markup. */
void html_raw(html *h, const html_safe *s);

/* Escaped text whose line breaks become <br>. Free with html_safe_free. */
html_safe html_text_block(const char *text);

/*
 * Escaped text with the byte ranges [starts[i], ends[i]) (sorted, not
 * overlapping, inside the text) wrapped in <mark>. For search hits.
 */
html_safe html_marked(const char *text, const size_t *starts, const size_t *ends, size_t n);

void html_safe_free(html_safe *s);

#endif

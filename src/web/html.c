/*
 * html.c: the page printer and the sanitizers (see html.h).
 *
 * This is the one file in src/web/ allowed to append to a buf directly;
 * everything it appends from data is escaped or percent-encoded.
 */
#include "web/html.h"

#include "http/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void html_init(html *h)
{
	buf_init(&h->out, HTML_MAX);
}

void html_free(html *h)
{
	buf_free(&h->out);
}

void html_send(html *h, http_response *res, int status)
{
	size_t len = 0;
	char *body = buf_detach(&h->out, &len);
	http_html(res, status, body, len);
}

/* Append n bytes of s with & < > " ' replaced by entities. */
static void escape_into(buf *b, const char *s, size_t n)
{
	size_t plain = 0;
	for (size_t i = 0; i < n; i++) {
		const char *entity = NULL;
		switch (s[i]) {
		case '&': entity = "&amp;"; break;
		case '<': entity = "&lt;"; break;
		case '>': entity = "&gt;"; break;
		case '"': entity = "&quot;"; break;
		case '\'': entity = "&#39;"; break;
		default: continue;
		}
		buf_append(b, s + plain, i - plain);
		buf_puts(b, entity);
		plain = i + 1;
	}
	buf_append(b, s + plain, n - plain);
}

/* One numeric conversion: spec is "%[flags][width][length]conv". */
static void format_number(buf *b, const char *spec, char length, char conv, va_list *ap)
{
	char out[64];
	int signed_conv = conv == 'd' || conv == 'i';
	if (length == 'L') { /* ll */
		if (signed_conv)
			snprintf(out, sizeof(out), spec, va_arg(*ap, long long));
		else
			snprintf(out, sizeof(out), spec, va_arg(*ap, unsigned long long));
	} else if (length == 'l') {
		if (signed_conv)
			snprintf(out, sizeof(out), spec, va_arg(*ap, long));
		else
			snprintf(out, sizeof(out), spec, va_arg(*ap, unsigned long));
	} else if (length == 'z') {
		snprintf(out, sizeof(out), spec, va_arg(*ap, size_t));
	} else if (signed_conv) {
		snprintf(out, sizeof(out), spec, va_arg(*ap, int));
	} else {
		snprintf(out, sizeof(out), spec, va_arg(*ap, unsigned));
	}
	buf_puts(b, out);
}

/* Parse one conversion after '%' at *pp and append it; advances *pp. */
static void format_one(buf *b, const char **pp, va_list *ap)
{
	const char *p = *pp;
	char spec[24] = "%";
	size_t n = 1;
	while (*p && strchr("-+ #0123456789", *p) && n < 12)
		spec[n++] = *p++;
	int precision = -1;
	if (p[0] == '.' && p[1] == '*') {
		precision = va_arg(*ap, int);
		p += 2;
	}
	char length = 0;
	if (p[0] == 'l' && p[1] == 'l')
		length = 'L', p += 2, spec[n++] = 'l', spec[n++] = 'l';
	else if (*p == 'l' || *p == 'z')
		length = *p, spec[n++] = *p++;
	char conv = *p ? *p++ : '\0';
	spec[n++] = conv;
	spec[n] = '\0';
	*pp = p;
	if (conv == 's') {
		const char *s = va_arg(*ap, const char *);
		if (!s)
			s = "";
		size_t len = strlen(s);
		if (precision >= 0 && (size_t)precision < len)
			len = (size_t)precision;
		escape_into(b, s, len);
	} else if (conv == 'c') {
		char ch = (char)va_arg(*ap, int);
		escape_into(b, &ch, 1);
	} else if (conv == '%') {
		buf_puts(b, "%");
	} else if (conv && strchr("diuxX", conv)) {
		format_number(b, spec, length, conv, ap);
	}
}

void html_printf(html *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *p = fmt;
	while (*p) {
		const char *pct = strchr(p, '%');
		size_t plain = pct ? (size_t)(pct - p) : strlen(p);
		buf_append(&h->out, p, plain);
		if (!pct)
			break;
		p = pct + 1;
		format_one(&h->out, &p, &ap);
	}
	va_end(ap);
}

void html_urlenc(html *h, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p)) {
			buf_append(&h->out, p, 1);
		} else {
			char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			buf_append(&h->out, enc, 3);
		}
	}
}

void html_href(html *h, const char *s)
{
	int ok = s && ((strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) ||
		       (s[0] == '/' && s[1] != '/' && s[1] != '\\'));
	if (ok)
		escape_into(&h->out, s, strlen(s));
	else
		buf_puts(&h->out, "#");
}

void html_raw(html *h, const html_safe *s)
{
	if (s->markup)
		buf_append(&h->out, s->markup, s->len);
}

/* Escape text[from, to) with line breaks as <br>. */
static void escape_lines(buf *b, const char *text, size_t from, size_t to)
{
	size_t start = from;
	for (size_t i = from; i < to; i++) {
		if (text[i] != '\n')
			continue;
		size_t end = i > start && text[i - 1] == '\r' ? i - 1 : i;
		escape_into(b, text + start, end - start);
		buf_puts(b, "<br>");
		start = i + 1;
	}
	escape_into(b, text + start, to - start);
}

static html_safe safe_from(buf *b)
{
	html_safe s = {0};
	s.markup = buf_detach(b, &s.len);
	return s;
}

html_safe html_text_block(const char *text)
{
	buf b;
	buf_init(&b, HTML_MAX);
	if (text)
		escape_lines(&b, text, 0, strlen(text));
	return safe_from(&b);
}

html_safe html_marked(const char *text, const size_t *starts, const size_t *ends, size_t n)
{
	buf b;
	buf_init(&b, HTML_MAX);
	size_t len = text ? strlen(text) : 0, at = 0;
	for (size_t i = 0; i < n; i++) {
		if (starts[i] < at || ends[i] <= starts[i] || ends[i] > len)
			continue; /* out of order or outside: not marked */
		escape_lines(&b, text, at, starts[i]);
		buf_puts(&b, "<mark>");
		escape_lines(&b, text, starts[i], ends[i]);
		buf_puts(&b, "</mark>");
		at = ends[i];
	}
	if (text)
		escape_lines(&b, text, at, len);
	return safe_from(&b);
}

void html_safe_free(html_safe *s)
{
	free(s->markup);
	s->markup = NULL;
	s->len = 0;
}

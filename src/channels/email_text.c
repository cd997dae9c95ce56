/*
 * email_text.c: the text work of the e-mail channel that needs no MIME (see
 * email_parse.h): HTML to clean text, folding away quoted earlier mails and
 * the signature, the subject token "[#<id>]" and Message-ID normalisation.
 * Plain byte scanning over NUL-terminated UTF-8; no allocation but the
 * returned strings.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channels/email_parse.h"
#include "channels/html_text.h"
#include "core/buf.h"
#include "core/crypto.h"

/* ---- HTML to text ---- */

typedef struct html_out {
	buf b;
	int pending_space; /* whitespace seen since the last word */
	char href[1024];   /* the open link's target, "" when none */
	size_t link_start; /* where the open link's text began in b */
} html_out;

/* The number of newlines at the end of the output. */
static int trailing_newlines(const buf *b)
{
	int n = 0;
	for (size_t i = b->len; i > 0 && b->data[i - 1] == '\n'; i--)
		n++;
	return n;
}

/* Make the output end in (at least) n line breaks, unless it is empty. */
static void html_break(html_out *o, int n)
{
	o->pending_space = 0;
	if (o->b.len == 0)
		return;
	for (int have = trailing_newlines(&o->b); have < n; have++)
		buf_append(&o->b, "\n", 1);
}

/* Append text, collapsing runs of whitespace into one space. */
static void html_text(html_out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
			o->pending_space = 1;
			continue;
		}
		if (o->pending_space && o->b.len > 0 && o->b.data[o->b.len - 1] != '\n')
			buf_append(&o->b, " ", 1);
		o->pending_space = 0;
		buf_append(&o->b, s + i, 1);
	}
}

/* Text between tags, with entities decoded. */
static void html_chars(html_out *o, const char *s, const char *end)
{
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *stop = amp ? amp : end;
		html_text(o, s, (size_t)(stop - s));
		if (!amp)
			break;
		char cp[4];
		size_t cp_len = 0, used = html_entity_decode(amp + 1, end, cp, &cp_len);
		if (used && cp_len == 1 && cp[0] == ' ') {
			html_text(o, " ", 1);
		} else if (used) {
			html_text(o, "", 0);
			if (o->pending_space && o->b.len && o->b.data[o->b.len - 1] != '\n')
				buf_append(&o->b, " ", 1);
			o->pending_space = 0;
			buf_append(&o->b, cp, cp_len);
		} else {
			html_text(o, "&", 1);
		}
		s = amp + 1 + used;
	}
}

/* Case-insensitive search for the closing tag </name in [s, end). */
static const char *find_close(const char *s, const char *end, const char *name)
{
	size_t n = strlen(name);
	for (; s + n + 2 <= end; s++)
		if (s[0] == '<' && s[1] == '/' && !strncasecmp(s + 2, name, n))
			return s;
	return NULL;
}

/* The value of attribute name in the tag [s, end) into out ("" if none). */
static void tag_attribute(const char *s, const char *end, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);
	out[0] = '\0';
	for (const char *p = s; p + n < end; p++) {
		if (strncasecmp(p, name, n) || !isspace((unsigned char)p[-1]))
			continue;
		const char *q = p + n;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || *q != '=')
			continue;
		for (q++; q < end && isspace((unsigned char)*q); q++)
			;
		char quote = q < end && (*q == '"' || *q == '\'') ? *q++ : 0;
		const char *v = q;
		while (q < end && (quote ? *q != quote : !isspace((unsigned char)*q) && *q != '>'))
			q++;
		size_t len = (size_t)(q - v) < size - 1 ? (size_t)(q - v) : size - 1;
		memcpy(out, v, len);
		out[len] = '\0';
		return;
	}
}

static int name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list))
			return 1;
	return 0;
}

/* A link closes: " (url)" after its text unless the text is the url. */
static void html_link_close(html_out *o)
{
	const char *h = o->href;
	if (!h[0] || h[0] == '#' || !strncasecmp(h, "javascript:", 11)) {
		o->href[0] = '\0';
		return;
	}
	if (!strncasecmp(h, "mailto:", 7))
		h += 7;
	size_t text_len = o->b.len - o->link_start;
	const char *text = o->b.data ? o->b.data + o->link_start : "";
	if (text_len != strlen(h) || memcmp(text, h, text_len)) {
		html_text(o, " (", 2);
		buf_puts(&o->b, h);
		buf_append(&o->b, ")", 1);
	}
	o->href[0] = '\0';
}

/* One tag [s, e): its effect on the output; where scanning goes on. */
static const char *html_tag(html_out *o, const char *s, const char *e, const char *end)
{
	static const char *const skip[] = {"head",     "style",    "script", "title",
					   "noscript", "template", NULL};
	static const char *const para[] = {"p",     "h1",         "h2", "h3", "h4", "h5",  "h6",
					   "table", "blockquote", "ul", "ol", "hr", "pre", NULL};
	static const char *const line[] = {"br",     "div",    "tr", "li", "section", "article",
					   "header", "footer", "dt", "dd", "address", NULL};
	const char *p = s + 1;
	int closing = *p == '/';
	p += closing;
	char name[16];
	size_t n = 0;
	while (p < e && n < sizeof(name) - 1 && isalnum((unsigned char)*p))
		name[n++] = (char)tolower((unsigned char)*p++);
	name[n] = '\0';
	if (!closing && name_in(name, skip)) {
		const char *close = find_close(e, end, name);
		if (close)
			return html_tag_end(close, end);
		return strcmp(name, "head") ? end : e; /* an unclosed head hides nothing */
	}
	if (name_in(name, para))
		html_break(o, 2);
	else if (name_in(name, line))
		html_break(o, 1);
	else if (!strcmp(name, "td") || !strcmp(name, "th"))
		html_text(o, " ", 1);
	if (!closing && !strcmp(name, "li"))
		buf_puts(&o->b, "- ");
	if (!strcmp(name, "a")) {
		if (!closing) {
			tag_attribute(s, e, "href", o->href, sizeof(o->href));
			html_text(o, "", 0);
			if (o->pending_space && o->b.len && o->b.data[o->b.len - 1] != '\n') {
				buf_append(&o->b, " ", 1);
				o->pending_space = 0;
			}
			o->link_start = o->b.len;
		} else if (o->href[0]) {
			html_link_close(o);
		}
	}
	return e;
}

/* Tidy the output: no spaces at line ends, at most one empty line in a row,
 * nothing blank at either end. malloc'd. */
static char *tidy_lines(const char *s, size_t len)
{
	buf out;
	buf_init(&out, 0);
	int newlines = 0;
	size_t i = 0;
	while (i < len && (s[i] == '\n' || s[i] == ' '))
		i++;
	while (i < len) {
		size_t eol = i;
		while (eol < len && s[eol] != '\n')
			eol++;
		size_t stop = eol;
		while (stop > i &&
		       (s[stop - 1] == ' ' || s[stop - 1] == '\t' || s[stop - 1] == '\r'))
			stop--;
		if (stop == i) {
			newlines++;
		} else {
			if (out.len)
				buf_append(&out, "\n\n", newlines > 1 ? 2 : 1);
			buf_append(&out, s + i, stop - i);
			newlines = 1;
		}
		i = eol + 1;
	}
	if (!out.data)
		buf_puts(&out, "");
	return buf_detach(&out, NULL);
}

char *email_html_to_text(const char *html, size_t len)
{
	html_out o = {.pending_space = 0};
	buf_init(&o.b, 0);
	const char *s = html, *end = html + len;
	while (s < end) {
		const char *lt = memchr(s, '<', (size_t)(end - s));
		html_chars(&o, s, lt ? lt : end);
		if (!lt)
			break;
		if (end - lt >= 4 && !memcmp(lt, "<!--", 4)) {
			const char *close = NULL;
			for (const char *q = lt + 4; q + 3 <= end && !close; q++)
				if (!memcmp(q, "-->", 3))
					close = q + 3;
			s = close ? close : end;
			continue;
		}
		if (lt + 1 < end && (isalpha((unsigned char)lt[1]) || lt[1] == '/' || lt[1] == '!'))
			s = html_tag(&o, lt, html_tag_end(lt, end), end);
		else {
			html_chars(&o, lt, lt + 1);
			s = lt + 1;
		}
	}
	char *text = tidy_lines(o.b.data ? o.b.data : "", o.b.len);
	buf_free(&o.b);
	return text;
}

/* ---- folding quotes and signatures ---- */

static int starts_with(const char *s, size_t n, const char *prefix)
{
	size_t p = strlen(prefix);
	return n >= p && !memcmp(s, prefix, p);
}

static int contains(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(s + i, needle, k))
			return 1;
	return 0;
}

/* The line [s, s+n) without trailing white space: its length. */
static size_t rtrim(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n;
}

/* "Am 23.11.2026 um 07:45 schrieb Max <max@example.de>:" and
 * "On Mon, 23 Nov 2026, Max <max@example.de> wrote:" (the end of the line,
 * as when an attribution is wrapped, suffices). */
static int attribution_end(const char *s, size_t n)
{
	n = rtrim(s, n);
	if (n == 0 || s[n - 1] != ':')
		return 0;
	return contains(s, n, "schrieb") || contains(s, n, "wrote");
}

/* Where the quoted earlier mail begins at line [s, s+n) followed by next
 * (the following line, NULL at the end). */
static int earlier_mail_starts(const char *s, size_t n, const char *next, size_t next_n)
{
	int opener = starts_with(s, n, "Am ") || starts_with(s, n, "On ");
	if (opener && attribution_end(s, n))
		return 1;
	if (opener && next && attribution_end(next, next_n))
		return 1;
	if (starts_with(s, n, "-----Original Message-----") ||
	    starts_with(s, n, "-----Ursprüngliche Nachricht-----") ||
	    starts_with(s, n, "________________________________"))
		return 1;
	/* Outlook: "Von: ..." then "Gesendet: ..." (or From:/Sent:) */
	return next && ((starts_with(s, n, "Von: ") && starts_with(next, next_n, "Gesendet: ")) ||
			(starts_with(s, n, "From: ") && starts_with(next, next_n, "Sent: ")));
}

char *email_fold_quotes(const char *text, int *folded)
{
	*folded = 0;
	buf out;
	buf_init(&out, 0);
	const char *s = text;
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t n = eol ? (size_t)(eol - s) : strlen(s);
		const char *next = eol ? eol + 1 : NULL;
		size_t next_n = next ? strcspn(next, "\n") : 0;
		size_t t = rtrim(s, n);
		if ((t == 2 && !memcmp(s, "--", 2)) || earlier_mail_starts(s, t, next, next_n)) {
			*folded = 1; /* the signature or the earlier mail: the rest goes */
			break;
		}
		*folded |= s[0] == '>';
		if (s[0] != '>') {
			buf_append(&out, s, n);
			buf_append(&out, "\n", 1);
		}
		if (!eol)
			break;
		s = eol + 1;
	}
	char *out_text = tidy_lines(out.data ? out.data : "", out.len);
	buf_free(&out);
	if (!*out_text) {
		free(out_text);
		*folded = 0;
		return tidy_lines(text, strlen(text));
	}
	return out_text;
}

/* ---- small helpers ---- */

int64_t email_subject_token(const char *subject)
{
	for (const char *p = subject ? strstr(subject, "[#") : NULL; p; p = strstr(p + 2, "[#")) {
		int64_t id = 0;
		const char *q = p + 2;
		while (isdigit((unsigned char)*q) && id < (INT64_MAX - 9) / 10)
			id = id * 10 + (*q++ - '0');
		if (q > p + 2 && *q == ']' && id > 0)
			return id;
	}
	return 0;
}

void email_normalise_id(const char *raw, char out[EMAIL_ID_SIZE])
{
	while (*raw == ' ' || *raw == '\t' || *raw == '<')
		raw++;
	size_t n = strlen(raw);
	while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t' || raw[n - 1] == '>' ||
		     raw[n - 1] == '\r' || raw[n - 1] == '\n'))
		n--;
	int plain = n < EMAIL_ID_SIZE - 8;
	for (size_t i = 0; i < n && plain; i++)
		plain = raw[i] > ' ' && raw[i] < 0x7f; /* printable ASCII, as RFC 5322 says */
	if (plain) {
		memcpy(out, raw, n);
		out[n] = '\0';
		return;
	}
	char hex[CRYPTO_TOKEN_HASH_HEX];
	crypto_hash_token(raw, n, hex);
	snprintf(out, EMAIL_ID_SIZE, "sha256:%s", hex);
}

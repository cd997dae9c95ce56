/*
 * render.c: the text side of approved wording (templates.h, "Variables and
 * rendering"): which variables a text may use, the syntax check of a text,
 * filling in values, telling an unchanged reply from an edited one,
 * finding placeholders left unfilled, and lengths as the platforms count
 * them. Pure functions: no store, no globals besides constant tables.
 *
 * A placeholder is "{{", optional blanks (space or tab), a name of letters,
 * digits, '_', '.' or '-', optional blanks and "}}". Only placeholders of
 * known variables count as variables when rendering and matching; check
 * refuses every other "{{", so a checked text has no others.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "templates/templates.h"

const char *const template_variables[] = {
	"contact.name",
	"contact.first_name",
	"contact.last_name",
	"agent.name",
	"agent.first_name",
	"organisation.name",
	"office_hours.next_open",
	"conversation.id",
	"channel.name",
	"incident.status",
	"incident.title",
	"date.today",
	NULL,
};

/* The longest name of template_variables, with room to spare. */
#define VAR_NAME_MAX 64

/* A placeholder found in a text: bytes [start, end) with the name at
 * name (name_len bytes, pointing into the text). */
typedef struct placeholder {
	size_t start, end;
	const char *name;
	size_t name_len;
} placeholder;

/* The outcome of parsing at one "{{". */
enum parse_result {
	PARSE_OK, /* a well-formed placeholder (its name may be unknown) */
	PARSE_BAD /* "{{" followed by something that is no placeholder */
};

/* 1 for the bytes a variable name is made of. */
static int is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* 1 for the blanks allowed around a name inside the braces. */
static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* 1 when name[0..len) is one of template_variables. */
static int known_n(const char *name, size_t len)
{
	for (size_t i = 0; template_variables[i]; i++)
		if (strlen(template_variables[i]) == len &&
		    memcmp(template_variables[i], name, len) == 0)
			return 1;
	return 0;
}

int template_variable_known(const char *name)
{
	return name && known_n(name, strlen(name));
}

/* Parse the placeholder that starts with "{{" at text[at] (text is len
 * bytes) into *p. */
static enum parse_result parse_at(const char *text, size_t len, size_t at, placeholder *p)
{
	size_t i = at + 2;
	while (i < len && is_blank((unsigned char)text[i]))
		i++;
	size_t name = i;
	while (i < len && is_name_char((unsigned char)text[i]))
		i++;
	size_t name_end = i;
	while (i < len && is_blank((unsigned char)text[i]))
		i++;
	if (i + 1 < len && text[i] == '}' && text[i + 1] == '}' && name_end > name) {
		p->start = at;
		p->end = i + 2;
		p->name = text + name;
		p->name_len = name_end - name;
		return PARSE_OK;
	}
	return PARSE_BAD;
}

/* The next placeholder of a known variable in text[from..len) into *p:
 * 1, or 0 when there is none. Other "{{" are skipped as plain text. */
static int next_var(const char *text, size_t len, size_t from, placeholder *p)
{
	while (from + 1 < len) {
		const char *hit = memmem(text + from, len - from, "{{", 2);
		if (!hit)
			return 0;
		size_t at = (size_t)(hit - text);
		if (parse_at(text, len, at, p) == PARSE_OK && known_n(p->name, p->name_len))
			return 1;
		from = at + 1;
	}
	return 0;
}

/* 1 when s[0..n) is valid UTF-8; *bad gets the offset of the first
 * invalid byte otherwise. */
static int utf8_valid(const char *s, size_t n, size_t *bad)
{
	size_t i = 0;
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(n - i), &cp);
		if (k < 1) {
			*bad = i;
			return 0;
		}
		i += (size_t)k;
	}
	return 1;
}

/* Append to msg the text from "{{" at text[at] up to its next "}}" (or at
 * most 40 bytes, cut at a character boundary; text is valid UTF-8). */
static void quote_bad(const char *text, size_t len, size_t at, buf *msg)
{
	const char *close = memmem(text + at + 2, len - at - 2, "}}", 2);
	size_t end = close ? (size_t)(close - text) + 2 : len;
	if (end - at > 40) {
		end = at + 40;
		while (end > at && ((unsigned char)text[end] & 0xC0) == 0x80)
			end--;
		(void)buf_append(msg, text + at, end - at);
		(void)buf_puts(msg, "...");
		return;
	}
	(void)buf_append(msg, text + at, end - at);
}

/* Check every "{{" of text (len bytes, valid UTF-8). */
static ct_err check_placeholders(const char *text, size_t len, buf *msg)
{
	size_t from = 0;
	const char *hit;
	while (from + 1 < len && (hit = memmem(text + from, len - from, "{{", 2))) {
		size_t at = (size_t)(hit - text);
		placeholder p;
		enum parse_result r = parse_at(text, len, at, &p);
		if (r == PARSE_BAD && !memmem(text + at + 2, len - at - 2, "}}", 2)) {
			(void)buf_printf(msg, "\"{{\" without \"}}\" at byte %zu", at);
			return CT_ERR_INVALID;
		}
		if (r == PARSE_BAD) {
			(void)buf_puts(msg, "invalid variable ");
			quote_bad(text, len, at, msg);
			return CT_ERR_INVALID;
		}
		if (!known_n(p.name, p.name_len)) {
			(void)buf_printf(msg, "unknown variable {{%.*s}}", (int)p.name_len, p.name);
			return CT_ERR_INVALID;
		}
		from = p.end;
	}
	return CT_OK;
}

ct_err template_check_text(const char *text, buf *msg)
{
	if (!text || !text[0]) {
		(void)buf_puts(msg, "the text is empty");
		return CT_ERR_INVALID;
	}
	size_t len = strlen(text);
	if (len > TEMPLATE_TEXT_MAX) {
		(void)buf_printf(msg, "the text is longer than %d bytes", TEMPLATE_TEXT_MAX);
		return CT_ERR_INVALID;
	}
	size_t bad = 0;
	if (!utf8_valid(text, len, &bad)) {
		(void)buf_printf(msg, "invalid UTF-8 at byte %zu", bad);
		return CT_ERR_INVALID;
	}
	return check_placeholders(text, len, msg);
}

/* 1 when the JSON array list holds the string name[0..len). */
static int list_has(json_t *list, const char *name, size_t len)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		if (json_is_string(v) && json_string_length(v) == len &&
		    memcmp(json_string_value(v), name, len) == 0)
			return 1;
	}
	return 0;
}

/* Append the value of the variable p to out: 1, or 0 when values has
 * none (absent, null, "" or not a string or integer). */
static int put_value(const placeholder *p, json_t *values, buf *out)
{
	char name[VAR_NAME_MAX + 1];
	if (p->name_len > VAR_NAME_MAX || !json_is_object(values))
		return 0;
	memcpy(name, p->name, p->name_len);
	name[p->name_len] = '\0';
	json_t *v = json_object_get(values, name);
	if (json_is_string(v) && json_string_length(v) > 0) {
		(void)buf_append(out, json_string_value(v), json_string_length(v));
		return 1;
	}
	if (json_is_integer(v)) {
		(void)buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 1;
	}
	return 0;
}

void template_render(const char *text, json_t *values, buf *out, json_t *missing)
{
	if (!text)
		return;
	size_t len = strlen(text);
	size_t from = 0;
	placeholder p;
	while (next_var(text, len, from, &p)) {
		(void)buf_append(out, text + from, p.start - from);
		if (!put_value(&p, values, out)) {
			(void)buf_printf(out, "{{%.*s}}", (int)p.name_len, p.name);
			if (json_is_array(missing) && !list_has(missing, p.name, p.name_len))
				json_array_append_new(missing, json_stringn(p.name, p.name_len));
		}
		from = p.end;
	}
	(void)buf_append(out, text + from, len - from);
}

/* 1 for the white space that matches ignores at either end. */
static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A new copy of s with CR LF turned into LF and white space removed at
 * the start (when trim_start) and the end (when trim_end); *len gets its
 * length. The caller frees it. */
static char *normalise(const char *s, int trim_start, int trim_end, size_t *len)
{
	size_t n = strlen(s);
	while (trim_end && n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	while (trim_start && n > 0 && is_space((unsigned char)*s)) {
		s++;
		n--;
	}
	char *out = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
			out[k++] = s[i];
	out[k] = '\0';
	*len = k;
	return out;
}

/* Whether t (tn bytes) begins and ends with a variable. */
static void var_edges(const char *t, size_t tn, int *starts, int *ends)
{
	placeholder p;
	size_t from = 0, last_end = 0;
	*starts = *ends = 0;
	while (next_var(t, tn, from, &p)) {
		if (p.start == 0)
			*starts = 1;
		from = last_end = p.end;
	}
	*ends = last_end == tn && tn > 0;
}

/*
 * The glob match of matches: t (tn bytes) with its variables as wildcards
 * against r (rn bytes). The first literal must be a prefix of r, the last a
 * suffix, the two must not overlap, and the literals in between must occur
 * in order in what lies between; the leftmost occurrence of each is as good
 * as any, so one greedy pass decides.
 */
static int glob_match(const char *t, size_t tn, const char *r, size_t rn)
{
	placeholder p;
	if (!next_var(t, tn, 0, &p))
		return tn == rn && memcmp(t, r, tn) == 0;
	size_t head = p.start; /* t[0..head) must be a prefix */
	size_t from = p.end;   /* after the loop: where the last literal starts */
	size_t lo = head;      /* where the next middle literal may start in r */
	placeholder q;
	if (head > rn || memcmp(t, r, head) != 0)
		return 0;
	while (next_var(t, tn, from, &q)) { /* a middle literal, t[from..q.start) */
		size_t mlen = q.start - from;
		if (mlen > 0) {
			const char *hit = lo <= rn ? memmem(r + lo, rn - lo, t + from, mlen) : NULL;
			if (!hit)
				return 0;
			lo = (size_t)(hit - r) + mlen;
		}
		from = q.end;
	}
	size_t tlen = tn - from;
	if (tlen > rn || lo > rn - tlen)
		return 0;
	return memcmp(t + from, r + rn - tlen, tlen) == 0;
}

/*
 * White space at the ends of the reply is ignored by trimming it where the
 * template has a literal at that end; where the template has a variable,
 * the variable takes it in (that also admits a variable left empty before
 * white space that trimming would have cut off).
 */
int template_matches(const char *text, const char *reply)
{
	if (!text || !reply)
		return 0;
	size_t tn, rn;
	int starts, ends;
	char *t = normalise(text, 1, 1, &tn);
	var_edges(t, tn, &starts, &ends);
	char *r = normalise(reply, !starts, !ends, &rn);
	int ok = glob_match(t, tn, r, rn);
	free(t);
	free(r);
	return ok;
}

int template_find_placeholder(const char *text, buf *name)
{
	placeholder p;
	if (!text || !next_var(text, strlen(text), 0, &p))
		return 0;
	(void)buf_append(name, p.name, p.name_len);
	return 1;
}

/* The code points of the valid UTF-8 s[0..n) after NFC. */
static size_t nfc_length(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &nfc,
					  UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	const char *p = k >= 0 ? (const char *)nfc : s;
	size_t m = k >= 0 ? (size_t)k : n;
	size_t count = 0;
	for (size_t i = 0; i < m; i++)
		if (((unsigned char)p[i] & 0xC0) != 0x80)
			count++;
	free(nfc);
	return count;
}

size_t template_text_length(const char *text)
{
	if (!text)
		return 0;
	size_t len = strlen(text), run = 0, count = 0, i = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (k < 1) { /* an invalid byte: the valid run before it, then 1 */
			count += nfc_length(text + run, i - run) + 1;
			run = ++i;
			continue;
		}
		i += (size_t)k;
	}
	return count + nfc_length(text + run, len - run);
}

/* The channel kinds of the settings page (src/web/settings_channels.c),
 * plus "sms" and "any", with their length limits; 0: none. */
static const struct {
	const char *kind;
	size_t limit;
} channel_limits[] = {
	{"x", 280},         {"sms", 160},       {"mastodon", 500},  {"instagram", 1000},
	{"telegram", 4096}, {"whatsapp", 4096}, {"facebook", 8000}, {"email", 0},
	{"web", 0},         {"api", 0},         {"any", 0},
};

size_t template_channel_limit(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(channel_limits) / sizeof(channel_limits[0]); i++)
		if (strcmp(channel_limits[i].kind, kind) == 0)
			return channel_limits[i].limit;
	return 0;
}

int template_channel_known(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(channel_limits) / sizeof(channel_limits[0]); i++)
		if (strcmp(channel_limits[i].kind, kind) == 0)
			return 1;
	return 0;
}

/*
 * html_text.c: character references and tag ends (see html_text.h).
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "channels/html_text.h"

#define ENTITY_MAX 12 /* bytes from '&' to ';' of the longest reference read */

/* A code point as UTF-8 into out (4 bytes); its length. */
static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static const struct {
	const char *name;
	uint32_t cp;
} entities[] = {
	{"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
	{"apos", '\''},     {"nbsp", ' '},     {"auml", 0xE4},    {"ouml", 0xF6},
	{"uuml", 0xFC},     {"Auml", 0xC4},    {"Ouml", 0xD6},    {"Uuml", 0xDC},
	{"szlig", 0xDF},    {"euro", 0x20AC},  {"copy", 0xA9},    {"reg", 0xAE},
	{"hellip", 0x2026}, {"ndash", 0x2013}, {"mdash", 0x2014}, {"laquo", 0xAB},
	{"raquo", 0xBB},    {"bdquo", 0x201E}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
	{"lsquo", 0x2018},  {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"eacute", 0xE9},
	{"egrave", 0xE8},   {"agrave", 0xE0},  {"shy", 0xAD},     {"middot", 0xB7},
};

/* The code point of the numeric reference s[0..n) ("#39", "#x27"), 0 when
 * it is not one; past U+10FFFF becomes 0x110000 (encoded as U+FFFD). */
static uint32_t numeric_reference(const char *s, size_t n)
{
	int hex = n > 1 && (s[1] == 'x' || s[1] == 'X');
	size_t i = hex ? 2 : 1;
	uint32_t cp = 0;
	if (i >= n)
		return 0;
	for (; i < n; i++) {
		int c = (unsigned char)s[i];
		int d = isdigit(c) ? c - '0' : hex && isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
		if (d < 0)
			return 0;
		cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		if (cp > 0x10FFFF)
			cp = 0x110000;
	}
	return cp ? cp : 0x110000; /* "&#0;" names no character */
}

size_t html_entity_decode(const char *s, const char *end, char out[4], size_t *out_len)
{
	size_t room = (size_t)(end - s) < ENTITY_MAX ? (size_t)(end - s) : ENTITY_MAX;
	const char *semi = memchr(s, ';', room);
	if (!semi || semi == s)
		return 0;
	size_t n = (size_t)(semi - s);
	uint32_t cp = 0;
	if (s[0] == '#') {
		cp = numeric_reference(s, n);
	} else {
		for (size_t k = 0; k < sizeof(entities) / sizeof(entities[0]) && !cp; k++)
			if (strlen(entities[k].name) == n && !memcmp(entities[k].name, s, n))
				cp = entities[k].cp;
	}
	if (!cp)
		return 0;
	*out_len = utf8_encode(cp, out);
	return n + 1;
}

const char *html_tag_end(const char *s, const char *end)
{
	char quote = 0;
	for (s++; s < end; s++) {
		if (quote) {
			if (*s == quote)
				quote = 0;
		} else if (*s == '"' || *s == '\'') {
			quote = *s;
		} else if (*s == '>') {
			return s + 1;
		}
	}
	return end;
}

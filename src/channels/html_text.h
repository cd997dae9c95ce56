/*
 * html_text.h: the two pieces of HTML reading that every channel turning
 * HTML into text needs (the e-mail channel's full renderer in email_text.c,
 * the social networks' small one in mastodon_parse.c): decoding a character
 * reference and finding the end of a tag. Byte scanning over UTF-8 within
 * explicit bounds; no allocation.
 */
#ifndef CT_HTML_TEXT_H
#define CT_HTML_TEXT_H

#include <stddef.h>

/* Decode the character reference at s (just after its '&', up to end):
 * a named one of the common Western European set ("amp", "auml", "euro",
 * ...) or a numeric one ("#39", "#x27"), which becomes U+FFFD when it names
 * no character of its own (NUL, a surrogate, past U+10FFFF). The UTF-8 bytes
 * go to out (at most 4), their count to *out_len. Returns the bytes of s
 * consumed (the ';' included), 0 when s holds no reference (the '&' is then
 * text). */
size_t html_entity_decode(const char *s, const char *end, char out[4], size_t *out_len);

/* The end of the tag that starts at s ('<'): just after its '>', honouring
 * quoted attribute values; end when it is unterminated. */
const char *html_tag_end(const char *s, const char *end);

#endif

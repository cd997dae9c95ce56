/*
 * headers.h: the request headers the program parses itself (internal to
 * http/; each has a fuzz target in fuzz/). Cookies and query strings are
 * parsed by libmicrohttpd.
 */
#ifndef CT_HTTP_HEADERS_H
#define CT_HTTP_HEADERS_H

#include <stddef.h>

/* The last address in an X-Forwarded-For list into out; out is left as it
 * was when the list holds no plausible address. */
void forwarded_last_hop(const char *xff, char *out, size_t size);

/* Does an Origin header ("https://host:port") name this server: the Host
 * header's host:port, or the origin of public_url? */
int origin_matches(const char *origin, const char *host, const char *public_url);

/* The Bearer token of an Authorization header, or NULL (points into value). */
const char *bearer_token(const char *authorization);

#endif

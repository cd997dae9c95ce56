/*
 * headers.c: parsing X-Forwarded-For, Origin and Authorization (see
 * headers.h). Each parser reads a (possibly hostile) string of any length
 * and never writes past its output.
 */
#include "http/headers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void forwarded_last_hop(const char *xff, char *out, size_t size)
{
	const char *comma = strrchr(xff, ',');
	const char *start = comma ? comma + 1 : xff;
	while (*start == ' ' || *start == '\t')
		start++;
	size_t len = strcspn(start, " \t");
	if (len == 0 || len >= size || len > 45) /* 45: the longest IPv6 text */
		return;
	for (size_t i = 0; i < len; i++) {
		char c = start[i];
		int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			 (c >= 'A' && c <= 'F') || c == '.' || c == ':';
		if (!ok)
			return;
	}
	memcpy(out, start, len);
	out[len] = '\0';
}

/* "scheme://authority" of a URL: the length of the origin prefix, 0 if none. */
static size_t origin_length(const char *url)
{
	const char *sep = strstr(url, "://");
	if (!sep || sep == url)
		return 0;
	const char *end = sep + 3 + strcspn(sep + 3, "/?#");
	return (size_t)(end - url);
}

int origin_matches(const char *origin, const char *host, const char *public_url)
{
	size_t olen = origin_length(origin);
	if (!olen || origin[olen] != '\0')
		return 0;
	size_t plen = public_url ? origin_length(public_url) : 0;
	if (plen == olen && strncasecmp(origin, public_url, plen) == 0)
		return 1;
	const char *authority = strstr(origin, "://") + 3;
	return host && *host && strcasecmp(authority, host) == 0;
}

const char *bearer_token(const char *authorization)
{
	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	const char *token = authorization + 7;
	while (*token == ' ')
		token++;
	return *token ? token : NULL;
}

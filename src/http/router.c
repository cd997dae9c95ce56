/*
 * router.c: matching a path against the one route table (routes.c).
 *
 * Patterns are literal segments and {name} placeholders, which capture one
 * non-empty segment. The table is small, so a linear walk is fast enough and
 * keeps the order of the table the order of matching.
 */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does path match pattern? Captures placeholders into req->params. */
static int match_pattern(http_request *req, const char *pattern, const char *path)
{
	int n = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			size_t len = strcspn(s, "/");
			if (!close || len == 0 || len >= sizeof(req->params[0]) ||
			    n == HTTP_MAX_PARAMS)
				return 0;
			memcpy(req->params[n], s, len);
			req->params[n][len] = '\0';
			n++;
			p = close + 1;
			s += len;
			continue;
		}
		if (*p != *s)
			return 0;
		p++, s++;
	}
	if (*p || *s)
		return 0;
	req->n_params = n;
	return 1;
}

int router_match(http_request *req, const char *method, const char *path)
{
	int path_found = 0;
	req->allow[0] = '\0';
	for (size_t i = 0; i < http_routes_count; i++) {
		const http_route *r = &http_routes[i];
		if (!match_pattern(req, r->pattern, path))
			continue;
		if (strcmp(r->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			req->route = r;
			return 200;
		}
		size_t used = strlen(req->allow);
		snprintf(req->allow + used, sizeof(req->allow) - used, "%s%s", used ? ", " : "",
			 r->method);
		path_found = 1;
	}
	return path_found ? 405 : 404;
}

/*
 * test_router.c: unit tests for route matching (src/http/router.c) against
 * the real route table (src/http/routes.c): 200 with the right route and
 * captured parameters, 404 for unknown paths (trailing slash, empty or
 * overlong segments), 405 with an Allow list, HEAD served by GET routes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

static int match(http_request *req, const char *method, const char *path)
{
	memset(req, 0, sizeof(*req));
	return router_match(req, method, path);
}

static void assert_route(const http_request *req, const char *method, const char *pattern)
{
	assert_non_null(req->route);
	assert_string_equal(req->route->method, method);
	assert_string_equal(req->route->pattern, pattern);
	assert_non_null(req->route->handler);
}

/* Does the comma-separated Allow value list this method? */
static int allows(const char *allow, const char *method)
{
	if (!allow)
		return 0;
	size_t n = strlen(method);
	for (const char *p = allow; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ", ");
		if (len == n && strncmp(p, method, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

static void test_static_routes(void **state)
{
	(void)state;
	http_request req;
	assert_int_equal(match(&req, "GET", "/api/v1/health"), 200);
	assert_route(&req, "GET", "/api/v1/health");
	assert_int_equal(req.n_params, 0);
	assert_int_equal(match(&req, "POST", "/api/v1/messages"), 200);
	assert_route(&req, "POST", "/api/v1/messages");
	assert_int_equal(match(&req, "GET", "/api/v1/conversations"), 200);
	assert_route(&req, "GET", "/api/v1/conversations");
	assert_int_equal(match(&req, "GET", "/api/v1/search"), 200);
	assert_route(&req, "GET", "/api/v1/search");
}

static void test_params_captured(void **state)
{
	(void)state;
	http_request req;
	assert_int_equal(match(&req, "GET", "/api/v1/conversations/42"), 200);
	assert_route(&req, "GET", "/api/v1/conversations/{id}");
	assert_int_equal(req.n_params, 1);
	assert_string_equal(req.params[0], "42");
	assert_string_equal(http_param(&req, 0), "42");
	assert_null(http_param(&req, 1));
	assert_true(http_param_id(&req, 0) == 42);

	assert_int_equal(match(&req, "PATCH", "/api/v1/conversations/7"), 200);
	assert_route(&req, "PATCH", "/api/v1/conversations/{id}");
	assert_string_equal(req.params[0], "7");

	assert_int_equal(match(&req, "POST", "/api/v1/conversations/123/messages"), 200);
	assert_route(&req, "POST", "/api/v1/conversations/{id}/messages");
	assert_int_equal(req.n_params, 1);
	assert_string_equal(req.params[0], "123");

	assert_int_equal(match(&req, "POST", "/api/v1/conversations/9/notes"), 200);
	assert_route(&req, "POST", "/api/v1/conversations/{id}/notes");
	assert_string_equal(req.params[0], "9");

	/* the router captures any segment; handlers decide whether it is an id */
	assert_int_equal(match(&req, "GET", "/api/v1/conversations/abc"), 200);
	assert_string_equal(req.params[0], "abc");
	assert_true(http_param_id(&req, 0) == 0);
	assert_int_equal(match(&req, "GET", "/api/v1/conversations/99999999999999999999999"), 200);
	assert_true(http_param_id(&req, 0) == 0); /* overflow is not an id */
}

static void test_param_length_limit(void **state)
{
	(void)state;
	http_request req;
	char path[256], seg[128];
	/* 63 bytes fit params[0] (64 with the NUL) */
	memset(seg, '1', 63);
	seg[63] = '\0';
	snprintf(path, sizeof(path), "/api/v1/conversations/%s", seg);
	assert_int_equal(match(&req, "GET", path), 200);
	assert_string_equal(req.params[0], seg);
	memset(seg, '1', 64);
	seg[64] = '\0';
	snprintf(path, sizeof(path), "/api/v1/conversations/%s", seg);
	assert_int_equal(match(&req, "GET", path), 404);
	assert_null(req.route);
}

static void test_not_found(void **state)
{
	(void)state;
	static const char *const paths[] = {
		"",
		"//", /* "/" itself is the web UI's start page */
		"/inbox/",
		"/static/",
		"/api",
		"/api/v1",
		"/api/v1/",
		"/api/v1/nope",
		"/api/v1/health/",        /* trailing slash is a different path */
		"/api/v1/conversations/", /* an empty segment does not fill {id} */
		"/api/v1/conversations//messages",
		"/api/v1/conversations/1/",
		"/api/v1/conversations/1/messages/",
		"/api/v1/conversations/1/extra",
		"/api/v1/conversations/1/2",
		"/API/V1/HEALTH",
		"api/v1/health",
		"//api/v1/health",
		"/api/v1/healthz",
		"/api/v1/healt",
	};
	http_request req;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int status = match(&req, "GET", paths[i]);
		if (status != 404)
			fail_msg("GET '%s' gave %d, expected 404", paths[i], status);
		assert_null(req.route);
		assert_string_equal(req.allow, "");
	}
}

static void test_method_not_allowed(void **state)
{
	(void)state;
	http_request req;
	assert_int_equal(match(&req, "POST", "/api/v1/health"), 405);
	assert_null(req.route);
	assert_true(allows(req.allow, "GET"));
	assert_int_equal(match(&req, "DELETE", "/api/v1/messages"), 405);
	assert_true(allows(req.allow, "POST"));
	assert_int_equal(match(&req, "PUT", "/api/v1/conversations/5/notes"), 405);
	assert_true(allows(req.allow, "POST"));
	/* an unknown method on a known path */
	assert_int_equal(match(&req, "BREW", "/api/v1/search"), 405);
	assert_true(allows(req.allow, "GET"));
}

/* RFC 9110 15.5.6: a 405 lists every method the resource supports. */
static void test_405_allow_lists_every_method(void **state)
{
	(void)state;
	http_request req;
	assert_int_equal(match(&req, "DELETE", "/api/v1/conversations/5"), 405);
	assert_true(allows(req.allow, "GET"));
	assert_true(allows(req.allow, "PATCH"));
	assert_int_equal(match(&req, "PUT", "/api/v1/channels"), 405);
	assert_true(allows(req.allow, "GET"));
	assert_true(allows(req.allow, "POST"));
}

static void test_head_uses_get(void **state)
{
	(void)state;
	http_request req;
	assert_int_equal(match(&req, "HEAD", "/api/v1/health"), 200);
	assert_route(&req, "GET", "/api/v1/health");
	assert_int_equal(match(&req, "HEAD", "/api/v1/conversations/3"), 200);
	assert_route(&req, "GET", "/api/v1/conversations/{id}");
	assert_string_equal(req.params[0], "3");
	/* HEAD does not reach a POST-only route */
	assert_int_equal(match(&req, "HEAD", "/api/v1/messages"), 405);
}

static void test_method_case_sensitive(void **state)
{
	(void)state;
	http_request req;
	assert_int_equal(match(&req, "get", "/api/v1/health"),
			 405); /* methods are case-sensitive */
}

/* Every route in the table is reachable, by its own method, as itself. */
static void test_every_route_reachable(void **state)
{
	(void)state;
	assert_true(http_routes_count > 0);
	for (size_t i = 0; i < http_routes_count; i++) {
		const http_route *r = &http_routes[i];
		char path[512];
		size_t o = 0;
		int placeholders = 0;
		for (const char *p = r->pattern; *p && o < sizeof(path) - 8;) {
			if (*p == '{') {
				const char *close = strchr(p, '}');
				assert_non_null(close);
				o += (size_t)snprintf(path + o, sizeof(path) - o, "%d",
						      11 + placeholders);
				placeholders++;
				p = close + 1;
			} else {
				path[o++] = *p++;
			}
		}
		path[o] = '\0';
		http_request req;
		int status = match(&req, r->method, path);
		if (status != 200 || req.route != r)
			fail_msg("%s %s (route %zu) gave %d / route %p", r->method, path, i, status,
				 (const void *)req.route);
		assert_int_equal(req.n_params, placeholders);
		for (int k = 0; k < placeholders; k++)
			assert_true(http_param_id(&req, k) == 11 + k);
		assert_true(placeholders <= HTTP_MAX_PARAMS);
	}
}

/* No two entries share method and pattern (the second could never match). */
static void test_no_duplicate_routes(void **state)
{
	(void)state;
	for (size_t i = 0; i < http_routes_count; i++)
		for (size_t j = i + 1; j < http_routes_count; j++)
			if (strcmp(http_routes[i].method, http_routes[j].method) == 0 &&
			    strcmp(http_routes[i].pattern, http_routes[j].pattern) == 0)
				fail_msg("duplicate route %s %s", http_routes[i].method,
					 http_routes[i].pattern);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_routes),
		cmocka_unit_test(test_params_captured),
		cmocka_unit_test(test_param_length_limit),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_405_allow_lists_every_method),
		cmocka_unit_test(test_head_uses_get),
		cmocka_unit_test(test_method_case_sensitive),
		cmocka_unit_test(test_every_route_reachable),
		cmocka_unit_test(test_no_duplicate_routes),
	};
	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}

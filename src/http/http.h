/*
 * http.h: requests, responses and handlers as the rest of the program sees them.
 *
 * A handler gets a parsed request (method, path parameters, query, headers,
 * the whole body, the authenticated principal) and fills a response. It never
 * touches libmicrohttpd: server.c translates. Errors are answered with
 * http_error, which writes the project's JSON error body
 * {"error": {"code": "...", "message": "...", "field": "...", "index": N}}.
 */
#ifndef CT_HTTP_H
#define CT_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "core/err.h"

/* Roles as bits, so a route can list the roles it allows. */
enum {
	ROLE_ADMIN = 1 << 0,
	ROLE_SUPERVISOR = 1 << 1,
	ROLE_AGENT = 1 << 2,
	ROLE_VIEWER = 1 << 3,
};
#define ROLES_ANY (ROLE_ADMIN | ROLE_SUPERVISOR | ROLE_AGENT | ROLE_VIEWER)
#define ROLES_WRITE (ROLE_ADMIN | ROLE_SUPERVISOR | ROLE_AGENT)
#define ROLES_MANAGE (ROLE_ADMIN | ROLE_SUPERVISOR)

/* Parse "admin", "supervisor", "agent", "viewer" to a role bit; 0 if unknown. */
int http_role_parse(const char *name);
const char *http_role_name(int role);

/* Who made the request. */
typedef struct principal {
	int role;                  /* one ROLE_ bit; 0 = nobody */
	int64_t user_id;           /* 0 for an API token */
	int64_t token_id;          /* 0 for a session */
	int64_t channel_id;        /* a token's channel scope; 0 = every channel */
	int64_t session_id;        /* 0 unless signed in with a session cookie */
	int second_factor_pending; /* password ok, TOTP code still to come */
	int totp_setup_required;   /* an admin who must first set up TOTP */
	char csrf[48];             /* the session's CSRF token */
	char session_token[64];    /* the cookie value (to end this session) */
	char name[300];            /* "user:anna@example.org" or "token:crm" */
	char locale[16];
} principal;

typedef struct http_request http_request;

/* A streaming body: called repeatedly to fill out (max bytes). It blocks
 * until it has something, then returns the bytes written (> 0), or -1 to end
 * the stream. Each connection has its own thread, so blocking is fine. */
typedef long (*http_stream_fn)(void *ctx, char *out, size_t max);

typedef struct http_response {
	int status;
	const char *content_type; /* static string */
	char *body;               /* owned */
	size_t body_len;
	char *headers[8][2]; /* extra headers (name, value), owned */
	int n_headers;
	http_stream_fn stream; /* when set, body is ignored */
	void *stream_ctx;
	void (*stream_free)(void *ctx);
} http_response;

/* Path parameter i ({id} segments in order) as text; NULL if absent. */
const char *http_param(const http_request *req, int i);

/* Path parameter i as a positive integer id; 0 when it is not one. */
int64_t http_param_id(const http_request *req, int i);

/* Text (a path segment, a query or form value) as a positive id: digits
 * only; 0 when NULL, empty, anything else, or too large. */
int64_t http_parse_id(const char *s);

/* A query-string argument, or NULL. */
const char *http_query(const http_request *req, const char *name);

/* The request's method ("GET", "POST", ...). Owned by the request. */
const char *http_method(const http_request *req);

/* A request header, or NULL. */
const char *http_header(const http_request *req, const char *name);

/* The request body (may be empty, never NULL) and its length. */
const char *http_body(const http_request *req, size_t *len);

const principal *http_principal(const http_request *req);
app *http_app(const http_request *req);

/* Answer with a JSON value; takes over the caller's reference to value. */
void http_json(http_response *res, int status, json_t *value);

/* Answer with JSON text already serialised (takes over body, from malloc). */
void http_raw_json(http_response *res, int status, char *body, size_t len);

/* Answer with an HTML page (takes over body, from malloc). Only the page
 * printer (web/html.c) calls this: pages are built there, escaped. */
void http_html(http_response *res, int status, char *body, size_t len);

/* Answer 200 with a copy of a static file's bytes (never text/html: that
 * aborts, pages go through the page printer). type is a static string. */
void http_static_bytes(http_response *res, const char *type, const void *data, size_t len);

/* Set the session cookie to token (NULL: clear it): HttpOnly, SameSite=Lax,
 * Secure over HTTPS, living auth.session_absolute_s. */
void http_set_session_cookie(http_request *req, http_response *res, const char *token);

/* Answer "303 See Other" to location (a path on this site). */
void http_redirect(http_response *res, const char *location);

/*
 * A field of a form the request posted (application/x-www-form-urlencoded
 * or multipart/form-data), or NULL. With several fields of that name,
 * http_form_nth gives the n-th (from 0). Owned by the request.
 */
const char *http_form(const http_request *req, const char *name);
const char *http_form_nth(const http_request *req, const char *name, int n);

/* Answer with the JSON error body. field may be NULL; index < 0 omits it. */
void http_error(http_response *res, ct_err err, const char *message, const char *field, int index);

/* Answer with the JSON error body for a validation result. */
void http_error_detail(http_response *res, ct_err err, const err_detail *d);

/* A query argument as a whole number in [min, max]; def when absent.
 * CT_ERR_INVALID (and the error answered) when present but not such a number. */
ct_err http_query_int(const http_request *req, http_response *res, const char *name, int64_t def,
		      int64_t min, int64_t max, int64_t *out);

/*
 * Parse the body as a JSON object or array into *out (caller owns it).
 * On failure answers 400 with the position of the syntax error and returns
 * CT_ERR_INVALID.
 */
ct_err http_body_json(const http_request *req, http_response *res, json_t **out);

typedef void (*http_handler)(http_request *req, http_response *res);

/* Route flags. */
enum {
	/* Reachable while the second factor is pending or must be set up. */
	ROUTE_PARTIAL_AUTH = 1 << 0,
	/* Public and limited per address (http.public_per_minute). */
	ROUTE_RATE_LIMITED = 1 << 1,
	/* The body cap is ingest.max_body from the configuration. */
	ROUTE_INGEST_BODY = 1 << 2,
	/* An HTML page: without a session it redirects to /login (or to the
	 * second-factor page); refusals are answered in HTML; a posted form
	 * may carry the CSRF token in its field "csrf". */
	ROUTE_PAGE = 1 << 3,
	/* Public and called from other sites (the website widget): the handler
	 * checks the Origin against its own list, so the same-origin check of
	 * state-changing requests does not apply. */
	ROUTE_CROSS_ORIGIN = 1 << 4,
};

/* One entry of the route table (routes.c). */
typedef struct http_route {
	const char *method;
	const char *pattern; /* "/api/v1/conversations/{id}/messages" */
	http_handler handler;
	int roles;       /* roles allowed; 0 = no authentication needed */
	size_t max_body; /* bytes; 0 = HTTP_DEFAULT_MAX_BODY */
	int flags;       /* ROUTE_ flags */
} http_route;

/* The client's address as text ("127.0.0.1"); with http.trust_proxy the
 * address the proxy reports. Owned by the request. */
const char *http_client_ip(const http_request *req);

/* Is the request over HTTPS (directly or as the trusted proxy says)? */
int http_is_https(const http_request *req);

/* Add a response header (name and value copied). At most 8 per response. */
void http_add_header(http_response *res, const char *name, const char *value);

#define HTTP_DEFAULT_MAX_BODY (256 * 1024)

extern const http_route http_routes[];
extern const size_t http_routes_count;

/* How a page route's refusal (403, 404, 429, ...) is answered: an HTML page
 * from web/ (wired in routes.c, which knows the layers above http/). */
extern void (*const http_page_refusal)(http_request *req, http_response *res, int status,
				       const char *why);

#endif

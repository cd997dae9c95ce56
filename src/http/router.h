/*
 * router.h: the request struct and route matching (internal to http/).
 */
#ifndef CT_HTTP_ROUTER_H
#define CT_HTTP_ROUTER_H

#include <stdint.h>

#include "core/buf.h"
#include "http/http.h"

#define HTTP_MAX_PARAMS 4

struct MHD_Connection;

struct http_request {
	struct MHD_Connection *conn;
	app *app;
	const char *method; /* MHD's, valid for the request */
	char path[512];     /* for the log line (truncated) */
	const http_route *route;
	char params[HTTP_MAX_PARAMS][64];
	int n_params;
	char allow[48]; /* Allow header for a 405: the path's methods */
	buf body;
	int body_too_large;
	principal who;
	int status;
	int64_t started_ms;
	char client_ip[64];
	struct watchdog *dog;    /* the server's request deadlines */
	struct watched *watch;   /* this connection's entry */
	char nonce[32];          /* for the Content Security Policy of pages */
	struct form_field *form; /* a posted form's fields (page.c), owned */
	int n_form;
};

/* Parse a posted form body into req->form (page routes; see page.c). */
void http_form_parse(http_request *req);

/* Free what http_form_parse allocated. */
void http_form_free(http_request *req);

/*
 * Find the route for method and path; fill req->route and req->params.
 * Returns 200 when found, 404 when no route has this path, 405 when routes
 * have the path but not the method (req->allow then lists the methods).
 */
int router_match(http_request *req, const char *method, const char *path);

#endif

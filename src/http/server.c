/*
 * server.c: libmicrohttpd glue (see server.h).
 *
 * MHD runs one thread per connection, so handlers and event streams may
 * block (on the store's group commit, on the event hub) without stalling
 * other clients. For each request: the route is matched on the first call
 * (404/405 and oversized Content-Length are answered before any body is
 * read), the body is collected up to the route's cap, then the principal is
 * authenticated, the role checked and the handler called. Every request ends
 * with one log line.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/crypto.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "http/auth.h"
#include "http/headers.h"
#include "http/http.h"
#include "http/ratelimit.h"
#include "http/router.h"
#include "http/watchdog.h"

struct http_server {
	struct MHD_Daemon *daemon;
	app *app;
	watchdog *dog;
};

/* The peer's address, or with http.trust_proxy the last address the proxy
 * appended to X-Forwarded-For (earlier entries come from the client and
 * prove nothing). */
static void client_ip(http_request *req)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;
	snprintf(req->client_ip, sizeof(req->client_ip), "unknown");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  req->client_ip, sizeof(req->client_ip));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  req->client_ip, sizeof(req->client_ip));
	const char *xff = req->app->cfg.trust_proxy ? http_header(req, "X-Forwarded-For") : NULL;
	if (xff)
		forwarded_last_hop(xff, req->client_ip, sizeof(req->client_ip));
}

/* Is the state-changing request from our own pages? Browsers send Origin on
 * every cross-site POST; a request with an Origin of another site is refused.
 * Requests without Origin (curl, integrations) pass here; session requests
 * still need their CSRF token. */
static int same_origin(http_request *req)
{
	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ||
	    (req->route->flags & ROUTE_CROSS_ORIGIN))
		return 1;
	const char *origin = http_header(req, "Origin");
	if (!origin)
		return 1;
	const char *host = req->app->cfg.trust_proxy ? http_header(req, "X-Forwarded-Host") : NULL;
	if (!host)
		host = http_header(req, "Host");
	return origin_matches(origin, host, req->app->cfg.public_url);
}

/* A request signed in with a session cookie that changes state must carry
 * the session's CSRF token in X-CSRF-Token. API tokens are exempt: they are
 * never sent by a browser on its own. */
static int csrf_ok(http_request *req)
{
	if (!req->who.session_id || strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0)
		return 1;
	const char *sent = http_header(req, "X-CSRF-Token");
	if (!sent && (req->route->flags & ROUTE_PAGE))
		sent = http_form(req, "csrf"); /* a form posted without JavaScript */
	size_t len = strlen(req->who.csrf);
	return sent && len && strlen(sent) == len && sodium_memcmp(sent, req->who.csrf, len) == 0;
}

static void request_free(http_request *req)
{
	http_form_free(req);
	buf_free(&req->body);
	free(req);
}

/* Headers every answer carries: no sniffing, no framing, no referrer to
 * other sites (same-origin: with no-referrer at all, browsers send "Origin:
 * null" on form posts and the same-origin check could not pass), no
 * caching of private data, a Content Security Policy whose nonce pages use
 * for their scripts, HSTS when configured. */
static void add_common_headers(struct MHD_Response *r, const http_request *req, int cacheable)
{
	char csp[512];
	snprintf(csp, sizeof(csp),
		 "default-src 'none'; script-src 'self' 'nonce-%s'; style-src 'self';"
		 " img-src 'self' data:; connect-src 'self'; form-action 'self';"
		 " base-uri 'none'; frame-ancestors 'none'",
		 req->nonce);
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	if (!cacheable)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	if (req->app->cfg.hsts)
		MHD_add_response_header(r, "Strict-Transport-Security",
					"max-age=31536000; includeSubDomains");
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	http_response *res = cls;
	long n = res->stream(res->stream_ctx, out, max);
	return n > 0 ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls)
{
	http_response *res = cls;
	if (res->stream_free)
		res->stream_free(res->stream_ctx);
	free(res);
}

/* Hand a filled response to MHD; frees what the response owns. */
static enum MHD_Result send_response(struct MHD_Connection *conn, http_request *req,
				     http_response *res)
{
	struct MHD_Response *r;
	req->status = res->status;
	if (res->stream) {
		http_response *kept = xmalloc(sizeof(*kept));
		*kept = *res;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_reader, kept,
						      stream_free);
	} else {
		r = MHD_create_response_from_buffer(res->body_len, res->body ? res->body : "",
						    res->body ? MHD_RESPMEM_MUST_FREE
							      : MHD_RESPMEM_PERSISTENT);
		res->body = NULL;
	}
	if (!r)
		return MHD_NO;
	int cacheable = 0;
	for (int i = 0; i < res->n_headers; i++)
		cacheable |= strcasecmp(res->headers[i][0], "Cache-Control") == 0;
	add_common_headers(r, req, cacheable);
	if (res->content_type)
		MHD_add_response_header(r, "Content-Type", res->content_type);
	if (req->allow[0])
		MHD_add_response_header(r, "Allow", req->allow);
	for (int i = 0; i < res->n_headers; i++) {
		MHD_add_response_header(r, res->headers[i][0], res->headers[i][1]);
		free(res->headers[i][0]);
		free(res->headers[i][1]);
	}
	enum MHD_Result rc = MHD_queue_response(conn, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, http_request *req, ct_err err,
				  const char *message)
{
	http_response res = {0};
	http_error(&res, err, message, NULL, -1);
	return send_response(conn, req, &res);
}

/* First call for a request: match the route, check the announced size. */
static enum MHD_Result begin_request(http_server *srv, struct MHD_Connection *conn, const char *url,
				     const char *method, void **con_cls)
{
	app *a = srv->app;
	http_request *req = xcalloc(1, sizeof(*req));
	req->conn = conn;
	req->app = a;
	req->dog = srv->dog;
	const union MHD_ConnectionInfo *sc =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	req->watch = sc ? sc->socket_context : NULL;
	req->method = method;
	req->started_ms = time_mono_ms();
	snprintf(req->path, sizeof(req->path), "%s", url);
	client_ip(req);
	crypto_random_b64(req->nonce, sizeof(req->nonce), 18);
	*con_cls = req;
	int status = router_match(req, method, url);
	if (status == 404)
		return send_error(conn, req, CT_ERR_NOT_FOUND, "no such route");
	if (status == 405) {
		http_response res = {0};
		http_error(&res, CT_ERR_INVALID, "method not allowed", NULL, -1);
		res.status = 405;
		return send_response(conn, req, &res);
	}
	size_t max = req->route->max_body ? req->route->max_body : HTTP_DEFAULT_MAX_BODY;
	if (req->route->flags & ROUTE_INGEST_BODY)
		max = (size_t)a->cfg.ingest_max_body;
	buf_init(&req->body, max);
	const char *length =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length && strtoull(length, NULL, 10) > max) {
		req->body_too_large = 1;
		return send_error(conn, req, CT_ERR_TOO_LARGE, "request body too large");
	}
	return MHD_YES;
}

/* Append s percent-encoded; letters, digits and the bytes in keep stay. */
static void percent_encode(buf *to, const char *s, const char *keep)
{
	for (const char *p = s ? s : ""; *p; p++)
		buf_printf(to, isalnum((unsigned char)*p) || strchr(keep, *p) ? "%c" : "%%%02X",
			   (unsigned char)*p);
}

/* Append one query argument of the refused page to its URL (cls, a buf). */
static enum MHD_Result page_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	buf *page = cls;
	buf_puts(page, strchr(buf_cstr(page), '?') ? "&" : "?");
	percent_encode(page, key, "-_.");
	buf_puts(page, "=");
	percent_encode(page, value, "-_.");
	return MHD_YES;
}

/* A page refused: someone not signed in goes to the login page (and comes
 * back to this page after it), someone half signed in to the second factor;
 * any other refusal is an HTML page saying why. */
static void refuse_page(http_request *req, http_response *res, ct_err err, const char *why)
{
	if (err == CT_ERR_UNAUTHORIZED) {
		buf to, page;
		buf_init(&to, 4096);
		buf_init(&page, 2048);
		buf_puts(&to, "/login");
		if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/") != 0) {
			buf_puts(&page, req->path);
			MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, page_arg,
						  &page);
			buf_puts(&to, "?next=");
			percent_encode(&to, buf_cstr(&page), "/-_.");
		}
		http_redirect(res, buf_cstr(&to));
		buf_free(&page);
		buf_free(&to);
	} else if (req->who.second_factor_pending || req->who.totp_setup_required) {
		http_redirect(res, "/login/second-factor");
	} else {
		http_page_refusal(req, res, err == CT_ERR_RATE_LIMITED ? 429 : 403, why);
	}
}

/* Who is calling, and may they call this route? CT_OK or an answered error. */
static ct_err authorise(struct MHD_Connection *conn, http_request *req, enum MHD_Result *rc)
{
	const http_route *route = req->route;
	ct_err err = CT_OK;
	const char *why = NULL;
	if ((route->flags & ROUTE_RATE_LIMITED) &&
	    !ratelimit_allow(req->app, req->client_ip, time_mono_ms()))
		err = CT_ERR_RATE_LIMITED,
		why = "too many requests from your address; wait a minute";
	else if (!same_origin(req))
		err = CT_ERR_FORBIDDEN, why = "cross-origin request refused";
	if (!err && route->roles) {
		err = auth_authenticate(req, &req->who);
		if (err)
			why = err == CT_ERR_UNAUTHORIZED ? "missing or invalid credentials"
							 : "authentication failed";
		else if (!(req->who.role & route->roles))
			err = CT_ERR_FORBIDDEN, why = "your role may not do this";
		else if ((req->who.second_factor_pending || req->who.totp_setup_required) &&
			 !(route->flags & ROUTE_PARTIAL_AUTH))
			err = CT_ERR_FORBIDDEN, why = req->who.second_factor_pending
							      ? "the second factor is still missing"
							      : "set up a second factor first";
		else if (!csrf_ok(req))
			err = CT_ERR_FORBIDDEN, why = "missing or wrong X-CSRF-Token";
	}
	if (err) {
		http_response res = {0};
		if (route->flags & ROUTE_PAGE)
			refuse_page(req, &res, err, why);
		else
			http_error(&res, err, why, NULL, -1);
		if (err == CT_ERR_RATE_LIMITED)
			http_add_header(&res, "Retry-After", "60");
		*rc = send_response(conn, req, &res);
	}
	return err;
}

/* The body is complete: authenticate, authorise, run the handler. */
static enum MHD_Result finish_request(struct MHD_Connection *conn, http_request *req)
{
	watchdog_busy(req->dog, req->watch); /* the request is in: no deadline now */
	if (req->body_too_large)
		return send_error(conn, req, CT_ERR_TOO_LARGE, "request body too large");
	enum MHD_Result rc;
	if (req->route->flags & ROUTE_PAGE)
		http_form_parse(req);
	if (authorise(conn, req, &rc) != CT_OK)
		return rc;
	http_response res = {0};
	req->route->handler(req, &res);
	if (!res.status)
		http_error(&res, CT_ERR_INTERNAL, "the handler gave no answer", NULL, -1);
	return send_response(conn, req, &res);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	(void)version;
	http_request *req = *con_cls;
	if (!req)
		return begin_request(cls, conn, url, method, con_cls);
	if (req->status) /* answered early; discard any body */
		return MHD_YES;
	if (*upload_size) {
		if (!req->body_too_large &&
		    buf_append(&req->body, upload_data, *upload_size) != CT_OK)
			req->body_too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	return finish_request(conn, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	http_server *srv = cls;
	http_request *req = *con_cls;
	if (!req)
		return;
	watchdog_idle(srv->dog, req->watch); /* the next request's time starts */
	log_info("http.request", LOG_S("method", req->method), LOG_S("path", req->path),
		 LOG_I("status", req->status), LOG_I("ms", time_mono_ms() - req->started_ms),
		 LOG_S("who", req->who.name[0] ? req->who.name : "-"),
		 LOG_S("end", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok" : "aborted"));
	request_free(req);
	*con_cls = NULL;
}

/* Connections opened and closed: the watchdog follows them. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	http_server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = info ? watchdog_add(srv->dog, info->connect_fd) : NULL;
	} else {
		watchdog_remove(srv->dog, *socket_context);
		*socket_context = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	buf line;
	buf_init(&line, 4096);
	buf_vprintf(&line, fmt, ap);
	while (line.len && (line.data[line.len - 1] == '\n'))
		line.data[--line.len] = '\0';
	log_warn("http.server", LOG_S("detail", buf_cstr(&line)));
	buf_free(&line);
}

/* Split "host:port" / "[v6]:port" and resolve it numerically. */
static ct_err parse_listen(const char *listen, struct sockaddr_storage *addr, buf *msg)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen) {
		buf_printf(msg, "listen address '%s' is not host:port", listen);
		return CT_ERR_INVALID;
	}
	const char *h = listen;
	size_t hlen = (size_t)(colon - listen);
	if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']')
		h++, hlen -= 2;
	if (hlen >= sizeof(host)) {
		buf_printf(msg, "listen address '%s' is too long", listen);
		return CT_ERR_INVALID;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res) {
		buf_printf(msg, "listen address '%s' is not a numeric host:port", listen);
		return CT_ERR_INVALID;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return CT_OK;
}

ct_err http_server_start(app *a, const char *listen, http_server **out, int *port, buf *msg)
{
	struct sockaddr_storage addr = {0};
	ct_err err = parse_listen(listen, &addr, msg);
	if (err)
		return err;
	http_server *srv = xcalloc(1, sizeof(*srv));
	srv->app = a;
	srv->dog = watchdog_start(a->cfg.request_timeout_s * 1000);
	if (!srv->dog) {
		free(srv);
		buf_puts(msg, "cannot start the request watchdog");
		return CT_ERR_INTERNAL;
	}
	unsigned flags =
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)a->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)a->cfg.per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)a->cfg.connection_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
		srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_END);
	if (!srv->daemon) {
		buf_printf(msg, "cannot listen on %s (in use, or not an address of this machine)",
			   listen);
		watchdog_stop(srv->dog);
		free(srv);
		return CT_ERR_IO;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : 0;
	*out = srv;
	return CT_OK;
}

void http_server_stop(http_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->daemon);
	watchdog_stop(srv->dog);
	free(srv);
}

/*
 * fetch.h: one HTTP request to a platform, for every adapter.
 *
 * A thin layer over libcurl that each adapter uses the same way: a request
 * with an optional JSON or form body and bearer token, the answer's status
 * and body, and the platform's wish to be left alone for a while, read from
 * the headers the services send (Retry-After in seconds or as a date,
 * x-rate-limit-reset and X-RateLimit-Reset as epoch seconds or RFC 3339 when
 * the matching remaining count is 0). channel_fetch_judge then sorts the
 * answer: 2xx is success; 408, 425, 429, 5xx and network errors are worth a
 * retry (after the wait the platform named); any other 4xx is permanent.
 */
#ifndef CT_CHANNEL_FETCH_H
#define CT_CHANNEL_FETCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "channels/channel.h"
#include "core/buf.h"

/* A request; all borrowed. */
typedef struct channel_request {
	const char *method;       /* "GET" (default when NULL), "POST", "PUT", "DELETE" */
	const char *url;          /* http:// or https:// only */
	const char *body;         /* NULL: none */
	size_t body_len;          /* 0 with a body: strlen(body) */
	const char *content_type; /* of body (default application/json) */
	const char *bearer;       /* Authorization: Bearer <bearer>, or NULL */
	const char *basic_user;   /* with basic_password: HTTP Basic, or NULL */
	const char *basic_password;
	const char *const *headers; /* more "Name: value" lines, NULL-terminated, or NULL */
	int timeout_s;
} channel_request;

/* An answer. Free with channel_response_free. */
typedef struct channel_response {
	long status;            /* 0 when the server was not reached */
	char transport[128];    /* libcurl's reason when it was not reached */
	buf body;               /* capped at 8 MiB */
	int64_t retry_after_ms; /* how long the platform asked us to wait (0: nothing said) */
} channel_response;

/* Send req and fill res (always, even on error; free it either way).
 * CT_OK when an HTTP answer of any status came back. */
ct_err channel_fetch(const channel_request *req, channel_response *res);

/* Sort res into out (see above): CT_OK for 2xx, CT_ERR_IO otherwise, with
 * out->error naming service and status, out->permanent and
 * out->retry_after_ms set. A 4xx body's platform message is not copied into
 * the error (it may echo tokens). */
ct_err channel_fetch_judge(const channel_response *res, const char *service, channel_outcome *out);

/* res's body parsed as JSON (new reference), or NULL. */
json_t *channel_response_json(const channel_response *res);

void channel_response_free(channel_response *res);

/* JSON-encode value (stolen) and send it as the body of req; then judge the
 * answer like channel_fetch_judge and hand back its JSON (new reference, may
 * be NULL) in *answer when answer is not NULL. The usual call of adapters. */
ct_err channel_fetch_json(channel_request *req, json_t *value, const char *service, json_t **answer,
			  channel_outcome *out);

/* s percent-encoded for a URL path segment or query value, into out. */
ct_err channel_url_escape(const char *s, buf *out);

#endif

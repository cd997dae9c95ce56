/*
 * request.c: what handlers call to read a request and write an answer
 * (see http.h).
 */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "http/http.h"
#include "http/router.h"

static const char *const role_names[] = {"admin", "supervisor", "agent", "viewer"};

int http_role_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (name && strcmp(name, role_names[i]) == 0)
			return 1 << i;
	return 0;
}

const char *http_role_name(int role)
{
	for (int i = 0; i < 4; i++)
		if (role == 1 << i)
			return role_names[i];
	return "none";
}

const char *http_param(const http_request *req, int i)
{
	return i >= 0 && i < req->n_params ? req->params[i] : NULL;
}

int64_t http_param_id(const http_request *req, int i)
{
	return http_parse_id(http_param(req, i));
}

int64_t http_parse_id(const char *s)
{
	if (!s || !*s)
		return 0;
	int64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	return v;
}

const char *http_query(const http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_body(const http_request *req, size_t *len)
{
	*len = req->body.len;
	return buf_cstr(&req->body);
}

const principal *http_principal(const http_request *req)
{
	return &req->who;
}

app *http_app(const http_request *req)
{
	return req->app;
}

void http_json(http_response *res, int status, json_t *value)
{
	res->status = status;
	res->content_type = "application/json; charset=utf-8";
	res->body = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!res->body)
		abort();
	res->body_len = strlen(res->body);
	json_decref(value);
}

void http_raw_json(http_response *res, int status, char *body, size_t len)
{
	res->status = status;
	res->content_type = "application/json; charset=utf-8";
	res->body = body;
	res->body_len = len;
}

const char *http_method(const http_request *req)
{
	return req->method;
}

void http_error(http_response *res, ct_err err, const char *message, const char *field, int index)
{
	json_t *e = json_pack("{s:s, s:s}", "code", err_code_name(err), "message", message);
	if (field)
		json_object_set_new(e, "field", json_string(field));
	if (index >= 0)
		json_object_set_new(e, "index", json_integer(index));
	http_json(res, err_http_status(err), json_pack("{s:o}", "error", e));
}

ct_err http_body_json(const http_request *req, http_response *res, json_t **out)
{
	json_error_t jerr;
	*out = json_loadb(buf_cstr(&req->body), req->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (*out && (json_is_object(*out) || json_is_array(*out)))
		return CT_OK;
	char message[256];
	if (*out)
		snprintf(message, sizeof(message), "the body must be a JSON object or array");
	else
		snprintf(message, sizeof(message), "invalid JSON at line %d, column %d: %s",
			 jerr.line, jerr.column, jerr.text);
	json_decref(*out);
	*out = NULL;
	http_error(res, CT_ERR_INVALID, message, NULL, -1);
	res->status = 400;
	return CT_ERR_INVALID;
}

void http_error_detail(http_response *res, ct_err err, const err_detail *d)
{
	const char *message = d->message[0] ? d->message : err_code_name(err);
	http_error(res, err, message, d->field[0] ? d->field : NULL, d->index);
}

ct_err http_query_int(const http_request *req, http_response *res, const char *name, int64_t def,
		      int64_t min, int64_t max, int64_t *out)
{
	const char *s = http_query(req, name);
	*out = def;
	if (!s)
		return CT_OK;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		char message[160];
		snprintf(message, sizeof(message), "%s must be a whole number from %lld to %lld",
			 name, (long long)min, (long long)max);
		http_error(res, CT_ERR_INVALID, message, name, -1);
		return CT_ERR_INVALID;
	}
	*out = v;
	return CT_OK;
}

const char *http_client_ip(const http_request *req)
{
	return req->client_ip;
}

int http_is_https(const http_request *req)
{
	const char *proto =
		req->app->cfg.trust_proxy ? http_header(req, "X-Forwarded-Proto") : NULL;
	if (proto)
		return strcmp(proto, "https") == 0;
	return strncmp(req->app->cfg.public_url, "https://", 8) == 0;
}

void http_add_header(http_response *res, const char *name, const char *value)
{
	if (res->n_headers == 8)
		abort(); /* a handler bug: eight are plenty */
	res->headers[res->n_headers][0] = xstrdup(name);
	res->headers[res->n_headers][1] = xstrdup(value);
	res->n_headers++;
}

/* Set or clear the session cookie (see http.h); the header is copied. */
void http_set_session_cookie(http_request *req, http_response *res, const char *token)
{
	char cookie[256];
	snprintf(cookie, sizeof(cookie), "%s=%s; HttpOnly; SameSite=Lax; Path=/; Max-Age=%lld%s",
		 SESSION_COOKIE, token ? token : "",
		 token ? (long long)http_app(req)->cfg.session_absolute_s : 0LL,
		 http_is_https(req) ? "; Secure" : "");
	http_add_header(res, "Set-Cookie", cookie);
}

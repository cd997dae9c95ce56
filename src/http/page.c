/*
 * page.c: what HTML pages need from the HTTP layer: posted forms, redirects
 * and the HTML answer itself (see http.h).
 *
 * Forms are parsed with libmicrohttpd's post processor, fed the body that
 * the server has already collected (within the route's body cap). At most
 * FORM_MAX_FIELDS fields are kept; a field's value is capped by the body.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/router.h"

#define FORM_MAX_FIELDS 256

typedef struct form_field {
	char *name;
	buf value;
} form_field;

/* The post processor's callback: one chunk of one field's value. */
static enum MHD_Result on_form_chunk(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *filename, const char *content_type,
				     const char *transfer_encoding, const char *data, uint64_t off,
				     size_t size)
{
	(void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
	http_request *req = cls;
	form_field *last = req->n_form ? &req->form[req->n_form - 1] : NULL;
	if (off == 0 || !last || strcmp(last->name, key) != 0) {
		if (req->n_form >= FORM_MAX_FIELDS)
			return MHD_NO;
		req->form = xrealloc(req->form, sizeof(form_field) * (size_t)(req->n_form + 1));
		last = &req->form[req->n_form++];
		last->name = xstrdup(key);
		buf_init(&last->value, req->body.max ? req->body.max : HTTP_DEFAULT_MAX_BODY);
	}
	return buf_append(&last->value, data, size) == CT_OK ? MHD_YES : MHD_NO;
}

void http_form_parse(http_request *req)
{
	if (!req->body.len)
		return;
	struct MHD_PostProcessor *pp =
		MHD_create_post_processor(req->conn, 16 * 1024, on_form_chunk, req);
	if (!pp)
		return; /* not a form */
	MHD_post_process(pp, req->body.data, req->body.len);
	MHD_destroy_post_processor(pp);
}

void http_form_free(http_request *req)
{
	for (int i = 0; i < req->n_form; i++) {
		free(req->form[i].name);
		buf_free(&req->form[i].value);
	}
	free(req->form);
	req->form = NULL;
	req->n_form = 0;
}

const char *http_form_nth(const http_request *req, const char *name, int n)
{
	for (int i = 0; i < req->n_form; i++)
		if (strcmp(req->form[i].name, name) == 0 && n-- == 0)
			return buf_cstr(&req->form[i].value);
	return NULL;
}

const char *http_form(const http_request *req, const char *name)
{
	return http_form_nth(req, name, 0);
}

void http_html(http_response *res, int status, char *body, size_t len)
{
	res->status = status;
	res->content_type = "text/html; charset=utf-8";
	res->body = body;
	res->body_len = len;
}

void http_redirect(http_response *res, const char *location)
{
	res->status = 303;
	res->content_type = "text/plain; charset=utf-8";
	http_add_header(res, "Location", location);
}

void http_static_bytes(http_response *res, const char *type, const void *data, size_t len)
{
	if (strncmp(type, "text/html", 9) == 0)
		abort(); /* pages go through the page printer */
	res->status = 200;
	res->content_type = type;
	res->body = xmalloc(len ? len : 1);
	memcpy(res->body, data, len);
	res->body_len = len;
}

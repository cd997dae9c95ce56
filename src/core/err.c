/*
 * err.c: names and HTTP statuses of the project's error codes.
 */
#include "core/err.h"

#include <stdio.h>

ct_err err_set(err_detail *d, ct_err code, const char *field, const char *message)
{
	snprintf(d->field, sizeof(d->field), "%s", field ? field : "");
	snprintf(d->message, sizeof(d->message), "%s", message);
	d->index = -1;
	return code;
}

const char *err_code_name(ct_err err)
{
	switch (err) {
	case CT_OK: return "ok";
	case CT_ERR_INVALID: return "invalid";
	case CT_ERR_NOT_FOUND: return "not_found";
	case CT_ERR_CONFLICT: return "conflict";
	case CT_ERR_TOO_LARGE: return "too_large";
	case CT_ERR_UNAUTHORIZED: return "unauthorized";
	case CT_ERR_FORBIDDEN: return "forbidden";
	case CT_ERR_STORE: return "store";
	case CT_ERR_IO: return "io";
	case CT_ERR_UNAVAILABLE: return "unavailable";
	case CT_ERR_RATE_LIMITED: return "rate_limited";
	case CT_ERR_INTERNAL: return "internal";
	}
	return "internal";
}

int err_http_status(ct_err err)
{
	switch (err) {
	case CT_OK: return 200;
	case CT_ERR_INVALID: return 422;
	case CT_ERR_NOT_FOUND: return 404;
	case CT_ERR_CONFLICT: return 409;
	case CT_ERR_TOO_LARGE: return 413;
	case CT_ERR_UNAUTHORIZED: return 401;
	case CT_ERR_FORBIDDEN: return 403;
	case CT_ERR_UNAVAILABLE: return 503;
	case CT_ERR_RATE_LIMITED: return 429;
	case CT_ERR_STORE:
	case CT_ERR_IO:
	case CT_ERR_INTERNAL: return 500;
	}
	return 500;
}

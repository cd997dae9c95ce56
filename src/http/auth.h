/*
 * auth.h: who is making a request (internal to http/).
 *
 * An API token in the Authorization header, or else the session cookie.
 */
#ifndef CT_HTTP_AUTH_H
#define CT_HTTP_AUTH_H

#include "http/router.h"

/* Fill *who from the request's credentials. CT_ERR_UNAUTHORIZED when there
 * are none or they are not valid; CT_ERR_STORE when the lookup failed. */
ct_err auth_authenticate(http_request *req, principal *who);

#endif

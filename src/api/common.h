/*
 * common.h: small helpers every API handler file shares.
 */
#ifndef CT_API_COMMON_H
#define CT_API_COMMON_H

#include "audit/audit.h"
#include "http/http.h"

/* The audit actor for the request's principal (borrows its strings). */
void api_actor(const http_request *req, actor *out);

/* The part of the inbox the principal may see (agents: their teams and
 * their own; channel-scoped tokens: their channel). */
typedef struct inbox_scope inbox_scope;
void api_scope(const http_request *req, inbox_scope *out);

/* Read the path's first id, or answer 404 ("no such <what>") and return 0. */
int64_t api_path_id(http_request *req, http_response *res, const char *what);

/* The request body as a JSON object into *out (the caller's reference).
 * optional: an empty body gives CT_OK with *out NULL. Otherwise answers
 * 400 (not JSON) or 422 (not an object) and returns CT_ERR_INVALID. */
ct_err api_body_object(http_request *req, http_response *res, int optional, json_t **out);

/* Answer a domain result: 404 for CT_ERR_NOT_FOUND, the detail otherwise. */
void api_fail(http_response *res, ct_err err, const err_detail *d, const char *what);

/* The signed-in user of a session request into *u; for an API token (which
 * has no user) answers 422 and returns CT_ERR_INVALID. */
typedef struct user_auth user_auth;
ct_err api_session_user(http_request *req, http_response *res, user_auth *u);

#endif

/*
 * auth.c: signing in and out and the second factor as JSON
 * (/api/v1/auth/...), a thin view over accounts/login.c, which the web pages
 * share.
 *
 * Login answers the same for an unknown address and a wrong password (401);
 * a locked account or address is answered 429 with Retry-After. The session
 * cookie is set at login and again after the second factor, with a new
 * session id each time.
 */
#include <stdio.h>

#include "accounts/accounts.h"
#include "api/api.h"
#include "api/common.h"

/* Answer 429 with Retry-After: too many failed logins. */
static void refuse_locked(http_response *res, int64_t retry_after_s)
{
	char secs[32];
	snprintf(secs, sizeof(secs), "%lld", (long long)retry_after_s);
	http_error(res, CT_ERR_RATE_LIMITED, "too many failed logins; try again later", NULL, -1);
	http_add_header(res, "Retry-After", secs);
}

/* The signed-in user as /auth/me shows them (a new JSON object). */
static json_t *me_json(const user_auth *u, const char *csrf, int second_factor_required,
		       int totp_setup_required)
{
	return json_pack("{s:{s:I, s:s, s:s, s:s, s:s, s:b}, s:s, s:b, s:b}", "user", "id",
			 (json_int_t)u->id, "name", u->name, "email", u->email, "role", u->role,
			 "locale", u->locale, "totp_enabled", u->totp_enabled, "csrf_token", csrf,
			 "second_factor_required", second_factor_required, "totp_setup_required",
			 totp_setup_required);
}

/* POST /api/v1/auth/login {"email", "password"} */
void api_auth_login(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	const char *email = json_string_value(json_object_get(body, "email"));
	const char *password = json_string_value(json_object_get(body, "password"));
	if (!email || !password) {
		http_error(res, CT_ERR_INVALID, "email and password are required",
			   email ? "password" : "email", -1);
		json_decref(body);
		return;
	}
	login_policy policy = login_policy_of(&a->cfg);
	login_outcome out;
	ct_err err = login_with_password(a->store, &policy, email, password, http_client_ip(req),
					 http_header(req, "User-Agent"), &out);
	json_decref(body);
	if (err) {
		http_error(res, err, "the login could not be recorded", NULL, -1);
	} else if (out.result == LOGIN_LOCKED) {
		refuse_locked(res, out.retry_after_s);
	} else if (out.result != LOGIN_OK) {
		http_error(res, CT_ERR_UNAUTHORIZED, "wrong e-mail or password", NULL, -1);
	} else {
		http_json(res, 200,
			  me_json(&out.user, out.csrf, out.second_factor_required,
				  out.totp_setup_required));
		http_set_session_cookie(req, res, out.session_token);
	}
}

/* POST /api/v1/auth/second-factor {"code": "123456"} or {"recovery_code": "..."} */
void api_auth_second_factor(http_request *req, http_response *res)
{
	user_auth u;
	json_t *body = NULL;
	if (api_session_user(req, res, &u) != CT_OK || http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	login_policy policy = login_policy_of(&a->cfg);
	login_outcome out;
	ct_err err = login_second_factor(a->store, &policy, &a->key, &u,
					 http_principal(req)->session_token,
					 json_string_value(json_object_get(body, "code")),
					 json_string_value(json_object_get(body, "recovery_code")),
					 http_client_ip(req), http_header(req, "User-Agent"), &out);
	json_decref(body);
	if (err == CT_ERR_INVALID)
		http_error(res, err, "code or recovery_code is required", "code", -1);
	else if (err)
		http_error(res, err, "the login could not be recorded", NULL, -1);
	else if (out.result == LOGIN_LOCKED)
		refuse_locked(res, out.retry_after_s);
	else if (out.result != LOGIN_OK)
		http_error(res, CT_ERR_UNAUTHORIZED, "wrong code", "code", -1);
	else {
		http_json(res, 200, me_json(&out.user, out.csrf, 0, 0));
		http_set_session_cookie(req, res, out.session_token);
	}
}

/* GET /api/v1/auth/me: who am I (a user with the CSRF token, or a token). */
void api_auth_me(http_request *req, http_response *res)
{
	const principal *p = http_principal(req);
	if (!p->session_id) {
		http_json(res, 200,
			  json_pack("{s:{s:I, s:s, s:s, s:o}}", "token", "id",
				    (json_int_t)p->token_id, "name", p->name, "role",
				    http_role_name(p->role), "channel_id",
				    p->channel_id ? json_integer(p->channel_id) : json_null()));
		return;
	}
	user_auth u;
	if (api_session_user(req, res, &u) == CT_OK)
		http_json(res, 200,
			  me_json(&u, p->csrf, p->second_factor_pending, p->totp_setup_required));
}

/* POST /api/v1/auth/logout[-all]: end this session, or every session of
 * the user (everywhere), and clear the cookie. */
static void logout(http_request *req, http_response *res, int everywhere)
{
	const principal *p = http_principal(req);
	if (!p->session_id) {
		http_error(res, CT_ERR_INVALID, "an API token has no session to end", NULL, -1);
		return;
	}
	actor who;
	api_actor(req, &who);
	store *s = http_app(req)->store;
	ct_err err = everywhere ? login_end_all_sessions(s, &who)
				: login_end_session(s, &who, p->session_token);
	if (err) {
		http_error(res, err, "the session could not be ended", NULL, -1);
		return;
	}
	http_json(res, 200, json_pack("{s:s}", "status", "signed out"));
	http_set_session_cookie(req, res, NULL);
}

/* POST /api/v1/auth/logout: end this session. */
void api_auth_logout(http_request *req, http_response *res)
{
	logout(req, res, 0);
}

/* POST /api/v1/auth/logout-all: end every session of the user. */
void api_auth_logout_all(http_request *req, http_response *res)
{
	logout(req, res, 1);
}

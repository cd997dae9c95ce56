/*
 * auth.c: signing in and out, the second factor, and passwords
 * (/api/v1/auth/...).
 *
 * Login answers the same for an unknown address and a wrong password and
 * takes the same time (a dummy hash is checked), so it does not reveal who
 * has an account. Failures count per account and per address; at the limit
 * both are locked for auth.lockout_s (429 with Retry-After). A new session
 * id is issued at login and again after the second factor.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "api/api.h"
#include "api/common.h"
#include "core/i18n.h"
#include "core/timeutil.h"
#include "jobs/jobs.h"

static char dummy_hash[128];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
	password_hash("not a password of anyone", dummy_hash);
}

static session_limits limits_of(const app *a)
{
	session_limits lim = {a->cfg.session_idle_s * 1000, a->cfg.session_absolute_s * 1000};
	return lim;
}

/* Per account: auth.max_failures. Per address: four times as many, so one
 * person's typos do not lock out a whole office behind one NAT address. */
static throttle_limits throttle_of(const app *a, int per_address)
{
	throttle_limits lim = {(int)a->cfg.login_max_failures * (per_address ? 4 : 1),
			       a->cfg.login_window_s * 1000, a->cfg.login_lockout_s * 1000};
	return lim;
}

/* Set (or with token NULL, clear) the session cookie. */
static void set_cookie(http_request *req, http_response *res, const char *token)
{
	char cookie[256];
	snprintf(cookie, sizeof(cookie), "%s=%s; HttpOnly; SameSite=Lax; Path=/; Max-Age=%lld%s",
		 SESSION_COOKIE, token ? token : "",
		 token ? (long long)http_app(req)->cfg.session_absolute_s : 0LL,
		 http_is_https(req) ? "; Secure" : "");
	http_add_header(res, "Set-Cookie", cookie);
}

static void throttle_keys(const char *email, const char *ip, char acct[300], char addr[80])
{
	snprintf(acct, 300, "acct:");
	size_t n = 5;
	for (const char *p = email ? email : ""; *p && n < 299; p++)
		acct[n++] = (char)tolower((unsigned char)*p);
	acct[n] = '\0';
	snprintf(addr, 80, "ip:%s", ip);
}

typedef struct login_write {
	app *a;
	const actor *who;
	const user_auth *user; /* NULL for an unknown address */
	const char *email;
	int ok;
	char acct[300], addr[80];
	char token[SESSION_TOKEN_SIZE], csrf[CSRF_TOKEN_SIZE];
	const char *ip, *user_agent;
} login_write;

static ct_err record_login(store_conn *c, void *arg)
{
	login_write *x = arg;
	throttle_limits lim = throttle_of(x->a, 0), lim_ip = throttle_of(x->a, 1);
	json_t *detail = json_pack("{s:s}", "email", x->email);
	ct_err err;
	if (!x->ok) {
		err = throttle_fail(c, x->acct, &lim);
		if (!err)
			err = throttle_fail(c, x->addr, &lim_ip);
		if (!err)
			err = audit_record_json(c, x->who, "login.failed", "user",
						x->user ? x->user->id : 0, NULL, detail);
	} else {
		session_limits sl = limits_of(x->a);
		err = throttle_clear(c, x->acct);
		if (!err)
			err = sessions_create(c, x->user->id, !x->user->totp_enabled, x->ip,
					      x->user_agent, &sl, x->token, x->csrf);
		if (!err)
			err = audit_record_json(c, x->who, "login", "user", x->user->id, NULL,
						detail);
	}
	json_decref(detail);
	return err;
}

/* 429 with Retry-After when the account or the address is locked. */
static int refuse_if_locked(app *a, http_response *res, const char *acct, const char *addr);

typedef struct failure_write {
	app *a;
	const actor *who;
	int64_t user_id;
	const char *action;
	char acct[300], addr[80];
} failure_write;

static ct_err record_failure(store_conn *c, void *arg)
{
	failure_write *x = arg;
	throttle_limits lim = throttle_of(x->a, 0), lim_ip = throttle_of(x->a, 1);
	ct_err err = throttle_fail(c, x->acct, &lim);
	if (!err)
		err = throttle_fail(c, x->addr, &lim_ip);
	if (!err)
		err = audit_record(c, x->who, x->action, "user", x->user_id, NULL, NULL);
	return err;
}

int api_auth_locked(http_request *req, http_response *res, const char *email)
{
	char acct[300], addr[80];
	throttle_keys(email, http_client_ip(req), acct, addr);
	return refuse_if_locked(http_app(req), res, acct, addr);
}

void api_auth_failed(http_request *req, const char *email, int64_t user_id, const char *action)
{
	actor who;
	api_actor(req, &who);
	failure_write x = {http_app(req), &who, user_id, action, "", ""};
	throttle_keys(email, http_client_ip(req), x.acct, x.addr);
	store_write(x.a->store, record_failure, &x);
}

static int refuse_if_locked(app *a, http_response *res, const char *acct, const char *addr)
{
	store_conn *c = store_reader_acquire(a->store);
	int64_t until = throttle_locked_until(c, acct), until_ip = throttle_locked_until(c, addr);
	store_reader_release(a->store, c);
	if (until_ip > until)
		until = until_ip;
	if (!until)
		return 0;
	char secs[32];
	snprintf(secs, sizeof(secs), "%lld", (long long)((until - time_now_ms()) / 1000 + 1));
	http_error(res, CT_ERR_RATE_LIMITED, "too many failed logins; try again later", NULL, -1);
	http_add_header(res, "Retry-After", secs);
	return 1;
}

static json_t *me_json(const user_auth *u, const char *csrf, int second_factor_required,
		       int totp_setup_required)
{
	return json_pack("{s:{s:I, s:s, s:s, s:s, s:s, s:b}, s:s, s:b, s:b}", "user", "id",
			 (json_int_t)u->id, "name", u->name, "email", u->email, "role", u->role,
			 "locale", u->locale, "totp_enabled", u->totp_enabled, "csrf_token", csrf,
			 "second_factor_required", second_factor_required, "totp_setup_required",
			 totp_setup_required);
}

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
	login_write x = {.a = a,
			 .email = email,
			 .ip = http_client_ip(req),
			 .user_agent = http_header(req, "User-Agent")};
	throttle_keys(email, x.ip, x.acct, x.addr);
	if (refuse_if_locked(a, res, x.acct, x.addr)) {
		json_decref(body);
		return;
	}
	user_auth u;
	store_conn *c = store_reader_acquire(a->store);
	int known = users_find_by_email(c, email, &u) == CT_OK;
	store_reader_release(a->store, c);
	pthread_once(&dummy_once, make_dummy_hash);
	int match = password_verify(known ? u.password_hash : dummy_hash, password);
	x.ok = known && u.active && match;
	x.user = known ? &u : NULL;
	char name[300];
	snprintf(name, sizeof(name), "user:%s", u.email);
	actor who = {"anonymous", 0, 0, x.ip};
	if (x.ok)
		who = (actor){name, u.id, 0, x.ip};
	x.who = &who;
	ct_err err = store_write(a->store, record_login, &x);
	json_decref(body);
	if (err) {
		http_error(res, err, "the login could not be recorded", NULL, -1);
	} else if (!x.ok) {
		http_error(res, CT_ERR_UNAUTHORIZED, "wrong e-mail or password", NULL, -1);
	} else {
		int totp_setup = a->cfg.require_totp_admins && strcmp(u.role, "admin") == 0 &&
				 !u.totp_enabled;
		http_json(res, 200, me_json(&u, x.csrf, u.totp_enabled, totp_setup));
		set_cookie(req, res, x.token);
	}
}

typedef struct second_factor_write {
	app *a;
	const actor *who;
	const user_auth *user;
	const char *old_token;
	const char *recovery_code; /* NULL: the TOTP code was already checked */
	int64_t totp_step;         /* input: the step of a right TOTP code, 0 if none */
	int ok;                    /* output */
	char acct[300], addr[80];
	char token[SESSION_TOKEN_SIZE], csrf[CSRF_TOKEN_SIZE];
	const char *ip, *user_agent;
} second_factor_write;

static ct_err record_second_factor(store_conn *c, void *arg)
{
	second_factor_write *x = arg;
	throttle_limits lim = throttle_of(x->a, 0), lim_ip = throttle_of(x->a, 1);
	x->ok = 0; /* a write may run twice: decide afresh */
	if (x->totp_step) {
		ct_err used = totp_use_step(c, x->user->id, x->totp_step);
		if (used != CT_OK && used != CT_ERR_CONFLICT)
			return used;
		x->ok = used == CT_OK; /* a code already used is refused */
	}
	if (x->recovery_code && !x->ok) {
		ct_err used = recovery_code_use(c, x->user->id, x->recovery_code);
		if (used != CT_OK && used != CT_ERR_NOT_FOUND)
			return used;
		x->ok = used == CT_OK;
	}
	if (!x->ok) {
		ct_err err = throttle_fail(c, x->acct, &lim);
		if (!err)
			err = throttle_fail(c, x->addr, &lim_ip);
		if (!err)
			err = audit_record(c, x->who, "login.second_factor_failed", "user",
					   x->user->id, NULL, NULL);
		return err;
	}
	session_limits sl = limits_of(x->a);
	ct_err err = sessions_end(c, x->old_token);
	if (!err)
		err = sessions_create(c, x->user->id, 1, x->ip, x->user_agent, &sl, x->token,
				      x->csrf);
	if (!err)
		err = throttle_clear(c, x->acct);
	if (!err)
		err = audit_record(c, x->who,
				   x->recovery_code ? "login.recovery_code" : "login.second_factor",
				   "user", x->user->id, NULL, NULL);
	return err;
}

/* POST /api/v1/auth/second-factor {"code": "123456"} or {"recovery_code": "..."} */
void api_auth_second_factor(http_request *req, http_response *res)
{
	user_auth u;
	json_t *body = NULL;
	if (api_session_user(req, res, &u) != CT_OK || http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	const principal *p = http_principal(req);
	actor who;
	api_actor(req, &who);
	second_factor_write x = {.a = a,
				 .who = &who,
				 .user = &u,
				 .old_token = p->session_token,
				 .ip = http_client_ip(req),
				 .user_agent = http_header(req, "User-Agent")};
	throttle_keys(u.email, x.ip, x.acct, x.addr);
	if (refuse_if_locked(a, res, x.acct, x.addr)) {
		json_decref(body);
		return;
	}
	const char *code = json_string_value(json_object_get(body, "code"));
	x.recovery_code = json_string_value(json_object_get(body, "recovery_code"));
	if (code && u.totp_enabled) {
		buf secret;
		buf_init(&secret, 256);
		if (seal_open(&a->key, u.totp_secret, &secret) == CT_OK)
			x.totp_step = totp_check(buf_cstr(&secret), code, time_now_ms());
		buf_free(&secret);
		x.recovery_code = NULL;
	}
	ct_err err = (code || x.recovery_code) ? store_write(a->store, record_second_factor, &x)
					       : CT_ERR_INVALID;
	json_decref(body);
	if (err == CT_ERR_INVALID)
		http_error(res, err, "code or recovery_code is required", "code", -1);
	else if (err)
		http_error(res, err, "the login could not be recorded", NULL, -1);
	else if (!x.ok)
		http_error(res, CT_ERR_UNAUTHORIZED, "wrong code", "code", -1);
	else {
		http_json(res, 200, me_json(&u, x.csrf, 0, 0));
		set_cookie(req, res, x.token);
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

typedef struct logout_write {
	const actor *who;
	const char *token;
	int64_t user_id; /* all of this user's sessions when set */
} logout_write;

static ct_err end_sessions(store_conn *c, void *arg)
{
	logout_write *x = arg;
	ct_err err = x->user_id ? sessions_end_all(c, x->user_id) : sessions_end(c, x->token);
	if (!err)
		err = audit_record(c, x->who, x->user_id ? "logout.everywhere" : "logout", "user",
				   x->who->user_id, NULL, NULL);
	return err;
}

static void logout(http_request *req, http_response *res, int everywhere)
{
	const principal *p = http_principal(req);
	if (!p->session_id) {
		http_error(res, CT_ERR_INVALID, "an API token has no session to end", NULL, -1);
		return;
	}
	actor who;
	api_actor(req, &who);
	logout_write x = {&who, p->session_token, everywhere ? p->user_id : 0};
	ct_err err = store_write(http_app(req)->store, end_sessions, &x);
	if (err) {
		http_error(res, err, "the session could not be ended", NULL, -1);
		return;
	}
	http_json(res, 200, json_pack("{s:s}", "status", "signed out"));
	set_cookie(req, res, NULL);
}

void api_auth_logout(http_request *req, http_response *res)
{
	logout(req, res, 0);
}

void api_auth_logout_all(http_request *req, http_response *res)
{
	logout(req, res, 1);
}

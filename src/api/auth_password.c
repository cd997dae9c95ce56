/*
 * auth_password.c: changing and resetting passwords, and setting up the
 * second factor (/api/v1/auth/password..., /api/v1/auth/totp/...).
 *
 * A reset request always answers 202, whether or not the address has an
 * account; when it has, a single-use link valid for 30 minutes goes out by
 * e-mail through the job queue, in the user's language. A new password ends
 * every session of the user. Changing one's own password and the second
 * factor follow the rules of accounts/profile.c, which the profile pages
 * share; these handlers only translate requests and answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "api/api.h"
#include "api/common.h"
#include "core/i18n.h"
#include "core/timeutil.h"
#include "jobs/jobs.h"

/* Answer 429 with Retry-After: the account or the address is locked after
 * too many wrong passwords. */
static void answer_locked(http_response *res, int64_t retry_after_s)
{
	char secs[32];
	snprintf(secs, sizeof(secs), "%lld", (long long)retry_after_s);
	http_error(res, CT_ERR_RATE_LIMITED, "too many failed logins; try again later", NULL, -1);
	http_add_header(res, "Retry-After", secs);
}

/* POST /api/v1/auth/password {"current_password", "new_password"} */
void api_auth_password(http_request *req, http_response *res)
{
	user_auth u;
	json_t *body = NULL;
	if (api_session_user(req, res, &u) != CT_OK || http_body_json(req, res, &body) != CT_OK)
		return;
	actor who;
	api_actor(req, &who);
	app *a = http_app(req);
	login_policy policy = login_policy_of(&a->cfg);
	err_detail d = {.index = -1};
	int64_t retry = 0;
	ct_err err = account_change_password(
		a->store, &policy, &who, &u,
		json_string_value(json_object_get(body, "current_password")),
		json_string_value(json_object_get(body, "new_password")), &retry, &d);
	json_decref(body);
	if (err == CT_ERR_RATE_LIMITED)
		answer_locked(res, retry);
	else if (err)
		api_fail(res, err, &d, "user");
	else
		http_json(
			res, 200,
			json_pack("{s:s}", "status", "password changed; every session has ended"));
}

typedef struct reset_request {
	app *a;
	const user_auth *user; /* NULL for an address without an account */
	const actor *who;
} reset_request;

static ct_err queue_reset_mail(store_conn *c, void *arg)
{
	reset_request *x = arg;
	if (!x->user) /* recorded all the same: the answer takes as long */
		return audit_record(c, x->who, "password_reset.requested", "user", 0, NULL, NULL);
	char token[RESET_TOKEN_SIZE];
	ct_err err = resets_create(c, x->user->id, token);
	if (err)
		return err;
	buf text, key;
	buf_init(&text, 8192);
	buf_init(&key, 256);
	i18n_use(x->user->locale);
	buf_printf(&text,
		   _("Hello %s,\n\nsomeone asked to reset your cluetrain password. If it was you, "
		     "open this link within 30 minutes:\n\n%s/reset-password?token=%s\n\n"
		     "If it was not you, ignore this mail: your password stays as it is.\n"),
		   x->user->name, x->a->cfg.public_url, token);
	const char *subject = _("Reset your cluetrain password");
	buf_printf(&key, "reset-mail-%lld-%lld", (long long)x->user->id, (long long)time_now_ms());
	err = jobs_enqueue_mail(c, &x->a->key, buf_cstr(&key), x->user->email, subject,
				buf_cstr(&text), (int)x->a->cfg.jobs_max_attempts);
	i18n_use(NULL);
	if (!err)
		err = audit_record(c, x->who, "password_reset.requested", "user", x->user->id, NULL,
				   NULL);
	buf_free(&text);
	buf_free(&key);
	return err;
}

/* POST /api/v1/auth/password-reset {"email"}: public, limited per address. */
void api_auth_reset_request(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	const char *email = json_string_value(json_object_get(body, "email"));
	user_auth u;
	store_conn *c = store_reader_acquire(a->store);
	int known = email && users_find_by_email(c, email, &u) == CT_OK && u.active;
	store_reader_release(a->store, c);
	actor who = {"anonymous", 0, 0, http_client_ip(req)};
	reset_request x = {a, known ? &u : NULL, &who};
	ct_err err = store_write(a->store, queue_reset_mail, &x);
	json_decref(body);
	if (err) {
		http_error(res, err, "the request could not be recorded", NULL, -1);
		return;
	}
	if (known)
		jobs_wake(a->jobs);
	http_json(res, 202,
		  json_pack("{s:s}", "status",
			    "if the address has an account, a reset link is on its way"));
}

typedef struct reset_confirm {
	const char *token;
	char hash[128];
	int64_t user_id;
	const char *ip;
} reset_confirm;

static const char SQL_SET_PASSWORD[] =
	"UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";

static ct_err apply_reset(store_conn *c, void *arg)
{
	reset_confirm *x = arg;
	ct_err err = resets_consume(c, x->token, &x->user_id);
	store_stmt *st = err ? NULL : store_prepare(c, SQL_SET_PASSWORD);
	if (err || !st)
		return err ? err : CT_ERR_STORE;
	store_bind_int(st, 1, x->user_id);
	store_bind_text(st, 2, x->hash);
	store_bind_int(st, 3, time_now_ms());
	err = store_run(st);
	if (!err)
		err = sessions_end_all(c, x->user_id);
	actor who = {"anonymous", 0, 0, x->ip};
	if (!err)
		err = audit_record(c, &who, "password_reset.completed", "user", x->user_id, NULL,
				   NULL);
	return err;
}

/* POST /api/v1/auth/password-reset/confirm {"token", "password"} */
void api_auth_reset_confirm(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	reset_confirm x = {.token = json_string_value(json_object_get(body, "token")),
			   .ip = http_client_ip(req)};
	const char *password = json_string_value(json_object_get(body, "password"));
	err_detail d = {.index = -1};
	ct_err err = password_check(password, NULL, NULL, &d);
	if (!err && !x.token)
		err = err_set(&d, CT_ERR_INVALID, "token", "token is required");
	if (!err && password_hash(password, x.hash) != CT_OK)
		err = CT_ERR_INTERNAL;
	if (!err)
		err = store_write(http_app(req)->store, apply_reset, &x);
	json_decref(body);
	if (err == CT_ERR_NOT_FOUND)
		http_error(res, CT_ERR_INVALID, "the link is unknown, used or expired", "token",
			   -1);
	else if (err)
		api_fail(res, err, &d, "reset");
	else
		http_json(res, 200,
			  json_pack("{s:s}", "status", "password changed; sign in again"));
}

/* POST /api/v1/auth/totp/setup: a new secret for the authenticator app. */
void api_auth_totp_setup(http_request *req, http_response *res)
{
	user_auth u;
	if (api_session_user(req, res, &u) != CT_OK)
		return;
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	char secret[40], uri[512];
	ct_err err = account_totp_setup(a->store, &who, &a->key, &u, secret, uri);
	if (err == CT_ERR_CONFLICT)
		http_error(res, err, "a second factor is set up already", NULL, -1);
	else if (err)
		http_error(res, err, "the secret could not be stored", NULL, -1);
	else
		http_json(res, 200, json_pack("{s:s, s:s}", "secret", secret, "otpauth_uri", uri));
}

/* POST /api/v1/auth/totp/enable {"code"}: confirm the app works; returns the
 * recovery codes, once. */
void api_auth_totp_enable(http_request *req, http_response *res)
{
	user_auth u;
	json_t *body = NULL;
	if (api_session_user(req, res, &u) != CT_OK || http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	char codes[10][16];
	ct_err err =
		account_totp_enable(a->store, &who, &a->key, &u,
				    json_string_value(json_object_get(body, "code")), codes, &d);
	json_decref(body);
	if (err == CT_ERR_INVALID) {
		http_error_detail(res, err, &d);
		return;
	}
	if (err) {
		http_error(res, err, "the second factor could not be enabled", NULL, -1);
		return;
	}
	json_t *list = json_array();
	for (int i = 0; i < 10; i++)
		json_array_append_new(list, json_string(codes[i]));
	http_json(res, 200, json_pack("{s:o}", "recovery_codes", list));
}

/* POST /api/v1/auth/totp/disable {"password"} */
void api_auth_totp_disable(http_request *req, http_response *res)
{
	user_auth u;
	json_t *body = NULL;
	if (api_session_user(req, res, &u) != CT_OK || http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	login_policy policy = login_policy_of(&a->cfg);
	err_detail d = {.index = -1};
	int64_t retry = 0;
	ct_err err = account_totp_disable(a->store, &policy, &who, &u,
					  json_string_value(json_object_get(body, "password")),
					  &retry, &d);
	json_decref(body);
	if (err == CT_ERR_RATE_LIMITED)
		answer_locked(res, retry);
	else if (err == CT_ERR_INVALID)
		http_error_detail(res, err, &d);
	else if (err)
		http_error(res, err, "the second factor could not be removed", NULL, -1);
	else
		http_json(res, 200, json_pack("{s:s}", "status", "second factor removed"));
}

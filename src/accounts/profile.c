/*
 * profile.c: what users do to their own account, one way for the JSON API
 * (/api/v1/auth/password, /api/v1/auth/totp/...) and the profile pages
 * alike (see accounts.h): change the password, set up the second factor
 * (a TOTP secret for an authenticator app, confirmed with a code, with ten
 * recovery codes) and remove it again.
 *
 * Confirming with a password counts like a login: a wrong password is a
 * failure against the account and the address, and while either is locked
 * nothing is checked. The secret is stored sealed with the installation's
 * key as soon as setup starts, and becomes the second factor only once a
 * code from the app proves the app has it. Every change is audited in the
 * same write.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/timeutil.h"

/*
 * Is password u's? While u's account or who's address is locked:
 * CT_ERR_RATE_LIMITED with *retry_after_s. A wrong (or missing) password
 * counts as a failed login, audited as action, and is CT_ERR_INVALID with d
 * naming field and saying message.
 */
static ct_err confirm_password(store *s, const login_policy *p, const actor *who,
			       const user_auth *u, const char *password, const char *field,
			       const char *action, const char *message, int64_t *retry_after_s,
			       err_detail *d)
{
	*retry_after_s = 0;
	if (login_locked(s, u->email, who->ip, retry_after_s))
		return err_set(d, CT_ERR_RATE_LIMITED, "",
			       "too many failed logins; try again later");
	if (password && password_verify(u->password_hash, password))
		return CT_OK;
	login_record_failure(s, p, who, u->email, u->id, action);
	return err_set(d, CT_ERR_INVALID, field, message);
}

ct_err account_change_password(store *s, const login_policy *p, const actor *who,
			       const user_auth *u, const char *current, const char *next,
			       int64_t *retry_after_s, err_detail *d)
{
	ct_err err = confirm_password(s, p, who, u, current, "current_password",
				      "password_change.failed", "the current password is wrong",
				      retry_after_s, d);
	if (err)
		return err;
	json_t *patch = json_pack("{s:s?}", "password", next);
	err = users_update(s, who, u->id, patch, d);
	json_decref(patch);
	if (err && strcmp(d->field, "password") == 0)
		snprintf(d->field, sizeof(d->field), "new_password");
	return err;
}

static const char SQL_SET_TOTP[] =
	"UPDATE users SET totp_secret = $2, totp_enabled = $3, updated_at = $4 WHERE id = $1";
static const char SQL_CLEAR_CODES[] = "DELETE FROM recovery_codes WHERE user_id = $1";

typedef struct totp_write {
	const actor *who;
	int64_t user_id;
	const char *sealed; /* NULL clears */
	int enabled;
	int64_t step;      /* the enabling code's step: it cannot sign in again */
	char (*codes)[16]; /* output when enabling: ten new recovery codes */
} totp_write;

/* store_write function: set (or clear) the secret and the flag; when
 * enabling, new recovery codes and the code's step used up; when clearing,
 * the recovery codes removed. Enabling and removing are audited. */
static ct_err set_totp(store_conn *c, void *arg)
{
	totp_write *x = arg;
	store_stmt *st = store_prepare(c, SQL_SET_TOTP);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->user_id);
	store_bind_text(st, 2, x->sealed);
	store_bind_int(st, 3, x->enabled);
	store_bind_int(st, 4, time_now_ms());
	ct_err err = store_run(st);
	if (!err && x->enabled)
		err = recovery_codes_create(c, x->user_id, x->codes);
	if (!err && x->step && totp_use_step(c, x->user_id, x->step) == CT_ERR_STORE)
		err = CT_ERR_STORE;
	if (!err && !x->enabled && !x->sealed && (st = store_prepare(c, SQL_CLEAR_CODES))) {
		store_bind_int(st, 1, x->user_id);
		err = store_run(st);
	}
	if (!err && (x->enabled || !x->sealed))
		err = audit_record(c, x->who,
				   x->enabled ? "user.totp_enabled" : "user.totp_disabled", "user",
				   x->user_id, NULL, NULL);
	return err;
}

void account_totp_uri(const user_auth *u, const char *secret, char uri[512])
{
	snprintf(uri, 512, "otpauth://totp/cluetrain:%s?secret=%s&issuer=cluetrain", u->email,
		 secret);
}

ct_err account_totp_setup(store *s, const actor *who, const seal_key *key, const user_auth *u,
			  char secret[40], char uri[512])
{
	if (u->totp_enabled)
		return CT_ERR_CONFLICT;
	totp_new_secret(secret);
	char *sealed = seal_text(key, secret, strlen(secret));
	totp_write x = {who, u->id, sealed, 0, 0, NULL};
	ct_err err = store_write(s, set_totp, &x);
	free(sealed);
	if (!err)
		account_totp_uri(u, secret, uri);
	return err;
}

ct_err account_totp_pending(const seal_key *key, const user_auth *u, char secret[40])
{
	secret[0] = '\0';
	if (u->totp_enabled || !u->totp_secret[0])
		return CT_ERR_NOT_FOUND;
	buf plain;
	buf_init(&plain, 256);
	ct_err err = seal_open(key, u->totp_secret, &plain);
	if (!err && plain.len >= 40)
		err = CT_ERR_INTERNAL;
	if (!err)
		snprintf(secret, 40, "%s", buf_cstr(&plain));
	if (plain.len)
		sodium_memzero(plain.data, plain.len);
	buf_free(&plain);
	return err;
}

ct_err account_totp_enable(store *s, const actor *who, const seal_key *key, const user_auth *u,
			   const char *code, char codes[10][16], err_detail *d)
{
	char secret[40];
	int64_t step = 0;
	if (account_totp_pending(key, u, secret) == CT_OK)
		step = totp_check(secret, code, time_now_ms());
	sodium_memzero(secret, sizeof(secret));
	if (!step)
		return err_set(d, CT_ERR_INVALID, "code", "wrong code, or no setup started");
	totp_write x = {who, u->id, u->totp_secret, 1, step, codes};
	return store_write(s, set_totp, &x);
}

ct_err account_totp_disable(store *s, const login_policy *p, const actor *who, const user_auth *u,
			    const char *password, int64_t *retry_after_s, err_detail *d)
{
	ct_err err = confirm_password(s, p, who, u, password, "password", "totp_disable.failed",
				      "the password is wrong", retry_after_s, d);
	if (err)
		return err;
	totp_write x = {who, u->id, NULL, 0, 0, NULL};
	return store_write(s, set_totp, &x);
}

/*
 * login.c: signing in and out, one way for the JSON API and the web pages
 * alike (see accounts.h). Callers only translate requests and answers.
 *
 * A password login answers the same for an unknown address, a disabled user
 * and a wrong password, and takes the same time (a dummy hash is checked),
 * so it does not reveal who has an account. Failures count per account and
 * per address; at the limit both are locked for the lockout time. A new
 * session is made at login and again after the second factor (a TOTP code,
 * each usable once, or a recovery code). Every attempt is audited in the
 * same write as its effect.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/timeutil.h"

static char dummy_hash[128];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

/* Hash a password nobody has (once), to check unknown addresses against. */
static void make_dummy_hash(void)
{
	password_hash("not a password of anyone", dummy_hash);
}

/* The login rules of cfg, returned by value (see accounts.h). */
login_policy login_policy_of(const config *cfg)
{
	login_policy p = {{cfg->session_idle_s * 1000, cfg->session_absolute_s * 1000},
			  (int)cfg->login_max_failures,
			  cfg->login_window_s * 1000,
			  cfg->login_lockout_s * 1000,
			  cfg->require_totp_admins != 0};
	return p;
}

/* The throttle limits of p. Per account: max_failures. Per address: four
 * times as many, so one person's typos do not lock out a whole office behind
 * one NAT address. */
static throttle_limits throttle_of(const login_policy *p, int per_address)
{
	throttle_limits lim = {p->max_failures * (per_address ? 4 : 1), p->window_ms,
			       p->lockout_ms};
	return lim;
}

/* The throttle keys of an e-mail address ("acct:" and the address in lower
 * case) and of a client address ("ip:..."), written to the caller's arrays. */
static void throttle_keys(const char *email, const char *ip, char acct[300], char addr[80])
{
	snprintf(acct, 300, "acct:");
	size_t n = 5;
	for (const char *q = email ? email : ""; *q && n < 299; q++)
		acct[n++] = (char)tolower((unsigned char)*q);
	acct[n] = '\0';
	snprintf(addr, 80, "ip:%s", ip);
}

/* 1 with *retry_after_s when the key acct or addr is locked, else 0. */
static int keys_locked(store *s, const char *acct, const char *addr, int64_t *retry_after_s)
{
	store_conn *c = store_reader_acquire(s);
	int64_t until = throttle_locked_until(c, acct), until_ip = throttle_locked_until(c, addr);
	store_reader_release(s, c);
	if (until_ip > until)
		until = until_ip;
	*retry_after_s = until ? (until - time_now_ms()) / 1000 + 1 : 0;
	return until != 0;
}

/* Is email's account or ip locked? (see accounts.h; nothing to free) */
int login_locked(store *s, const char *email, const char *ip, int64_t *retry_after_s)
{
	char acct[300], addr[80];
	throttle_keys(email, ip, acct, addr);
	return keys_locked(s, acct, addr, retry_after_s);
}

/* What every write of a sign-in attempt needs: the rules, who acts, about
 * which user, the throttle keys, and for a success the new session's client
 * and where its tokens go (the outcome's arrays). */
typedef struct attempt {
	const login_policy *p;
	const actor *who;
	int64_t user_id; /* 0 for an unknown address */
	char acct[300], addr[80];
	const char *ip, *user_agent;
	char *token, *csrf;
} attempt;

/* Fill t for an attempt as email from ip (who and user_id are left to the
 * caller); the new session's tokens go into out. */
static void attempt_init(attempt *t, const login_policy *p, const char *email, const char *ip,
			 const char *user_agent, login_outcome *out)
{
	*t = (attempt){.p = p,
		       .ip = ip,
		       .user_agent = user_agent,
		       .token = out->session_token,
		       .csrf = out->csrf};
	throttle_keys(email, ip, t->acct, t->addr);
}

/* Is t's account or address locked? Then 1, with out saying LOGIN_LOCKED. */
static int attempt_locked(store *s, const attempt *t, login_outcome *out)
{
	if (!keys_locked(s, t->acct, t->addr, &out->retry_after_s))
		return 0;
	out->result = LOGIN_LOCKED;
	return 1;
}

/* Inside a write: count a failure for t's account and address (locking them
 * at the limit) and audit it as action (detail borrowed, may be NULL). */
static ct_err attempt_failed(store_conn *c, const attempt *t, const char *action, json_t *detail)
{
	throttle_limits lim = throttle_of(t->p, 0), lim_ip = throttle_of(t->p, 1);
	ct_err err = throttle_fail(c, t->acct, &lim);
	if (!err)
		err = throttle_fail(c, t->addr, &lim_ip);
	if (!err)
		err = audit_record_json(c, t->who, action, "user", t->user_id, NULL, detail);
	return err;
}

/* Inside a write: forget the account's failures, make the new session (with
 * or without the second factor done) and audit it as action (detail
 * borrowed, may be NULL). */
static ct_err attempt_succeeded(store_conn *c, const attempt *t, int second_factor_ok,
				const char *action, json_t *detail)
{
	ct_err err = throttle_clear(c, t->acct);
	if (!err)
		err = sessions_create(c, t->user_id, second_factor_ok, t->ip, t->user_agent,
				      &t->p->session, t->token, t->csrf);
	if (!err)
		err = audit_record_json(c, t->who, action, "user", t->user_id, NULL, detail);
	return err;
}

typedef struct failure_write {
	attempt t;
	const char *action;
} failure_write;

/* store_write function: count a failure and audit it (see failure_write). */
static ct_err record_failure(store_conn *c, void *arg)
{
	failure_write *x = arg;
	return attempt_failed(c, &x->t, x->action, NULL);
}

/* Count a wrong confirming password for email (see accounts.h). */
ct_err login_record_failure(store *s, const login_policy *p, const actor *who, const char *email,
			    int64_t user_id, const char *action)
{
	login_outcome unused;
	failure_write x = {.action = action};
	attempt_init(&x.t, p, email, who->ip, NULL, &unused);
	x.t.who = who;
	x.t.user_id = user_id;
	return store_write(s, record_failure, &x);
}

typedef struct password_write {
	attempt t;
	const char *email;
	int ok;           /* the password was right and the user is active */
	int totp_enabled; /* then the session waits for the second factor */
} password_write;

/* store_write function: a new session, or a failure counted; audited. */
static ct_err record_password(store_conn *c, void *arg)
{
	password_write *x = arg;
	json_t *detail = json_pack("{s:s}", "email", x->email);
	ct_err err = x->ok ? attempt_succeeded(c, &x->t, !x->totp_enabled, "login", detail)
			   : attempt_failed(c, &x->t, "login.failed", detail);
	json_decref(detail);
	return err;
}

/* Sign in with a password; out belongs to the caller (see accounts.h). */
ct_err login_with_password(store *s, const login_policy *p, const char *email, const char *password,
			   const char *ip, const char *user_agent, login_outcome *out)
{
	memset(out, 0, sizeof(*out));
	if (!email || !password)
		return CT_ERR_INVALID;
	password_write x = {.email = email};
	attempt_init(&x.t, p, email, ip, user_agent, out);
	if (attempt_locked(s, &x.t, out))
		return CT_OK;
	user_auth *u = &out->user;
	store_conn *c = store_reader_acquire(s);
	int known = users_find_by_email(c, email, u) == CT_OK;
	store_reader_release(s, c);
	pthread_once(&dummy_once, make_dummy_hash);
	int match = password_verify(known ? u->password_hash : dummy_hash, password);
	x.ok = known && u->active && match;
	x.t.user_id = known ? u->id : 0;
	x.totp_enabled = known && u->totp_enabled;
	char name[300];
	actor who = {"anonymous", 0, 0, ip};
	if (x.ok) {
		snprintf(name, sizeof(name), "user:%s", u->email);
		who = (actor){name, u->id, 0, ip};
	}
	x.t.who = &who;
	ct_err err = store_write(s, record_password, &x);
	if (err || !x.ok) {
		memset(out, 0, sizeof(*out)); /* LOGIN_WRONG, and nothing of the user */
		return err;
	}
	out->result = LOGIN_OK;
	out->second_factor_required = u->totp_enabled;
	out->totp_setup_required =
		p->require_totp_admins && strcmp(u->role, "admin") == 0 && !u->totp_enabled;
	return CT_OK;
}

typedef struct second_factor_write {
	attempt t;
	const char *old_token;
	const char *recovery_code; /* NULL: the TOTP code was already checked */
	int64_t totp_step;         /* input: the step of a right TOTP code, 0 if none */
	int ok;                    /* output */
} second_factor_write;

/* store_write function: use up the code and replace the session, or count a
 * failure; audited. */
static ct_err record_second_factor(store_conn *c, void *arg)
{
	second_factor_write *x = arg;
	x->ok = 0; /* a write may run twice: decide afresh */
	if (x->totp_step) {
		ct_err used = totp_use_step(c, x->t.user_id, x->totp_step);
		if (used != CT_OK && used != CT_ERR_CONFLICT)
			return used;
		x->ok = used == CT_OK; /* a code already used is refused */
	}
	if (x->recovery_code && !x->ok) {
		ct_err used = recovery_code_use(c, x->t.user_id, x->recovery_code);
		if (used != CT_OK && used != CT_ERR_NOT_FOUND)
			return used;
		x->ok = used == CT_OK;
	}
	if (!x->ok)
		return attempt_failed(c, &x->t, "login.second_factor_failed", NULL);
	ct_err err = sessions_end(c, x->old_token);
	if (!err)
		err = attempt_succeeded(
			c, &x->t, 1,
			x->recovery_code ? "login.recovery_code" : "login.second_factor", NULL);
	return err;
}

/* Finish a login with the second factor; out belongs to the caller (see
 * accounts.h). */
ct_err login_second_factor(store *s, const login_policy *p, const seal_key *key, const user_auth *u,
			   const char *old_session_token, const char *code,
			   const char *recovery_code, const char *ip, const char *user_agent,
			   login_outcome *out)
{
	memset(out, 0, sizeof(*out));
	char name[300];
	snprintf(name, sizeof(name), "user:%s", u->email);
	actor who = {name, u->id, 0, ip};
	second_factor_write x = {.old_token = old_session_token, .recovery_code = recovery_code};
	attempt_init(&x.t, p, u->email, ip, user_agent, out);
	x.t.who = &who;
	x.t.user_id = u->id;
	if (attempt_locked(s, &x.t, out))
		return CT_OK;
	if (!code && !recovery_code)
		return CT_ERR_INVALID;
	if (code && u->totp_enabled) {
		buf secret;
		buf_init(&secret, 256);
		if (seal_open(key, u->totp_secret, &secret) == CT_OK)
			x.totp_step = totp_check(buf_cstr(&secret), code, time_now_ms());
		buf_free(&secret);
		x.recovery_code = NULL;
	}
	ct_err err = store_write(s, record_second_factor, &x);
	if (err || !x.ok) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	out->result = LOGIN_OK;
	out->user = *u;
	return CT_OK;
}

typedef struct logout_write {
	const actor *who;
	const char *token;
	int64_t user_id; /* all of this user's sessions when set */
} logout_write;

/* store_write function: end the session(s) (see logout_write); audited. */
static ct_err end_sessions(store_conn *c, void *arg)
{
	logout_write *x = arg;
	ct_err err = x->user_id ? sessions_end_all(c, x->user_id) : sessions_end(c, x->token);
	if (!err)
		err = audit_record(c, x->who, x->user_id ? "logout.everywhere" : "logout", "user",
				   x->who->user_id, NULL, NULL);
	return err;
}

/* Sign out of one session (see accounts.h). */
ct_err login_end_session(store *s, const actor *who, const char *session_token)
{
	logout_write x = {who, session_token, 0};
	return store_write(s, end_sessions, &x);
}

/* Sign out of every session of who (see accounts.h). */
ct_err login_end_all_sessions(store *s, const actor *who)
{
	if (!who->user_id)
		return CT_ERR_INVALID;
	logout_write x = {who, NULL, who->user_id};
	return store_write(s, end_sessions, &x);
}

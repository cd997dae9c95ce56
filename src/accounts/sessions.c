/*
 * sessions.c: browser sessions (see accounts.h).
 *
 * The session id is 32 random bytes; the store keeps only its SHA-256, so a
 * copy of the database cannot be used to sign in. A session ends when it
 * was idle too long, when it reached its absolute age, at logout, and when
 * its user is disabled or changes the password.
 */
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/crypto.h"
#include "core/timeutil.h"

#define TOUCH_INTERVAL_MS 60000

static const char SQL_INSERT[] =
	"INSERT INTO sessions (token_hash, user_id, csrf_token, second_factor_ok, created_at,"
	" last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)";
static const char SQL_LOOKUP[] =
	"SELECT id, user_id, csrf_token, second_factor_ok, last_seen_at, expires_at"
	" FROM sessions WHERE token_hash = $1";
static const char SQL_TOUCH[] = "UPDATE sessions SET last_seen_at = $2 WHERE id = $1";
static const char SQL_END[] = "DELETE FROM sessions WHERE token_hash = $1";
static const char SQL_END_ALL[] = "DELETE FROM sessions WHERE user_id = $1";

ct_err sessions_create(store_conn *c, int64_t user_id, int second_factor_ok, const char *ip,
		       const char *user_agent, const session_limits *lim,
		       char token[SESSION_TOKEN_SIZE], char csrf[CSRF_TOKEN_SIZE])
{
	char hash[CRYPTO_TOKEN_HASH_HEX];
	crypto_new_token(token, SESSION_TOKEN_SIZE);
	crypto_new_token(csrf, CSRF_TOKEN_SIZE);
	crypto_hash_token(token, strlen(token), hash);
	int64_t now = time_now_ms();
	store_stmt *st = store_prepare(c, SQL_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, hash);
	store_bind_int(st, 2, user_id);
	store_bind_text(st, 3, csrf);
	store_bind_int(st, 4, second_factor_ok);
	store_bind_int(st, 5, now);
	store_bind_int(st, 6, now + lim->absolute_ms);
	store_bind_text(st, 7, ip);
	if (user_agent)
		store_bind_textn(st, 8, user_agent, strnlen(user_agent, 256));
	return store_run(st);
}

typedef struct touch_ctx {
	int64_t id;
} touch_ctx;

static ct_err touch(store_conn *c, void *arg)
{
	touch_ctx *t = arg;
	store_stmt *st = store_prepare(c, SQL_TOUCH);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, t->id);
	store_bind_int(st, 2, time_now_ms());
	return store_run(st);
}

ct_err sessions_lookup(store *s, const char *token, const session_limits *lim, session *out)
{
	memset(out, 0, sizeof(*out));
	size_t len = token ? strlen(token) : 0;
	if (len < 16 || len >= SESSION_TOKEN_SIZE)
		return CT_ERR_UNAUTHORIZED;
	char hash[CRYPTO_TOKEN_HASH_HEX];
	crypto_hash_token(token, len, hash);
	store_conn *c = store_reader_acquire(s);
	store_stmt *st = store_prepare(c, SQL_LOOKUP);
	ct_err err = CT_ERR_STORE;
	int64_t last_seen = 0, expires = 0, now = time_now_ms();
	if (st) {
		store_bind_text(st, 1, hash);
		int rc = store_step(st);
		err = rc == STORE_ROW    ? CT_OK
		      : rc == STORE_DONE ? CT_ERR_UNAUTHORIZED
					 : CT_ERR_STORE;
		if (rc == STORE_ROW) {
			out->id = store_col_int(st, 0);
			out->user_id = store_col_int(st, 1);
			snprintf(out->csrf, sizeof(out->csrf), "%s", store_col_text(st, 2));
			out->second_factor_ok = (int)store_col_int(st, 3);
			last_seen = store_col_int(st, 4);
			expires = store_col_int(st, 5);
		}
		store_reset(st);
	}
	if (!err && (now > expires || now - last_seen > lim->idle_ms))
		err = CT_ERR_UNAUTHORIZED;
	if (!err) {
		err = users_find_by_id(c, out->user_id, &out->user);
		if (err == CT_ERR_NOT_FOUND || (!err && !out->user.active))
			err = CT_ERR_UNAUTHORIZED;
	}
	store_reader_release(s, c);
	/* Refresh last_seen_at often enough that a session in use never idles
	 * out: every minute, or a quarter of the idle limit when that is less. */
	int64_t touch_after =
		lim->idle_ms / 4 < TOUCH_INTERVAL_MS ? lim->idle_ms / 4 : TOUCH_INTERVAL_MS;
	if (!err && now - last_seen > touch_after) {
		touch_ctx t = {out->id};
		store_write(s, touch, &t);
	}
	return err;
}

static ct_err run_one(store_conn *c, const char *sql, const char *text, int64_t id)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	if (text)
		store_bind_text(st, 1, text);
	else
		store_bind_int(st, 1, id);
	return store_run(st);
}

ct_err sessions_end(store_conn *c, const char *token)
{
	char hash[CRYPTO_TOKEN_HASH_HEX];
	crypto_hash_token(token, strlen(token), hash);
	return run_one(c, SQL_END, hash, 0);
}

ct_err sessions_end_all(store_conn *c, int64_t user_id)
{
	return run_one(c, SQL_END_ALL, NULL, user_id);
}

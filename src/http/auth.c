/*
 * auth.c: who is making a request (see auth.h).
 *
 * An API token ("Authorization: Bearer ct_...") is hashed and looked up; a
 * revoked token is refused. Otherwise the session cookie is looked up (see
 * accounts/sessions.c); the session's user gives the role. A session whose
 * second factor is still pending, or an admin who must first set one up,
 * gets a principal that only ROUTE_PARTIAL_AUTH routes accept.
 */
#include "http/auth.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/crypto.h"
#include "core/timeutil.h"
#include "http/headers.h"

static const char SQL_TOKEN_BY_HASH[] =
	"SELECT id, name, role, coalesce(last_used_at, 0), coalesce(channel_id, 0) FROM api_tokens"
	" WHERE token_hash = $1 AND revoked_at IS NULL";
static const char SQL_TOKEN_TOUCH[] = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";

#define TOUCH_INTERVAL_MS 60000
#define TOKEN_CACHE_SLOTS 64
#define TOKEN_CACHE_MS 2000 /* a revoked token is refused within this */

/* Recently seen tokens, so that a busy integration does not cost a lookup
 * per request. Keyed by the token's hash; entries live TOKEN_CACHE_MS. */
typedef struct cached_token {
	char hash[CRYPTO_TOKEN_HASH_HEX];
	principal who;
	int64_t until_ms; /* monotonic */
} cached_token;

static cached_token token_cache[TOKEN_CACHE_SLOTS];
static pthread_mutex_t token_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned cache_slot(const char *hash)
{
	unsigned h = 0;
	for (int i = 0; i < 8; i++)
		h = h * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
	return h % TOKEN_CACHE_SLOTS;
}

static int cache_get(const char *hash, principal *who)
{
	cached_token *e = &token_cache[cache_slot(hash)];
	pthread_mutex_lock(&token_cache_lock);
	int hit = strcmp(e->hash, hash) == 0 && e->until_ms > time_mono_ms();
	if (hit)
		*who = e->who;
	pthread_mutex_unlock(&token_cache_lock);
	return hit;
}

static void cache_put(const char *hash, const principal *who)
{
	cached_token *e = &token_cache[cache_slot(hash)];
	pthread_mutex_lock(&token_cache_lock);
	memcpy(e->hash, hash, sizeof(e->hash));
	e->who = *who;
	e->until_ms = time_mono_ms() + TOKEN_CACHE_MS;
	pthread_mutex_unlock(&token_cache_lock);
}

typedef struct touch_ctx {
	int64_t id;
} touch_ctx;

static ct_err touch_token(store_conn *c, void *arg)
{
	touch_ctx *t = arg;
	store_stmt *st = store_prepare(c, SQL_TOKEN_TOUCH);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, t->id);
	store_bind_int(st, 2, time_now_ms());
	return store_run(st);
}

static ct_err authenticate_token(http_request *req, const char *token, principal *who)
{
	size_t len = strlen(token);
	if (len < 10 || len > 200)
		return CT_ERR_UNAUTHORIZED;
	char hash[CRYPTO_TOKEN_HASH_HEX];
	crypto_hash_token(token, len, hash);
	if (cache_get(hash, who))
		return CT_OK;
	store *s = req->app->store;
	store_conn *c = store_reader_acquire(s);
	store_stmt *st = store_prepare(c, SQL_TOKEN_BY_HASH);
	ct_err err = CT_ERR_UNAUTHORIZED;
	int64_t last_used = 0;
	if (!st) {
		err = CT_ERR_STORE;
	} else {
		store_bind_text(st, 1, hash);
		int rc = store_step(st);
		if (rc == STORE_ROW) {
			who->token_id = store_col_int(st, 0);
			snprintf(who->name, sizeof(who->name), "token:%s", store_col_text(st, 1));
			who->role = http_role_parse(store_col_text(st, 2));
			last_used = store_col_int(st, 3);
			who->channel_id = store_col_int(st, 4);
			err = who->role ? CT_OK : CT_ERR_UNAUTHORIZED;
		} else if (rc == STORE_ERROR) {
			err = CT_ERR_STORE;
		}
		store_reset(st);
	}
	store_reader_release(s, c);
	if (err == CT_OK && time_now_ms() - last_used > TOUCH_INTERVAL_MS) {
		touch_ctx t = {who->token_id};
		store_write(s, touch_token, &t);
	}
	if (err == CT_OK)
		cache_put(hash, who);
	return err;
}

static ct_err authenticate_session(http_request *req, const char *cookie, principal *who)
{
	const config *cfg = &req->app->cfg;
	login_policy policy = login_policy_of(cfg);
	session s;
	ct_err err = sessions_lookup(req->app->store, cookie, &policy.session, &s);
	if (err)
		return err;
	who->role = http_role_parse(s.user.role);
	who->user_id = s.user_id;
	who->session_id = s.id;
	who->second_factor_pending = !s.second_factor_ok;
	who->totp_setup_required =
		cfg->require_totp_admins && who->role == ROLE_ADMIN && !s.user.totp_enabled;
	snprintf(who->csrf, sizeof(who->csrf), "%s", s.csrf);
	snprintf(who->session_token, sizeof(who->session_token), "%s", cookie);
	snprintf(who->name, sizeof(who->name), "user:%s", s.user.email);
	snprintf(who->locale, sizeof(who->locale), "%s", s.user.locale);
	return who->role ? CT_OK : CT_ERR_UNAUTHORIZED;
}

ct_err auth_authenticate(http_request *req, principal *who)
{
	memset(who, 0, sizeof(*who));
	const char *token = bearer_token(http_header(req, "Authorization"));
	if (token)
		return authenticate_token(req, token, who);
	const char *cookie =
		MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
	if (cookie)
		return authenticate_session(req, cookie, who);
	return CT_ERR_UNAUTHORIZED;
}

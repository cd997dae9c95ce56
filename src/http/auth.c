/*
 * auth.c: API-token authentication (see auth.h).
 */
#include "http/auth.h"

#include <string.h>
#include <stdio.h>
#include <strings.h>

#include "core/crypto.h"
#include "core/timeutil.h"

static const char SQL_TOKEN_BY_HASH[] =
	"SELECT id, name, role, coalesce(last_used_at, 0) FROM api_tokens WHERE token_hash = $1";
static const char SQL_TOKEN_TOUCH[] = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";

#define TOUCH_INTERVAL_MS 60000

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

ct_err auth_authenticate(http_request *req, principal *who)
{
	memset(who, 0, sizeof(*who));
	const char *h = http_header(req, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return CT_ERR_UNAUTHORIZED;
	const char *token = h + 7;
	while (*token == ' ')
		token++;
	size_t len = strlen(token);
	if (len < 10 || len > 200)
		return CT_ERR_UNAUTHORIZED;
	char hash[CRYPTO_TOKEN_HASH_HEX];
	crypto_hash_token(token, len, hash);

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
	return err;
}

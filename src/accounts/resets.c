/*
 * resets.c: single-use password reset tokens (see accounts.h). The token
 * travels in an e-mail link; the store keeps its hash, when it expires (30
 * minutes) and when it was used.
 */
#include <string.h>

#include "accounts/accounts.h"
#include "core/crypto.h"
#include "core/timeutil.h"

static const char SQL_INSERT[] = "INSERT INTO password_resets (user_id, token_hash, created_at,"
				 " expires_at) VALUES ($1, $2, $3, $4)";
static const char SQL_FIND[] = "SELECT id, user_id FROM password_resets WHERE token_hash = $1"
			       " AND used_at IS NULL AND expires_at > $2";
static const char SQL_USE[] = "UPDATE password_resets SET used_at = $2 WHERE id = $1";

ct_err resets_create(store_conn *c, int64_t user_id, char token[RESET_TOKEN_SIZE])
{
	char hash[CRYPTO_TOKEN_HASH_HEX];
	crypto_new_token(token, RESET_TOKEN_SIZE);
	crypto_hash_token(token, strlen(token), hash);
	int64_t now = time_now_ms();
	store_stmt *st = store_prepare(c, SQL_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, user_id);
	store_bind_text(st, 2, hash);
	store_bind_int(st, 3, now);
	store_bind_int(st, 4, now + RESET_VALID_MS);
	return store_run(st);
}

ct_err resets_consume(store_conn *c, const char *token, int64_t *user_id)
{
	char hash[CRYPTO_TOKEN_HASH_HEX];
	if (!token || strlen(token) >= RESET_TOKEN_SIZE)
		return CT_ERR_NOT_FOUND;
	crypto_hash_token(token, strlen(token), hash);
	int64_t now = time_now_ms(), id = 0;
	store_stmt *st = store_prepare(c, SQL_FIND);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, hash);
	store_bind_int(st, 2, now);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		id = store_col_int(st, 0);
		*user_id = store_col_int(st, 1);
	}
	store_reset(st);
	if (rc != STORE_ROW)
		return rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
	if (!(st = store_prepare(c, SQL_USE)))
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_int(st, 2, now);
	return store_run(st);
}

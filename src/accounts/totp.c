/*
 * totp.c: the second factor: TOTP codes (RFC 6238, via liboath) and
 * single-use recovery codes (see accounts.h).
 *
 * The secret is 20 random bytes (160 bits, as RFC 4226 recommends), shown
 * to the user once as base32 for their authenticator app and stored sealed.
 * Recovery codes are stored as hashes and used up one by one.
 */
#include <ctype.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/crypto.h"
#include "core/timeutil.h"

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;

static void init_oath(void)
{
	oath_init();
}

void totp_new_secret(char out[40])
{
	pthread_once(&oath_once, init_oath);
	unsigned char raw[20];
	randombytes_buf(raw, sizeof(raw));
	char *b32 = NULL;
	size_t len = 0;
	if (oath_base32_encode((const char *)raw, sizeof(raw), &b32, &len) != OATH_OK)
		abort();
	snprintf(out, 40, "%.*s", (int)len, b32);
	sodium_memzero(raw, sizeof(raw));
	free(b32);
}

int64_t totp_check(const char *secret_base32, const char *code, int64_t now_ms)
{
	pthread_once(&oath_once, init_oath);
	if (!secret_base32 || !code || strlen(code) != 6)
		return 0;
	for (const char *p = code; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	char *raw = NULL;
	size_t len = 0;
	if (oath_base32_decode(secret_base32, strlen(secret_base32), &raw, &len) != OATH_OK)
		return 0;
	int offset = 0;
	int rc = oath_totp_validate2(raw, len, (time_t)(now_ms / 1000),
				     OATH_TOTP_DEFAULT_TIME_STEP_SIZE, 0, 1, &offset, code);
	sodium_memzero(raw, len);
	free(raw);
	if (rc < 0)
		return 0;
	return now_ms / 1000 / OATH_TOTP_DEFAULT_TIME_STEP_SIZE + offset;
}

static const char SQL_USE_STEP[] =
	"UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2";

ct_err totp_use_step(store_conn *c, int64_t user_id, int64_t step)
{
	store_stmt *st = store_prepare(c, SQL_USE_STEP);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, user_id);
	store_bind_int(st, 2, step);
	ct_err err = store_run(st);
	if (!err && store_changes(c) != 1)
		err = CT_ERR_CONFLICT;
	return err;
}

static const char SQL_CLEAR[] = "DELETE FROM recovery_codes WHERE user_id = $1";
static const char SQL_INSERT[] = "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)";
static const char SQL_USE[] = "UPDATE recovery_codes SET used_at = $3"
			      " WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";

/* Hash of a code with dashes and case removed, so "ABCD-efgh" == "abcdefgh". */
static void hash_code(const char *code, char out[CRYPTO_TOKEN_HASH_HEX])
{
	char plain[32];
	size_t n = 0;
	for (const char *p = code; *p && n < sizeof(plain) - 1; p++)
		if (isalnum((unsigned char)*p))
			plain[n++] = (char)tolower((unsigned char)*p);
	crypto_hash_token(plain, n, out);
}

ct_err recovery_codes_create(store_conn *c, int64_t user_id, char codes[10][16])
{
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
	store_stmt *st = store_prepare(c, SQL_CLEAR);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, user_id);
	ct_err err = store_run(st);
	for (int i = 0; i < 10 && !err; i++) {
		for (int k = 0, p = 0; k < 12; k++) {
			if (k == 4 || k == 8)
				codes[i][p++] = '-';
			codes[i][p++] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
			codes[i][p] = '\0';
		}
		char hash[CRYPTO_TOKEN_HASH_HEX];
		hash_code(codes[i], hash);
		if (!(st = store_prepare(c, SQL_INSERT)))
			return CT_ERR_STORE;
		store_bind_int(st, 1, user_id);
		store_bind_text(st, 2, hash);
		err = store_run(st);
	}
	return err;
}

ct_err recovery_code_use(store_conn *c, int64_t user_id, const char *code)
{
	char hash[CRYPTO_TOKEN_HASH_HEX];
	hash_code(code, hash);
	store_stmt *st = store_prepare(c, SQL_USE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, user_id);
	store_bind_text(st, 2, hash);
	store_bind_int(st, 3, time_now_ms());
	ct_err err = store_run(st);
	if (!err && store_changes(c) != 1)
		err = CT_ERR_NOT_FOUND;
	return err;
}

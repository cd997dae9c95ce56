/*
 * crypto.c: tokens, hashes and passwords on libsodium (see crypto.h).
 */
#include "core/crypto.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

ct_err crypto_init(void)
{
	return sodium_init() < 0 ? CT_ERR_INTERNAL : CT_OK;
}

void crypto_new_token(char *out, size_t out_size)
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	char b64[64];
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, out_size, "ct_%s", b64);
	sodium_memzero(raw, sizeof(raw));
}

void crypto_random_b64(char *out, size_t out_size, size_t nbytes)
{
	unsigned char raw[64];
	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	randombytes_buf(raw, nbytes);
	sodium_bin2base64(out, out_size, raw, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void crypto_new_password(char *out, size_t n)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[n] = '\0';
}

void crypto_hash_token(const char *s, size_t len, char out[CRYPTO_TOKEN_HASH_HEX])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)s, len);
	sodium_bin2hex(out, CRYPTO_TOKEN_HASH_HEX, digest, sizeof(digest));
}

ct_err crypto_hash_password(const char *password, char out[128])
{
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return CT_ERR_INTERNAL;
	return CT_OK;
}

int crypto_check_password(const char *stored, const char *password)
{
	return crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
}

unsigned long long crypto_random_u64(void)
{
	unsigned long long v;
	randombytes_buf(&v, sizeof(v));
	return v;
}

/* The HMAC-SHA256 of data under key into mac. */
static void hmac_sha256(const char *key, const void *data, size_t len,
			unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, data, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

void crypto_hmac_sha256_hex(const char *key, const void *data, size_t len,
			    char out[CRYPTO_TOKEN_HASH_HEX])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	hmac_sha256(key, data, len, mac);
	sodium_bin2hex(out, CRYPTO_TOKEN_HASH_HEX, mac, sizeof(mac));
}

int crypto_equal_secret(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	size_t n = strlen(a);
	if (strlen(b) != n)
		return 0;
	return sodium_memcmp(a, b, n) == 0;
}

int crypto_hmac_sha256_check(const char *key, const void *data, size_t len, const char *prefix,
			     const char *signature)
{
	if (!key || !*key || !signature)
		return 0;
	if (prefix) {
		size_t p = strlen(prefix);
		if (strncmp(signature, prefix, p) != 0)
			return 0;
		signature += p;
	}
	unsigned char got[crypto_auth_hmacsha256_BYTES], want[crypto_auth_hmacsha256_BYTES];
	size_t got_len = 0;
	const char *end = NULL;
	int bad = sodium_hex2bin(got, sizeof(got), signature, strlen(signature), NULL, &got_len,
				 &end) != 0;
	if (bad || got_len != sizeof(got) || *end != '\0')
		return 0; /* not 64 hex digits (of either case) */
	hmac_sha256(key, data, len, want);
	return sodium_memcmp(want, got, sizeof(want)) == 0;
}

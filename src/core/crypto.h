/*
 * crypto.h: the few cryptographic operations the program needs, on libsodium.
 *
 * API tokens are 32 random bytes, shown once as "ct_" + base64url and stored
 * only as their SHA-256 (a token is high-entropy, so a fast hash suffices).
 * Passwords are hashed with Argon2id (crypto_pwhash_str).
 */
#ifndef CT_CRYPTO_H
#define CT_CRYPTO_H

#include <stddef.h>

#include "core/err.h"

#define CRYPTO_TOKEN_HASH_HEX 65 /* 64 hex digits and NUL */

/* Initialise libsodium; call once at start. CT_ERR_INTERNAL if it cannot. */
ct_err crypto_init(void);

/* A new random token "ct_..." into out (at least 48 bytes). */
void crypto_new_token(char *out, size_t out_size);

/* nbytes random bytes as base64url (no padding) into out (out_size bytes;
 * at least 4/3 nbytes + 1). For nonces. */
void crypto_random_b64(char *out, size_t out_size, size_t nbytes);

/* Random printable password of n characters (n < out_size) into out. */
void crypto_new_password(char *out, size_t n);

/* SHA-256 of s (len bytes) as lower-case hex into out. */
void crypto_hash_token(const char *s, size_t len, char out[CRYPTO_TOKEN_HASH_HEX]);

/* Argon2id hash of a password, NUL-terminated, into out (128 bytes). */
ct_err crypto_hash_password(const char *password, char out[128]);

/* 1 when password matches the stored Argon2id hash. */
int crypto_check_password(const char *stored, const char *password);

/* HMAC-SHA256 of data (len bytes) under key, as lower-case hex into out. */
void crypto_hmac_sha256_hex(const char *key, const void *data, size_t len,
			    char out[CRYPTO_TOKEN_HASH_HEX]);

/* 1 when signature is "sha256=<hex>" (prefix optional when prefix is NULL)
 * and the hex is the HMAC-SHA256 of data under key, compared in constant
 * time; 0 otherwise, also for a NULL or empty key or signature. */
int crypto_hmac_sha256_check(const char *key, const void *data, size_t len, const char *prefix,
			     const char *signature);

/* 1 when the strings a and b are equal, compared in constant time for equal
 * lengths (a shared secret against a presented one); 0 for NULL. */
int crypto_equal_secret(const char *a, const char *b);

/* Random 64-bit value (for ids that must not be guessed, jitter). */
unsigned long long crypto_random_u64(void);

#endif

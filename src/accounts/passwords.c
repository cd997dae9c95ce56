/*
 * passwords.c: the password policy and Argon2id hashing (see accounts.h).
 *
 * cracklib (FascistCheckUser) rejects passwords built on dictionary words,
 * common passwords, simple patterns and the user's own name. It is not
 * thread-safe, so calls are serialised. Argon2id at libsodium's interactive
 * limits takes 64 MiB and ~0.1 s: at most HASH_SLOTS hashes run at once, so
 * a burst of logins cannot exhaust memory.
 */
#include <stddef.h> /* crack.h uses size_t without including it */

#include <crack.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/crypto.h"

#define HASH_SLOTS 2

static pthread_mutex_t crack_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t hash_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hash_free = PTHREAD_COND_INITIALIZER;
static int hashes_running;

ct_err password_check(const char *password, const char *email, const char *name, err_detail *d)
{
	if (!password)
		return err_set(d, CT_ERR_INVALID, "password", "password is required");
	size_t len = strlen(password);
	if (len < PASSWORD_MIN_LENGTH)
		return err_set(d, CT_ERR_INVALID, "password",
			       "the password must have at least 10 characters");
	if (len > PASSWORD_MAX_LENGTH)
		return err_set(d, CT_ERR_INVALID, "password",
			       "the password must have at most 256 characters");
	char user[256] = "";
	if (email) {
		snprintf(user, sizeof(user), "%s", email);
		char *at = strchr(user, '@');
		if (at)
			*at = '\0';
	}
	/* cracklib accepts a dictionary word once enough digits or symbols
	 * follow it ("password1234"); check the word without them as well. */
	char stem[PASSWORD_MAX_LENGTH + 1];
	snprintf(stem, sizeof(stem), "%s", password);
	size_t stem_len = len;
	while (stem_len > 0 && !isalpha((unsigned char)stem[stem_len - 1]))
		stem[--stem_len] = '\0';
	pthread_mutex_lock(&crack_lock);
	const char *why =
		FascistCheckUser(password, GetDefaultCracklibDict(), user, name ? name : "");
	if (!why && stem_len >= 4 && stem_len < len) {
		/* What the shortened word is built on counts (a dictionary word,
		 * the user's name or address); its length and variety do not:
		 * those were judged on the whole password. */
		const char *stem_why =
			FascistCheckUser(stem, GetDefaultCracklibDict(), user, name ? name : "");
		if (stem_why && !strstr(stem_why, "short") && !strstr(stem_why, "simplistic") &&
		    !strstr(stem_why, "DIFFERENT") && !strstr(stem_why, "whitespace"))
			why = stem_why;
	}
	char reason[160] = "";
	if (why)
		snprintf(reason, sizeof(reason), "the password is too easy to guess: %s", why);
	pthread_mutex_unlock(&crack_lock);
	if (why)
		return err_set(d, CT_ERR_INVALID, "password", reason);
	return CT_OK;
}

static void take_slot(void)
{
	pthread_mutex_lock(&hash_lock);
	while (hashes_running >= HASH_SLOTS)
		pthread_cond_wait(&hash_free, &hash_lock);
	hashes_running++;
	pthread_mutex_unlock(&hash_lock);
}

static void give_slot(void)
{
	pthread_mutex_lock(&hash_lock);
	hashes_running--;
	pthread_cond_signal(&hash_free);
	pthread_mutex_unlock(&hash_lock);
}

ct_err password_hash(const char *password, char out[128])
{
	take_slot();
	ct_err err = crypto_hash_password(password, out);
	give_slot();
	return err;
}

int password_verify(const char *stored, const char *password)
{
	take_slot();
	int ok = crypto_check_password(stored, password);
	give_slot();
	return ok;
}

/*
 * x_token.c: renewing the "x" channel's user token (see x_token.h).
 *
 * Renewal is POST {base}/2/oauth2/token with the form
 * grant_type=refresh_token&refresh_token=..&client_id=.. (and HTTP Basic
 * client_id:client_secret for a confidential client); X answers the new
 * access_token, its expires_in and a new refresh_token. Because the refresh
 * token rotates, two renewals must never race: a process-wide mutex
 * serialises them within the process, and the channel_ctx's lease
 * ("x_token", exclusive) across the nodes sharing a store. Inside both,
 * the secrets are read as stored now (the channel_ctx's load_secrets): when
 * the stored access token is no longer the one the caller used, another
 * thread or node has renewed it and it is taken as it is. The new tokens
 * are stored (save_secrets) before anyone uses them: a crash between X's
 * rotation and our store would lock the channel out.
 *
 * A refresh token X refuses (400) stays refused: its SHA-256 is stored as
 * the secret refresh_token_refused, so that later calls fail at once with
 * the same error instead of asking X again on every poll, until an
 * administrator stores a new refresh token. No error text holds a token.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/fetch.h"
#include "channels/x_token.h"
#include "core/crypto.h"
#include "core/timeutil.h"

#define SERVICE "X"
#define DEFAULT_BASE "https://api.x.com"
#define RENEW_AHEAD_S 60

static pthread_mutex_t renew_lock = PTHREAD_MUTEX_INITIALIZER;

/* s when it is a non-empty string, else NULL; borrowed. */
static const char *secret_of(const json_t *secrets, const char *name)
{
	const char *s = json_string_value(json_object_get(secrets, name));
	return s && *s ? s : NULL;
}

/* Whether the access token of secrets expires within RENEW_AHEAD_S
 * (0 when its expiry is unknown). */
static int due(const json_t *secrets)
{
	const char *at = secret_of(secrets, "access_token_expires_at");
	char *end = NULL;
	long long when = at ? strtoll(at, &end, 10) : 0;
	return at && end && *end == '\0' && when - time_now_ms() / 1000 < RENEW_AHEAD_S;
}

/* Whether refresh is the token whose refusal was stored. */
static int was_refused(const json_t *stored, const char *refresh)
{
	char hash[CRYPTO_TOKEN_HASH_HEX];
	crypto_hash_token(refresh, strlen(refresh), hash);
	const char *refused = secret_of(stored, "refresh_token_refused");
	return refused && strcmp(refused, hash) == 0;
}

/* Remember that X refused refresh (see the top of the file). */
static void store_refusal(const channel_ctx *ch, const char *refresh)
{
	char hash[CRYPTO_TOKEN_HASH_HEX];
	crypto_hash_token(refresh, strlen(refresh), hash);
	json_t *changes = json_pack("{s:s}", "refresh_token_refused", hash);
	ch->save_secrets(ch, changes); /* when it fails, the next call asks X again */
	json_decref(changes);
}

/* The form body of the refresh request, into body. */
static ct_err refresh_form(const char *refresh, const char *client_id, buf *body)
{
	ct_err err = buf_puts(body, "grant_type=refresh_token&refresh_token=");
	if (!err)
		err = channel_url_escape(refresh, body);
	if (!err)
		err = buf_puts(body, "&client_id=");
	if (!err)
		err = channel_url_escape(client_id, body);
	return err;
}

/* Send the refresh request (form body; HTTP Basic with client_id and
 * client_secret when the latter is set) and judge X's answer into *answer
 * (new reference), out and *status. */
static ct_err post_token(const channel_ctx *ch, const buf *body, const char *client_id,
			 const char *client_secret, json_t **answer, long *status,
			 channel_outcome *out)
{
	char url[2048];
	snprintf(url, sizeof(url), "%s/2/oauth2/token", channel_base_url(ch, DEFAULT_BASE));
	channel_request req = {.method = "POST",
			       .url = url,
			       .body = buf_cstr(body),
			       .body_len = body->len,
			       .content_type = "application/x-www-form-urlencoded",
			       .basic_user = client_secret ? client_id : NULL,
			       .basic_password = client_secret,
			       .timeout_s = ch->timeout_s};
	channel_response res;
	channel_fetch(&req, &res);
	ct_err err = channel_fetch_judge(&res, SERVICE, out);
	*status = res.status;
	if (res.status == 400)
		err = channel_fail(out, 1,
				   SERVICE " refused the refresh token; connect the channel again");
	else if (res.status == 401 || res.status == 403)
		err = channel_fail(out, 1,
				   SERVICE " refused the channel's client_id or client_secret");
	if (!err)
		*answer = channel_response_json(&res);
	if (res.body.data)
		sodium_memzero(res.body.data, res.body.len);
	channel_response_free(&res);
	return err;
}

/* Ask X for new tokens with the refresh token of stored; X's answer
 * (new reference) into *answer, its HTTP status into *status (0: none). */
static ct_err request_tokens(const channel_ctx *ch, const json_t *stored, json_t **answer,
			     long *status, channel_outcome *out)
{
	const char *refresh = secret_of(stored, "refresh_token");
	const char *client_id = secret_of(stored, "client_id");
	const char *client_secret = secret_of(stored, "client_secret");
	if (!client_id)
		client_id = channel_config_string(ch, "client_id");
	if (!client_id || !*client_id)
		return channel_fail(out, 1, "the channel has a refresh_token but no client_id");
	buf body;
	buf_init(&body, 16384);
	ct_err err = refresh_form(refresh, client_id, &body);
	if (err)
		channel_fail(out, 1, "the channel's refresh_token or client_id is too long");
	else
		err = post_token(ch, &body, client_id, client_secret, answer, status, out);
	if (body.data)
		sodium_memzero(body.data, body.len);
	buf_free(&body);
	return err;
}

/* The secrets to store from X's token answer (new reference), or NULL
 * when it holds no access_token. old_refresh stays when X sent none. */
static json_t *renewed_secrets(const json_t *answer, const char *old_refresh)
{
	const char *access = secret_of(answer, "access_token");
	const char *refresh = secret_of(answer, "refresh_token");
	if (!access)
		return NULL;
	json_t *v = json_pack("{s:s, s:s}", "access_token", access, "refresh_token",
			      refresh ? refresh : old_refresh);
	json_int_t in = json_integer_value(json_object_get(answer, "expires_in"));
	char at[32];
	snprintf(at, sizeof(at), "%lld", (long long)(time_now_ms() / 1000 + in));
	json_object_set_new(v, "access_token_expires_at", in > 0 ? json_string(at) : json_null());
	return v;
}

/* Renew with the refresh token of stored: X first, our store second, and
 * the new access token (owned) into *fresh. */
static ct_err renew_stored(const channel_ctx *ch, const json_t *stored, char **fresh,
			   channel_outcome *out)
{
	const char *refresh = secret_of(stored, "refresh_token");
	if (!refresh)
		return CT_ERR_NOT_FOUND;
	if (was_refused(stored, refresh))
		return channel_fail(
			out, 1, SERVICE " refused the refresh token; connect the channel again");
	json_t *answer = NULL, *changes = NULL;
	long status = 0;
	ct_err err = request_tokens(ch, stored, &answer, &status, out);
	if (err) {
		if (status == 400)
			store_refusal(ch, refresh);
		goto out;
	}
	changes = renewed_secrets(answer, refresh);
	if (!changes) {
		err = channel_fail(out, 0,
				   SERVICE " answered the token request without an access_token");
		goto out;
	}
	err = ch->save_secrets(ch, changes);
	if (err) {
		err = channel_fail(out, 0, "the renewed token could not be stored");
		goto out;
	}
	*fresh = xstrdup(secret_of(changes, "access_token"));
out:
	json_decref(answer);
	json_decref(changes);
	return err;
}

/* What renew_locked works on, for channel_ctx.exclusive. */
typedef struct renewal {
	const channel_ctx *ch;
	const char *used;
	char **fresh;
	channel_outcome *out;
} renewal;

/* x_token_renew under the locks. */
static ct_err renew_locked(void *arg)
{
	renewal *r = arg;
	json_t *stored = r->ch->load_secrets(r->ch);
	if (!stored)
		return channel_fail(r->out, 0, "the channel's secrets could not be read");
	const char *now = secret_of(stored, "access_token");
	ct_err err;
	if (now && (!r->used || strcmp(now, r->used) != 0) && !due(stored)) {
		*r->fresh = xstrdup(now); /* renewed by another thread or node meanwhile */
		err = CT_OK;
	} else {
		err = renew_stored(r->ch, stored, r->fresh, r->out);
	}
	json_decref(stored);
	return err;
}

ct_err x_token_renew(const channel_ctx *ch, const char *used, char **fresh, channel_outcome *out)
{
	*fresh = NULL;
	if (!ch->load_secrets || !ch->save_secrets || !channel_secret(ch, "refresh_token"))
		return CT_ERR_NOT_FOUND;
	channel_outcome why = {0};
	renewal r = {ch, used, fresh, &why};
	pthread_mutex_lock(&renew_lock);
	ct_err err =
		ch->exclusive ? ch->exclusive(ch, "x_token", renew_locked, &r) : renew_locked(&r);
	pthread_mutex_unlock(&renew_lock);
	if (err == CT_ERR_UNAVAILABLE && !why.error[0])
		channel_fail(&why, 0, "another node is renewing the channel's token");
	if (err && err != CT_ERR_NOT_FOUND)
		*out = why;
	return err;
}

char *x_token_user(const channel_ctx *ch, channel_outcome *out)
{
	const char *token = channel_secret(ch, "access_token");
	if (token && !*token)
		token = NULL;
	if (!token || due(ch->secrets)) {
		char *fresh = NULL;
		ct_err err = x_token_renew(ch, token, &fresh, out);
		if (err != CT_ERR_NOT_FOUND)
			return fresh; /* NULL on error, with out set */
	}
	if (token)
		return xstrdup(token);
	channel_fail(out, 1, "the channel has no access_token");
	return NULL;
}

void x_token_free(char *token)
{
	if (token)
		sodium_memzero(token, strlen(token));
	free(token);
}

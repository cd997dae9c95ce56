/*
 * x_token.h: the user-context token of the "x" channel and its renewal
 * with the OAuth 2.0 refresh token (x_token.c), for x.c.
 *
 * X's user access tokens expire after two hours; with the scope
 * offline.access X hands out a refresh token too, which rotates: each
 * renewal returns a new one and the old one is dead. The secrets involved:
 * access_token, refresh_token, client_id (or config client_id),
 * client_secret (a confidential client), and access_token_expires_at (unix
 * seconds, stored with each renewal).
 */
#ifndef CT_CHANNELS_X_TOKEN_H
#define CT_CHANNELS_X_TOKEN_H

#include "channels/channel.h"
#include "core/err.h"

/* The token to call X with as the user: the access_token, renewed first
 * when its expiry is less than a minute away (or there is none but a
 * refresh_token). Owned (x_token_free); NULL with out set (permanent when
 * the channel has no token or X refused the refresh token). */
char *x_token_user(const channel_ctx *ch, channel_outcome *out);

/* X refused the token used (HTTP 401) or it is about to expire: renew it,
 * one thread at a time, storing the new tokens before they are used. When
 * another thread renewed meanwhile, its token is taken without a request.
 * CT_OK with *fresh (owned, x_token_free) to ask again with;
 * CT_ERR_NOT_FOUND when the channel cannot renew (no refresh_token, or no
 * way to store the rotated one): out untouched; any other error: out says
 * why (permanent when X refused the refresh token). */
ct_err x_token_renew(const channel_ctx *ch, const char *used, char **fresh, channel_outcome *out);

/* Wipe and free a token from the two above (NULL is fine). */
void x_token_free(char *token);

#endif

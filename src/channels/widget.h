/*
 * widget.h: the signed values of the website widget channel (widget.c),
 * shared by the adapter and the visitor-facing routes (api/widget.c).
 *
 * A visitor is a random id carried in the cookie "ct_visitor" as
 * "<id>.<HMAC>"; a form token is "<milliseconds>.<HMAC>" of the moment the
 * widget asked for it and the visitor it was given to. Both are signed with
 * the channel's cookie key: the secret "cookie_key" when an administrator set
 * one, else a key derived from the installation's key and the channel id
 * (widget_derive_key), which relay_channel_open puts into the opened secrets,
 * so that
 * nothing has to be stored.
 */
#ifndef CT_CHANNELS_WIDGET_H
#define CT_CHANNELS_WIDGET_H

#include <stddef.h>
#include <stdint.h>

#include "channels/channel.h"

#define WIDGET_COOKIE "ct_visitor"
#define WIDGET_VISITOR_MAX 32 /* a visitor id and its NUL */
#define WIDGET_SIGNED_MAX 112 /* a signed cookie or token and its NUL */
#define WIDGET_KEY_HEX 65     /* a cookie key as hex and its NUL */
#define WIDGET_MIN_DELAY_MS 2000
#define WIDGET_MAX_TOKEN_AGE_MS (24 * 3600 * 1000LL)

/* The cookie key of channel_id derived from the installation's key (32
 * bytes), as hex into out. */
void widget_derive_key(const unsigned char *install_key, int64_t channel_id,
		       char out[WIDGET_KEY_HEX]);

/* The channel's cookie key (borrowed from its secrets), or NULL. */
const char *widget_cookie_key(const channel_ctx *ch);

/* A new visitor: its id into id and the signed cookie value into cookie. */
void widget_visitor_new(const char *key, char id[WIDGET_VISITOR_MAX],
			char cookie[WIDGET_SIGNED_MAX]);

/* The visitor id of a well-signed ct_visitor cookie in the Cookie header
 * (may be NULL) into id; 1 when there is one, 0 otherwise. */
int widget_visitor_from_cookie(const char *key, const char *cookie_header,
			       char id[WIDGET_VISITOR_MAX]);

/* A form token for visitor, made at now_ms, into out. */
void widget_token_new(const char *key, const char *visitor, int64_t now_ms,
		      char out[WIDGET_SIGNED_MAX]);

/* Is origin (the Origin header, may be NULL) one of config.allowed_origins? */
int widget_origin_allowed(const channel_ctx *ch, const char *origin);

/* A whole-number config value in [min, max], or def. */
int64_t widget_config_int(const channel_ctx *ch, const char *name, int64_t def, int64_t min,
			  int64_t max);

#endif

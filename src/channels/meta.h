/*
 * meta.h: what the Meta adapters (meta.c: webhook checks, Graph API calls)
 * share with their payload parser (meta_parse.c) and its unit tests.
 *
 * The channel kinds facebook, instagram and whatsapp each receive the
 * webhooks of one Meta "object" (page, instagram, whatsapp_business_account)
 * at /hooks/meta/<channel id>. The parser turns a delivery into ingest
 * messages whose meta says where a reply goes:
 *   {"object": "page"|"instagram"|"whatsapp_business_account",
 *    "type": "comment"|"message", "page_id" (the Page or Instagram account,
 *    the entry id), "post_id" (comments: the post or media), "parent_id"
 *    (a comment's parent), "phone_number_id" (WhatsApp)}.
 */
#ifndef CT_CHANNEL_META_H
#define CT_CHANNEL_META_H

#include <jansson.h>
#include <stddef.h>

#include "channels/channel.h"
#include "core/err.h"

typedef enum meta_object { META_PAGE, META_INSTAGRAM, META_WHATSAPP } meta_object;

/* The "object" of the webhooks of o ("page", ...); static. */
const char *meta_object_name(meta_object o);

/* Append to out (a JSON array) the ingest messages of a delivery body
 * (borrowed) of object o, without "channel"; status updates, echoes of our
 * own messages and items without the ids a message needs add nothing.
 * CT_ERR_INVALID with a reason in error (error_size bytes) when the body is
 * not the shape of Meta's webhooks or is for another object. */
ct_err meta_parse_delivery(meta_object o, const json_t *body, json_t *out, char *error,
			   size_t error_size);

/* The name in the Graph API's answer (borrowed) to a profile look-up of a
 * sender of object o, into who: Messenger's first_name and last_name joined
 * by a space; Instagram's name, and username as the handle (the name, too,
 * when name is empty). Control characters become spaces, the ends are
 * trimmed, and what is too long is cut on a character boundary.
 * CT_ERR_NOT_FOUND (who emptied) when the answer holds no name. */
ct_err meta_parse_profile(meta_object o, const json_t *answer, channel_profile *who);

#endif

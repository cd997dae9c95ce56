/*
 * channel.h: the adapter interface of a channel kind.
 *
 * An adapter turns a reply into the platform's request (and, with the
 * channels issue, a platform's payload into the normalised message). It
 * knows nothing of ingest, triage or the store: the delivery job hands it
 * everything it needs and records what it answers.
 */
#ifndef CT_CHANNEL_H
#define CT_CHANNEL_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"

/* A reply to deliver; all strings borrowed, NULL when unknown. */
typedef struct channel_reply {
	const char *idempotency_key;
	int64_t message_id;
	int64_t conversation_id;
	const char *text;
	const char *thread_id;   /* the conversation's thread key */
	const char *in_reply_to; /* external id of the last incoming message */
	const char *recipient_id;
	const char *recipient_handle;
	const char *recipient_name;
	const char *author_name;
	const char *created_at; /* RFC 3339 */
} channel_reply;

/* What a delivery attempt came to. */
typedef struct channel_outcome {
	int permanent;          /* retrying cannot help (e.g. 4xx, no URL) */
	int64_t retry_after_ms; /* the platform asked us to wait (0: use backoff) */
	char external_id[256];  /* the platform's id for the sent message */
	char error[256];        /* for people; never holds secrets */
} channel_outcome;

typedef struct channel_kind {
	const char *kind;
	/* Deliver reply using the channel's config and opened secrets (never
	 * to be logged). CT_OK when delivered. */
	ct_err (*send_reply)(const json_t *config, const json_t *secrets,
			     const channel_reply *reply, int timeout_s, channel_outcome *out);
} channel_kind;

/* The adapters, one per file in channels/. */
extern const channel_kind channel_api;

/* The adapter for a kind ("api", ...), or NULL. */
const channel_kind *channel_find(const char *kind);

#endif

/*
 * ingest.h: taking incoming messages into the store, from any source.
 *
 * Every incoming message (the ingest API, imports, later the channel
 * connectors) goes through the same two steps:
 *  1. ingest_parse validates a JSON message or array of messages and names
 *     the first bad field and its array index; nothing is stored on error.
 *  2. ingest_commit stores the batch through one store_write: de-duplicated
 *     by (channel, external_id), the author resolved to a contact, the
 *     message threaded into a conversation, and, when a concept is active,
 *     triaged (triage/: language, intent, rules, routing, SLA due times,
 *     automatic replies as jobs), all in the same transaction. It returns
 *     only once the batch is durable; a failure leaves nothing behind.
 */
#ifndef CT_INGEST_H
#define CT_INGEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"
#include "triage/triage.h"

/* How a batch is taken in: the limits, and the concept that triages it. */
typedef struct ingest_options {
	size_t max_batch;              /* messages in one batch */
	size_t max_text;               /* bytes of one text */
	int64_t reopen_window_ms;      /* a resolved conversation re-opens within this */
	int64_t only_channel_id;       /* a channel-scoped token's channel; 0: any */
	triage_engine *triage;         /* the active concept (borrowed); NULL: none */
	int reply_attempts;            /* delivery attempts of an automatic reply */
	const char *auto_reply_author; /* the name automatic replies carry (organisation.name) */
	int64_t template_grace_ms;     /* templates.review_grace_days in ms */
} ingest_options;

/* One validated message. Strings point into the batch's JSON (borrowed). */
typedef struct ingest_message {
	const char *channel;
	const char *external_id;
	const char *thread_id;   /* NULL when absent */
	const char *in_reply_to; /* NULL when absent */
	/* "conversation_id": the conversation a token of ours in the message
	 * names (the e-mail subject's "[#123]"); 0 when absent. Honoured only
	 * for the same contact on the same channel. */
	int64_t conversation_hint;
	const char *author_id;
	const char *author_name;   /* NULL when absent */
	const char *author_handle; /* NULL when absent */
	const char *subject;       /* NULL when absent */
	const char *text;
	int64_t created_at;
	char *attachments; /* JSON text or NULL; owned */
	char *meta;        /* JSON text or NULL; owned */
} ingest_message;

typedef struct ingest_result {
	int64_t message_id;
	int64_t conversation_id;
	int64_t channel_id;
	int duplicate;        /* it was stored before; ids are the existing ones */
	int new_conversation; /* this message opened a conversation */
} ingest_result;

typedef struct ingest_batch {
	json_t *root; /* holds the strings the messages borrow; owned */
	ingest_message *msgs;
	ingest_result *results;
	size_t n;
	int single; /* the request held one object, not an array */
	/* The first error: which message, which field, what. */
	int err_index;
	char err_field[64];
	buf err_msg;
} ingest_batch;

/*
 * Validate root (a message object or an array of them) into b, which takes
 * over the caller's reference to root. now_ms fills absent created_at
 * values. On CT_ERR_INVALID or CT_ERR_TOO_LARGE, b->err_* say what and where.
 * Free b with ingest_batch_free in every case.
 */
ct_err ingest_parse(json_t *root, const ingest_options *lim, int64_t now_ms, ingest_batch *b);

/* Store a parsed batch durably and fill b->results (see above). */
ct_err ingest_commit(store *s, const ingest_options *lim, ingest_batch *b);

void ingest_batch_free(ingest_batch *b);

/*
 * The whole path for a running server (take.c): messages (an array of
 * ingest messages, stolen) are stamped with channel_name when it is not
 * NULL, parsed and committed with the limits of a->cfg and the active
 * concept, then the job worker is woken (automatic replies) and
 * "message.received" is published for each new message. only_channel_id
 * restricts the batch to one channel (0: any). b is filled as by
 * ingest_parse; free it with ingest_batch_free in every case.
 */
struct app;
ct_err ingest_take(struct app *a, json_t *messages, const char *channel_name,
		   int64_t only_channel_id, ingest_batch *b);

#endif

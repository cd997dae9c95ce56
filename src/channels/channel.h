/*
 * channel.h: the adapter interface of a channel kind.
 *
 * An adapter speaks one platform: it turns a webhook delivery or a poll's
 * answer into normalised messages (the ingest API's JSON, see ingest.h), and
 * a reply, a share or a hide into the platform's request. It knows nothing of
 * ingest, triage or the store: relay/ (the hook route's hook.c and the jobs
 * in poll.c, reply.c and action.c) hands it everything it needs and takes
 * what it returns to ingest or to the store.
 *
 * Every entry but kind may be NULL when the platform has no such thing (the
 * e-mail channel has no webhook, the api channel no poll). Each call gets the
 * channel in a channel_ctx: its config (with "base_url", so that tests point
 * the adapter at a fake), its opened secrets (never to be logged) and the
 * network timeout. Adapters are called from several threads at once and keep
 * no state of their own between calls: what must survive (a poll position)
 * goes back to the caller, which stores it.
 */
#ifndef CT_CHANNEL_H
#define CT_CHANNEL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The channel an adapter works for; all borrowed from the caller. */
typedef struct channel_ctx {
	int64_t id;
	const char *name;
	const json_t *config;  /* the channel's config object */
	const json_t *secrets; /* opened secrets (an object of strings); never logged */
	int timeout_s;         /* for each network request */
	const char *files_dir; /* where attachments may be stored (content-addressed) */
	/* The channel's secrets as stored now (new reference; NULL when they
	 * cannot be read), for an adapter that renews a token another thread
	 * may have renewed meanwhile. NULL (as save_secrets) when the caller
	 * cannot store (unit tests of an adapter): the adapter does without. */
	json_t *(*load_secrets)(const struct channel_ctx *ch);
	/* Store renewed secrets durably before using them: the names of
	 * changed (strings; null removes one) are merged into the sealed
	 * secrets and committed, with an audit entry naming them. */
	ct_err (*save_secrets)(const struct channel_ctx *ch, const json_t *changed);
	/* Run fn(arg) while no other process sharing the store runs work of
	 * this channel under the same name (a lease in the store, for work
	 * that must not race across nodes, such as rotating a refresh token);
	 * fn's result, or CT_ERR_UNAVAILABLE when the lock could not be had
	 * within the time the other holder may keep it. It serialises threads
	 * too, but by polling: a caller that expects them to contend holds a
	 * mutex of its own around it. NULL like load_secrets. */
	ct_err (*exclusive)(const struct channel_ctx *ch, const char *name, ct_err (*fn)(void *arg),
			    void *arg);
	void *owner; /* for load_secrets, save_secrets and exclusive (the app) */
} channel_ctx;

/* A reply to deliver; all strings borrowed, NULL when unknown. */
typedef struct channel_reply {
	const char *idempotency_key;
	int64_t message_id;
	int64_t conversation_id;
	const char *text;
	const char *subject;          /* the conversation's subject (e-mail) */
	const char *thread_id;        /* the conversation's thread key */
	const char *in_reply_to;      /* external id of the last incoming message */
	const char *in_reply_to_meta; /* that message's meta (JSON text) */
	const char *recipient_id;
	const char *recipient_handle;
	const char *recipient_name;
	const char *author_name;
	const char *created_at; /* RFC 3339 */
} channel_reply;

/* What a call to the platform came to (a reply, a share, a hide, a poll). */
typedef struct channel_outcome {
	int permanent;          /* retrying cannot help (e.g. 4xx, no URL) */
	int64_t retry_after_ms; /* the platform asked us to wait (0: use backoff) */
	char external_id[256];  /* the platform's id for the sent message */
	char error[256];        /* for people; never holds secrets */
	char found[512];        /* what a look-up found, for its job's record (JSON text) */
} channel_outcome;

/* A webhook delivery as the hook route received it; all borrowed. */
typedef struct channel_hook_request {
	const char *method; /* "GET" or "POST" */
	const char *body;   /* the raw bytes as received (signatures are over them) */
	size_t body_len;
	const char *client_ip;
	const void *http; /* passed back to header() and query() */
	const char *(*header)(const void *http, const char *name);
	const char *(*query)(const void *http, const char *name);
} channel_hook_request;

/* What the adapter makes of a delivery. The route stores messages first and
 * answers only after they are durable. */
typedef struct channel_hook_answer {
	json_t *messages;         /* owned: an array of ingest messages, without "channel" */
	char *body;               /* owned (malloc) or NULL: a text answered as is */
	const char *content_type; /* of body; static */
	char error[256];          /* why the delivery was refused (a ct_err is returned) */
} channel_hook_answer;

/* What a poll brought. */
typedef struct channel_poll_result {
	json_t *messages; /* owned: an array of ingest messages, without "channel" */
	json_t *cursor;   /* owned: the position after these messages; NULL: unchanged */
	int more;         /* there is more to fetch now: poll again without waiting */
	channel_outcome outcome;
} channel_poll_result;

/* A person's name on the platform, as a profile look-up found it. */
typedef struct channel_profile {
	char name[128];  /* the display name; never empty when found */
	char handle[64]; /* the @-less user name, or "" when the platform has none */
} channel_profile;

typedef struct channel_kind {
	const char *kind;
	/* The <kind> of its webhook URL when it differs from kind (the Meta
	 * channels facebook, instagram and whatsapp share "meta"). */
	const char *hook_kind;
	/* Deliver reply. CT_OK when delivered (out->external_id set when the
	 * platform names the new message). */
	ct_err (*send_reply)(const channel_ctx *ch, const channel_reply *reply,
			     channel_outcome *out);
	/* A webhook delivery to /hooks/<kind>/<channel id>. CT_OK: answer 200
	 * (with answer->body when set) after storing answer->messages;
	 * CT_ERR_UNAUTHORIZED (401) for a bad signature or token, CT_ERR_INVALID
	 * (400) for a payload that is not the platform's; nothing is stored then. */
	ct_err (*receive_hook)(const channel_ctx *ch, const channel_hook_request *req,
			       channel_hook_answer *answer);
	/* Fetch what is new since cursor (borrowed; NULL on the first poll). On
	 * error result->outcome says why; messages fetched before the error may
	 * still be returned with the cursor that covers exactly them. */
	ct_err (*poll)(const channel_ctx *ch, const json_t *cursor, channel_poll_result *result);
	/* Share (boost, repost) the platform's message external_id; meta is
	 * that message's meta (JSON text or NULL). */
	ct_err (*share)(const channel_ctx *ch, const char *external_id, const char *meta,
			const char *idempotency_key, channel_outcome *out);
	/* Hide (hide = 1) or show again (0) a public comment. */
	ct_err (*hide)(const channel_ctx *ch, const char *external_id, const char *meta, int hide,
		       channel_outcome *out);
	/* Look up the name of author_id, the platform's id of the author of a
	 * message whose meta is given (JSON text or NULL), into who. CT_OK with
	 * who->name set; otherwise out says why (permanent when no name is to
	 * be had, retry_after_ms when the platform asked to wait). */
	ct_err (*profile)(const channel_ctx *ch, const char *author_id, const char *meta,
			  channel_profile *who, channel_outcome *out);
	/* Block until the platform signals news (IMAP IDLE) or max_s have
	 * passed; CT_OK when there may be news (a poll follows at once). A
	 * listener thread per channel calls it; stop is set when it should end. */
	ct_err (*wait)(const channel_ctx *ch, int max_s, const atomic_int *stop);
	/* Seconds between polls when config.poll_every_s says nothing (0: 60). */
	int poll_every_s;
	/* The config keys and secret names the adapter reads (NULL-ended), so
	 * that the settings page offers them before they are set. */
	const char *config_fields[14];
	const char *secret_fields[6];
} channel_kind;

/* The adapters, one per file (or folder) in channels/. */
extern const channel_kind channel_api;
extern const channel_kind channel_facebook;
extern const channel_kind channel_instagram;
extern const channel_kind channel_whatsapp;
extern const channel_kind channel_telegram;
extern const channel_kind channel_mastodon;
extern const channel_kind channel_x;
extern const channel_kind channel_email;
extern const channel_kind channel_widget;

/* The adapter for a kind ("api", ...), or NULL. */
const channel_kind *channel_find(const char *kind);

/* The i-th adapter (from 0), NULL past the last: for forms and messages. */
const channel_kind *channel_kind_at(size_t i);

/* config.base_url (saved without a trailing slash), or fallback when it is
 * absent or empty. Borrowed. */
const char *channel_base_url(const channel_ctx *ch, const char *fallback);

/* A secret by name, or NULL; borrowed from ch->secrets. */
const char *channel_secret(const channel_ctx *ch, const char *name);

/* A string of config by name, or NULL; borrowed. */
const char *channel_config_string(const channel_ctx *ch, const char *name);

/* Record in out why a call failed (for people, never a secret) and whether
 * retrying cannot help. Returns CT_ERR_IO: what the caller does next
 * depends on out, not on the code. */
ct_err channel_fail(channel_outcome *out, int permanent, const char *why);

/* The secret name that a call cannot do without, or NULL with the
 * permanent failure "the channel has no <name>" in out. Borrowed. */
const char *channel_needed_secret(const channel_ctx *ch, const char *name, channel_outcome *out);

#endif

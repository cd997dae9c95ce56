/*
 * relay.h: between the channel adapters (channels/) and the domain.
 *
 * The adapters speak the platforms and know nothing of the store; relay/
 * runs them: a webhook delivery goes through the adapter into ingest and is
 * answered only once it is durable (hook.c); a recurring job per pollable
 * channel polls it and keeps its position and health (poll.c); an agent's
 * reply (reply.c), a share and a hide (action.c) are jobs too; a listener thread per channel that
 * can signal news (IMAP IDLE) brings its poll forward (listen.c). Everything leaves a trace in
 * channel_state (inbox/channel_state.h), which the settings page and the API show as the channel's
 * health.
 */
#ifndef CT_RELAY_H
#define CT_RELAY_H

#include <jansson.h>
#include <stdint.h>

#include "app.h"
#include "audit/audit.h"
#include "channels/channel.h"
#include "core/buf.h"
#include "core/err.h"
#include "ingest/ingest.h"

/* A channel opened for its adapter: config and secrets parsed. */
typedef struct relay_channel {
	int64_t id;
	char *kind;
	char *name;
	json_t *config;
	json_t *secrets; /* opened; never logged */
	char *files_dir;
	const channel_kind *adapter; /* NULL: no adapter for kind */
	channel_ctx ctx;             /* borrows the fields above */
} relay_channel;

/* Read channel id (CT_ERR_NOT_FOUND when there is none) on c. Its ctx can
 * load and save the channel's secrets (for tokens an adapter renews) on
 * its own, after c is released. Free with relay_channel_free in every case. */
ct_err relay_channel_open(app *a, store_conn *c, int64_t id, relay_channel *ch);
void relay_channel_free(relay_channel *ch);

/* What a webhook delivery came to, for the route to answer. */
typedef struct relay_hook_result {
	ct_err err; /* CT_OK: answer 200 */
	char *body; /* owned: the adapter's text answer, or NULL */
	const char *content_type;
	err_detail error; /* why, when err is set */
	int stored;       /* new messages stored */
	int duplicates;   /* messages stored before */
} relay_hook_result;

/* Take a webhook delivery to /hooks/<kind>/<id>: the adapter checks and
 * parses it, ingest stores what it brought, the channel's health records
 * it. Free out->body. */
void relay_receive_hook(app *a, const char *kind, int64_t id, const channel_hook_request *req,
			relay_hook_result *out);

/* Queue a share (action "share") or hide / show ("hide" with hidden 1 / 0)
 * of message id on its platform, as a job, inside one write with its audit
 * entry. CT_ERR_NOT_FOUND: no such message; CT_ERR_CONFLICT: the channel
 * cannot do it (d says why). */
ct_err relay_queue_action(app *a, const actor *who, int64_t message_id, const char *action,
			  int hidden, err_detail *d);

/* Register the jobs and ticks of relay/ (before jobs_start). */
void relay_register(void);

/* Start and stop the listener threads (serve). */
void relay_listeners_start(app *a);
void relay_listeners_stop(void);

#endif

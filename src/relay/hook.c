/*
 * hook.c: a webhook delivery, from the adapter into ingest (see relay.h).
 *
 * The channel must exist and its adapter take webhooks under this <kind>;
 * anything else is 404, so that the URL space says nothing about which
 * channels exist. The adapter checks the signature or token and parses the
 * payload; what it returns goes through ingest_take (de-duplicated by
 * external id, triaged, durable) before the answer. Each delivery is
 * recorded in the channel's health: a success, or the reason it was refused.
 * The same write queues the look-up of the names of new messages' authors
 * who came without one (profile.c), for an adapter that can look them up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "inbox/channel_state.h"
#include "jobs/jobs.h"
#include "relay/relay.h"
#include "relay/relay_internal.h"

/* The ids of the messages a delivery stored new, whose authors' names are
 * to be looked up; owned. */
typedef struct new_messages {
	int64_t *ids;
	size_t n;
} new_messages;

typedef struct health_write {
	int64_t channel_id;
	const char *error;
	const new_messages *lookup; /* NULL: the adapter looks up no names */
	int max_attempts;
	int queued; /* out: look-ups queued */
} health_write;

static ct_err write_health(store_conn *c, void *arg)
{
	health_write *h = arg;
	channel_state_update u = {.channel_id = h->channel_id,
				  .now_ms = time_now_ms(),
				  .error = h->error,
				  .next_poll_at = -1,
				  .wait_until = -1};
	h->queued = 0;
	ct_err err = channel_state_record(c, &u);
	if (!err && h->lookup && h->lookup->n > 0)
		err = relay_profile_queue(c, h->channel_id, h->lookup->ids, h->lookup->n,
					  h->max_attempts, &h->queued);
	return err;
}

/* Record the delivery in the channel's health, and queue the look-ups of
 * lookup (may be NULL) in the same write. */
static void record_health(app *a, int64_t channel_id, const char *error, const new_messages *lookup)
{
	health_write h = {channel_id, error, lookup, (int)a->cfg.jobs_max_attempts, 0};
	if (store_write(a->store, write_health, &h) == CT_OK && h.queued > 0 && a->jobs)
		jobs_wake(a->jobs);
}

static void refuse(relay_hook_result *out, ct_err err, const char *field, const char *message)
{
	out->err = err_set(&out->error, err, field ? field : "", message);
}

/* The channel behind /hooks/<kind>/<id>, or CT_ERR_NOT_FOUND. */
static ct_err open_hook_channel(app *a, const char *kind, int64_t id, relay_channel *ch)
{
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = relay_channel_open(a, c, id, ch);
	store_reader_release(a->store, c);
	if (err)
		return err;
	const channel_kind *k = ch->adapter;
	if (!k || !k->receive_hook || strcmp(k->hook_kind ? k->hook_kind : k->kind, kind) != 0)
		return CT_ERR_NOT_FOUND;
	return CT_OK;
}

/* Store what the adapter brought; fill out, and fresh (when not NULL) with
 * the ids of the messages stored new. */
static void store_messages(app *a, relay_channel *ch, json_t *messages, relay_hook_result *out,
			   new_messages *fresh)
{
	ingest_batch b;
	ct_err err = ingest_take(a, messages, ch->name, ch->id, &b);
	if (err) {
		int bad_input = err == CT_ERR_INVALID || err == CT_ERR_TOO_LARGE;
		refuse(out, bad_input ? CT_ERR_INVALID : err, b.err_field,
		       bad_input ? buf_cstr(&b.err_msg) : "the messages could not be stored");
		out->error.index = b.err_index;
	} else {
		if (fresh && b.n > 0)
			fresh->ids = xcalloc(b.n, sizeof(*fresh->ids));
		for (size_t i = 0; i < b.n; i++) {
			if (b.results[i].duplicate) {
				out->duplicates++;
				continue;
			}
			out->stored++;
			if (fresh)
				fresh->ids[fresh->n++] = b.results[i].message_id;
		}
	}
	ingest_batch_free(&b);
}

void relay_receive_hook(app *a, const char *kind, int64_t id, const channel_hook_request *req,
			relay_hook_result *out)
{
	memset(out, 0, sizeof(*out));
	out->error.index = -1;
	relay_channel ch;
	ct_err err = open_hook_channel(a, kind, id, &ch);
	if (err) {
		refuse(out, err, NULL,
		       err == CT_ERR_NOT_FOUND ? "no such webhook"
					       : "the channel could not be read");
		relay_channel_free(&ch);
		return;
	}
	channel_hook_answer answer = {0};
	new_messages fresh = {0};
	err = ch.adapter->receive_hook(&ch.ctx, req, &answer);
	if (err) {
		refuse(out, err, NULL, answer.error[0] ? answer.error : "the delivery was refused");
		json_decref(answer.messages);
		free(answer.body);
	} else {
		out->body = answer.body;
		out->content_type = answer.content_type;
		if (json_array_size(answer.messages) > 0)
			store_messages(a, &ch, answer.messages, out,
				       ch.adapter->profile ? &fresh : NULL);
		else
			json_decref(answer.messages);
	}
	char error[300];
	if (out->err)
		snprintf(error, sizeof(error), "webhook refused (HTTP %d): %s",
			 err_http_status(out->err), out->error.message);
	record_health(a, ch.id, out->err ? error : NULL, &fresh);
	free(fresh.ids);
	relay_channel_free(&ch);
}

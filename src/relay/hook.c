/*
 * hook.c: a webhook delivery, from the adapter into ingest (see relay.h).
 *
 * The channel must exist and its adapter take webhooks under this <kind>;
 * anything else is 404, so that the URL space says nothing about which
 * channels exist. The adapter checks the signature or token and parses the
 * payload; what it returns goes through ingest_take (de-duplicated by
 * external id, triaged, durable) before the answer. Each delivery is
 * recorded in the channel's health: a success, or the reason it was refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "inbox/channel_state.h"
#include "relay/relay.h"

typedef struct health_write {
	int64_t channel_id;
	const char *error;
} health_write;

static ct_err write_health(store_conn *c, void *arg)
{
	health_write *h = arg;
	channel_state_update u = {.channel_id = h->channel_id,
				  .now_ms = time_now_ms(),
				  .error = h->error,
				  .next_poll_at = -1,
				  .wait_until = -1};
	return channel_state_record(c, &u);
}

static void record_health(app *a, int64_t channel_id, const char *error)
{
	health_write h = {channel_id, error};
	store_write(a->store, write_health, &h);
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

/* Store what the adapter brought; fill out. */
static void store_messages(app *a, relay_channel *ch, json_t *messages, relay_hook_result *out)
{
	ingest_batch b;
	ct_err err = ingest_take(a, messages, ch->name, ch->id, &b);
	if (err) {
		int bad_input = err == CT_ERR_INVALID || err == CT_ERR_TOO_LARGE;
		refuse(out, bad_input ? CT_ERR_INVALID : err, b.err_field,
		       bad_input ? buf_cstr(&b.err_msg) : "the messages could not be stored");
		out->error.index = b.err_index;
	} else {
		for (size_t i = 0; i < b.n; i++) {
			if (b.results[i].duplicate)
				out->duplicates++;
			else
				out->stored++;
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
	err = ch.adapter->receive_hook(&ch.ctx, req, &answer);
	if (err) {
		refuse(out, err, NULL, answer.error[0] ? answer.error : "the delivery was refused");
		json_decref(answer.messages);
		free(answer.body);
	} else {
		out->body = answer.body;
		out->content_type = answer.content_type;
		if (json_array_size(answer.messages) > 0)
			store_messages(a, &ch, answer.messages, out);
		else
			json_decref(answer.messages);
	}
	char error[300];
	if (out->err)
		snprintf(error, sizeof(error), "webhook refused (HTTP %d): %s",
			 err_http_status(out->err), out->error.message);
	record_health(a, ch.id, out->err ? error : NULL);
	relay_channel_free(&ch);
}

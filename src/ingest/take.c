/*
 * take.c: ingest for a running server, one way for every source (the
 * ingest API, webhooks, polls): see ingest_take in ingest.h.
 */
#include <stdio.h>

#include "app.h"
#include "core/timeutil.h"
#include "ingest/ingest.h"
#include "jobs/jobs.h"
#include "templates/templates.h"

/* Set "channel" of every message object in messages to name. */
static void stamp_channel(json_t *messages, const char *name)
{
	size_t i;
	json_t *m;
	json_array_foreach(messages, i, m) if (json_is_object(m))
		json_object_set_new(m, "channel", json_string(name));
}

static void publish_received(app *a, const ingest_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->results[i].duplicate)
			continue;
		char data[128];
		snprintf(data, sizeof(data), "{\"conversation_id\":%lld,\"message_id\":%lld}",
			 (long long)b->results[i].conversation_id,
			 (long long)b->results[i].message_id);
		events_publish(a->events, "message.received", data);
	}
}

ct_err ingest_take(app *a, json_t *messages, const char *channel_name, int64_t only_channel_id,
		   ingest_batch *b)
{
	if (channel_name)
		stamp_channel(messages, channel_name);
	ingest_options lim = {.max_batch = (size_t)a->cfg.ingest_max_batch,
			      .max_text = (size_t)a->cfg.ingest_max_text,
			      .reopen_window_ms = a->cfg.reopen_window_s * 1000,
			      .only_channel_id = only_channel_id,
			      .triage = triage_active_get(&a->triage, a->store, 0),
			      .reply_attempts = (int)a->cfg.jobs_max_attempts,
			      .auto_reply_author = a->cfg.org_name,
			      .template_grace_ms = template_grace_ms(&a->cfg)};
	ct_err err = ingest_parse(messages, &lim, time_now_ms(), b);
	if (!err)
		err = ingest_commit(a->store, &lim, b);
	if (lim.triage && !err && a->jobs)
		jobs_wake(a->jobs); /* automatic replies may wait */
	triage_engine_unref(lim.triage);
	if (!err)
		publish_received(a, b);
	return err;
}

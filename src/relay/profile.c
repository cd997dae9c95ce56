/*
 * profile.c: looking up the names of senders whose messages carry only an
 * id (Messenger and Instagram direct messages), as a job.
 *
 * The webhook route (hook.c) answers as soon as the messages are on disk, so
 * the look-up cannot sit in it. In the write after ingest, relay_profile_queue
 * queues the job "profile_lookup" for each new message whose contact has no
 * name yet, when the channel's adapter can look names up. Its key
 * "profile:<channel id>:<author's external id>" makes one look-up of a
 * sender, however often they write: a key queued, done or failed before is
 * not queued again. The job reads the author's id and the message's meta,
 * lets the read connection go, asks the adapter, and records the name: the
 * contact's name only while the contact has none (a name someone set stays),
 * the identity's name and handle where they are empty. The messages keep
 * the author name they came with. Retries and backoff are the job queue's;
 * a permanent failure (the platform knows no such person, gives no name)
 * leaves everything as it was.
 *
 * The name found travels from run to record in the outcome's found, as a
 * JSON object {"name", "handle"}: record runs on the writer thread and sees
 * nothing of run but the job and its outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"
#include "relay/relay.h"
#include "relay/relay_internal.h"

#define JOB_PROFILE_LOOKUP "profile_lookup"
#define ANNOUNCE_MAX 20 /* conversations told about a new name */

/* The author of a new message, when the contact has no name yet. */
static const char SQL_NAMELESS_AUTHOR[] =
	"SELECT i.id, i.external_id FROM messages m JOIN identities i ON i.id = m.identity_id"
	" JOIN contacts co ON co.id = i.contact_id WHERE m.id = $1 AND m.channel_id = $2"
	" AND m.direction = 'in' AND coalesce(co.name, '') = '' AND co.erased_at IS NULL";
/* What the look-up needs: the channel, the message's meta, the author's id
 * and whether the contact still has no name. */
static const char SQL_LOOKUP[] =
	"SELECT m.channel_id, m.meta, i.external_id, coalesce(co.name, '')"
	" FROM messages m JOIN identities i ON i.id = m.identity_id"
	" JOIN contacts co ON co.id = i.contact_id WHERE m.id = $1 AND i.id = $2";
static const char SQL_NAME_CONTACT[] =
	"UPDATE contacts SET name = $2, updated_at = $3"
	" WHERE id = (SELECT contact_id FROM identities WHERE id = $1)"
	" AND coalesce(name, '') = '' AND erased_at IS NULL";
static const char SQL_NAME_IDENTITY[] =
	"UPDATE identities SET name = coalesce(nullif(name, ''), $2),"
	" handle = coalesce(nullif(handle, ''), $3) WHERE id = $1";
static const char SQL_CONVERSATIONS[] =
	"SELECT c.id FROM conversations c JOIN identities i ON i.contact_id = c.contact_id"
	" AND i.channel_id = c.channel_id WHERE i.id = $1"
	" ORDER BY c.last_activity_at DESC LIMIT $2";

/* Queue the look-up of the author of message_id (identity_id, whose
 * platform id is external_id) on channel_id, counted in *queued unless it
 * was queued or done before. */
static ct_err queue_one(store_conn *c, int64_t channel_id, int64_t message_id, int64_t identity_id,
			const char *external_id, int max_attempts, int *queued)
{
	char key[320], payload[96];
	int n = snprintf(key, sizeof(key), "profile:%lld:%s", (long long)channel_id, external_id);
	if (n < 0 || (size_t)n >= sizeof(key))
		return CT_OK; /* no id of a platform is that long: nothing to look up */
	snprintf(payload, sizeof(payload), "{\"message_id\":%lld,\"identity_id\":%lld}",
		 (long long)message_id, (long long)identity_id);
	ct_err err = jobs_enqueue(c, JOB_PROFILE_LOOKUP, payload, key, max_attempts, time_now_ms());
	if (err == CT_ERR_CONFLICT)
		return CT_OK; /* looked up, or about to be */
	if (!err)
		(*queued)++;
	return err;
}

ct_err relay_profile_queue(store_conn *c, int64_t channel_id, const int64_t *message_ids, size_t n,
			   int max_attempts, int *queued)
{
	*queued = 0;
	for (size_t i = 0; i < n; i++) {
		store_stmt *st = store_prepare(c, SQL_NAMELESS_AUTHOR);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, message_ids[i]);
		store_bind_int(st, 2, channel_id);
		int rc = store_step(st);
		if (rc == STORE_ERROR) {
			store_reset(st);
			return CT_ERR_STORE;
		}
		int64_t identity_id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
		char *external_id = rc == STORE_ROW ? xstrdup(store_col_text(st, 1)) : NULL;
		store_reset(st);
		ct_err err = external_id ? queue_one(c, channel_id, message_ids[i], identity_id,
						     external_id, max_attempts, queued)
					 : CT_OK;
		free(external_id);
		if (err)
			return err;
	}
	return CT_OK;
}

/* What run read, owned. */
typedef struct lookup {
	int64_t channel_id;
	char *meta;
	char *external_id;
	int named; /* the contact has a name meanwhile */
} lookup;

static void lookup_free(lookup *l)
{
	free(l->meta);
	free(l->external_id);
}

/* Read the look-up of job j into l on c; CT_ERR_NOT_FOUND when the message
 * or its author is gone (erased). */
static ct_err read_lookup(store_conn *c, const job *j, lookup *l)
{
	store_stmt *st = store_prepare(c, SQL_LOOKUP);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, job_payload_int(j, "message_id"));
	store_bind_int(st, 2, job_payload_int(j, "identity_id"));
	int rc = store_step(st);
	if (rc != STORE_ROW) {
		store_reset(st);
		return rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
	}
	l->channel_id = store_col_int(st, 0);
	l->meta = store_col_is_null(st, 1) ? NULL : xstrdup(store_col_text(st, 1));
	l->external_id = xstrdup(store_col_text(st, 2));
	l->named = store_col_text(st, 3)[0] != '\0';
	store_reset(st);
	return CT_OK;
}

/* who into out->found as {"name", "handle"}; a name too long for it (the
 * adapter's limits make that impossible) is taken as none to be had. */
static ct_err carry_profile(const channel_profile *who, job_outcome *out)
{
	json_t *v = json_pack("{s:s, s:s}", "name", who->name, "handle", who->handle);
	char *text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	ct_err err = CT_OK;
	if (text && strlen(text) < sizeof(out->found))
		memcpy(out->found, text, strlen(text) + 1);
	else
		err = channel_fail(out, 1, "the name found is too long to store");
	free(text);
	return err;
}

static ct_err profile_run(app *a, const job *j, job_outcome *out)
{
	lookup l = {0};
	relay_channel ch = {0};
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = read_lookup(c, j, &l);
	if (!err && !l.named)
		err = relay_channel_open(a, c, l.channel_id, &ch);
	store_reader_release(a->store, c); /* not held while the platform answers */
	channel_profile who;
	memset(&who, 0, sizeof(who));
	if (err == CT_ERR_NOT_FOUND) {
		channel_fail(out, 1, "the message or its author no longer exists");
	} else if (!err && l.named) {
		/* someone named the contact meanwhile: nothing to look up */
	} else if (!err && ch.adapter && ch.adapter->profile) {
		err = ch.adapter->profile(&ch.ctx, l.external_id, l.meta, &who, out);
		if (!err)
			err = carry_profile(&who, out);
	} else if (!err) {
		err = channel_fail(out, 1, "the channel cannot look up names");
	}
	relay_channel_free(&ch);
	lookup_free(&l);
	return err;
}

/* A statement of sql on c with $1 = identity_id and $2 = name bound, or
 * NULL (a store error). */
static store_stmt *prepare_name(store_conn *c, const char *sql, int64_t identity_id,
				const char *name)
{
	store_stmt *st = store_prepare(c, sql);
	if (st) {
		store_bind_int(st, 1, identity_id);
		store_bind_text(st, 2, name);
	}
	return st;
}

/* Store name (and handle, may be NULL) of identity_id where none is yet. */
static ct_err record_name(store_conn *c, int64_t identity_id, const char *name, const char *handle)
{
	store_stmt *st = prepare_name(c, SQL_NAME_CONTACT, identity_id, name);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 3, time_now_ms());
	ct_err err = store_run(st);
	if (err)
		return err;
	st = prepare_name(c, SQL_NAME_IDENTITY, identity_id, name);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 3, handle);
	return store_run(st);
}

static ct_err profile_record(store_conn *c, const job *j, ct_err result, const job_outcome *out,
			     int failed)
{
	(void)failed;
	if (result != CT_OK || !out->found[0])
		return CT_OK; /* failed, or nothing looked up */
	json_t *v = json_loads(out->found, 0, NULL);
	const char *name = json_string_value(json_object_get(v, "name"));
	const char *handle = json_string_value(json_object_get(v, "handle"));
	ct_err err = CT_OK;
	if (name && *name)
		err = record_name(c, job_payload_int(j, "identity_id"), name,
				  handle && *handle ? handle : NULL);
	json_decref(v);
	return err;
}

/* Tell the live views of the author's conversations that a name came. */
static void profile_announce(app *a, const job *j, ct_err result, int failed)
{
	(void)failed;
	if (result != CT_OK)
		return;
	int64_t ids[ANNOUNCE_MAX];
	int n = 0;
	store_conn *c = store_reader_acquire(a->store);
	store_stmt *st = store_prepare(c, SQL_CONVERSATIONS);
	if (st) {
		store_bind_int(st, 1, job_payload_int(j, "identity_id"));
		store_bind_int(st, 2, ANNOUNCE_MAX);
		while (n < ANNOUNCE_MAX && store_step(st) == STORE_ROW)
			ids[n++] = store_col_int(st, 0);
		store_reset(st);
	}
	store_reader_release(a->store, c);
	for (int i = 0; i < n; i++) {
		char data[64];
		snprintf(data, sizeof(data), "{\"conversation_id\":%lld}", (long long)ids[i]);
		events_publish(a->events, "conversation.updated", data);
	}
}

static const job_kind profile_job = {
	.name = JOB_PROFILE_LOOKUP,
	.run = profile_run,
	.record = profile_record,
	.announce = profile_announce,
};

void relay_profile_register(void)
{
	jobs_register_kind(&profile_job);
}

/*
 * channel.c: a channel read from the store and opened for its adapter
 * (see relay.h), with the way back for secrets an adapter renews: it reads
 * them as stored now and stores renewed ones (merged, sealed, committed and
 * audited by the system, by name only) before it uses them.
 *
 * Work that must not race across the nodes sharing a store (rotating a
 * refresh token) runs under a lease named after the channel and the work
 * (exclusive), held for the network timeout plus a margin.
 *
 * A secret that can be derived need not be stored: a website widget without
 * the secret "cookie_key" gets the key derived from the installation's key
 * and its id, so that every route and job that opens it signs and checks its
 * visitor cookies with the same key.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channels/widget.h"
#include "core/timeutil.h"
#include "inbox/inbox.h"
#include "jobs/leader.h"
#include "relay/relay.h"

#define EXCLUSIVE_MARGIN_MS 10000 /* beyond the network timeout */
#define EXCLUSIVE_RETRY_MS 200

static const char SQL_CHANNEL[] =
	"SELECT id, kind, name, config, secrets FROM channels WHERE id = $1";
static const char SQL_SECRETS[] = "SELECT secrets FROM channels WHERE id = $1";

/* A read or a merge of one channel's secrets, on the writer. */
typedef struct secrets_io {
	const app *a;
	int64_t id;
	json_t *changes; /* borrowed: the merge's; NULL: a read */
	json_t *opened;  /* owned: what the read found */
} secrets_io;

/* Read the sealed secrets of io->id into io->opened. */
static ct_err read_secrets(store_conn *c, void *arg)
{
	secrets_io *io = arg;
	json_decref(io->opened);
	io->opened = NULL;
	store_stmt *st = store_prepare(c, SQL_SECRETS);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, io->id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		io->opened = seal_open_object(&io->a->key, store_col_text(st, 0));
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

/* Merge io->changes into the sealed secrets and record "channel.token_renewed"
 * with the names changed, never a value. */
static ct_err merge_secrets(store_conn *c, void *arg)
{
	secrets_io *io = arg;
	ct_err err = channel_settings_merge_secrets(c, &io->a->key, io->id, io->changes);
	json_t *names = json_array();
	const char *name;
	json_t *v;
	json_object_foreach(io->changes, name, v) json_array_append_new(names, json_string(name));
	json_t *after = json_pack("{s:o}", "secrets", names);
	if (!err)
		err = audit_record_json(c, &actor_system, "channel.token_renewed", "channel",
					io->id, NULL, after);
	json_decref(after);
	return err;
}

/* channel_ctx.load_secrets: read on the writer, so that what another
 * thread stored a moment ago is seen. New reference or NULL. */
static json_t *load_secrets(const channel_ctx *ctx)
{
	secrets_io io = {.a = ctx->owner, .id = ctx->id};
	if (store_write(io.a->store, read_secrets, &io) != CT_OK) {
		json_decref(io.opened);
		return NULL;
	}
	return io.opened;
}

/* channel_ctx.save_secrets: one committed write with its audit entry. */
static ct_err save_secrets(const channel_ctx *ctx, const json_t *changed)
{
	if (!json_is_object(changed))
		return CT_ERR_INVALID;
	secrets_io io = {.a = ctx->owner, .id = ctx->id, .changes = json_deep_copy(changed)};
	ct_err err = store_write(io.a->store, merge_secrets, &io);
	json_decref(io.changes);
	return err;
}

/* channel_ctx.exclusive: fn under the lease "channel:<id>:<name>", asked
 * for every EXCLUSIVE_RETRY_MS until another holder's lease has run out. */
static ct_err exclusive(const channel_ctx *ctx, const char *name, ct_err (*fn)(void *arg),
			void *arg)
{
	const app *a = ctx->owner;
	char lease[192];
	snprintf(lease, sizeof(lease), "channel:%lld:%s", (long long)ctx->id, name);
	int64_t ttl_ms = (int64_t)ctx->timeout_s * 1000 + EXCLUSIVE_MARGIN_MS;
	int64_t give_up = time_mono_ms() + ttl_ms + EXCLUSIVE_RETRY_MS;
	for (;;) {
		leader *l = leader_new(a->store, lease, ttl_ms); /* a fresh ask each time */
		if (leader_hold(l)) {
			ct_err err = fn(arg);
			leader_free(l); /* gives the lease up */
			return err;
		}
		leader_free(l);
		if (time_mono_ms() >= give_up)
			return CT_ERR_UNAVAILABLE;
		struct timespec pause = {0, EXCLUSIVE_RETRY_MS * 1000000L};
		nanosleep(&pause, NULL);
	}
}

/* Give ctx its ways back to the store (channel.h): secrets read on the
 * writer, so they see the latest commit; saves that merge, seal, commit and
 * record "channel.token_renewed" by the system; and leases. */
static void bind_store(app *a, channel_ctx *ctx)
{
	ctx->load_secrets = load_secrets;
	ctx->save_secrets = save_secrets;
	ctx->exclusive = exclusive;
	ctx->owner = a;
}

/* Put the secrets that ch's kind derives instead of storing into its opened
 * secrets (see the top of the file). */
static void add_derived_secrets(const app *a, relay_channel *ch)
{
	if (ch->adapter != &channel_widget || widget_cookie_key(&ch->ctx))
		return;
	char key[WIDGET_KEY_HEX];
	widget_derive_key(a->key.bytes, ch->id, key);
	json_object_set_new(ch->secrets, "cookie_key", json_string(key));
	sodium_memzero(key, sizeof(key));
}

ct_err relay_channel_open(app *a, store_conn *c, int64_t id, relay_channel *ch)
{
	memset(ch, 0, sizeof(*ch));
	store_stmt *st = store_prepare(c, SQL_CHANNEL);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc != STORE_ROW) {
		store_reset(st);
		return rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
	}
	ch->id = store_col_int(st, 0);
	ch->kind = xstrdup(store_col_text(st, 1));
	ch->name = xstrdup(store_col_text(st, 2));
	ch->config = json_loads(store_col_text(st, 3), 0, NULL);
	if (!json_is_object(ch->config)) {
		json_decref(ch->config);
		ch->config = json_object();
	}
	ch->secrets = seal_open_object(&a->key, store_col_text(st, 4));
	store_reset(st);
	buf dir;
	buf_init(&dir, 4096);
	buf_printf(&dir, "%s/files", a->cfg.data_dir);
	ch->files_dir = buf_detach(&dir, NULL);
	ch->adapter = channel_find(ch->kind);
	ch->ctx = (channel_ctx){.id = ch->id,
				.name = ch->name,
				.config = ch->config,
				.secrets = ch->secrets,
				.timeout_s = (int)a->cfg.jobs_timeout_s,
				.files_dir = ch->files_dir};
	bind_store(a, &ch->ctx);
	add_derived_secrets(a, ch);
	return CT_OK;
}

void relay_channel_free(relay_channel *ch)
{
	json_decref(ch->secrets);
	json_decref(ch->config);
	free(ch->kind);
	free(ch->name);
	free(ch->files_dir);
	memset(ch, 0, sizeof(*ch));
}

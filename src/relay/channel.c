/*
 * channel.c: a channel read from the store and opened for its adapter
 * (see relay.h).
 */
#include <stdlib.h>
#include <string.h>

#include "relay/relay.h"

static const char SQL_CHANNEL[] =
	"SELECT id, kind, name, config, secrets FROM channels WHERE id = $1";

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

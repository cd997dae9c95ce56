/*
 * channel_settings.c: the channels table as administrators manage it
 * (see inbox.h). A channel has a kind (which adapter handles it), a unique
 * name that messages refer to, and a JSON config for its adapter.
 */
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "core/timeutil.h"
#include "inbox/inbox.h"
#include "inbox/views.h"

static const char SQL_LIST[] = "SELECT id, kind, name, config, created_at FROM channels ORDER BY id";
static const char SQL_GET[] = "SELECT id, kind, name, config, created_at FROM channels WHERE id = $1";
static const char SQL_INSERT[] = "INSERT INTO channels (kind, name, config, created_at)"
				 " VALUES ($1, $2, $3, $4) RETURNING id";
static const char SQL_SET_CONFIG[] = "UPDATE channels SET config = $2 WHERE id = $1";

static json_t *channel_row(store_stmt *st)
{
	json_t *config = json_loads(store_col_text(st, 3), 0, NULL);
	json_t *v = json_pack("{s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)store_col_int(st, 0),
			      "kind", store_col_text(st, 1), "name", store_col_text(st, 2),
			      "config", config ? config : json_object(), "created_at",
			      view_time(st, 4));
	return v;
}

ct_err channel_settings_list(store_conn *c, json_t **data)
{
	*data = json_array();
	store_stmt *st = store_prepare(c, SQL_LIST);
	if (!st)
		return CT_ERR_STORE;
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(*data, channel_row(st));
	store_reset(st);
	return rc == STORE_ERROR ? CT_ERR_STORE : CT_OK;
}

ct_err channel_settings_get(store_conn *c, int64_t id, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_GET);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = channel_row(st);
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

/* config must be an object; webhook_url, when present, an http(s) URL. */
static ct_err check_config(json_t *config, err_detail *d)
{
	if (!json_is_object(config))
		return err_set(d, CT_ERR_INVALID, "config", "config must be an object");
	json_t *url = json_object_get(config, "webhook_url");
	if (url && !json_is_null(url)) {
		const char *u = json_string_value(url);
		if (!u || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
		    strlen(u) > 2048)
			return err_set(d, CT_ERR_INVALID, "config.webhook_url",
				       "webhook_url must be an http:// or https:// URL");
	}
	return CT_OK;
}

typedef struct channel_write {
	const char *kind, *name;
	char *config;
	int64_t id;
	err_detail *d;
} channel_write;

static ct_err insert_channel(store_conn *c, void *arg)
{
	channel_write *x = arg;
	store_stmt *st = store_prepare(c, SQL_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, x->kind);
	store_bind_text(st, 2, x->name);
	store_bind_text(st, 3, x->config);
	store_bind_int(st, 4, time_now_ms());
	ct_err err = store_one_int(st, &x->id);
	if (err == CT_ERR_CONFLICT)
		err_set(x->d, err, "name", "a channel with this name exists");
	return err;
}

ct_err channel_settings_create(store *s, json_t *body, int64_t *id, err_detail *d)
{
	const char *kind = json_string_value(json_object_get(body, "kind"));
	const char *name = json_string_value(json_object_get(body, "name"));
	json_t *config = json_object_get(body, "config");
	if (!kind || !channel_find(kind))
		return err_set(d, CT_ERR_INVALID, "kind", "kind must name a channel kind (api)");
	if (!name || !*name || strlen(name) > 64)
		return err_set(d, CT_ERR_INVALID, "name", "name must be 1 to 64 bytes");
	if (!config)
		config = json_object();
	else
		json_incref(config);
	ct_err err = check_config(config, d);
	channel_write x = {kind, name, NULL, 0, d};
	if (!err) {
		x.config = json_dumps(config, JSON_COMPACT);
		err = store_write(s, insert_channel, &x);
	}
	free(x.config);
	json_decref(config);
	*id = x.id;
	return err;
}

static ct_err set_config(store_conn *c, void *arg)
{
	channel_write *x = arg;
	store_stmt *st = store_prepare(c, SQL_SET_CONFIG);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->id);
	store_bind_text(st, 2, x->config);
	ct_err err = store_run(st);
	if (!err && store_changes(c) == 0)
		err = CT_ERR_NOT_FOUND;
	return err;
}

ct_err channel_settings_update(store *s, int64_t id, json_t *body, err_detail *d)
{
	json_t *config = json_object_get(body, "config");
	if (!config)
		return err_set(d, CT_ERR_INVALID, "config", "config is required");
	ct_err err = check_config(config, d);
	if (err)
		return err;
	channel_write x = {NULL, NULL, json_dumps(config, JSON_COMPACT), id, d};
	err = store_write(s, set_config, &x);
	free(x.config);
	return err;
}

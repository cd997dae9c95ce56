/*
 * channel_settings.c: the channels table as administrators manage it
 * (see inbox.h). A channel has a kind (which adapter handles it), a unique
 * name that messages refer to, and a JSON config for its adapter.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "core/timeutil.h"
#include <stdio.h>

#include "inbox/channel_state.h"
#include "inbox/inbox.h"
#include "inbox/views.h"
#include "store/columns.h"

#define CHANNEL_COLUMNS "id, kind, name, config, created_at, secrets"
static const char SQL_LIST[] = "SELECT " CHANNEL_COLUMNS " FROM channels ORDER BY id";
static const char SQL_GET[] = "SELECT " CHANNEL_COLUMNS " FROM channels WHERE id = $1";
static const char SQL_INSERT[] = "INSERT INTO channels (kind, name, config, secrets, created_at)"
				 " VALUES ($1, $2, $3, $4, $5) RETURNING id";
static const char SQL_SET_CONFIG[] = "UPDATE channels SET config = $2 WHERE id = $1";
static const char SQL_SET_SECRETS[] = "UPDATE channels SET secrets = $2 WHERE id = $1";
static const char SQL_SECRETS_OF[] = "SELECT secrets FROM channels WHERE id = $1";

/* A channel as the API shows it: its secrets by name only. */
static json_t *channel_row(store_stmt *st, const seal_key *key)
{
	json_t *config = json_loads(store_col_text(st, 3), 0, NULL);
	json_t *names = json_array();
	json_t *secrets = seal_open_object(key, store_col_text(st, 5));
	const char *name;
	json_t *value;
	json_object_foreach(secrets, name, value) json_array_append_new(names, json_string(name));
	json_decref(secrets);
	json_t *v =
		json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)store_col_int(st, 0),
			  "kind", store_col_text(st, 1), "name", store_col_text(st, 2), "config",
			  config ? config : json_object(), "secrets", names, "created_at",
			  col_json_time(st, 4));
	const channel_kind *k = channel_find(store_col_text(st, 1));
	if (k && k->receive_hook) {
		char path[96];
		snprintf(path, sizeof(path), "/hooks/%s/%lld",
			 k->hook_kind ? k->hook_kind : k->kind, (long long)store_col_int(st, 0));
		json_object_set_new(v, "webhook_path", json_string(path));
	}
	return v;
}

/* Add "health" (channel_state.h) to each channel of the array data. */
static ct_err add_health(store_conn *c, json_t *data)
{
	size_t i;
	json_t *ch;
	int64_t now = time_now_ms();
	json_array_foreach(data, i, ch)
	{
		json_t *health = NULL;
		ct_err err = channel_state_health(c, json_integer_value(json_object_get(ch, "id")),
						  now, &health);
		if (err)
			return err;
		json_object_set_new(ch, "health", health);
	}
	return CT_OK;
}

ct_err channel_settings_list(store_conn *c, const seal_key *key, json_t **data)
{
	*data = json_array();
	store_stmt *st = store_prepare(c, SQL_LIST);
	if (!st)
		return CT_ERR_STORE;
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(*data, channel_row(st, key));
	store_reset(st);
	return rc == STORE_ERROR ? CT_ERR_STORE : add_health(c, *data);
}

/* The channel without its health (as the audit log records it). */
static ct_err get_row(store_conn *c, const seal_key *key, int64_t id, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_GET);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = channel_row(st, key);
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

ct_err channel_settings_get(store_conn *c, const seal_key *key, int64_t id, json_t **out)
{
	ct_err err = get_row(c, key, id, out);
	json_t *health = NULL;
	if (!err)
		err = channel_state_health(c, id, time_now_ms(), &health);
	if (err) {
		json_decref(*out);
		*out = NULL;
		return err;
	}
	json_object_set_new(*out, "health", health);
	return CT_OK;
}

/* config.<name>, when present, must be an http(s) URL; a trailing slash is
 * dropped when strip_slash (a base URL that paths are appended to). */
static ct_err check_url(json_t *config, const char *name, int strip_slash, err_detail *d)
{
	json_t *url = json_object_get(config, name);
	if (!url || json_is_null(url))
		return CT_OK;
	const char *u = json_string_value(url);
	char field[64], message[128];
	snprintf(field, sizeof(field), "config.%s", name);
	snprintf(message, sizeof(message), "%s must be an http:// or https:// URL", name);
	if (!u || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
	    strlen(u) > 2048)
		return err_set(d, CT_ERR_INVALID, field, message);
	size_t n = strlen(u);
	if (strip_slash && n > 8 && u[n - 1] == '/') {
		while (n > 8 && u[n - 1] == '/')
			n--;
		json_object_set_new(config, name, json_stringn(u, n));
	}
	return CT_OK;
}

/* config must be an object; webhook_url and base_url, when present, http(s)
 * URLs; poll_every_s, when present, 1 second to a day. */
static ct_err check_config(json_t *config, err_detail *d)
{
	if (!json_is_object(config))
		return err_set(d, CT_ERR_INVALID, "config", "config must be an object");
	ct_err err = check_url(config, "webhook_url", 0, d);
	if (!err)
		err = check_url(config, "base_url", 1, d);
	json_t *every = json_object_get(config, "poll_every_s");
	if (!err && every && !json_is_null(every) &&
	    (!json_is_integer(every) || json_integer_value(every) < 1 ||
	     json_integer_value(every) > 86400))
		err = err_set(d, CT_ERR_INVALID, "config.poll_every_s",
			      "poll_every_s must be a whole number of seconds from 1 to 86400");
	return err;
}

/* secrets: an object of strings (null removes a secret). */
static ct_err check_secrets(json_t *secrets, err_detail *d)
{
	if (!secrets)
		return CT_OK;
	if (!json_is_object(secrets))
		return err_set(d, CT_ERR_INVALID, "secrets",
			       "secrets must be an object of strings");
	const char *name;
	json_t *v;
	json_object_foreach(secrets, name, v) if (
		!(json_is_string(v) || json_is_null(v)) || strlen(name) > 64 ||
		json_string_length(v) >
			8192) return err_set(d, CT_ERR_INVALID, "secrets",
					     "each secret must be a string of at most 8 KiB");
	return CT_OK;
}

typedef struct channel_write {
	const actor *who;
	const seal_key *key;
	const char *kind, *name;
	json_t *config;  /* borrowed; NULL keeps the config */
	json_t *secrets; /* borrowed; changes to merge, NULL keeps them */
	int64_t id;
	err_detail *d;
} channel_write;

/* The sealed text (owned) of channel id's secrets (none when id is 0) with
 * changes merged in. */
static char *merged_secrets(store_conn *c, const seal_key *key, int64_t id, json_t *changes)
{
	json_t *current = json_object();
	store_stmt *st = id ? store_prepare(c, SQL_SECRETS_OF) : NULL;
	if (st) {
		store_bind_int(st, 1, id);
		if (store_step(st) == STORE_ROW) {
			json_decref(current);
			current = seal_open_object(key, store_col_text(st, 0));
		}
		store_reset(st);
	}
	const char *name;
	json_t *v;
	json_object_foreach(changes, name, v)
	{
		if (json_is_null(v))
			json_object_del(current, name);
		else
			json_object_set(current, name, v);
	}
	char *plain = json_dumps(current, JSON_COMPACT);
	char *sealed = seal_text(key, plain, strlen(plain));
	sodium_memzero(plain, strlen(plain));
	free(plain);
	json_decref(current);
	return sealed;
}

ct_err channel_settings_merge_secrets(store_conn *c, const seal_key *key, int64_t id,
				      json_t *changes)
{
	store_stmt *st = store_prepare(c, SQL_SET_SECRETS);
	if (!st)
		return CT_ERR_STORE;
	char *sealed = merged_secrets(c, key, id, changes);
	store_bind_int(st, 1, id);
	store_bind_text(st, 2, sealed);
	ct_err err = store_run(st);
	free(sealed);
	return err;
}

/* What the audit log records of a channel: never the secrets' values. */
static json_t *audit_view(store_conn *c, channel_write *x)
{
	json_t *v = NULL;
	get_row(c, x->key, x->id, &v);
	return v;
}

static ct_err insert_channel(store_conn *c, void *arg)
{
	channel_write *x = arg;
	store_stmt *st = store_prepare(c, SQL_INSERT);
	if (!st)
		return CT_ERR_STORE;
	char *config = json_dumps(x->config, JSON_COMPACT);
	char *sealed = x->secrets ? merged_secrets(c, x->key, 0, x->secrets) : NULL;
	store_bind_text(st, 1, x->kind);
	store_bind_text(st, 2, x->name);
	store_bind_text(st, 3, config);
	store_bind_text(st, 4, sealed);
	store_bind_int(st, 5, time_now_ms());
	ct_err err = store_one_int(st, &x->id);
	free(config);
	free(sealed);
	if (err == CT_ERR_CONFLICT)
		return err_set(x->d, err, "name", "a channel with this name exists");
	json_t *after = err ? NULL : audit_view(c, x);
	if (!err)
		err = audit_record_json(c, x->who, "channel.created", "channel", x->id, NULL,
					after);
	json_decref(after);
	return err;
}

/* Only these fields; anything else is a mistake worth saying so. */
static ct_err check_keys(json_t *body, const char *const *allowed, err_detail *d)
{
	if (!json_is_object(body))
		return err_set(d, CT_ERR_INVALID, "", "the body must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) if (!str_in_list(key, allowed)) return err_set(
		d, CT_ERR_INVALID, key, "unknown field");
	return CT_OK;
}

/* The refusal of an unknown kind, naming the kinds there are. */
static ct_err unknown_kind(err_detail *d)
{
	buf msg;
	buf_init(&msg, sizeof(d->message));
	buf_puts(&msg, "kind must name a channel kind:");
	const channel_kind *k;
	for (size_t i = 0; (k = channel_kind_at(i)) != NULL; i++)
		buf_printf(&msg, "%s %s", i ? "," : "", k->kind);
	ct_err err = err_set(d, CT_ERR_INVALID, "kind", buf_cstr(&msg));
	buf_free(&msg);
	return err;
}

ct_err channel_settings_create(store *s, const actor *who, const seal_key *key, json_t *body,
			       int64_t *id, err_detail *d)
{
	static const char *const fields[] = {"kind", "name", "config", "secrets", NULL};
	if (check_keys(body, fields, d) != CT_OK)
		return CT_ERR_INVALID;
	const char *kind = json_string_value(json_object_get(body, "kind"));
	const char *name = json_string_value(json_object_get(body, "name"));
	json_t *config = json_object_get(body, "config");
	if (!kind || !channel_find(kind))
		return unknown_kind(d);
	if (!name || !*name || strlen(name) > 64)
		return err_set(d, CT_ERR_INVALID, "name", "name must be 1 to 64 bytes");
	json_t *empty = json_object();
	ct_err err = check_config(config ? config : empty, d);
	if (!err)
		err = check_secrets(json_object_get(body, "secrets"), d);
	channel_write x = {
		who, key, kind, name, config ? config : empty, json_object_get(body, "secrets"),
		0,   d};
	if (!err)
		err = store_write(s, insert_channel, &x);
	json_decref(empty);
	*id = x.id;
	return err;
}

static ct_err update_channel(store_conn *c, void *arg)
{
	channel_write *x = arg;
	json_t *before = audit_view(c, x);
	if (!before)
		return CT_ERR_NOT_FOUND;
	ct_err err = CT_OK;
	store_stmt *st;
	if (x->config && (st = store_prepare(c, SQL_SET_CONFIG))) {
		char *config = json_dumps(x->config, JSON_COMPACT);
		store_bind_int(st, 1, x->id);
		store_bind_text(st, 2, config);
		err = store_run(st);
		free(config);
	}
	if (!err && x->secrets)
		err = channel_settings_merge_secrets(c, x->key, x->id, x->secrets);
	json_t *after = err ? NULL : audit_view(c, x);
	if (!err)
		err = audit_record_json(c, x->who, "channel.updated", "channel", x->id, before,
					after);
	json_decref(before);
	json_decref(after);
	return err;
}

ct_err channel_settings_update(store *s, const actor *who, const seal_key *key, int64_t id,
			       json_t *body, err_detail *d)
{
	static const char *const fields[] = {"config", "secrets", NULL};
	if (check_keys(body, fields, d) != CT_OK)
		return CT_ERR_INVALID;
	json_t *config = json_object_get(body, "config");
	json_t *secrets = json_object_get(body, "secrets");
	if (!config && !secrets)
		return err_set(d, CT_ERR_INVALID, "config", "config or secrets is required");
	ct_err err = config ? check_config(config, d) : CT_OK;
	if (!err)
		err = check_secrets(secrets, d);
	if (err)
		return err;
	channel_write x = {who, key, NULL, NULL, config, secrets, id, d};
	return store_write(s, update_channel, &x);
}

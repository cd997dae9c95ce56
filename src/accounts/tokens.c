/*
 * tokens.c: API tokens for integrations (see accounts.h). A token has a role
 * and optionally a channel: a channel-scoped token may only ingest into and
 * read the conversations of that channel. Only the token's hash is stored;
 * the token itself is shown once. Revoked tokens stay listed.
 */
#include <string.h>

#include "accounts/accounts.h"
#include "core/crypto.h"
#include "core/timeutil.h"
#include "store/columns.h"

static const char SQL_LIST[] =
	"SELECT id, name, role, channel_id, created_at, last_used_at, revoked_at FROM api_tokens"
	" ORDER BY id";
static const char SQL_ONE[] =
	"SELECT id, name, role, channel_id, created_at, last_used_at, revoked_at FROM api_tokens"
	" WHERE id = $1";
static const char SQL_INSERT[] =
	"INSERT INTO api_tokens (name, role, token_hash, channel_id, created_at)"
	" VALUES ($1, $2, $3, $4, $5) RETURNING id";
static const char SQL_REVOKE[] =
	"UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
static const char SQL_CHANNEL_EXISTS[] = "SELECT id FROM channels WHERE id = $1";

static json_t *token_row(store_stmt *st)
{
	return json_pack(
		"{s:I, s:s, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)store_col_int(st, 0),
		"name", store_col_text(st, 1), "role", store_col_text(st, 2), "channel_id",
		store_col_is_null(st, 3) ? json_null() : json_integer(store_col_int(st, 3)),
		"created_at", col_json_time(st, 4), "last_used_at", col_json_time(st, 5),
		"revoked_at", col_json_time(st, 6));
}

ct_err tokens_list(store_conn *c, json_t **data)
{
	*data = json_array();
	store_stmt *st = store_prepare(c, SQL_LIST);
	if (!st)
		return CT_ERR_STORE;
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(*data, token_row(st));
	store_reset(st);
	return rc == STORE_ERROR ? CT_ERR_STORE : CT_OK;
}

static json_t *token_view(store_conn *c, int64_t id)
{
	json_t *v = NULL;
	store_stmt *st = store_prepare(c, SQL_ONE);
	if (!st)
		return NULL;
	store_bind_int(st, 1, id);
	if (store_step(st) == STORE_ROW)
		v = token_row(st);
	store_reset(st);
	return v;
}

typedef struct token_write {
	const actor *who;
	const char *name, *role;
	int64_t channel_id;
	char hash[CRYPTO_TOKEN_HASH_HEX];
	int64_t id;
	err_detail *d;
} token_write;

static ct_err insert_token(store_conn *c, void *arg)
{
	token_write *x = arg;
	store_stmt *st;
	ct_err err = CT_OK;
	if (x->channel_id && (st = store_prepare(c, SQL_CHANNEL_EXISTS))) {
		int64_t found;
		store_bind_int(st, 1, x->channel_id);
		err = store_one_int(st, &found);
		if (err == CT_ERR_NOT_FOUND)
			return err_set(x->d, CT_ERR_INVALID, "channel_id", "no such channel");
	}
	if (err || !(st = store_prepare(c, SQL_INSERT)))
		return err ? err : CT_ERR_STORE;
	store_bind_text(st, 1, x->name);
	store_bind_text(st, 2, x->role);
	store_bind_text(st, 3, x->hash);
	if (x->channel_id)
		store_bind_int(st, 4, x->channel_id);
	store_bind_int(st, 5, time_now_ms());
	err = store_one_int(st, &x->id);
	json_t *after = err ? NULL : token_view(c, x->id);
	if (!err)
		err = audit_record_json(c, x->who, "token.created", "token", x->id, NULL, after);
	json_decref(after);
	return err;
}

ct_err tokens_create(store *s, const actor *who, json_t *body, char token_out[64], int64_t *id,
		     err_detail *d)
{
	token_write x = {.who = who, .d = d};
	x.name = json_string_value(json_object_get(body, "name"));
	x.role = json_string_value(json_object_get(body, "role"));
	json_t *channel = json_object_get(body, "channel_id");
	if (!x.name || !*x.name || strlen(x.name) > 128)
		return err_set(d, CT_ERR_INVALID, "name", "name must be 1 to 128 bytes");
	if (!str_in_list(x.role, account_roles))
		return err_set(d, CT_ERR_INVALID, "role",
			       "role must be admin, supervisor, agent or viewer");
	if (channel && !json_is_null(channel) &&
	    (!json_is_integer(channel) || json_integer_value(channel) <= 0))
		return err_set(d, CT_ERR_INVALID, "channel_id", "channel_id must be a channel id");
	x.channel_id = json_is_integer(channel) ? json_integer_value(channel) : 0;
	crypto_new_token(token_out, 64);
	crypto_hash_token(token_out, strlen(token_out), x.hash);
	ct_err err = store_write(s, insert_token, &x);
	*id = x.id;
	return err;
}

typedef struct revoke_ctx {
	const actor *who;
	int64_t id;
} revoke_ctx;

static ct_err revoke(store_conn *c, void *arg)
{
	revoke_ctx *x = arg;
	json_t *before = token_view(c, x->id);
	if (!before)
		return CT_ERR_NOT_FOUND;
	if (!json_is_null(json_object_get(before, "revoked_at"))) {
		json_decref(before); /* revoked already: nothing changes, nothing to record */
		return CT_OK;
	}
	store_stmt *st = store_prepare(c, SQL_REVOKE);
	ct_err err = CT_ERR_STORE;
	if (st) {
		store_bind_int(st, 1, x->id);
		store_bind_int(st, 2, time_now_ms());
		err = store_run(st);
	}
	json_t *after = err ? NULL : token_view(c, x->id);
	if (!err)
		err = audit_record_json(c, x->who, "token.revoked", "token", x->id, before, after);
	json_decref(before);
	json_decref(after);
	return err;
}

ct_err tokens_revoke(store *s, const actor *who, int64_t id)
{
	revoke_ctx x = {who, id};
	return store_write(s, revoke, &x);
}

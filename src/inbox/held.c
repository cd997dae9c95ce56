/*
 * held.c: replies held for approval under strict wording (see inbox.h,
 * "Held replies"; messages.c holds them).
 *
 * A held reply waits in held_replies, unseen by the customer, until a
 * supervisor decides: approve (as written or edited) turns it into an
 * outbound message by its author plus its delivery job, in one write, and
 * counts as the team's response then; reject keeps it with the reason so
 * the agent sees why. Four eyes: nobody approves their own reply. The
 * audit entries name the held reply and the message, never the text, so
 * erasing a contact's data leaves no copy behind.
 */
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"
#include "inbox/inbox.h"
#include "inbox/outbound.h"
#include "inbox/query.h"
#include "inbox/views.h"
#include "templates/templates.h"

#define HELD_LIST_MAX 200
#define HELD_REASON_MAX 2000

static const char SQL_HELD_ROW[] =
	"SELECT h.state, h.conversation_id, c.channel_id, ch.kind, h.text, h.template_id,"
	" h.template_version, h.template_deviation, h.author_user_id, h.author_name"
	" FROM held_replies h JOIN conversations c ON c.id = h.conversation_id"
	" JOIN channels ch ON ch.id = c.channel_id WHERE h.id = $1";
static const char SQL_VARIANTS[] =
	"SELECT variants FROM template_versions WHERE template_id = $1 AND number = $2";
static const char SQL_APPROVED[] =
	"UPDATE held_replies SET state = 'approved', decided_by = $2, decider_user_id = $3,"
	" decided_at = $4, edited = $5, message_id = $6 WHERE id = $1 AND state = 'pending'";
static const char SQL_REJECTED[] =
	"UPDATE held_replies SET state = 'rejected', decided_by = $2, decider_user_id = $3,"
	" decided_at = $4, reason = $5 WHERE id = $1 AND state = 'pending'";

/* ---- Reading ------------------------------------------------------------- */

ct_err inbox_held_list(store_conn *c, const inbox_scope *scope, const char *state, int limit,
		       json_t **out)
{
	*out = NULL;
	if (!state)
		state = "pending";
	int pending = strcmp(state, "pending") == 0;
	if (!pending && strcmp(state, "approved") != 0 && strcmp(state, "rejected") != 0)
		return CT_ERR_INVALID;
	if (limit <= 0 || limit > HELD_LIST_MAX)
		limit = 50;
	buf sql;
	buf_init(&sql, 4096);
	query_binds b = {0};
	buf_printf(&sql, "SELECT " HELD_COLUMNS HELD_FROM " WHERE h.state = $%d",
		   query_bind_text(&b, state));
	query_scope qs = query_scope_bind(scope, &b);
	query_scope_where(&qs, &sql);
	buf_printf(&sql, " ORDER BY h.id %s LIMIT $%d", pending ? "ASC" : "DESC",
		   query_bind_num(&b, limit));
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	buf_free(&sql);
	if (!st)
		return CT_ERR_STORE;
	query_bind_all(st, &b);
	json_t *list = json_array();
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(list, view_held_reply(st));
	ct_err err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
	store_reset(st);
	if (err)
		json_decref(list);
	else
		*out = list;
	return err;
}

ct_err inbox_held_pending_count(store_conn *c, const inbox_scope *scope, int64_t *n)
{
	*n = 0;
	buf sql;
	buf_init(&sql, 1024);
	query_binds b = {0};
	buf_puts(&sql, "SELECT count(*) FROM held_replies h JOIN conversations c"
		       " ON c.id = h.conversation_id WHERE h.state = 'pending'");
	query_scope qs = query_scope_bind(scope, &b);
	query_scope_where(&qs, &sql);
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	buf_free(&sql);
	if (!st)
		return CT_ERR_STORE;
	query_bind_all(st, &b);
	return store_one_int(st, n);
}

ct_err inbox_held_get(store_conn *c, const inbox_scope *scope, int64_t id, json_t **out)
{
	*out = NULL;
	buf sql;
	buf_init(&sql, 4096);
	query_binds b = {0};
	buf_printf(&sql, "SELECT " HELD_COLUMNS HELD_FROM " WHERE h.id = $%d",
		   query_bind_num(&b, id));
	query_scope qs = query_scope_bind(scope, &b);
	query_scope_where(&qs, &sql);
	store_stmt *st = store_prepare(c, buf_cstr(&sql));
	buf_free(&sql);
	if (!st)
		return CT_ERR_STORE;
	query_bind_all(st, &b);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = view_held_reply(st);
	ct_err err = rc == STORE_ROW    ? CT_OK
		     : rc == STORE_DONE ? CT_ERR_NOT_FOUND
					: store_stmt_error(st);
	store_reset(st);
	return err;
}

/* ---- Deciding ------------------------------------------------------------- */

/* A held reply as a decision needs it. */
typedef struct held_row {
	char state[16];
	int64_t conversation_id, channel_id;
	char kind[32];
	buf text;
	int64_t template_id, template_version; /* 0: none */
	int template_deviation;
	int64_t author_user_id; /* 0: not a user */
	char author_name[256];
} held_row;

/* Read held reply id into *h (h->text initialised either way; the caller
 * frees it). CT_ERR_NOT_FOUND. */
static ct_err load_held(store_conn *c, int64_t id, held_row *h)
{
	memset(h, 0, sizeof(*h));
	buf_init(&h->text, INBOX_TEXT_MAX + 1);
	store_stmt *st = store_prepare(c, SQL_HELD_ROW);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		snprintf(h->state, sizeof(h->state), "%s", store_col_text(st, 0));
		h->conversation_id = store_col_int(st, 1);
		h->channel_id = store_col_int(st, 2);
		snprintf(h->kind, sizeof(h->kind), "%s", store_col_text(st, 3));
		buf_puts(&h->text, store_col_text(st, 4));
		h->template_id = store_col_is_null(st, 5) ? 0 : store_col_int(st, 5);
		h->template_version = store_col_int(st, 6);
		h->template_deviation = (int)store_col_int(st, 7);
		h->author_user_id = store_col_is_null(st, 8) ? 0 : store_col_int(st, 8);
		snprintf(h->author_name, sizeof(h->author_name), "%s", store_col_text(st, 9));
	}
	ct_err err = rc == STORE_ROW    ? CT_OK
		     : rc == STORE_DONE ? CT_ERR_NOT_FOUND
					: store_stmt_error(st);
	store_reset(st);
	return err;
}

/* 1 when text matches one of the texts of version h's template (so an
 * approver's edit that restores the approved wording is no deviation). */
static int matches_template(store_conn *c, const held_row *h, const char *text)
{
	store_stmt *st = store_prepare(c, SQL_VARIANTS);
	if (!st)
		return 0;
	store_bind_int(st, 1, h->template_id);
	store_bind_int(st, 2, h->template_version);
	json_t *variants = NULL;
	if (store_step(st) == STORE_ROW)
		variants = json_loads(store_col_text(st, 0), 0, NULL);
	store_reset(st);
	int found = 0;
	size_t i;
	json_t *item;
	json_array_foreach(variants, i, item)
	{
		const char *t = json_string_value(json_object_get(item, "text"));
		if (t && template_matches(t, text))
			found = 1;
	}
	json_decref(variants);
	return found;
}

/* The arguments and outcome of an approve or reject write. */
typedef struct decide_ctx {
	const actor *who;
	int64_t id;
	const char *text;   /* approve: the approver's edit, or NULL */
	const char *reason; /* reject */
	int max_attempts;
	err_detail *d;
	int64_t message_id;
} decide_ctx;

/* Refuse a decision on h unless it is pending. */
static ct_err check_pending(const held_row *h, err_detail *d)
{
	if (strcmp(h->state, "pending") == 0)
		return CT_OK;
	char msg[96];
	snprintf(msg, sizeof(msg), "the held reply was %s already", h->state);
	return err_set(d, CT_ERR_CONFLICT, "state", msg);
}

/* Mark held reply x->id approved as message_id; audited. */
static ct_err record_approval(store_conn *c, decide_ctx *x, const held_row *h, int edited,
			      int64_t now)
{
	store_stmt *st = store_prepare(c, SQL_APPROVED);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->id);
	store_bind_text(st, 2, x->who->name);
	store_bind_int(st, 3, x->who->user_id);
	store_bind_int(st, 4, now);
	store_bind_int(st, 5, edited);
	store_bind_int(st, 6, x->message_id);
	ct_err err = store_run(st);
	json_t *after = json_pack("{s:I, s:I, s:b}", "held_reply_id", (json_int_t)x->id,
				  "message_id", (json_int_t)x->message_id, "edited", edited);
	if (!err)
		err = audit_record_json(c, x->who, "reply.approved", "conversation",
					h->conversation_id, NULL, after);
	json_decref(after);
	return err;
}

/* The approve write: checks, the message and its job, the stamps. */
static ct_err approve(store_conn *c, void *arg)
{
	decide_ctx *x = arg;
	int64_t now = time_now_ms();
	x->message_id = 0;
	held_row h;
	ct_err err = load_held(c, x->id, &h);
	if (err == CT_ERR_NOT_FOUND)
		err = err_set(x->d, err, NULL, "no such held reply");
	else if (!err && (!x->who->user_id || x->who->user_id == h.author_user_id))
		err = err_set(x->d, CT_ERR_FORBIDDEN, NULL,
			      "four eyes: a held reply is approved by a signed-in user other "
			      "than its author");
	if (!err)
		err = check_pending(&h, x->d);
	int edited = x->text && strcmp(x->text, buf_cstr(&h.text)) != 0;
	const char *text = edited ? x->text : buf_cstr(&h.text);
	if (!err)
		err = outbound_check_wording(text, h.kind, x->d);
	char key[64];
	snprintf(key, sizeof(key), "held-%lld", (long long)x->id);
	int deviation = h.template_deviation;
	if (edited && h.template_id)
		deviation = !matches_template(c, &h, text);
	outbound_row row = {.conversation_id = h.conversation_id,
			    .channel_id = h.channel_id,
			    .direction = "out",
			    .user_id = h.author_user_id,
			    .author_name = h.author_name,
			    .text = text,
			    .key = key,
			    .max_attempts = x->max_attempts,
			    .now = now,
			    .template_id = h.template_id,
			    .template_version = h.template_version,
			    .template_deviation = deviation};
	if (!err)
		err = outbound_insert(c, &row, &x->message_id);
	if (!err)
		err = outbound_touch_reply(c, h.conversation_id, now, text);
	if (!err)
		err = record_approval(c, x, &h, edited, now);
	buf_free(&h.text);
	return err;
}

ct_err inbox_held_approve(store *s, const actor *who, int64_t id, const char *text,
			  int max_attempts, int64_t *message_id, err_detail *d)
{
	*message_id = 0;
	if (text) {
		ct_err err = outbound_check_text(text, d);
		if (err)
			return err;
	}
	decide_ctx x = {.who = who, .id = id, .text = text, .max_attempts = max_attempts, .d = d};
	ct_err err = store_write(s, approve, &x);
	*message_id = err ? 0 : x.message_id;
	return err;
}

/* The reject write. */
static ct_err reject(store_conn *c, void *arg)
{
	decide_ctx *x = arg;
	held_row h;
	ct_err err = load_held(c, x->id, &h);
	buf_free(&h.text);
	if (err == CT_ERR_NOT_FOUND)
		return err_set(x->d, err, NULL, "no such held reply");
	if (!err)
		err = check_pending(&h, x->d);
	store_stmt *st = err ? NULL : store_prepare(c, SQL_REJECTED);
	if (err || !st)
		return err ? err : CT_ERR_STORE;
	store_bind_int(st, 1, x->id);
	store_bind_text(st, 2, x->who->name);
	if (x->who->user_id)
		store_bind_int(st, 3, x->who->user_id);
	else
		store_bind_null(st, 3);
	store_bind_int(st, 4, time_now_ms());
	store_bind_text(st, 5, x->reason);
	err = store_run(st);
	json_t *after = json_pack("{s:I}", "held_reply_id", (json_int_t)x->id);
	if (!err)
		err = audit_record_json(c, x->who, "reply.rejected", "conversation",
					h.conversation_id, NULL, after);
	json_decref(after);
	return err;
}

ct_err inbox_held_reject(store *s, const actor *who, int64_t id, const char *reason, err_detail *d)
{
	if (!reason || !reason[strspn(reason, " \t\r\n")])
		return err_set(d, CT_ERR_INVALID, "reason", "a reason is required");
	if (strlen(reason) > HELD_REASON_MAX)
		return err_set(d, CT_ERR_INVALID, "reason", "reason is longer than 2000 bytes");
	decide_ctx x = {.who = who, .id = id, .reason = reason, .d = d};
	return store_write(s, reject, &x);
}

/*
 * messages.c: replies, notes, single messages, search and inbox events
 * (see inbox.h).
 *
 * A reply is an outbound message plus a delivery job, written in one
 * transaction: if the process dies right after the 201, the job is still
 * there and the reply goes out when it restarts. Every outbound message
 * (replies, automatic replies, approved held replies in held.c) is
 * inserted by outbound_insert (outbound.h).
 *
 * Approved wording: a reply may name the template it came from; it is
 * recorded with the template's version and whether the agent changed the
 * text. In a conversation whose intent the concept lists under
 * strict_wording, anything but an unedited approved template is held
 * (held_replies) for a supervisor instead of being sent.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"
#include "inbox/inbox.h"
#include "inbox/outbound.h"
#include "inbox/views.h"
#include "jobs/jobs.h"
#include "templates/templates.h"
#include "triage/concept.h"

static const char SQL_CONVERSATION_CHANNEL[] = "SELECT channel_id FROM conversations WHERE id = $1";
static const char SQL_CONVERSATION_INFO[] =
	"SELECT c.channel_id, ch.kind, c.language, c.intent FROM conversations c"
	" JOIN channels ch ON ch.id = c.channel_id WHERE c.id = $1";
static const char SQL_MESSAGE_BY_KEY[] = "SELECT id FROM messages WHERE idempotency_key = $1";
static const char SQL_HELD_BY_KEY[] = "SELECT id FROM held_replies WHERE idempotency_key = $1";
static const char SQL_OUT_INSERT[] =
	"INSERT INTO messages (conversation_id, channel_id, direction, author_user_id,"
	" author_name, text, created_at, received_at, delivery_state, idempotency_key,"
	" template_id, template_version, template_deviation)"
	" VALUES ($1, $2, $3, $4, coalesce((SELECT name FROM users WHERE id = $4), $5), $6, $7, $7,"
	" $8, $9, $10, $11, $12) RETURNING id";
static const char SQL_HELD_INSERT[] =
	"INSERT INTO held_replies (conversation_id, state, intent, text, template_id,"
	" template_version, template_deviation, author_user_id, author_name, created_at,"
	" idempotency_key) VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7,"
	" coalesce((SELECT name FROM users WHERE id = $7), $8), $9, $10) RETURNING id";
static const char SQL_TOUCH_REPLY[] =
	"UPDATE conversations SET last_activity_at = CASE WHEN $2 > last_activity_at THEN $2"
	" ELSE last_activity_at END,"
	" snippet = substr($3, 1, 200), message_count = message_count + 1,"
	" first_response_at = coalesce(first_response_at, $2),"
	" next_response_at = CASE WHEN waiting_since IS NULL THEN next_response_at ELSE $2 END,"
	" waiting_since = NULL, next_response_due_at = NULL WHERE id = $1";
/* A note, or an automatic reply (no response of the team: the SLA clock
 * runs on), only counts. */
static const char SQL_COUNT_MESSAGE[] =
	"UPDATE conversations SET message_count = message_count + 1 WHERE id = $1";
static const char SQL_MESSAGE_BY_ID[] =
	"SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.id = $1";

/* A reply or note being written (one store_write). */
typedef struct outbound_ctx {
	int64_t conversation_id;
	const char *text;
	const actor *author;
	const inbox_scope *scope;
	const char *direction; /* "out" or "note" */
	char key[192];         /* idempotency key */
	int client_key;        /* key came from the client: look for a replay */
	int max_attempts;
	const template_env *env; /* NULL: no template, no strict wording */
	int64_t template_id;     /* 0: written freely */
	err_detail *d;
	/* what happened */
	int64_t message_id, held_id;
	int created, deviation;
} outbound_ctx;

/* What the write needs to know about the conversation. */
typedef struct conversation_info {
	int64_t channel_id;
	char kind[32];
	char language[16]; /* "" when not known */
	char intent[128];  /* "" when none */
} conversation_info;

/* The template a reply came from, as recorded on it. */
typedef struct reply_template {
	int64_t id, version;
	int deviation;
} reply_template;

ct_err outbound_check_text(const char *text, err_detail *d)
{
	if (!text)
		return err_set(d, CT_ERR_INVALID, "text", "text is required");
	size_t len = strlen(text), i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
		i++;
	if (i == len)
		return err_set(d, CT_ERR_INVALID, "text", "text must not be empty");
	if (len > INBOX_TEXT_MAX)
		return err_set(d, CT_ERR_INVALID, "text", "text is longer than 64 KiB");
	return CT_OK;
}

ct_err outbound_check_wording(const char *text, const char *channel_kind, err_detail *d)
{
	char msg[256];
	buf name;
	buf_init(&name, 256);
	int unfilled = template_find_placeholder(text, &name);
	if (unfilled)
		snprintf(msg, sizeof(msg), "fill in {{%s}} before sending", buf_cstr(&name));
	buf_free(&name);
	if (unfilled)
		return err_set(d, CT_ERR_INVALID, "text", msg);
	size_t limit = template_channel_limit(channel_kind), length = template_text_length(text);
	if (!limit || length <= limit)
		return CT_OK;
	snprintf(msg, sizeof(msg), "text has %zu characters; a %s channel takes at most %zu",
		 length, channel_kind, limit);
	return err_set(d, CT_ERR_INVALID, "text", msg);
}

ct_err outbound_insert(store_conn *c, const outbound_row *r, int64_t *id)
{
	store_stmt *st = store_prepare(c, SQL_OUT_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, r->conversation_id);
	store_bind_int(st, 2, r->channel_id);
	store_bind_text(st, 3, r->direction);
	if (r->user_id)
		store_bind_int(st, 4, r->user_id);
	store_bind_text(st, 5, r->author_name);
	store_bind_text(st, 6, r->text);
	store_bind_int(st, 7, r->now);
	store_bind_text(st, 8, r->key ? "queued" : NULL);
	store_bind_text(st, 9, r->key);
	if (r->template_id) {
		store_bind_int(st, 10, r->template_id);
		store_bind_int(st, 11, r->template_version);
		store_bind_int(st, 12, r->template_deviation);
	} else {
		store_bind_null(st, 10);
		store_bind_null(st, 11);
		store_bind_null(st, 12);
	}
	ct_err err = store_one_int(st, id);
	if (err || !r->key)
		return err;
	char payload[64];
	snprintf(payload, sizeof(payload), "{\"message_id\":%lld}", (long long)*id);
	return jobs_enqueue(c, JOB_DELIVER_REPLY, payload, r->key, r->max_attempts, r->now);
}

ct_err outbound_touch_reply(store_conn *c, int64_t conversation_id, int64_t now, const char *text)
{
	store_stmt *st = store_prepare(c, SQL_TOUCH_REPLY);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, conversation_id);
	store_bind_int(st, 2, now);
	store_bind_text(st, 3, text);
	return store_run(st);
}

/* The id of the row of sql (one parameter: key), or CT_ERR_NOT_FOUND. */
static ct_err find_by_key(store_conn *c, const char *sql, const char *key, int64_t *id)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_text(st, 1, key);
	return store_one_int(st, id);
}

ct_err inbox_queue_auto_reply(store_conn *c, int64_t conversation_id, const char *author_name,
			      const char *text, const inbox_auto_template *tpl, const char *key,
			      int max_attempts, int64_t now, int64_t *message_id)
{
	*message_id = 0;
	ct_err err = find_by_key(c, SQL_MESSAGE_BY_KEY, key, message_id);
	if (err != CT_ERR_NOT_FOUND) {
		*message_id = 0; /* sent before: once is enough */
		return err;
	}
	int64_t channel_id = 0;
	store_stmt *st = store_prepare(c, SQL_CONVERSATION_CHANNEL);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, conversation_id);
	err = store_one_int(st, &channel_id);
	outbound_row row = {.conversation_id = conversation_id,
			    .channel_id = channel_id,
			    .direction = "out",
			    .author_name = author_name,
			    .text = text,
			    .key = key,
			    .max_attempts = max_attempts,
			    .now = now,
			    .template_id = tpl ? tpl->template_id : 0,
			    .template_version = tpl ? tpl->version : 0};
	if (!err)
		err = outbound_insert(c, &row, message_id);
	if (!err && (st = store_prepare(c, SQL_COUNT_MESSAGE))) {
		store_bind_int(st, 1, conversation_id);
		err = store_run(st);
	}
	return err;
}

/* Copy a text column into out (size bytes); "" for NULL. */
static void col_copy(store_stmt *st, int col, char *out, size_t size)
{
	const char *s = store_col_text(st, col);
	snprintf(out, size, "%s", s ? s : "");
}

static ct_err load_conversation(store_conn *c, int64_t id, conversation_info *v)
{
	memset(v, 0, sizeof(*v));
	store_stmt *st = store_prepare(c, SQL_CONVERSATION_INFO);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		v->channel_id = store_col_int(st, 0);
		col_copy(st, 1, v->kind, sizeof(v->kind));
		col_copy(st, 2, v->language, sizeof(v->language));
		col_copy(st, 3, v->intent, sizeof(v->intent));
	}
	ct_err err = rc == STORE_ROW    ? CT_OK
		     : rc == STORE_DONE ? CT_ERR_NOT_FOUND
					: store_stmt_error(st);
	store_reset(st);
	return err;
}

/* The template x names, chosen for the conversation v, into *t; whether
 * x->text still matches it. CT_ERR_INVALID (field "template_id") when it
 * may not be used here now. */
static ct_err choose_template(store_conn *c, outbound_ctx *x, const conversation_info *v,
			      reply_template *t)
{
	template_choice choice;
	err_detail why = {.index = -1};
	ct_err err = template_choose(c, x->env, x->template_id, NULL,
				     v->language[0] ? v->language : NULL, v->kind, &choice, &why);
	if (!err) {
		t->id = choice.template_id;
		t->version = choice.version;
		t->deviation = !template_matches(buf_cstr(&choice.text), x->text);
	}
	buf_free(&choice.text);
	if (err == CT_ERR_NOT_FOUND || err == CT_ERR_CONFLICT) {
		char msg[sizeof(why.message) + 64];
		snprintf(msg, sizeof(msg), "template %lld cannot be used here: %s",
			 (long long)x->template_id, why.message);
		return err_set(x->d, CT_ERR_INVALID, "template_id", msg);
	}
	return err;
}

/* 1 when the concept asks approved wording of conversations with intent. */
static int strict_intent(const template_env *env, const char *intent)
{
	const concept *k = env ? env->concept : NULL;
	for (size_t i = 0; k && *intent && i < k->strict_intents.n; i++)
		if (strcmp(k->strict_intents.items[i], intent) == 0)
			return 1;
	return 0;
}

/* Hold the reply x for a supervisor: a held_replies row, audited. */
static ct_err hold_reply(store_conn *c, outbound_ctx *x, const conversation_info *v,
			 const reply_template *t, int64_t now)
{
	store_stmt *st = store_prepare(c, SQL_HELD_INSERT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->conversation_id);
	store_bind_text(st, 2, v->intent);
	store_bind_text(st, 3, x->text);
	if (t->id) {
		store_bind_int(st, 4, t->id);
		store_bind_int(st, 5, t->version);
		store_bind_int(st, 6, t->deviation);
	} else {
		store_bind_null(st, 4);
		store_bind_null(st, 5);
		store_bind_null(st, 6);
	}
	if (x->author->user_id)
		store_bind_int(st, 7, x->author->user_id);
	else
		store_bind_null(st, 7);
	store_bind_text(st, 8, x->author->name);
	store_bind_int(st, 9, now);
	store_bind_text(st, 10, x->client_key ? x->key : NULL);
	ct_err err = store_one_int(st, &x->held_id);
	if (err)
		return err;
	x->created = 1;
	json_t *after = json_pack("{s:I, s:s}", "held_reply_id", (json_int_t)x->held_id, "intent",
				  v->intent);
	err = audit_record_json(c, x->author, "reply.held", "conversation", x->conversation_id,
				NULL, after);
	json_decref(after);
	return err;
}

/* The first answer to a retried request with the same client key, if any
 * (CT_ERR_NOT_FOUND: none). */
static ct_err find_replay(store_conn *c, outbound_ctx *x)
{
	ct_err err = find_by_key(c, SQL_MESSAGE_BY_KEY, x->key, &x->message_id);
	if (err == CT_ERR_NOT_FOUND && strcmp(x->direction, "out") == 0)
		err = find_by_key(c, SQL_HELD_BY_KEY, x->key, &x->held_id);
	return err;
}

/* Insert the message of x (with t's template columns) and stamp the
 * conversation; audited. */
static ct_err insert_message(store_conn *c, outbound_ctx *x, const conversation_info *v,
			     const reply_template *t, int64_t now)
{
	int reply = strcmp(x->direction, "out") == 0;
	outbound_row row = {.conversation_id = x->conversation_id,
			    .channel_id = v->channel_id,
			    .direction = x->direction,
			    .user_id = x->author->user_id,
			    .author_name = x->author->name,
			    .text = x->text,
			    .key = reply ? x->key : NULL,
			    .max_attempts = x->max_attempts,
			    .now = now,
			    .template_id = t->id,
			    .template_version = t->version,
			    .template_deviation = t->deviation};
	ct_err err = outbound_insert(c, &row, &x->message_id);
	if (err)
		return err;
	x->created = 1;
	if (reply) {
		err = outbound_touch_reply(c, x->conversation_id, now, x->text);
	} else {
		store_stmt *st = store_prepare(c, SQL_COUNT_MESSAGE);
		if (!st)
			return CT_ERR_STORE;
		store_bind_int(st, 1, x->conversation_id);
		err = store_run(st);
	}
	/* The audit entry names the message; its text stays in one place only,
	 * so erasing a contact's data leaves no copy behind. */
	json_t *after = json_pack("{s:I}", "message_id", (json_int_t)x->message_id);
	if (t->id) {
		json_object_set_new(after, "template_id", json_integer(t->id));
		json_object_set_new(after, "template_deviation", json_boolean(t->deviation));
	}
	if (!err)
		err = audit_record_json(c, x->author,
					reply ? "conversation.replied" : "conversation.noted",
					"conversation", x->conversation_id, NULL, after);
	json_decref(after);
	return err;
}

/* The write of a reply or note: checks that need the store, then the
 * message, or for strict wording the held reply. */
static ct_err insert_outbound(store_conn *c, void *arg)
{
	outbound_ctx *x = arg;
	int64_t now = time_now_ms();
	/* a write may run twice: start afresh */
	x->message_id = x->held_id = 0, x->created = x->deviation = 0;
	ct_err err = inbox_check_access(c, x->scope, x->conversation_id);
	conversation_info v;
	if (!err)
		err = load_conversation(c, x->conversation_id, &v);
	if (err)
		return err;
	if (x->client_key && (err = find_replay(c, x)) != CT_ERR_NOT_FOUND)
		return err; /* a replay: the first reply stands */
	reply_template t = {0, 0, 0};
	if (strcmp(x->direction, "out") != 0)
		return insert_message(c, x, &v, &t, now);
	if ((err = outbound_check_wording(x->text, v.kind, x->d)))
		return err;
	if (x->template_id && (err = choose_template(c, x, &v, &t)))
		return err;
	x->deviation = t.deviation;
	if (strict_intent(x->env, v.intent) && !(t.id && !t.deviation))
		return hold_reply(c, x, &v, &t, now);
	return insert_message(c, x, &v, &t, now);
}

/* The idempotency key of a reply by who: the client's, or a random one. */
static ct_err reply_key(outbound_ctx *x, const actor *who, const char *client_key, err_detail *d)
{
	if (client_key) {
		if (strlen(client_key) > 128)
			return err_set(d, CT_ERR_INVALID, "Idempotency-Key",
				       "Idempotency-Key is longer than 128 bytes");
		snprintf(x->key, sizeof(x->key), "client:%s:%s", who->name, client_key);
		x->client_key = 1;
		return CT_OK;
	}
	unsigned char raw[16];
	char hex[33];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	snprintf(x->key, sizeof(x->key), "reply-%s", hex);
	return CT_OK;
}

ct_err inbox_reply(store *s, const actor *who, const inbox_scope *scope, const template_env *env,
		   int64_t conversation_id, const inbox_reply_input *in, inbox_reply_result *out,
		   err_detail *d)
{
	memset(out, 0, sizeof(*out));
	ct_err err = outbound_check_text(in->text, d);
	if (err)
		return err;
	if (in->template_id < 0 || (in->template_id && !env))
		return err_set(d, CT_ERR_INVALID, "template_id", "no such template");
	outbound_ctx x = {.conversation_id = conversation_id,
			  .text = in->text,
			  .author = who,
			  .scope = scope,
			  .direction = "out",
			  .max_attempts = in->max_attempts,
			  .env = env,
			  .template_id = in->template_id,
			  .d = d};
	if ((err = reply_key(&x, who, in->client_key, d)))
		return err;
	err = store_write(s, insert_outbound, &x);
	out->message_id = x.message_id;
	out->held_id = x.held_id;
	out->created = x.created;
	out->deviation = x.deviation;
	return err;
}

ct_err inbox_note(store *s, const actor *who, const inbox_scope *scope, int64_t conversation_id,
		  const char *text, int64_t *message_id, err_detail *d)
{
	ct_err err = outbound_check_text(text, d);
	if (err)
		return err;
	outbound_ctx x = {.conversation_id = conversation_id,
			  .text = text,
			  .author = who,
			  .scope = scope,
			  .direction = "note",
			  .d = d};
	err = store_write(s, insert_outbound, &x);
	*message_id = x.message_id;
	return err;
}

ct_err inbox_message(store_conn *c, int64_t id, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_MESSAGE_BY_ID);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = view_message(st);
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

ct_err inbox_search(store_conn *c, const inbox_scope *scope, const char *q, int64_t before,
		    int limit, json_t **data, int64_t *next_before, err_detail *d)
{
	*data = NULL;
	*next_before = 0;
	if (!q || !*q)
		return err_set(d, CT_ERR_INVALID, "q", "q is required");
	if (limit <= 0 || limit > INBOX_SEARCH_MAX)
		limit = 20;
	int64_t ids[INBOX_SEARCH_MAX + 1];
	int n = 0;
	ct_err err = store_fts_search(c, q, before, limit + 1, ids, &n);
	if (err == CT_ERR_INVALID)
		return err_set(d, err, "q", "q holds no word to search for");
	if (err)
		return err;
	*data = json_array();
	int scoped = scope->agent_user_id || scope->channel_id;
	for (int i = 0; i < n && i < limit; i++) {
		json_t *m = NULL;
		if (inbox_message(c, ids[i], &m) != CT_OK)
			continue;
		int64_t conv = json_integer_value(json_object_get(m, "conversation_id"));
		if (scoped && inbox_check_access(c, scope, conv) != CT_OK)
			json_decref(m); /* outside the caller's view */
		else
			json_array_append_new(*data, m);
	}
	if (n > limit)
		*next_before = ids[limit - 1];
	return CT_OK;
}

void inbox_publish(events_hub *h, const char *type, int64_t conversation_id, int64_t message_id)
{
	char data[128];
	if (message_id)
		snprintf(data, sizeof(data), "{\"conversation_id\":%lld,\"message_id\":%lld}",
			 (long long)conversation_id, (long long)message_id);
	else
		snprintf(data, sizeof(data), "{\"conversation_id\":%lld}",
			 (long long)conversation_id);
	events_publish(h, type, data);
}

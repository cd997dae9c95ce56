/*
 * privacy.c: contact export, erasure and retention (see privacy.h).
 *
 * A contact's texts live in messages and in replies held for approval
 * (held_replies); export shows both, erasure and retention clear both.
 */
#include "privacy/privacy.h"
#include "store/columns.h"

#include <string.h>

#include "core/timeutil.h"

static const char SQL_CONTACT[] =
	"SELECT id, name, created_at, erased_at FROM contacts WHERE id = $1";
static const char SQL_IDENTITIES[] =
	"SELECT i.id, ch.name, i.external_id, i.handle, i.name FROM identities i"
	" JOIN channels ch ON ch.id = i.channel_id WHERE i.contact_id = $1 ORDER BY i.id";
static const char SQL_CONVERSATIONS[] =
	"SELECT c.id, ch.name, c.status, c.subject, c.created_at, c.last_activity_at"
	" FROM conversations c JOIN channels ch ON ch.id = c.channel_id"
	" WHERE c.contact_id = $1 ORDER BY c.id";
static const char SQL_MESSAGES[] =
	"SELECT id, direction, author_name, text, attachments, meta, created_at FROM messages"
	" WHERE conversation_id = $1 ORDER BY id";
static const char SQL_HELD[] =
	"SELECT id, state, author_name, text, created_at, decided_at FROM held_replies"
	" WHERE conversation_id = $1 ORDER BY id";
static const char SQL_AUDIT_OF[] =
	"SELECT a.at, a.actor, a.action, a.object_type, a.object_id FROM audit_log a"
	" WHERE (a.object_type = 'contact' AND a.object_id = $1) OR (a.object_type ="
	" 'conversation' AND a.object_id IN (SELECT id FROM conversations WHERE contact_id = $1))"
	" ORDER BY a.id";

/* Rows of sql (one id parameter) as objects built by row(). */
static json_t *rows(store_conn *c, const char *sql, int64_t id, json_t *(*row)(store_stmt *))
{
	json_t *list = json_array();
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return list;
	store_bind_int(st, 1, id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(list, row(st));
	store_reset(st);
	return list;
}

static json_t *identity_row(store_stmt *st)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)store_col_int(st, 0),
			 "channel", col_json_text(st, 1), "external_id", col_json_text(st, 2),
			 "handle", col_json_text(st, 3), "name", col_json_text(st, 4));
}

static json_t *conversation_row(store_stmt *st)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)store_col_int(st, 0),
			 "channel", col_json_text(st, 1), "status", col_json_text(st, 2), "subject",
			 col_json_text(st, 3), "created_at", col_json_time(st, 4),
			 "last_activity_at", col_json_time(st, 5));
}

static json_t *message_row(store_stmt *st)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
			 (json_int_t)store_col_int(st, 0), "direction", col_json_text(st, 1),
			 "author", col_json_text(st, 2), "text", col_json_text(st, 3),
			 "attachments", col_json_parsed(st, 4), "meta", col_json_parsed(st, 5),
			 "created_at", col_json_time(st, 6));
}

static json_t *held_row(store_stmt *st)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)store_col_int(st, 0),
			 "state", col_json_text(st, 1), "author", col_json_text(st, 2), "text",
			 col_json_text(st, 3), "created_at", col_json_time(st, 4), "decided_at",
			 col_json_time(st, 5));
}

static json_t *audit_row(store_stmt *st)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:I}", "at", col_json_time(st, 0), "actor",
			 col_json_text(st, 1), "action", col_json_text(st, 2), "object_type",
			 col_json_text(st, 3), "object_id", (json_int_t)store_col_int(st, 4));
}

ct_err privacy_contact(store_conn *c, int64_t id, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_CONTACT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)id, "name",
				 col_json_text(st, 1), "created_at", col_json_time(st, 2),
				 "erased_at", col_json_time(st, 3));
	store_reset(st);
	if (rc != STORE_ROW)
		return rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
	json_object_set_new(*out, "identities", rows(c, SQL_IDENTITIES, id, identity_row));
	json_object_set_new(*out, "conversations",
			    rows(c, SQL_CONVERSATIONS, id, conversation_row));
	return CT_OK;
}

ct_err privacy_export(store_conn *c, int64_t id, json_t **out)
{
	ct_err err = privacy_contact(c, id, out);
	if (err)
		return err;
	size_t i;
	json_t *conv;
	json_array_foreach(json_object_get(*out, "conversations"), i, conv)
	{
		int64_t conv_id = json_integer_value(json_object_get(conv, "id"));
		json_object_set_new(conv, "messages", rows(c, SQL_MESSAGES, conv_id, message_row));
		json_object_set_new(conv, "held_replies", rows(c, SQL_HELD, conv_id, held_row));
	}
	json_object_set_new(*out, "audit", rows(c, SQL_AUDIT_OF, id, audit_row));
	char now[TIME_RFC3339_SIZE];
	time_format_rfc3339(time_now_ms(), now);
	json_object_set_new(*out, "exported_at", json_string(now));
	return CT_OK;
}

static const char SQL_ANON_MESSAGES[] =
	"UPDATE messages SET text = $2, author_name = NULL, attachments = NULL, meta = NULL"
	" WHERE conversation_id IN (SELECT id FROM conversations WHERE contact_id = $1)";
static const char SQL_ANON_HELD[] =
	"UPDATE held_replies SET text = $2"
	" WHERE conversation_id IN (SELECT id FROM conversations WHERE contact_id = $1)";
static const char SQL_ANON_CONVERSATIONS[] =
	"UPDATE conversations SET subject = NULL, snippet = $2 WHERE contact_id = $1";
static const char SQL_UNLINK_IDENTITIES[] =
	"UPDATE messages SET identity_id = NULL WHERE identity_id IN"
	" (SELECT id FROM identities WHERE contact_id = $1)";
static const char SQL_DELETE_IDENTITIES[] = "DELETE FROM identities WHERE contact_id = $1";
static const char SQL_MARK_ERASED[] =
	"UPDATE contacts SET name = NULL, erased_at = $2, updated_at = $2 WHERE id = $1";

/* Run sql with $1 = id and, when text is set, $2 = text; add the rows changed. */
static ct_err run_counted(store_conn *c, const char *sql, int64_t id, const char *text, int64_t num,
			  int64_t *changed)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	if (text)
		store_bind_text(st, 2, text);
	else if (num)
		store_bind_int(st, 2, num);
	ct_err err = store_run(st);
	if (!err && changed)
		*changed += store_changes(c);
	return err;
}

typedef struct erase_ctx {
	const actor *who;
	int64_t id;
	int64_t messages, identities;
} erase_ctx;

/* Anonymise everything of one contact (inside the caller's write). */
static ct_err anonymise_contact(store_conn *c, erase_ctx *x)
{
	ct_err err = run_counted(c, SQL_ANON_MESSAGES, x->id, PRIVACY_ERASED_TEXT, 0, &x->messages);
	if (!err)
		err = run_counted(c, SQL_ANON_HELD, x->id, PRIVACY_ERASED_TEXT, 0, NULL);
	if (!err)
		err = run_counted(c, SQL_ANON_CONVERSATIONS, x->id, PRIVACY_ERASED_TEXT, 0, NULL);
	if (!err)
		err = run_counted(c, SQL_UNLINK_IDENTITIES, x->id, NULL, 0, NULL);
	if (!err)
		err = run_counted(c, SQL_DELETE_IDENTITIES, x->id, NULL, 0, &x->identities);
	if (!err)
		err = run_counted(c, SQL_MARK_ERASED, x->id, NULL, time_now_ms(), NULL);
	return err;
}

static ct_err erase(store_conn *c, void *arg)
{
	erase_ctx *x = arg;
	x->messages = x->identities = 0; /* a write may run twice: count afresh */
	store_stmt *st = store_prepare(c, SQL_CONTACT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->id);
	int64_t found;
	ct_err err = store_one_int(st, &found);
	if (!err)
		err = anonymise_contact(c, x);
	json_t *after = json_pack("{s:I, s:I}", "messages_anonymised", (json_int_t)x->messages,
				  "identities_deleted", (json_int_t)x->identities);
	if (!err)
		err = audit_record_json(c, x->who, "contact.erased", "contact", x->id, NULL, after);
	json_decref(after);
	return err;
}

ct_err privacy_erase(store *s, const actor *who, int64_t id, json_t **report)
{
	erase_ctx x = {who, id, 0, 0};
	ct_err err = store_write(s, erase, &x);
	*report = err ? NULL
		      : json_pack("{s:I, s:I, s:I}", "contact_id", (json_int_t)id,
				  "messages_anonymised", (json_int_t)x.messages,
				  "identities_deleted", (json_int_t)x.identities);
	return err;
}

#define RETENTION_BATCH 200

static const char SQL_EXPIRED[] =
	"SELECT id FROM conversations WHERE status = 'resolved' AND resolved_at < $1"
	" AND (snippet <> $2 OR $3 = 1) ORDER BY id LIMIT $4";
static const char SQL_ANON_CONV_MESSAGES[] =
	"UPDATE messages SET text = $2, author_name = NULL, attachments = NULL, meta = NULL"
	" WHERE conversation_id = $1";
static const char SQL_ANON_CONV_HELD[] =
	"UPDATE held_replies SET text = $2 WHERE conversation_id = $1";
/* Held replies first: they may name a message (message_id). */
static const char SQL_DELETE_CONV_HELD[] = "DELETE FROM held_replies WHERE conversation_id = $1";
static const char SQL_ANON_CONV[] =
	"UPDATE conversations SET subject = NULL, snippet = $2 WHERE id = $1";
static const char SQL_DELETE_CONV_MESSAGES[] = "DELETE FROM messages WHERE conversation_id = $1";
static const char SQL_DELETE_CONV_TAGS[] =
	"DELETE FROM conversation_tags WHERE conversation_id = $1";
static const char SQL_DELETE_CONV[] = "DELETE FROM conversations WHERE id = $1";

typedef struct retention_ctx {
	int64_t cutoff;
	int delete;
	int64_t conversations, messages; /* of this batch */
	int more;
} retention_ctx;

/* One batch of expired conversations, anonymised or deleted. */
static ct_err retention_batch(store_conn *c, void *arg)
{
	retention_ctx *x = arg;
	int64_t ids[RETENTION_BATCH];
	int n = 0;
	x->conversations = x->messages = 0;
	store_stmt *st = store_prepare(c, SQL_EXPIRED);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->cutoff);
	store_bind_text(st, 2, PRIVACY_ERASED_TEXT);
	store_bind_int(st, 3, x->delete);
	store_bind_int(st, 4, RETENTION_BATCH);
	while (n < RETENTION_BATCH && store_step(st) == STORE_ROW)
		ids[n++] = store_col_int(st, 0);
	store_reset(st);
	ct_err err = CT_OK;
	for (int i = 0; i < n && !err; i++) {
		if (x->delete) {
			err = run_counted(c, SQL_DELETE_CONV_HELD, ids[i], NULL, 0, NULL);
			if (!err)
				err = run_counted(c, SQL_DELETE_CONV_MESSAGES, ids[i], NULL, 0,
						  &x->messages);
			if (!err)
				err = run_counted(c, SQL_DELETE_CONV_TAGS, ids[i], NULL, 0, NULL);
			if (!err)
				err = run_counted(c, SQL_DELETE_CONV, ids[i], NULL, 0, NULL);
		} else {
			err = run_counted(c, SQL_ANON_CONV_MESSAGES, ids[i], PRIVACY_ERASED_TEXT, 0,
					  &x->messages);
			if (!err)
				err = run_counted(c, SQL_ANON_CONV_HELD, ids[i],
						  PRIVACY_ERASED_TEXT, 0, NULL);
			if (!err)
				err = run_counted(c, SQL_ANON_CONV, ids[i], PRIVACY_ERASED_TEXT, 0,
						  NULL);
		}
	}
	x->conversations = n;
	x->more = n == RETENTION_BATCH;
	return err;
}

typedef struct retention_audit {
	const actor *who;
	json_t *report;
} retention_audit;

static ct_err record_retention(store_conn *c, void *arg)
{
	retention_audit *x = arg;
	return audit_record_json(c, x->who, "retention.ran", NULL, 0, NULL, x->report);
}

ct_err privacy_retention(store *s, const actor *who, int64_t cutoff_ms, const char *mode,
			 json_t **report)
{
	retention_ctx x = {cutoff_ms, strcmp(mode, "delete") == 0, 0, 0, 1};
	int64_t conversations = 0, messages = 0;
	ct_err err = CT_OK;
	while (x.more && !err) { /* small transactions: the inbox stays responsive */
		err = store_write(s, retention_batch, &x);
		if (!err)
			conversations += x.conversations, messages += x.messages;
	}
	char cutoff[TIME_RFC3339_SIZE];
	time_format_rfc3339(cutoff_ms, cutoff);
	*report = json_pack("{s:s, s:s, s:I, s:I, s:b}", "mode", x.delete ? "delete" : "anonymise",
			    "resolved_before", cutoff, "conversations", (json_int_t)conversations,
			    "messages", (json_int_t)messages, "complete", !err);
	retention_audit a = {who, *report};
	ct_err logged = store_write(s, record_retention, &a);
	return err ? err : logged;
}

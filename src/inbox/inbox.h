/*
 * inbox.h: conversations and messages as agents work with them.
 *
 * The rules of the inbox live here; the API (and later the web pages) are
 * thin views over these functions. Reads take a store connection from the
 * caller; writes go through store_write and return after the commit.
 * Results are jansson values in the shape the API documents
 * (docs/api/openapi.yaml); the caller owns them.
 */
#ifndef CT_INBOX_H
#define CT_INBOX_H

#include <jansson.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/events.h"
#include "core/seal.h"
#include "store/store.h"

#define INBOX_LIST_MAX 200
#define INBOX_SEARCH_MAX 100
#define INBOX_TEXT_MAX (64 * 1024)

/*
 * Whose view: an agent sees the conversations of their teams and those
 * assigned to them; a channel-scoped API token sees its channel. Zero
 * fields mean no restriction (admins, supervisors, viewers, other tokens).
 * A conversation outside the scope is "not found", never "forbidden", so
 * its existence does not leak.
 */
typedef struct inbox_scope {
	int64_t agent_user_id;
	int64_t channel_id;
} inbox_scope;

/* CT_OK when the conversation exists and is in scope, else CT_ERR_NOT_FOUND. */
ct_err inbox_check_access(store_conn *c, const inbox_scope *scope, int64_t conversation_id);

typedef struct inbox_filter {
	const char *status;  /* NULL: any */
	const char *channel; /* channel name */
	const char *language;
	const char *priority;
	const char *tag;     /* tag name */
	const char *q;       /* full text */
	int64_t assignee_id; /* 0: any */
	int unassigned;      /* only conversations without an assignee */
	int64_t team_id;     /* 0: any */
	int limit;
	const char *cursor; /* from a previous page's next_cursor */
} inbox_filter;

/* One page of conversations, newest activity first. *data is an array;
 * next_cursor gets the cursor of the following page ("" when last). */
ct_err inbox_list(store_conn *c, const inbox_scope *scope, const inbox_filter *f, json_t **data,
		  buf *next_cursor, err_detail *d);

/* A conversation without its messages (as in a list). CT_ERR_NOT_FOUND. */
ct_err inbox_conversation(store_conn *c, const inbox_scope *scope, int64_t id, json_t **out);

/* A conversation with its messages (oldest first). CT_ERR_NOT_FOUND. */
ct_err inbox_get(store_conn *c, const inbox_scope *scope, int64_t id, json_t **out);

/* Apply a PATCH (status, assignee_id, team_id, priority, tags) to a
 * conversation; CT_ERR_INVALID with d naming the field. */
ct_err inbox_update(store *s, const actor *who, const inbox_scope *scope, int64_t id, json_t *patch,
		    err_detail *d);

/*
 * A reply: an outbound message in state "queued" plus a durable job that
 * delivers it, in one transaction. in->client_key (may be NULL) makes a
 * retried request return the first answer instead of sending twice
 * (out->created says which happened). env (may be NULL: no concept, no
 * templates) carries what approved wording asks of it (see templates.h):
 * where it came from (template_id; 0: written freely), whether the agent
 * changed the template's text (recorded on the message as a deviation),
 * whether the text fits the channel (template_channel_limit) and holds no
 * unfilled "{{variable}}" (CT_ERR_INVALID, field "text"). A template that
 * may not be used now is CT_ERR_INVALID, field "template_id". When the
 * conversation's intent is one of the concept's strict_intents (env->concept)
 * and the reply is not an unedited approved template, it is held: stored in
 * held_replies for a supervisor (out->held_id), no message, no job; the
 * customer sees nothing until it is approved. Audited "conversation.replied"
 * or "reply.held".
 */
typedef struct inbox_reply_input {
	const char *text;
	int64_t template_id;    /* 0: written freely */
	const char *client_key; /* Idempotency-Key; may be NULL */
	int max_attempts;
} inbox_reply_input;

typedef struct inbox_reply_result {
	int64_t message_id; /* the reply; 0 when held */
	int64_t held_id;    /* the held reply; 0 when sent */
	int created;        /* 0: a retried request, the first answer stands */
	int deviation;      /* 1: a template's text was changed */
} inbox_reply_result;

struct template_env;
ct_err inbox_reply(store *s, const actor *who, const inbox_scope *scope,
		   const struct template_env *env, int64_t conversation_id,
		   const inbox_reply_input *in, inbox_reply_result *out, err_detail *d);

/*
 * Held replies (held.c). List: the pending ones in scope, oldest first, or
 * with state "approved"/"rejected" the decided ones newest first; each
 * {id, conversation_id, state, intent, text, template_id, template_version,
 * template_deviation, author_name, author_user_id, created_at, decided_by,
 * decided_at, edited, reason, message_id, contact_name, channel}.
 */
ct_err inbox_held_list(store_conn *c, const inbox_scope *scope, const char *state, int limit,
		       json_t **out);
ct_err inbox_held_get(store_conn *c, const inbox_scope *scope, int64_t id, json_t **out);

/* How many held replies in scope wait for a decision, into *n (for the
 * navigation's badge: a count, not the list). */
ct_err inbox_held_pending_count(store_conn *c, const inbox_scope *scope, int64_t *n);

/*
 * Approve held reply id, with text (NULL: as written; else the approver's
 * edit, checked as a reply is): it becomes an outbound message by its
 * author plus its delivery job, and counts as the team's response now.
 * Four eyes: who must be a signed-in user other than the author
 * (CT_ERR_FORBIDDEN); the route admits supervisors and admins.
 * CT_ERR_CONFLICT when it was decided already. Audited "reply.approved".
 */
ct_err inbox_held_approve(store *s, const actor *who, int64_t id, const char *text,
			  int max_attempts, int64_t *message_id, err_detail *d);

/* Reject held reply id with reason (required); nothing is sent. Audited
 * "reply.rejected". CT_ERR_CONFLICT when decided already. */
ct_err inbox_held_reject(store *s, const actor *who, int64_t id, const char *reason, err_detail *d);

/*
 * Queue an automatic reply (the concept's after-hours or first-contact
 * answer) in conversation_id inside the caller's write c: an outbound
 * message by author_name plus its delivery job, both under key. Once per
 * key: when a message with key exists, nothing happens and *message_id is
 * 0. It does not count as the team's response (first_response_at stays).
 * tpl (may be NULL: written in the concept) names the approved template
 * the text was rendered from; it is recorded without deviation.
 */
typedef struct inbox_auto_template {
	int64_t template_id;
	int64_t version;
} inbox_auto_template;

ct_err inbox_queue_auto_reply(store_conn *c, int64_t conversation_id, const char *author_name,
			      const char *text, const inbox_auto_template *tpl, const char *key,
			      int max_attempts, int64_t now, int64_t *message_id);

/* Add tags (made when new) to a conversation inside the caller's write c. */
ct_err inbox_add_tags(store_conn *c, int64_t conversation_id, const char *const *names, size_t n);

/* An internal note (never sent anywhere). */
ct_err inbox_note(store *s, const actor *who, const inbox_scope *scope, int64_t conversation_id,
		  const char *text, int64_t *message_id, err_detail *d);

/* One message as JSON. CT_ERR_NOT_FOUND. */
ct_err inbox_message(store_conn *c, int64_t id, json_t **out);

/* Send a failed reply again (retry.c): its job is queued again with the
 * same idempotency key. CT_ERR_NOT_FOUND outside the scope, CT_ERR_CONFLICT
 * when the reply has not failed; *conversation_id is the reply's. */
ct_err inbox_retry_reply(store *s, const actor *who, const inbox_scope *scope, int64_t message_id,
			 int64_t *conversation_id, err_detail *d);

/* Full-text search over messages, newest first (see store_fts_search). */
ct_err inbox_search(store_conn *c, const inbox_scope *scope, const char *q, int64_t before,
		    int limit, json_t **data, int64_t *next_before, err_detail *d);

/* The contact card (name, identities on every channel, conversations) with
 * only the conversations in scope; CT_ERR_NOT_FOUND when none is. */
ct_err inbox_contact(store_conn *c, const inbox_scope *scope, int64_t id, json_t **out);

/*
 * One page of contacts, newest first (contact_list.c): *data (new, the
 * caller's) is [{id, name, erased_at, conversation_count, last_activity_at,
 * identities: [{channel, kind, handle, name}]}]. q (may be NULL) keeps the
 * contacts whose name contains it, in any case; cursor is a previous page's
 * next_cursor, which gets this page's ("" when last). A scoped caller sees
 * only contacts with a conversation in scope and counts only those.
 * CT_ERR_INVALID with d naming "q" or "cursor".
 */
ct_err inbox_contacts_list(store_conn *c, const inbox_scope *scope, const char *q,
			   const char *cursor, int limit, json_t **data, buf *next_cursor,
			   err_detail *d);

/* What filters and the assign menu offer: {"channels": [{id, name, kind}],
 * "tags": [{id, name}], "teams": [{id, name}], "people": [{id, name}]}
 * (active users who may work conversations). New reference in *out. */
ct_err inbox_choices(store_conn *c, json_t **out);

/* Publish "type" with {"conversation_id": .., "message_id": ..} (0s omitted). */
void inbox_publish(events_hub *h, const char *type, int64_t conversation_id, int64_t message_id);

/*
 * Channels as settings: kind, name, config (plain JSON) and secrets (API
 * keys, passwords: sealed with the installation's key, listed by name only,
 * never returned or logged). create takes {kind, name, config, secrets};
 * update merges {config, secrets} (a null secret removes it). Audited.
 */
ct_err channel_settings_list(store_conn *c, const seal_key *key, json_t **data);
ct_err channel_settings_get(store_conn *c, const seal_key *key, int64_t id, json_t **out);
ct_err channel_settings_create(store *s, const actor *who, const seal_key *key, json_t *body,
			       int64_t *id, err_detail *d);
ct_err channel_settings_update(store *s, const actor *who, const seal_key *key, int64_t id,
			       json_t *body, err_detail *d);

/* Merge changes (an object of strings; null removes a name) into the sealed
 * secrets of channel id, inside the caller's write on c (the audit entry is
 * the caller's; it must never hold a value). */
ct_err channel_settings_merge_secrets(store_conn *c, const seal_key *key, int64_t id,
				      json_t *changes);

#endif

/*
 * views.h: turning store rows into the API's JSON shapes (internal to inbox/).
 *
 * A query that wants a conversation or message selects CONVERSATION_COLUMNS
 * or MESSAGE_COLUMNS first, in this order, so one function reads them all.
 */
#ifndef CT_INBOX_VIEWS_H
#define CT_INBOX_VIEWS_H

#include <jansson.h>

#include "store/store.h"

#define CONVERSATION_COLUMNS                                                                  \
	"c.id, ch.id, ch.name, ch.kind, co.id, co.name, c.subject, c.status, c.priority,"     \
	" c.language, c.assignee_id, c.team_id, c.snippet, c.message_count,"                  \
	" c.last_activity_at, c.first_response_at, c.resolved_at, c.created_at, c.tag_names," \
	" c.intent, c.action, c.language_unowned, c.sla_policy, c.first_response_due_at,"     \
	" c.next_response_due_at, c.resolution_due_at, c.waiting_since, c.next_response_at,"  \
	" c.triage"
#define CONVERSATION_FROM                                                \
	" FROM conversations c JOIN channels ch ON ch.id = c.channel_id" \
	" JOIN contacts co ON co.id = c.contact_id"

#define MESSAGE_COLUMNS                                                                      \
	"m.id, m.conversation_id, m.direction, m.external_id, m.in_reply_to, m.author_name," \
	" m.identity_id, m.author_user_id, m.text, m.attachments, m.meta, m.created_at,"     \
	" m.received_at, m.delivery_state, m.delivery_error, m.language, m.intent,"          \
	" m.sentiment, m.triage, m.template_id, m.template_version, m.template_deviation"

/* A held reply (held_replies h, its conversation c, channel ch, contact co). */
#define HELD_COLUMNS                                                                   \
	"h.id, h.conversation_id, h.state, h.intent, h.text, h.template_id,"           \
	" h.template_version, h.template_deviation, h.author_name, h.author_user_id,"  \
	" h.created_at, h.decided_by, h.decided_at, h.edited, h.reason, h.message_id," \
	" co.name, ch.name"
#define HELD_FROM                                                               \
	" FROM held_replies h JOIN conversations c ON c.id = h.conversation_id" \
	" JOIN channels ch ON ch.id = c.channel_id JOIN contacts co ON co.id = c.contact_id"

/* The conversation in the current row (CONVERSATION_COLUMNS). New reference. */
json_t *view_conversation(store_stmt *st);

/* The message in the current row (MESSAGE_COLUMNS). New reference. */
json_t *view_message(store_stmt *st);

/* The held reply in the current row (HELD_COLUMNS). New reference. */
json_t *view_held_reply(store_stmt *st);

#endif

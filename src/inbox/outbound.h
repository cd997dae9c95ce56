/*
 * outbound.h: the one way an outbound message is written (internal to
 * inbox/): replies, automatic replies and approved held replies
 * (messages.c, held.c) all insert through outbound_insert, and check their
 * text with the same rules.
 */
#ifndef CT_INBOX_OUTBOUND_H
#define CT_INBOX_OUTBOUND_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* One outbound row: a reply (key set: queued for delivery by a job with
 * the same key) or a note (key NULL). Strings are borrowed. */
typedef struct outbound_row {
	int64_t conversation_id, channel_id;
	const char *direction; /* "out" or "note" */
	int64_t user_id;       /* 0: not written by a user */
	const char *author_name;
	const char *text;
	const char *key;
	int max_attempts;
	int64_t now;
	int64_t template_id; /* 0: not from a template */
	int64_t template_version;
	int template_deviation;
} outbound_row;

/* Insert r and, for a reply, its delivery job, inside the write c; *id
 * gets the message id. */
ct_err outbound_insert(store_conn *c, const outbound_row *r, int64_t *id);

/* Stamp conversation_id as answered by the team at now (first response,
 * next response, snippet), inside the write c. */
ct_err outbound_touch_reply(store_conn *c, int64_t conversation_id, int64_t now, const char *text);

/* The rules for any text: present, not blank, at most INBOX_TEXT_MAX.
 * CT_ERR_INVALID with d naming "text". */
ct_err outbound_check_text(const char *text, err_detail *d);

/* The rules for a text that goes to a customer on a channel of kind: no
 * unfilled "{{variable}}", not longer than the channel takes.
 * CT_ERR_INVALID with d naming "text". */
ct_err outbound_check_wording(const char *text, const char *channel_kind, err_detail *d);

#endif

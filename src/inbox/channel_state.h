/*
 * channel_state.h: how each channel's connection fares (table channel_state).
 *
 * The poll job keeps its position (the adapter's cursor) here, written in
 * the same write as the health after the messages it covers are durable;
 * the hook route and the poll job record each success and each error; the
 * settings page and GET /api/v1/channels show the health: the last success,
 * the last error, when the next poll is due, a platform's wait, and the
 * backlog of replies not yet delivered.
 */
#ifndef CT_CHANNEL_STATE_H
#define CT_CHANNEL_STATE_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* What to record after a poll or a webhook (inside the caller's write). */
typedef struct channel_state_update {
	int64_t channel_id;
	int64_t now_ms;
	const char *error;    /* NULL: a success (last_ok_at = now) */
	const json_t *cursor; /* NULL: keep the stored one */
	int64_t next_poll_at; /* -1: keep */
	int64_t wait_until;   /* -1: keep; 0: no wait */
} channel_state_update;

ct_err channel_state_record(store_conn *c, const channel_state_update *u);

/* The stored cursor (new reference) or NULL (none yet) in *cursor. */
ct_err channel_state_cursor(store_conn *c, int64_t channel_id, json_t **cursor);

/* The health of a channel as the API shows it (new reference):
 * {"last_ok_at", "last_error", "last_error_at", "next_poll_at", "wait_until",
 * "backlog", "failed", "status"}; status is "ok", "error" (the last attempt
 * failed), "waiting" (rate-limited) or "idle" (nothing happened yet). */
ct_err channel_state_health(store_conn *c, int64_t channel_id, int64_t now_ms, json_t **out);

#endif

/*
 * relay_internal.h: what the files of relay/ share (not for other modules).
 */
#ifndef CT_RELAY_INTERNAL_H
#define CT_RELAY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* Register the poll job and its tick (poll.c), the action job (action.c),
 * the reply job (reply.c), the name look-up job (profile.c). */
void relay_poll_register(void);
void relay_action_register(void);
void relay_reply_register(void);
void relay_profile_register(void);

/* Inside the caller's write: queue the look-up of the name of each author
 * of the new messages message_ids[0..n) of channel_id whose contact has no
 * name yet, unless that author was looked up (or queued) before; how many
 * were queued in *queued. For a channel whose adapter has profile(). */
ct_err relay_profile_queue(store_conn *c, int64_t channel_id, const int64_t *message_ids, size_t n,
			   int max_attempts, int *queued);

/* Bring channel_id's queued poll forward to now (inside the caller's write). */
ct_err relay_poll_soon(store_conn *c, int64_t channel_id);

#endif

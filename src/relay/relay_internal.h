/*
 * relay_internal.h: what the files of relay/ share (not for other modules).
 */
#ifndef CT_RELAY_INTERNAL_H
#define CT_RELAY_INTERNAL_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* Register the poll job and its tick (poll.c), the action job (action.c),
 * the reply job (reply.c). */
void relay_poll_register(void);
void relay_action_register(void);
void relay_reply_register(void);

/* Bring channel_id's queued poll forward to now (inside the caller's write). */
ct_err relay_poll_soon(store_conn *c, int64_t channel_id);

#endif

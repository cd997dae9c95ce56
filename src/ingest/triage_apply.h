/*
 * triage_apply.h: storing what the concept decides for a new message
 * (internal to ingest/; see triage_apply.c).
 */
#ifndef CT_TRIAGE_APPLY_H
#define CT_TRIAGE_APPLY_H

#include "ingest/ingest.h"

/* The stored message and what the write knows about it. */
typedef struct triage_apply_input {
	const ingest_options *opt; /* opt->triage is set */
	int64_t message_id, conversation_id, channel_id, contact_id;
	const char *channel_name, *channel_kind; /* borrowed */
	int first_contact;                       /* the contact was made by this message */
	int64_t now;                             /* when it was received */
} triage_apply_input;

/*
 * Check the rules for a message whose text r already holds (triage_analyze)
 * and store the outcome, inside the ingest write c. r gets the decision.
 */
ct_err ingest_apply_triage(store_conn *c, const triage_apply_input *in, triage_result *r);

#endif

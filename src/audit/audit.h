/*
 * audit.h: the audit log: who changed what, when, from what to what.
 *
 * Every state change (conversations, replies, notes, channels, users, teams,
 * tokens, erasures) and every login attempt writes one row, inside the same
 * transaction as the change itself, so the log can never disagree with the
 * data. The table is append-only: triggers refuse UPDATE and DELETE.
 */
#ifndef CT_AUDIT_H
#define CT_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

/* Who acts: a signed-in user, an API token, or the system itself. */
typedef struct actor {
	const char *name; /* "user:anna@example.org", "token:crm", "system" */
	int64_t user_id;  /* 0 when not a user */
	int64_t token_id; /* 0 when not a token */
	const char *ip;   /* NULL for the system and the command line */
} actor;

extern const actor actor_system;

/*
 * Append an entry inside the caller's write (c is the writer connection).
 * before and after are JSON texts or NULL.
 */
ct_err audit_record(store_conn *c, const actor *who, const char *action, const char *object_type,
		    int64_t object_id, const char *before, const char *after);

/* Same, taking jansson values (borrowed; NULL allowed). */
ct_err audit_record_json(store_conn *c, const actor *who, const char *action,
			 const char *object_type, int64_t object_id, json_t *before, json_t *after);

typedef struct audit_filter {
	const char *object_type; /* NULL: any */
	int64_t object_id;       /* 0: any */
	const char *action;      /* NULL: any */
	int64_t before_id;       /* page below this id; 0: newest */
	int limit;
} audit_filter;

/* Entries newest first; *next_before is the id to page on (0 when last). */
ct_err audit_list(store_conn *c, const audit_filter *f, json_t **data, int64_t *next_before);

#endif

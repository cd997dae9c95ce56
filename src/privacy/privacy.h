/*
 * privacy.h: what the GDPR (DSGVO) asks of an inbox: tell a person
 * everything held about them, erase it on request, and keep conversations
 * no longer than the retention policy says.
 *
 * Erasure anonymises: the messages of the contact's conversations lose
 * their text, author names, attachments and metadata; identities are
 * deleted; the contact row stays, marked erased, so that the audit log's
 * entry "contact.erased" still points somewhere. Retention applies the same
 * (or deletes outright) to conversations resolved longer ago than N months.
 */
#ifndef CT_PRIVACY_H
#define CT_PRIVACY_H

#include <jansson.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/store.h"

#define PRIVACY_ERASED_TEXT "[erased]"

/* The contact card: name, identities, conversations (ids, status, channel). */
ct_err privacy_contact(store_conn *c, int64_t id, json_t **out);

/* Everything held about a contact: the card, every conversation with every
 * message, and the audit entries about them. */
ct_err privacy_export(store_conn *c, int64_t id, json_t **out);

/* Erase a contact (see above) in one transaction; *report counts what was
 * changed. Audited. */
ct_err privacy_erase(store *s, const actor *who, int64_t id, json_t **report);

/* Anonymise ("anonymise") or delete ("delete") conversations resolved before
 * cutoff_ms, in batches; *report counts what was done. Audited. */
ct_err privacy_retention(store *s, const actor *who, int64_t cutoff_ms, const char *mode,
			 json_t **report);

/* The daily retention job, for jobs_register_kind (defined in retention_job.c). */
struct job_kind;
extern const struct job_kind privacy_retention_job;

#endif

/*
 * email_imap.h: the IMAP side of the e-mail channel, over libcurl.
 *
 * A session keeps one curl handle, so that the status, the search and every
 * fetch of one poll share one connection and one login. Listing asks for
 * STATUS (UIDVALIDITY UIDNEXT) first and searches only when UIDNEXT says
 * there is something new; fetching is curl's ";UID=" URL (UID FETCH BODY[]).
 * Waiting speaks IDLE itself over a connect-only handle.
 */
#ifndef CT_EMAIL_IMAP_H
#define CT_EMAIL_IMAP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct email_imap_settings {
	const char *url; /* imap[s]://host[:port]/MAILBOX (MAILBOX defaults to INBOX) */
	const char *username;
	const char *password;
	int timeout_s;
	size_t max_mail_bytes; /* a larger mail is not fetched (CT_ERR_TOO_LARGE) */
} email_imap_settings;

typedef struct email_imap email_imap;

/* Open a session (nothing is sent yet). Free with email_imap_close. */
email_imap *email_imap_open(const email_imap_settings *s);
void email_imap_close(email_imap *im);

/* The error text of the last failure (for people; no secrets). Borrowed. */
const char *email_imap_error(const email_imap *im);

/* 1 when the last failure cannot be cured by retrying (login refused, bad URL). */
int email_imap_permanent(const email_imap *im);

/* The mailbox's UIDVALIDITY and the UIDs above after_uid, ascending,
 * at most max of them (*more = 1 when there were more). *uids is malloc'd. */
ct_err email_imap_list(email_imap *im, uint32_t after_uid, size_t max, uint32_t *uidvalidity,
		       uint32_t **uids, size_t *n, int *more);

/* The raw bytes of mail uid into out (reset first). CT_ERR_NOT_FOUND when it
 * is gone, CT_ERR_TOO_LARGE past max_mail_bytes. */
ct_err email_imap_fetch(email_imap *im, uint32_t uidvalidity, uint32_t uid, buf *out);

/* Wait with IDLE for a new mail ("* n EXISTS") or max_s seconds, whichever
 * comes first, watching *stop. CT_OK then; CT_ERR_UNAVAILABLE when the
 * server has no IDLE (nothing was waited for). */
ct_err email_imap_idle(const email_imap_settings *s, int max_s, const atomic_int *stop, char *error,
		       size_t error_size);

#endif

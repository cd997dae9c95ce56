/*
 * email_parse.h: one raw e-mail (RFC 5322 bytes, MIME parsed by GMime) into
 * the ingest API's message JSON, for the e-mail channel (email.c).
 *
 * What the mail becomes: the decoded subject; the sender as the author (id =
 * the lower-cased address); the Message-ID as external_id; In-Reply-To and
 * References as in_reply_to and thread_id (the thread's root Message-ID);
 * the text of the best text/plain part in UTF-8 (or the HTML part turned
 * into clean text), with quoted earlier mails and the signature folded away
 * (the whole text stays in meta.full_text); the attachments stored by their
 * SHA-256 and listed. Everything returned fits the ingest limits, so that one
 * odd mail can never block a mailbox.
 */
#ifndef CT_EMAIL_PARSE_H
#define CT_EMAIL_PARSE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define EMAIL_MAX_ATTACHMENT_DEFAULT ((size_t)20 << 20)
#define EMAIL_MAX_TEXT_DEFAULT ((size_t)32 << 10)

typedef struct email_parse_opts {
	const char *own_address;     /* mails from it are skipped; NULL: none */
	const char *files_dir;       /* attachments are stored here; NULL: only listed */
	size_t max_attachment_bytes; /* larger ones are listed as skipped (0: the default) */
	size_t max_text_bytes;       /* the text is cut to this (0: the default) */
	uint32_t uidvalidity, uid;   /* the mail's place, for a Message-ID when it has none */
	int64_t now_ms;              /* a Date later than a day after this is not believed */
} email_parse_opts;

/*
 * Parse len bytes of a mail into *out (an ingest message without "channel",
 * owned by the caller). *out stays NULL and CT_OK is returned for a mail to
 * skip (sent from own_address). CT_ERR_IO when an attachment could not be
 * stored (try again later); any bytes at all make some message.
 */
ct_err email_parse(const char *data, size_t len, const email_parse_opts *o, json_t **out);

/* HTML as clean text: head, style and script dropped, block elements as line
 * breaks, links as "text (url)", entities decoded. malloc'd; NUL-terminated. */
char *email_html_to_text(const char *html, size_t len);

/* The new part of a reply: quoted lines ("> "), the quoted earlier mail after
 * "Am ... schrieb ...:" / "On ... wrote:" / an Outlook header block, and the
 * signature after "-- " removed; *folded says whether anything was. The
 * whole text when nothing would remain. malloc'd. */
char *email_fold_quotes(const char *text, int *folded);

/* The conversation id of the subject token "[#<id>]", 0 when there is none. */
int64_t email_subject_token(const char *subject);

#define EMAIL_ID_SIZE 256

/* A Message-ID (with or without <>) as stored, into out: without the
 * brackets and surrounding space, as "sha256:<hex>" when it would not fit. */
void email_normalise_id(const char *raw, char out[EMAIL_ID_SIZE]);

#endif

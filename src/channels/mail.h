/*
 * mail.h: sending a plain-text e-mail over SMTP. The message is composed by
 * GMime (encoded headers, UTF-8 body in quoted-printable, Date, Message-ID)
 * and sent by libcurl (STARTTLS when the server offers it, smtps:// for TLS
 * from the start). Used by the send_mail job and, for replies (In-Reply-To,
 * References, a Message-ID of its own choosing), by the e-mail channel.
 */
#ifndef CT_MAIL_H
#define CT_MAIL_H

#include "channels/channel.h"
#include "core/buf.h"

typedef struct mail_settings {
	const char *url; /* smtp://host:port or smtps://host:port */
	const char *from;
	const char *username; /* "" for none */
	const char *password;
	int timeout_s;
} mail_settings;

typedef struct mail_message {
	const char *to;
	const char *subject;
	const char *text;
} mail_message;

/* What a reply adds to a mail; every field may be NULL. Ids without <>. */
typedef struct mail_thread {
	const char *to_name;
	const char *from_name;         /* NULL: "cluetrain" */
	const char *message_id;        /* NULL: a new random one */
	const char *in_reply_to;       /* NULL: none */
	const char *const *references; /* NULL-terminated; NULL: none */
} mail_thread;

/* Initialise GMime once per process (any thread may call it, often). */
void mail_gmime_init(void);

/* Compose m into out (RFC 5322 text with CRLF line ends). */
ct_err mail_compose(const mail_settings *s, const mail_message *m, buf *out);

/* The same with a reply's headers (t may be NULL). */
ct_err mail_compose_thread(const mail_settings *s, const mail_message *m, const mail_thread *t,
			   buf *out);

/* Compose and send; out says why not (permanent when retrying cannot help).
 * On success out->external_id holds the Message-ID sent (without <>). */
ct_err mail_send(const mail_settings *s, const mail_message *m, channel_outcome *out);

/* The same for a reply: with t's headers (t may be NULL). */
ct_err mail_send_thread(const mail_settings *s, const mail_message *m, const mail_thread *t,
			channel_outcome *out);

#endif

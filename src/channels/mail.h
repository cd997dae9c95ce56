/*
 * mail.h: sending a plain-text e-mail over SMTP. The message is composed by
 * GMime (encoded headers, UTF-8 body in quoted-printable, Date, Message-ID)
 * and sent by libcurl (STARTTLS when the server offers it, smtps:// for TLS
 * from the start). Used by the send_mail job; the e-mail channel (a later
 * issue) builds on it.
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

/* Compose m into out (RFC 5322 text with CRLF line ends). */
ct_err mail_compose(const mail_settings *s, const mail_message *m, buf *out);

/* Compose and send; out says why not (permanent when retrying cannot help). */
ct_err mail_send(const mail_settings *s, const mail_message *m, channel_outcome *out);

#endif

/*
 * mail.c: composing with GMime and sending with libcurl (see mail.h).
 */
#include "channels/mail.h"

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void init_gmime(void)
{
	g_mime_init();
}

void mail_gmime_init(void)
{
	pthread_once(&gmime_once, init_gmime);
}

/* The domain part of an address, for the Message-ID. */
static const char *domain_of(const char *address)
{
	const char *at = strrchr(address, '@');
	return at && at[1] ? at + 1 : "localhost";
}

static const mail_thread no_thread;

/* In-Reply-To and References of a reply. */
static void set_thread_headers(GMimeMessage *msg, const mail_thread *m)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	if (m->in_reply_to && *m->in_reply_to) {
		char *v = g_strdup_printf("<%s>", m->in_reply_to);
		g_mime_object_set_header(obj, "In-Reply-To", v, NULL);
		g_free(v);
	}
	GString *refs = g_string_new(NULL);
	for (size_t i = 0; m->references && m->references[i]; i++)
		if (*m->references[i])
			g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "",
					       m->references[i]);
	if (refs->len)
		g_mime_object_set_header(obj, "References", refs->str, NULL);
	g_string_free(refs, TRUE);
}

/* The Message-ID of m (or a new one) into id. */
static void message_id_for(const mail_settings *s, const mail_thread *t, char *id, size_t size)
{
	if (t->message_id && *t->message_id) {
		snprintf(id, size, "%s", t->message_id);
		return;
	}
	char *fresh = g_mime_utils_generate_message_id(domain_of(s->from));
	snprintf(id, size, "%s", fresh);
	g_free(fresh);
}

/* Compose m with Message-ID id into out. */
static ct_err compose_with_id(const mail_settings *s, const mail_message *m, const mail_thread *t,
			      const char *id, buf *out)
{
	mail_gmime_init();
	GMimeMessage *msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM,
				   t->from_name ? t->from_name : "cluetrain", s->from);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, t->to_name, m->to);
	g_mime_message_set_subject(msg, m->subject, "utf-8");
	GDateTime *now = g_date_time_new_now_utc();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	g_mime_message_set_message_id(msg, id);
	set_thread_headers(msg, t);
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, m->text);
	g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	g_object_unref(part);
	GMimeFormatOptions *fmt = g_mime_format_options_clone(NULL);
	g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
	char *text = g_mime_object_to_string(GMIME_OBJECT(msg), fmt);
	ct_err err = text ? buf_puts(out, text) : CT_ERR_INTERNAL;
	g_free(text);
	g_mime_format_options_free(fmt);
	g_object_unref(msg);
	return err;
}

ct_err mail_compose(const mail_settings *s, const mail_message *m, buf *out)
{
	return mail_compose_thread(s, m, NULL, out);
}

ct_err mail_compose_thread(const mail_settings *s, const mail_message *m, const mail_thread *t,
			   buf *out)
{
	char id[256];
	t = t ? t : &no_thread;
	message_id_for(s, t, id, sizeof(id));
	return compose_with_id(s, m, t, id, out);
}

typedef struct upload {
	const char *data;
	size_t len, sent;
} upload;

static size_t read_upload(char *dst, size_t size, size_t n, void *arg)
{
	upload *u = arg;
	size_t room = size * n, left = u->len - u->sent;
	size_t take = left < room ? left : room;
	memcpy(dst, u->data + u->sent, take);
	u->sent += take;
	return take;
}

/* SMTP answers 5xx for permanent refusals (unknown recipient, ...). */
static int permanent_failure(CURL *curl, CURLcode rc)
{
	long code = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	return rc == CURLE_LOGIN_DENIED || (code >= 500 && code < 600) ||
	       rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL;
}

ct_err mail_send(const mail_settings *s, const mail_message *m, channel_outcome *out)
{
	return mail_send_thread(s, m, NULL, out);
}

ct_err mail_send_thread(const mail_settings *s, const mail_message *m, const mail_thread *t,
			channel_outcome *out)
{
	if (!t)
		t = &no_thread;
	if (!s->url || !*s->url) {
		snprintf(out->error, sizeof(out->error), "no mail server is configured (smtp.url)");
		out->permanent = 1;
		return CT_ERR_INVALID;
	}
	buf text;
	buf_init(&text, 1 << 20);
	char id[256];
	message_id_for(s, t, id, sizeof(id));
	ct_err err = compose_with_id(s, m, t, id, &text);
	if (err) {
		buf_free(&text);
		return err;
	}
	char from[320], to[320];
	snprintf(from, sizeof(from), "<%s>", s->from);
	snprintf(to, sizeof(to), "<%s>", m->to);
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	upload u = {text.data, text.len, 0};
	CURL *curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, s->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	/* With credentials, TLS is required: a password never crosses in clear.
	 * Without, STARTTLS is used when the server offers it. */
	int has_login = s->username && *s->username;
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
			 (long)(has_login ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)s->timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (has_login) {
		curl_easy_setopt(curl, CURLOPT_USERNAME, s->username);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, s->password);
	}
	CURLcode rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		snprintf(out->error, sizeof(out->error),
			 "the mail server refused or was not reached: %s", curl_easy_strerror(rc));
		out->permanent = permanent_failure(curl, rc);
		err = CT_ERR_IO;
	} else {
		snprintf(out->external_id, sizeof(out->external_id), "%s", id);
	}
	curl_easy_cleanup(curl);
	curl_slist_free_all(rcpt);
	buf_free(&text);
	return err;
}

/*
 * email.c: the "email" channel: a mailbox read over IMAP, replies sent over
 * SMTP.
 *
 * config: imap_url (imap[s]://host:port/INBOX), smtp_url (smtp[s]://...),
 * address (ours: the From of replies; mails from it are skipped), username,
 * smtp_username (default username; "" for a relay without login),
 * from_name (default the channel's name), poll_every_s, max_per_poll
 * (default 200), max_attachment_bytes (default 20 MiB), max_text_bytes
 * (default 32 KiB), idle (default true). secrets: password, smtp_password
 * (default password).
 *
 * poll: the cursor {"uidvalidity":N,"last_uid":N} says how far the mailbox
 * was read; a new UIDVALIDITY starts over (ingest drops what it has by
 * Message-ID). Each new mail is fetched and parsed (email_parse.c). The
 * cursor returned covers exactly the mails returned: a fetch that fails
 * ends the poll there. wait: IMAP IDLE (email_imap.c). send_reply: a mail
 * "Re: <subject> [#<conversation id>]" with In-Reply-To and References,
 * whose Message-ID is derived from the idempotency key, so that a retry
 * sends the same mail again rather than a second one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "channels/channel.h"
#include "channels/email_imap.h"
#include "channels/email_parse.h"
#include "channels/mail.h"
#include "core/crypto.h"
#include "core/timeutil.h"

#define MAX_PER_POLL_DEFAULT 200
#define POLL_BYTES_MAX ((size_t)64 << 20)
#define REFERENCES_MAX 20

/* An integer of config, or fallback when absent or not positive. */
static int64_t config_int(const channel_ctx *ch, const char *name, int64_t fallback)
{
	json_t *v = json_object_get(ch->config, name);
	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : fallback;
}

/* The IMAP settings of the channel. */
static email_imap_settings imap_settings(const channel_ctx *ch)
{
	size_t max_attachment = (size_t)config_int(ch, "max_attachment_bytes",
						   (int64_t)EMAIL_MAX_ATTACHMENT_DEFAULT);
	return (email_imap_settings){
		.url = channel_config_string(ch, "imap_url"),
		.username = channel_config_string(ch, "username"),
		.password = channel_secret(ch, "password"),
		.timeout_s = ch->timeout_s,
		/* base64 grows a part by a third; room for a few big parts */
		.max_mail_bytes = max_attachment * 3 + ((size_t)16 << 20),
	};
}

/* A stand-in for a mail too large to fetch: the inbox still learns of it. */
static json_t *too_large_message(uint32_t uidvalidity, uint32_t uid, size_t max)
{
	char id[EMAIL_ID_SIZE], text[200];
	snprintf(id, sizeof(id), "imap-%lu-%lu@cluetrain.invalid", (unsigned long)uidvalidity,
		 (unsigned long)uid);
	snprintf(text, sizeof(text),
		 "A mail of more than %zu MiB was left in the mailbox (IMAP UID %lu).", max >> 20,
		 (unsigned long)uid);
	return json_pack("{s:s, s:s, s:s, s:{s:s}, s:{s:I, s:I}}", "external_id", id, "thread_id",
			 id, "text", text, "author", "id", "unknown@invalid", "meta", "uid",
			 (json_int_t)uid, "uidvalidity", (json_int_t)uidvalidity);
}

/* Fetch and parse one mail; *msg NULL when it is to be skipped. */
static ct_err take_mail(const channel_ctx *ch, email_imap *im, const email_imap_settings *is,
			uint32_t uidvalidity, uint32_t uid, buf *raw, json_t **msg)
{
	*msg = NULL;
	ct_err err = email_imap_fetch(im, uidvalidity, uid, raw);
	if (err == CT_ERR_NOT_FOUND)
		return CT_OK; /* expunged meanwhile: nothing to take */
	if (err == CT_ERR_TOO_LARGE) {
		*msg = too_large_message(uidvalidity, uid, is->max_mail_bytes);
		return CT_OK;
	}
	if (err)
		return err;
	email_parse_opts o = {
		.own_address = channel_config_string(ch, "address"),
		.files_dir = ch->files_dir,
		.max_attachment_bytes = (size_t)config_int(ch, "max_attachment_bytes", 0),
		.max_text_bytes = (size_t)config_int(ch, "max_text_bytes", 0),
		.uidvalidity = uidvalidity,
		.uid = uid,
		.now_ms = time_now_ms(),
	};
	return email_parse(raw->data ? raw->data : "", raw->len, &o, msg);
}

/* Where the cursor says the last poll ended (0/0 on the first poll). */
static void read_cursor(const json_t *cursor, uint32_t *uidvalidity, uint32_t *last_uid)
{
	*uidvalidity = (uint32_t)json_integer_value(json_object_get(cursor, "uidvalidity"));
	*last_uid = (uint32_t)json_integer_value(json_object_get(cursor, "last_uid"));
}

/* What a poll has found so far. */
typedef struct poll_state {
	uint32_t validity, last_uid; /* where the mails taken end */
	uint32_t *uids;              /* the new UIDs, ascending (malloc'd) */
	size_t n, taken;
} poll_state;

/* The new UIDs: since last_uid, or all of them under a new UIDVALIDITY. */
static ct_err list_new(const channel_ctx *ch, email_imap *im, uint32_t old_validity, poll_state *p,
		       int *more)
{
	size_t max = (size_t)config_int(ch, "max_per_poll", MAX_PER_POLL_DEFAULT);
	uint32_t since = p->last_uid;
	ct_err err = email_imap_list(im, since, max, &p->validity, &p->uids, &p->n, more);
	if (err || p->validity == old_validity)
		return err;
	p->last_uid = 0; /* a new mailbox under the old name: read it all */
	if (since == 0)
		return CT_OK; /* it was listed from the start already */
	free(p->uids);
	p->uids = NULL;
	return email_imap_list(im, 0, max, &p->validity, &p->uids, &p->n, more);
}

/* Fetch and parse the listed mails into messages, in order, until one
 * fails or POLL_BYTES_MAX is reached (*more then). */
static ct_err take_mails(const channel_ctx *ch, email_imap *im, const email_imap_settings *is,
			 poll_state *p, json_t *messages, int *more)
{
	buf raw;
	buf_init(&raw, 0);
	size_t bytes = 0;
	ct_err err = CT_OK;
	while (!err && p->taken < p->n) {
		json_t *msg = NULL;
		err = take_mail(ch, im, is, p->validity, p->uids[p->taken], &raw, &msg);
		if (err)
			break;
		if (msg)
			json_array_append_new(messages, msg);
		p->last_uid = p->uids[p->taken++];
		bytes += raw.len;
		if (bytes > POLL_BYTES_MAX && p->taken < p->n) {
			*more = 1;
			break;
		}
	}
	buf_free(&raw);
	return err;
}

static ct_err email_poll(const channel_ctx *ch, const json_t *cursor, channel_poll_result *result)
{
	email_imap_settings is = imap_settings(ch);
	poll_state p = {0};
	uint32_t old_validity;
	read_cursor(cursor, &old_validity, &p.last_uid);
	result->messages = json_array();
	email_imap *im = email_imap_open(&is);
	ct_err err = list_new(ch, im, old_validity, &p, &result->more);
	if (!err)
		err = take_mails(ch, im, &is, &p, result->messages, &result->more);
	if (err) {
		channel_fail(&result->outcome, email_imap_permanent(im),
			     email_imap_error(im)[0] ? email_imap_error(im)
						     : "a mail could not be read or stored");
		result->more = 0;
	}
	/* the cursor covers exactly the mails returned */
	if (p.validity && (p.validity != old_validity || p.taken > 0))
		result->cursor = json_pack("{s:I, s:I}", "uidvalidity", (json_int_t)p.validity,
					   "last_uid", (json_int_t)p.last_uid);
	free(p.uids);
	email_imap_close(im);
	return err;
}

/* Sleep up to max_s in small steps, watching stop. */
static void nap(int max_s, const atomic_int *stop)
{
	int64_t until = time_mono_ms() + (int64_t)max_s * 1000;
	while (!(stop && *stop) && time_mono_ms() < until) {
		struct timespec step = {0, 200 * 1000000L};
		nanosleep(&step, NULL);
	}
}

static ct_err email_wait(const channel_ctx *ch, int max_s, const atomic_int *stop)
{
	json_t *idle = json_object_get(ch->config, "idle");
	ct_err err = CT_ERR_UNAVAILABLE;
	if (!json_is_false(idle)) {
		email_imap_settings is = imap_settings(ch);
		char error[256];
		err = email_imap_idle(&is, max_s, stop, error, sizeof(error));
		if (err == CT_OK)
			return CT_OK;
		if (err != CT_ERR_UNAVAILABLE)
			max_s = max_s < 10 ? max_s : 10; /* the caller pauses after errors */
	}
	/* No IDLE: the poll interval rules; there is no news to tell. */
	nap(max_s, stop);
	return err;
}

/* "Re: <subject> [#<id>]": one Re:, one token. g_malloc'd via buf. */
static char *reply_subject(const channel_reply *rp)
{
	const char *s = rp->subject && *rp->subject ? rp->subject : "";
	buf out;
	buf_init(&out, 2048);
	if (strncasecmp(s, "Re:", 3) && strncasecmp(s, "AW:", 3))
		buf_puts(&out, "Re: ");
	buf_puts(&out, *s ? s : "Ihre Nachricht");
	if (email_subject_token(s) != rp->conversation_id)
		buf_printf(&out, " [#%lld]", (long long)rp->conversation_id);
	return buf_detach(&out, NULL);
}

/* Our Message-ID for the reply: the same for every attempt of one reply,
 * and not to be guessed from the idempotency key (a client may choose it):
 * an HMAC of it under the channel's password. A guessed Message-ID in a
 * stranger's In-Reply-To would thread the stranger into the conversation. */
static void reply_message_id(const channel_ctx *ch, const channel_reply *rp, const char *address,
			     char *out, size_t size)
{
	char hex[CRYPTO_TOKEN_HASH_HEX];
	const char *key = rp->idempotency_key ? rp->idempotency_key : "";
	const char *secret = channel_secret(ch, "password");
	crypto_hmac_sha256_hex(secret ? secret : "", key, strlen(key), hex);
	const char *at = strrchr(address, '@');
	snprintf(out, size, "ct.%lld.%.32s@%s", (long long)rp->conversation_id, hex,
		 at && at[1] ? at + 1 : "localhost");
}

/* References: those of the message answered (root first), then it. The
 * array of strings is borrowed from refs; free the array only. */
static const char **reply_references(const channel_reply *rp, json_t **meta)
{
	*meta = rp->in_reply_to_meta ? json_loads(rp->in_reply_to_meta, 0, NULL) : NULL;
	json_t *refs = json_object_get(*meta, "references");
	size_t n = json_array_size(refs), k = 0;
	const char **list = calloc(REFERENCES_MAX + 2, sizeof(*list));
	if (!list)
		abort();
	size_t first = n > REFERENCES_MAX ? n - REFERENCES_MAX + 1 : 1;
	if (n)
		list[k++] = json_string_value(json_array_get(refs, 0));
	for (size_t i = first; i < n; i++)
		list[k++] = json_string_value(json_array_get(refs, i));
	if (rp->in_reply_to && (!k || !list[k - 1] || strcmp(list[k - 1], rp->in_reply_to)))
		list[k++] = rp->in_reply_to;
	list[k] = NULL;
	return list;
}

static ct_err email_send_reply(const channel_ctx *ch, const channel_reply *rp, channel_outcome *out)
{
	const char *address = channel_config_string(ch, "address");
	const char *smtp_user = channel_config_string(ch, "smtp_username");
	const char *smtp_password = channel_secret(ch, "smtp_password");
	if (!address || !strchr(address, '@')) {
		channel_fail(out, 1, "the channel has no address to send from");
		return CT_ERR_INVALID;
	}
	if (!channel_config_string(ch, "smtp_url") || !*channel_config_string(ch, "smtp_url")) {
		channel_fail(out, 1, "the channel has no smtp_url");
		return CT_ERR_INVALID;
	}
	if (!rp->recipient_handle || !strchr(rp->recipient_handle, '@')) {
		channel_fail(out, 1, "the conversation has no e-mail address to answer to");
		return CT_ERR_INVALID;
	}
	char id[256];
	reply_message_id(ch, rp, address, id, sizeof(id));
	char *subject = reply_subject(rp);
	json_t *meta = NULL;
	const char **refs = reply_references(rp, &meta);
	const char *from_name = channel_config_string(ch, "from_name");
	mail_settings s = {
		.url = channel_config_string(ch, "smtp_url"),
		.from = address,
		.username = smtp_user ? smtp_user : channel_config_string(ch, "username"),
		.password = smtp_password ? smtp_password : channel_secret(ch, "password"),
		.timeout_s = ch->timeout_s,
	};
	mail_message m = {
		.to = rp->recipient_handle,
		.subject = subject,
		.text = rp->text ? rp->text : "",
	};
	mail_thread t = {
		.to_name = rp->recipient_name,
		.from_name = from_name ? from_name : ch->name,
		.message_id = id,
		.in_reply_to = rp->in_reply_to,
		.references = refs,
	};
	ct_err err = mail_send_thread(&s, &m, &t, out);
	free(refs);
	json_decref(meta);
	free(subject);
	return err;
}

const channel_kind channel_email = {
	.kind = "email",
	.send_reply = email_send_reply,
	.poll = email_poll,
	.wait = email_wait,
	.poll_every_s = 60,
	.config_fields = {"address", "imap_url", "smtp_url", "username", "smtp_username",
			  "from_name", "poll_every_s", "idle", "max_per_poll",
			  "max_attachment_bytes", "max_text_bytes", NULL},
	.secret_fields = {"password", "smtp_password", NULL},
};

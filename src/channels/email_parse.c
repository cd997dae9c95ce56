/*
 * email_parse.c: a raw mail into an ingest message with GMime (see
 * email_parse.h). The MIME tree is walked once: the first text/plain part
 * that is not an attachment is the text (the first text/html one when there
 * is no plain part), every other leaf is an attachment. Every string that
 * goes into the JSON is valid UTF-8 and within the ingest limits (ids 256
 * bytes, names 256, subject 998, 20 attachments, meta 16 KiB).
 */
#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channels/email_parse.h"
#include "channels/mail.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/timeutil.h"

#define NAME_MAX_BYTES 250
#define SUBJECT_MAX_BYTES 990
#define ATTACHMENTS_MAX 20
#define LIST_MAX 20
#define META_MAX 16000
#define MAX_DEPTH 32
#define EARLIEST_MS 631152000000LL /* 1990-01-01, as ingest wants */
#define DAY_MS (24LL * 3600 * 1000)

typedef struct walk {
	const email_parse_opts *o;
	GMimeTextPart *plain, *html;
	json_t *attachments;
	int not_listed; /* attachments beyond ATTACHMENTS_MAX */
	ct_err err;
} walk;

/* s (n bytes, any encoding) as valid UTF-8, cut at a character boundary to
 * at most max bytes; NUL and other control characters but tab and newline
 * dropped. g_malloc'd. Bytes that are not UTF-8 are read as Windows-1252,
 * the usual truth behind a wrong or missing charset. */
static char *clean_utf8(const char *s, size_t n, size_t max)
{
	char *u = NULL;
	if (g_utf8_validate(s, (gssize)n, NULL))
		u = g_strndup(s, n);
	else
		u = g_convert(s, (gssize)n, "UTF-8", "WINDOWS-1252", NULL, NULL, NULL);
	if (!u)
		u = g_utf8_make_valid(s, (gssize)n);
	size_t w = 0;
	for (size_t r = 0; u[r]; r++) {
		unsigned char c = (unsigned char)u[r];
		if (c >= 0x20 || c == '\n' || c == '\t')
			u[w++] = u[r];
		else if (c == '\r' && u[r + 1] != '\n')
			u[w++] = '\n';
	}
	u[w] = '\0';
	if (w > max) {
		const char *cut = g_utf8_find_prev_char(u, u + max + 1);
		u[cut ? (size_t)(cut - u) : 0] = '\0';
	}
	return u;
}

/* json string of s cleaned as above (NULL stays NULL). */
static json_t *json_clean(const char *s, size_t max)
{
	if (!s)
		return NULL;
	char *u = clean_utf8(s, strlen(s), max);
	json_t *j = json_string(u);
	g_free(u);
	return j;
}

/* ---- attachments ---- */

/* Write data to dir/<hex> through a temporary file and a rename, unless it is
 * there already. */
static ct_err store_file(const char *dir, const char *hex, const unsigned char *data, size_t len)
{
	char path[4096], tmp[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, hex);
	if (access(path, F_OK) == 0)
		return CT_OK;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return CT_ERR_IO;
	snprintf(tmp, sizeof(tmp), "%s/.tmp.%s.%llx", dir, hex, crypto_random_u64());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return CT_ERR_IO;
	ct_err err = CT_OK;
	for (size_t off = 0; off < len && !err;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno != EINTR)
			err = CT_ERR_IO;
		else if (w > 0)
			off += (size_t)w;
	}
	if (!err && fsync(fd) != 0)
		err = CT_ERR_IO;
	if (close(fd) != 0)
		err = CT_ERR_IO;
	if (!err && rename(tmp, path) != 0)
		err = CT_ERR_IO;
	if (err)
		unlink(tmp);
	return err;
}

/* The decoded bytes of a leaf part, or a forwarded message's text. Owned. */
static GByteArray *part_bytes(GMimeObject *obj)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));
		if (content)
			g_mime_data_wrapper_write_to_stream(content, mem);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (inner)
			g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem);
	}
	GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE); /* the bytes are ours now */
	g_object_unref(mem);
	return bytes;
}

/* A file name fit to show: no path, no control characters, at most
 * NAME_MAX_BYTES. g_malloc'd. */
static char *attachment_name(GMimeObject *obj)
{
	const char *name = GMIME_IS_PART(obj) ? g_mime_part_get_filename(GMIME_PART(obj)) : NULL;
	if (!name || !*name)
		name = GMIME_IS_MESSAGE_PART(obj) ? "message.eml" : "attachment";
	const char *slash = strrchr(name, '/'), *back = strrchr(name, '\\');
	if (slash || back)
		name = (slash > back ? slash : back) + 1;
	return clean_utf8(*name ? name : "attachment", strlen(*name ? name : "attachment"),
			  NAME_MAX_BYTES);
}

/* One attachment: stored (or refused for its size) and listed. */
static void add_attachment(walk *w, GMimeObject *obj)
{
	if (json_array_size(w->attachments) >= ATTACHMENTS_MAX) {
		w->not_listed++;
		return;
	}
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *type =
		ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("application/octet-stream");
	char *name = attachment_name(obj);
	GByteArray *bytes = part_bytes(obj);
	json_t *entry = json_pack("{s:s, s:o, s:I}", "name", name, "type", json_clean(type, 100),
				  "size", (json_int_t)bytes->len);
	if (bytes->len > w->o->max_attachment_bytes) {
		json_object_set_new(entry, "skipped", json_string("too large"));
	} else {
		char hex[CRYPTO_TOKEN_HASH_HEX];
		crypto_hash_token((const char *)bytes->data, bytes->len, hex);
		json_object_set_new(entry, "sha256", json_string(hex));
		if (w->o->files_dir) {
			ct_err err = store_file(w->o->files_dir, hex, bytes->data, bytes->len);
			if (err)
				w->err = err;
		}
	}
	json_array_append_new(w->attachments, entry);
	g_byte_array_free(bytes, TRUE);
	g_free(name);
	g_free(type);
}

/* Walk the MIME tree: the text parts and the attachments. */
static void walk_part(walk *w, GMimeObject *obj, int depth)
{
	if (depth > MAX_DEPTH || w->err)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			walk_part(w, g_mime_multipart_get_part(mp, i), depth + 1);
		return;
	}
	if (GMIME_IS_TEXT_PART(obj) && !g_mime_part_is_attachment(GMIME_PART(obj))) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		if (g_mime_content_type_is_type(ct, "text", "plain") && !w->plain) {
			w->plain = GMIME_TEXT_PART(obj);
			return;
		}
		if (g_mime_content_type_is_type(ct, "text", "html") && !w->html) {
			w->html = GMIME_TEXT_PART(obj);
			return;
		}
	}
	if (GMIME_IS_PART(obj) || GMIME_IS_MESSAGE_PART(obj))
		add_attachment(w, obj);
}

/* ---- text ---- */

/* The mail's text in UTF-8 (plain preferred, else HTML made text). malloc'd. */
static char *body_text(const walk *w)
{
	GMimeTextPart *part = w->plain ? w->plain : w->html;
	if (!part)
		return xstrdup("");
	char *raw = g_mime_text_part_get_text(part);
	char *u = clean_utf8(raw ? raw : "", raw ? strlen(raw) : 0, (size_t)64 << 20);
	g_free(raw);
	char *text = w->plain ? xstrdup(u) : email_html_to_text(u, strlen(u));
	g_free(u);
	return text;
}

/* text cut to max bytes at a character boundary, in place. */
static void cut_text(char *text, size_t max)
{
	if (strlen(text) <= max)
		return;
	const char *cut = g_utf8_find_prev_char(text, text + max + 1);
	text[cut ? (size_t)(cut - text) : 0] = '\0';
}

/* ---- addresses and ids ---- */

/* The addresses of a list as a JSON array of "Name <addr>" strings. */
static json_t *address_list(InternetAddressList *list)
{
	json_t *a = json_array();
	int n = list ? internet_address_list_length(list) : 0;
	for (int i = 0; i < n && i < LIST_MAX; i++) {
		char *s = internet_address_to_string(internet_address_list_get_address(list, i),
						     NULL, FALSE);
		json_array_append_new(a, json_clean(s ? s : "", 300));
		g_free(s);
	}
	return a;
}

/* The first mailbox of From (then Sender, Reply-To) or NULL; borrowed. */
static InternetAddressMailbox *sender_of(GMimeMessage *msg)
{
	static const GMimeAddressType types[] = {GMIME_ADDRESS_TYPE_FROM, GMIME_ADDRESS_TYPE_SENDER,
						 GMIME_ADDRESS_TYPE_REPLY_TO};
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		InternetAddressList *list = g_mime_message_get_addresses(msg, types[t]);
		for (int i = 0; list && i < internet_address_list_length(list); i++) {
			InternetAddress *a = internet_address_list_get_address(list, i);
			if (INTERNET_ADDRESS_IS_MAILBOX(a) &&
			    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)))
				return INTERNET_ADDRESS_MAILBOX(a);
		}
	}
	return NULL;
}

/* The author object; *address gets the lower-cased address (g_malloc'd). */
static json_t *author_of(GMimeMessage *msg, char **address)
{
	InternetAddressMailbox *mb = sender_of(msg);
	const char *addr = mb ? internet_address_mailbox_get_addr(mb) : NULL;
	char *clean = clean_utf8(addr && *addr ? addr : "unknown@invalid",
				 strlen(addr && *addr ? addr : "unknown@invalid"), NAME_MAX_BYTES);
	*address = g_utf8_strdown(clean, -1);
	cut_text(*address, NAME_MAX_BYTES);
	const char *name = mb ? internet_address_get_name(INTERNET_ADDRESS(mb)) : NULL;
	json_t *author = json_pack("{s:s, s:s}", "id", *address, "handle", clean);
	if (name && *name)
		json_object_set_new(author, "name", json_clean(name, NAME_MAX_BYTES));
	g_free(clean);
	return author;
}

/* The Message-IDs of a header (References, In-Reply-To), normalised. */
static json_t *id_list(GMimeMessage *msg, const char *header)
{
	json_t *ids = json_array();
	const char *value = g_mime_object_get_header(GMIME_OBJECT(msg), header);
	GMimeReferences *refs = value ? g_mime_references_parse(NULL, value) : NULL;
	int n = refs ? g_mime_references_length(refs) : 0;
	for (int i = 0; i < n; i++) {
		char id[EMAIL_ID_SIZE];
		email_normalise_id(g_mime_references_get_message_id(refs, i), id);
		if (id[0])
			json_array_append_new(ids, json_string(id));
	}
	if (refs)
		g_mime_references_free(refs);
	return ids;
}

/* At most LIST_MAX references: the root and the latest ones. */
static void shorten_references(json_t *refs)
{
	while (json_array_size(refs) > LIST_MAX)
		json_array_remove(refs, 1);
}

/* ---- the message ---- */

/* created_at from Date when it is plausible (else ingest's "now"). */
static void set_date(json_t *m, GMimeMessage *msg, int64_t now_ms)
{
	GDateTime *date = g_mime_message_get_date(msg);
	if (!date)
		return;
	int64_t ms = (int64_t)g_date_time_to_unix(date) * 1000;
	if (ms < EARLIEST_MS || ms > now_ms + DAY_MS - 60000)
		return;
	char text[TIME_RFC3339_SIZE];
	time_format_rfc3339(ms, text);
	json_object_set_new(m, "created_at", json_string(text));
}

/* meta with full_text (when not NULL) added as far as it fits. */
static void set_meta(json_t *m, json_t *meta, const char *full)
{
	char *dumped = json_dumps(meta, JSON_COMPACT);
	size_t used = strlen(dumped);
	free(dumped);
	if (full && used + 64 < META_MAX) {
		char *copy = xstrdup(full);
		size_t room = META_MAX - used - 64;
		for (;;) {
			cut_text(copy, room);
			json_object_set_new(meta, "full_text", json_string(copy));
			dumped = json_dumps(meta, JSON_COMPACT);
			size_t size = strlen(dumped);
			free(dumped);
			if (size <= META_MAX || room < 64)
				break;
			room /= 2;
		}
		if (strlen(copy) < strlen(full))
			json_object_set_new(meta, "full_text_cut", json_true());
		free(copy);
	}
	json_object_set_new(m, "meta", meta);
}

/* The thread: the root of References, else In-Reply-To, else (unless the
 * subject carries our token, see email.c) the mail itself. */
static void set_thread(json_t *m, json_t *refs, json_t *in_reply_to, const char *own_id,
		       int64_t token)
{
	const char *root = json_string_value(json_array_get(refs, 0));
	if (!root)
		root = json_string_value(json_array_get(in_reply_to, 0));
	if (!root && !token)
		root = own_id;
	if (root)
		json_object_set_new(m, "thread_id", json_string(root));
	const char *parent = json_string_value(json_array_get(in_reply_to, 0));
	if (!parent)
		parent = json_string_value(json_array_get(refs, json_array_size(refs) - 1));
	if (parent)
		json_object_set_new(m, "in_reply_to", json_string(parent));
}

/* The ids: external_id (synthesised from UIDVALIDITY/UID when absent). */
static void message_id_of(GMimeMessage *msg, const email_parse_opts *o, char id[EMAIL_ID_SIZE])
{
	const char *raw = g_mime_message_get_message_id(msg);
	email_normalise_id(raw ? raw : "", id);
	if (!id[0])
		snprintf(id, EMAIL_ID_SIZE, "imap-%lu-%lu@cluetrain.invalid",
			 (unsigned long)o->uidvalidity, (unsigned long)o->uid);
}

/* Build the ingest message of a parsed mail; NULL when it is from us. */
static json_t *build(GMimeMessage *msg, const email_parse_opts *o, walk *w)
{
	char *address = NULL;
	json_t *author = author_of(msg, &address);
	if (o->own_address && !g_ascii_strcasecmp(address, o->own_address)) {
		g_free(address);
		json_decref(author);
		return NULL;
	}
	g_free(address);
	char id[EMAIL_ID_SIZE];
	message_id_of(msg, o, id);
	const char *subject = g_mime_message_get_subject(msg);
	json_t *refs = id_list(msg, "References"), *parents = id_list(msg, "In-Reply-To");
	shorten_references(refs);
	char *full = body_text(w);
	int folded = 0;
	char *text = email_fold_quotes(full, &folded);
	cut_text(text, o->max_text_bytes);
	json_t *m = json_pack("{s:s, s:o, s:s}", "external_id", id, "author", author, "text", text);
	if (subject && *subject)
		json_object_set_new(m, "subject", json_clean(subject, SUBJECT_MAX_BYTES));
	int64_t token = email_subject_token(subject);
	set_thread(m, refs, parents, id, token);
	if (token)
		json_object_set_new(m, "conversation_id", json_integer(token));
	set_date(m, msg, o->now_ms);
	if (json_array_size(w->attachments))
		json_object_set(m, "attachments", w->attachments);
	json_t *meta = json_pack(
		"{s:s, s:o, s:o, s:o, s:I, s:I}", "message_id", id, "references", refs, "to",
		address_list(g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO)), "cc",
		address_list(g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_CC)), "uid",
		(json_int_t)o->uid, "uidvalidity", (json_int_t)o->uidvalidity);
	if (token)
		json_object_set_new(meta, "conversation_token", json_integer(token));
	if (w->not_listed)
		json_object_set_new(meta, "attachments_not_listed", json_integer(w->not_listed));
	set_meta(m, meta, folded ? full : NULL);
	json_decref(parents);
	free(full);
	free(text);
	return m;
}

ct_err email_parse(const char *data, size_t len, const email_parse_opts *opts, json_t **out)
{
	mail_gmime_init();
	email_parse_opts o = *opts;
	if (!o.max_attachment_bytes)
		o.max_attachment_bytes = EMAIL_MAX_ATTACHMENT_DEFAULT;
	if (!o.max_text_bytes)
		o.max_text_bytes = EMAIL_MAX_TEXT_DEFAULT;
	*out = NULL;
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (!msg)
		msg = g_mime_message_new(TRUE); /* no headers at all: still a message */
	walk w = {.o = &o, .attachments = json_array()};
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	if (body)
		walk_part(&w, body, 0);
	ct_err err = w.err;
	if (!err)
		*out = build(msg, &o, &w);
	json_decref(w.attachments);
	g_object_unref(msg);
	return err;
}

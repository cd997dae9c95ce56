/*
 * email_imap.c: IMAP over libcurl for the e-mail channel (see email_imap.h).
 *
 * curl does the login (and TLS for imaps:// or STARTTLS when offered), the
 * SELECT a mailbox URL needs, and the fetch; custom commands (STATUS, UID
 * SEARCH) have their untagged answers handed to the write callback, where
 * they are parsed here. IDLE is not something curl knows, so wait() has
 * curl connect and log in only (CURLOPT_CONNECT_ONLY) and then speaks the
 * few commands itself with curl_easy_send/recv.
 */
#include "channels/email_imap.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/timeutil.h"

#define LIST_BYTES_MAX ((size_t)8 << 20)
#define IDLE_LINE_MAX 4096
#define SEARCH_WINDOW 1000 /* UIDs per UID SEARCH: answers of at most 11 KB */

struct email_imap {
	email_imap_settings s;
	CURL *curl;
	char base[1024];   /* scheme://host:port/ */
	char mailbox[256]; /* as in the URL (still %-escaped) */
	char quoted[600];  /* the decoded mailbox as an IMAP quoted string */
	char error[256];
	int permanent;
};

/* Split url into base and mailbox; 0 when it is no imap(s) URL. */
static int split_url(const char *url, char *base, size_t base_size, char *mailbox,
		     size_t mailbox_size)
{
	if (!url || (strncmp(url, "imap://", 7) && strncmp(url, "imaps://", 8)))
		return 0;
	const char *host = strstr(url, "://") + 3;
	const char *slash = strchr(host, '/');
	size_t base_len = slash ? (size_t)(slash - url) : strlen(url);
	if (base_len == (size_t)(host - url) || base_len + 2 > base_size)
		return 0;
	snprintf(base, base_size, "%.*s/", (int)base_len, url);
	const char *box = slash ? slash + 1 : "";
	size_t box_len = strcspn(box, ";?");
	if (box_len == 0) {
		box = "INBOX";
		box_len = 5;
	}
	if (box_len + 1 > mailbox_size)
		return 0;
	snprintf(mailbox, mailbox_size, "%.*s", (int)box_len, box);
	return 1;
}

/* The decoded mailbox name as an IMAP quoted string into out. */
static void quote_mailbox(CURL *curl, const char *mailbox, char *out, size_t size)
{
	int len = 0;
	char *plain = curl_easy_unescape(curl, mailbox, 0, &len);
	size_t o = 0;
	out[o++] = '"';
	for (int i = 0; plain && i < len && o + 3 < size; i++) {
		if (plain[i] == '"' || plain[i] == '\\')
			out[o++] = '\\';
		if (plain[i] != '\r' && plain[i] != '\n')
			out[o++] = plain[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	curl_free(plain);
}

/* 1 when url's host is this machine (imap://127.0.0.1:...). */
static int loopback(const char *url)
{
	const char *host = url ? strstr(url, "://") : NULL;
	if (!host)
		return 0;
	host += 3;
	static const char *const names[] = {
		"127.0.0.1:", "127.0.0.1/", "localhost:", "localhost/", "[::1]:", "[::1]/"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(host, names[i], strlen(names[i])))
			return 1;
	return !strcmp(host, "127.0.0.1") || !strcmp(host, "localhost");
}

/* Settings every request of the session shares. The password crosses the
 * network only under TLS (imaps://, or STARTTLS), except to this machine. */
static void common_options(CURL *curl, const email_imap_settings *s)
{
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(curl, CURLOPT_USERNAME, s->username ? s->username : "");
	curl_easy_setopt(curl, CURLOPT_PASSWORD, s->password ? s->password : "");
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
			 (long)(loopback(s->url) ? CURLUSESSL_TRY : CURLUSESSL_ALL));
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
			 (long)(s->timeout_s > 0 ? s->timeout_s : 30));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
}

email_imap *email_imap_open(const email_imap_settings *s)
{
	email_imap *im = calloc(1, sizeof(*im));
	if (!im)
		abort();
	im->s = *s;
	im->curl = curl_easy_init();
	if (!im->curl)
		abort();
	common_options(im->curl, s);
	if (!split_url(s->url, im->base, sizeof(im->base), im->mailbox, sizeof(im->mailbox))) {
		snprintf(im->error, sizeof(im->error), "imap_url must be imap://host:port/MAILBOX");
		im->permanent = 1;
		im->base[0] = '\0';
	} else {
		quote_mailbox(im->curl, im->mailbox, im->quoted, sizeof(im->quoted));
	}
	return im;
}

void email_imap_close(email_imap *im)
{
	if (!im)
		return;
	curl_easy_cleanup(im->curl);
	free(im);
}

const char *email_imap_error(const email_imap *im)
{
	return im->error;
}

int email_imap_permanent(const email_imap *im)
{
	return im->permanent;
}

static size_t write_buf(char *data, size_t size, size_t n, void *arg)
{
	return buf_append(arg, data, size * n) == CT_OK ? size * n : 0;
}

/* Run one request for url (with a custom command or NULL) into out. */
static ct_err run(email_imap *im, const char *url, const char *command, buf *out, long timeout_s)
{
	if (!im->base[0])
		return CT_ERR_INVALID;
	buf_reset(out);
	curl_easy_setopt(im->curl, CURLOPT_URL, url);
	curl_easy_setopt(im->curl, CURLOPT_CUSTOMREQUEST, command);
	curl_easy_setopt(im->curl, CURLOPT_WRITEFUNCTION, write_buf);
	curl_easy_setopt(im->curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(im->curl, CURLOPT_TIMEOUT, timeout_s);
	CURLcode rc = curl_easy_perform(im->curl);
	if (rc == CURLE_OK)
		return CT_OK;
	if (rc == CURLE_WRITE_ERROR && out->len + CURL_MAX_WRITE_SIZE >= out->max)
		return CT_ERR_TOO_LARGE;
	snprintf(im->error, sizeof(im->error), "the IMAP server refused or was not reached: %s",
		 curl_easy_strerror(rc));
	im->permanent = rc == CURLE_LOGIN_DENIED || rc == CURLE_URL_MALFORMAT ||
			rc == CURLE_UNSUPPORTED_PROTOCOL;
	if (rc == CURLE_REMOTE_FILE_NOT_FOUND)
		return CT_ERR_NOT_FOUND;
	return rc == CURLE_LOGIN_DENIED ? CT_ERR_UNAUTHORIZED : CT_ERR_IO;
}

/* The number after key in text, 0 when absent. */
static uint32_t number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	if (!p)
		return 0;
	unsigned long v = strtoul(p + strlen(key), NULL, 10);
	return v > UINT32_MAX ? 0 : (uint32_t)v;
}

static int cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

typedef struct uid_list {
	uint32_t *v; /* malloc'd */
	size_t n, cap;
} uid_list;

/* Append the UIDs of "* SEARCH ..." lines in text that lie in [lo, hi]. */
static void parse_search(const char *text, uint32_t lo, uint32_t hi, uid_list *l)
{
	for (const char *line = strstr(text, "* SEARCH"); line; line = strstr(line, "* SEARCH")) {
		const char *p = line + 8;
		while (*p == ' ') {
			char *end;
			unsigned long v = strtoul(p + 1, &end, 10);
			if (end == p + 1)
				break;
			if (v >= lo && v <= hi) {
				if (l->n == l->cap) {
					l->cap = l->cap ? l->cap * 2 : 256;
					l->v = realloc(l->v, l->cap * sizeof(*l->v));
					if (!l->v)
						abort();
				}
				l->v[l->n++] = (uint32_t)v;
			}
			p = end;
		}
		line = p;
	}
}

/* The new UIDs in [from, last], searched in windows of SEARCH_WINDOW UIDs
 * (curl garbles an answer line longer than its buffer, so no window may
 * yield one), until more than max are found. */
static ct_err search_windows(email_imap *im, uint32_t from, uint32_t last, size_t max, uid_list *l)
{
	char url[1400], command[128];
	snprintf(url, sizeof(url), "%s%s", im->base, im->mailbox);
	buf out;
	buf_init(&out, LIST_BYTES_MAX);
	ct_err err = CT_OK;
	while (!err && from <= last && l->n <= max) {
		uint32_t to = last - from < SEARCH_WINDOW ? last : from + SEARCH_WINDOW - 1;
		snprintf(command, sizeof(command), "UID SEARCH UID %lu:%lu", (unsigned long)from,
			 (unsigned long)to);
		err = run(im, url, command, &out, im->s.timeout_s);
		if (!err)
			parse_search(buf_cstr(&out), from, to, l);
		if (to == UINT32_MAX)
			break;
		from = to + 1;
	}
	buf_free(&out);
	return err;
}

ct_err email_imap_list(email_imap *im, uint32_t after_uid, size_t max, uint32_t *uidvalidity,
		       uint32_t **uids, size_t *n, int *more)
{
	*uids = NULL;
	*n = 0;
	*more = 0;
	buf out;
	buf_init(&out, LIST_BYTES_MAX);
	char command[700];
	snprintf(command, sizeof(command), "STATUS %s (UIDVALIDITY UIDNEXT)", im->quoted);
	ct_err err = run(im, im->base, command, &out, im->s.timeout_s);
	*uidvalidity = err ? 0 : number_after(buf_cstr(&out), "UIDVALIDITY ");
	uint32_t uidnext = err ? 0 : number_after(buf_cstr(&out), "UIDNEXT ");
	buf_free(&out);
	if (err)
		return err;
	if (!*uidvalidity || !uidnext) {
		snprintf(im->error, sizeof(im->error), "the IMAP server named no UIDVALIDITY");
		return CT_ERR_IO;
	}
	if (uidnext <= after_uid + 1)
		return CT_OK; /* nothing new: no SELECT, no SEARCH */
	uid_list l = {0};
	err = search_windows(im, after_uid + 1, uidnext - 1, max, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_uid);
	*more = l.n > max;
	*n = l.n > max ? max : l.n;
	*uids = l.v;
	return err;
}

ct_err email_imap_fetch(email_imap *im, uint32_t uidvalidity, uint32_t uid, buf *out)
{
	char url[1400];
	snprintf(url, sizeof(url), "%s%s;UIDVALIDITY=%lu;UID=%lu", im->base, im->mailbox,
		 (unsigned long)uidvalidity, (unsigned long)uid);
	out->max = im->s.max_mail_bytes ? im->s.max_mail_bytes : BUF_DEFAULT_MAX;
	ct_err err = run(im, url, NULL, out, im->s.timeout_s > 0 ? im->s.timeout_s * 10 : 300);
	if (!err && out->len == 0)
		return CT_ERR_NOT_FOUND; /* expunged since the search */
	return err;
}

/* ---- IDLE ---- */

typedef struct idle_conn {
	CURL *curl;
	curl_socket_t sock;
	char line[IDLE_LINE_MAX];
	size_t len; /* bytes in line not yet consumed */
} idle_conn;

/* Send a whole command. */
static ct_err idle_send(idle_conn *c, const char *text)
{
	size_t off = 0, len = strlen(text);
	int64_t deadline = time_mono_ms() + 10000;
	while (off < len && time_mono_ms() < deadline) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(c->curl, text + off, len - off, &sent);
		if (rc == CURLE_AGAIN) {
			struct pollfd p = {.fd = c->sock, .events = POLLOUT};
			poll(&p, 1, 100);
			continue;
		}
		if (rc != CURLE_OK)
			return CT_ERR_IO;
		off += sent;
	}
	return off == len ? CT_OK : CT_ERR_IO;
}

/* The next line (without CRLF) into c->line, waiting until deadline (mono
 * ms) or *stop. CT_ERR_UNAVAILABLE on timeout or stop. */
static ct_err idle_line(idle_conn *c, int64_t deadline, const atomic_int *stop, char *line,
			size_t size)
{
	for (;;) {
		char *nl = memchr(c->line, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->line) + 1;
			size_t keep = n - 1 < size - 1 ? n - 1 : size - 1;
			memcpy(line, c->line, keep);
			line[keep] = '\0';
			if (keep && line[keep - 1] == '\r')
				line[keep - 1] = '\0';
			memmove(c->line, c->line + n, c->len - n);
			c->len -= n;
			return CT_OK;
		}
		if (c->len == sizeof(c->line))
			c->len = 0; /* an overlong line: forget it */
		size_t got = 0;
		CURLcode rc =
			curl_easy_recv(c->curl, c->line + c->len, sizeof(c->line) - c->len, &got);
		if (rc == CURLE_OK && got == 0)
			return CT_ERR_IO; /* closed */
		if (rc == CURLE_OK) {
			c->len += got;
			continue;
		}
		if (rc != CURLE_AGAIN)
			return CT_ERR_IO;
		if ((stop && *stop) || time_mono_ms() >= deadline)
			return CT_ERR_UNAVAILABLE;
		struct pollfd p = {.fd = c->sock, .events = POLLIN};
		poll(&p, 1, 200);
	}
}

/* Send command with tag and read until the tagged answer; 1 in *seen when
 * an untagged line contained needle (may be NULL). */
static ct_err idle_command(idle_conn *c, const char *tag, const char *command, const char *needle,
			   int *seen)
{
	char text[700], line[IDLE_LINE_MAX];
	snprintf(text, sizeof(text), "%s %s\r\n", tag, command);
	ct_err err = idle_send(c, text);
	size_t tag_len = strlen(tag);
	int64_t deadline = time_mono_ms() + 15000;
	while (!err) {
		err = idle_line(c, deadline, NULL, line, sizeof(line));
		if (err)
			break;
		if (needle && strstr(line, needle) && seen)
			*seen = 1;
		if (!strncmp(line, tag, tag_len) && line[tag_len] == ' ')
			return !strncmp(line + tag_len + 1, "OK", 2) ? CT_OK : CT_ERR_IO;
	}
	return err;
}

/* Wait in IDLE (already selected) for "EXISTS" until deadline or stop. */
static ct_err idle_wait(idle_conn *c, int64_t deadline, const atomic_int *stop)
{
	char line[IDLE_LINE_MAX];
	ct_err err = idle_send(c, "i3 IDLE\r\n");
	int64_t answer_by = time_mono_ms() + 15000;
	while (!err) { /* the continuation "+ idling" */
		err = idle_line(c, answer_by, NULL, line, sizeof(line));
		if (!err && line[0] == '+')
			break;
		if (!err && !strncmp(line, "i3 ", 3))
			return CT_ERR_IO;
	}
	while (!err) {
		err = idle_line(c, deadline, stop, line, sizeof(line));
		if (!err && line[0] == '*' && (strstr(line, " EXISTS") || strstr(line, " RECENT")))
			break;
	}
	if (err && err != CT_ERR_UNAVAILABLE)
		return err;
	ct_err done = idle_send(c, "DONE\r\n");
	answer_by = time_mono_ms() + 15000;
	while (!done) {
		done = idle_line(c, answer_by, NULL, line, sizeof(line));
		if (!done && !strncmp(line, "i3 ", 3))
			break;
	}
	return done;
}

ct_err email_imap_idle(const email_imap_settings *s, int max_s, const atomic_int *stop, char *error,
		       size_t error_size)
{
	char base[1024], mailbox[256], quoted[600], command[700];
	if (!split_url(s->url, base, sizeof(base), mailbox, sizeof(mailbox))) {
		snprintf(error, error_size, "imap_url must be imap://host:port/MAILBOX");
		return CT_ERR_INVALID;
	}
	idle_conn c = {.curl = curl_easy_init()};
	if (!c.curl)
		abort();
	common_options(c.curl, s);
	curl_easy_setopt(c.curl, CURLOPT_URL, base);
	curl_easy_setopt(c.curl, CURLOPT_CONNECT_ONLY, 1L);
	ct_err err = CT_ERR_IO;
	CURLcode rc = curl_easy_perform(c.curl);
	if (rc != CURLE_OK) {
		snprintf(error, error_size, "the IMAP server refused or was not reached: %s",
			 curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c.curl, CURLINFO_ACTIVESOCKET, &c.sock);
	quote_mailbox(c.curl, mailbox, quoted, sizeof(quoted));
	int has_idle = 0;
	err = idle_command(&c, "i1", "CAPABILITY", " IDLE", &has_idle);
	snprintf(command, sizeof(command), "SELECT %s", quoted);
	if (!err && has_idle)
		err = idle_command(&c, "i2", command, NULL, NULL);
	if (!err && has_idle)
		err = idle_wait(&c, time_mono_ms() + (int64_t)max_s * 1000, stop);
	if (!err)
		idle_command(&c, "i4", "LOGOUT", NULL, NULL);
	if (!err && !has_idle)
		err = CT_ERR_UNAVAILABLE;
	if (err && err != CT_ERR_UNAVAILABLE)
		snprintf(error, error_size, "IDLE on the IMAP server failed");
out:
	curl_easy_cleanup(c.curl);
	return err;
}

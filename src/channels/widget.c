/*
 * widget.c: the "widget" channel, a chat box an organisation embeds in its
 * own web site (web/static/widget.js, served as /widget/<channel id>.js).
 *
 * A visitor's message is a JSON object {"text", "name", "email", "page",
 * "client_id", "website", "token"} posted from the browser with the visitor
 * cookie (see widget.h). It is taken only when the Origin is one of
 * config.allowed_origins, the cookie is well signed, the honeypot field
 * "website" is empty, the form token is well signed for this visitor and
 * between config.min_delay_s (default 2: faster is a bot) and a day old, the
 * text is at most config.max_text characters (4000) with at most
 * config.max_links links (2). No third-party service is asked. The message's
 * author is "visitor:<id>" and its thread the visitor id, so that all of a
 * visitor's messages form one conversation.
 *
 * The browser posts to /widget/<id>/messages (api/widget.c: CORS, the
 * per-address limit), which calls receive_hook below; /hooks/widget/<id>
 * reaches the same checks. Both get the cookie key in the opened secrets
 * (relay_channel_open derives it when no "cookie_key" is stored). A reply
 * needs no delivery: the visitor's widget reads it from the store, so
 * send_reply only names it.
 */
#include "channels/widget.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "core/timeutil.h"

#define KDF_CONTEXT "ctwidget" /* crypto_kdf_CONTEXTBYTES (8) characters */
#define NAME_MAX_CHARS 100
#define EMAIL_MAX_BYTES 254
#define PAGE_MAX_BYTES 1000
#define CLIENT_ID_MAX 64

void widget_derive_key(const unsigned char *install_key, int64_t channel_id,
		       char out[WIDGET_KEY_HEX])
{
	unsigned char sub[32];
	crypto_kdf_derive_from_key(sub, sizeof(sub), (uint64_t)channel_id, KDF_CONTEXT,
				   install_key);
	sodium_bin2hex(out, WIDGET_KEY_HEX, sub, sizeof(sub));
	sodium_memzero(sub, sizeof(sub));
}

const char *widget_cookie_key(const channel_ctx *ch)
{
	const char *key = channel_secret(ch, "cookie_key");
	return key && *key ? key : NULL;
}

/* "<value>.<HMAC of prefix value under key>" into out. */
static void sign_value(const char *key, const char *prefix, const char *value,
		       char out[WIDGET_SIGNED_MAX])
{
	char data[WIDGET_SIGNED_MAX], mac[CRYPTO_TOKEN_HASH_HEX];
	int n = snprintf(data, sizeof(data), "%s%s", prefix, value);
	crypto_hmac_sha256_hex(key, data, (size_t)n, mac);
	snprintf(out, WIDGET_SIGNED_MAX, "%s.%s", value, mac);
}

/* Split signed ("<value>.<hex>", n bytes) and check its HMAC over prefix
 * value; the value into value (size bytes). 1 when well signed. */
static int check_signed(const char *key, const char *prefix, const char *signed_value, size_t n,
			char *value, size_t size)
{
	const char *dot = memchr(signed_value, '.', n);
	if (!dot || dot == signed_value || (size_t)(dot - signed_value) >= size)
		return 0;
	size_t vlen = (size_t)(dot - signed_value);
	memcpy(value, signed_value, vlen);
	value[vlen] = '\0';
	char data[WIDGET_SIGNED_MAX], sig[CRYPTO_TOKEN_HASH_HEX];
	size_t slen = n - vlen - 1;
	if (slen >= sizeof(sig))
		return 0;
	memcpy(sig, dot + 1, slen);
	sig[slen] = '\0';
	int len = snprintf(data, sizeof(data), "%s%s", prefix, value);
	return len > 0 && (size_t)len < sizeof(data) &&
	       crypto_hmac_sha256_check(key, data, (size_t)len, NULL, sig);
}

void widget_visitor_new(const char *key, char id[WIDGET_VISITOR_MAX],
			char cookie[WIDGET_SIGNED_MAX])
{
	crypto_random_b64(id, WIDGET_VISITOR_MAX, 16);
	sign_value(key, "v:", id, cookie);
}

/* Is s made of base64url characters only? */
static int is_b64url(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

int widget_visitor_from_cookie(const char *key, const char *cookie_header,
			       char id[WIDGET_VISITOR_MAX])
{
	static const char name[] = WIDGET_COOKIE "=";
	for (const char *p = cookie_header; p && *p;) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, ";");
		if (len > sizeof(name) - 1 && strncmp(p, name, sizeof(name) - 1) == 0 &&
		    check_signed(key, "v:", p + sizeof(name) - 1, len - (sizeof(name) - 1), id,
				 WIDGET_VISITOR_MAX) &&
		    *id && is_b64url(id))
			return 1;
		p += len;
		if (*p == ';')
			p++;
	}
	return 0;
}

void widget_token_new(const char *key, const char *visitor, int64_t now_ms,
		      char out[WIDGET_SIGNED_MAX])
{
	char prefix[WIDGET_VISITOR_MAX + 8], when[24];
	snprintf(prefix, sizeof(prefix), "t:%s:", visitor);
	snprintf(when, sizeof(when), "%lld", (long long)now_ms);
	sign_value(key, prefix, when, out);
}

/* Compare origins: case-insensitive, a trailing slash of allowed ignored. */
static int same_origin(const char *allowed, const char *origin)
{
	size_t n = strlen(allowed);
	if (n && allowed[n - 1] == '/')
		n--;
	return n == strlen(origin) && strncasecmp(allowed, origin, n) == 0;
}

int widget_origin_allowed(const channel_ctx *ch, const char *origin)
{
	if (!origin || !*origin)
		return 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(ch->config, "allowed_origins"), i, v)
	{
		if (json_is_string(v) && same_origin(json_string_value(v), origin))
			return 1;
	}
	return 0;
}

int64_t widget_config_int(const channel_ctx *ch, const char *name, int64_t def, int64_t min,
			  int64_t max)
{
	json_t *v = json_object_get(ch->config, name);
	if (!json_is_integer(v))
		return def;
	json_int_t n = json_integer_value(v);
	return n < min ? min : n > max ? max : (int64_t)n;
}

/* Refuse with err and a message for people; returns err. */
static ct_err refuse(channel_hook_answer *answer, ct_err err, const char *message)
{
	snprintf(answer->error, sizeof(answer->error), "%s", message);
	return err;
}

/* A string member of body, or "" when absent; NULL when present but not a
 * string. Borrowed. */
static const char *body_string(const json_t *body, const char *name)
{
	json_t *v = json_object_get(body, name);
	return !v || json_is_null(v) ? "" : json_string_value(v);
}

/* Characters (UTF-8 code points) of s. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Links in text: each "http://", "https://" or "www." counts. */
static int count_links(const char *text)
{
	static const char *const starts[] = {"http://", "https://", "www.", NULL};
	int n = 0;
	for (const char *p = text; *p; p++)
		for (int i = 0; starts[i]; i++)
			if (strncasecmp(p, starts[i], strlen(starts[i])) == 0)
				n++;
	return n;
}

/* Does s hold a control character (text may hold line breaks and tabs)? */
static int has_control(const char *s, int allow_breaks)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && !(allow_breaks && (c == '\n' || c == '\r' || c == '\t'))) ||
		    c == 0x7F)
			return 1;
	}
	return 0;
}

/* The form token: well signed for visitor, neither too young nor too old. */
static ct_err check_token(const channel_ctx *ch, const char *key, const char *visitor,
			  const json_t *body, channel_hook_answer *answer)
{
	const char *token = body_string(body, "token");
	char prefix[WIDGET_VISITOR_MAX + 8], when[24];
	snprintf(prefix, sizeof(prefix), "t:%s:", visitor);
	if (!token || !check_signed(key, prefix, token, strlen(token), when, sizeof(when)))
		return refuse(answer, CT_ERR_UNAUTHORIZED,
			      "token: missing or not valid; reload the chat");
	char *end;
	long long made = strtoll(when, &end, 10);
	int64_t age = time_now_ms() - made;
	int64_t min_delay = widget_config_int(ch, "min_delay_s", WIDGET_MIN_DELAY_MS / 1000, 0, 60);
	if (*end || age < min_delay * 1000)
		return refuse(answer, CT_ERR_UNAUTHORIZED, "token: sent too fast; try again");
	if (age > WIDGET_MAX_TOKEN_AGE_MS)
		return refuse(answer, CT_ERR_UNAUTHORIZED, "token: expired; reload the chat");
	return CT_OK;
}

/* The visitor's fields: the honeypot empty, text, name, e-mail and page
 * within their limits. */
static ct_err check_fields(const channel_ctx *ch, const json_t *body, channel_hook_answer *answer)
{
	const char *honeypot = body_string(body, "website");
	const char *text = body_string(body, "text");
	const char *name = body_string(body, "name");
	const char *email = body_string(body, "email");
	const char *page = body_string(body, "page");
	if (!honeypot || *honeypot)
		return refuse(answer, CT_ERR_INVALID, "the message was refused");
	if (!text || !name || !email || !page)
		return refuse(answer, CT_ERR_INVALID, "text, name, email and page must be strings");
	if (!text[strspn(text, " \t\r\n")])
		return refuse(answer, CT_ERR_INVALID, "text: write a message");
	int64_t max_text = widget_config_int(ch, "max_text", 4000, 1, 100000);
	if (utf8_chars(text) > (size_t)max_text || has_control(text, 1))
		return refuse(answer, CT_ERR_INVALID, "text: too long or not plain text");
	if (count_links(text) > widget_config_int(ch, "max_links", 2, 0, 100))
		return refuse(answer, CT_ERR_INVALID, "text: too many links");
	if (utf8_chars(name) > NAME_MAX_CHARS || has_control(name, 0))
		return refuse(answer, CT_ERR_INVALID, "name: at most 100 characters");
	if (strlen(email) > EMAIL_MAX_BYTES || has_control(email, 0) || strchr(email, ' ') ||
	    (*email && (!strchr(email, '@') || strchr(email, '@') != strrchr(email, '@'))))
		return refuse(answer, CT_ERR_INVALID, "email: not an e-mail address");
	if (strlen(page) > PAGE_MAX_BYTES || has_control(page, 0) ||
	    (*page && strncmp(page, "https://", 8) != 0 && strncmp(page, "http://", 7) != 0))
		return refuse(answer, CT_ERR_INVALID, "page: not a web address");
	return CT_OK;
}

/* The message's own id from the widget ("client_id", so that a repeated
 * post is stored once), or a random one, into out. */
static ct_err client_id(const json_t *body, char out[CLIENT_ID_MAX + 1],
			channel_hook_answer *answer)
{
	const char *id = body_string(body, "client_id");
	if (!id || strlen(id) > CLIENT_ID_MAX || !is_b64url(id))
		return refuse(answer, CT_ERR_INVALID,
			      "client_id: up to 64 letters, digits, - or _");
	if (*id)
		snprintf(out, CLIENT_ID_MAX + 1, "%s", id);
	else
		crypto_random_b64(out, CLIENT_ID_MAX + 1, 12);
	return CT_OK;
}

/* An empty string as NULL (json_pack's "s*" then leaves the member out). */
static const char *or_null(const char *s)
{
	return *s ? s : NULL;
}

/* The ingest message of a checked visitor post. New reference. */
static json_t *visitor_message(const json_t *body, const char *visitor, const char *id,
			       const char *origin)
{
	char external_id[WIDGET_VISITOR_MAX + CLIENT_ID_MAX + 16], author[WIDGET_VISITOR_MAX + 16];
	snprintf(external_id, sizeof(external_id), "widget:%s:%s", visitor, id);
	snprintf(author, sizeof(author), "visitor:%s", visitor);
	json_t *meta = json_pack("{s:s, s:s*, s:s*}", "origin", origin, "email",
				 or_null(body_string(body, "email")), "page",
				 or_null(body_string(body, "page")));
	return json_pack("{s:s, s:s, s:{s:s, s:s*}, s:s, s:o}", "external_id", external_id,
			 "thread_id", visitor, "author", "id", author, "name",
			 or_null(body_string(body, "name")), "text", body_string(body, "text"),
			 "meta", meta);
}

/* The checks of a visitor's post that need no body: key, method, origin,
 * cookie (the visitor id into visitor). */
static ct_err check_request(const channel_ctx *ch, const channel_hook_request *req,
			    char visitor[WIDGET_VISITOR_MAX], channel_hook_answer *answer)
{
	const char *key = widget_cookie_key(ch);
	if (!key)
		return refuse(answer, CT_ERR_UNAUTHORIZED,
			      "the widget posts to /widget/<id>/messages");
	if (strcmp(req->method, "POST") != 0)
		return refuse(answer, CT_ERR_INVALID, "POST a visitor's message");
	if (!widget_origin_allowed(ch, req->header(req->http, "Origin")))
		return refuse(answer, CT_ERR_FORBIDDEN,
			      "this site is not among the widget's allowed origins");
	if (!widget_visitor_from_cookie(key, req->header(req->http, "Cookie"), visitor))
		return refuse(answer, CT_ERR_UNAUTHORIZED, "no visitor cookie; reload the chat");
	return CT_OK;
}

static ct_err widget_receive_hook(const channel_ctx *ch, const channel_hook_request *req,
				  channel_hook_answer *answer)
{
	char visitor[WIDGET_VISITOR_MAX], id[CLIENT_ID_MAX + 1];
	json_t *body = NULL;
	ct_err err = check_request(ch, req, visitor, answer);
	if (err)
		goto out;
	body = json_loadb(req->body, req->body_len, 0, NULL);
	if (!json_is_object(body)) {
		err = refuse(answer, CT_ERR_INVALID, "the body must be a JSON object");
		goto out;
	}
	err = check_fields(ch, body, answer);
	if (!err)
		err = check_token(ch, widget_cookie_key(ch), visitor, body, answer);
	if (!err)
		err = client_id(body, id, answer);
	if (!err)
		answer->messages =
			json_pack("[o]", visitor_message(body, visitor, id,
							 req->header(req->http, "Origin")));
out:
	json_decref(body);
	return err;
}

/* A reply reaches the visitor by being stored: the widget reads it from
 * /widget/<id>/messages. Nothing to send. */
static ct_err widget_send_reply(const channel_ctx *ch, const channel_reply *reply,
				channel_outcome *out)
{
	(void)ch;
	snprintf(out->external_id, sizeof(out->external_id), "widget:%lld",
		 (long long)reply->message_id);
	return CT_OK;
}

const channel_kind channel_widget = {
	.kind = "widget",
	.hook_kind = "widget",
	.send_reply = widget_send_reply,
	.receive_hook = widget_receive_hook,
	.config_fields = {"allowed_origins", "title", "greeting", "max_per_minute",
			  "max_per_visitor", "min_delay_s", "max_text", "max_links",
			  "show_agent_names", NULL},
};

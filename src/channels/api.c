/*
 * api.c: the "api" channel: messages arrive through POST /api/v1/messages,
 * replies leave as a JSON POST to the channel's config.webhook_url.
 *
 * Each POST carries an Idempotency-Key header (also in the body), stable
 * across retries, so the receiver can drop a repeat. With the secret
 * webhook_secret set, X-Cluetrain-Signature: sha256=<hex HMAC-SHA256 of the
 * body> lets the receiver check that the POST comes from this server. 2xx is delivered (a
 * JSON body {"external_id": "..."} is recorded when present); 408, 425, 429
 * and 5xx or a network error are retried (Retry-After honoured); any other
 * 4xx is permanent.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channels/channel.h"
#include "core/buf.h"

typedef struct response {
	buf body;
	int64_t retry_after_ms;
} response;

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	response *r = arg;
	if (buf_append(&r->body, data, size * n) != CT_OK)
		return 0;
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	response *r = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		long secs = strtol(data + sizeof(name) - 1, NULL, 10);
		if (secs > 0 && secs < 86400)
			r->retry_after_ms = secs * 1000;
	}
	return len;
}

static json_t *reply_body(const channel_reply *rp)
{
	json_t *recipient = json_pack("{s:s?, s:s?, s:s?}", "id", rp->recipient_id, "handle",
				      rp->recipient_handle, "name", rp->recipient_name);
	return json_pack("{s:s, s:s, s:I, s:I, s:s?, s:s?, s:o, s:s, s:{s:s?}, s:s?}", "type",
			 "reply", "idempotency_key", rp->idempotency_key, "message_id",
			 (json_int_t)rp->message_id, "conversation_id",
			 (json_int_t)rp->conversation_id, "thread_id", rp->thread_id, "in_reply_to",
			 rp->in_reply_to, "recipient", recipient, "text", rp->text, "author",
			 "name", rp->author_name, "created_at", rp->created_at);
}

/* Classify an HTTP status; fill out for anything but success. */
static ct_err judge_status(long status, response *r, channel_outcome *out)
{
	if (status >= 200 && status < 300) {
		json_t *body = json_loadb(buf_cstr(&r->body), r->body.len, 0, NULL);
		const char *ext = json_string_value(json_object_get(body, "external_id"));
		if (ext)
			snprintf(out->external_id, sizeof(out->external_id), "%s", ext);
		json_decref(body);
		return CT_OK;
	}
	snprintf(out->error, sizeof(out->error), "the webhook answered HTTP %ld", status);
	out->retry_after_ms = r->retry_after_ms;
	out->permanent =
		status >= 400 && status < 500 && status != 408 && status != 425 && status != 429;
	return CT_ERR_IO;
}

/* "X-Cluetrain-Signature: sha256=<hex>" for body with secret, into header. */
static void sign_body(const char *secret, const char *body, char *header, size_t size)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(header, size, "X-Cluetrain-Signature: sha256=%s", hex);
}

static ct_err api_send_reply(const json_t *config, const json_t *secrets, const channel_reply *rp,
			     int timeout_s, channel_outcome *out)
{
	const char *url = json_string_value(json_object_get(config, "webhook_url"));
	if (!url || !*url) {
		snprintf(out->error, sizeof(out->error), "the channel has no webhook_url");
		out->permanent = 1;
		return CT_ERR_INVALID;
	}
	json_t *body = reply_body(rp);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	response r = {0};
	buf_init(&r.body, 64 * 1024);
	char key_header[256];
	snprintf(key_header, sizeof(key_header), "Idempotency-Key: %s", rp->idempotency_key);
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	headers = curl_slist_append(headers, key_header);
	const char *secret = json_string_value(json_object_get(secrets, "webhook_secret"));
	if (secret && *secret) {
		char signature[128];
		sign_body(secret, text, signature, sizeof(signature));
		headers = curl_slist_append(headers, signature);
	}
	CURL *curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "cluetrain");
	CURLcode rc = curl_easy_perform(curl);
	ct_err err;
	if (rc != CURLE_OK) {
		snprintf(out->error, sizeof(out->error), "webhook not reached: %s",
			 curl_easy_strerror(rc));
		err = CT_ERR_IO;
	} else {
		long status = 0;
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		err = judge_status(status, &r, out);
	}
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	buf_free(&r.body);
	free(text);
	return err;
}

const channel_kind channel_api = {"api", api_send_reply};

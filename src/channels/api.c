/*
 * api.c: the "api" channel, for systems of the organisation's own (a shop, a
 * ticket form, a chat of its own).
 *
 * Messages arrive through POST /api/v1/messages with a token, or as a signed
 * webhook at /hooks/api/<channel id>: the ingest API's JSON (one message or
 * an array), with X-Cluetrain-Signature: sha256=<hex HMAC-SHA256 of the raw
 * body under the secret webhook_secret>. Replies leave as a JSON POST to
 * config.webhook_url, signed the same way when webhook_secret is set, with an
 * Idempotency-Key header (also in the body), stable across retries, so the
 * receiver can drop a repeat. A JSON answer {"external_id": "..."} is
 * recorded when present.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/fetch.h"
#include "core/crypto.h"

#define SIGNATURE_HEADER "X-Cluetrain-Signature"

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

static ct_err api_send_reply(const channel_ctx *ch, const channel_reply *rp, channel_outcome *out)
{
	const char *url = channel_config_string(ch, "webhook_url");
	if (!url || !*url)
		return channel_fail(out, 1, "the channel has no webhook_url");
	json_t *body = reply_body(rp);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	char key_header[300], signature[128];
	snprintf(key_header, sizeof(key_header), "Idempotency-Key: %s", rp->idempotency_key);
	const char *headers[3] = {key_header, NULL, NULL};
	const char *secret = channel_secret(ch, "webhook_secret");
	if (secret && *secret) {
		char hex[CRYPTO_TOKEN_HASH_HEX];
		crypto_hmac_sha256_hex(secret, text, strlen(text), hex);
		snprintf(signature, sizeof(signature), SIGNATURE_HEADER ": sha256=%s", hex);
		headers[1] = signature;
	}
	channel_request req = {.method = "POST",
			       .url = url,
			       .body = text,
			       .headers = headers,
			       .timeout_s = ch->timeout_s};
	channel_response res;
	channel_fetch(&req, &res);
	ct_err err = channel_fetch_judge(&res, "the webhook", out);
	if (!err) {
		json_t *answer = channel_response_json(&res);
		const char *ext = json_string_value(json_object_get(answer, "external_id"));
		if (ext)
			snprintf(out->external_id, sizeof(out->external_id), "%s", ext);
		json_decref(answer);
	}
	channel_response_free(&res);
	free(text);
	return err;
}

static ct_err api_receive_hook(const channel_ctx *ch, const channel_hook_request *req,
			       channel_hook_answer *answer)
{
	const char *secret = channel_secret(ch, "webhook_secret");
	if (!secret || !*secret) {
		snprintf(answer->error, sizeof(answer->error),
			 "the channel has no webhook_secret: signed webhooks are off");
		return CT_ERR_UNAUTHORIZED;
	}
	if (strcmp(req->method, "POST") != 0) {
		snprintf(answer->error, sizeof(answer->error), "POST the messages");
		return CT_ERR_INVALID;
	}
	if (!crypto_hmac_sha256_check(secret, req->body, req->body_len,
				      "sha256=", req->header(req->http, SIGNATURE_HEADER))) {
		snprintf(answer->error, sizeof(answer->error),
			 SIGNATURE_HEADER " is missing or wrong");
		return CT_ERR_UNAUTHORIZED;
	}
	json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
	if (json_is_object(body)) {
		answer->messages = json_pack("[o]", body);
	} else if (json_is_array(body)) {
		answer->messages = body;
	} else {
		json_decref(body);
		snprintf(answer->error, sizeof(answer->error),
			 "the body must be a message object or an array of them");
		return CT_ERR_INVALID;
	}
	return CT_OK;
}

const channel_kind channel_api = {
	.kind = "api",
	.send_reply = api_send_reply,
	.receive_hook = api_receive_hook,
	.config_fields = {"webhook_url", NULL},
	.secret_fields = {"webhook_secret", NULL},
};

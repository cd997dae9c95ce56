/*
 * fuzz_hooks.c: libFuzzer driver for the webhook receivers of the Meta
 * channels (src/channels/meta.c, meta_parse.c) and of Telegram
 * (src/channels/telegram.c).
 *
 * The first byte picks the channel kind (facebook, instagram, whatsapp,
 * telegram) and how the delivery comes: correctly signed (or with the right
 * secret token), with a wrong signature, or as Meta's GET handshake with the
 * rest as the challenge; the rest is the body. Beyond the sanitizers, it
 * checks the adapters' promises: a delivery that is not authentic is
 * refused as unauthorized and yields nothing; a refusal says why and leaves
 * no messages; what is accepted is an array of messages that ingest
 * validates without complaint once the route has set "channel".
 *
 * The seeds in fuzz/corpus/fuzz_hooks/ start with a printable selector:
 * '0' facebook, '1' instagram, '2' whatsapp, '3' telegram (all signed),
 * '4' facebook with a wrong signature, '8' the facebook handshake.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "core/crypto.h"
#include "core/timeutil.h"
#include "ingest/ingest.h"

#define APP_SECRET "fuzz-app-secret"
#define VERIFY_TOKEN "fuzz-verify-token"
#define TG_SECRET "fuzz-telegram-secret"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { SIGNED, WRONG, HANDSHAKE, MODES };

/* What the fake route answers to header() and query(). */
typedef struct fuzz_http {
	const char *signature; /* X-Hub-Signature-256 */
	const char *tg_secret; /* X-Telegram-Bot-Api-Secret-Token */
	const char *challenge; /* hub.challenge */
} fuzz_http;

static const char *get_header(const void *http, const char *name)
{
	const fuzz_http *h = http;
	if (strcmp(name, "X-Hub-Signature-256") == 0)
		return h->signature;
	if (strcmp(name, "X-Telegram-Bot-Api-Secret-Token") == 0)
		return h->tg_secret;
	return NULL;
}

static const char *get_query(const void *http, const char *name)
{
	const fuzz_http *h = http;
	if (strcmp(name, "hub.mode") == 0)
		return "subscribe";
	if (strcmp(name, "hub.verify_token") == 0)
		return VERIFY_TOKEN;
	if (strcmp(name, "hub.challenge") == 0)
		return h->challenge;
	return NULL;
}

/* Every accepted message must pass ingest's validation. */
static void check_messages(json_t *messages)
{
	static const ingest_options lim = {
		.max_batch = 100000,
		.max_text = 1u << 20,
		.reopen_window_ms = 7LL * 86400 * 1000,
	};
	if (!json_is_array(messages))
		abort();
	if (json_array_size(messages) == 0)
		return;
	json_t *copy = json_deep_copy(messages);
	size_t i;
	json_t *m;
	json_array_foreach(copy, i, m)
	{
		if (json_object_get(m, "channel"))
			abort(); /* the route sets it */
		json_object_set_new(m, "channel", json_string("fuzz"));
	}
	ingest_batch b;
	if (ingest_parse(copy, &lim, time_now_ms(), &b) != CT_OK) {
		fprintf(stderr, "ingest refused field %s: %s\n", b.err_field, buf_cstr(&b.err_msg));
		abort();
	}
	ingest_batch_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = {"facebook", "instagram", "whatsapp", "telegram"};
	static int ready;
	if (!ready) {
		if (crypto_init() != CT_OK)
			abort();
		ready = 1;
	}
	if (size < 1)
		return 0;
	const char *kind = kinds[data[0] % 4];
	int mode = (data[0] / 4) % MODES, telegram = data[0] % 4 == 3;
	size_t len = size - 1;
	char *body = malloc(len + 1); /* exactly sized: ASan sees overreads */
	memcpy(body, data + 1, len);
	body[len] = '\0';
	char hex[CRYPTO_TOKEN_HASH_HEX], signature[80];
	crypto_hmac_sha256_hex(mode == SIGNED ? APP_SECRET : "another secret", body, len, hex);
	snprintf(signature, sizeof(signature), "sha256=%s", hex);
	fuzz_http http = {.signature = signature,
			  .tg_secret = mode == SIGNED ? TG_SECRET : "wrong",
			  .challenge = body};
	json_t *config = json_object();
	json_t *secrets = json_pack("{s:s, s:s, s:s}", "app_secret", APP_SECRET, "verify_token",
				    VERIFY_TOKEN, "webhook_secret", TG_SECRET);
	channel_ctx ch = {.id = 1, .name = kind, .config = config, .secrets = secrets};
	channel_hook_request req = {.method = mode == HANDSHAKE ? "GET" : "POST",
				    .body = body,
				    .body_len = len,
				    .client_ip = "127.0.0.1",
				    .http = &http,
				    .header = get_header,
				    .query = get_query};
	channel_hook_answer answer = {0};
	ct_err err = channel_find(kind)->receive_hook(&ch, &req, &answer);
	if (err != CT_OK && err != CT_ERR_UNAUTHORIZED && err != CT_ERR_INVALID)
		abort();
	if (mode == WRONG && err != CT_ERR_UNAUTHORIZED)
		abort();
	if (err != CT_OK && (answer.messages || answer.body || !answer.error[0]))
		abort();
	if (err == CT_OK && mode == HANDSHAKE && (telegram || strcmp(answer.body, body) != 0))
		abort();
	if (err == CT_OK && mode != HANDSHAKE)
		check_messages(answer.messages);
	json_decref(answer.messages);
	free(answer.body);
	json_decref(config);
	json_decref(secrets);
	free(body);
	return 0;
}

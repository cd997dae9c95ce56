/*
 * test_meta_parse.c: unit tests for the webhook side of the Meta channels
 * (src/channels/meta.c, meta_parse.c) and of the Telegram channel
 * (src/channels/telegram.c): documented payloads become the expected ingest
 * messages, what is not a message adds nothing, and signatures, secret
 * tokens and the verification handshake are checked before anything is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channels/channel.h"
#include "core/crypto.h"

#define APP_SECRET "app-secret-1"
#define VERIFY_TOKEN "verify-me"
#define TG_SECRET "tg-secret-1"

/* A webhook request as the hook route hands it over. */
typedef struct fake_http {
	const char *headers[4][2];
	const char *query[4][2];
} fake_http;

static const char *lookup(const char *const (*pairs)[2], const char *name)
{
	for (int i = 0; i < 4 && pairs[i][0]; i++)
		if (strcmp(pairs[i][0], name) == 0)
			return pairs[i][1];
	return NULL;
}

static const char *get_header(const void *http, const char *name)
{
	return lookup(((const fake_http *)http)->headers, name);
}

static const char *get_query(const void *http, const char *name)
{
	return lookup(((const fake_http *)http)->query, name);
}

static json_t *secrets_json(void)
{
	return json_pack("{s:s, s:s, s:s}", "app_secret", APP_SECRET, "verify_token", VERIFY_TOKEN,
			 "webhook_secret", TG_SECRET);
}

/* Call kind's receive_hook with method, body and http; the answer is the
 * caller's to clean up. */
static ct_err call_hook(const char *kind, const char *method, const char *body,
			const fake_http *http, channel_hook_answer *answer)
{
	json_t *config = json_object(), *secrets = secrets_json();
	channel_ctx ch = {.id = 7, .name = kind, .config = config, .secrets = secrets};
	channel_hook_request req = {.method = method,
				    .body = body,
				    .body_len = body ? strlen(body) : 0,
				    .client_ip = "127.0.0.1",
				    .http = http,
				    .header = get_header,
				    .query = get_query};
	memset(answer, 0, sizeof(*answer));
	const channel_kind *k = channel_find(kind);
	assert_non_null(k);
	ct_err err = k->receive_hook(&ch, &req, answer);
	json_decref(config);
	json_decref(secrets);
	return err;
}

static void answer_free(channel_hook_answer *answer)
{
	json_decref(answer->messages);
	free(answer->body);
}

/* POST body to a Meta kind signed with key (NULL: no signature). */
static ct_err post_meta(const char *kind, const char *body, const char *key,
			channel_hook_answer *answer)
{
	char hex[CRYPTO_TOKEN_HASH_HEX], sig[80];
	fake_http http = {{{NULL, NULL}}, {{NULL, NULL}}};
	if (key) {
		crypto_hmac_sha256_hex(key, body, strlen(body), hex);
		snprintf(sig, sizeof(sig), "sha256=%s", hex);
		http.headers[0][0] = "X-Hub-Signature-256";
		http.headers[0][1] = sig;
	}
	return call_hook(kind, "POST", body, &http, answer);
}

/* The only message of a delivery that must succeed; owned by answer. */
static json_t *only_message(const channel_hook_answer *answer)
{
	assert_int_equal(json_array_size(answer->messages), 1);
	return json_array_get(answer->messages, 0);
}

static const char *path(const json_t *v, const char *a, const char *b)
{
	const json_t *x = json_object_get(v, a);
	return json_string_value(b ? json_object_get(x, b) : x);
}

static void expect_strings(const json_t *msg, const char *const (*want)[3])
{
	for (; (*want)[0]; want++) {
		const char *got = path(msg, (*want)[0], (*want)[1]);
		if (!got || strcmp(got, (*want)[2]) != 0)
			fail_msg("%s%s%s: got '%s', expected '%s'", (*want)[0],
				 (*want)[1] ? "." : "", (*want)[1] ? (*want)[1] : "",
				 got ? got : "(null)", (*want)[2]);
	}
}

static const char FEED_COMMENT[] =
	"{\"object\":\"page\",\"entry\":[{\"id\":\"PAGE1\",\"time\":1795420136,\"changes\":["
	"{\"field\":\"feed\",\"value\":{\"from\":{\"id\":\"U1\",\"name\":\"Erika Muster\"},"
	"\"post_id\":\"PAGE1_P9\",\"comment_id\":\"P9_C1\",\"parent_id\":\"PAGE1_P9\","
	"\"created_time\":1795420100,\"item\":\"comment\",\"verb\":\"add\","
	"\"message\":\"Wann kommt der Strom wieder?\"}},"
	"{\"field\":\"feed\",\"value\":{\"from\":{\"id\":\"PAGE1\",\"name\":\"Stadtwerk\"},"
	"\"post_id\":\"PAGE1_P9\",\"comment_id\":\"P9_C2\",\"item\":\"comment\","
	"\"verb\":\"add\",\"message\":\"our own\"}},"
	"{\"field\":\"feed\",\"value\":{\"from\":{\"id\":\"U1\"},\"post_id\":\"PAGE1_P9\","
	"\"comment_id\":\"P9_C1\",\"item\":\"comment\",\"verb\":\"edited\",\"message\":\"e\"}},"
	"{\"field\":\"feed\",\"value\":{\"item\":\"reaction\",\"verb\":\"add\"}}]}]}";

static void test_facebook_feed_comment(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post_meta("facebook", FEED_COMMENT, APP_SECRET, &answer), CT_OK);
	const json_t *m = only_message(&answer);
	static const char *const want[][3] = {
		{"external_id", NULL, "P9_C1"},
		{"thread_id", NULL, "PAGE1_P9:U1"},
		{"author", "id", "U1"},
		{"author", "name", "Erika Muster"},
		{"text", NULL, "Wann kommt der Strom wieder?"},
		{"created_at", NULL, "2026-11-23T07:48:20.000Z"},
		{"meta", "object", "page"},
		{"meta", "type", "comment"},
		{"meta", "page_id", "PAGE1"},
		{"meta", "post_id", "PAGE1_P9"},
		{NULL, NULL, NULL},
	};
	expect_strings(m, want);
	assert_null(json_object_get(m, "in_reply_to")); /* a top-level comment */
	assert_null(json_object_get(m, "channel"));
	answer_free(&answer);
}

static const char MESSENGER[] =
	"{\"object\":\"page\",\"entry\":[{\"id\":\"PAGE1\",\"time\":1795420136000,\"messaging\":["
	"{\"sender\":{\"id\":\"PSID7\"},\"recipient\":{\"id\":\"PAGE1\"},"
	"\"timestamp\":1795420136123,\"message\":{\"mid\":\"m_1\",\"text\":\"Hallo \\u00fc\"}},"
	"{\"sender\":{\"id\":\"PAGE1\"},\"recipient\":{\"id\":\"PSID7\"},"
	"\"timestamp\":1795420136200,\"message\":{\"mid\":\"m_2\",\"is_echo\":true,"
	"\"text\":\"echo\"}},"
	"{\"sender\":{\"id\":\"PSID7\"},\"recipient\":{\"id\":\"PAGE1\"},"
	"\"timestamp\":1795420136300,\"delivery\":{\"mids\":[\"m_2\"],\"watermark\":1}},"
	"{\"sender\":{\"id\":\"PSID7\"},\"recipient\":{\"id\":\"PAGE1\"},"
	"\"timestamp\":1795420136400,\"message\":{\"mid\":\"m_3\",\"attachments\":["
	"{\"type\":\"image\",\"payload\":{\"url\":\"https://cdn.example/x.jpg\"}}]}}]}]}";

static void test_messenger_messages(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post_meta("facebook", MESSENGER, APP_SECRET, &answer), CT_OK);
	assert_int_equal(json_array_size(answer.messages), 2); /* no echo, no receipt */
	static const char *const text[][3] = {
		{"external_id", NULL, "m_1"},
		{"thread_id", NULL, "PSID7"},
		{"author", "id", "PSID7"},
		{"text", NULL, "Hallo \xc3\xbc"},
		{"created_at", NULL, "2026-11-23T07:48:56.123Z"},
		{"meta", "type", "message"},
		{"meta", "page_id", "PAGE1"},
		{NULL, NULL, NULL},
	};
	expect_strings(json_array_get(answer.messages, 0), text);
	const json_t *image = json_array_get(answer.messages, 1);
	static const char *const att[][3] = {
		{"external_id", NULL, "m_3"},
		{"text", NULL, "[image]"},
		{NULL, NULL, NULL},
	};
	expect_strings(image, att);
	assert_string_equal(
		path(json_array_get(json_object_get(image, "attachments"), 0), "url", NULL),
		"https://cdn.example/x.jpg");
	answer_free(&answer);
}

static const char IG_COMMENT[] =
	"{\"object\":\"instagram\",\"entry\":[{\"id\":\"IG1\",\"time\":1795420136,\"changes\":["
	"{\"field\":\"comments\",\"value\":{\"from\":{\"id\":\"IGU5\",\"username\":\"erika.m\"},"
	"\"media\":{\"id\":\"MEDIA3\",\"media_product_type\":\"FEED\"},\"id\":\"IGC8\","
	"\"parent_id\":\"IGC1\",\"text\":\"Super!\"}}]}]}";

static void test_instagram_comment(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post_meta("instagram", IG_COMMENT, APP_SECRET, &answer), CT_OK);
	static const char *const want[][3] = {
		{"external_id", NULL, "IGC8"},
		{"thread_id", NULL, "MEDIA3:IGU5"},
		{"author", "id", "IGU5"},
		{"author", "handle", "erika.m"},
		{"text", NULL, "Super!"},
		{"in_reply_to", NULL, "IGC1"},
		{"meta", "object", "instagram"},
		{"meta", "parent_id", "IGC1"},
		{NULL, NULL, NULL},
	};
	expect_strings(only_message(&answer), want);
	answer_free(&answer);
	/* the same delivery at a facebook channel is for another object */
	assert_int_equal(post_meta("facebook", IG_COMMENT, APP_SECRET, &answer), CT_ERR_INVALID);
	assert_null(answer.messages);
	assert_non_null(strstr(answer.error, "instagram"));
}

static const char WHATSAPP[] =
	"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"WABA1\",\"changes\":["
	"{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\","
	"\"metadata\":{\"display_phone_number\":\"4930123\",\"phone_number_id\":\"PN1\"},"
	"\"contacts\":[{\"profile\":{\"name\":\"Kim\"},\"wa_id\":\"4915112345678\"}],"
	"\"messages\":[{\"from\":\"4915112345678\",\"id\":\"wamid.A\",\"timestamp\":\"1795420136\","
	"\"type\":\"text\",\"text\":{\"body\":\"Moin\"}},"
	"{\"from\":\"4915112345678\",\"id\":\"wamid.B\",\"timestamp\":\"1795420137\","
	"\"type\":\"image\",\"image\":{\"id\":\"MEDIA1\",\"mime_type\":\"image/jpeg\"}}]}},"
	"{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\","
	"\"metadata\":{\"phone_number_id\":\"PN1\"},\"statuses\":[{\"id\":\"wamid.X\","
	"\"status\":\"delivered\",\"timestamp\":\"1795420138\",\"recipient_id\":\"49151\"}]}}]}]}";

static void test_whatsapp_messages(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post_meta("whatsapp", WHATSAPP, APP_SECRET, &answer), CT_OK);
	assert_int_equal(json_array_size(answer.messages), 2); /* statuses add nothing */
	static const char *const text[][3] = {
		{"external_id", NULL, "wamid.A"},
		{"thread_id", NULL, "4915112345678"},
		{"author", "id", "4915112345678"},
		{"author", "name", "Kim"},
		{"text", NULL, "Moin"},
		{"created_at", NULL, "2026-11-23T07:48:56.000Z"},
		{"meta", "phone_number_id", "PN1"},
		{"meta", "object", "whatsapp_business_account"},
		{NULL, NULL, NULL},
	};
	expect_strings(json_array_get(answer.messages, 0), text);
	static const char *const image[][3] = {
		{"external_id", NULL, "wamid.B"},
		{"text", NULL, "[image]"},
		{NULL, NULL, NULL},
	};
	expect_strings(json_array_get(answer.messages, 1), image);
	answer_free(&answer);
}

static void test_signature_is_required(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post_meta("facebook", FEED_COMMENT, NULL, &answer), CT_ERR_UNAUTHORIZED);
	assert_null(answer.messages);
	assert_int_equal(post_meta("facebook", FEED_COMMENT, "another-secret", &answer),
			 CT_ERR_UNAUTHORIZED);
	assert_null(answer.messages);
	assert_null(strstr(answer.error, APP_SECRET));
}

static void test_not_meta_shape_is_invalid(void **state)
{
	(void)state;
	static const char *const bodies[] = {
		"{\"hello\":1}",
		"[1,2]",
		"not json",
		"{\"object\":\"page\",\"entry\":{}}",
		"{\"object\":\"page\",\"entry\":[{\"id\":\"P\",\"changes\":[{\"value\":{}}]}]}",
		"{\"object\":\"page\",\"entry\":[7]}",
		NULL,
	};
	for (const char *const *b = bodies; *b; b++) {
		channel_hook_answer answer;
		if (post_meta("facebook", *b, APP_SECRET, &answer) != CT_ERR_INVALID)
			fail_msg("not refused: %s", *b);
		assert_null(answer.messages);
		assert_true(answer.error[0] != '\0');
	}
}

static ct_err handshake(const char *mode, const char *token, const char *challenge,
			channel_hook_answer *answer)
{
	fake_http http = {{{NULL, NULL}},
			  {{"hub.mode", mode},
			   {"hub.verify_token", token},
			   {"hub.challenge", challenge},
			   {NULL, NULL}}};
	return call_hook("whatsapp", "GET", NULL, &http, answer);
}

static void test_verify_handshake(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(handshake("subscribe", VERIFY_TOKEN, "1158201444", &answer), CT_OK);
	assert_string_equal(answer.body, "1158201444");
	assert_non_null(strstr(answer.content_type, "text/plain"));
	answer_free(&answer);
	assert_int_equal(handshake("subscribe", "wrong", "1", &answer), CT_ERR_UNAUTHORIZED);
	assert_null(answer.body);
	assert_int_equal(handshake("unsubscribe", VERIFY_TOKEN, "1", &answer), CT_ERR_UNAUTHORIZED);
	assert_int_equal(handshake("subscribe", NULL, "1", &answer), CT_ERR_UNAUTHORIZED);
}

static ct_err post_telegram(const char *body, const char *secret, channel_hook_answer *answer)
{
	fake_http http = {{{"X-Telegram-Bot-Api-Secret-Token", secret}, {NULL, NULL}},
			  {{NULL, NULL}}};
	if (!secret)
		http.headers[0][0] = NULL;
	return call_hook("telegram", "POST", body, &http, answer);
}

static const char TG_GROUP[] =
	"{\"update_id\":800000001,\"message\":{\"message_id\":42,"
	"\"from\":{\"id\":5551,\"is_bot\":false,\"first_name\":\"Erika\",\"last_name\":\"Muster\","
	"\"username\":\"erika_m\",\"language_code\":\"de\"},"
	"\"chat\":{\"id\":-1001234,\"title\":\"Nachbarn\",\"type\":\"supergroup\"},"
	"\"date\":1795420136,\"text\":\"Strom weg?\",\"reply_to_message\":{\"message_id\":40,"
	"\"chat\":{\"id\":-1001234,\"type\":\"supergroup\"},\"date\":1795420000}}}";

static void test_telegram_message(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post_telegram(TG_GROUP, TG_SECRET, &answer), CT_OK);
	const json_t *m = only_message(&answer);
	static const char *const want[][3] = {
		{"external_id", NULL, "-1001234:42"},
		{"thread_id", NULL, "-1001234"},
		{"author", "id", "5551"},
		{"author", "name", "Erika Muster"},
		{"author", "handle", "erika_m"},
		{"text", NULL, "Strom weg?"},
		{"created_at", NULL, "2026-11-23T07:48:56.000Z"},
		{"in_reply_to", NULL, "-1001234:40"},
		{"meta", "chat_type", "supergroup"},
		{NULL, NULL, NULL},
	};
	expect_strings(m, want);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "meta"), "chat_id")),
			 -1001234);
	answer_free(&answer);
}

static void test_telegram_other_updates_and_media(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post_telegram("{\"update_id\":5,\"callback_query\":{\"id\":\"1\"}}",
				       TG_SECRET, &answer),
			 CT_OK);
	assert_int_equal(json_array_size(answer.messages), 0);
	answer_free(&answer);
	static const char photo[] =
		"{\"update_id\":6,\"edited_message\":{\"message_id\":3,\"from\":{\"id\":9,"
		"\"first_name\":\"Ali\"},\"chat\":{\"id\":9,\"type\":\"private\"},\"date\":"
		"1795420136,"
		"\"edit_date\":1795420200,\"photo\":[{\"file_id\":\"small\"},{\"file_id\":\"big\"}]"
		"}}";
	assert_int_equal(post_telegram(photo, TG_SECRET, &answer), CT_OK);
	const json_t *m = only_message(&answer);
	static const char *const want[][3] = {
		{"external_id", NULL, "9:3"},
		{"text", NULL, "[photo]"},
		{"author", "name", "Ali"},
		{NULL, NULL, NULL},
	};
	expect_strings(m, want);
	assert_string_equal(
		path(json_array_get(json_object_get(m, "attachments"), 0), "file_id", NULL), "big");
	assert_true(json_is_true(json_object_get(json_object_get(m, "meta"), "edited")));
	answer_free(&answer);
}

static void test_telegram_secret_and_shape(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post_telegram(TG_GROUP, NULL, &answer), CT_ERR_UNAUTHORIZED);
	assert_null(answer.messages);
	assert_int_equal(post_telegram(TG_GROUP, "tg-secret-2", &answer), CT_ERR_UNAUTHORIZED);
	assert_null(answer.messages);
	assert_int_equal(post_telegram("{\"message\":{}}", TG_SECRET, &answer), CT_ERR_INVALID);
	assert_null(answer.messages);
	assert_int_equal(post_telegram("[]", TG_SECRET, &answer), CT_ERR_INVALID);
}

int main(void)
{
	if (crypto_init() != CT_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facebook_feed_comment),
		cmocka_unit_test(test_messenger_messages),
		cmocka_unit_test(test_instagram_comment),
		cmocka_unit_test(test_whatsapp_messages),
		cmocka_unit_test(test_signature_is_required),
		cmocka_unit_test(test_not_meta_shape_is_invalid),
		cmocka_unit_test(test_verify_handshake),
		cmocka_unit_test(test_telegram_message),
		cmocka_unit_test(test_telegram_other_updates_and_media),
		cmocka_unit_test(test_telegram_secret_and_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_channel_widget.c: unit tests for the website widget channel
 * (src/channels/widget.c): the signed visitor cookie and form token, the
 * derived cookie key, allowed origins, and the adapter's checks of a
 * visitor's post (honeypot, token age, text and link caps) before it becomes
 * an ingest message; send_reply only names the reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channels/widget.h"
#include "core/crypto.h"
#include "core/timeutil.h"

#define KEY "0123456789abcdef0123456789abcdef"
#define ORIGIN "https://www.stadtwerke-example.de"

/* The request headers of a post. */
typedef struct fake_http {
	const char *origin;
	const char *cookie;
} fake_http;

static const char *get_header(const void *http, const char *name)
{
	const fake_http *h = http;
	if (strcmp(name, "Origin") == 0)
		return h->origin;
	return strcmp(name, "Cookie") == 0 ? h->cookie : NULL;
}

static const char *get_query(const void *http, const char *name)
{
	(void)http;
	(void)name;
	return NULL;
}

/* A widget channel for ORIGIN with cookie_key KEY (config and secrets are
 * the caller's to drop). */
static channel_ctx widget_ctx(json_t **config, json_t **secrets, int min_delay_s)
{
	*config = json_pack("{s:[s], s:i}", "allowed_origins", ORIGIN "/", "min_delay_s",
			    min_delay_s);
	*secrets = json_pack("{s:s}", "cookie_key", KEY);
	return (channel_ctx){.id = 3, .name = "website", .config = *config, .secrets = *secrets};
}

/* Post text and the fields of extra (stolen; may be NULL) with the cookie
 * of a fresh visitor and a token made age_ms ago; the answer is the caller's
 * to clean up. */
static ct_err post(json_t *extra, const char *text, int64_t age_ms, int min_delay_s,
		   const char *origin, channel_hook_answer *answer)
{
	json_t *config, *secrets;
	channel_ctx ch = widget_ctx(&config, &secrets, min_delay_s);
	char id[WIDGET_VISITOR_MAX], cookie[WIDGET_SIGNED_MAX], header[WIDGET_SIGNED_MAX + 32];
	char token[WIDGET_SIGNED_MAX];
	widget_visitor_new(KEY, id, cookie);
	snprintf(header, sizeof(header), "other=1; " WIDGET_COOKIE "=%s", cookie);
	widget_token_new(KEY, id, time_now_ms() - age_ms, token);
	json_t *body = json_pack("{s:s, s:s}", "text", text, "token", token);
	if (extra)
		json_object_update(body, extra);
	json_decref(extra);
	char *raw = json_dumps(body, JSON_COMPACT);
	fake_http http = {origin, header};
	channel_hook_request req = {.method = "POST",
				    .body = raw,
				    .body_len = strlen(raw),
				    .client_ip = "127.0.0.1",
				    .http = &http,
				    .header = get_header,
				    .query = get_query};
	memset(answer, 0, sizeof(*answer));
	ct_err err = channel_widget.receive_hook(&ch, &req, answer);
	free(raw);
	json_decref(body);
	json_decref(config);
	json_decref(secrets);
	return err;
}

static void test_cookie_round_trip_and_forgery(void **state)
{
	(void)state;
	char id[WIDGET_VISITOR_MAX], cookie[WIDGET_SIGNED_MAX], got[WIDGET_VISITOR_MAX];
	char header[WIDGET_SIGNED_MAX + 40];
	widget_visitor_new(KEY, id, cookie);
	assert_int_equal(strlen(id), 22);
	snprintf(header, sizeof(header), "a=b; " WIDGET_COOKIE "=%s; c=d", cookie);
	assert_int_equal(widget_visitor_from_cookie(KEY, header, got), 1);
	assert_string_equal(got, id);
	assert_int_equal(widget_visitor_from_cookie("another key", header, got), 0);
	cookie[3] = cookie[3] == 'A' ? 'B' : 'A'; /* another visitor id, same MAC */
	snprintf(header, sizeof(header), WIDGET_COOKIE "=%s", cookie);
	assert_int_equal(widget_visitor_from_cookie(KEY, header, got), 0);
	assert_int_equal(widget_visitor_from_cookie(KEY, NULL, got), 0);
	assert_int_equal(widget_visitor_from_cookie(KEY, WIDGET_COOKIE "=", got), 0);
	assert_int_equal(widget_visitor_from_cookie(KEY, WIDGET_COOKIE "=.", got), 0);
}

static void test_derived_key_is_per_channel(void **state)
{
	(void)state;
	unsigned char install[32] = {1, 2, 3};
	char a[WIDGET_KEY_HEX], b[WIDGET_KEY_HEX], a2[WIDGET_KEY_HEX];
	widget_derive_key(install, 3, a);
	widget_derive_key(install, 4, b);
	widget_derive_key(install, 3, a2);
	assert_int_equal(strlen(a), 64);
	assert_string_equal(a, a2);
	assert_string_not_equal(a, b);
}

static void test_origins(void **state)
{
	(void)state;
	json_t *config, *secrets;
	channel_ctx ch = widget_ctx(&config, &secrets, 0);
	assert_int_equal(widget_origin_allowed(&ch, ORIGIN), 1);
	assert_int_equal(widget_origin_allowed(&ch, "HTTPS://WWW.Stadtwerke-Example.de"), 1);
	assert_int_equal(widget_origin_allowed(&ch, "https://www.stadtwerke-example.de.evil"), 0);
	assert_int_equal(widget_origin_allowed(&ch, "null"), 0);
	assert_int_equal(widget_origin_allowed(&ch, NULL), 0);
	json_decref(config);
	json_decref(secrets);
}

static void test_good_post_becomes_a_message(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post(NULL, "Wann kommt der Strom?", 5000, 2, ORIGIN, &answer), CT_OK);
	json_t *m = json_array_get(answer.messages, 0);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "text")), "Wann kommt der Strom?");
	const char *thread = json_string_value(json_object_get(m, "thread_id"));
	const char *author = json_string_value(json_object_get(json_object_get(m, "author"), "id"));
	assert_non_null(thread);
	assert_int_equal(strncmp(author, "visitor:", 8), 0);
	assert_string_equal(author + 8, thread);
	assert_null(json_object_get(json_object_get(m, "author"), "name"));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(m, "meta"), "origin")), ORIGIN);
	json_decref(answer.messages);
}

static void test_refusals(void **state)
{
	(void)state;
	channel_hook_answer answer;
	/* too young, too old */
	assert_int_equal(post(NULL, "hallo", 500, 2, ORIGIN, &answer), CT_ERR_UNAUTHORIZED);
	assert_int_equal(post(NULL, "hallo", WIDGET_MAX_TOKEN_AGE_MS + 1000, 0, ORIGIN, &answer),
			 CT_ERR_UNAUTHORIZED);
	/* another site */
	assert_int_equal(post(NULL, "hallo", 0, 0, "https://evil.example", &answer),
			 CT_ERR_FORBIDDEN);
	/* links, empty text */
	assert_int_equal(post(NULL, "http://a.example http://b.example www.c.example", 0, 0, ORIGIN,
			      &answer),
			 CT_ERR_INVALID);
	assert_int_equal(post(NULL, " \n ", 0, 0, ORIGIN, &answer), CT_ERR_INVALID);
	assert_int_equal(post(NULL, "a\001b", 0, 0, ORIGIN, &answer), CT_ERR_INVALID);
	assert_null(answer.messages);
	assert_true(answer.error[0] != '\0');
}

static void test_honeypot(void **state)
{
	(void)state;
	channel_hook_answer answer;
	assert_int_equal(post(json_pack("{s:s}", "website", "x"), "hallo", 0, 0, ORIGIN, &answer),
			 CT_ERR_INVALID);
	assert_null(answer.messages);
	assert_int_equal(post(json_pack("{s:s}", "website", ""), "hallo", 0, 0, ORIGIN, &answer),
			 CT_OK);
	json_decref(answer.messages);
}

static void test_send_reply_names_the_reply(void **state)
{
	(void)state;
	channel_reply reply = {.message_id = 42, .text = "Gegen 9 Uhr."};
	channel_outcome out = {0};
	assert_int_equal(channel_widget.send_reply(NULL, &reply, &out), CT_OK);
	assert_string_equal(out.external_id, "widget:42");
	assert_ptr_equal(channel_find("widget"), &channel_widget);
}

int main(void)
{
	crypto_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_round_trip_and_forgery),
		cmocka_unit_test(test_derived_key_is_per_channel),
		cmocka_unit_test(test_origins),
		cmocka_unit_test(test_good_post_becomes_a_message),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_honeypot),
		cmocka_unit_test(test_send_reply_names_the_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

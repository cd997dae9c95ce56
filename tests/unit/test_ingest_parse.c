/*
 * test_ingest_parse.c: unit tests for the validation of incoming messages
 * (src/ingest/parse.c): a valid message and batch are taken apart correctly,
 * and every kind of refusal names the field and the array index (-1 for a
 * single object), with the size limits checked at and just past the edge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/timeutil.h"
#include "ingest/ingest.h"

#define NOW_MS 1795420136000LL /* 2026-11-23T07:48:56Z */

static const ingest_options limits = {
	.max_batch = 5,
	.max_text = 100,
	.reopen_window_ms = 7LL * 86400 * 1000,
};

#define MSG(extra)                                                                      \
	"{\"channel\": \"api\", \"external_id\": \"m1\", \"author\": {\"id\": \"u1\"}," \
	" \"text\": \"Hallo\"" extra "}"

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *root = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!root)
		fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
	return root;
}

/* Parse text; the batch is freed by the caller. */
static ct_err parse_text(const char *text, ingest_batch *b)
{
	return ingest_parse(load(text), &limits, NOW_MS, b);
}

/* Expect a refusal naming field and index; message must be non-empty. */
static void expect_error(const char *text, ct_err want, const char *field, int index)
{
	ingest_batch b;
	ct_err err = parse_text(text, &b);
	if (err != want || strcmp(b.err_field, field) != 0 || b.err_index != index)
		fail_msg("%s\n  gave err=%d field='%s' index=%d (%s); expected err=%d field='%s' "
			 "index=%d",
			 text, (int)err, b.err_field, b.err_index, buf_cstr(&b.err_msg), (int)want,
			 field, index);
	assert_true(strlen(buf_cstr(&b.err_msg)) > 0);
	ingest_batch_free(&b);
}

static void test_valid_single(void **state)
{
	(void)state;
	ingest_batch b;
	ct_err err = parse_text("{\"channel\": \"api\", \"external_id\": \"e-1\","
				" \"thread_id\": \"t-1\", \"in_reply_to\": \"e-0\","
				" \"author\": {\"id\": \"u1\", \"name\": \"Erika Muster\","
				" \"handle\": \"@erika\"}, \"subject\": \"Zähler\","
				" \"text\": \"Mein Zähler läuft rückwärts\","
				" \"created_at\": \"2026-11-23T08:45:00+01:00\","
				" \"attachments\": [{\"url\": \"https://x/a.png\"}],"
				" \"meta\": {\"k\": [1, 2]}}",
				&b);
	assert_int_equal(err, CT_OK);
	assert_int_equal(b.n, 1);
	assert_true(b.single);
	assert_int_equal(b.err_index, -1);
	const ingest_message *m = &b.msgs[0];
	assert_string_equal(m->channel, "api");
	assert_string_equal(m->external_id, "e-1");
	assert_string_equal(m->thread_id, "t-1");
	assert_string_equal(m->in_reply_to, "e-0");
	assert_string_equal(m->author_id, "u1");
	assert_string_equal(m->author_name, "Erika Muster");
	assert_string_equal(m->author_handle, "@erika");
	assert_string_equal(m->subject, "Zähler");
	assert_string_equal(m->text, "Mein Zähler läuft rückwärts");
	int64_t want;
	assert_int_equal(time_parse_rfc3339("2026-11-23T07:45:00Z", 20, &want), CT_OK);
	assert_true(m->created_at == want);
	assert_string_equal(m->attachments, "[{\"url\":\"https://x/a.png\"}]");
	assert_string_equal(m->meta, "{\"k\":[1,2]}");
	assert_non_null(b.results);
	ingest_batch_free(&b);
}

static void test_valid_minimal_and_defaults(void **state)
{
	(void)state;
	ingest_batch b;
	assert_int_equal(parse_text(MSG(""), &b), CT_OK);
	const ingest_message *m = &b.msgs[0];
	assert_null(m->thread_id);
	assert_null(m->in_reply_to);
	assert_null(m->author_name);
	assert_null(m->author_handle);
	assert_null(m->subject);
	assert_null(m->attachments);
	assert_null(m->meta);
	assert_true(m->created_at == NOW_MS); /* absent: the time of receipt */
	ingest_batch_free(&b);

	/* JSON null for an optional field means absent */
	assert_int_equal(parse_text(MSG(", \"thread_id\": null, \"meta\": null,"
					" \"created_at\": null"),
				    &b),
			 CT_OK);
	assert_null(b.msgs[0].thread_id);
	assert_null(b.msgs[0].meta);
	assert_true(b.msgs[0].created_at == NOW_MS);
	ingest_batch_free(&b);

	/* attachments without text: the text is empty, not missing */
	assert_int_equal(parse_text("{\"channel\": \"api\", \"external_id\": \"m1\","
				    " \"author\": {\"id\": \"u1\"}, \"attachments\": [{}]}",
				    &b),
			 CT_OK);
	assert_string_equal(b.msgs[0].text, "");
	ingest_batch_free(&b);
}

static void test_valid_batch(void **state)
{
	(void)state;
	ingest_batch b;
	assert_int_equal(parse_text("[" MSG("") ", " MSG(", \"external_id\": \"x\"") "]", &b),
			 CT_OK);
	assert_int_equal(b.n, 2);
	assert_false(b.single);
	ingest_batch_free(&b);
	/* exactly max_batch messages */
	assert_int_equal(
		parse_text("[" MSG("") "," MSG("") "," MSG("") "," MSG("") "," MSG("") "]", &b),
		CT_OK);
	assert_int_equal(b.n, 5);
	ingest_batch_free(&b);
}

static void test_body_shape(void **state)
{
	(void)state;
	expect_error("42", CT_ERR_INVALID, "", -1);
	expect_error("\"text\"", CT_ERR_INVALID, "", -1);
	expect_error("null", CT_ERR_INVALID, "", -1);
	expect_error("[]", CT_ERR_INVALID, "", -1);
	expect_error("[" MSG("") ", 5]", CT_ERR_INVALID, "", 1);
	expect_error("[[]]", CT_ERR_INVALID, "", 0);
	/* one more than max_batch: too large, before any message is looked at */
	expect_error("[" MSG("") "," MSG("") "," MSG("") "," MSG("") "," MSG("") ", 1]",
		     CT_ERR_TOO_LARGE, "", -1);
}

static void test_unknown_fields(void **state)
{
	(void)state;
	expect_error(MSG(", \"txt\": \"typo\""), CT_ERR_INVALID, "txt", -1);
	expect_error("[" MSG("") ", " MSG(", \"foo\": 1") "]", CT_ERR_INVALID, "foo", 1);
	expect_error("{\"channel\": \"api\", \"external_id\": \"m1\", \"text\": \"x\","
		     " \"author\": {\"id\": \"u1\", \"email\": \"a@b\"}}",
		     CT_ERR_INVALID, "author.email", -1);
}

static void test_required_fields(void **state)
{
	(void)state;
	expect_error("{\"external_id\": \"m1\", \"author\": {\"id\": \"u\"}, \"text\": \"x\"}",
		     CT_ERR_INVALID, "channel", -1);
	expect_error("[" MSG("") ", {\"channel\": \"api\", \"author\": {\"id\": \"u\"},"
				 " \"text\": \"x\"}]",
		     CT_ERR_INVALID, "external_id", 1);
	expect_error("{\"channel\": \"api\", \"external_id\": \"m1\", \"text\": \"x\"}",
		     CT_ERR_INVALID, "author", -1);
	expect_error("{\"channel\": \"api\", \"external_id\": \"m1\", \"text\": \"x\","
		     " \"author\": {}}",
		     CT_ERR_INVALID, "author.id", -1);
	expect_error("{\"channel\": \"api\", \"external_id\": \"m1\", \"author\": {\"id\": \"u\"}}",
		     CT_ERR_INVALID, "text", -1);
	expect_error("{\"channel\": null, \"external_id\": \"m1\", \"author\": {\"id\": \"u\"},"
		     " \"text\": \"x\"}",
		     CT_ERR_INVALID, "channel", -1);
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_error("{\"channel\": 1, \"external_id\": \"m1\", \"author\": {\"id\": \"u\"},"
		     " \"text\": \"x\"}",
		     CT_ERR_INVALID, "channel", -1);
	expect_error("{\"channel\": \"api\", \"external_id\": 17, \"author\": {\"id\": \"u\"},"
		     " \"text\": \"x\"}",
		     CT_ERR_INVALID, "external_id", -1);
	expect_error(MSG(", \"thread_id\": []"), CT_ERR_INVALID, "thread_id", -1);
	expect_error(MSG(", \"in_reply_to\": true"), CT_ERR_INVALID, "in_reply_to", -1);
	expect_error("{\"channel\": \"api\", \"external_id\": \"m1\", \"author\": \"u1\","
		     " \"text\": \"x\"}",
		     CT_ERR_INVALID, "author", -1);
	expect_error("{\"channel\": \"api\", \"external_id\": \"m1\", \"author\": {\"id\": 5},"
		     " \"text\": \"x\"}",
		     CT_ERR_INVALID, "author.id", -1);
	expect_error("{\"channel\": \"api\", \"external_id\": \"m1\", \"text\": \"x\","
		     " \"author\": {\"id\": \"u\", \"name\": 5}}",
		     CT_ERR_INVALID, "author.name", -1);
	expect_error("{\"channel\": \"api\", \"external_id\": \"m1\", \"author\": {\"id\": \"u\"},"
		     " \"text\": 5}",
		     CT_ERR_INVALID, "text", -1);
	expect_error(MSG(", \"subject\": {}"), CT_ERR_INVALID, "subject", -1);
	expect_error(MSG(", \"created_at\": 1795420136"), CT_ERR_INVALID, "created_at", -1);
	expect_error(MSG(", \"attachments\": {}"), CT_ERR_INVALID, "attachments", -1);
	expect_error(MSG(", \"attachments\": [\"a.png\"]"), CT_ERR_INVALID, "attachments", -1);
	expect_error(MSG(", \"meta\": [1]"), CT_ERR_INVALID, "meta", -1);
}

static void test_empty_strings(void **state)
{
	(void)state;
	expect_error("{\"channel\": \"\", \"external_id\": \"m1\", \"author\": {\"id\": \"u\"},"
		     " \"text\": \"x\"}",
		     CT_ERR_INVALID, "channel", -1);
	expect_error("[" MSG("") ", " MSG(", \"external_id\": \"\"") "]", CT_ERR_INVALID,
		     "external_id", 1);
	expect_error("{\"channel\": \"api\", \"external_id\": \"m1\", \"author\": {\"id\": \"\"},"
		     " \"text\": \"x\"}",
		     CT_ERR_INVALID, "author.id", -1);
}

/* MSG with one field replaced by a string of n copies of c. */
static char *msg_with(const char *field, size_t n, char c)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	json_t *o = json_loads(MSG(""), 0, NULL);
	assert_non_null(o);
	json_object_set_new(o, field, json_string(s));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(s);
	return text;
}

static void expect_length(const char *field, size_t max)
{
	char *ok = msg_with(field, max, 'a');
	ingest_batch b;
	if (parse_text(ok, &b) != CT_OK)
		fail_msg("%s of %zu bytes refused: %s", field, max, buf_cstr(&b.err_msg));
	ingest_batch_free(&b);
	free(ok);
	char *bad = msg_with(field, max + 1, 'a');
	expect_error(bad, CT_ERR_INVALID, field, -1);
	free(bad);
}

static void test_length_limits(void **state)
{
	(void)state;
	expect_length("text", limits.max_text);
	expect_length("external_id", 256);
	expect_length("thread_id", 256);
	expect_length("in_reply_to", 256);
	expect_length("subject", 998);
	expect_length("channel", 64);
	/* the limit is on bytes, not characters: 51 umlauts are 102 bytes */
	char *umlauts = malloc(200);
	assert_non_null(umlauts);
	size_t o = 0;
	for (int i = 0; i < 51; i++, o += 2)
		memcpy(umlauts + o, "\xc3\xbc", 2);
	umlauts[o] = '\0';
	json_t *root = load(MSG(""));
	json_object_set_new(root, "text", json_string(umlauts));
	ingest_batch b;
	assert_int_equal(ingest_parse(root, &limits, NOW_MS, &b), CT_ERR_INVALID);
	assert_string_equal(b.err_field, "text");
	ingest_batch_free(&b);
	free(umlauts);
}

static void test_attachment_and_meta_limits(void **state)
{
	(void)state;
	json_t *root = load(MSG(""));
	json_t *att = json_array();
	for (int i = 0; i < 20; i++)
		json_array_append_new(att, json_object());
	json_object_set(root, "attachments", att);
	ingest_batch b;
	assert_int_equal(ingest_parse(root, &limits, NOW_MS, &b), CT_OK); /* 20 is fine */
	ingest_batch_free(&b);

	root = load(MSG(""));
	json_array_append_new(att, json_object());
	json_object_set_new(root, "attachments", att); /* 21 */
	assert_int_equal(ingest_parse(root, &limits, NOW_MS, &b), CT_ERR_INVALID);
	assert_string_equal(b.err_field, "attachments");
	ingest_batch_free(&b);

	/* meta above 16 KiB of compact JSON */
	root = load(MSG(""));
	char *big = malloc(17000);
	assert_non_null(big);
	memset(big, 'm', 16999);
	big[16999] = '\0';
	json_t *meta = json_object();
	json_object_set_new(meta, "k", json_string(big));
	json_object_set_new(root, "meta", meta);
	assert_int_equal(ingest_parse(root, &limits, NOW_MS, &b), CT_ERR_INVALID);
	assert_string_equal(b.err_field, "meta");
	ingest_batch_free(&b);
	free(big);
}

static void test_created_at(void **state)
{
	(void)state;
	expect_error(MSG(", \"created_at\": \"yesterday\""), CT_ERR_INVALID, "created_at", -1);
	expect_error(MSG(", \"created_at\": \"2026-02-30T10:00:00Z\""), CT_ERR_INVALID,
		     "created_at", -1);
	expect_error(MSG(", \"created_at\": \"2026-11-23T07:48:56\""), CT_ERR_INVALID, "created_at",
		     -1);
	expect_error(MSG(", \"created_at\": \"\""), CT_ERR_INVALID, "created_at", -1);
	/* before 1990 and more than a day ahead are implausible */
	expect_error(MSG(", \"created_at\": \"1989-12-31T23:59:59Z\""), CT_ERR_INVALID,
		     "created_at", -1);
	expect_error(MSG(", \"created_at\": \"2026-11-24T07:48:57Z\""), CT_ERR_INVALID,
		     "created_at", -1);
	ingest_batch b;
	assert_int_equal(parse_text(MSG(", \"created_at\": \"2026-11-24T07:48:56Z\""), &b), CT_OK);
	ingest_batch_free(&b);
	assert_int_equal(parse_text(MSG(", \"created_at\": \"1990-01-01T00:00:00Z\""), &b), CT_OK);
	ingest_batch_free(&b);
}

static void test_first_error_wins(void **state)
{
	(void)state;
	/* two bad messages: the first one is named */
	expect_error("[" MSG("") ", " MSG(", \"meta\": 1") ", " MSG(", \"bad\": 1") "]",
		     CT_ERR_INVALID, "meta", 1);
	expect_error("[" MSG("") ", " MSG("") ", " MSG(", \"created_at\": \"x\"") "]",
		     CT_ERR_INVALID, "created_at", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_single),
		cmocka_unit_test(test_valid_minimal_and_defaults),
		cmocka_unit_test(test_valid_batch),
		cmocka_unit_test(test_body_shape),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_empty_strings),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_attachment_and_meta_limits),
		cmocka_unit_test(test_created_at),
		cmocka_unit_test(test_first_error_wins),
	};
	return cmocka_run_group_tests_name("ingest_parse", tests, NULL, NULL);
}

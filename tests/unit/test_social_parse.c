/*
 * test_social_parse.c: unit tests for the pure parts of the Mastodon and X
 * adapters (src/channels/mastodon_parse.c, src/channels/x_parse.c): the
 * documented payloads in ../shared/data/fixtures/{mastodon,x} (or
 * $CLUETRAIN_FIXTURES) become ingest messages that ingest_parse accepts, with
 * the right authors, texts, threads and meta; status HTML becomes plain text;
 * and X's poll cursor walks next_token to the end before it moves since_id.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channels/social.h"
#include "core/buf.h"
#include "ingest/ingest.h"

#define NOW_MS 1795420136000LL /* 2026-11-23T07:48:56Z */

/* A documented example: fixtures/<service>/<name>, parsed (new reference). */
static json_t *fixture(const char *service, const char *name)
{
	const char *dir = getenv("CLUETRAIN_FIXTURES");
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s/%s", dir && *dir ? dir : "../shared/data/fixtures",
		 service, name);
	json_error_t e;
	json_t *doc = json_load_file(path, 0, &e);
	if (!doc)
		fail_msg("cannot read %s (run the test from the repository root): %s", path,
			 e.text);
	return doc;
}

/* The plain text of html (owned). */
static char *text_of(const char *html)
{
	buf b;
	buf_init(&b, 0);
	assert_int_equal(social_html_to_text(html, &b), CT_OK);
	return buf_detach(&b, NULL);
}

static void expect_text(const char *html, const char *want)
{
	char *got = text_of(html);
	assert_string_equal(got, want);
	free(got);
}

/* msg (borrowed) with channel "c" is a valid ingest message. */
static void expect_ingestable(json_t *msgs)
{
	static const ingest_options lim = {.max_batch = 100, .max_text = 64 * 1024};
	json_t *batch = json_deep_copy(msgs);
	size_t i;
	json_t *m;
	json_array_foreach(batch, i, m) json_object_set_new(m, "channel", json_string("c"));
	ingest_batch b;
	ct_err err = ingest_parse(batch, &lim, NOW_MS, &b);
	if (err)
		fail_msg("ingest refused message %d field %s: %s", b.err_index, b.err_field,
			 buf_cstr(&b.err_msg));
	ingest_batch_free(&b);
}

static const char *get(const json_t *obj, const char *path)
{
	char key[64];
	const json_t *v = obj;
	while (*path) {
		size_t n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return json_string_value(v);
}

static void test_html_to_text(void **state)
{
	(void)state;
	expect_text("<p>Hello</p><p>world</p>", "Hello\n\nworld");
	expect_text("<p>a<br>b<br/>c<br />d<BR>e</p>", "a\nb\nc\nd\ne");
	expect_text("&amp;&lt;&gt;&quot;&apos;&#39;&#x27;&nbsp;x", "&<>\"''' x");
	expect_text("&#128512; &#x1F600;", "\xF0\x9F\x98\x80 \xF0\x9F\x98\x80");
	expect_text("&#0;&#xD800;&#x110000;", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	expect_text("a & b &bogus; &amp c &#; &#xZ;", "a & b &bogus; &amp c &#; &#xZ;");
	expect_text("<a href=\"x>y\" title='>'>link</a> after", "link after");
	expect_text("<p><span class=\"h-card\"><a href=\"https://m.example/@us\" class=\"u-url "
		    "mention\">@<span>us</span></a></span> help &amp; thanks</p>",
		    "@us help & thanks");
	expect_text("  <p></p><p>x</p>\n", "x");
	expect_text("unclosed <b", "unclosed");
	expect_text("", "");
	expect_text("<p>para</p><p><br></p>", "para");
	/* <brx> and <pre> are not <br> and </p> */
	expect_text("a<brx>b</pre>c", "abc");
}

static void test_entities_to_text(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	assert_int_equal(social_entities_to_text(" Q&amp;A <3 &lt;b&gt; <p>x</p>\n", &b), CT_OK);
	assert_string_equal(buf_cstr(&b), "Q&A <3 <b> <p>x</p>");
	buf_free(&b);
}

static void test_html_to_text_clipped(void **state)
{
	(void)state;
	buf big;
	buf_init(&big, 0);
	buf_puts(&big, "<p>y");
	for (int i = 0; i < 10000; i++)
		buf_puts(&big, "\xC3\xA4"); /* ä: two bytes, so the cut falls mid-character */
	buf_puts(&big, "x</p>");
	char *t = text_of(buf_cstr(&big));
	/* "y" and whole characters only: 16 KiB would cut the last one in two */
	assert_int_equal(strlen(t), 16 * 1024 - 1);
	assert_int_equal((unsigned char)t[strlen(t) - 1], 0xA4);
	free(t);
	buf_free(&big);
}

static void test_id_greater(void **state)
{
	(void)state;
	assert_true(social_id_greater("10", "9"));
	assert_false(social_id_greater("9", "10"));
	assert_true(social_id_greater("103270115826048976", "103270115826048975"));
	assert_false(social_id_greater("5", "5"));
	assert_true(social_id_greater("1", NULL));
	assert_false(social_id_greater(NULL, "1"));
}

/* A mention notification around the documented Status example. */
static json_t *mention_of(json_t *status, const char *id)
{
	return json_pack("{s:s, s:s, s:s, s:O, s:o}", "id", id, "type", "mention", "created_at",
			 "2019-12-08T03:48:34.000Z", "account", json_object_get(status, "account"),
			 "status", status);
}

static void test_mastodon_mention(void **state)
{
	(void)state;
	json_t *n = mention_of(fixture("mastodon", "Status.example0.json"), "34975861");
	json_t *msg = mastodon_parse_notification(n);
	assert_non_null(msg);
	assert_string_equal(get(msg, "external_id"), "103270115826048975");
	assert_string_equal(get(msg, "thread_id"), "103270115826048975");
	assert_null(json_object_get(msg, "in_reply_to"));
	assert_string_equal(get(msg, "author.id"), "1");
	assert_string_equal(get(msg, "author.name"), "Eugen");
	assert_string_equal(get(msg, "author.handle"), "Gargron");
	assert_string_equal(get(msg, "created_at"), "2019-12-08T03:48:33.901Z");
	assert_string_equal(get(msg, "text"),
			    "\"I lost my inheritance with one wrong digit on my sort code\"\n\n"
			    "https://www.theguardian.com/money/2019/dec/07/"
			    "i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code");
	assert_string_equal(get(msg, "meta.visibility"), "public");
	assert_string_equal(get(msg, "meta.url"),
			    "https://mastodon.social/@Gargron/103270115826048975");
	assert_string_equal(get(msg, "meta.account_acct"), "Gargron");
	assert_string_equal(get(msg, "meta.notification_id"), "34975861");
	json_t *all = json_pack("[o]", msg);
	expect_ingestable(all);
	json_decref(all);
	json_decref(n);
}

/* A conversation whose last status is the documented Status example (its
 * author account id "1"), with accounts of ids others. */
static json_t *conversation_of(json_t *status, const char *other)
{
	return json_pack("{s:s, s:b, s:[{s:s}], s:o}", "id", "418450", "unread", 1, "accounts",
			 "id", other, "last_status", status);
}

static void test_mastodon_conversations(void **state)
{
	(void)state;
	json_t *status = fixture("mastodon", "Status.example0.json");
	json_object_set_new(status, "visibility", json_string("direct"));
	json_t *theirs = conversation_of(status, "1");
	json_t *ours = conversation_of(json_deep_copy(status), "2"); /* "1" is us there */
	json_t *msg = mastodon_parse_conversation(theirs);
	assert_non_null(msg);
	assert_string_equal(get(msg, "external_id"), "103270115826048975");
	assert_string_equal(get(msg, "thread_id"), "dm:1");
	assert_null(json_object_get(json_object_get(msg, "meta"), "notification_id"));
	json_decref(msg);
	assert_null(mastodon_parse_conversation(ours));
	json_t *page = json_pack("[O, O]", ours, theirs), *messages = json_array();
	const char *newest = NULL;
	assert_int_equal(mastodon_parse_conversations(page, messages, &newest), CT_OK);
	assert_int_equal(json_array_size(messages), 1);
	assert_string_equal(newest, "103270115826048975"); /* ours moves the position too */
	expect_ingestable(messages);
	json_t *not_list = json_object();
	assert_int_equal(mastodon_parse_conversations(not_list, messages, &newest), CT_ERR_INVALID);
	json_decref(not_list);
	json_decref(messages);
	json_decref(page);
	json_decref(theirs);
	json_decref(ours);
}

static void test_mastodon_direct_reply(void **state)
{
	(void)state;
	json_t *status = fixture("mastodon", "Status.example0.json");
	json_object_set_new(status, "visibility", json_string("direct"));
	json_object_set_new(status, "in_reply_to_id", json_string("103270115826040000"));
	json_object_set_new(status, "spoiler_text", json_string("Invoice"));
	json_object_set_new(json_object_get(status, "account"), "display_name", json_string(""));
	json_t *n = mention_of(status, "34975862");
	json_t *msg = mastodon_parse_notification(n);
	assert_non_null(msg);
	assert_string_equal(get(msg, "thread_id"), "dm:1");
	assert_string_equal(get(msg, "in_reply_to"), "103270115826040000");
	assert_string_equal(get(msg, "meta.in_reply_to_id"), "103270115826040000");
	assert_string_equal(get(msg, "meta.visibility"), "direct");
	assert_string_equal(get(msg, "author.name"), "Gargron"); /* username when no display name */
	assert_true(strncmp(get(msg, "text"), "Invoice\n\n\"I lost", 16) == 0);
	json_decref(msg);
	json_decref(n);
}

static void test_mastodon_media_only(void **state)
{
	(void)state;
	json_t *status = fixture("mastodon", "Status.example0.json");
	json_object_set_new(status, "content", json_string("<p></p>"));
	json_t *n = mention_of(status, "1");
	json_t *msg = mastodon_parse_notification(n);
	/* nothing to read: the status's address instead of an empty text */
	assert_string_equal(get(msg, "text"),
			    "https://mastodon.social/@Gargron/103270115826048975");
	json_decref(msg);
	json_object_set_new(status, "media_attachments",
			    json_pack("[{s:s, s:s, s:s}]", "type", "image", "url",
				      "https://files.example/a.png", "description", "a meter"));
	msg = mastodon_parse_notification(n);
	assert_string_equal(get(msg, "text"), "");
	json_t *att = json_array_get(json_object_get(msg, "attachments"), 0);
	assert_string_equal(get(att, "url"), "https://files.example/a.png");
	json_t *all = json_pack("[o]", msg);
	expect_ingestable(all);
	json_decref(all);
	json_decref(n);
}

static void test_mastodon_not_mentions(void **state)
{
	(void)state;
	json_t *status = fixture("mastodon", "Status.example0.json");
	json_t *n = mention_of(status, "2");
	json_object_set_new(n, "type", json_string("favourite"));
	assert_null(mastodon_parse_notification(n));
	json_object_set_new(n, "type", json_string("mention"));
	json_object_del(json_object_get(status, "account"), "id");
	assert_null(mastodon_parse_notification(n));
	json_object_del(n, "status");
	assert_null(mastodon_parse_notification(n));
	assert_null(mastodon_parse_notification(NULL));
	json_t *err = fixture("mastodon", "methods_notifications.example3.json");
	assert_null(mastodon_parse_notification(err));
	json_decref(err);
	json_decref(n);
}

static void test_mastodon_page(void **state)
{
	(void)state;
	json_t *status = fixture("mastodon", "Status.example0.json");
	json_t *follow = json_pack("{s:s, s:s, s:O}", "id", "120", "type", "follow", "account",
				   json_object_get(status, "account"));
	json_t *page = json_pack("[o, o, o]", mention_of(json_deep_copy(status), "99"), follow,
				 mention_of(status, "100"));
	json_t *msgs = json_array();
	const char *newest = NULL;
	assert_int_equal(mastodon_parse_page(page, msgs, &newest), CT_OK);
	assert_int_equal(json_array_size(msgs), 2);
	assert_string_equal(newest, "120"); /* every notification moves the position */
	expect_ingestable(msgs);
	json_t *err = fixture("mastodon", "methods_notifications.example3.json");
	newest = NULL;
	assert_int_equal(mastodon_parse_page(err, msgs, &newest), CT_ERR_INVALID);
	assert_null(newest);
	json_decref(err);
	json_decref(msgs);
	json_decref(page);
}

static void test_mastodon_reply_visibility(void **state)
{
	(void)state;
	assert_string_equal(mastodon_reply_visibility("direct"), "direct");
	assert_string_equal(mastodon_reply_visibility("private"), "private");
	assert_string_equal(mastodon_reply_visibility("unlisted"), "unlisted");
	assert_string_equal(mastodon_reply_visibility("public"), "unlisted");
	assert_string_equal(mastodon_reply_visibility(NULL), "unlisted");
}

static void test_x_mentions(void **state)
{
	(void)state;
	json_t *page = fixture("x", "user_mention_quickstart.example0.json");
	json_t *msgs = json_array();
	assert_int_equal(x_parse_mentions(page, msgs), CT_OK);
	assert_int_equal(json_array_size(msgs), 1);
	json_t *m = json_array_get(msgs, 0);
	assert_string_equal(get(m, "external_id"), "1301573587187331074");
	assert_string_equal(get(m, "thread_id"), "1301573587187331074");
	assert_string_equal(get(m, "author.id"), "1234567890");
	assert_string_equal(get(m, "author.name"), "Dev Person");
	assert_string_equal(get(m, "author.handle"), "developer");
	assert_string_equal(get(m, "text"), "Hey @XDevelopers, love the new API!");
	assert_string_equal(get(m, "created_at"), "2024-01-15T10:30:00.000Z");
	expect_ingestable(msgs);

	/* a reply in a thread, with X's escaped entities, by an author missing
	 * from includes */
	json_t *post = json_array_get(json_object_get(page, "data"), 0);
	json_object_set_new(post, "conversation_id", json_string("1301570000000000000"));
	json_object_set_new(post, "in_reply_to_user_id", json_string("2244994945"));
	json_object_set_new(post, "referenced_tweets",
			    json_pack("[{s:s, s:s}, {s:s, s:s}]", "type", "quoted", "id", "7",
				      "type", "replied_to", "id", "1301570000000000001"));
	json_object_set_new(post, "text", json_string("@XDevelopers Q&amp;A &lt;3"));
	json_object_set_new(post, "author_id", json_string("555"));
	json_array_clear(msgs);
	assert_int_equal(x_parse_mentions(page, msgs), CT_OK);
	m = json_array_get(msgs, 0);
	assert_string_equal(get(m, "thread_id"), "1301570000000000000");
	assert_string_equal(get(m, "in_reply_to"), "1301570000000000001");
	assert_string_equal(get(m, "meta.conversation_id"), "1301570000000000000");
	assert_string_equal(get(m, "meta.in_reply_to_user_id"), "2244994945");
	assert_string_equal(get(m, "text"), "@XDevelopers Q&A <3");
	assert_string_equal(get(m, "author.id"), "555");
	assert_null(json_object_get(json_object_get(m, "author"), "name"));
	expect_ingestable(msgs);
	json_decref(msgs);
	json_decref(page);
}

static void test_x_not_a_page(void **state)
{
	(void)state;
	json_t *msgs = json_array();
	json_t *lookup = fixture("x", "posts_lookup_quickstart.example1.json");
	assert_int_equal(x_parse_mentions(lookup, msgs), CT_ERR_INVALID); /* data is one post */
	json_t *empty = json_pack("{s:{s:i}}", "meta", "result_count", 0);
	assert_int_equal(x_parse_mentions(empty, msgs), CT_OK);
	assert_int_equal(x_parse_mentions(NULL, msgs), CT_ERR_INVALID);
	assert_int_equal(json_array_size(msgs), 0);
	json_decref(empty);
	json_decref(lookup);
	json_decref(msgs);
}

/* The cursor after a page with meta (JSON text); *more set. Owned. */
static json_t *next(const char *cursor, const char *meta, int *more)
{
	json_t *c = cursor ? json_loads(cursor, 0, NULL) : NULL;
	json_t *m = json_loads(meta, 0, NULL);
	json_t *r = x_next_cursor(c, m, more);
	json_decref(c);
	json_decref(m);
	return r;
}

static void expect_cursor(json_t *got, const char *want)
{
	json_t *w = want ? json_loads(want, 0, NULL) : NULL;
	if (got != w && !json_equal(got, w)) {
		char *g = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		fail_msg("cursor %s, expected %s", g ? g : "NULL", want ? want : "NULL");
	}
	json_decref(w);
	json_decref(got);
}

/* A string of n copies of c (owned). */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_fit_message(void **state)
{
	(void)state;
	char *long_id = repeat('7', 257), *long_name = repeat('n', 300),
	     *long_url = repeat('u', 5000);
	json_t *msg = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:{s:s}}", "external_id",
				"1", "thread_id", long_id, "in_reply_to", long_id, "author", "id",
				"a", "name", long_name, "text", "t", "created_at",
				"2199-01-01T00:00:00Z", "meta", "url", long_url);
	assert_int_equal(social_fit_message(msg), 1);
	assert_null(json_object_get(msg, "thread_id"));
	assert_null(json_object_get(msg, "in_reply_to"));
	assert_null(json_object_get(msg, "created_at")); /* the future: ingest takes now */
	assert_int_equal(strlen(get(msg, "author.name")), 256);
	assert_int_equal(strlen(get(msg, "meta.url")), 1024);
	json_t *all = json_pack("[O]", msg);
	expect_ingestable(all);
	json_decref(all);
	json_object_set_new(msg, "created_at", json_string("not a time"));
	assert_int_equal(social_fit_message(msg), 1);
	assert_null(json_object_get(msg, "created_at"));
	json_object_set_new(msg, "created_at", json_string("2024-01-15T10:30:00.000Z"));
	assert_int_equal(social_fit_message(msg), 1);
	assert_string_equal(get(msg, "created_at"), "2024-01-15T10:30:00.000Z");
	json_object_set_new(json_object_get(msg, "author"), "id", json_string(long_id));
	assert_int_equal(social_fit_message(msg), 0); /* no author to store it under */
	json_decref(msg);
	free(long_id);
	free(long_name);
	free(long_url);
}

static void test_x_cursor_walk(void **state)
{
	(void)state;
	int more = -1;
	/* the first poll takes the newest page and no history */
	expect_cursor(next(NULL,
			   "{\"newest_id\":\"50\",\"oldest_id\":\"40\",\"next_token\":\"t1\"}",
			   &more),
		      "{\"since_id\":\"50\"}");
	assert_int_equal(more, 0);
	expect_cursor(next(NULL, "{\"result_count\":0}", &more), "{}");
	/* nothing new: unchanged */
	expect_cursor(next("{\"since_id\":\"50\"}", "{\"result_count\":0}", &more), NULL);
	assert_int_equal(more, 0);
	/* one page: since_id moves */
	expect_cursor(
		next("{\"since_id\":\"50\"}", "{\"newest_id\":\"60\",\"oldest_id\":\"51\"}", &more),
		"{\"since_id\":\"60\"}");
	/* several pages: since_id stays until the walk ends */
	expect_cursor(
		next("{\"since_id\":\"60\"}",
		     "{\"newest_id\":\"300\",\"oldest_id\":\"201\",\"next_token\":\"a\"}", &more),
		"{\"since_id\":\"60\",\"pending\":{\"next_token\":\"a\",\"newest_id\":\"300\"}}");
	assert_int_equal(more, 1);
	expect_cursor(
		next("{\"since_id\":\"60\",\"pending\":{\"next_token\":\"a\",\"newest_id\":\"300\"}"
		     "}",
		     "{\"newest_id\":\"200\",\"oldest_id\":\"101\",\"next_token\":\"b\"}", &more),
		"{\"since_id\":\"60\",\"pending\":{\"next_token\":\"b\",\"newest_id\":\"300\"}}");
	assert_int_equal(more, 1);
	expect_cursor(next("{\"since_id\":\"60\",\"pending\":{\"next_token\":\"b\",\"newest_id\":"
			   "\"300\"}}",
			   "{\"newest_id\":\"100\",\"oldest_id\":\"61\"}", &more),
		      "{\"since_id\":\"300\"}");
	assert_int_equal(more, 0);
	/* a walk whose last page came back empty still ends */
	expect_cursor(next("{\"since_id\":\"60\",\"pending\":{\"next_token\":\"b\",\"newest_id\":"
			   "\"300\"}}",
			   "{\"result_count\":0}", &more),
		      "{\"since_id\":\"300\"}");
	/* a walk from {} (no since_id) */
	expect_cursor(
		next("{}", "{\"newest_id\":\"9\",\"oldest_id\":\"5\",\"next_token\":\"c\"}", &more),
		"{\"pending\":{\"next_token\":\"c\",\"newest_id\":\"9\"}}");
	expect_cursor(next("{\"pending\":{\"next_token\":\"c\",\"newest_id\":\"9\"}}",
			   "{\"newest_id\":\"4\",\"oldest_id\":\"1\"}", &more),
		      "{\"since_id\":\"9\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_to_text),
		cmocka_unit_test(test_entities_to_text),
		cmocka_unit_test(test_html_to_text_clipped),
		cmocka_unit_test(test_id_greater),
		cmocka_unit_test(test_mastodon_mention),
		cmocka_unit_test(test_mastodon_direct_reply),
		cmocka_unit_test(test_mastodon_conversations),
		cmocka_unit_test(test_mastodon_media_only),
		cmocka_unit_test(test_mastodon_not_mentions),
		cmocka_unit_test(test_mastodon_page),
		cmocka_unit_test(test_mastodon_reply_visibility),
		cmocka_unit_test(test_x_mentions),
		cmocka_unit_test(test_x_not_a_page),
		cmocka_unit_test(test_fit_message),
		cmocka_unit_test(test_x_cursor_walk),
	};
	return cmocka_run_group_tests_name("social_parse", tests, NULL, NULL);
}

/*
 * test_email_parse.c: unit tests for the e-mail channel's MIME parsing
 * (src/channels/email_parse.c, email_text.c) over the test mails in
 * tests/mail/: encoded-word headers in ISO-8859-1 and UTF-8, nested
 * multipart with attachments stored by SHA-256, an HTML-only mail made text,
 * a Windows-1252 body, quotes and signatures folded away, threading ids, the
 * size limits, mails from our own address, and the reply composition
 * (In-Reply-To, References, our Message-ID) of mail.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "channels/email_parse.h"
#include "channels/mail.h"
#include "core/buf.h"

#define NOW_MS 1795420136000LL /* 2026-11-23T07:48:56Z */

static char files_dir[] = "/tmp/ct-email-test-XXXXXX";

/* A test mail from tests/mail/ (cwd is the repository's root). malloc'd. */
static char *read_mail(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "tests/mail/%s", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository's root)", path);
	buf b;
	buf_init(&b, 0);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len);
}

/* The ingest message of a test mail (must parse to one). */
static json_t *parse_file(const char *name, size_t max_attachment)
{
	size_t len;
	char *data = read_mail(name, &len);
	email_parse_opts o = {.own_address = "service@stadtwerke.example",
			      .files_dir = files_dir,
			      .max_attachment_bytes = max_attachment,
			      .uidvalidity = 7,
			      .uid = 42,
			      .now_ms = NOW_MS + 2 * 86400000LL};
	json_t *m = NULL;
	assert_int_equal(email_parse(data, len, &o, &m), CT_OK);
	free(data);
	assert_non_null(m);
	return m;
}

static const char *str(const json_t *m, const char *path1, const char *path2)
{
	const json_t *v = json_object_get(m, path1);
	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static void test_encoded_words(void **state)
{
	(void)state;
	json_t *m = parse_file("umlauts.eml", 0);
	assert_string_equal(str(m, "subject", NULL), "Störung in der Küche – Straße");
	assert_string_equal(str(m, "author", "name"), "Jürgen Müller");
	assert_string_equal(str(m, "author", "id"), "juergen.mueller@example.de");
	assert_string_equal(str(m, "author", "handle"), "Juergen.Mueller@Example.DE");
	assert_string_equal(str(m, "external_id", NULL), "umlauts-1@example.de");
	assert_string_equal(str(m, "thread_id", NULL), "umlauts-1@example.de");
	assert_null(json_object_get(m, "in_reply_to"));
	assert_string_equal(str(m, "created_at", NULL), "2026-11-23T06:45:00.000Z");
	assert_non_null(strstr(str(m, "text", NULL), "Großen Straße 5 keinen Strom. Können"));
	assert_non_null(strstr(str(m, "text", NULL), "Grüße\nJürgen Müller"));
	json_t *meta = json_object_get(m, "meta");
	assert_string_equal(json_string_value(json_array_get(json_object_get(meta, "cc"), 0)),
			    "Bärbel Köhler <baerbel@example.de>");
	assert_null(json_object_get(meta, "full_text")); /* nothing was folded */
	json_decref(m);
}

static void test_nested_multipart(void **state)
{
	(void)state;
	json_t *m = parse_file("nested.eml", 0);
	assert_string_equal(str(m, "subject", NULL), "Zählerstand März");
	assert_string_equal(str(m, "text", NULL),
			    "Hier ist mein Zählerstand für März, Foto und PDF anbei.");
	json_t *att = json_object_get(m, "attachments");
	assert_int_equal(json_array_size(att), 2);
	json_t *png = json_array_get(att, 0), *pdf = json_array_get(att, 1);
	assert_string_equal(str(png, "name", NULL), "logo.png");
	assert_string_equal(str(png, "type", NULL), "image/png");
	assert_string_equal(str(pdf, "name", NULL), "Zählerstand März.pdf");
	assert_string_equal(str(pdf, "type", NULL), "application/pdf");
	const char *content = "%PDF-1.4\n% Zaehlerstand 12345 kWh\n%%EOF\n";
	assert_int_equal(json_integer_value(json_object_get(pdf, "size")), strlen(content));
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", files_dir, str(pdf, "sha256", NULL));
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char stored[128] = "";
	size_t n = fread(stored, 1, sizeof(stored) - 1, f);
	fclose(f);
	assert_int_equal(n, strlen(content));
	assert_memory_equal(stored, content, n);
	json_decref(m);
}

static void test_html_only(void **state)
{
	(void)state;
	json_t *m = parse_file("html_only.eml", 0);
	const char *text = str(m, "text", NULL);
	assert_string_equal(text, "Hallo liebes Team,\n\n"
				  "danke für den Newsletter – den Artikel zum neuen Tarif "
				  "(https://stadtwerke.example/tarif) fand ich gut.\n\n"
				  "- Frage 1: Gilt er ab Januar?\n"
				  "- Frage 2: Kosten > 30 €?\n\n"
				  "Kundennummer 4711\n\n"
				  "Viele Grüße\nLea Leser");
	assert_null(strstr(text, "color"));
	assert_null(strstr(text, "alert"));
	assert_null(strstr(text, "Antwort")); /* the title */
	json_decref(m);
}

static void test_windows_1252(void **state)
{
	(void)state;
	json_t *m = parse_file("windows1252.eml", 0);
	assert_string_equal(str(m, "text", NULL),
			    "Mein Abschlag von 45 € ist zu hoch – bitte „prüfen“.\nGrüße, Walter");
	json_decref(m);
}

static void test_quotes_and_signature_folded(void **state)
{
	(void)state;
	json_t *m = parse_file("quoted_de.eml", 0);
	assert_string_equal(str(m, "text", NULL), "Danke, der Strom ist wieder da!");
	assert_non_null(strstr(str(m, "meta", "full_text"), "> Wir arbeiten an der Störung."));
	assert_string_equal(str(m, "in_reply_to", NULL), "earlier-1@stadtwerke.example");
	assert_string_equal(str(m, "thread_id", NULL), "root-1@example.de");
	json_t *refs = json_object_get(json_object_get(m, "meta"), "references");
	assert_int_equal(json_array_size(refs), 2);
	json_decref(m);
	m = parse_file("quoted_en.eml", 0);
	assert_string_equal(str(m, "text", NULL), "Thanks, it works again.\nReally.");
	json_decref(m);
}

static void test_missing_ids_and_date(void **state)
{
	(void)state;
	json_t *m = parse_file("no_message_id.eml", 0);
	assert_string_equal(str(m, "external_id", NULL), "imap-7-42@cluetrain.invalid");
	assert_null(json_object_get(m, "created_at"));
	assert_string_equal(str(m, "author", "id"), "nobody@example.net");
	json_decref(m);
}

static void test_own_mail_skipped(void **state)
{
	(void)state;
	size_t len;
	char *data = read_mail("own_address.eml", &len);
	email_parse_opts o = {.own_address = "service@stadtwerke.example", .now_ms = NOW_MS};
	json_t *m = (json_t *)1;
	assert_int_equal(email_parse(data, len, &o, &m), CT_OK);
	assert_null(m);
	free(data);
}

static void test_large_attachment_refused(void **state)
{
	(void)state;
	json_t *m = parse_file("nested.eml", 16);
	json_t *pdf = json_array_get(json_object_get(m, "attachments"), 1);
	assert_string_equal(str(pdf, "skipped", NULL), "too large");
	assert_null(json_object_get(pdf, "sha256"));
	json_decref(m);
}

static void test_garbage_still_makes_a_message(void **state)
{
	(void)state;
	static const char junk[] = "\xff\xfe\x00garbage\r\n\r\n\x80\x81 body";
	email_parse_opts o = {.now_ms = NOW_MS};
	json_t *m = NULL;
	assert_int_equal(email_parse(junk, sizeof(junk) - 1, &o, &m), CT_OK);
	assert_non_null(m);
	assert_non_null(str(m, "external_id", NULL));
	assert_non_null(str(m, "text", NULL));
	json_decref(m);
}

static void test_text_helpers(void **state)
{
	(void)state;
	assert_int_equal(email_subject_token("Re: Stromausfall [#123]"), 123);
	assert_int_equal(email_subject_token("Re: [#] [#x] [#77]"), 77);
	assert_int_equal(email_subject_token("nothing"), 0);
	char id[EMAIL_ID_SIZE];
	email_normalise_id(" <abc@x> ", id);
	assert_string_equal(id, "abc@x");
	char longer[400];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	email_normalise_id(longer, id);
	assert_int_equal(strncmp(id, "sha256:", 7), 0);
	static const char html[] = "a &lt;b&gt; &#0; &bogus; <a href=\"x\">x</a>";
	char *t = email_html_to_text(html, strlen(html));
	assert_string_equal(t, "a <b> \xef\xbf\xbd &bogus; x");
	free(t);
	int folded = 1;
	t = email_fold_quotes("> all quoted\n> nothing else\n", &folded);
	assert_string_equal(t, "> all quoted\n> nothing else");
	assert_int_equal(folded, 0);
	free(t);
}

static void test_reply_headers(void **state)
{
	(void)state;
	const char *refs[] = {"root-1@example.de", "in-1@example.de", NULL};
	mail_settings s = {.url = "smtp://127.0.0.1:1", .from = "service@stadtwerke.example"};
	mail_message m = {.to = "max@example.de", .subject = "Re: Störung [#5]", .text = "Grüße"};
	mail_thread t = {.message_id = "ct.5.abc@stadtwerke.example",
			 .in_reply_to = "in-1@example.de",
			 .references = refs};
	buf out;
	buf_init(&out, 0);
	assert_int_equal(mail_compose_thread(&s, &m, &t, &out), CT_OK);
	const char *text = buf_cstr(&out);
	assert_non_null(strstr(text, "Message-Id: <ct.5.abc@stadtwerke.example>\r\n"));
	assert_non_null(strstr(text, "In-Reply-To: <in-1@example.de>\r\n"));
	assert_non_null(strstr(text, "References: <root-1@example.de> <in-1@example.de>\r\n"));
	assert_non_null(strcasestr(text, "Subject: Re: =?UTF-8?"));
	assert_non_null(strstr(text, "Date: "));
	/* GMime picks the smallest charset that holds the text */
	assert_true(strstr(text, "charset=iso-8859-1") ? strstr(text, "\r\n\r\nGr=FC=DFe") != NULL
						       : strstr(text, "Gr=C3=BC=C3=9Fe") != NULL);
	buf_free(&out);
	/* a plain mail has none of a reply's headers and a fresh Message-ID */
	buf_init(&out, 0);
	assert_int_equal(mail_compose(&s, &m, &out), CT_OK);
	assert_null(strstr(buf_cstr(&out), "In-Reply-To"));
	assert_null(strstr(buf_cstr(&out), "ct.5.abc"));
	buf_free(&out);
}

int main(void)
{
	if (!mkdtemp(files_dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_nested_multipart),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_windows_1252),
		cmocka_unit_test(test_quotes_and_signature_folded),
		cmocka_unit_test(test_missing_ids_and_date),
		cmocka_unit_test(test_own_mail_skipped),
		cmocka_unit_test(test_large_attachment_refused),
		cmocka_unit_test(test_garbage_still_makes_a_message),
		cmocka_unit_test(test_text_helpers),
		cmocka_unit_test(test_reply_headers),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", files_dir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}

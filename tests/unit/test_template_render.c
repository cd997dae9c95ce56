/*
 * test_template_render.c: unit tests for the text side of approved wording
 * (src/templates/render.c): known variables, the syntax check (unknown
 * variables named in the message, "{{" without "}}", empty, invalid UTF-8,
 * too long, blanks inside the braces), rendering in one pass (values copied
 * verbatim, never expanded again or escaped; missing values left as
 * placeholders and listed once), matching a reply against its template
 * (other values, white space and CR LF at the ends, changed literals,
 * words added or deleted, prefix and suffix overlapping), finding unfilled
 * placeholders, lengths in code points after NFC (umlauts, combining
 * marks, emoji, flags, RTL, invalid bytes) and channel limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "templates/templates.h"

/* The message of a refused text; fails when the text is accepted. */
static void assert_refused(const char *text, const char *want_part)
{
	buf msg;
	buf_init(&msg, 0);
	ct_err err = template_check_text(text, &msg);
	if (err != CT_ERR_INVALID)
		fail_msg("'%s' accepted (%d), want refusal naming '%s'", text, err, want_part);
	if (!strstr(buf_cstr(&msg), want_part))
		fail_msg("'%s': message '%s' does not name '%s'", text, buf_cstr(&msg), want_part);
	buf_free(&msg);
}

static void assert_accepted(const char *text)
{
	buf msg;
	buf_init(&msg, 0);
	ct_err err = template_check_text(text, &msg);
	if (err != CT_OK)
		fail_msg("'%s' refused: %s", text, buf_cstr(&msg));
	assert_int_equal(msg.len, 0);
	buf_free(&msg);
}

/* text rendered with values (a JSON text), compared to want; the missing
 * names as a compact JSON array compared to want_missing. */
static void assert_render(const char *text, const char *values_json, const char *want,
			  const char *want_missing)
{
	json_error_t jerr;
	json_t *values = json_loads(values_json, 0, &jerr);
	assert_non_null(values);
	json_t *missing = json_array();
	buf out;
	buf_init(&out, 0);
	template_render(text, values, &out, missing);
	if (strcmp(buf_cstr(&out), want) != 0)
		fail_msg("'%s' rendered '%s', want '%s'", text, buf_cstr(&out), want);
	char *m = json_dumps(missing, JSON_COMPACT);
	if (strcmp(m, want_missing) != 0)
		fail_msg("'%s': missing %s, want %s", text, m, want_missing);
	free(m);
	buf_free(&out);
	json_decref(missing);
	json_decref(values);
}

static void test_variables(void **state)
{
	(void)state;
	size_t n = 0;
	while (template_variables[n])
		n++;
	assert_int_equal(n, 12);
	assert_true(template_variable_known("contact.first_name"));
	assert_true(template_variable_known("date.today"));
	assert_true(template_variable_known("office_hours.next_open"));
	assert_false(template_variable_known("contact.vorname"));
	assert_false(template_variable_known(" contact.name"));
	assert_false(template_variable_known("contact"));
	assert_false(template_variable_known("Contact.Name"));
	assert_false(template_variable_known(""));
	assert_false(template_variable_known(NULL));
}

static void test_check_valid(void **state)
{
	(void)state;
	assert_accepted("Hallo {{contact.first_name}}, danke für Ihre Nachricht.");
	assert_accepted("Hallo {{ contact.first_name }}!");
	assert_accepted("{{\tagent.name\t}}");
	assert_accepted("{{agent.name}}{{date.today}}");
	assert_accepted("no variables at all");
	assert_accepted("a single { brace and }} closing braces are text");
	assert_accepted("emoji 👍 and שלום");
}

static void test_check_refused(void **state)
{
	(void)state;
	assert_refused("Hallo {{contact.vorname}}", "unknown variable {{contact.vorname}}");
	assert_refused("Hallo {{ contact.vorname }}", "unknown variable {{contact.vorname}}");
	assert_refused("{{agent.name}} and {{unknown}}", "{{unknown}}");
	assert_refused("Hallo {{contact.name", "\"{{\" without \"}}\"");
	assert_refused("Hallo {{", "without");
	assert_refused("{{contact.name}} then {{", "without");
	assert_refused("{{}}", "invalid variable {{}}");
	assert_refused("{{ }}", "invalid variable");
	assert_refused("{{contact name}}", "invalid variable {{contact name}}");
	assert_refused("{{{contact.name}}}", "invalid variable");
	assert_refused("{{contact.name}", "without");
	assert_refused("", "empty");
	assert_refused(NULL, "empty");
	assert_refused("bad \xff byte", "UTF-8");
	assert_refused("cut \xc3", "UTF-8");
	assert_refused("overlong \xc0\xaf", "UTF-8");
	assert_refused("surrogate \xed\xa0\x80", "UTF-8");
	/* a long bad placeholder is quoted only in part */
	buf msg;
	buf_init(&msg, 0);
	assert_int_equal(template_check_text("{{ aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
					     "bbbbbbbbbb }}",
					     &msg),
			 CT_ERR_INVALID);
	assert_true(msg.len < 80);
	buf_free(&msg);
}

static void test_check_size(void **state)
{
	(void)state;
	char *text = malloc(TEMPLATE_TEXT_MAX + 2);
	memset(text, 'a', TEMPLATE_TEXT_MAX);
	text[TEMPLATE_TEXT_MAX] = '\0';
	assert_accepted(text);
	text[TEMPLATE_TEXT_MAX] = 'a';
	text[TEMPLATE_TEXT_MAX + 1] = '\0';
	assert_refused(text, "longer");
	free(text);
}

static void test_render(void **state)
{
	(void)state;
	assert_render("Hallo {{contact.first_name}}, hier ist {{ agent.name }}.",
		      "{\"contact.first_name\": \"Jürgen\", \"agent.name\": \"Eva\"}",
		      "Hallo Jürgen, hier ist Eva.", "[]");
	assert_render("plain", "{}", "plain", "[]");
	assert_render("{{agent.name}}{{agent.name}}", "{\"agent.name\": \"X\"}", "XX", "[]");
	/* values are copied verbatim: never expanded again, never escaped */
	assert_render("Hi {{contact.name}}!",
		      "{\"contact.name\": \"{{agent.name}}\", \"agent.name\": \"Eva\"}",
		      "Hi {{agent.name}}!", "[]");
	assert_render("Hi {{contact.name}}", "{\"contact.name\": \"<script>alert(1)</script>\"}",
		      "Hi <script>alert(1)</script>", "[]");
	assert_render("{{incident.title}}", "{\"incident.title\": \"Strom &amp; Gas\"}",
		      "Strom &amp; Gas", "[]");
	assert_render("{{incident.title}} {{date.today}}",
		      "{\"incident.title\": \"{{date.today}}\", \"date.today\": \"heute\"}",
		      "{{date.today}} heute", "[]");
	/* missing values: absent, null, empty; kept as placeholders, listed once */
	assert_render("Hallo {{ contact.first_name }}, {{agent.name}} {{date.today}} "
		      "{{contact.first_name}}",
		      "{\"agent.name\": null, \"date.today\": \"\"}",
		      "Hallo {{contact.first_name}}, {{agent.name}} {{date.today}} "
		      "{{contact.first_name}}",
		      "[\"contact.first_name\",\"agent.name\",\"date.today\"]");
	/* integers are written out; other types count as missing */
	assert_render("#{{conversation.id}} {{channel.name}}",
		      "{\"conversation.id\": 42, \"channel.name\": true}", "#42 {{channel.name}}",
		      "[\"channel.name\"]");
	/* text that is no variable of ours stays as it is */
	assert_render("{{ {{agent.name}} }} {{other}}",
		      "{\"agent.name\": \"Eva\", \"other\": \"x\"}", "{{ Eva }} {{other}}", "[]");
	/* multi-byte text around values */
	assert_render("Grüße, {{agent.first_name}} 👋", "{\"agent.first_name\": \"Zoë\"}",
		      "Grüße, Zoë 👋", "[]");

	/* missing may be NULL; values may be NULL */
	buf out;
	buf_init(&out, 0);
	template_render("a {{agent.name}} b", NULL, &out, NULL);
	assert_string_equal(buf_cstr(&out), "a {{agent.name}} b");
	/* output is appended */
	json_t *v = json_pack("{s:s}", "agent.name", "Eva");
	template_render(" {{agent.name}}", v, &out, NULL);
	assert_string_equal(buf_cstr(&out), "a {{agent.name}} b Eva");
	json_decref(v);
	buf_free(&out);
}

/* The template rendered with values, then matched against itself. */
static int render_matches(const char *text, const char *values_json)
{
	json_t *values = json_loads(values_json, 0, NULL);
	assert_non_null(values);
	buf out;
	buf_init(&out, 0);
	template_render(text, values, &out, NULL);
	int m = template_matches(text, buf_cstr(&out));
	buf_free(&out);
	json_decref(values);
	return m;
}

static void test_matches(void **state)
{
	(void)state;
	const char *t =
		"Hallo {{contact.first_name}},\n\nwir kümmern uns um {{incident.title}}.\n\n"
		"Viele Grüße\n{{agent.name}}";
	assert_true(render_matches(t, "{\"contact.first_name\": \"Anna\", \"incident.title\": "
				      "\"die Störung\", \"agent.name\": \"Eva\"}"));
	/* other values than the ones first inserted, including empty ones */
	assert_true(template_matches(t, "Hallo Bernd,\n\nwir kümmern uns um den Ausfall in "
					"Nord.\n\nViele Grüße\nTom Müller"));
	assert_true(template_matches(t, "Hallo ,\n\nwir kümmern uns um .\n\nViele Grüße\n"));
	/* a value that holds the following literal: still a match */
	assert_true(template_matches(t, "Hallo A,\n\nwir, B,\n\nwir kümmern uns um X.\n\nViele "
					"Grüße\nViele Grüße\nEva"));
	/* placeholders left unfilled match too */
	assert_true(template_matches(t, "Hallo {{contact.first_name}},\n\nwir kümmern uns um "
					"{{incident.title}}.\n\nViele Grüße\n{{agent.name}}"));
	/* white space at the ends and CR LF */
	assert_true(template_matches(t, "  Hallo Anna,\r\n\r\nwir kümmern uns um X.\r\n\r\nViele "
					"Grüße\r\nEva\r\n\r\n"));
	assert_true(template_matches("Danke!\r\n", "\n\tDanke!  "));
	assert_true(template_matches("{{agent.name}}", "anything at all"));
	assert_true(template_matches("{{agent.name}}", ""));
	assert_true(template_matches("{{contact.first_name}}, hallo", " \r\n Anna, hallo \r\n"));
	assert_true(template_matches("Gruß {{agent.name}}", "Gruß Eva\r\n\t"));
	assert_true(template_matches("Gruß\n{{agent.name}}", "Gruß\n"));
	assert_true(template_matches("a{{agent.name}}{{date.today}}b", "ab"));

	/* any changed literal character */
	assert_false(
		template_matches(t, "Hallo Anna;\n\nwir kümmern uns um X.\n\nViele Grüße\nEva"));
	assert_false(
		template_matches(t, "hallo Anna,\n\nwir kümmern uns um X.\n\nViele Grüße\nEva"));
	assert_false(
		template_matches(t, "Hallo Anna,\n\nwir kummern uns um X.\n\nViele Grüße\nEva"));
	assert_false(
		template_matches(t, "Hallo Anna,\n\nwir kümmern uns um X!\n\nViele Grüße\nEva"));
	assert_false(
		template_matches(t, "Hallo Anna,\n\nwir kümmern uns um X.\n\nViele Grüsse\nEva"));
	/* a word deleted or added */
	assert_false(template_matches(t, "Hallo Anna,\n\nwir kümmern um X.\n\nViele Grüße\nEva"));
	assert_false(template_matches(t, "Hallo Anna,\n\nwir kümmern uns um X.\n\nGrüße\nEva"));
	assert_false(template_matches(t, "Hallo Anna,\n\nwir kümmern uns sofort um X.\n\nViele "
					 "Grüße\nEva"));
	assert_false(template_matches(t, "Liebe Hallo Anna,\n\nwir kümmern uns um X.\n\nViele "
					 "Grüße\nEva"));
	/* inner white space and line breaks count */
	assert_false(template_matches(t, "Hallo Anna,\nwir kümmern uns um X.\n\nViele Grüße\nEva"));
	assert_false(template_matches("Danke!", "Danke !"));
	assert_false(template_matches("Danke!", "Danke"));
	assert_false(template_matches("Danke!", ""));
	/* prefix and suffix that overlap */
	assert_false(template_matches("abc{{agent.name}}cde", "abcde"));
	assert_true(template_matches("abc{{agent.name}}cde", "abccde"));
	assert_false(template_matches("Hallo {{agent.name}} Hallo", "Hallo"));
	assert_false(template_matches("ab{{agent.name}}xy{{date.today}}yz", "abxyz"));
	assert_true(template_matches("ab{{agent.name}}xy{{date.today}}yz", "abxyyz"));
	/* a middle literal missing or out of order */
	assert_false(template_matches("a{{agent.name}}b{{date.today}}c{{agent.name}}d", "acbd"));
	assert_true(template_matches("a{{agent.name}}b{{date.today}}c{{agent.name}}d", "a1b2c3d"));
	/* a "{{" that is no variable is literal text */
	assert_true(template_matches("x {{other}} y", "x {{other}} y"));
	assert_false(template_matches("x {{other}} y", "x z y"));
	assert_false(template_matches(NULL, "x"));
	assert_false(template_matches("x", NULL));
}

/* Each single literal byte of a rendered text replaced or deleted makes it
 * no match; the values are digits, which the template's literals lack.
 * (Deleting the CR of a CR LF is no change.) */
static void test_matches_every_byte(void **state)
{
	(void)state;
	const char *t = "Guten Tag {{contact.name}},\r\nIhr Anliegen ({{incident.title}}) ist "
			"erledigt.\r\n\r\nGrüße, {{agent.name}} — {{organisation.name}} 👋";
	json_t *values = json_pack("{s:s, s:s, s:s, s:s}", "contact.name", "1", "incident.title",
				   "22", "agent.name", "333", "organisation.name", "4444");
	buf out;
	buf_init(&out, 0);
	template_render(t, values, &out, NULL);
	const char *r = buf_cstr(&out);
	size_t n = out.len;
	assert_true(template_matches(t, r));
	char *copy = malloc(n + 1);
	size_t checked = 0;
	for (size_t i = 0; i < n; i++) {
		if ((r[i] >= '0' && r[i] <= '9') || r[i] == '\r') /* a value; CR LF is LF */
			continue;
		memcpy(copy, r, n + 1);
		copy[i] = '#';
		if (template_matches(t, copy))
			fail_msg("byte %zu replaced still matches: %s", i, copy);
		memcpy(copy, r, i);
		memcpy(copy + i, r + i + 1, n - i);
		if (template_matches(t, copy))
			fail_msg("byte %zu deleted still matches: %s", i, copy);
		checked++;
	}
	assert_true(checked > 60);
	free(copy);
	buf_free(&out);
	json_decref(values);
}

static void test_find_placeholder(void **state)
{
	(void)state;
	buf name;
	buf_init(&name, 0);
	assert_true(template_find_placeholder("Status: {{incident.status}}.", &name));
	assert_string_equal(buf_cstr(&name), "incident.status");
	buf_reset(&name);
	assert_true(template_find_placeholder("{{unknown}} then {{ incident.status }}", &name));
	assert_string_equal(buf_cstr(&name), "incident.status");
	buf_reset(&name);
	assert_false(template_find_placeholder("Hi {{unknown}}", &name));
	assert_false(template_find_placeholder("Hi {{", &name));
	assert_false(template_find_placeholder("{{}} }} {", &name));
	assert_false(template_find_placeholder("incident.status", &name));
	assert_false(template_find_placeholder("", &name));
	assert_false(template_find_placeholder(NULL, &name));
	assert_int_equal(name.len, 0);
	buf_free(&name);
}

static void test_length(void **state)
{
	(void)state;
	assert_int_equal(template_text_length(""), 0);
	assert_int_equal(template_text_length(NULL), 0);
	assert_int_equal(template_text_length("abc"), 3);
	assert_int_equal(template_text_length("Grüße"), 5);
	assert_int_equal(template_text_length("ÄÖÜäöüß"), 7);
	assert_int_equal(template_text_length("e\xcc\x81"), 1);     /* e + U+0301 -> é */
	assert_int_equal(template_text_length("Cafe\xcc\x81!"), 5); /* Café! */
	assert_int_equal(template_text_length("👍"), 1);
	assert_int_equal(template_text_length("👍🏽"), 2); /* with a skin tone modifier */
	assert_int_equal(template_text_length("🇩🇪"), 2);       /* a flag: two regional indicators */
	assert_int_equal(template_text_length("שלום"), 4);
	assert_int_equal(template_text_length("مرحبا"), 5);
	assert_int_equal(template_text_length("a\nb"), 3);
	/* invalid bytes count one each */
	assert_int_equal(template_text_length("\xff\xfe"), 2);
	assert_int_equal(template_text_length("a\xffü"), 3);
	assert_int_equal(template_text_length("e\xcc\x81\xff"
					      "e\xcc\x81"),
			 3);
	assert_int_equal(template_text_length("\xc3"), 1);
}

static void test_channels(void **state)
{
	(void)state;
	assert_int_equal(template_channel_limit("x"), 280);
	assert_int_equal(template_channel_limit("sms"), 160);
	assert_int_equal(template_channel_limit("mastodon"), 500);
	assert_int_equal(template_channel_limit("instagram"), 1000);
	assert_int_equal(template_channel_limit("telegram"), 4096);
	assert_int_equal(template_channel_limit("whatsapp"), 4096);
	assert_int_equal(template_channel_limit("facebook"), 8000);
	assert_int_equal(template_channel_limit("email"), 0);
	assert_int_equal(template_channel_limit("api"), 0);
	assert_int_equal(template_channel_limit("web"), 0);
	assert_int_equal(template_channel_limit("any"), 0);
	assert_int_equal(template_channel_limit("fax"), 0);
	assert_int_equal(template_channel_limit(NULL), 0);
	const char *known[] = {"any",      "x",        "sms",   "mastodon", "instagram", "telegram",
			       "whatsapp", "facebook", "email", "api",      "web",       NULL};
	for (size_t i = 0; known[i]; i++)
		if (!template_channel_known(known[i]))
			fail_msg("%s not known", known[i]);
	assert_false(template_channel_known("fax"));
	assert_false(template_channel_known("mail")); /* the kind is called "email" */
	assert_false(template_channel_known("X"));
	assert_false(template_channel_known(""));
	assert_false(template_channel_known(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_check_valid),
		cmocka_unit_test(test_check_refused),
		cmocka_unit_test(test_check_size),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_matches_every_byte),
		cmocka_unit_test(test_find_placeholder),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_channels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

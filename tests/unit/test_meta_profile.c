/*
 * test_meta_profile.c: unit tests for meta_parse_profile
 * (src/channels/meta_parse.c), the answers of Messenger's and Instagram's
 * user profile APIs turned into a name and a handle: the documented
 * answers, missing parts, control characters, names too long for the
 * fields, and answers without a name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "channels/meta.h"

/* meta_parse_profile of object o for the JSON text answer. */
static ct_err parse(meta_object o, const char *answer, channel_profile *who)
{
	json_t *v = json_loads(answer, 0, NULL);
	assert_non_null(v);
	memset(who, 'x', sizeof(*who)); /* what was there before is not kept */
	ct_err err = meta_parse_profile(o, v, who);
	json_decref(v);
	return err;
}

static void test_messenger_first_and_last_name(void **state)
{
	(void)state;
	channel_profile who;
	assert_int_equal(parse(META_PAGE,
			       "{\"first_name\":\"Peter\",\"last_name\":\"Chang\","
			       "\"id\":\"1254459154682919\"}",
			       &who),
			 CT_OK);
	assert_string_equal(who.name, "Peter Chang");
	assert_string_equal(who.handle, "");
}

static void test_messenger_one_part_or_none(void **state)
{
	(void)state;
	channel_profile who;
	assert_int_equal(parse(META_PAGE, "{\"first_name\":\"Erika\",\"id\":\"1\"}", &who), CT_OK);
	assert_string_equal(who.name, "Erika");
	assert_string_equal(who.handle, "");
	assert_int_equal(parse(META_PAGE, "{\"first_name\":\"\",\"last_name\":\"Muster\"}", &who),
			 CT_OK);
	assert_string_equal(who.name, "Muster");
	/* Meta answers an empty object when the profile may not be read. */
	assert_int_equal(parse(META_PAGE, "{}", &who), CT_ERR_NOT_FOUND);
	assert_string_equal(who.name, "");
	assert_int_equal(parse(META_PAGE, "{\"first_name\":\" \",\"id\":\"1\"}", &who),
			 CT_ERR_NOT_FOUND);
	/* Instagram's fields mean nothing on a Page's answer. */
	assert_int_equal(parse(META_PAGE, "{\"name\":\"Kim\",\"username\":\"kim\"}", &who),
			 CT_ERR_NOT_FOUND);
	assert_int_equal(parse(META_WHATSAPP, "{\"first_name\":\"Kim\"}", &who), CT_ERR_NOT_FOUND);
}

static void test_instagram_name_and_username(void **state)
{
	(void)state;
	channel_profile who;
	assert_int_equal(parse(META_INSTAGRAM,
			       "{\"name\":\"Kim Schulz\",\"username\":\"kim.schulz\","
			       "\"id\":\"17841400000000001\"}",
			       &who),
			 CT_OK);
	assert_string_equal(who.name, "Kim Schulz");
	assert_string_equal(who.handle, "kim.schulz");
	/* "can be null if name not set": the username names the contact. */
	assert_int_equal(parse(META_INSTAGRAM, "{\"name\":null,\"username\":\"kim.s\"}", &who),
			 CT_OK);
	assert_string_equal(who.name, "kim.s");
	assert_string_equal(who.handle, "kim.s");
	assert_int_equal(parse(META_INSTAGRAM, "{\"name\":\"Kim\"}", &who), CT_OK);
	assert_string_equal(who.handle, "");
	assert_int_equal(parse(META_INSTAGRAM, "{\"id\":\"1\",\"username\":7}", &who),
			 CT_ERR_NOT_FOUND);
	assert_string_equal(who.handle, "");
}

static void test_control_characters_and_spaces(void **state)
{
	(void)state;
	channel_profile who;
	assert_int_equal(
		parse(META_PAGE,
		      "{\"first_name\":\"  Eri\\nka\\u0007\",\"last_name\":\"M\\tu\\u007f \"}",
		      &who),
		CT_OK);
	assert_string_equal(who.name, "Eri ka  M u");
}

static void test_long_names_are_cut_on_a_character(void **state)
{
	(void)state;
	channel_profile who;
	char answer[1024] = "{\"name\":\"";
	size_t n = strlen(answer);
	for (int i = 0; i < 100; i++) { /* 200 bytes of "ü" */
		answer[n++] = '\xc3';
		answer[n++] = '\xbc';
	}
	memcpy(answer + n, "\"}", 3);
	assert_int_equal(parse(META_INSTAGRAM, answer, &who), CT_OK);
	size_t len = strlen(who.name);
	assert_true(len < sizeof(who.name));
	assert_true(len >= sizeof(who.name) - 3);
	assert_int_equal(len % 2, 0); /* whole characters only */
	for (size_t i = 0; i < len; i += 2)
		assert_memory_equal(who.name + i, "\xc3\xbc", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messenger_first_and_last_name),
		cmocka_unit_test(test_messenger_one_part_or_none),
		cmocka_unit_test(test_instagram_name_and_username),
		cmocka_unit_test(test_control_characters_and_spaces),
		cmocka_unit_test(test_long_names_are_cut_on_a_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

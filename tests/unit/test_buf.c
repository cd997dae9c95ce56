/*
 * test_buf.c: unit tests for the capped growable string (src/core/buf.c):
 * the cap holds for every kind of append and leaves the contents untouched,
 * printf output grows the buffer correctly, and detach/reset/free hand over
 * or keep memory as documented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"

static void test_empty(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	assert_int_equal(b.len, 0);
	assert_true(b.max == BUF_DEFAULT_MAX);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_append(&b, "", 0), CT_OK);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_append_and_puts(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "Hallo"), CT_OK);
	assert_int_equal(buf_append(&b, ", Welt!xyz", 7), CT_OK);
	assert_string_equal(buf_cstr(&b), "Hallo, Welt!");
	assert_int_equal(b.len, 12);
	/* binary data with NUL bytes keeps its length */
	assert_int_equal(buf_append(&b, "a\0b", 3), CT_OK);
	assert_int_equal(b.len, 15);
	assert_memory_equal(b.data + 12, "a\0b", 3);
	assert_int_equal(b.data[15], '\0');
	buf_free(&b);
}

static void test_cap_enforced(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "0123456789"), CT_OK); /* exactly the cap */
	assert_int_equal(b.len, 10);
	assert_int_equal(buf_append(&b, "x", 1), CT_ERR_TOO_LARGE);
	assert_int_equal(buf_puts(&b, "x"), CT_ERR_TOO_LARGE);
	assert_int_equal(buf_printf(&b, "%d", 1), CT_ERR_TOO_LARGE);
	/* a refused append leaves the contents as they were */
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_cstr(&b), "0123456789");
	/* an empty append still fits */
	assert_int_equal(buf_append(&b, "", 0), CT_OK);
	assert_int_equal(buf_printf(&b, "%s", ""), CT_OK);
	buf_free(&b);

	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "abc"), CT_OK);
	assert_int_equal(buf_puts(&b, "12345678"), CT_ERR_TOO_LARGE); /* 3 + 8 > 10 */
	assert_string_equal(buf_cstr(&b), "abc");
	assert_int_equal(buf_printf(&b, "%s-%s", "1234", "5678"), CT_ERR_TOO_LARGE);
	assert_string_equal(buf_cstr(&b), "abc");
	assert_int_equal(b.len, 3);
	assert_int_equal(buf_printf(&b, "%07d", 42), CT_OK); /* 3 + 7 = 10 */
	assert_string_equal(buf_cstr(&b), "abc0000042");
	buf_free(&b);
}

static void test_cap_no_wraparound(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 64);
	assert_int_equal(buf_puts(&b, "abc"), CT_OK);
	/* a length near SIZE_MAX must be refused, not wrap around to a small size */
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), CT_ERR_TOO_LARGE);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 2), CT_ERR_TOO_LARGE);
	assert_string_equal(buf_cstr(&b), "abc");
	buf_free(&b);
}

static void test_printf_growth(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	/* many small appends across several reallocations */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%04d,", i), CT_OK);
	assert_int_equal(b.len, 5000);
	assert_true(b.cap > b.len);
	assert_memory_equal(b.data, "0000,0001,", 10);
	assert_memory_equal(b.data + 4995, "0999,", 5);
	assert_int_equal(strlen(buf_cstr(&b)), 5000);
	buf_free(&b);

	/* one printf far larger than the initial allocation */
	char *big = malloc(100001);
	assert_non_null(big);
	memset(big, 'z', 100000);
	big[100000] = '\0';
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "<"), CT_OK);
	assert_int_equal(buf_printf(&b, "%s>%d", big, -7), CT_OK);
	assert_int_equal(b.len, 1 + 100000 + 3);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[100000], 'z');
	assert_string_equal(b.data + 100001, ">-7");
	free(big);
	buf_free(&b);
}

static void test_reset_keeps_memory(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "some text that needs memory"), CT_OK);
	size_t cap = b.cap;
	char *data = b.data;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_true(b.cap == cap);
	assert_ptr_equal(b.data, data);
	assert_int_equal(buf_puts(&b, "again"), CT_OK);
	assert_string_equal(buf_cstr(&b), "again");
	buf_free(&b);
	buf_reset(&b); /* on a freed buf: harmless */
	assert_string_equal(buf_cstr(&b), "");
}

static void test_detach(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 50);
	assert_int_equal(buf_printf(&b, "id=%d", 42), CT_OK);
	size_t len = 0;
	char *p = buf_detach(&b, &len);
	assert_string_equal(p, "id=42");
	assert_int_equal(len, 5);
	/* the buf is empty, keeps its cap, and is reusable */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_true(b.max == 50);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "next"), CT_OK);
	assert_string_equal(buf_cstr(&b), "next");
	assert_string_equal(p, "id=42"); /* the detached string is independent */
	free(p);
	buf_free(&b);

	/* detaching an empty buf gives an owned "" */
	buf_init(&b, 0);
	p = buf_detach(&b, NULL);
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);
}

static void test_free_and_reuse(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), CT_OK);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_puts(&b, "abcdefgh"), CT_OK); /* the cap still applies */
	assert_int_equal(buf_puts(&b, "i"), CT_ERR_TOO_LARGE);
	buf_free(&b);
	buf_free(&b); /* twice: harmless */
}

static void test_xstr(void **state)
{
	(void)state;
	char *p = xstrndup("abcdef", 3);
	assert_string_equal(p, "abc");
	free(p);
	p = xstrdup("");
	assert_string_equal(p, "");
	free(p);
	int *z = xcalloc(16, sizeof(int));
	for (int i = 0; i < 16; i++)
		assert_int_equal(z[i], 0);
	free(z);
	p = xmalloc(0); /* a zero-size request still returns usable memory */
	assert_non_null(p);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),         cmocka_unit_test(test_append_and_puts),
		cmocka_unit_test(test_cap_enforced),  cmocka_unit_test(test_cap_no_wraparound),
		cmocka_unit_test(test_printf_growth), cmocka_unit_test(test_reset_keeps_memory),
		cmocka_unit_test(test_detach),        cmocka_unit_test(test_free_and_reuse),
		cmocka_unit_test(test_xstr),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}

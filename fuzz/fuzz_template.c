/*
 * fuzz_template.c: libFuzzer driver for the text side of approved wording
 * (src/templates/render.c).
 *
 * The input up to its first NUL byte is a template text, the rest (if any)
 * a reply. Beyond the sanitizers, it checks render.c's promises: the check
 * answers CT_OK with no message or CT_ERR_INVALID with one; a text rendered
 * with any values (empty ones, values that look like variables or HTML)
 * always matches its template; each missing name is a known variable,
 * listed once; a placeholder found is a known variable; a length is never
 * more code points than the text could hold. Matching the text against the
 * arbitrary reply must merely not crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "templates/templates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The check's answer is consistent with its message. */
static void check_text(const char *text)
{
	buf msg;
	buf_init(&msg, 0);
	ct_err err = template_check_text(text, &msg);
	if ((err == CT_OK && msg.len) || (err == CT_ERR_INVALID && !msg.len) ||
	    (err != CT_OK && err != CT_ERR_INVALID))
		abort();
	buf_free(&msg);
}

/* text rendered with values matches text; missing names are known, once. */
static void render_and_match(const char *text, json_t *values)
{
	json_t *missing = json_array();
	buf out;
	buf_init(&out, 0);
	template_render(text, values, &out, missing);
	if (!template_matches(text, buf_cstr(&out)))
		abort();
	size_t i, j;
	json_t *a, *b;
	json_array_foreach(missing, i, a)
	{
		if (!template_variable_known(json_string_value(a)))
			abort();
		json_array_foreach(missing, j, b) if (j > i && json_equal(a, b)) abort();
	}
	buf_free(&out);
	json_decref(missing);
}

/* Values for every variable from one of three sets; set 0 leaves all out. */
static json_t *values_set(int set)
{
	static const char *const samples[][3] = {
		{"Eva", "{{agent.name}}", "<script>alert(1)</script>"},
		{"Zoë Müller", "&amp;", "👋 שלום"},
	};
	json_t *v = json_object();
	for (size_t i = 0; set > 0 && template_variables[i]; i++)
		json_object_set_new(v, template_variables[i], json_string(samples[set - 1][i % 3]));
	if (set == 2) /* one empty and one null value: both count as missing */
		json_object_set_new(v, "agent.name", json_string(""));
	if (set == 2)
		json_object_set_new(v, "date.today", json_null());
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	const char *text = copy;
	size_t text_len = strlen(text);
	const char *reply = text_len < size ? copy + text_len + 1 : text;

	check_text(text);
	for (int set = 0; set < 3; set++) {
		json_t *values = values_set(set);
		render_and_match(text, values);
		json_decref(values);
	}
	(void)template_matches(text, reply);
	(void)template_matches(reply, text);

	buf name;
	buf_init(&name, 0);
	if (template_find_placeholder(text, &name) && !template_variable_known(buf_cstr(&name)))
		abort();
	buf_free(&name);

	if (template_text_length(text) > 3 * text_len || template_text_length(reply) > 3 * size)
		abort();
	(void)template_channel_limit(reply);
	(void)template_channel_known(reply);
	free(copy);
	return 0;
}

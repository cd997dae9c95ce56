/*
 * body.c: the check of a template body (templates_internal.h), shared by
 * create, update and import: every field is checked before anything is
 * written, and the first problem is reported with the field's path
 * ("variants[1].text") and a message for people. A variant for a channel
 * with a length limit must fit that limit with sample values filled in, so
 * a template that is approved can be sent there as it is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "templates/templates_internal.h"

/* Sample values for the length check: long-ish but realistic. */
static const char *const samples[][2] = {
	{"contact.name", "Alexandra Musterfrau-Schmidt"},
	{"contact.first_name", "Alexandra"},
	{"contact.last_name", "Musterfrau-Schmidt"},
	{"agent.name", "Maximilian Mustermann"},
	{"agent.first_name", "Maximilian"},
	{"organisation.name", "Stadtwerke Musterstadt GmbH"},
	{"office_hours.next_open", "24.11.2026, 08:00 Uhr"},
	{"conversation.id", "1234567"},
	{"channel.name", "Kundenservice Facebook"},
	{"incident.status", "in Bearbeitung"},
	{"incident.title", "Stromausfall in der Innenstadt"},
	{"date.today", "24.11.2026"},
};

/* See templates_internal.h. */
ct_err tpl_fail(err_detail *d, ct_err code, const char *prefix, const char *field, const char *fmt,
		...)
{
	char path[128];
	snprintf(path, sizeof(path), "%s%s", prefix, field);
	size_t n = strlen(path);
	if (n && path[n - 1] == '.') /* the whole object at prefix */
		path[n - 1] = '\0';
	path[sizeof(d->field) - 1] = '\0'; /* the field holds at most this much */
	memcpy(d->field, path, sizeof(d->field));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	d->index = -1;
	return code;
}

/* See templates_internal.h: every variable gets a value, known ones a
 * realistic one. */
json_t *tpl_sample_values(void)
{
	json_t *v = json_object();
	for (size_t i = 0; template_variables[i]; i++)
		json_object_set_new(v, template_variables[i], json_string("Beispielwert"));
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		json_object_set_new(v, samples[i][0], json_string(samples[i][1]));
	return v;
}

/* 1 when s has a control character (below 0x20 or DEL). */
static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* 1 for ASCII white space. */
static int is_blank_byte(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The name: a string of 1..TEMPLATE_NAME_MAX bytes, no control
 * characters, no white space at either end. */
static ct_err check_name(json_t *v, const char *prefix, err_detail *d)
{
	if (!json_is_string(v))
		return tpl_fail(d, CT_ERR_INVALID, prefix, "name", "name must be a string");
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0 || n > TEMPLATE_NAME_MAX)
		return tpl_fail(d, CT_ERR_INVALID, prefix, "name",
				"name must be 1 to %d bytes long", TEMPLATE_NAME_MAX);
	if (strlen(s) != n || has_control(s))
		return tpl_fail(d, CT_ERR_INVALID, prefix, "name",
				"name must not hold control characters");
	if (is_blank_byte(s[0]) || is_blank_byte(s[n - 1]))
		return tpl_fail(d, CT_ERR_INVALID, prefix, "name",
				"name must not begin or end with white space");
	return CT_OK;
}

/* 1 for an intent name: [a-z0-9_-], 1 to 64 bytes. */
static int intent_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > TEMPLATE_INTENT_NAME_MAX || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '-'))
			return 0;
	}
	return 1;
}

/* The intents: at most 32 distinct names of [a-z0-9_-]; d->index names
 * the bad one. */
static ct_err check_intents(json_t *v, const char *prefix, err_detail *d)
{
	if (!json_is_array(v) || json_array_size(v) > TEMPLATE_INTENTS_MAX)
		return tpl_fail(d, CT_ERR_INVALID, prefix, "intents",
				"intents must be an array of at most %d names",
				TEMPLATE_INTENTS_MAX);
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *t = json_array_get(v, i);
		ct_err err = CT_OK;
		if (!json_is_string(t) ||
		    !intent_name_ok(json_string_value(t), json_string_length(t)))
			err = tpl_fail(
				d, CT_ERR_INVALID, prefix, "intents",
				"an intent is a name of 1 to 64 characters a-z, 0-9, _ and -");
		for (size_t j = 0; !err && j < i; j++)
			if (json_equal(json_array_get(v, j), t))
				err = tpl_fail(d, CT_ERR_INVALID, prefix, "intents",
					       "intent '%s' is listed twice", json_string_value(t));
		if (err) {
			d->index = (int)i;
			return err;
		}
	}
	return CT_OK;
}

/* The review interval: whole days 1..3650. */
static ct_err check_interval(json_t *v, const char *prefix, err_detail *d)
{
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > TEMPLATE_INTERVAL_MAX)
		return tpl_fail(d, CT_ERR_INVALID, prefix, "review_interval_days",
				"review_interval_days must be a whole number of days from 1 to %d",
				TEMPLATE_INTERVAL_MAX);
	return CT_OK;
}

/* The note: null or a text of at most 2000 bytes. */
static ct_err check_note(json_t *v, const char *prefix, err_detail *d)
{
	if (json_is_null(v))
		return CT_OK;
	if (!json_is_string(v) || json_string_length(v) > TEMPLATE_NOTE_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return tpl_fail(d, CT_ERR_INVALID, prefix, "note",
				"note must be a text of at most %d bytes", TEMPLATE_NOTE_MAX);
	return CT_OK;
}

/* 1 for a language code: two or three lower-case letters. */
static int language_ok(json_t *v)
{
	if (!json_is_string(v))
		return 0;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n < 2 || n > 3)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

/* The text of a variant: syntax, variables, and the channel's limit with
 * sample values filled in. field is "variants[i].text" (without prefix). */
static ct_err check_text(const char *text, const char *channel, const char *prefix,
			 const char *field, err_detail *d)
{
	buf msg;
	buf_init(&msg, 1024);
	ct_err err = template_check_text(text, &msg);
	if (err) {
		tpl_fail(d, CT_ERR_INVALID, prefix, field, "%s",
			 msg.len ? buf_cstr(&msg) : "the text is not valid");
		buf_free(&msg);
		return CT_ERR_INVALID;
	}
	buf_free(&msg);
	size_t limit = template_channel_limit(channel);
	if (!limit)
		return CT_OK;
	json_t *values = tpl_sample_values();
	buf out;
	buf_init(&out, 0);
	template_render(text, values, &out, NULL);
	size_t len = template_text_length(buf_cstr(&out));
	buf_free(&out);
	json_decref(values);
	if (len > limit)
		return tpl_fail(d, CT_ERR_INVALID, prefix, field,
				"the text is %zu characters long with sample values filled in; "
				"%s takes at most %zu",
				len, channel, limit);
	return CT_OK;
}

/* One variant i of the list: checked and normalised into *out. */
static ct_err check_variant(json_t *v, size_t i, const char *prefix, json_t **out, err_detail *d)
{
	static const char *const keys[] = {"language", "channel", "text", NULL};
	char field[64];
	*out = NULL;
	if (!json_is_object(v)) {
		tpl_fail(d, CT_ERR_INVALID, prefix, "variants",
			 "each variant must be an object {language, channel, text}");
		d->index = (int)i;
		return CT_ERR_INVALID;
	}
	const char *key;
	json_t *x;
	json_object_foreach(v, key, x)
	{
		if (!str_in_list(key, keys)) {
			snprintf(field, sizeof(field), "variants[%zu].%.20s", i, key);
			return tpl_fail(d, CT_ERR_INVALID, prefix, field, "unknown field");
		}
	}
	json_t *lang = json_object_get(v, "language");
	json_t *chan = json_object_get(v, "channel");
	json_t *text = json_object_get(v, "text");
	snprintf(field, sizeof(field), "variants[%zu].language", i);
	if (!language_ok(lang))
		return tpl_fail(d, CT_ERR_INVALID, prefix, field,
				"language must be a code of two or three lower-case letters");
	snprintf(field, sizeof(field), "variants[%zu].channel", i);
	if (chan && !json_is_null(chan) &&
	    (!json_is_string(chan) || !template_channel_known(json_string_value(chan))))
		return tpl_fail(d, CT_ERR_INVALID, prefix, field,
				"channel must be \"any\" or a known channel kind");
	const char *channel = chan && json_is_string(chan) ? json_string_value(chan) : "any";
	snprintf(field, sizeof(field), "variants[%zu].text", i);
	if (!json_is_string(text))
		return tpl_fail(d, CT_ERR_INVALID, prefix, field, "text must be a string");
	if (strlen(json_string_value(text)) != json_string_length(text))
		return tpl_fail(d, CT_ERR_INVALID, prefix, field, "text must not hold NUL");
	ct_err err = check_text(json_string_value(text), channel, prefix, field, d);
	if (!err)
		*out = json_pack("{s:O, s:s, s:O}", "language", lang, "channel", channel, "text",
				 text);
	return err;
}

/* The variants: 1..64, each checked, no two for the same language and
 * channel; *out gets the normalised list (new reference). */
static ct_err check_variants(json_t *v, const char *prefix, json_t **out, err_detail *d)
{
	*out = NULL;
	if (!json_is_array(v) || json_array_size(v) < 1 ||
	    json_array_size(v) > TEMPLATE_VARIANTS_MAX)
		return tpl_fail(d, CT_ERR_INVALID, prefix, "variants",
				"variants must be an array of 1 to %d variants",
				TEMPLATE_VARIANTS_MAX);
	json_t *list = json_array();
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *one = NULL;
		ct_err err = check_variant(json_array_get(v, i), i, prefix, &one, d);
		for (size_t j = 0; !err && j < i; j++) {
			json_t *o = json_array_get(list, j);
			if (json_equal(json_object_get(o, "language"),
				       json_object_get(one, "language")) &&
			    json_equal(json_object_get(o, "channel"),
				       json_object_get(one, "channel"))) {
				err = tpl_fail(d, CT_ERR_INVALID, prefix, "variants",
					       "variants %zu and %zu are both for %s/%s", j, i,
					       json_string_value(json_object_get(one, "language")),
					       json_string_value(json_object_get(one, "channel")));
				d->index = (int)i;
			}
		}
		if (err) {
			json_decref(one);
			json_decref(list);
			return err;
		}
		json_array_append_new(list, one);
	}
	*out = list;
	return CT_OK;
}

/* The value of key in body, else in base (NULL when in neither). */
static json_t *pick(json_t *body, json_t *base, const char *key)
{
	json_t *v = json_object_get(body, key);
	return v || !base ? v : json_object_get(base, key);
}

/* See templates_internal.h. */
ct_err tpl_body_check(json_t *body, json_t *base, const char *prefix, json_t **out, err_detail *d)
{
	static const char *const keys[] = {"name",     "intents", "review_interval_days",
					   "variants", "note",    NULL};
	*out = NULL;
	if (!json_is_object(body))
		return tpl_fail(d, CT_ERR_INVALID, prefix, "", "a template must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v)
	{
		if (!str_in_list(key, keys))
			return tpl_fail(d, CT_ERR_INVALID, prefix, key, "unknown field");
	}
	json_t *name = pick(body, base, "name");
	json_t *intents = pick(body, base, "intents");
	json_t *interval = pick(body, base, "review_interval_days");
	json_t *variants = pick(body, base, "variants");
	json_t *note = pick(body, base, "note");
	if (!name)
		return tpl_fail(d, CT_ERR_INVALID, prefix, "name", "name is required");
	if (!variants)
		return tpl_fail(d, CT_ERR_INVALID, prefix, "variants", "variants are required");
	json_t *fallback_intents = intents ? NULL : json_array();
	json_t *fallback_interval = interval ? NULL : json_integer(TEMPLATE_REVIEW_DAYS_DEFAULT);
	if (!intents)
		intents = fallback_intents;
	if (!interval)
		interval = fallback_interval;
	json_t *checked = NULL;
	ct_err err = check_name(name, prefix, d);
	if (!err)
		err = check_intents(intents, prefix, d);
	if (!err)
		err = check_interval(interval, prefix, d);
	if (!err && note)
		err = check_note(note, prefix, d);
	if (!err)
		err = check_variants(variants, prefix, &checked, d);
	if (!err) {
		int empty_note = !note || json_is_null(note) || json_string_length(note) == 0;
		*out = json_pack("{s:O, s:O, s:O, s:o, s:o}", "name", name, "intents", intents,
				 "review_interval_days", interval, "variants", checked, "note",
				 empty_note ? json_null() : json_incref(note));
	}
	json_decref(fallback_intents);
	json_decref(fallback_interval);
	return err;
}

/* See templates_internal.h. */
int tpl_body_same(json_t *a, json_t *b)
{
	static const char *const keys[] = {"intents", "review_interval_days", "variants", "note",
					   NULL};
	for (size_t i = 0; keys[i]; i++)
		if (!json_equal(json_object_get(a, keys[i]), json_object_get(b, keys[i])))
			return 0;
	return 1;
}

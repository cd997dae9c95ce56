/*
 * use.c: templates in use (see templates.h, "Use"): the values of a
 * conversation's variables, the usable variant of a template, suggestions
 * for a reply and previews of texts while they are written.
 *
 * It reads the tables directly (templates, template_versions,
 * conversations, channels, contacts, users, messages) and writes nothing.
 * A template is usable when it has an approved version, is not retired and
 * now lies before its review due time plus the grace period. Only the
 * approved version's variants are ever used, never a draft.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "templates/templates.h"
#include "triage/calendar.h"
#include "triage/concept.h"

#define SUGGEST_MAX 20
#define USE_WINDOW_MS (90LL * 24 * 3600 * 1000)
#define DAY_MS (24LL * 3600 * 1000)

static const char SQL_CONVERSATION[] =
	"SELECT c.id, c.language, c.intent, ch.name, ch.kind, ct.name, ct.erased_at"
	" FROM conversations c JOIN channels ch ON ch.id = c.channel_id"
	" JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1";
static const char SQL_AGENT[] = "SELECT name FROM users WHERE id = $1";
static const char SQL_BY_ID[] =
	"SELECT t.id, t.name, t.status, t.approved_version, t.review_due_at, v.variants"
	" FROM templates t LEFT JOIN template_versions v ON v.template_id = t.id"
	" AND v.number = t.approved_version WHERE t.id = $1";
static const char SQL_BY_NAME[] =
	"SELECT t.id, t.name, t.status, t.approved_version, t.review_due_at, v.variants"
	" FROM templates t LEFT JOIN template_versions v ON v.template_id = t.id"
	" AND v.number = t.approved_version WHERE t.name = $1";
static const char SQL_USABLE[] =
	"SELECT t.id, t.name, t.approved_version, t.review_due_at, v.intents, v.variants,"
	" (SELECT count(*) FROM messages m WHERE m.template_id = t.id AND m.created_at >= $2)"
	" FROM templates t JOIN template_versions v ON v.template_id = t.id"
	" AND v.number = t.approved_version"
	" WHERE t.status <> 'retired' AND t.review_due_at IS NOT NULL"
	" AND t.review_due_at + $3 > $1";

/* ---- Times -------------------------------------------------------------- */

/* The UTC date of days since 1970-01-01 (proleptic Gregorian). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Local date and minute of the day of at in k's zone, or in UTC. */
static void local_fields(const struct concept *k, int64_t at, int *y, int *m, int *d, int *minute)
{
	if (k && k->cal) {
		calendar_local(k->cal, at, y, m, d, NULL, minute);
		return;
	}
	int64_t days = at / DAY_MS, rest = at % DAY_MS;
	if (rest < 0) {
		days--;
		rest += DAY_MS;
	}
	civil_from_days(days, y, m, d);
	*minute = (int)(rest / 60000);
}

/* 1 when dates and times are written the German way for language. */
static int german(const char *language)
{
	return !language || !*language || strcmp(language, "de") == 0;
}

void template_format_local_time(const struct concept *k, int64_t at, const char *language,
				char *out, size_t size)
{
	int y, m, d, minute;
	local_fields(k, at, &y, &m, &d, &minute);
	if (german(language))
		snprintf(out, size, "%02d.%02d.%d, %02d:%02d Uhr", d, m, y, minute / 60,
			 minute % 60);
	else
		snprintf(out, size, "%d-%02d-%02d %02d:%02d", y, m, d, minute / 60, minute % 60);
}

/* The local date of at, as template_format_local_time without the time. */
static void format_local_date(const struct concept *k, int64_t at, const char *language, char *out,
			      size_t size)
{
	int y, m, d, minute;
	local_fields(k, at, &y, &m, &d, &minute);
	if (german(language))
		snprintf(out, size, "%02d.%02d.%d", d, m, y);
	else
		snprintf(out, size, "%d-%02d-%02d", y, m, d);
}

/* ---- The conversation and its values ------------------------------------ */

/* What use.c needs of a conversation. Strings owned; free with conv_free. */
typedef struct conv_info {
	int64_t id;
	char *language; /* NULL: not known */
	char *intent;   /* NULL: none */
	char *channel_name;
	char *channel_kind;
	char *contact_name; /* NULL: none, or the contact was erased */
} conv_info;

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void conv_free(conv_info *v)
{
	free(v->language);
	free(v->intent);
	free(v->channel_name);
	free(v->channel_kind);
	free(v->contact_name);
	memset(v, 0, sizeof(*v));
}

/* Load conversation id into *v (the caller frees it with conv_free).
 * CT_ERR_NOT_FOUND. */
static ct_err conv_load(store_conn *c, int64_t id, conv_info *v)
{
	memset(v, 0, sizeof(*v));
	store_stmt *st = store_prepare(c, SQL_CONVERSATION);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		v->id = store_col_int(st, 0);
		v->language = dup_or_null(store_col_text(st, 1));
		v->intent = dup_or_null(store_col_text(st, 2));
		v->channel_name = xstrdup(store_col_text(st, 3));
		v->channel_kind = xstrdup(store_col_text(st, 4));
		if (store_col_is_null(st, 6))
			v->contact_name = dup_or_null(store_col_text(st, 5));
	}
	ct_err err = rc == STORE_ROW    ? CT_OK
		     : rc == STORE_DONE ? CT_ERR_NOT_FOUND
					: store_stmt_error(st);
	store_reset(st);
	return err;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Set key to the n bytes at s in values, unless there are none. */
static void put_n(json_t *values, const char *key, const char *s, size_t n)
{
	if (n)
		json_object_set_new(values, key, json_stringn(s, n));
}

/*
 * A person's name into values as "<prefix>.name" (verbatim),
 * "<prefix>.first_name" (its first word) and, when last is set and the
 * name has more words, "<prefix>.last_name" (the rest). Nothing for an
 * empty name.
 */
static void put_names(json_t *values, const char *prefix, const char *name, int last)
{
	const char *p = name ? name : "";
	while (is_space(*p))
		p++;
	if (!*p)
		return;
	char key[64];
	snprintf(key, sizeof(key), "%s.name", prefix);
	json_object_set_new(values, key, json_string(name));
	const char *end = p;
	while (*end && !is_space(*end))
		end++;
	snprintf(key, sizeof(key), "%s.first_name", prefix);
	put_n(values, key, p, (size_t)(end - p));
	if (!last)
		return;
	while (is_space(*end))
		end++;
	size_t n = strlen(end);
	while (n && is_space(end[n - 1]))
		n--;
	snprintf(key, sizeof(key), "%s.last_name", prefix);
	put_n(values, key, end, n);
}

/* The agent's name, or for agent_user_id 0 the organisation's as
 * agent.name only. A user that does not exist gives no values. */
static ct_err put_agent(store_conn *c, const template_env *env, int64_t agent_user_id,
			json_t *values)
{
	if (!agent_user_id) {
		if (env->org_name && *env->org_name)
			json_object_set_new(values, "agent.name", json_string(env->org_name));
		return CT_OK;
	}
	store_stmt *st = store_prepare(c, SQL_AGENT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, agent_user_id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		put_names(values, "agent", store_col_text(st, 0), 0);
	ct_err err = rc == STORE_ERROR ? store_stmt_error(st) : CT_OK;
	store_reset(st);
	return err;
}

/* Every value of a reply in v by agent_user_id into *out (new object). */
static ct_err build_values(store_conn *c, const template_env *env, const conv_info *v,
			   int64_t agent_user_id, json_t **out)
{
	json_t *values = json_object();
	put_names(values, "contact", v->contact_name, 1);
	ct_err err = put_agent(c, env, agent_user_id, values);
	if (err) {
		json_decref(values);
		*out = NULL;
		return err;
	}
	if (env->org_name && *env->org_name)
		json_object_set_new(values, "organisation.name", json_string(env->org_name));
	char text[64];
	const struct concept *k = env->concept;
	int64_t open = k && k->cal ? calendar_next_open(k->cal, env->now) : INT64_MAX;
	if (open != INT64_MAX) {
		template_format_local_time(k, open, v->language, text, sizeof(text));
		json_object_set_new(values, "office_hours.next_open", json_string(text));
	}
	snprintf(text, sizeof(text), "%lld", (long long)v->id);
	json_object_set_new(values, "conversation.id", json_string(text));
	json_object_set_new(values, "channel.name", json_string(v->channel_name));
	format_local_date(k, env->now, v->language, text, sizeof(text));
	json_object_set_new(values, "date.today", json_string(text));
	*out = values;
	return CT_OK;
}

ct_err template_values(store_conn *c, const template_env *env, int64_t conversation_id,
		       int64_t agent_user_id, json_t **out)
{
	*out = NULL;
	conv_info v;
	ct_err err = conv_load(c, conversation_id, &v);
	if (!err)
		err = build_values(c, env, &v, agent_user_id, out);
	conv_free(&v);
	return err;
}

/* ---- Variants ------------------------------------------------------------- */

/* A string member of a variant object; "" when absent. */
static const char *member(json_t *variant, const char *key)
{
	const char *s = json_string_value(json_object_get(variant, key));
	return s ? s : "";
}

/* The variant of variants in language for channel kind: the one for kind,
 * else the one for "any"; NULL when there is none. Borrowed. */
static json_t *variant_in(json_t *variants, const char *language, const char *kind)
{
	json_t *any = NULL, *item;
	size_t i;
	json_array_foreach(variants, i, item)
	{
		if (strcmp(member(item, "language"), language) != 0)
			continue;
		const char *channel = member(item, "channel");
		if (kind && strcmp(channel, kind) == 0)
			return item;
		if (!any && strcmp(channel, "any") == 0)
			any = item;
	}
	return any;
}

/* As variant_in; with language NULL or "" the first language of variants
 * that has a variant for kind. */
static json_t *variant_pick(json_t *variants, const char *language, const char *kind)
{
	if (language && *language)
		return variant_in(variants, language, kind);
	json_t *item, *found;
	size_t i;
	json_array_foreach(variants, i, item)
	{
		if ((found = variant_in(variants, member(item, "language"), kind)))
			return found;
	}
	return NULL;
}

/* NULL when a template in this state may be used at now, else why not
 * (written to why). */
static const char *unusable(const char *status, int approved, int64_t due, const template_env *env,
			    char *why, size_t size)
{
	if (strcmp(status, "retired") == 0)
		return "retired";
	if (!approved)
		return "not approved";
	if (env->now < due + env->grace_ms)
		return NULL;
	char when[TIME_RFC3339_SIZE];
	time_format_rfc3339(due + env->grace_ms, when);
	snprintf(why, size, "review expired on %.10s", when);
	return why;
}

/* err_set that tolerates d NULL. */
static ct_err refuse(err_detail *d, ct_err code, const char *field, const char *message)
{
	return d ? err_set(d, code, field, message) : code;
}

/* The stored state of one template, as template_choose reads it. */
typedef struct stored_template {
	int64_t id, approved_version, due;
	int approved;
	char name[TEMPLATE_NAME_MAX + 1];
	char status[16];
	json_t *variants; /* the approved version's, or NULL; owned */
} stored_template;

/* Read template id (or, with id 0, the one called name) into *t.
 * CT_ERR_NOT_FOUND. */
static ct_err stored_load(store_conn *c, int64_t id, const char *name, stored_template *t)
{
	memset(t, 0, sizeof(*t));
	store_stmt *st = store_prepare(c, id ? SQL_BY_ID : SQL_BY_NAME);
	if (!st)
		return CT_ERR_STORE;
	if (id)
		store_bind_int(st, 1, id);
	else
		store_bind_text(st, 1, name ? name : "");
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		t->id = store_col_int(st, 0);
		snprintf(t->name, sizeof(t->name), "%s", store_col_text(st, 1));
		snprintf(t->status, sizeof(t->status), "%s", store_col_text(st, 2));
		t->approved = !store_col_is_null(st, 3) && !store_col_is_null(st, 5);
		t->approved_version = store_col_int(st, 3);
		t->due = store_col_is_null(st, 4) ? INT64_MIN / 2 : store_col_int(st, 4);
		const char *variants = store_col_text(st, 5);
		t->variants = variants ? json_loads(variants, 0, NULL) : NULL;
	}
	ct_err err = rc == STORE_ROW    ? CT_OK
		     : rc == STORE_DONE ? CT_ERR_NOT_FOUND
					: store_stmt_error(st);
	store_reset(st);
	return err;
}

ct_err template_usable(store_conn *c, const template_env *env, const char *name, err_detail *d)
{
	stored_template t;
	ct_err err = stored_load(c, 0, name, &t);
	if (err == CT_ERR_NOT_FOUND)
		return refuse(d, err, "template", "no such template");
	char why[64];
	const char *reason =
		err ? NULL : unusable(t.status, t.approved, t.due, env, why, sizeof(why));
	json_decref(t.variants);
	if (reason)
		return refuse(d, CT_ERR_CONFLICT, "template", reason);
	return err;
}

ct_err template_choose(store_conn *c, const template_env *env, int64_t id, const char *name,
		       const char *language, const char *channel_kind, template_choice *out,
		       err_detail *d)
{
	memset(out, 0, sizeof(*out));
	buf_init(&out->text, TEMPLATE_TEXT_MAX + 1);
	stored_template t;
	ct_err err = stored_load(c, id, name, &t);
	if (err == CT_ERR_NOT_FOUND)
		return refuse(d, err, "template", "no such template");
	if (err)
		return err;
	char why[64];
	const char *reason = unusable(t.status, t.approved, t.due, env, why, sizeof(why));
	json_t *variant = reason ? NULL : variant_pick(t.variants, language, channel_kind);
	if (reason)
		err = refuse(d, CT_ERR_CONFLICT, "template", reason);
	else if (!variant)
		err = refuse(d, CT_ERR_NOT_FOUND, "language",
			     "the template has no variant in this language for this channel");
	if (!err) {
		out->template_id = t.id;
		out->version = t.approved_version;
		snprintf(out->name, sizeof(out->name), "%s", t.name);
		snprintf(out->language, sizeof(out->language), "%s", member(variant, "language"));
		snprintf(out->channel, sizeof(out->channel), "%s", member(variant, "channel"));
		err = buf_puts(&out->text, member(variant, "text"));
	}
	json_decref(t.variants);
	return err;
}

/* ---- Filling texts --------------------------------------------------------- */

/* Fill text from values into item: "text", "missing", "length", and
 * "limit" (limit_kind's); returns the length. */
static size_t put_filled(json_t *item, const char *text, json_t *values, const char *limit_kind)
{
	buf out;
	buf_init(&out, 0);
	json_t *missing = json_array();
	template_render(text, values, &out, missing);
	size_t length = template_text_length(buf_cstr(&out));
	json_object_set_new(item, "text", json_string(buf_cstr(&out)));
	json_object_set_new(item, "missing", missing);
	json_object_set_new(item, "length", json_integer((json_int_t)length));
	json_object_set_new(item, "limit",
			    json_integer((json_int_t)template_channel_limit(limit_kind)));
	buf_free(&out);
	return length;
}

/* ---- Suggestions ------------------------------------------------------------ */

/* A usable template that fits the conversation. */
typedef struct candidate {
	int64_t id, version, due, uses;
	char *name;
	json_t *intents; /* owned */
	json_t *variant; /* owned reference */
	int match;
} candidate;

/* Best first: intent match, then uses, then name (byte order). */
static int candidate_cmp(const void *a, const void *b)
{
	const candidate *x = a, *y = b;
	if (x->match != y->match)
		return y->match - x->match;
	if (x->uses != y->uses)
		return x->uses > y->uses ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* 1 when intents (a JSON array of names) holds intent. */
static int intent_in(json_t *intents, const char *intent)
{
	json_t *item;
	size_t i;
	if (!intent)
		return 0;
	json_array_foreach(intents, i, item)
	{
		const char *s = json_string_value(item);
		if (s && strcmp(s, intent) == 0)
			return 1;
	}
	return 0;
}

/* A list of candidates; items owned. */
typedef struct candidates {
	candidate *items;
	size_t n;
} candidates;

static void candidates_free(candidates *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		json_decref(l->items[i].intents);
		json_decref(l->items[i].variant);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* The current row of SQL_USABLE into l when it has a variant for v. */
static void candidate_add(store_stmt *st, const conv_info *v, candidates *l)
{
	json_t *variants = json_loads(store_col_text(st, 5), 0, NULL);
	json_t *variant = variant_pick(variants, v->language, v->channel_kind);
	if (variant) {
		l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
		candidate *x = &l->items[l->n++];
		x->id = store_col_int(st, 0);
		x->name = xstrdup(store_col_text(st, 1));
		x->version = store_col_int(st, 2);
		x->due = store_col_int(st, 3);
		x->intents = json_loads(store_col_text(st, 4), 0, NULL);
		if (!json_is_array(x->intents)) {
			json_decref(x->intents);
			x->intents = json_array();
		}
		x->variant = json_incref(variant);
		x->uses = store_col_int(st, 6);
		x->match = intent_in(x->intents, v->intent);
	}
	json_decref(variants);
}

/* Every usable template with a variant fitting v into l. */
static ct_err candidates_load(store_conn *c, const template_env *env, const conv_info *v,
			      candidates *l)
{
	store_stmt *st = store_prepare(c, SQL_USABLE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, env->now);
	store_bind_int(st, 2, env->now - USE_WINDOW_MS);
	store_bind_int(st, 3, env->grace_ms);
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		candidate_add(st, v, l);
	ct_err err = rc == STORE_DONE ? CT_OK : store_stmt_error(st);
	store_reset(st);
	return err;
}

/* One suggestion for x, filled from values. */
static json_t *suggestion(const template_env *env, const candidate *x, const conv_info *v,
			  json_t *values)
{
	json_t *item =
		json_pack("{s:I, s:s, s:I, s:O, s:s, s:s, s:b, s:s}", "template_id",
			  (json_int_t)x->id, "name", x->name, "version", (json_int_t)x->version,
			  "intents", x->intents, "language", member(x->variant, "language"),
			  "channel", member(x->variant, "channel"), "intent_match", x->match,
			  "review_state", env->now < x->due ? "ok" : "due");
	put_filled(item, member(x->variant, "text"), values, v->channel_kind);
	return item;
}

ct_err template_suggest(store_conn *c, const template_env *env, int64_t conversation_id,
			int64_t agent_user_id, int limit, json_t **out)
{
	*out = NULL;
	if (limit <= 0 || limit > SUGGEST_MAX)
		limit = SUGGEST_MAX;
	conv_info v;
	candidates l = {0};
	json_t *values = NULL;
	ct_err err = conv_load(c, conversation_id, &v);
	if (!err)
		err = candidates_load(c, env, &v, &l);
	if (!err)
		err = build_values(c, env, &v, agent_user_id, &values);
	if (!err) {
		if (l.n) /* qsort wants an array, even of none */
			qsort(l.items, l.n, sizeof(*l.items), candidate_cmp);
		*out = json_array();
		for (size_t i = 0; i < l.n && i < (size_t)limit; i++)
			json_array_append_new(*out, suggestion(env, &l.items[i], &v, values));
	}
	json_decref(values);
	candidates_free(&l);
	conv_free(&v);
	return err;
}

/* ---- Preview ------------------------------------------------------------------ */

/* Check variant i of a preview: an object of strings language, channel (a
 * known kind or "any") and text (template_check_text). */
static ct_err preview_check(json_t *variant, size_t i, err_detail *d)
{
	char field[64];
	static const char *const keys[] = {"language", "channel", "text"};
	if (!json_is_object(variant)) {
		snprintf(field, sizeof(field), "variants[%zu]", i);
		return refuse(d, CT_ERR_INVALID, field, "a variant must be an object");
	}
	for (size_t k = 0; k < 3; k++) {
		if (!json_is_string(json_object_get(variant, keys[k]))) {
			snprintf(field, sizeof(field), "variants[%zu].%s", i, keys[k]);
			return refuse(d, CT_ERR_INVALID, field, "must be a string");
		}
	}
	if (!template_channel_known(member(variant, "channel"))) {
		snprintf(field, sizeof(field), "variants[%zu].channel", i);
		return refuse(d, CT_ERR_INVALID, field, "unknown channel kind");
	}
	buf msg;
	buf_init(&msg, 1024);
	ct_err err = template_check_text(member(variant, "text"), &msg);
	if (err) {
		snprintf(field, sizeof(field), "variants[%zu].text", i);
		err = refuse(d, CT_ERR_INVALID, field, buf_cstr(&msg));
	}
	buf_free(&msg);
	return err;
}

/* Check every variant of a preview. */
static ct_err preview_check_all(json_t *variants, err_detail *d)
{
	if (!json_is_array(variants))
		return refuse(d, CT_ERR_INVALID, "variants", "must be an array");
	if (json_array_size(variants) > TEMPLATE_VARIANTS_MAX)
		return refuse(d, CT_ERR_INVALID, "variants", "too many variants");
	json_t *item;
	size_t i;
	json_array_foreach(variants, i, item)
	{
		ct_err err = preview_check(item, i, d);
		if (err)
			return err;
	}
	return CT_OK;
}

/* One previewed variant filled from values; the limit is its channel's, or
 * for "any" the conversation's channel kind's. */
static json_t *preview_item(json_t *variant, const conv_info *v, json_t *values)
{
	const char *channel = member(variant, "channel");
	const char *kind = strcmp(channel, "any") == 0 ? v->channel_kind : channel;
	json_t *item = json_pack("{s:s, s:s}", "language", member(variant, "language"), "channel",
				 channel);
	size_t length = put_filled(item, member(variant, "text"), values, kind);
	size_t limit = template_channel_limit(kind);
	json_object_set_new(item, "too_long", json_boolean(limit && length > limit));
	return item;
}

ct_err template_preview(store_conn *c, const template_env *env, json_t *variants,
			int64_t conversation_id, int64_t agent_user_id, json_t **out, err_detail *d)
{
	*out = NULL;
	ct_err err = preview_check_all(variants, d);
	if (err)
		return err;
	conv_info v;
	json_t *values = NULL;
	err = conv_load(c, conversation_id, &v);
	if (err == CT_ERR_NOT_FOUND)
		refuse(d, err, "conversation_id", "no such conversation");
	if (!err)
		err = build_values(c, env, &v, agent_user_id, &values);
	if (!err) {
		*out = json_array();
		json_t *item;
		size_t i;
		json_array_foreach(variants, i, item)
			json_array_append_new(*out, preview_item(item, &v, values));
	}
	json_decref(values);
	conv_free(&v);
	return err;
}

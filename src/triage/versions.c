/*
 * versions.c: concept versions in the database and the live engine (see
 * versions.h). Diffs come from libgit2's diff of two buffers.
 *
 * A concept is checked against the installation before it is stored: the
 * teams it names must exist, and before it is activated, the templates its
 * automatic replies name must be approved and usable (approved wording).
 */
#include <git2.h>
#include <stdio.h>
#include <string.h>

#include "core/crypto.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "templates/templates.h"
#include "triage/versions.h"

static const char SQL_NEWEST[] =
	"SELECT id, checksum FROM concept_versions ORDER BY id DESC LIMIT 1";
static const char SQL_INSERT[] =
	"INSERT INTO concept_versions (name, source, checksum, created_at, created_by)"
	" VALUES ($1, $2, $3, $4, $5) RETURNING id";
static const char SQL_SOURCE[] = "SELECT source FROM concept_versions WHERE id = $1";
static const char SQL_ACTIVE_ID[] = "SELECT version_id FROM concept_active WHERE id = 1";
static const char SQL_SET_ACTIVE[] =
	"INSERT INTO concept_active (id, version_id, activated_at, activated_by)"
	" VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET version_id = $1,"
	" activated_at = $2, activated_by = $3";
static const char SQL_STAMP[] = "UPDATE concept_versions SET activated_at = $2 WHERE id = $1";
static const char SQL_TEAM[] = "SELECT id FROM teams WHERE name = $1";

static const char SQL_LIST[] =
	"SELECT v.id, v.name, v.checksum, v.created_at, v.created_by, v.activated_at,"
	" CASE WHEN a.version_id = v.id THEN 1 ELSE 0 END FROM concept_versions v"
	" LEFT JOIN concept_active a ON a.id = 1 ORDER BY v.id DESC";
static const char SQL_GET[] =
	"SELECT v.id, v.name, v.checksum, v.created_at, v.created_by, v.activated_at,"
	" CASE WHEN a.version_id = v.id THEN 1 ELSE 0 END, v.source FROM concept_versions v"
	" LEFT JOIN concept_active a ON a.id = 1 WHERE v.id = $1";

/* Add one error without a position to errs. */
static void error_add(concept_errors *errs, const char *path, const char *message, const char *name)
{
	errs->items = xrealloc(errs->items, (errs->n + 1) * sizeof(*errs->items));
	concept_error *e = &errs->items[errs->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", path);
	snprintf(e->message, sizeof(e->message), message, name);
}

/* Every team the concept names must exist in the installation. */
static ct_err check_teams(store_conn *c, const concept *k, concept_errors *errs)
{
	for (size_t i = 0; i < k->n_teams; i++) {
		store_stmt *st = store_prepare(c, SQL_TEAM);
		if (!st)
			return CT_ERR_STORE;
		store_bind_text(st, 1, k->teams[i].name);
		int64_t id = 0;
		ct_err err = store_one_int(st, &id);
		if (err == CT_ERR_NOT_FOUND) {
			char path[128];
			snprintf(path, sizeof(path), "teams.%.100s", k->teams[i].name);
			error_add(errs, path, "the installation has no team '%.100s'",
				  k->teams[i].name);
		} else if (err) {
			return err;
		}
	}
	return errs->n ? CT_ERR_INVALID : CT_OK;
}

/* Why the template called name may not be sent automatically now (a
 * message format with one %s for the name), or NULL when it may; the rule
 * is template_usable's. */
static const char *template_problem(store_conn *c, const char *name, int64_t grace_ms, ct_err *err)
{
	template_env env = {.now = time_now_ms(), .grace_ms = grace_ms};
	err_detail d = {.index = -1};
	*err = template_usable(c, &env, name, &d);
	if (*err == CT_ERR_NOT_FOUND) {
		*err = CT_OK;
		return "template '%.100s' does not exist";
	}
	if (*err != CT_ERR_CONFLICT)
		return NULL;
	*err = CT_OK;
	if (strcmp(d.message, "retired") == 0)
		return "template '%.100s' is retired";
	if (strcmp(d.message, "not approved") == 0)
		return "template '%.100s' is not approved";
	return "template '%.100s' is past its review; confirm or approve it again";
}

/* Every template the automatic replies of k name must be usable now. */
static ct_err check_templates(store_conn *c, const concept *k, int64_t grace_ms,
			      concept_errors *errs)
{
	const concept_auto_reply *replies[] = {&k->after_hours, &k->first_contact};
	const char *paths[] = {"auto_replies.after_hours.template",
			       "auto_replies.first_contact.template"};
	for (size_t i = 0; i < 2; i++) {
		const char *name = replies[i]->template_name;
		if (!name)
			continue;
		ct_err err;
		const char *why = template_problem(c, name, grace_ms, &err);
		if (err)
			return err;
		if (why)
			error_add(errs, paths[i], why, name);
	}
	return errs->n ? CT_ERR_INVALID : CT_OK;
}

/* Parse source and check it against the installation. */
static ct_err check_source(store_conn *c, const char *source, size_t len, int64_t grace_ms,
			   int activate, concept **out, concept_errors *errs)
{
	if (len > CONCEPT_MAX_BYTES) {
		error_add(errs, "", "the concept is larger than %s", "1 MiB");
		return CT_ERR_INVALID;
	}
	ct_err err = concept_parse(source, len, out, errs);
	if (!err)
		err = check_teams(c, *out, errs);
	if (!err && activate)
		err = check_templates(c, *out, grace_ms, errs);
	if (err) {
		concept_free(*out);
		*out = NULL;
	}
	return err;
}

static ct_err set_active(store_conn *c, const actor *who, int64_t id)
{
	int64_t before = 0, now = time_now_ms();
	store_stmt *st = store_prepare(c, SQL_ACTIVE_ID);
	if (!st)
		return CT_ERR_STORE;
	ct_err err = store_one_int(st, &before);
	if (err && err != CT_ERR_NOT_FOUND)
		return err;
	st = store_prepare(c, SQL_SET_ACTIVE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_int(st, 2, now);
	store_bind_text(st, 3, who->name);
	err = store_run(st);
	st = err ? NULL : store_prepare(c, SQL_STAMP);
	if (!err && !st)
		return CT_ERR_STORE;
	if (!err) {
		store_bind_int(st, 1, id);
		store_bind_int(st, 2, now);
		err = store_run(st);
	}
	json_t *b = before ? json_pack("{s:I}", "version_id", (json_int_t)before) : NULL;
	json_t *a = json_pack("{s:I}", "version_id", (json_int_t)id);
	if (!err)
		err = audit_record_json(c, who, "concept.activated", "concept_version", id, b, a);
	json_decref(b);
	json_decref(a);
	return err;
}

/* A version write: the arguments of concept_version_add or _activate. */
typedef struct version_write {
	const actor *who;
	const char *source;
	size_t len;
	int activate;
	int64_t id;
	concept_errors *errs;
	int64_t grace_ms; /* templates.review_grace_days in ms */
} version_write;

/* Inside the write: check and store x->source, activate it when asked. */
static ct_err add_version(store_conn *c, const version_write *x, int64_t *id, concept_errors *errs)
{
	const actor *who = x->who;
	const char *source = x->source;
	size_t len = x->len;
	int activate = x->activate;
	concept *k = NULL;
	ct_err err = check_source(c, source, len, x->grace_ms, activate, &k, errs);
	if (err)
		return err;
	char sum[CRYPTO_TOKEN_HASH_HEX];
	crypto_hash_token(source, len, sum);
	*id = 0;
	store_stmt *st = store_prepare(c, SQL_NEWEST);
	if (!st) {
		concept_free(k);
		return CT_ERR_STORE;
	}
	if (store_step(st) == STORE_ROW && strcmp(store_col_text(st, 1), sum) == 0)
		*id = store_col_int(st, 0);
	store_reset(st);
	if (!*id) {
		st = store_prepare(c, SQL_INSERT);
		if (!st) {
			concept_free(k);
			return CT_ERR_STORE;
		}
		store_bind_text(st, 1, k->name);
		store_bind_textn(st, 2, source, len);
		store_bind_text(st, 3, sum);
		store_bind_int(st, 4, time_now_ms());
		store_bind_text(st, 5, who->name);
		err = store_one_int(st, id);
	}
	concept_free(k);
	if (!err && activate)
		err = set_active(c, who, *id);
	return err;
}

/* The source of version id, owned by the caller. */
static ct_err load_source(store_conn *c, int64_t id, char **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_SOURCE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = xstrdup(store_col_text(st, 0));
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

/* Inside the write: check stored version id again and activate it. */
static ct_err activate_version(store_conn *c, const actor *who, int64_t id, int64_t grace_ms,
			       concept_errors *errs)
{
	char *source = NULL;
	ct_err err = load_source(c, id, &source);
	concept *k = NULL;
	if (!err)
		err = check_source(c, source, strlen(source), grace_ms, 1, &k, errs);
	concept_free(k);
	free(source);
	return err ? err : set_active(c, who, id);
}

/* The write functions (a write may run twice: errors start afresh). */
static ct_err write_add(store_conn *c, void *arg)
{
	version_write *x = arg;
	concept_errors_free(x->errs);
	return add_version(c, x, &x->id, x->errs);
}

static ct_err write_activate(store_conn *c, void *arg)
{
	version_write *x = arg;
	concept_errors_free(x->errs);
	return activate_version(c, x->who, x->id, x->grace_ms, x->errs);
}

ct_err concept_version_add(store *s, triage_active *live, const actor *who, const char *source,
			   size_t len, int activate, int64_t template_grace_ms, int64_t *id,
			   concept_errors *errs)
{
	version_write x = {who, source, len, activate, 0, errs, template_grace_ms};
	ct_err err = store_write(s, write_add, &x);
	*id = x.id;
	if (!err && activate && live)
		triage_engine_unref(triage_active_get(live, s, 1));
	return err;
}

ct_err concept_version_activate(store *s, triage_active *live, const actor *who, int64_t id,
				int64_t template_grace_ms, concept_errors *errs)
{
	version_write x = {who, NULL, 0, 1, id, errs, template_grace_ms};
	ct_err err = store_write(s, write_activate, &x);
	if (!err && live)
		triage_engine_unref(triage_active_get(live, s, 1));
	return err;
}

static json_t *version_json(store_stmt *st)
{
	json_t *v =
		json_pack("{s:I, s:s, s:s, s:I, s:s, s:b}", "id", (json_int_t)store_col_int(st, 0),
			  "name", store_col_text(st, 1), "checksum", store_col_text(st, 2),
			  "created_at", (json_int_t)store_col_int(st, 3), "created_by",
			  store_col_text(st, 4), "active", (int)store_col_int(st, 6));
	char t[TIME_RFC3339_SIZE];
	time_format_rfc3339(store_col_int(st, 3), t);
	json_object_set_new(v, "created_at", json_string(t));
	if (store_col_is_null(st, 5)) {
		json_object_set_new(v, "activated_at", json_null());
	} else {
		time_format_rfc3339(store_col_int(st, 5), t);
		json_object_set_new(v, "activated_at", json_string(t));
	}
	return v;
}

ct_err concept_version_list(store_conn *c, json_t **out)
{
	*out = NULL;
	store_stmt *st = store_prepare(c, SQL_LIST);
	if (!st)
		return CT_ERR_STORE;
	json_t *list = json_array();
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		json_array_append_new(list, version_json(st));
	store_reset(st);
	if (rc == STORE_ERROR) {
		json_decref(list);
		return CT_ERR_STORE;
	}
	*out = list;
	return CT_OK;
}

ct_err concept_version_get(store_conn *c, int64_t id, json_t **out)
{
	*out = NULL;
	if (!id) {
		store_stmt *st = store_prepare(c, SQL_ACTIVE_ID);
		if (!st)
			return CT_ERR_STORE;
		ct_err err = store_one_int(st, &id);
		if (err)
			return err;
	}
	store_stmt *st = store_prepare(c, SQL_GET);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		*out = version_json(st);
		json_object_set_new(*out, "source", json_string(store_col_text(st, 7)));
	}
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

/* libgit2 callbacks: hunk headers and lines into a buf. */
static int diff_hunk(const git_diff_delta *d, const git_diff_hunk *h, void *payload)
{
	(void)d;
	buf_append(payload, h->header, h->header_len);
	return 0;
}

static int diff_line(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l,
		     void *payload)
{
	(void)d, (void)h;
	buf *out = payload;
	if (l->origin == GIT_DIFF_LINE_CONTEXT || l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION) {
		char o = (char)l->origin;
		buf_append(out, &o, 1);
	}
	buf_append(out, l->content, l->content_len);
	if (l->content_len && l->content[l->content_len - 1] != '\n')
		buf_puts(out, "\n");
	return 0;
}

/* libgit2 wants one init call per process before use. */
static void libgit2_start(void)
{
	git_libgit2_init();
}

ct_err concept_text_diff(const char *a, const char *a_name, const char *b, const char *b_name,
			 buf *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, libgit2_start);
	buf_printf(out, "--- %s\n+++ %s\n", a_name, b_name);
	git_diff_options opt;
	git_diff_options_init(&opt, GIT_DIFF_OPTIONS_VERSION);
	opt.context_lines = 3;
	opt.flags = GIT_DIFF_FORCE_TEXT;
	int rc = git_diff_buffers(a, strlen(a), a_name, b, strlen(b), b_name, &opt, NULL, NULL,
				  diff_hunk, diff_line, out);
	return rc ? CT_ERR_INTERNAL : CT_OK;
}

ct_err concept_version_diff(store_conn *c, int64_t a, int64_t b, buf *out)
{
	char *sa = NULL, *sb = NULL;
	ct_err err = load_source(c, a, &sa);
	if (!err)
		err = load_source(c, b, &sb);
	if (!err) {
		char na[32], nb[32];
		snprintf(na, sizeof(na), "version %lld", (long long)a);
		snprintf(nb, sizeof(nb), "version %lld", (long long)b);
		err = concept_text_diff(sa, na, sb, nb, out);
	}
	free(sa);
	free(sb);
	return err;
}

json_t *concept_errors_json(const concept_errors *errs)
{
	json_t *list = json_array();
	for (size_t i = 0; i < errs->n; i++) {
		const concept_error *e = &errs->items[i];
		json_array_append_new(list, json_pack("{s:i, s:i, s:s, s:s}", "line", e->line,
						      "column", e->column, "field", e->path,
						      "message", e->message));
	}
	return list;
}

void concept_errors_print(const concept_errors *errs, const char *file, buf *out)
{
	for (size_t i = 0; i < errs->n; i++) {
		const concept_error *e = &errs->items[i];
		buf_printf(out, "%s:%d:%d: %s%s%s\n", file, e->line, e->column, e->path,
			   e->path[0] ? ": " : "", e->message);
	}
}

void triage_active_init(triage_active *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
}

void triage_active_free(triage_active *t)
{
	triage_engine_unref(t->engine);
	pthread_mutex_destroy(&t->lock);
}

/* Load version id into a new engine; NULL (logged) when it does not parse. */
static triage_engine *load_engine(store_conn *c, int64_t id)
{
	char *source = NULL;
	if (load_source(c, id, &source))
		return NULL;
	concept *k = NULL;
	concept_errors errs = {0};
	ct_err err = concept_parse(source, strlen(source), &k, &errs);
	free(source);
	if (err) {
		log_error("concept.unparsable", LOG_I("version", id));
		concept_errors_free(&errs);
		return NULL;
	}
	return triage_engine_new(k, id);
}

triage_engine *triage_active_get(triage_active *t, store *s, int force)
{
	int64_t now = time_mono_ms();
	pthread_mutex_lock(&t->lock);
	if (force || now - t->checked_ms >= 1000 || !t->checked_ms) {
		t->checked_ms = now;
		store_conn *c = store_reader_acquire(s);
		int64_t id = 0;
		store_stmt *st = c ? store_prepare(c, SQL_ACTIVE_ID) : NULL;
		ct_err err = st ? store_one_int(st, &id) : CT_ERR_STORE;
		if (!err && id != t->version_id) {
			triage_engine *e = load_engine(c, id);
			if (e) {
				triage_engine_unref(t->engine);
				t->engine = e;
				t->version_id = id;
			}
		}
		if (c)
			store_reader_release(s, c);
	}
	triage_engine *e = triage_engine_ref(t->engine);
	pthread_mutex_unlock(&t->lock);
	return e;
}

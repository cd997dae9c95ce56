/*
 * concept.c: the dialog concept in the API (docs/api/openapi.yaml, tag
 * "concept"): the active version, the history, one version, a diff of two,
 * checking a draft, storing and activating versions, replaying a draft
 * over the stored messages of a period (synchronous: a million messages
 * take some seconds). A view over
 * triage/versions.c; an invalid concept is refused with every error (line,
 * column, field, message) and changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "app.h"
#include "templates/templates.h"
#include "triage/replay.h"
#include "triage/versions.h"

/* 422-style refusal listing every error of a concept. */
static void refuse_concept(http_response *res, const concept_errors *errs)
{
	json_t *body =
		json_pack("{s:{s:s, s:s, s:o}}", "error", "code", err_code_name(CT_ERR_INVALID),
			  "message", errs->n ? errs->items[0].message : "the concept is invalid",
			  "errors", concept_errors_json(errs));
	http_json(res, err_http_status(CT_ERR_INVALID), body);
}

/* The draft's YAML from a JSON body {"source": "..."}; NULL after a refusal. */
static const char *body_source(json_t *body, http_response *res)
{
	const char *s = json_string_value(json_object_get(body, "source"));
	if (!s)
		http_error(res, CT_ERR_INVALID, "source (the concept's YAML text) is required",
			   "source", -1);
	return s;
}

void api_concept_get(http_request *req, http_response *res)
{
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *v = NULL;
	ct_err err = concept_version_get(c, 0, &v);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err,
			   err == CT_ERR_NOT_FOUND ? "no concept is active"
						   : "the concept could not be read",
			   NULL, -1);
	else
		http_json(res, 200, v);
}

void api_concept_versions(http_request *req, http_response *res)
{
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *list = NULL;
	ct_err err = concept_version_list(c, &list);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err, "the versions could not be read", NULL, -1);
	else
		http_json(res, 200, json_pack("{s:o}", "data", list));
}

void api_concept_version(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "version");
	if (id <= 0)
		return;
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *v = NULL;
	ct_err err = concept_version_get(c, id, &v);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err,
			   err == CT_ERR_NOT_FOUND ? "no such version"
						   : "the version could not be read",
			   NULL, -1);
	else
		http_json(res, 200, v);
}

void api_concept_diff(http_request *req, http_response *res)
{
	int64_t from, to;
	if (http_query_int(req, res, "from", 0, 1, INT64_MAX, &from) != CT_OK ||
	    http_query_int(req, res, "to", 0, 1, INT64_MAX, &to) != CT_OK)
		return;
	if (!from || !to) {
		http_error(res, CT_ERR_INVALID, "from and to (version ids) are required",
			   from ? "to" : "from", -1);
		return;
	}
	app *a = http_app(req);
	buf out;
	buf_init(&out, 8 << 20);
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = concept_version_diff(c, from, to, &out);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err,
			   err == CT_ERR_NOT_FOUND ? "no such version"
						   : "the diff could not be made",
			   NULL, -1);
	else
		http_json(res, 200,
			  json_pack("{s:I, s:I, s:s}", "from", (json_int_t)from, "to",
				    (json_int_t)to, "diff", buf_cstr(&out)));
	buf_free(&out);
}

void api_concept_check(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	const char *source = body_source(body, res);
	if (source) {
		concept *k = NULL;
		concept_errors errs = {0};
		ct_err err = strlen(source) > CONCEPT_MAX_BYTES
				     ? CT_ERR_TOO_LARGE
				     : concept_parse(source, strlen(source), &k, &errs);
		if (err == CT_ERR_TOO_LARGE)
			http_error(res, err, "the concept is larger than 1 MiB", "source", -1);
		else
			http_json(res, 200,
				  json_pack("{s:b, s:s?, s:o}", "valid", !err, "name",
					    k ? k->name : NULL, "errors",
					    concept_errors_json(&errs)));
		concept_free(k);
		concept_errors_free(&errs);
	}
	json_decref(body);
}

/* Answer a version write: the version (status), or why not. */
static void answer_write(http_request *req, http_response *res, ct_err err, int64_t id,
			 const concept_errors *errs, int status)
{
	app *a = http_app(req);
	if (err == CT_ERR_INVALID) {
		refuse_concept(res, errs);
		return;
	}
	if (err) {
		http_error(res, err,
			   err == CT_ERR_NOT_FOUND ? "no such version"
						   : "the concept could not be stored",
			   NULL, -1);
		return;
	}
	store_conn *c = store_reader_acquire(a->store);
	json_t *v = NULL;
	err = concept_version_get(c, id, &v);
	store_reader_release(a->store, c);
	if (err)
		http_error(res, err, "the version could not be read", NULL, -1);
	else
		http_json(res, status, v);
}

void api_concept_add(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	const char *source = body_source(body, res);
	if (source && strlen(source) > CONCEPT_MAX_BYTES) {
		http_error(res, CT_ERR_TOO_LARGE, "the concept is larger than 1 MiB", "source", -1);
	} else if (source) {
		app *a = http_app(req);
		actor who;
		api_actor(req, &who);
		int64_t id = 0;
		concept_errors errs = {0};
		ct_err err = concept_version_add(a->store, &a->triage, &who, source, strlen(source),
						 json_is_true(json_object_get(body, "activate")),
						 template_grace_ms(&a->cfg), &id, &errs);
		answer_write(req, res, err, id, &errs, 201);
		concept_errors_free(&errs);
	}
	json_decref(body);
}

void api_concept_activate(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "version");
	if (id <= 0)
		return;
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	concept_errors errs = {0};
	ct_err err = concept_version_activate(a->store, &a->triage, &who, id,
					      template_grace_ms(&a->cfg), &errs);
	answer_write(req, res, err, id, &errs, 200);
	concept_errors_free(&errs);
}

/* The draft for a replay: the body's "source", else the active version's
 * (owned by the caller); NULL after a refusal. */
static char *replay_source(http_request *req, http_response *res, json_t *body)
{
	const char *s = json_string_value(json_object_get(body, "source"));
	if (s) {
		if (strlen(s) <= CONCEPT_MAX_BYTES)
			return xstrdup(s);
		http_error(res, CT_ERR_TOO_LARGE, "the concept is larger than 1 MiB", "source", -1);
		return NULL;
	}
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *v = NULL;
	ct_err err = concept_version_get(c, 0, &v);
	store_reader_release(a->store, c);
	char *out = err ? NULL : xstrdup(json_string_value(json_object_get(v, "source")));
	json_decref(v);
	if (err)
		http_error(res, CT_ERR_INVALID, "source is required when no concept is active",
			   "source", -1);
	return out;
}

/* The period of a replay body ("from", "to": days or RFC 3339 times, in
 * the draft's time zone); 0 after a refusal. */
static int replay_period(http_response *res, json_t *body, const char *source, int64_t *from,
			 int64_t *to)
{
	const char *f = json_string_value(json_object_get(body, "from"));
	const char *t = json_string_value(json_object_get(body, "to"));
	concept *k = NULL;
	concept_errors errs = {0};
	if (concept_parse(source, strlen(source), &k, &errs) != CT_OK) {
		refuse_concept(res, &errs);
		concept_errors_free(&errs);
		return 0;
	}
	const char *bad = !f || !calendar_parse_when(k->cal, f, 0, from) ? "from"
			  : !t || !calendar_parse_when(k->cal, t, 1, to) ? "to"
			  : *to <= *from                                 ? "to"
									 : NULL;
	concept_free(k);
	if (bad)
		http_error(res, CT_ERR_INVALID,
			   "from and to must be days (YYYY-MM-DD) or RFC 3339 times, to after from",
			   bad, -1);
	return bad == NULL;
}

void api_concept_replay(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (http_body_json(req, res, &body) != CT_OK)
		return;
	app *a = http_app(req);
	char *source = replay_source(req, res, body);
	replay_options o = {.max_examples = 20};
	json_t *examples = json_object_get(body, "examples");
	if (json_is_integer(examples) && json_integer_value(examples) >= 0 &&
	    json_integer_value(examples) <= 1000)
		o.max_examples = (size_t)json_integer_value(examples);
	if (source && replay_period(res, body, source, &o.from_ms, &o.to_ms)) {
		o.draft_source = source;
		o.draft_len = strlen(source);
		o.active = triage_active_get(&a->triage, a->store, 0);
		json_t *report = NULL;
		concept_errors errs = {0};
		ct_err err = triage_replay(a->store, &o, &report, &errs);
		if (err == CT_ERR_INVALID)
			refuse_concept(res, &errs);
		else if (err)
			http_error(res, err, "the replay failed", NULL, -1);
		else
			http_json(res, 200, report);
		concept_errors_free(&errs);
		triage_engine_unref(o.active);
	}
	free(source);
	json_decref(body);
}

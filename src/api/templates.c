/*
 * templates.c: approved wording in the API (docs/api/openapi.yaml, tag
 * "templates"): list, create, read and change templates, their versions
 * and a diff of two, the workflow (submit, approve, return, confirm,
 * retire), a preview filled from a conversation, and import and export as
 * JSON or YAML. A thin view over templates/: the rules (four eyes, the
 * states, the checks of every field) live there; this file reads the
 * request, calls one function and answers with the template as it is then.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "inbox/inbox.h"
#include "templates/templates.h"

static const char *const STATUSES[] = {"draft", "in_review", "approved", "retired", NULL};

/* The environment of this server (templates/env.c); *hold is released by
 * the caller with template_env_release. */
static void request_env(http_request *req, template_env *env, struct triage_engine **hold)
{
	template_env_from_app(http_app(req), env, hold);
}

/* Answer status with template id as template_get gives it. */
static void answer_template(http_request *req, http_response *res, int status, int64_t id)
{
	app *a = http_app(req);
	template_env env;
	struct triage_engine *hold;
	request_env(req, &env, &hold);
	store_conn *c = store_reader_acquire(a->store);
	json_t *t = NULL;
	ct_err err = template_get(c, id, env.now, env.grace_ms, &t);
	store_reader_release(a->store, c);
	template_env_release(&env, hold);
	if (err)
		api_fail(res, err, NULL, "template");
	else
		http_json(res, status, t);
}

/* The templates by name, filtered by the query (status, intent, language,
 * q, review=1); retired ones only with status=retired. */
void api_templates_list(http_request *req, http_response *res)
{
	template_filter f = {0};
	f.status = http_query(req, "status");
	f.intent = http_query(req, "intent");
	f.language = http_query(req, "language");
	f.q = http_query(req, "q");
	const char *review = http_query(req, "review");
	if (f.status && !str_in_list(f.status, STATUSES)) {
		http_error(res, CT_ERR_INVALID,
			   "status must be draft, in_review, approved or retired", "status", -1);
		return;
	}
	if (review && strcmp(review, "1") != 0 && strcmp(review, "0") != 0) {
		http_error(res, CT_ERR_INVALID, "review must be 1 or 0", "review", -1);
		return;
	}
	f.review = review && strcmp(review, "1") == 0;
	app *a = http_app(req);
	template_env env;
	struct triage_engine *hold;
	request_env(req, &env, &hold);
	f.now = env.now;
	f.grace_ms = env.grace_ms;
	store_conn *c = store_reader_acquire(a->store);
	json_t *list = NULL;
	ct_err err = template_list(c, &f, &list);
	store_reader_release(a->store, c);
	template_env_release(&env, hold);
	if (err)
		http_error(res, err, "the templates could not be read", NULL, -1);
	else
		http_json(res, 200, json_pack("{s:o}", "data", list));
}

/* A new template, version 1 a draft by the caller; 201 with it. */
void api_templates_create(http_request *req, http_response *res)
{
	json_t *body = NULL;
	if (api_body_object(req, res, 0, &body) != CT_OK)
		return;
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	int64_t id = 0;
	ct_err err = template_create(a->store, &who, body, &id, &d);
	json_decref(body);
	if (err)
		api_fail(res, err, &d, "template");
	else
		answer_template(req, res, 201, id);
}

/* One template with every version, the newest and the approved one. */
void api_template_get(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "template");
	if (id)
		answer_template(req, res, 200, id);
}

/* A new draft version from the fields given; 200 with the template. */
void api_template_patch(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "template");
	json_t *body = NULL;
	if (!id || api_body_object(req, res, 0, &body) != CT_OK)
		return;
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	ct_err err = template_update(a->store, &who, id, body, &d);
	json_decref(body);
	if (err)
		api_fail(res, err, &d, "template");
	else
		answer_template(req, res, 200, id);
}

/* One version with its texts ({number} in the path). */
void api_template_version(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "template");
	if (!id)
		return;
	int64_t number = http_param_id(req, 1);
	if (!number) {
		http_error(res, CT_ERR_NOT_FOUND, "no such version", NULL, -1);
		return;
	}
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *v = NULL;
	ct_err err = template_version_get(c, id, number, &v);
	store_reader_release(a->store, c);
	if (err)
		api_fail(res, err, NULL, "version");
	else
		http_json(res, 200, v);
}

/* A unified diff of versions a and b of the template. */
void api_template_diff(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "template");
	int64_t va, vb;
	if (!id || http_query_int(req, res, "a", 0, 1, INT64_MAX, &va) != CT_OK ||
	    http_query_int(req, res, "b", 0, 1, INT64_MAX, &vb) != CT_OK)
		return;
	if (!va || !vb) {
		http_error(res, CT_ERR_INVALID, "a and b (version numbers) are required",
			   va ? "b" : "a", -1);
		return;
	}
	app *a = http_app(req);
	buf out;
	buf_init(&out, 8u << 20);
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = template_diff(c, id, va, vb, &out);
	store_reader_release(a->store, c);
	if (err)
		api_fail(res, err, NULL, "version");
	else
		http_json(res, 200,
			  json_pack("{s:I, s:I, s:s}", "a", (json_int_t)va, "b", (json_int_t)vb,
				    "diff", buf_cstr(&out)));
	buf_free(&out);
}

/* ---- The workflow --------------------------------------------------------- */

/* Which step a workflow route takes. */
typedef enum { STEP_SUBMIT, STEP_APPROVE, STEP_RETURN, STEP_CONFIRM, STEP_RETIRE } step;

/* The version an approval names (body "version"), or answer 422. */
static ct_err body_version(http_response *res, json_t *body, int64_t *number)
{
	json_t *v = json_object_get(body, "version");
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		http_error(res, CT_ERR_INVALID,
			   "version (the number of the version in review) is required", "version",
			   -1);
		return CT_ERR_INVALID;
	}
	*number = json_integer_value(v);
	return CT_OK;
}

/* Take step s on template id with what body says; CT_OK or the answered
 * refusal's code. */
static ct_err take_step(http_request *req, http_response *res, step s, int64_t id, json_t *body)
{
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	ct_err err = CT_OK;
	int64_t number = 0;
	if (s == STEP_SUBMIT) {
		err = template_submit(a->store, &who, id, &d);
	} else if (s == STEP_APPROVE) {
		if (body_version(res, body, &number) != CT_OK)
			return CT_ERR_INVALID;
		err = template_approve(a->store, &who, id, number, &d);
	} else if (s == STEP_RETURN) {
		err = template_return(a->store, &who, id,
				      json_string_value(json_object_get(body, "comment")), &d);
	} else if (s == STEP_CONFIRM) {
		err = template_confirm(a->store, &who, id, &d);
	} else {
		template_env env;
		struct triage_engine *hold;
		request_env(req, &env, &hold);
		err = template_retire(a->store, &who, id, env.concept, &d);
		template_env_release(&env, hold);
	}
	if (err)
		api_fail(res, err, &d, "template");
	return err;
}

/* A workflow route: the step, then the template as it is now. */
static void workflow_route(http_request *req, http_response *res, step s)
{
	int64_t id = api_path_id(req, res, "template");
	if (!id)
		return;
	json_t *body = NULL;
	if (api_body_object(req, res, 1, &body) != CT_OK)
		return;
	ct_err err = take_step(req, res, s, id, body);
	json_decref(body);
	if (!err)
		answer_template(req, res, 200, id);
}

/* The newest version, a draft, goes to review. */
void api_template_submit(http_request *req, http_response *res)
{
	workflow_route(req, res, STEP_SUBMIT);
}

/* Approve {version}, the one in review (four eyes: templates/workflow.c). */
void api_template_approve(http_request *req, http_response *res)
{
	workflow_route(req, res, STEP_APPROVE);
}

/* Send the version in review back to its author with {comment}. */
void api_template_return(http_request *req, http_response *res)
{
	workflow_route(req, res, STEP_RETURN);
}

/* Confirm the approved version at its review (four eyes). */
void api_template_confirm(http_request *req, http_response *res)
{
	workflow_route(req, res, STEP_CONFIRM);
}

/* Retire the template, unless the live concept sends it automatically. */
void api_template_retire(http_request *req, http_response *res)
{
	workflow_route(req, res, STEP_RETIRE);
}

/* ---- Preview ------------------------------------------------------------- */

/*
 * The variants to preview into *out (a new reference): the body's
 * "variants", else those of the body's "version", else of the newest
 * version. The template must exist either way. Answers and returns the
 * error otherwise.
 */
static ct_err preview_variants(http_response *res, store_conn *c, int64_t id, json_t *body,
			       json_t **out)
{
	*out = NULL;
	json_t *version = json_object_get(body, "version");
	if (version && (!json_is_integer(version) || json_integer_value(version) <= 0)) {
		http_error(res, CT_ERR_INVALID, "version must be a version number", "version", -1);
		return CT_ERR_INVALID;
	}
	json_t *v = NULL, *t = NULL;
	ct_err err;
	if (version) {
		err = template_version_get(c, id, json_integer_value(version), &v);
	} else {
		err = template_get(c, id, 0, 0, &t);
		if (!err)
			v = json_incref(json_object_get(t, "current"));
		json_decref(t);
	}
	if (err) {
		api_fail(res, err, NULL, version ? "version" : "template");
		return err;
	}
	json_t *given = json_object_get(body, "variants");
	*out = json_incref(given ? given : json_object_get(v, "variants"));
	json_decref(v);
	return CT_OK;
}

/* The conversation a preview is filled from (body "conversation_id"), if
 * the caller may see it; answers and returns 0 otherwise. */
static int64_t preview_conversation(http_request *req, http_response *res, store_conn *c,
				    json_t *body)
{
	json_t *v = json_object_get(body, "conversation_id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		http_error(res, CT_ERR_INVALID, "conversation_id is required", "conversation_id",
			   -1);
		return 0;
	}
	inbox_scope scope;
	api_scope(req, &scope);
	int64_t id = json_integer_value(v);
	ct_err err = inbox_check_access(c, &scope, id);
	if (err) {
		http_error(res, err,
			   err == CT_ERR_NOT_FOUND ? "no such conversation"
						   : "the conversation could not be read",
			   err == CT_ERR_NOT_FOUND ? "conversation_id" : NULL, -1);
		return 0;
	}
	return id;
}

/* Texts of the template (or of the body's variants) filled from a
 * conversation the caller may see, as they would send them. */
void api_template_preview(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "template");
	json_t *body = NULL;
	if (!id || api_body_object(req, res, 0, &body) != CT_OK)
		return;
	app *a = http_app(req);
	template_env env;
	struct triage_engine *hold;
	request_env(req, &env, &hold);
	store_conn *c = store_reader_acquire(a->store);
	json_t *variants = NULL, *out = NULL;
	int64_t conversation = 0;
	ct_err err = preview_variants(res, c, id, body, &variants);
	if (!err && !(conversation = preview_conversation(req, res, c, body)))
		err = CT_ERR_INVALID;
	err_detail d = {.index = -1};
	if (!err) {
		err = template_preview(c, &env, variants, conversation,
				       http_principal(req)->user_id, &out, &d);
		if (err)
			api_fail(res, err, &d, "conversation");
	}
	store_reader_release(a->store, c);
	template_env_release(&env, hold);
	if (!err)
		http_json(res, 200,
			  json_pack("{s:I, s:o}", "conversation_id", (json_int_t)conversation,
				    "data", out));
	json_decref(variants);
	json_decref(body);
}

/* ---- Import and export -------------------------------------------------- */

/* The format of the query's "format" (json, yaml), else of the request's
 * Content-Type (an import's YAML), else json; NULL after a refusal. */
static const char *io_format(http_request *req, http_response *res)
{
	const char *f = http_query(req, "format");
	if (f) {
		if (strcmp(f, "json") == 0 || strcmp(f, "yaml") == 0)
			return f;
		http_error(res, CT_ERR_INVALID, "format must be json or yaml", "format", -1);
		return NULL;
	}
	const char *type = http_header(req, "Content-Type");
	if (type &&
	    (strncmp(type, "application/yaml", 16) == 0 ||
	     strncmp(type, "application/x-yaml", 18) == 0 || strncmp(type, "text/yaml", 9) == 0))
		return "yaml";
	return "json";
}

/* The document of every live template (template_export), as an attachment. */
void api_templates_export(http_request *req, http_response *res)
{
	const char *format = io_format(req, res);
	if (!format)
		return;
	app *a = http_app(req);
	buf out;
	buf_init(&out, 64u << 20);
	store_conn *c = store_reader_acquire(a->store);
	ct_err err = template_export(c, format, &out);
	store_reader_release(a->store, c);
	if (err) {
		http_error(res, err, "the templates could not be exported", NULL, -1);
		buf_free(&out);
		return;
	}
	size_t len = 0;
	char *body = buf_detach(&out, &len);
	int yaml = strcmp(format, "yaml") == 0;
	/* The body is ours (from malloc) either way; YAML only changes the type. */
	http_raw_json(res, 200, body, len);
	if (yaml)
		res->content_type = "application/yaml; charset=utf-8";
	http_add_header(res, "Content-Disposition",
			yaml ? "attachment; filename=\"templates.yaml\""
			     : "attachment; filename=\"templates.json\"");
}

/* A document of templates taken in as drafts (template_import), all or
 * nothing; 200 with what happened to each name. */
void api_templates_import(http_request *req, http_response *res)
{
	const char *format = io_format(req, res);
	if (!format)
		return;
	size_t len = 0;
	const char *text = http_body(req, &len);
	if (len > TEMPLATE_IMPORT_MAX) {
		http_error(res, CT_ERR_TOO_LARGE, "the document is larger than 4 MiB", NULL, -1);
		return;
	}
	if (!len) {
		http_error(res, CT_ERR_INVALID, "the body must be a JSON or YAML document", NULL,
			   -1);
		return;
	}
	app *a = http_app(req);
	actor who;
	api_actor(req, &who);
	err_detail d = {.index = -1};
	json_t *report = NULL;
	ct_err err = template_import(a->store, &who, format, text, len, &report, &d);
	if (err)
		api_fail(res, err, &d, "template");
	else
		http_json(res, 200, report);
}

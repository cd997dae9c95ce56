/*
 * privacy.c: contacts and the GDPR routes: the contact card, the export of
 * everything held about a contact, erasure, and the retention policy.
 */
#include <stdio.h>
#include <time.h>

#include "api/api.h"
#include "api/common.h"
#include "inbox/inbox.h"
#include "jobs/jobs.h"
#include "privacy/privacy.h"

typedef ct_err (*contact_fn)(store_conn *c, int64_t id, json_t **out);

static void answer_contact(http_request *req, http_response *res, contact_fn fn)
{
	int64_t id = api_path_id(req, res, "contact");
	if (!id)
		return;
	app *a = http_app(req);
	store_conn *c = store_reader_acquire(a->store);
	json_t *out = NULL;
	ct_err err = fn(c, id, &out);
	store_reader_release(a->store, c);
	if (err)
		api_fail(res, err, NULL, "contact");
	else
		http_json(res, 200, out);
}

/* The card as the caller may see it (inbox_contact). */
void api_contact_get(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "contact");
	if (!id)
		return;
	app *a = http_app(req);
	inbox_scope scope;
	api_scope(req, &scope);
	store_conn *c = store_reader_acquire(a->store);
	json_t *card = NULL;
	ct_err err = inbox_contact(c, &scope, id, &card);
	store_reader_release(a->store, c);
	if (err) {
		api_fail(res, err, NULL, "contact");
	} else {
		http_json(res, 200, card);
	}
}

void api_contact_export(http_request *req, http_response *res)
{
	answer_contact(req, res, privacy_export);
	if (res->status == 200)
		http_add_header(res, "Content-Disposition",
				"attachment; filename=\"contact.json\"");
}

void api_contact_erase(http_request *req, http_response *res)
{
	int64_t id = api_path_id(req, res, "contact");
	if (!id)
		return;
	actor who;
	api_actor(req, &who);
	json_t *report = NULL;
	ct_err err = privacy_erase(http_app(req)->store, &who, id, &report);
	if (err)
		api_fail(res, err, NULL, "contact");
	else
		http_json(res, 200, report);
}

void api_retention_get(http_request *req, http_response *res)
{
	app *a = http_app(req);
	audit_filter f = {NULL, 0, "retention.ran", 0, 1};
	store_conn *c = store_reader_acquire(a->store);
	json_t *last = NULL;
	int64_t next;
	ct_err err = audit_list(c, &f, &last, &next);
	store_reader_release(a->store, c);
	if (err) {
		json_decref(last);
		http_error(res, err, "the retention state could not be read", NULL, -1);
		return;
	}
	json_t *entry = json_array_get(last, 0);
	http_json(res, 200,
		  json_pack("{s:I, s:s, s:O}", "months", (json_int_t)a->cfg.retention_months,
			    "mode", a->cfg.retention_mode, "last_run",
			    entry ? entry : json_null()));
	json_decref(last);
}

typedef struct run_now {
	char key[64];
} run_now;

static ct_err queue_retention(store_conn *c, void *arg)
{
	run_now *x = arg;
	return jobs_enqueue(c, "retention", "{}", x->key, 3, 0);
}

void api_retention_run(http_request *req, http_response *res)
{
	app *a = http_app(req);
	if (a->cfg.retention_months <= 0) {
		http_error(res, CT_ERR_CONFLICT, "no retention policy is set (retention.months)",
			   NULL, -1);
		return;
	}
	run_now x;
	snprintf(x.key, sizeof(x.key), "retention-now-%llu", (unsigned long long)time(NULL));
	ct_err err = store_write(a->store, queue_retention, &x);
	if (err == CT_ERR_CONFLICT)
		err = CT_OK; /* already queued this second */
	if (err) {
		http_error(res, err, "the run could not be queued", NULL, -1);
		return;
	}
	jobs_wake(a->jobs);
	http_json(res, 202, json_pack("{s:s}", "status", "queued; see GET /api/v1/retention"));
}

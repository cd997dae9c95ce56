/*
 * workflow.c: the steps a template's versions go through (templates.h,
 * "Workflow"): submit (draft -> in_review), approve (in_review ->
 * approved, four eyes), return (in_review -> returned), confirm at review
 * (four eyes) and retire.
 *
 * Each step is one write that reads the template's row locked, checks the
 * state, changes the version and the template and records the audit entry
 * in the same transaction. The template's status mirrors its newest
 * version (a returned version shows as draft) unless it is retired.
 */
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"
#include "templates/templates_internal.h"
#include "triage/concept.h"

static const char SQL_SUBMIT[] =
	"UPDATE template_versions SET state = 'in_review', submitted_by = $3, submitted_at = $4"
	" WHERE template_id = $1 AND number = $2";
static const char SQL_STATUS[] = "UPDATE templates SET status = $2, updated_at = $3 WHERE id = $1";
static const char SQL_VERSION_FACTS[] =
	"SELECT author_user_id, review_interval_days FROM template_versions"
	" WHERE template_id = $1 AND number = $2";
static const char SQL_SUPERSEDE_APPROVED[] =
	"UPDATE template_versions SET state = 'superseded' WHERE template_id = $1"
	" AND state = 'approved'";
static const char SQL_APPROVE_VERSION[] =
	"UPDATE template_versions SET state = 'approved', approver_user_id = $3,"
	" approved_by = $4, approved_at = $5 WHERE template_id = $1 AND number = $2";
static const char SQL_APPROVE_TEMPLATE[] =
	"UPDATE templates SET status = 'approved', approved_version = $2, approved_at = $3,"
	" approved_by = $4, review_due_at = $5, review_interval_days = $6, updated_at = $3"
	" WHERE id = $1";
static const char SQL_CONFIRM[] =
	"UPDATE templates SET approved_at = $2, approved_by = $3, review_due_at = $4,"
	" updated_at = $2 WHERE id = $1";
static const char SQL_RETURN[] =
	"UPDATE template_versions SET state = 'returned', review_comment = $3"
	" WHERE template_id = $1 AND number = $2";

typedef struct step_ctx {
	const actor *who;
	int64_t id;
	int64_t number;
	const char *comment;
	const struct concept *active;
	err_detail *d;
} step_ctx;

/* Load the template locked; CT_ERR_CONFLICT when it is retired. */
static ct_err load_live(store_conn *c, step_ctx *x, tpl_row *r)
{
	ct_err err = tpl_row_load(c, x->id, 1, r);
	if (err)
		return err;
	if (strcmp(r->status, "retired") == 0)
		return tpl_fail(x->d, CT_ERR_CONFLICT, "", "", "the template is retired");
	return CT_OK;
}

/* Record action on the template with the version and status after it. */
static ct_err audit_step(store_conn *c, step_ctx *x, const char *action, const tpl_row *r,
			 const char *before_status, int64_t version, const char *status)
{
	json_t *before = json_pack("{s:I, s:s}", "version", (json_int_t)r->current_version,
				   "status", before_status);
	json_t *after = json_pack("{s:I, s:s, s:s}", "version", (json_int_t)version, "name",
				  r->name, "status", status);
	if (x->comment)
		json_object_set_new(after, "comment", json_string(x->comment));
	ct_err err = audit_record_json(c, x->who, action, "template", r->id, before, after);
	json_decref(before);
	json_decref(after);
	return err;
}

/* Set the status of template id. */
static ct_err set_status(store_conn *c, int64_t id, const char *status, int64_t now)
{
	store_stmt *st = store_prepare(c, SQL_STATUS);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_text(st, 2, status);
	store_bind_int(st, 3, now);
	return store_run(st);
}

/* Run a version update sql with $1 id, $2 number, $3 text, $4 number. */
static ct_err run_version(store_conn *c, const char *sql, int64_t id, int64_t number,
			  const char *text, int64_t n4)
{
	store_stmt *st = store_prepare(c, sql);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_int(st, 2, number);
	store_bind_text(st, 3, text);
	if (n4)
		store_bind_int(st, 4, n4);
	return store_run(st);
}

/* ---- Submit -------------------------------------------------------------- */

/* Inside the write: the newest version, a draft, goes to review. */
static ct_err write_submit(store_conn *c, void *arg)
{
	step_ctx *x = arg;
	tpl_row r;
	ct_err err = load_live(c, x, &r);
	if (err)
		return err;
	if (strcmp(r.newest_state, "draft") != 0)
		return tpl_fail(x->d, CT_ERR_CONFLICT, "", "", "version %lld is %s, not a draft",
				(long long)r.current_version, r.newest_state);
	int64_t now = time_now_ms();
	err = run_version(c, SQL_SUBMIT, r.id, r.current_version, x->who->name, now);
	if (!err)
		err = set_status(c, r.id, "in_review", now);
	if (!err)
		err = audit_step(c, x, "template.submitted", &r, r.status, r.current_version,
				 "in_review");
	return err;
}

/* See templates.h. */
ct_err template_submit(store *s, const actor *who, int64_t id, err_detail *d)
{
	step_ctx x = {who, id, 0, NULL, NULL, d};
	return store_write(s, write_submit, &x);
}

/* ---- Approve and confirm ------------------------------------------------ */

/* The author (0: none) and review interval of version number. */
static ct_err version_facts(store_conn *c, int64_t id, int64_t number, int64_t *author,
			    int64_t *interval)
{
	store_stmt *st = store_prepare(c, SQL_VERSION_FACTS);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_int(st, 2, number);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		*author = store_col_is_null(st, 0) ? 0 : store_col_int(st, 0);
		*interval = store_col_int(st, 1);
	}
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : rc == STORE_DONE ? CT_ERR_NOT_FOUND : CT_ERR_STORE;
}

/* The four-eyes rule: who is a signed-in user and not author. */
static ct_err four_eyes(const actor *who, int64_t author, int64_t number, err_detail *d)
{
	if (!who->user_id)
		return err_set(d, CT_ERR_FORBIDDEN, "",
			       "four eyes: only a signed-in user can approve a template");
	if (who->user_id == author) {
		char msg[128];
		snprintf(msg, sizeof(msg),
			 "four eyes: you wrote version %lld, so someone else must approve it",
			 (long long)number);
		return err_set(d, CT_ERR_FORBIDDEN, "", msg);
	}
	return CT_OK;
}

/* Start the review clock: approved now by who, due after interval days. */
static ct_err approve_template(store_conn *c, const actor *who, int64_t id, int64_t number,
			       int64_t interval, int64_t now)
{
	store_stmt *st = store_prepare(c, SQL_APPROVE_TEMPLATE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_int(st, 2, number);
	store_bind_int(st, 3, now);
	store_bind_text(st, 4, who->name);
	store_bind_int(st, 5, now + interval * TEMPLATE_DAY_MS);
	store_bind_int(st, 6, interval);
	return store_run(st);
}

/* Inside the write: approve version x->number if it is the newest and in
 * review and who may; the approved one before it is superseded. */
static ct_err write_approve(store_conn *c, void *arg)
{
	step_ctx *x = arg;
	tpl_row r;
	ct_err err = load_live(c, x, &r);
	if (err)
		return err;
	if (x->number != r.current_version)
		return tpl_fail(x->d, CT_ERR_CONFLICT, "", "",
				"version %lld is not the newest; version %lld was written since",
				(long long)x->number, (long long)r.current_version);
	if (strcmp(r.newest_state, "in_review") != 0)
		return tpl_fail(x->d, CT_ERR_CONFLICT, "", "", "version %lld is %s, not in review",
				(long long)x->number, r.newest_state);
	int64_t author = 0, interval = 0, now = time_now_ms();
	err = version_facts(c, r.id, x->number, &author, &interval);
	if (!err)
		err = four_eyes(x->who, author, x->number, x->d);
	store_stmt *st = NULL;
	if (!err && !(st = store_prepare(c, SQL_SUPERSEDE_APPROVED)))
		err = CT_ERR_STORE;
	if (!err) {
		store_bind_int(st, 1, r.id);
		err = store_run(st);
	}
	if (!err && !(st = store_prepare(c, SQL_APPROVE_VERSION)))
		err = CT_ERR_STORE;
	if (!err) {
		store_bind_int(st, 1, r.id);
		store_bind_int(st, 2, x->number);
		store_bind_int(st, 3, x->who->user_id);
		store_bind_text(st, 4, x->who->name);
		store_bind_int(st, 5, now);
		err = store_run(st);
	}
	if (!err)
		err = approve_template(c, x->who, r.id, x->number, interval, now);
	if (!err)
		err = audit_step(c, x, "template.approved", &r, r.status, x->number, "approved");
	return err;
}

/* See templates.h. */
ct_err template_approve(store *s, const actor *who, int64_t id, int64_t number, err_detail *d)
{
	step_ctx x = {who, id, number, NULL, NULL, d};
	return store_write(s, write_approve, &x);
}

/* Inside the write: restart the review clock of the approved version. */
static ct_err write_confirm(store_conn *c, void *arg)
{
	step_ctx *x = arg;
	tpl_row r;
	ct_err err = load_live(c, x, &r);
	if (err)
		return err;
	if (!r.approved_version)
		return tpl_fail(x->d, CT_ERR_CONFLICT, "", "",
				"no version of this template is approved");
	int64_t author = 0, interval = 0, now = time_now_ms();
	err = version_facts(c, r.id, r.approved_version, &author, &interval);
	if (!err)
		err = four_eyes(x->who, author, r.approved_version, x->d);
	store_stmt *st = NULL;
	if (!err && !(st = store_prepare(c, SQL_CONFIRM)))
		err = CT_ERR_STORE;
	if (!err) {
		store_bind_int(st, 1, r.id);
		store_bind_int(st, 2, now);
		store_bind_text(st, 3, x->who->name);
		store_bind_int(st, 4, now + r.review_interval_days * TEMPLATE_DAY_MS);
		err = store_run(st);
	}
	if (!err)
		err = audit_step(c, x, "template.confirmed", &r, r.status, r.approved_version,
				 r.status);
	return err;
}

/* See templates.h. */
ct_err template_confirm(store *s, const actor *who, int64_t id, err_detail *d)
{
	step_ctx x = {who, id, 0, NULL, NULL, d};
	return store_write(s, write_confirm, &x);
}

/* ---- Return --------------------------------------------------------------- */

/* Inside the write: the version in review goes back with a comment. */
static ct_err write_return(store_conn *c, void *arg)
{
	step_ctx *x = arg;
	tpl_row r;
	ct_err err = load_live(c, x, &r);
	if (err)
		return err;
	if (strcmp(r.newest_state, "in_review") != 0)
		return tpl_fail(x->d, CT_ERR_CONFLICT, "", "", "version %lld is %s, not in review",
				(long long)r.current_version, r.newest_state);
	int64_t now = time_now_ms();
	err = run_version(c, SQL_RETURN, r.id, r.current_version, x->comment, 0);
	if (!err)
		err = set_status(c, r.id, "draft", now);
	if (!err)
		err = audit_step(c, x, "template.returned", &r, r.status, r.current_version,
				 "draft");
	return err;
}

/* See templates.h: the comment is checked before the write. */
ct_err template_return(store *s, const actor *who, int64_t id, const char *comment, err_detail *d)
{
	size_t n = comment ? strlen(comment) : 0, blank = 0;
	while (blank < n && strchr(" \t\r\n", comment[blank]))
		blank++;
	if (blank == n)
		return err_set(d, CT_ERR_INVALID, "comment",
			       "a comment for the author is required");
	if (n > TEMPLATE_COMMENT_MAX)
		return err_set(d, CT_ERR_INVALID, "comment",
			       "the comment must be at most 2000 bytes long");
	step_ctx x = {who, id, 0, comment, NULL, d};
	return store_write(s, write_return, &x);
}

/* ---- Retire --------------------------------------------------------------- */

/* Which automatic reply of k names template name; NULL when none does. */
static const char *concept_use(const struct concept *k, const char *name)
{
	if (!k)
		return NULL;
	if (k->after_hours.template_name && strcmp(k->after_hours.template_name, name) == 0)
		return "after-hours";
	if (k->first_contact.template_name && strcmp(k->first_contact.template_name, name) == 0)
		return "first-contact";
	return NULL;
}

/* Inside the write: retire unless the active concept sends it. */
static ct_err write_retire(store_conn *c, void *arg)
{
	step_ctx *x = arg;
	tpl_row r;
	ct_err err = load_live(c, x, &r);
	if (err)
		return err;
	const char *use = concept_use(x->active, r.name);
	if (use)
		return tpl_fail(
			x->d, CT_ERR_CONFLICT, "", "",
			"the active concept sends this template as its %s reply; change the "
			"concept first",
			use);
	err = set_status(c, r.id, "retired", time_now_ms());
	if (!err)
		err = audit_step(c, x, "template.retired", &r, r.status, r.current_version,
				 "retired");
	return err;
}

/* See templates.h. */
ct_err template_retire(store *s, const actor *who, int64_t id, const struct concept *active,
		       err_detail *d)
{
	step_ctx x = {who, id, 0, NULL, active, d};
	return store_write(s, write_retire, &x);
}

/*
 * sla_watch.c: due-soon and breach events (see sla_watch.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "core/timeutil.h"
#include "jobs/jobs.h"
#include "triage/sla_watch.h"

#define SCAN_MAX 500 /* promises looked at per pass; the rest next time */

/* Promises due by $1 that have no breach raised yet, soonest first. */
static const char SQL_CANDIDATES[] =
	"SELECT id, target, due, coalesce(sla_policy, '') FROM ("
	" SELECT id, 'first_response' AS target, first_response_due_at AS due, sla_policy"
	"  FROM conversations WHERE first_response_at IS NULL AND first_response_due_at <= $1"
	"  AND status <> 'resolved'"
	" UNION ALL SELECT id, 'next_response', next_response_due_at, sla_policy"
	"  FROM conversations WHERE next_response_due_at <= $1 AND status <> 'resolved'"
	" UNION ALL SELECT id, 'resolution', resolution_due_at, sla_policy"
	"  FROM conversations WHERE resolution_due_at <= $1 AND resolved_at IS NULL"
	"  AND status <> 'resolved') d"
	" WHERE NOT EXISTS (SELECT 1 FROM sla_events e WHERE e.conversation_id = d.id"
	"  AND e.target = d.target AND e.kind = 'breached' AND e.due_at = d.due)"
	" ORDER BY due LIMIT 500";
static const char SQL_RAISE[] =
	"INSERT INTO sla_events (conversation_id, target, kind, due_at, raised_at)"
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";

/* One event raised in this pass. */
typedef struct raised {
	int64_t conversation_id, due;
	char target[16];
	const char *kind; /* "due_soon" or "breached" (static) */
} raised;

typedef struct watch_ctx {
	app *a;
	const concept *k;
	int64_t now, horizon;
	raised items[SCAN_MAX];
	size_t n;
} watch_ctx;

/* The target's length in the policy (for the due-soon lead). */
static int64_t target_ms(const concept_sla *sla, const char *target)
{
	if (!sla)
		return 0;
	if (strcmp(target, "first_response") == 0)
		return sla->first_response_ms;
	if (strcmp(target, "next_response") == 0)
		return sla->next_response_ms;
	return sla->resolution_ms;
}

/* The largest due-soon lead of any policy: how far ahead to look. */
static int64_t largest_lead(const concept *k)
{
	int64_t lead = 0;
	for (size_t i = 0; i < k->n_slas; i++) {
		const concept_sla *s = &k->slas[i];
		int64_t ms[3] = {s->first_response_ms, s->next_response_ms, s->resolution_ms};
		for (int j = 0; j < 3; j++)
			if (triage_due_soon_lead(s, ms[j]) > lead)
				lead = triage_due_soon_lead(s, ms[j]);
	}
	return lead;
}

/* Insert the event unless raised before; notify by mail when configured. */
static ct_err raise_event(store_conn *c, watch_ctx *x, const raised *r)
{
	store_stmt *st = store_prepare(c, SQL_RAISE);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, r->conversation_id);
	store_bind_text(st, 2, r->target);
	store_bind_text(st, 3, r->kind);
	store_bind_int(st, 4, r->due);
	store_bind_int(st, 5, x->now);
	ct_err err = store_run(st);
	if (err || store_changes(c) != 1)
		return err;
	x->items[x->n++] = *r;
	const char *to = x->a->cfg.sla_notify_email;
	if (!to[0])
		return CT_OK;
	char key[160], subject[200], due[TIME_RFC3339_SIZE];
	snprintf(key, sizeof(key), "sla:%lld:%s:%s:%lld", (long long)r->conversation_id, r->target,
		 r->kind, (long long)r->due);
	snprintf(subject, sizeof(subject), "%s: %s %lld (%s)",
		 strcmp(r->kind, "breached") == 0 ? _("Response time breached")
						  : _("Response due soon"),
		 _("conversation"), (long long)r->conversation_id, r->target);
	time_format_rfc3339(r->due, due);
	buf body;
	buf_init(&body, 4096);
	buf_printf(&body, "%s\n\n%s: %s\n%s: %s/conversations/%lld\n", subject, _("Due"), due,
		   _("Open"), x->a->cfg.public_url ? x->a->cfg.public_url : "",
		   (long long)r->conversation_id);
	err = jobs_enqueue_mail(c, &x->a->key, key, to, subject, buf_cstr(&body),
				(int)x->a->cfg.jobs_max_attempts);
	buf_free(&body);
	return err == CT_ERR_CONFLICT ? CT_OK : err;
}

/* The write: find the promises and raise what is due. May run twice. */
static ct_err scan(store_conn *c, void *arg)
{
	watch_ctx *x = arg;
	x->n = 0;
	store_stmt *st = store_prepare(c, SQL_CANDIDATES);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->horizon);
	raised found[SCAN_MAX];
	size_t n = 0;
	int rc;
	while ((rc = store_step(st)) == STORE_ROW && n < SCAN_MAX) {
		raised *r = &found[n];
		r->conversation_id = store_col_int(st, 0);
		snprintf(r->target, sizeof(r->target), "%s", store_col_text(st, 1));
		r->due = store_col_int(st, 2);
		const concept_sla *sla = concept_sla_by_name(x->k, store_col_text(st, 3));
		int64_t lead = triage_due_soon_lead(sla, target_ms(sla, r->target));
		r->kind = x->now >= r->due          ? "breached"
			  : x->now >= r->due - lead ? "due_soon"
						    : NULL;
		if (r->kind)
			n++;
	}
	store_reset(st);
	if (rc == STORE_ERROR)
		return CT_ERR_STORE;
	ct_err err = CT_OK;
	for (size_t i = 0; !err && i < n; i++)
		err = raise_event(c, x, &found[i]);
	return err;
}

int sla_watch_run(app *a, int64_t now)
{
	triage_engine *e = triage_active_get(&a->triage, a->store, 0);
	if (!e)
		return 0;
	watch_ctx *x = xcalloc(1, sizeof(*x));
	x->a = a;
	x->k = triage_engine_concept(e);
	x->now = now;
	x->horizon = now + largest_lead(x->k);
	ct_err err = store_write(a->store, scan, x);
	int n = err ? 0 : (int)x->n;
	for (int i = 0; i < n; i++) {
		char data[256], due[TIME_RFC3339_SIZE];
		time_format_rfc3339(x->items[i].due, due);
		snprintf(data, sizeof(data),
			 "{\"conversation_id\":%lld,\"target\":\"%s\",\"kind\":\"%s\",\"due_at\":"
			 "\"%s\"}",
			 (long long)x->items[i].conversation_id, x->items[i].target,
			 x->items[i].kind, due);
		events_publish(a->events, "conversation.sla", data);
	}
	if (n && a->jobs)
		jobs_wake(a->jobs);
	free(x);
	triage_engine_unref(e);
	return n;
}

void sla_watch_tick(app *a)
{
	sla_watch_run(a, time_now_ms());
}

/*
 * report.c: how templates were used in the replies of a period
 * (templates.h, "Reports"): uses and deviations per template and per
 * template and agent, the templates due for review, and how many of all
 * replies came from a template.
 *
 * Two grouped queries over messages (outbound, with template_id, created
 * in [from, to)): one by template and agent, one for the totals. Per
 * template figures are sums of the agent rows. Automatic replies have no
 * author user and count as the agent "system".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "templates/templates_internal.h"

static const char SQL_BY_AGENT[] =
	"SELECT x.template_id, x.name, x.agent, count(*), sum(x.deviated) FROM ("
	"SELECT m.template_id AS template_id, t.name AS name,"
	" CASE WHEN m.author_user_id IS NULL THEN 'system'"
	" ELSE coalesce(m.author_name, 'system') END AS agent,"
	" CASE WHEN m.template_deviation = 1 THEN 1 ELSE 0 END AS deviated"
	" FROM messages m JOIN templates t ON t.id = m.template_id"
	" WHERE m.direction = 'out' AND m.template_id IS NOT NULL"
	" AND m.created_at >= $1 AND m.created_at < $2) x"
	" GROUP BY x.template_id, x.name, x.agent ORDER BY x.name, x.agent";
static const char SQL_TOTALS[] =
	"SELECT count(*),"
	" coalesce(sum(CASE WHEN template_id IS NOT NULL THEN 1 ELSE 0 END), 0),"
	" coalesce(sum(CASE WHEN template_id IS NOT NULL AND template_deviation = 1"
	" THEN 1 ELSE 0 END), 0)"
	" FROM messages WHERE direction = 'out' AND created_at >= $1 AND created_at < $2";

/* One row of figures: {template_id, name, [agent,] uses, deviations,
 * deviation_rate}. */
static json_t *figures(int64_t id, const char *name, const char *agent, int64_t uses,
		       int64_t deviations)
{
	json_t *v = json_pack("{s:I, s:s}", "template_id", (json_int_t)id, "name", name);
	if (agent)
		json_object_set_new(v, "agent", json_string(agent));
	json_object_set_new(v, "uses", json_integer(uses));
	json_object_set_new(v, "deviations", json_integer(deviations));
	json_object_set_new(v, "deviation_rate",
			    json_real(uses ? (double)deviations / (double)uses : 0.0));
	return v;
}

/* Add uses and deviations to the template's entry in by_id (created when
 * missing, e.g. for a retired template). */
static void add_to_template(json_t *by_id, int64_t id, const char *name, int64_t uses,
			    int64_t deviations)
{
	char key[24];
	snprintf(key, sizeof(key), "%lld", (long long)id);
	json_t *t = json_object_get(by_id, key);
	if (!t) {
		t = figures(id, name, NULL, 0, 0);
		json_object_set_new(by_id, key, t);
	}
	int64_t u = json_integer_value(json_object_get(t, "uses")) + uses;
	int64_t dv = json_integer_value(json_object_get(t, "deviations")) + deviations;
	json_object_set_new(t, "uses", json_integer(u));
	json_object_set_new(t, "deviations", json_integer(dv));
	json_object_set_new(t, "deviation_rate", json_real(u ? (double)dv / (double)u : 0.0));
}

/* The agent rows into agents, summed per template into by_id. */
static ct_err agent_rows(store_conn *c, int64_t from, int64_t to, json_t *agents, json_t *by_id)
{
	store_stmt *st = store_prepare(c, SQL_BY_AGENT);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, from);
	store_bind_int(st, 2, to);
	int rc;
	while ((rc = store_step(st)) == STORE_ROW) {
		int64_t id = store_col_int(st, 0), uses = store_col_int(st, 3);
		int64_t dev = store_col_int(st, 4);
		const char *name = store_col_text(st, 1);
		json_array_append_new(agents, figures(id, name, store_col_text(st, 2), uses, dev));
		add_to_template(by_id, id, name, uses, dev);
	}
	store_reset(st);
	return rc == STORE_DONE ? CT_OK : CT_ERR_STORE;
}

/* {total, from_template, deviated} over the outbound replies of the
 * period into *out (new reference). */
static ct_err totals(store_conn *c, int64_t from, int64_t to, json_t **out)
{
	store_stmt *st = store_prepare(c, SQL_TOTALS);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, from);
	store_bind_int(st, 2, to);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		*out = json_pack("{s:I, s:I, s:I}", "total", (json_int_t)store_col_int(st, 0),
				 "from_template", (json_int_t)store_col_int(st, 1), "deviated",
				 (json_int_t)store_col_int(st, 2));
	store_reset(st);
	return rc == STORE_ROW ? CT_OK : CT_ERR_STORE;
}

/* qsort: entries by name, bytewise. */
static int by_name(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

/* The values of by_id as an array sorted by name. */
static json_t *sorted_values(json_t *by_id)
{
	size_t n = json_object_size(by_id), i = 0;
	json_t **items = xcalloc(n ? n : 1, sizeof(*items));
	const char *key;
	json_t *v;
	json_object_foreach(by_id, key, v) items[i++] = v;
	qsort(items, n, sizeof(*items), by_name);
	json_t *list = json_array();
	for (i = 0; i < n; i++)
		json_array_append(list, items[i]);
	free(items);
	return list;
}

/* See templates.h. */
ct_err template_report(store_conn *c, int64_t from, int64_t to, int64_t now, int64_t grace_ms,
		       json_t **out)
{
	*out = NULL;
	json_t *all = NULL, *review = NULL, *replies = NULL;
	json_t *agents = json_array(), *by_id = json_object();
	template_filter every = {.now = now, .grace_ms = grace_ms};
	template_filter due = {.review = 1, .now = now, .grace_ms = grace_ms};
	ct_err err = template_list(c, &every, &all);
	size_t i;
	json_t *t;
	if (!err)
		json_array_foreach(all, i, t)
			add_to_template(by_id, json_integer_value(json_object_get(t, "id")),
					json_string_value(json_object_get(t, "name")), 0, 0);
	if (!err)
		err = agent_rows(c, from, to, agents, by_id);
	if (!err)
		err = totals(c, from, to, &replies);
	if (!err)
		err = template_list(c, &due, &review);
	if (!err) {
		char f[TIME_RFC3339_SIZE], u[TIME_RFC3339_SIZE];
		time_format_rfc3339(from, f);
		time_format_rfc3339(to, u);
		*out = json_pack("{s:s, s:s, s:o, s:O, s:O, s:O}", "from", f, "to", u, "templates",
				 sorted_values(by_id), "agents", agents, "review", review,
				 "replies", replies);
	}
	json_decref(all);
	json_decref(review);
	json_decref(replies);
	json_decref(agents);
	json_decref(by_id);
	return err;
}

/*
 * reports.c: reports in the API (docs/api/openapi.yaml, tag "templates"):
 * the use of approved wording per template and per agent, how often its
 * text was changed before sending, and the templates due for review
 * (templates/report.c). The period is given as RFC 3339 times or ms since
 * the epoch and defaults to the last 30 days.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "core/timeutil.h"
#include "templates/templates.h"

#define REPORT_DEFAULT_DAYS 30

/* A time of the query (RFC 3339, or whole ms since the epoch) into *out;
 * def when absent. CT_ERR_INVALID (answered) when it is neither. */
static ct_err query_time(http_request *req, http_response *res, const char *name, int64_t def,
			 int64_t *out)
{
	const char *v = http_query(req, name);
	*out = def;
	if (!v)
		return CT_OK;
	size_t n = strlen(v), digits = strspn(v, "0123456789");
	if (n && digits == n && n <= 15) {
		*out = strtoll(v, NULL, 10);
		return CT_OK;
	}
	if (n && time_parse_rfc3339(v, n, out) == CT_OK)
		return CT_OK;
	http_error(res, CT_ERR_INVALID, "must be an RFC 3339 time or ms since the epoch", name, -1);
	return CT_ERR_INVALID;
}

/* The template report for the query's period (default: the last 30 days). */
void api_report_templates(http_request *req, http_response *res)
{
	app *a = http_app(req);
	template_env env;
	struct triage_engine *hold;
	template_env_from_app(a, &env, &hold);
	int64_t from, to;
	ct_err err = query_time(req, res, "to", env.now, &to);
	if (!err)
		err = query_time(req, res, "from", to - REPORT_DEFAULT_DAYS * TEMPLATE_DAY_MS,
				 &from);
	if (!err && to <= from) {
		http_error(res, CT_ERR_INVALID, "to must be after from", "to", -1);
		err = CT_ERR_INVALID;
	}
	json_t *report = NULL;
	if (!err) {
		store_conn *c = store_reader_acquire(a->store);
		err = template_report(c, from, to, env.now, env.grace_ms, &report);
		store_reader_release(a->store, c);
		if (err)
			http_error(res, err, "the report could not be made", NULL, -1);
		else
			http_json(res, 200, report);
	}
	template_env_release(&env, hold);
}

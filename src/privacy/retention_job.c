/*
 * retention_job.c: the daily job that applies the retention policy
 * (retention.months, retention.mode). Registered by serve; the report goes
 * to the audit log ("retention.ran") and the log.
 */
#include <stdlib.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "jobs/kinds.h"
#include "privacy/privacy.h"

#define RETENTION_JOB "retention"
#define MONTH_MS (30LL * 86400 * 1000)

static ct_err run(app *a, const job *j, job_outcome *out)
{
	(void)j, (void)out;
	if (a->cfg.retention_months <= 0)
		return CT_OK; /* no policy: keep everything */
	int64_t cutoff = time_now_ms() - a->cfg.retention_months * MONTH_MS;
	json_t *report = NULL;
	ct_err err =
		privacy_retention(a->store, &actor_system, cutoff, a->cfg.retention_mode, &report);
	log_info("retention.ran", LOG_S("mode", a->cfg.retention_mode),
		 LOG_I("conversations",
		       json_integer_value(json_object_get(report, "conversations"))),
		 LOG_I("messages", json_integer_value(json_object_get(report, "messages"))),
		 LOG_S("result", err ? err_code_name(err) : "ok"));
	json_decref(report);
	return err;
}

const job_kind privacy_retention_job = {.name = RETENTION_JOB, .daily = 1, .run = run};

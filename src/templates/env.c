/*
 * env.c: the template_env of a running server (templates.h, "Use"): the
 * organisation's name, the live dialog concept, the clock and the review
 * grace period, taken from the app. The API (api/) and the web pages (web/)
 * build it the same way for rendering, suggestions and replies.
 */
#include <string.h>

#include "app.h"
#include "core/timeutil.h"
#include "templates/templates.h"
#include "triage/triage.h"
#include "triage/versions.h"

/* Fill env from a; *hold gets the concept's engine (a reference the caller
 * drops with template_env_release; NULL when no concept is active).
 * env->concept points into that engine, so it lives until the release. */
void template_env_from_app(struct app *a, template_env *env, struct triage_engine **hold)
{
	memset(env, 0, sizeof(*env));
	triage_engine *e = triage_active_get(&a->triage, a->store, 0);
	*hold = e;
	env->org_name = a->cfg.org_name;
	env->concept = e ? triage_engine_concept(e) : NULL;
	env->now = time_now_ms();
	env->grace_ms = template_grace_ms(&a->cfg);
}

int64_t template_grace_ms(const struct config *cfg)
{
	return cfg->templates_review_grace_days * TEMPLATE_DAY_MS;
}

/* Drop the engine of template_env_from_app; env no longer names a concept. */
void template_env_release(template_env *env, struct triage_engine *hold)
{
	triage_engine_unref(hold);
	if (env)
	env->concept = NULL;
}

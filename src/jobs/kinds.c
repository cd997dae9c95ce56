/*
 * kinds.c: the registry of job kinds (see kinds.h). The jobs module's own
 * kinds are built in; modules above it (privacy, later publishing and the
 * newsletter) register theirs at start, so jobs/ never calls up the stack.
 */
#include <stdlib.h>
#include <string.h>

#include "jobs/kinds.h"

static const job_kind *kinds[JOBS_MAX_KINDS] = {&job_send_mail};
static int n_kinds = 1;

void jobs_register_kind(const job_kind *kind)
{
	if (job_kind_find(kind->name))
		return;
	if (n_kinds == JOBS_MAX_KINDS)
		abort(); /* a programming error: raise JOBS_MAX_KINDS */
	kinds[n_kinds++] = kind;
}

int64_t job_payload_int(const job *j, const char *name)
{
	json_t *p = json_loads(j->payload, 0, NULL);
	int64_t v = json_integer_value(json_object_get(p, name));
	json_decref(p);
	return v;
}

const job_kind *job_kind_find(const char *name)
{
	for (int i = 0; i < n_kinds; i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

int jobs_daily_kinds(const job_kind **out, int max)
{
	int n = 0;
	for (int i = 0; i < n_kinds && n < max; i++)
		if (kinds[i]->daily)
			out[n++] = kinds[i];
	return n;
}

int jobs_kinds(const job_kind **out, int max)
{
	int n = 0;
	for (int i = 0; i < n_kinds && n < max; i++)
		out[n++] = kinds[i];
	return n;
}

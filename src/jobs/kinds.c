/*
 * kinds.c: the table of job kinds (see kinds.h). A new kind is one file in
 * jobs/ and one line here.
 */
#include <string.h>

#include "jobs/kinds.h"

static const job_kind *const kinds[] = {&job_deliver_reply, &job_send_mail};

const job_kind *job_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

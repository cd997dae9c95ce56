/*
 * registry.c: the table of channel kinds (see channel.h).
 */
#include <string.h>

#include "channels/channel.h"

static const channel_kind *const kinds[] = {&channel_api};

const channel_kind *channel_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i]->kind, kind) == 0)
			return kinds[i];
	return NULL;
}

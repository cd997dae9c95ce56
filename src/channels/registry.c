/*
 * registry.c: the table of channel kinds (see channel.h) and the small
 * readers of a channel's config and secrets that every adapter uses.
 */
#include <string.h>

#include "channels/channel.h"

/* clang-format off */ /* one kind a line */
static const channel_kind *const kinds[] = {
	&channel_api,
	&channel_facebook,
	&channel_instagram,
	&channel_whatsapp,
	&channel_telegram,
	&channel_mastodon,
	&channel_x,
	&channel_email,
	&channel_widget,
};
/* clang-format on */

const channel_kind *channel_find(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i]->kind, kind) == 0)
			return kinds[i];
	return NULL;
}

const channel_kind *channel_kind_at(size_t i)
{
	return i < sizeof(kinds) / sizeof(kinds[0]) ? kinds[i] : NULL;
}

const char *channel_config_string(const channel_ctx *ch, const char *name)
{
	return json_string_value(json_object_get(ch->config, name));
}

const char *channel_secret(const channel_ctx *ch, const char *name)
{
	return json_string_value(json_object_get(ch->secrets, name));
}

const char *channel_base_url(const channel_ctx *ch, const char *fallback)
{
	const char *url = channel_config_string(ch, "base_url");
	return url && *url ? url : fallback;
}

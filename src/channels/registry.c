/*
 * registry.c: the table of channel kinds (see channel.h) and the small
 * readers of a channel's config and secrets that every adapter uses.
 */
#include <stdio.h>
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

ct_err channel_fail(channel_outcome *out, int permanent, const char *why)
{
	snprintf(out->error, sizeof(out->error), "%s", why);
	out->permanent = permanent;
	return CT_ERR_IO;
}

const char *channel_needed_secret(const channel_ctx *ch, const char *name, channel_outcome *out)
{
	const char *v = channel_secret(ch, name);
	if (v && *v)
		return v;
	snprintf(out->error, sizeof(out->error), "the channel has no %s", name);
	out->permanent = 1;
	return NULL;
}

const char *channel_base_url(const channel_ctx *ch, const char *fallback)
{
	const char *url = channel_config_string(ch, "base_url");
	return url && *url ? url : fallback;
}

/*
 * channel_health.c: a channel's health on the settings pages: a badge in
 * the channels list, and on the channel's page a card with the webhook
 * address to give the platform, the last success and error, the next poll,
 * a platform's wait and the replies not yet delivered (see
 * inbox/channel_state.h for what the fields mean).
 */
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "core/timeutil.h"
#include "web/pages.h"

static const char *status_label(const char *status)
{
	if (strcmp(status, "ok") == 0)
		return _("working");
	if (strcmp(status, "error") == 0)
		return _("error");
	if (strcmp(status, "waiting") == 0)
		return _("paused by the platform");
	return _("nothing received yet");
}

void web_channel_health_badge(web_page *p, json_t *ch)
{
	json_t *health = json_object_get(ch, "health");
	const char *status = json_string_value(json_object_get(health, "status"));
	if (!status)
		return;
	html_printf(&p->h, "<span class=\"badge health-%s\">%s</span>", status,
		    status_label(status));
	long long backlog = json_integer_value(json_object_get(health, "backlog"));
	long long failed = json_integer_value(json_object_get(health, "failed"));
	char text[96];
	if (backlog) {
		snprintf(text, sizeof(text),
			 ngettext("%lld reply queued", "%lld replies queued",
				  (unsigned long)backlog),
			 backlog);
		html_printf(&p->h, " <span class=\"badge\">%s</span>", text);
	}
	if (failed) {
		snprintf(
			text, sizeof(text),
			ngettext("%lld reply failed", "%lld replies failed", (unsigned long)failed),
			failed);
		html_printf(&p->h, " <span class=\"badge overdue\">%s</span>", text);
	}
}

/* One row of the health card: label and a time field of health, if set. */
static void time_row(web_page *p, json_t *health, const char *field, const char *label)
{
	const char *when = json_string_value(json_object_get(health, field));
	int64_t ms = 0;
	if (!when || time_parse_rfc3339(when, strlen(when), &ms) != CT_OK)
		return;
	char text[64];
	web_format_time(p, ms, text, sizeof(text));
	html_printf(&p->h, "<dt>%s</dt><dd><time datetime=\"%s\">%s</time></dd>", label, when,
		    text);
}

void web_channel_health(web_page *p, json_t *ch)
{
	json_t *health = json_object_get(ch, "health");
	const char *path = json_string_value(json_object_get(ch, "webhook_path"));
	html_printf(&p->h,
		    "<section class=\"card\" aria-labelledby=\"health-h\"><h2 id=\"health-h\">%s "
		    "</h2><p>",
		    _("Connection"));
	web_channel_health_badge(p, ch);
	html_printf(&p->h, "</p><dl class=\"facts\">");
	if (path)
		html_printf(&p->h, "<dt>%s</dt><dd><code>%s%s</code></dd>", _("Webhook address"),
			    p->a->cfg.public_url, path);
	time_row(p, health, "last_ok_at", _("Last success"));
	time_row(p, health, "next_poll_at", _("Next poll"));
	time_row(p, health, "wait_until", _("The platform asked to wait until"));
	time_row(p, health, "last_error_at", _("Last error"));
	const char *error = json_string_value(json_object_get(health, "last_error"));
	if (error)
		html_printf(&p->h, "<dt>%s</dt><dd>%s</dd>", _("Error message"), error);
	html_printf(&p->h, "</dl></section>");
}

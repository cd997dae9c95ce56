/*
 * settings_channels.c: the integrations part of the settings (admins):
 * channels and API tokens.
 *
 * GET /settings/channels lists the channels (kind, name, a summary of the
 * settings, and the names of their secrets: a secret's value is sealed in
 * the store and never written into a page) with a form for a new one.
 * GET /settings/channels/{id} edits the settings as name and value pairs
 * (the adapter's known ones first, an empty value removes one) and sets,
 * replaces or removes secrets: a secret field is a password input that is
 * always empty, and left empty it keeps the secret as it is.
 *
 * GET /settings/tokens lists the API tokens (name, role, channel scope,
 * last use, revoked or not) with a form for a new one, whose token is shown
 * once on the page that answers the form; revoking needs a ticked
 * confirmation. Everything goes through inbox/ (channel_settings_*) and
 * accounts/ (tokens_*), as the JSON API does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "channels/channel.h"
#include "core/i18n.h"
#include "web/pages.h"

/* What a known setting or secret is for (plain text), or NULL. */
static const char *field_hint(const char *name)
{
	if (strcmp(name, "webhook_url") == 0)
		return _(
			"Where replies to this channel are sent (an http:// or https:// address).");
	if (strcmp(name, "webhook_secret") == 0)
		return _("Signs the webhooks in both directions (for the api channel the header "
			 "X-Cluetrain-Signature; for Telegram the secret token).");
	if (strcmp(name, "base_url") == 0)
		return _("The platform's address; leave empty for the public service (set it for "
			 "a Mastodon instance).");
	if (strcmp(name, "poll_every_s") == 0)
		return _("Seconds between two polls of the platform (1 to 86400).");
	if (strcmp(name, "access_token") == 0 || strcmp(name, "bot_token") == 0 ||
	    strcmp(name, "bearer_token") == 0)
		return _("The access token the platform issued for this account.");
	if (strcmp(name, "app_secret") == 0)
		return _("The app secret from the Meta developer dashboard: checks the "
			 "X-Hub-Signature-256 of every webhook.");
	if (strcmp(name, "verify_token") == 0)
		return _("The verify token you entered at Meta when subscribing the webhook.");
	return NULL;
}

/* A setting's value as text: a string as it is, anything else as JSON.
 * Free with free(). */
static char *value_text(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* The channels into *channels (new reference, the caller's). */
static ct_err read_channels(web_page *p, json_t **channels)
{
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = channel_settings_list(c, &p->a->key, channels);
	store_reader_release(p->a->store, c);
	return err;
}

/* One row of the channels table: name, kind, settings, secret names. */
static void channel_row(web_page *p, json_t *ch)
{
	const char *kind = json_string_value(json_object_get(ch, "kind"));
	html_printf(&p->h,
		    "<tr><th scope=\"row\"><a href=\"/settings/channels/%lld\">%s</a></th><td>",
		    (long long)json_integer_value(json_object_get(ch, "id")),
		    json_string_value(json_object_get(ch, "name")));
	web_channel_icon(p, kind);
	html_printf(&p->h, " %s</td><td><ul class=\"plain\">", kind);
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(ch, "config"), key, v)
	{
		char *text = value_text(v);
		size_t len = strlen(text), shown = len > 80 ? 80 : len;
		while (shown < len && shown && ((unsigned char)text[shown] & 0xC0) == 0x80)
			shown--; /* not inside a UTF-8 sequence */
		html_printf(&p->h, "<li><code>%s</code>: %.*s%s</li>", key, (int)shown, text,
			    shown < len ? "…" : "");
		free(text);
	}
	if (!json_object_size(json_object_get(ch, "config")))
		html_printf(&p->h, "<li class=\"muted\">%s</li>", _("none"));
	html_printf(&p->h, "</ul></td><td><ul class=\"plain\">");
	size_t i;
	json_array_foreach(json_object_get(ch, "secrets"), i, v)
		html_printf(&p->h, "<li><code>%s</code></li>", json_string_value(v));
	if (!json_array_size(json_object_get(ch, "secrets")))
		html_printf(&p->h, "<li class=\"muted\">%s</li>", _("none"));
	html_printf(&p->h, "</ul></td><td>");
	web_channel_health_badge(p, ch);
	html_printf(&p->h, "</td></tr>");
}

/* The message for a refused channel (create or update). */
static web_field_error channel_error(ct_err err, const err_detail *d)
{
	if (strcmp(d->field, "kind") == 0)
		return (web_field_error){"kind", _("Choose a kind of channel.")};
	if (strcmp(d->field, "name") == 0)
		return (web_field_error){"name",
					 err == CT_ERR_CONFLICT
						 ? _("A channel with this name exists already.")
						 : _("Enter a name of 1 to 64 characters.")};
	if (strcmp(d->field, "config.webhook_url") == 0 || strcmp(d->field, "config.base_url") == 0)
		return (web_field_error){
			strcmp(d->field, "config.base_url") == 0 ? "config.base_url"
								 : "config.webhook_url",
			_("Enter an address that begins with http:// or https://.")};
	if (strcmp(d->field, "config.poll_every_s") == 0)
		return (web_field_error){"config.poll_every_s",
					 _("Enter a whole number of seconds from 1 to 86400.")};
	if (strcmp(d->field, "secrets") == 0)
		return (web_field_error){"secrets",
					 _("A secret may have at most 8 KiB, its name at "
					   "most 64 characters.")};
	return (web_field_error){"config", _("The settings could not be saved as they are.")};
}

/* The channels page: the list and the form for a new channel. */
static void channels_page(web_page *p, int status, const web_field_error *err)
{
	json_t *channels = NULL;
	if (read_channels(p, &channels)) {
		json_decref(channels);
		web_error(p, 500, _("The channels could not be read."));
		return;
	}
	const char *columns[] = {_("Name"),       _("Kind"),
				 _("Settings"),   _("Secrets (names only)"),
				 _("Connection"), NULL};
	web_settings_open(p, "channels", _("Channels"));
	web_table_open(p, "channels-caption", _("Channels"), columns);
	size_t i;
	json_t *ch;
	json_array_foreach(channels, i, ch) channel_row(p, ch);
	web_table_close(p);
	html_printf(&p->h,
		    "<section class=\"card\" aria-labelledby=\"new-channel-h\">"
		    "<h2 id=\"new-channel-h\">%s</h2><form method=\"post\" "
		    "action=\"/settings/channels\">",
		    _("Add a channel"));
	web_csrf_field(p);
	const char *kinds[32];
	size_t n = 0;
	const channel_kind *k;
	for (i = 0; (k = channel_kind_at(i)) != NULL && n < 31; i++)
		kinds[n++] = k->kind;
	kinds[n] = NULL;
	web_select(p, "kind", _("Kind"), kinds, kinds, http_form(p->req, "kind"), err);
	web_field name = {.type = "text",
			  .name = "name",
			  .label = _("Name"),
			  .value = http_form(p->req, "name"),
			  .hint = _("Messages name their channel by it, e.g. \"shop\"."),
			  .required = 1,
			  .maxlength = 64};
	web_input(p, &name, err);
	html_printf(&p->h, "<p><button type=\"submit\">%s</button></p></form></section>",
		    _("Add channel"));
	web_settings_close(p, status);
	json_decref(channels);
}

/* GET /settings/channels */
void web_settings_channels(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	channels_page(&p, 200, NULL);
}

/* POST /settings/channels (kind, name): a new channel, then its page. */
void web_settings_channel_create(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	actor who;
	web_actor(&p, &who);
	json_t *body = json_pack("{s:s, s:s}", "kind", web_form_text(req, "kind"), "name",
				 web_form_text(req, "name"));
	err_detail d = {.index = -1};
	int64_t id = 0;
	ct_err err = channel_settings_create(p.a->store, &who, &p.a->key, body, &id, &d);
	json_decref(body);
	if (err == CT_ERR_INVALID || err == CT_ERR_CONFLICT) {
		web_field_error e = channel_error(err, &d);
		channels_page(&p, 422, &e);
	} else if (err) {
		web_error(&p, 500, _("The channel could not be saved. Try again."));
	} else {
		char to[80];
		snprintf(to, sizeof(to), "/settings/channels/%lld?done=channel-created",
			 (long long)id);
		web_go(&p, to);
	}
}

/* The posted value paired with key (fields keys and values, in order), or
 * NULL. Owned by the request. */
static const char *posted_value(http_request *req, const char *keys, const char *values,
				const char *key)
{
	const char *k;
	for (int i = 0; (k = http_form_nth(req, keys, i)); i++)
		if (strcmp(k, key) == 0)
			return http_form_nth(req, values, i);
	return NULL;
}

/* Append name to the array names unless it is there. */
static void add_name(json_t *names, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(names, i,
			   v) if (!name || strcmp(json_string_value(v), name) == 0) return;
	json_array_append_new(names, json_string(name));
}

/* Append the names of list (NULL-ended) and then those of more (an object's
 * keys or an array of strings) to names, each once. */
static void add_names(json_t *names, const char *const *list, json_t *more)
{
	for (size_t i = 0; list && list[i]; i++)
		add_name(names, list[i]);
	const char *key;
	json_t *v;
	size_t i;
	json_object_foreach(more, key, v) add_name(names, key);
	json_array_foreach(more, i, v) add_name(names, json_string_value(v));
}

/* The settings fieldset of channel ch; after a refusal (err) with the
 * posted values. */
static void config_fields(web_page *p, json_t *ch, const web_field_error *err)
{
	const channel_kind *known = channel_find(json_string_value(json_object_get(ch, "kind")));
	json_t *stored_config = json_object_get(ch, "config"), *keys = json_array(), *key;
	add_names(keys, known ? known->config_fields : NULL, stored_config);
	html_printf(&p->h, "<fieldset id=\"config\"");
	if (web_error_for(err, "config"))
		html_printf(&p->h, " aria-describedby=\"config-error\"");
	html_printf(&p->h, "><legend>%s</legend>", _("Settings"));
	web_field_message(p, err, "config");
	size_t i;
	json_array_foreach(keys, i, key)
	{
		const char *name = json_string_value(key);
		json_t *stored = json_object_get(stored_config, name);
		int is_json = stored && !json_is_string(stored);
		char *text = stored ? value_text(stored) : NULL;
		const char *value =
			err ? posted_value(p->req, "config_key", "config_value", name) : text;
		char id[32], label[128], field[80];
		snprintf(id, sizeof(id), "config-%zu", i);
		snprintf(label, sizeof(label), "%s%s", name, is_json ? " (JSON)" : "");
		snprintf(field, sizeof(field), "config.%s", name);
		web_field_error mine = {id, web_error_for(err, field)};
		web_field f = {.type = "text",
			       .name = "config_value",
			       .label = label,
			       .value = value,
			       .hint = field_hint(name),
			       .id = id};
		web_input(p, &f, &mine);
		html_printf(&p->h, "<input type=\"hidden\" name=\"config_key\" value=\"%s\">",
			    name);
		free(text);
	}
	json_decref(keys);
	html_printf(&p->h, "<div class=\"row pair\">");
	web_field nk = {.type = "text",
			.name = "config_new_key",
			.label = _("New setting: name"),
			.value = err ? http_form(p->req, "config_new_key") : NULL};
	web_field nv = {.type = "text",
			.name = "config_new_value",
			.label = _("New setting: value"),
			.value = err ? http_form(p->req, "config_new_value") : NULL};
	web_input(p, &nk, err);
	web_input(p, &nv, err);
	html_printf(&p->h, "</div><p class=\"field-hint\">%s</p></fieldset>",
		    _("An empty value removes the setting."));
}

/* The secrets fieldset of channel ch: names and whether each is set; the
 * inputs are always empty. */
static void secret_fields(web_page *p, json_t *ch, const web_field_error *err)
{
	const channel_kind *known = channel_find(json_string_value(json_object_get(ch, "kind")));
	json_t *set = json_object_get(ch, "secrets"), *names = json_array(), *name, *v;
	add_names(names, known ? known->secret_fields : NULL, set);
	html_printf(&p->h, "<fieldset id=\"secrets\"");
	if (web_error_for(err, "secrets"))
		html_printf(&p->h, " aria-describedby=\"secrets-error\"");
	html_printf(&p->h, "><legend>%s</legend><p class=\"field-hint\">%s</p>", _("Secrets"),
		    _("Secrets are stored encrypted and never shown again. Leave a field empty to "
		      "keep the secret as it is; type a new value to replace it."));
	web_field_message(p, err, "secrets");
	size_t i, k;
	json_array_foreach(names, i, name)
	{
		const char *n = json_string_value(name);
		int is_set = 0;
		json_array_foreach(set, k, v) is_set |= json_equal(v, name);
		char id[32], label[160];
		snprintf(id, sizeof(id), "secret-%zu", i);
		snprintf(label, sizeof(label), is_set ? _("%s (set)") : _("%s (not set)"), n);
		web_field f = {.type = "password",
			       .name = "secret_value",
			       .label = label,
			       .autocomplete = "new-password",
			       .hint = field_hint(n),
			       .id = id};
		web_input(p, &f, NULL);
		html_printf(&p->h, "<input type=\"hidden\" name=\"secret_name\" value=\"%s\">", n);
		if (is_set)
			html_printf(&p->h,
				    "<label class=\"check\"><input type=\"checkbox\" "
				    "name=\"secret_remove\" "
				    "value=\"%s\"> %s <code>%s</code></label>",
				    n, _("Remove the secret"), n);
	}
	json_decref(names);
	html_printf(&p->h, "<div class=\"row pair\">");
	web_field nn = {.type = "text",
			.name = "secret_new_name",
			.label = _("New secret: name"),
			.value = err ? http_form(p->req, "secret_new_name") : NULL};
	web_field nv = {.type = "password",
			.name = "secret_new_value",
			.label = _("New secret: value"),
			.autocomplete = "new-password"};
	web_input(p, &nn, err);
	web_input(p, &nv, err);
	html_printf(&p->h, "</div></fieldset>");
}

/* The page of channel id; status and err after a refusal. */
static void channel_page(web_page *p, int64_t id, int status, const web_field_error *err)
{
	json_t *ch = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err e = id ? channel_settings_get(c, &p->a->key, id, &ch) : CT_ERR_NOT_FOUND;
	store_reader_release(p->a->store, c);
	if (e) {
		web_error(p, e == CT_ERR_NOT_FOUND ? 404 : 500,
			  e == CT_ERR_NOT_FOUND ? _("There is no such channel.")
						: _("The channel could not be read."));
		return;
	}
	const char *kind = json_string_value(json_object_get(ch, "kind"));
	char title[200];
	snprintf(title, sizeof(title), _("Channel %s"),
		 json_string_value(json_object_get(ch, "name")));
	web_settings_open(p, "channels", title);
	html_printf(&p->h, "<p><span class=\"muted\">%s</span> ", _("Kind:"));
	web_channel_icon(p, kind);
	html_printf(&p->h,
		    " %s</p><form method=\"post\" action=\"/settings/channels/%lld\" "
		    "class=\"card\">",
		    kind, (long long)id);
	web_csrf_field(p);
	config_fields(p, ch, err);
	secret_fields(p, ch, err);
	html_printf(&p->h,
		    "<p class=\"actions\"><button type=\"submit\">%s</button> "
		    "<a href=\"/settings/channels\">%s</a></p></form>",
		    _("Save"), _("Cancel"));
	web_channel_health(p, ch);
	web_settings_close(p, status);
	json_decref(ch);
}

/* GET /settings/channels/{id} */
void web_settings_channel(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	channel_page(&p, http_param_id(req, 0), 200, NULL);
}

/* 1 when name ends with suffix. */
static int ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);
	return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* A setting not stored before, as the adapters read it: true/false as a
 * switch, a whole number as such when the name says it is a quantity
 * (…_s, …_bytes, …_minute), anything else as text (an account id of digits
 * stays text). Takes over text_value (the string); a new reference. */
static json_t *typed_new_value(json_t *text_value, const char *name, const char *value)
{
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
	int quantity =
		ends_with(name, "_s") || ends_with(name, "_bytes") || ends_with(name, "_minute");
	if ((json_is_integer(v) && quantity) || json_is_boolean(v)) {
		json_decref(text_value);
		return v;
	}
	json_decref(v);
	return text_value;
}

/* The posted settings as the channel's new config, typed as the stored ones
 * (text, or JSON for what was not text). NULL with *e set (field names into
 * field) when something cannot be saved. New reference. */
static json_t *posted_config(http_request *req, json_t *stored, web_field_error *e, char field[80])
{
	json_t *settings = json_object();
	const char *key, *value;
	for (int i = 0; (key = http_form_nth(req, "config_key", i)); i++) {
		value = http_form_nth(req, "config_value", i);
		if (!value || !*value)
			continue; /* removed */
		json_t *old = json_object_get(stored, key), *v = json_string(value);
		if (old && !json_is_string(old)) {
			json_decref(v);
			v = json_loads(value, JSON_DECODE_ANY, NULL);
		} else if (!old) {
			v = typed_new_value(v, key, value);
		}
		if (!v) {
			snprintf(field, 80, "config.%s", key);
			*e = (web_field_error){field, _("Enter a valid JSON value: this setting is "
							"not text.")};
			json_decref(settings);
			return NULL;
		}
		json_object_set_new(settings, key, v);
	}
	key = web_form_text(req, "config_new_key");
	value = web_form_text(req, "config_new_value");
	if (*key && *value) {
		json_object_set_new(settings, key, typed_new_value(json_string(value), key, value));
	} else if (*value) {
		*e = (web_field_error){"config_new_key", _("Give the new setting a name.")};
		json_decref(settings);
		return NULL;
	}
	return settings;
}

/* The posted secrets as changes: new values, and null for those to remove.
 * NULL with *e set when a new secret lacks its name or value. New
 * reference. */
static json_t *posted_secrets(http_request *req, web_field_error *e)
{
	json_t *secrets = json_object();
	const char *name, *value;
	for (int i = 0; (name = http_form_nth(req, "secret_name", i)); i++) {
		value = http_form_nth(req, "secret_value", i);
		if (value && *value)
			json_object_set_new(secrets, name, json_string(value));
	}
	name = web_form_text(req, "secret_new_name");
	value = web_form_text(req, "secret_new_value");
	if (*name && *value) {
		json_object_set_new(secrets, name, json_string(value));
	} else if (*name || *value) {
		*e = *name ? (web_field_error){"secret_new_value",
					       _("Enter the new secret's value.")}
			   : (web_field_error){"secret_new_name", _("Give the new secret a name.")};
		json_decref(secrets);
		return NULL;
	}
	for (int i = 0; (name = http_form_nth(req, "secret_remove", i)); i++)
		json_object_set_new(secrets, name, json_null());
	return secrets;
}

/* POST /settings/channels/{id} (config_key/config_value pairs, the new
 * setting, secret_name/secret_value pairs, the new secret, secret_remove):
 * save, then back to the channel. */
void web_settings_channel_update(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	json_t *ch = NULL;
	store_conn *c = store_reader_acquire(p.a->store);
	ct_err err = id ? channel_settings_get(c, &p.a->key, id, &ch) : CT_ERR_NOT_FOUND;
	store_reader_release(p.a->store, c);
	if (err) {
		web_error(&p, err == CT_ERR_NOT_FOUND ? 404 : 500, _("There is no such channel."));
		return;
	}
	web_field_error e = {NULL, NULL};
	char field[80];
	json_t *settings = posted_config(req, json_object_get(ch, "config"), &e, field);
	json_t *secrets = settings ? posted_secrets(req, &e) : NULL;
	json_decref(ch);
	err_detail d = {.index = -1};
	if (settings && secrets) {
		actor who;
		web_actor(&p, &who);
		json_t *body = json_pack("{s:O, s:O}", "config", settings, "secrets", secrets);
		err = channel_settings_update(p.a->store, &who, &p.a->key, id, body, &d);
		json_decref(body);
		if (err == CT_ERR_INVALID)
			e = channel_error(err, &d);
	}
	json_decref(settings);
	json_decref(secrets);
	if (e.message) {
		channel_page(&p, id, 422, &e);
	} else if (err) {
		web_error(&p, err == CT_ERR_NOT_FOUND ? 404 : 500,
			  _("The channel could not be saved. Try again."));
	} else {
		char to[80];
		snprintf(to, sizeof(to), "/settings/channels/%lld?done=channel", (long long)id);
		web_go(&p, to);
	}
}

/* --- API tokens --- */

/* The name of channel id among channels, or NULL. Borrowed. */
static const char *channel_name(json_t *channels, int64_t id)
{
	size_t i;
	json_t *ch;
	json_array_foreach(channels, i,
			   ch) if (json_integer_value(json_object_get(ch, "id")) ==
				   id) return json_string_value(json_object_get(ch, "name"));
	return NULL;
}

/* A time of t's key ("2026-...") for people, or none_label when null. */
static void time_cell(web_page *p, json_t *t, const char *key, const char *none_label)
{
	char when[48];
	web_format_time(p, web_json_time(t, key), when, sizeof(when));
	if (when[0])
		html_printf(&p->h, "<td><time datetime=\"%s\">%s</time></td>",
			    json_string_value(json_object_get(t, key)), when);
	else
		html_printf(&p->h, "<td class=\"muted\">%s</td>", none_label);
}

/* The revoke control of token t: a ticked confirmation, then the button;
 * open with the error after a refusal. */
static void revoke_form(web_page *p, json_t *t, const web_field_error *err)
{
	long long id = (long long)json_integer_value(json_object_get(t, "id"));
	char field[32];
	snprintf(field, sizeof(field), "confirm-%lld", id);
	html_printf(&p->h,
		    "<details class=\"revoke\"%s><summary>%s<span class=\"sr\"> %s</span></summary>"
		    "<form method=\"post\" action=\"/settings/tokens/%lld/revoke\">",
		    web_error_for(err, field) ? " open" : "", _("Revoke"),
		    json_string_value(json_object_get(t, "name")), id);
	web_csrf_field(p);
	web_field_message(p, err, field);
	html_printf(&p->h,
		    "<label class=\"check\"><input type=\"checkbox\" id=\"%s\" name=\"confirm\" "
		    "value=\"yes\" required",
		    field);
	web_field_attrs(p, err, field, 0);
	html_printf(&p->h,
		    "> %s</label><button type=\"submit\" class=\"danger\">%s</button></form>"
		    "</details>",
		    _("Yes, integrations using this token are refused from now on"),
		    _("Revoke token"));
}

/* One row of the tokens table, with the revoke control while the token
 * works; channels (channel_settings_list) gives channel names. */
static void token_row(web_page *p, json_t *t, json_t *channels, const web_field_error *err)
{
	json_t *channel = json_object_get(t, "channel_id");
	const char *scope = json_is_integer(channel)
				    ? channel_name(channels, json_integer_value(channel))
				    : _("all channels");
	html_printf(&p->h, "<tr><th scope=\"row\">%s</th><td>%s</td><td>%s</td>",
		    json_string_value(json_object_get(t, "name")),
		    web_role_label(json_string_value(json_object_get(t, "role"))),
		    scope ? scope : "?");
	time_cell(p, t, "created_at", "");
	time_cell(p, t, "last_used_at", _("never"));
	if (!json_is_null(json_object_get(t, "revoked_at"))) {
		char when[48];
		web_format_time(p, web_json_time(t, "revoked_at"), when, sizeof(when));
		html_printf(&p->h, "<td><span class=\"badge off\">%s</span> %s</td></tr>",
			    _("revoked"), when);
		return;
	}
	html_printf(&p->h, "<td><span class=\"badge\">%s</span> ", _("active"));
	revoke_form(p, t, err);
	html_printf(&p->h, "</td></tr>");
}

/* The message for a refused token (tokens_create). */
static web_field_error token_error(const err_detail *d)
{
	if (strcmp(d->field, "role") == 0)
		return (web_field_error){"role", _("Choose a role from the list.")};
	if (strcmp(d->field, "channel_id") == 0)
		return (web_field_error){"channel_id", _("Choose a channel from the list.")};
	return (web_field_error){"name", _("Enter a name of 1 to 128 characters.")};
}

/* The channel scope select of the new-token form. */
static void scope_select(web_page *p, json_t *channels, const web_field_error *err)
{
	const char *chosen = web_form_text(p->req, "channel_id");
	html_printf(
		&p->h,
		"<div class=\"field\"><label for=\"channel_id\">%s</label>"
		"<p class=\"field-hint\" id=\"channel_id-hint\">%s</p>",
		_("Channel"),
		_("A token for one channel may only ingest into it and read its conversations."));
	web_field_message(p, err, "channel_id");
	html_printf(&p->h, "<select id=\"channel_id\" name=\"channel_id\"");
	web_field_attrs(p, err, "channel_id", 1);
	html_printf(&p->h, "><option value=\"\">%s</option>", _("All channels"));
	size_t i;
	json_t *ch;
	json_array_foreach(channels, i, ch)
	{
		long long id = (long long)json_integer_value(json_object_get(ch, "id"));
		char value[32];
		snprintf(value, sizeof(value), "%lld", id);
		html_printf(&p->h, "<option value=\"%lld\"%s>%s</option>", id,
			    strcmp(chosen, value) == 0 ? " selected" : "",
			    json_string_value(json_object_get(ch, "name")));
	}
	html_printf(&p->h, "</select></div>");
}

/* The tokens page: the list and the form for a new token. */
static void tokens_page(web_page *p, int status, const web_field_error *err)
{
	json_t *tokens = NULL, *channels = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err e = tokens_list(c, &tokens);
	if (!e)
		e = channel_settings_list(c, &p->a->key, &channels);
	store_reader_release(p->a->store, c);
	if (e) {
		json_decref(tokens);
		json_decref(channels);
		web_error(p, 500, _("The tokens could not be read."));
		return;
	}
	const char *columns[] = {_("Name"),      _("Role"),   _("Channel"), _("Created"),
				 _("Last used"), _("Status"), NULL};
	web_settings_open(p, "tokens", _("API tokens"));
	web_table_open(p, "tokens-caption", _("API tokens"), columns);
	size_t i;
	json_t *t;
	json_array_foreach(tokens, i, t) token_row(p, t, channels, err);
	if (!json_array_size(tokens))
		html_printf(&p->h, "<tr><td colspan=\"6\" class=\"muted\">%s</td></tr>",
			    _("No tokens yet."));
	web_table_close(p);
	html_printf(
		&p->h,
		"<section class=\"card\" aria-labelledby=\"new-token-h\">"
		"<h2 id=\"new-token-h\">%s</h2><form method=\"post\" action=\"/settings/tokens\">",
		_("Add a token"));
	web_csrf_field(p);
	web_field name = {.type = "text",
			  .name = "name",
			  .label = _("Name"),
			  .value = http_form(p->req, "name"),
			  .hint = _("Which integration uses it, e.g. \"CRM\"."),
			  .required = 1,
			  .maxlength = 128};
	web_input(p, &name, err);
	web_role_select(p, "role", http_form(p->req, "role"), err);
	scope_select(p, channels, err);
	html_printf(&p->h,
		    "<p class=\"field-hint\">%s</p><p><button type=\"submit\">%s</button></p>"
		    "</form></section>",
		    _("The token is shown once, on the next page."), _("Add token"));
	web_settings_close(p, status);
	json_decref(tokens);
	json_decref(channels);
}

/* GET /settings/tokens */
void web_settings_tokens(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	tokens_page(&p, 200, NULL);
}

/* POST /settings/tokens (name, role, channel_id): a new token, shown once. */
void web_settings_token_create(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	actor who;
	web_actor(&p, &who);
	const char *channel = web_form_text(req, "channel_id");
	json_t *scope = json_null();
	if (*channel) {
		json_t *ids = web_form_ids(req, "channel_id");
		scope = json_incref(json_array_get(ids, 0));
		json_decref(ids);
	}
	json_t *body = json_pack("{s:s, s:s, s:o}", "name", web_form_text(req, "name"), "role",
				 web_form_text(req, "role"), "channel_id", scope);
	err_detail d = {.index = -1};
	char token[64];
	int64_t id = 0;
	ct_err err = tokens_create(p.a->store, &who, body, token, &id, &d);
	json_decref(body);
	if (err == CT_ERR_INVALID) {
		web_field_error e = token_error(&d);
		tokens_page(&p, 422, &e);
		return;
	}
	if (err) {
		web_error(&p, 500, _("The token could not be saved. Try again."));
		return;
	}
	web_settings_open(&p, "tokens", _("Token added"));
	html_printf(
		&p.h,
		"<section class=\"card once\" aria-labelledby=\"once-h\"><h2 id=\"once-h\">%s</h2>"
		"<p>%s</p><p><code class=\"secret\" id=\"new-token\">%s</code></p>"
		"<p class=\"flash warn\">%s</p><p><a class=\"button\" href=\"/settings/tokens\">%s"
		"</a></p></section>",
		web_form_text(req, "name"),
		_("The integration sends it in the header Authorization: Bearer …"), token,
		_("Copy the token now: it is shown only this once. Only a hash of it is kept."),
		_("Back to the tokens"));
	web_settings_close(&p, 200);
}

/* POST /settings/tokens/{id}/revoke (confirm=yes): revoke, then back to the
 * list; without the confirmation the list with an error at the token. */
void web_settings_token_revoke(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	const char *confirm = web_form_text(req, "confirm");
	if (strcmp(confirm, "yes") != 0) {
		char field[32];
		snprintf(field, sizeof(field), "confirm-%lld", (long long)id);
		web_field_error e = {field,
				     _("Tick the box to confirm that the token stops working.")};
		tokens_page(&p, 422, &e);
		return;
	}
	actor who;
	web_actor(&p, &who);
	ct_err err = id ? tokens_revoke(p.a->store, &who, id) : CT_ERR_NOT_FOUND;
	if (err)
		web_error(&p, err == CT_ERR_NOT_FOUND ? 404 : 500,
			  err == CT_ERR_NOT_FOUND
				  ? _("There is no such token.")
				  : _("The token could not be revoked. Try again."));
	else
		web_go(&p, "/settings/tokens?done=token-revoked");
}

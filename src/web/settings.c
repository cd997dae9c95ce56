/*
 * settings.c: what the settings and profile pages share (see pages.h) and
 * the teams pages.
 *
 * The shared parts: the settings frame with its sub-navigation (users,
 * teams, channels, API tokens for admins; the dialog concept for admins and
 * supervisors), the short confirmation a page shows after a
 * form redirected back to it (?done=..., from a fixed list, so no text from
 * the address is ever shown), and form fields that carry their label, hint
 * and error: an error is a paragraph with role="alert" right above its
 * field, which points to it with aria-describedby and aria-invalid.
 *
 * The teams pages (admins): GET /settings/teams lists the teams with their
 * members and offers a form for a new one; GET /settings/teams/{id} renames
 * a team and sets its members. Everything goes through accounts/ (teams_*),
 * as the JSON API does, so the same rules and audit entries apply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/i18n.h"
#include "web/pages.h"

void web_go(web_page *p, const char *path)
{
	html_free(&p->h);
	http_redirect(p->res, path);
	i18n_use(NULL);
}

const char *web_role_label(const char *role)
{
	if (!role)
		return "";
	if (strcmp(role, "admin") == 0)
		return _("Administrator");
	if (strcmp(role, "supervisor") == 0)
		return _("Supervisor");
	if (strcmp(role, "agent") == 0)
		return _("Agent");
	if (strcmp(role, "viewer") == 0)
		return _("Viewer");
	return role;
}

const char *web_language_label(const char *lang)
{
	return lang && strcmp(lang, "en") == 0 ? "English" : "Deutsch";
}

void web_done_message(web_page *p)
{
	static const char *const keys[] = {"user",     "team-created",
					   "team",     "channel-created",
					   "channel",  "token-revoked",
					   "language", "totp-off",
					   "away",     NULL};
	const char *messages[] = {
		_("The user was saved."),
		_("The team was created."),
		_("The team was saved."),
		_("The channel was created. Fill in its settings below."),
		_("The channel was saved."),
		_("The token was revoked. Integrations using it are refused now."),
		_("Your language was saved."),
		_("The second factor is off."),
		_("Your availability was saved.")};
	const char *done = http_query(p->req, "done");
	for (size_t i = 0; done && keys[i]; i++)
		if (strcmp(done, keys[i]) == 0)
			html_printf(&p->h, "<p class=\"flash ok\" role=\"status\">%s</p>",
				    messages[i]);
}

void web_settings_open(web_page *p, const char *section, const char *title)
{
	static const char *const keys[] = {"users", "teams", "channels", "tokens", "concept"};
	const char *labels[] = {_("Users"), _("Teams"), _("Channels"), _("API tokens"),
				_("Dialog concept")};
	/* Supervisors manage the concept only; the rest is for admins. */
	static const int roles[] = {ROLE_ADMIN, ROLE_ADMIN, ROLE_ADMIN, ROLE_ADMIN, ROLES_MANAGE};
	web_open(p, title, "settings");
	html_printf(&p->h,
		    "<div class=\"page settings\"><nav class=\"subnav\" aria-label=\"%s\"><ul>",
		    _("Settings"));
	for (size_t i = 0; i < 5; i++) {
		if (!(p->who->role & roles[i]))
			continue;
		/* Markup cannot pass through %s (it is escaped): two formats. */
		if (strcmp(section, keys[i]) == 0)
			html_printf(
				&p->h,
				"<li><a href=\"/settings/%s\" aria-current=\"page\">%s</a></li>",
				keys[i], labels[i]);
		else
			html_printf(&p->h, "<li><a href=\"/settings/%s\">%s</a></li>", keys[i],
				    labels[i]);
	}
	html_printf(&p->h, "</ul></nav><h1>%s</h1>", title);
	web_done_message(p);
}

void web_settings_close(web_page *p, int status)
{
	html_printf(&p->h, "</div>");
	web_close(p);
	web_send(p, status);
}

void web_table_open(web_page *p, const char *id, const char *caption, const char *const *columns)
{
	html_printf(
		&p->h,
		"<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-labelledby=\"%s\">"
		"<table><caption id=\"%s\" class=\"sr\">%s</caption><thead><tr>",
		id, id, caption);
	for (size_t i = 0; columns[i]; i++)
		html_printf(&p->h, "<th scope=\"col\">%s</th>", columns[i]);
	html_printf(&p->h, "</tr></thead><tbody>");
}

void web_table_close(web_page *p)
{
	html_printf(&p->h, "</tbody></table></div>");
}

ct_err web_read_people(web_page *p, json_t **users, json_t **teams)
{
	*users = *teams = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = users_list(c, users);
	if (!err)
		err = teams_list(c, teams);
	store_reader_release(p->a->store, c);
	if (err) {
		json_decref(*users);
		json_decref(*teams);
		*users = *teams = NULL;
		web_error(p, 500, _("The users and teams could not be read."));
	}
	return err;
}

const char *web_error_for(const web_field_error *err, const char *field)
{
	return err && err->field && err->message && strcmp(err->field, field) == 0 ? err->message
										   : NULL;
}

void web_field_message(web_page *p, const web_field_error *err, const char *id)
{
	const char *message = web_error_for(err, id);
	if (message)
		html_printf(&p->h, "<p class=\"field-error\" id=\"%s-error\" role=\"alert\">%s</p>",
			    id, message);
}

void web_field_attrs(web_page *p, const web_field_error *err, const char *id, int hint)
{
	int bad = web_error_for(err, id) != NULL;
	if (bad)
		html_printf(&p->h, " aria-invalid=\"true\"");
	if (bad || hint)
		html_printf(&p->h, " aria-describedby=\"");
	if (hint)
		html_printf(&p->h, "%s-hint%s", id, bad ? " " : "");
	if (bad)
		html_printf(&p->h, "%s-error", id);
	if (bad || hint)
		html_printf(&p->h, "\"");
}

void web_input(web_page *p, const web_field *f, const web_field_error *err)
{
	const char *id = f->id ? f->id : f->name;
	html_printf(&p->h, "<div class=\"field\"><label for=\"%s\">%s</label>", id, f->label);
	if (f->hint)
		html_printf(&p->h, "<p class=\"field-hint\" id=\"%s-hint\">%s</p>", id, f->hint);
	web_field_message(p, err, id);
	html_printf(&p->h,
		    "<input type=\"%s\" id=\"%s\" name=\"%s\" value=\"%s\" autocomplete=\"%s\"",
		    f->type, id, f->name, f->value ? f->value : "",
		    f->autocomplete ? f->autocomplete : "off");
	if (f->required)
		html_printf(&p->h, " required");
	if (f->maxlength)
		html_printf(&p->h, " maxlength=\"%d\"", f->maxlength);
	web_field_attrs(p, err, id, f->hint != NULL);
	html_printf(&p->h, "></div>");
}

void web_select(web_page *p, const char *name, const char *label, const char *const *values,
		const char *const *labels, const char *selected, const web_field_error *err)
{
	html_printf(&p->h, "<div class=\"field\"><label for=\"%s\">%s</label>", name, label);
	web_field_message(p, err, name);
	html_printf(&p->h, "<select id=\"%s\" name=\"%s\"", name, name);
	web_field_attrs(p, err, name, 0);
	html_printf(&p->h, ">");
	for (size_t i = 0; values[i]; i++)
		html_printf(&p->h, "<option value=\"%s\"%s>%s</option>", values[i],
			    selected && strcmp(selected, values[i]) == 0 ? " selected" : "",
			    labels[i]);
	html_printf(&p->h, "</select></div>");
}

void web_language_select(web_page *p, const char *name, const char *selected,
			 const web_field_error *err)
{
	static const char *const values[] = {"de", "en", NULL};
	static const char *const labels[] = {"Deutsch", "English"};
	web_select(p, name, _("Language"), values, labels, selected ? selected : "de", err);
}

void web_role_select(web_page *p, const char *name, const char *selected,
		     const web_field_error *err)
{
	const char *labels[] = {web_role_label("admin"), web_role_label("supervisor"),
				web_role_label("agent"), web_role_label("viewer")};
	web_select(p, name, _("Role"), account_roles, labels, selected ? selected : "agent", err);
}

/* Is id in the JSON array of ids? */
static int has_id(json_t *ids, json_int_t id)
{
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) if (json_integer_value(v) == id) return 1;
	return 0;
}

void web_checkboxes(web_page *p, const char *name, const char *legend, json_t *rows,
		    json_t *checked, const char *none, const web_field_error *err)
{
	html_printf(&p->h, "<fieldset class=\"checks\" id=\"%s\"", name);
	if (web_error_for(err, name))
		html_printf(&p->h, " aria-describedby=\"%s-error\"", name);
	html_printf(&p->h, "><legend>%s</legend>", legend);
	web_field_message(p, err, name);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		json_int_t id = json_integer_value(json_object_get(row, "id"));
		html_printf(&p->h,
			    "<label class=\"check\"><input type=\"checkbox\" name=\"%s\" "
			    "value=\"%lld\"%s>"
			    " %s</label>",
			    name, (long long)id, has_id(checked, id) ? " checked" : "",
			    json_string_value(json_object_get(row, "name")));
	}
	if (!json_array_size(rows))
		html_printf(&p->h, "<p class=\"muted\">%s</p>", none);
	html_printf(&p->h, "</fieldset>");
}

json_t *web_form_ids(http_request *req, const char *name)
{
	json_t *ids = json_array();
	const char *v;
	for (int i = 0; (v = http_form_nth(req, name, i)); i++) {
		char *end = NULL;
		long long id = strtoll(v, &end, 10);
		json_array_append_new(ids, json_integer(end && *end == '\0' && id > 0 ? id : -1));
	}
	return ids;
}

const char *web_form_text(http_request *req, const char *name)
{
	const char *v = http_form(req, name);
	return v ? v : "";
}

/* --- Teams --- */

/* The names of the users in ids (an array of user ids), comma-separated,
 * from users (users_list). */
static void member_names(web_page *p, json_t *ids, json_t *users)
{
	size_t i, k, shown = 0;
	json_t *id, *u;
	json_array_foreach(ids, i, id) json_array_foreach(users, k, u)
	{
		if (json_integer_value(json_object_get(u, "id")) != json_integer_value(id))
			continue;
		html_printf(&p->h, "%s<a href=\"/settings/users/%lld\">%s</a>", shown++ ? ", " : "",
			    (long long)json_integer_value(id),
			    json_string_value(json_object_get(u, "name")));
	}
	if (!shown)
		html_printf(&p->h, "<span class=\"muted\">%s</span>", _("nobody yet"));
}

/* The message for a refused team (teams_create, teams_update). */
static web_field_error team_error(ct_err err, const err_detail *d)
{
	web_field_error e = {"name", _("Enter a name of 1 to 100 characters.")};
	if (err == CT_ERR_CONFLICT)
		e.message = _("A team with this name exists already.");
	else if (strcmp(d->field, "members") == 0)
		e = (web_field_error){"members", _("Choose members from the list.")};
	return e;
}

/* The teams page: the list and the form for a new team (with the posted
 * name and err after a refusal). */
static void teams_page(web_page *p, int status, const web_field_error *err)
{
	json_t *teams, *users;
	if (web_read_people(p, &users, &teams))
		return;
	const char *columns[] = {_("Team"), _("Members"), NULL};
	web_settings_open(p, "teams", _("Teams"));
	web_table_open(p, "teams-caption", _("Teams"), columns);

	size_t i;
	json_t *t;
	json_array_foreach(teams, i, t)
	{
		html_printf(
			&p->h,
			"<tr><th scope=\"row\"><a href=\"/settings/teams/%lld\">%s</a></th><td>",
			(long long)json_integer_value(json_object_get(t, "id")),
			json_string_value(json_object_get(t, "name")));
		member_names(p, json_object_get(t, "members"), users);
		html_printf(&p->h, "</td></tr>");
	}
	if (!json_array_size(teams))
		html_printf(&p->h, "<tr><td colspan=\"2\" class=\"muted\">%s</td></tr>",
			    _("No teams yet."));
	web_table_close(p);
	html_printf(
		&p->h,
		"<section class=\"card\" aria-labelledby=\"new-team-h\">"
		"<h2 id=\"new-team-h\">%s</h2><form method=\"post\" action=\"/settings/teams\">",
		_("Add a team"));
	web_csrf_field(p);
	web_field name = {.type = "text",
			  .name = "name",
			  .label = _("Name"),
			  .value = http_form(p->req, "name"),
			  .required = 1,
			  .maxlength = 100};
	web_input(p, &name, err);
	html_printf(&p->h, "<p><button type=\"submit\">%s</button></p></form></section>",
		    _("Add team"));
	web_settings_close(p, status);
	json_decref(teams);
	json_decref(users);
}

/* GET /settings/teams */
void web_settings_teams(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	teams_page(&p, 200, NULL);
}

/* POST /settings/teams (name): a new team, then back to the list. */
void web_settings_team_create(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	actor who;
	web_actor(&p, &who);
	json_t *body = json_pack("{s:s}", "name", web_form_text(req, "name"));
	err_detail d = {.index = -1};
	int64_t id = 0;
	ct_err err = teams_create(p.a->store, &who, body, &id, &d);
	json_decref(body);
	if (err == CT_ERR_INVALID || err == CT_ERR_CONFLICT) {
		web_field_error e = team_error(err, &d);
		teams_page(&p, 422, &e);
	} else if (err) {
		web_error(&p, 500, _("The team could not be saved. Try again."));
	} else {
		web_go(&p, "/settings/teams?done=team-created");
	}
}

/* The team id of teams (teams_list), borrowed, or NULL. */
static json_t *find_team(json_t *teams, int64_t id)
{
	size_t i;
	json_t *t;
	json_array_foreach(teams, i,
			   t) if (json_integer_value(json_object_get(t, "id")) == id) return t;
	return NULL;
}

/* The page of team id: rename and members. After a refusal (err) the
 * posted values are shown again. */
static void team_page(web_page *p, int64_t id, int status, const web_field_error *err)
{
	json_t *teams, *users, *team;
	if (web_read_people(p, &users, &teams))
		return;
	if (!(team = find_team(teams, id))) {
		json_decref(teams);
		json_decref(users);
		web_error(p, 404, _("There is no such team."));
		return;
	}
	const char *name = json_string_value(json_object_get(team, "name"));
	json_t *members = json_incref(json_object_get(team, "members"));
	if (err) {
		name = web_form_text(p->req, "name");
		json_decref(members);
		members = web_form_ids(p->req, "members");
	}
	char title[300];
	snprintf(title, sizeof(title), _("Team %s"),
		 json_string_value(json_object_get(team, "name")));
	web_settings_open(p, "teams", title);
	html_printf(&p->h, "<form method=\"post\" action=\"/settings/teams/%lld\" class=\"card\">",
		    (long long)id);
	web_csrf_field(p);
	web_field f = {.type = "text",
		       .name = "name",
		       .label = _("Name"),
		       .value = name,
		       .required = 1,
		       .maxlength = 100};
	web_input(p, &f, err);
	web_checkboxes(p, "members", _("Members"), users, members, _("No users yet."), err);
	html_printf(&p->h,
		    "<input type=\"hidden\" name=\"members_shown\" value=\"1\">"
		    "<p class=\"actions\"><button type=\"submit\">%s</button> <a "
		    "href=\"/settings/teams\">"
		    "%s</a></p></form>",
		    _("Save"), _("Cancel"));
	web_settings_close(p, status);
	json_decref(members);
	json_decref(teams);
	json_decref(users);
}

/* GET /settings/teams/{id} */
void web_settings_team(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	team_page(&p, http_param_id(req, 0), 200, NULL);
}

/* POST /settings/teams/{id} (name, members): rename and set the members. */
void web_settings_team_update(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	actor who;
	web_actor(&p, &who);
	json_t *body = json_pack("{s:s}", "name", web_form_text(req, "name"));
	if (http_form(req, "members_shown"))
		json_object_set_new(body, "members", web_form_ids(req, "members"));
	err_detail d = {.index = -1};
	ct_err err = id ? teams_update(p.a->store, &who, id, body, &d) : CT_ERR_NOT_FOUND;
	json_decref(body);
	if (err == CT_ERR_INVALID || err == CT_ERR_CONFLICT) {
		web_field_error e = team_error(err, &d);
		team_page(&p, id, 422, &e);
	} else if (err == CT_ERR_NOT_FOUND) {
		web_error(&p, 404, _("There is no such team."));
	} else if (err) {
		web_error(&p, 500, _("The team could not be saved. Try again."));
	} else {
		web_go(&p, "/settings/teams?done=team");
	}
}

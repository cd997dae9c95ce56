/*
 * settings_users.c: the users pages of the settings (admins).
 *
 * GET /settings/users lists everyone who may sign in (name, e-mail, role,
 * active or disabled, second factor, language, teams) with a form for a new
 * user; the new user's password is generated and shown once, on the page
 * that answers the form (it is never stored in clear and never put in an
 * address). GET /settings/users/{id} changes a user's name, role, status,
 * language and teams, and can remove a second factor whose phone was lost.
 *
 * Everything goes through accounts/ (users_*), as the JSON API does: the
 * same checks (the last active admin stays), the same audit entries, and a
 * disabled user's sessions end at once. A refused form comes back with what
 * was typed and the message next to the field (422); nothing is changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/i18n.h"
#include "web/pages.h"

/* The names of the teams in ids (team ids), comma-separated. */
static void team_names(web_page *p, json_t *ids, json_t *teams)
{
	size_t i, k, shown = 0;
	json_t *id, *t;
	json_array_foreach(teams, k, t) json_array_foreach(ids, i, id)
	{
		if (json_integer_value(json_object_get(t, "id")) == json_integer_value(id))
			html_printf(&p->h, "%s%s", shown++ ? ", " : "",
				    json_string_value(json_object_get(t, "name")));
	}
	if (!shown)
		html_printf(&p->h, "<span class=\"muted\">%s</span>", _("none"));
}

/* One row of the users table; teams (teams_list) gives the team names. */
static void user_row(web_page *p, json_t *u, json_t *teams)
{
	int active = json_is_true(json_object_get(u, "active"));
	int totp = json_is_true(json_object_get(u, "totp_enabled"));
	html_printf(&p->h,
		    "<tr><th scope=\"row\"><a href=\"/settings/users/%lld\">%s</a></th><td>%s</td>"
		    "<td>%s</td><td><span class=\"badge%s\">%s</span></td><td>%s</td>"
		    "<td lang=\"%s\">%s</td><td>",
		    (long long)json_integer_value(json_object_get(u, "id")),
		    json_string_value(json_object_get(u, "name")),
		    json_string_value(json_object_get(u, "email")),
		    web_role_label(json_string_value(json_object_get(u, "role"))),
		    active ? "" : " off", active ? _("active") : _("disabled"),
		    totp ? _("on") : _("off"), json_string_value(json_object_get(u, "locale")),
		    web_language_label(json_string_value(json_object_get(u, "locale"))));
	team_names(p, json_object_get(u, "teams"), teams);
	html_printf(&p->h, "</td></tr>");
}

/* The message for a refused user (users_create, users_update). */
static web_field_error user_error(ct_err err, const err_detail *d)
{
	const char *f = d->field;
	if (strcmp(f, "email") == 0)
		return (web_field_error){
			"email", err == CT_ERR_CONFLICT
					 ? _("A user with this e-mail address exists already.")
					 : _("Enter an e-mail address such as name@example.org.")};
	if (err == CT_ERR_CONFLICT && (strcmp(f, "role") == 0 || strcmp(f, "active") == 0))
		return (web_field_error){f, _("This is the last active administrator. Make someone "
					      "else an administrator first.")};
	if (strcmp(f, "role") == 0)
		return (web_field_error){"role", _("Choose a role from the list.")};
	if (strcmp(f, "locale") == 0)
		return (web_field_error){"locale", _("Choose German or English.")};
	if (strcmp(f, "teams") == 0)
		return (web_field_error){"teams", _("Choose teams from the list.")};
	if (strcmp(f, "active") == 0)
		return (web_field_error){"active", _("Choose active or disabled.")};
	if (strcmp(f, "capacity") == 0)
		return (web_field_error){"capacity",
					 _("Enter a number from 0 to 10000, or leave it empty.")};
	return (web_field_error){"name", _("Enter a name of 1 to 200 characters.")};
}

/* The form for a new user, with the posted values after a refusal. */
static void new_user_form(web_page *p, json_t *teams, const web_field_error *err)
{
	http_request *req = p->req;
	html_printf(
		&p->h,
		"<section class=\"card\" aria-labelledby=\"new-user-h\"><h2 id=\"new-user-h\">%s"
		"</h2><form method=\"post\" action=\"/settings/users\">",
		_("Add a user"));
	web_csrf_field(p);
	web_field name = {.type = "text",
			  .name = "name",
			  .label = _("Name"),
			  .value = http_form(req, "name"),
			  .required = 1,
			  .maxlength = 200};
	web_field email = {.type = "email",
			   .name = "email",
			   .label = _("E-mail address"),
			   .value = http_form(req, "email"),
			   .hint = _("They sign in with it; it cannot be changed later."),
			   .required = 1,
			   .maxlength = 254};
	web_input(p, &name, err);
	web_input(p, &email, err);
	web_role_select(p, "role", http_form(req, "role"), err);
	web_language_select(p, "locale", http_form(req, "locale"), err);
	json_t *checked = web_form_ids(req, "teams");
	web_checkboxes(p, "teams", _("Teams"), teams, checked, _("No teams yet."), err);
	json_decref(checked);
	html_printf(&p->h,
		    "<p class=\"field-hint\">%s</p><p><button type=\"submit\">%s</button></p>"
		    "</form></section>",
		    _("A password is made for the new user and shown once, on the next page."),
		    _("Add user"));
}

/* The users page: the list and the new-user form (err after a refusal). */
static void users_page(web_page *p, int status, const web_field_error *err)
{
	json_t *users, *teams;
	if (web_read_people(p, &users, &teams))
		return;
	const char *columns[] = {_("Name"),          _("E-mail address"), _("Role"),  _("Status"),
				 _("Second factor"), _("Language"),       _("Teams"), NULL};
	web_settings_open(p, "users", _("Users"));
	web_table_open(p, "users-caption", _("Users"), columns);
	size_t i;
	json_t *u;
	json_array_foreach(users, i, u) user_row(p, u, teams);
	web_table_close(p);
	new_user_form(p, teams, err);
	web_settings_close(p, status);
	json_decref(users);
	json_decref(teams);
}

/* GET /settings/users */
void web_settings_users(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	users_page(&p, 200, NULL);
}

/* The page after a user was made: the generated password, this once. */
static void created_page(web_page *p, int64_t id, const char *password)
{
	const char *name = web_form_text(p->req, "name");
	web_settings_open(p, "users", _("User added"));
	html_printf(
		&p->h,
		"<section class=\"card once\" aria-labelledby=\"once-h\"><h2 id=\"once-h\">%s</h2>"
		"<p>%s</p><p><code class=\"secret\" id=\"new-password\">%s</code></p>"
		"<p class=\"flash warn\">%s</p><p class=\"actions\">"
		"<a class=\"button\" href=\"/settings/users\">%s</a> "
		"<a href=\"/settings/users/%lld\">%s</a></p></section>",
		name, _("They can sign in now with this password:"), password,
		_("The password is shown only this once. Pass it on by a safe way; they can "
		  "change it in their profile."),
		_("Back to the users"), (long long)id, _("Edit this user"));
	web_settings_close(p, 200);
}

/* POST /settings/users (name, email, role, locale, teams): a new user with a
 * generated password, shown once. */
void web_settings_user_create(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	actor who;
	web_actor(&p, &who);
	json_t *body =
		json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", web_form_text(req, "name"), "email",
			  web_form_text(req, "email"), "role", web_form_text(req, "role"), "locale",
			  http_form(req, "locale") ? http_form(req, "locale") : "de", "teams",
			  web_form_ids(req, "teams"));
	err_detail d = {.index = -1};
	char password[32] = "";
	int64_t id = 0;
	ct_err err = users_create(p.a->store, &who, body, password, &id, &d);
	json_decref(body);
	if (err == CT_ERR_INVALID || err == CT_ERR_CONFLICT) {
		web_field_error e = user_error(err, &d);
		users_page(&p, 422, &e);
	} else if (err) {
		web_error(&p, 500, _("The user could not be saved. Try again."));
	} else {
		created_page(&p, id, password);
	}
}

/* Routing: away, and how many open conversations the user takes (the
 * working hours are set through the API, PATCH /api/v1/users/{id}). */
static void routing_fields(web_page *p, json_t *u, const web_field_error *err)
{
	int away = json_is_true(json_object_get(u, "away"));
	json_t *cap = json_object_get(u, "capacity");
	char capacity[24] = "";
	if (json_is_integer(cap))
		snprintf(capacity, sizeof(capacity), "%lld", (long long)json_integer_value(cap));
	const char *value = err ? web_form_text(p->req, "capacity") : capacity;
	if (err)
		away = http_form(p->req, "away") != NULL;
	html_printf(&p->h,
		    "<fieldset class=\"checks\"><legend>%s</legend><label class=\"check\">"
		    "<input type=\"checkbox\" name=\"away\" value=\"yes\"%s> %s</label>"
		    "<input type=\"hidden\" name=\"routing_shown\" value=\"1\"></fieldset>",
		    _("Routing"), away ? " checked" : "",
		    _("Away: the dialog concept assigns no new conversations"));
	web_field f = {.type = "number",
		       .name = "capacity",
		       .label = _("Open conversations at most"),
		       .hint = _("Empty: the team's limit from the dialog concept; 0: no limit."),
		       .value = value,
		       .maxlength = 5};
	web_input(p, &f, err);
}

/* The edit form of user u (users_get); after a refusal (err) with the
 * posted values instead of the stored ones. */
static void user_form(web_page *p, json_t *u, json_t *teams, const web_field_error *err)
{
	http_request *req = p->req;
	int64_t id = json_integer_value(json_object_get(u, "id"));
	const char *name = json_string_value(json_object_get(u, "name"));
	const char *role = json_string_value(json_object_get(u, "role"));
	const char *locale = json_string_value(json_object_get(u, "locale"));
	int active = json_is_true(json_object_get(u, "active"));
	json_t *checked = json_incref(json_object_get(u, "teams"));
	if (err) {
		name = web_form_text(req, "name");
		role = web_form_text(req, "role");
		locale = web_form_text(req, "locale");
		active = strcmp(web_form_text(req, "active"), "no") != 0;
		json_decref(checked);
		checked = web_form_ids(req, "teams");
	}
	html_printf(&p->h,
		    "<form method=\"post\" action=\"/settings/users/%lld\" class=\"card\">"
		    "<p><span class=\"muted\">%s</span> %s</p>",
		    (long long)id, _("E-mail address:"),
		    json_string_value(json_object_get(u, "email")));
	web_csrf_field(p);
	web_field f = {.type = "text",
		       .name = "name",
		       .label = _("Name"),
		       .value = name,
		       .required = 1,
		       .maxlength = 200};
	web_input(p, &f, err);
	web_role_select(p, "role", role, err);
	html_printf(&p->h, "<fieldset class=\"checks\" id=\"active\"");
	if (web_error_for(err, "active"))
		html_printf(&p->h, " aria-describedby=\"active-error\"");
	html_printf(&p->h, "><legend>%s</legend>", _("Account"));
	web_field_message(p, err, "active");
	html_printf(
		&p->h,
		"<label class=\"check\"><input type=\"radio\" name=\"active\" value=\"yes\"%s> %s"
		"</label><label class=\"check\"><input type=\"radio\" name=\"active\" "
		"value=\"no\"%s>"
		" %s</label></fieldset>",
		active ? " checked" : "", _("Active: may sign in"), active ? "" : " checked",
		_("Disabled: cannot sign in, every session ends"));
	web_language_select(p, "locale", locale, err);
	web_checkboxes(p, "teams", _("Teams"), teams, checked, _("No teams yet."), err);
	json_decref(checked);
	html_printf(&p->h, "<input type=\"hidden\" name=\"teams_shown\" value=\"1\">");
	routing_fields(p, u, err);
	if (json_is_true(json_object_get(u, "totp_enabled")))
		html_printf(
			&p->h,
			"<fieldset class=\"checks\"><legend>%s</legend><label class=\"check\">"
			"<input type=\"checkbox\" name=\"remove_totp\" value=\"yes\"> %s</label>"
			"</fieldset>",
			_("Second factor"),
			_("Remove the second factor (when the phone and the recovery codes are "
			  "lost)"));
	html_printf(&p->h,
		    "<p class=\"actions\"><button type=\"submit\">%s</button> "
		    "<a href=\"/settings/users\">%s</a></p></form>",
		    _("Save"), _("Cancel"));
}

/* The page of user id; status and err after a refusal. */
static void user_page(web_page *p, int64_t id, int status, const web_field_error *err)
{
	json_t *u = NULL, *teams = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err e = id ? users_get(c, id, &u) : CT_ERR_NOT_FOUND;
	if (!e)
		e = teams_list(c, &teams);
	store_reader_release(p->a->store, c);
	if (e) {
		json_decref(u);
		json_decref(teams);
		web_error(p, e == CT_ERR_NOT_FOUND ? 404 : 500,
			  e == CT_ERR_NOT_FOUND ? _("There is no such user.")
						: _("The user could not be read."));
		return;
	}
	web_settings_open(p, "users", json_string_value(json_object_get(u, "name")));
	user_form(p, u, teams, err);
	web_settings_close(p, status);
	json_decref(u);
	json_decref(teams);
}

/* GET /settings/users/{id} */
void web_settings_user(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	user_page(&p, http_param_id(req, 0), 200, NULL);
}

/* The change of users_update from the posted form. New reference. */
static json_t *user_patch(http_request *req)
{
	json_t *patch = json_object();
	const char *v;
	if ((v = http_form(req, "name")))
		json_object_set_new(patch, "name", json_string(v));
	if ((v = http_form(req, "role")))
		json_object_set_new(patch, "role", json_string(v));
	if ((v = http_form(req, "locale")))
		json_object_set_new(patch, "locale", json_string(v));
	if ((v = http_form(req, "active")))
		json_object_set_new(patch, "active",
				    strcmp(v, "yes") == 0  ? json_true()
				    : strcmp(v, "no") == 0 ? json_false()
							   : json_string(v));
	if (http_form(req, "teams_shown"))
		json_object_set_new(patch, "teams", web_form_ids(req, "teams"));
	if ((v = http_form(req, "remove_totp")) && strcmp(v, "yes") == 0)
		json_object_set_new(patch, "totp_enabled", json_false());
	if (http_form(req, "routing_shown")) {
		json_object_set_new(patch, "away", json_boolean(http_form(req, "away") != NULL));
		v = web_form_text(req, "capacity");
		char *end = NULL;
		long long n = *v ? strtoll(v, &end, 10) : 0;
		json_object_set_new(patch, "capacity",
				    !*v            ? json_null()
				    : end && !*end ? json_integer(n)
						   : json_string(v)); /* refused with its field */
	}
	return patch;
}

/* POST /settings/users/{id} (name, role, active, locale, teams,
 * remove_totp): save and go back to the list. */
void web_settings_user_update(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	int64_t id = http_param_id(req, 0);
	actor who;
	web_actor(&p, &who);
	json_t *patch = user_patch(req);
	err_detail d = {.index = -1};
	ct_err err = id ? users_update(p.a->store, &who, id, patch, &d) : CT_ERR_NOT_FOUND;
	json_decref(patch);
	if (err == CT_ERR_NOT_FOUND && !d.field[0]) {
		web_error(&p, 404, _("There is no such user."));
	} else if (err == CT_ERR_INVALID || err == CT_ERR_CONFLICT) {
		web_field_error e = user_error(err, &d);
		user_page(&p, id, 422, &e);
	} else if (err) {
		web_error(&p, 500, _("The user could not be saved. Try again."));
	} else {
		web_go(&p, "/settings/users?done=user");
	}
}

/*
 * profile.c: the signed-in user's own account (any role): GET /profile
 * shows who they are and lets them choose the language of the interface
 * (German or English, from the next page on), change their password and
 * sign out everywhere; GET /profile/second-factor sets up the second factor
 * (TOTP), confirms it with a code, shows the recovery codes once, and
 * removes it again with the password.
 *
 * The rules are those of the JSON API, in accounts/profile.c: a wrong
 * password counts like a failed login and locks the account and address at
 * the limit; a new password ends every session, this one too. The second
 * factor page is reachable for an administrator who must set one up first
 * (auth.require_totp_for_admins), but not for a session still waiting for
 * its code: that one is sent to /login/second-factor.
 *
 * The setup shows the key as text and as an otpauth:// link (which opens
 * the authenticator app on a phone). There is no QR code: rendering one
 * needs a library (libqrencode) that the build does not link.
 */
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/i18n.h"
#include "web/pages.h"

/* The page's user into *u; answers an error page and returns non-zero when
 * they cannot be read. */
static ct_err read_me(web_page *p, user_auth *u)
{
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = users_find_by_id(c, p->who->user_id, u);
	store_reader_release(p->a->store, c);
	if (err)
		web_error(p, 500, _("Your account could not be read."));
	return err;
}

/* The language form: a radio button per language, each in its language. */
static void language_form(web_page *p, const char *locale, const web_field_error *err)
{
	int en = strcmp(locale, "en") == 0;
	html_printf(&p->h,
		    "<section class=\"card\" aria-labelledby=\"lang-h\"><h2 id=\"lang-h\">%s</h2>"
		    "<form method=\"post\" action=\"/profile/language\">",
		    _("Language"));
	web_csrf_field(p);
	html_printf(&p->h, "<fieldset class=\"checks\" id=\"language\"");
	if (web_error_for(err, "language"))
		html_printf(&p->h, " aria-describedby=\"language-error\"");
	html_printf(&p->h, "><legend>%s</legend>", _("Language of the interface"));
	web_field_message(p, err, "language");
	html_printf(&p->h,
		    "<label class=\"check\" lang=\"de\"><input type=\"radio\" name=\"language\" "
		    "value=\"de\"%s> Deutsch</label><label class=\"check\" lang=\"en\">"
		    "<input type=\"radio\" name=\"language\" value=\"en\"%s> English</label>"
		    "</fieldset><p><button type=\"submit\">%s</button></p></form></section>",
		    en ? "" : " checked", en ? " checked" : "", _("Save language"));
}

/* The password form: current, new, new again (never filled in). */
static void password_form(web_page *p, const web_field_error *err)
{
	html_printf(&p->h,
		    "<section class=\"card\" aria-labelledby=\"pw-h\"><h2 id=\"pw-h\">%s</h2>"
		    "<form method=\"post\" action=\"/profile/password\">",
		    _("Password"));
	web_csrf_field(p);
	web_field current = {.type = "password",
			     .name = "current_password",
			     .label = _("Current password"),
			     .autocomplete = "current-password",
			     .required = 1};
	web_field next = {.type = "password",
			  .name = "new_password",
			  .label = _("New password"),
			  .autocomplete = "new-password",
			  .hint = _("At least 10 characters and not easy to guess: no dictionary "
				    "words, not your name."),
			  .required = 1,
			  .maxlength = PASSWORD_MAX_LENGTH};
	web_field again = {.type = "password",
			   .name = "new_password_again",
			   .label = _("New password again"),
			   .autocomplete = "new-password",
			   .required = 1,
			   .maxlength = PASSWORD_MAX_LENGTH};
	web_input(p, &current, err);
	web_input(p, &next, err);
	web_input(p, &again, err);
	html_printf(
		&p->h,
		"<p class=\"field-hint\">%s</p><p><button type=\"submit\">%s</button></p></form>"
		"</section>",
		_("The change ends every session of yours, this one too: then you sign in with "
		  "the new password."),
		_("Change password"));
}

/* Availability: away or not, which routing respects (agents and above). */
static void away_form(web_page *p)
{
	if (p->who->role == ROLE_VIEWER)
		return;
	json_t *me = NULL;
	store_conn *c = store_reader_acquire(p->a->store);
	ct_err err = users_get(c, p->who->user_id, &me);
	store_reader_release(p->a->store, c);
	int away = !err && json_is_true(json_object_get(me, "away"));
	json_decref(me);
	html_printf(&p->h,
		    "<section class=\"card\" aria-labelledby=\"away-h\"><h2 id=\"away-h\">%s"
		    "</h2><p><span class=\"badge%s\">%s</span> %s</p>"
		    "<form method=\"post\" action=\"/profile/away\">",
		    _("Availability"), away ? " off" : "", away ? _("away") : _("available"),
		    away ? _("You get no new conversations until you are back.")
			 : _("The dialog concept may assign new conversations to you."));
	web_csrf_field(p);
	html_printf(&p->h,
		    "<input type=\"hidden\" name=\"away\" value=\"%s\"><button type=\"submit\""
		    " class=\"secondary\">%s</button></form></section>",
		    away ? "no" : "yes", away ? _("I am back") : _("I am away"));
}

/* The profile page; status and err after a refused form. */
static void profile_page(web_page *p, int status, const web_field_error *err)
{
	user_auth u;
	if (read_me(p, &u))
		return;
	web_open(p, _("Profile"), "profile");
	html_printf(&p->h, "<div class=\"page profile\"><h1>%s</h1>", _("Profile"));
	web_done_message(p);
	html_printf(&p->h,
		    "<section class=\"card\" aria-labelledby=\"me-h\"><h2 id=\"me-h\">%s</h2>"
		    "<dl class=\"facts\"><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt>"
		    "<dd>%s</dd></dl></section>",
		    _("You"), _("Name"), u.name, _("E-mail address"), u.email, _("Role"),
		    web_role_label(u.role));
	away_form(p);
	language_form(p, u.locale, err);
	password_form(p, err);
	html_printf(&p->h,
		    "<section class=\"card\" aria-labelledby=\"tf-h\"><h2 id=\"tf-h\">%s</h2>"
		    "<p><span class=\"badge%s\">%s</span> %s</p><p><a class=\"button secondary\" "
		    "href=\"/profile/second-factor\">%s</a></p></section>",
		    _("Second factor"), u.totp_enabled ? "" : " off",
		    u.totp_enabled ? _("on") : _("off"),
		    _("A code from an authenticator app on your phone, asked after the password."),
		    u.totp_enabled ? _("Manage the second factor") : _("Set up the second factor"));
	html_printf(
		&p->h,
		"<section class=\"card\" aria-labelledby=\"sessions-h\"><h2 id=\"sessions-h\">%s"
		"</h2><p>%s</p><form method=\"post\" action=\"/profile/logout-all\">",
		_("Sessions"),
		_("Signed in on a device you no longer have? Sign out everywhere ends every "
		  "session of yours, on every device, this one too."));
	web_csrf_field(p);
	html_printf(&p->h,
		    "<button type=\"submit\" class=\"secondary\">%s</button></form></section>"
		    "</div>",
		    _("Sign out everywhere"));
	web_close(p);
	web_send(p, status);
}

/* GET /profile */
void web_profile(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	profile_page(&p, 200, NULL);
}

/* POST /profile/language (language=de|en): saved for the next page. */
void web_profile_language(http_request *req, http_response *res)
{
	static const char *const languages[] = {"de", "en", NULL};
	web_page p;
	web_begin(&p, req, res);
	const char *language = http_form(req, "language");
	if (!str_in_list(language, languages)) {
		web_field_error e = {"language", _("Choose German or English.")};
		profile_page(&p, 422, &e);
		return;
	}
	actor who;
	web_actor(&p, &who);
	json_t *patch = json_pack("{s:s}", "locale", language);
	err_detail d = {.index = -1};
	ct_err err = users_update(p.a->store, &who, p.who->user_id, patch, &d);
	json_decref(patch);
	if (err)
		web_error(&p, 500, _("The language could not be saved. Try again."));
	else
		web_go(&p, "/profile?done=language");
}

/* POST /profile/away (away=yes|no): routing skips (or again considers) the
 * user for new conversations. */
void web_profile_away(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	const char *away = web_form_text(req, "away");
	if (strcmp(away, "yes") != 0 && strcmp(away, "no") != 0) {
		web_error(&p, 422, _("The availability could not be saved. Try again."));
		return;
	}
	actor who;
	web_actor(&p, &who);
	json_t *patch = json_pack("{s:b}", "away", strcmp(away, "yes") == 0);
	err_detail d = {.index = -1};
	ct_err err = users_update(p.a->store, &who, p.who->user_id, patch, &d);
	json_decref(patch);
	if (err)
		web_error(&p, 500, _("The availability could not be saved. Try again."));
	else
		web_go(&p, "/profile?done=away");
}

/* What is wrong with a refused new password (plain text). */
static const char *new_password_problem(const char *password)
{
	size_t len = strlen(password);
	if (len < PASSWORD_MIN_LENGTH)
		return _("The new password needs at least 10 characters.");
	if (len > PASSWORD_MAX_LENGTH)
		return _("The new password may have at most 256 characters.");
	return _("This password is too easy to guess. Avoid dictionary words, your name and "
		 "simple patterns.");
}

/* The answer to a changed password: the session is gone, so a page for
 * someone signed out, with the way back to the login. */
static void password_changed(web_page *p)
{
	static const principal nobody;
	http_set_session_cookie(p->req, p->res, NULL);
	p->who = &nobody;
	web_open(p, _("Password changed"), NULL);
	html_printf(&p->h,
		    "<section class=\"card narrow\"><h1>%s</h1><p role=\"status\">%s</p>"
		    "<p><a class=\"button\" href=\"/login\">%s</a></p></section>",
		    _("Password changed"),
		    _("Every session of yours has ended, this one too. Sign in with the new "
		      "password."),
		    _("Sign in"));
	web_close(p);
	web_send(p, 200);
}

/* Answer Retry-After for a lock that opens in retry_after_s seconds; the
 * error to show at field. */
static web_field_error locked(web_page *p, int64_t retry_after_s, const char *field)
{
	char secs[32];
	snprintf(secs, sizeof(secs), "%lld", (long long)retry_after_s);
	http_add_header(p->res, "Retry-After", secs);
	return (web_field_error){field,
				 _("Too many failed attempts. Wait a few minutes and try again.")};
}

/* POST /profile/password (current_password, new_password,
 * new_password_again) */
void web_profile_password(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	user_auth u;
	if (read_me(&p, &u))
		return;
	const char *current = web_form_text(req, "current_password");
	const char *next = web_form_text(req, "new_password");
	if (strcmp(next, web_form_text(req, "new_password_again")) != 0) {
		web_field_error e = {"new_password_again", _("The two new passwords differ.")};
		profile_page(&p, 422, &e);
		return;
	}
	actor who;
	web_actor(&p, &who);
	login_policy policy = login_policy_of(&p.a->cfg);
	err_detail d = {.index = -1};
	int64_t retry = 0;
	ct_err err =
		account_change_password(p.a->store, &policy, &who, &u, current, next, &retry, &d);
	if (err == CT_ERR_RATE_LIMITED) {
		web_field_error e = locked(&p, retry, "current_password");
		profile_page(&p, 429, &e);
	} else if (err == CT_ERR_INVALID && strcmp(d.field, "current_password") == 0) {
		web_field_error e = {"current_password", _("The current password is wrong.")};
		profile_page(&p, 422, &e);
	} else if (err == CT_ERR_INVALID) {
		web_field_error e = {"new_password", new_password_problem(next)};
		profile_page(&p, 422, &e);
	} else if (err) {
		web_error(&p, 500, _("The password could not be changed. Try again."));
	} else {
		password_changed(&p);
	}
}

/* POST /profile/logout-all: end every session of the user, then the login. */
void web_profile_logout_all(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	actor who;
	web_actor(&p, &who);
	if (login_end_all_sessions(p.a->store, &who)) {
		web_error(&p, 500, _("The sessions could not be ended. Try again."));
		return;
	}
	http_set_session_cookie(req, res, NULL);
	web_go(&p, "/login");
}

/* --- The second factor --- */

/* The secret in groups of four ("ABCD EFGH ..."), easier to type. */
static void grouped(web_page *p, const char *secret)
{
	for (size_t i = 0; secret[i]; i += 4)
		html_printf(&p->h, "%s%.*s", i ? " " : "", 4, secret + i);
}

/* The setup in progress: the key, the link, and the form for the code. */
static void setup_section(web_page *p, const user_auth *u, const char *secret,
			  const web_field_error *err)
{
	char uri[512];
	account_totp_uri(u, secret, uri);
	html_printf(
		&p->h,
		"<section class=\"card\" aria-labelledby=\"setup-h\"><h2 id=\"setup-h\">%s</h2>"
		"<ol class=\"steps\"><li><p>%s</p><p><code class=\"secret\" id=\"totp-secret\">",
		_("Set up your authenticator app"),
		_("In your authenticator app, add an account with this key (time-based, six "
		  "digits, every 30 seconds):"));
	grouped(p, secret);
	html_printf(
		&p->h,
		"</code></p><p class=\"field-hint\">%s</p><p><a href=\"otpauth://totp/cluetrain:",
		_("Type the key in by hand (in most apps: \"Enter a setup key\"). This page "
		  "shows no QR code. On the phone itself, the link below opens the app."));
	html_urlenc(&p->h, u->email);
	html_printf(&p->h,
		    "?secret=%s&amp;issuer=cluetrain\">%s</a></p><details><summary>%s</summary>"
		    "<p><code class=\"uri\" id=\"totp-uri\">%s</code></p></details></li><li>"
		    "<form method=\"post\" action=\"/profile/second-factor/enable\">",
		    secret, _("Add to the authenticator app"),
		    _("The whole setup link (otpauth://)"), uri);
	web_csrf_field(p);
	web_field code = {.type = "text",
			  .name = "code",
			  .label = _("Then enter the code the app shows"),
			  .autocomplete = "one-time-code",
			  .hint = _("Six digits; a new code every 30 seconds."),
			  .required = 1,
			  .maxlength = 8};
	web_input(p, &code, err);
	html_printf(&p->h,
		    "<p><button type=\"submit\">%s</button></p></form></li></ol>"
		    "<form method=\"post\" action=\"/profile/second-factor/setup\">",
		    _("Turn on the second factor"));
	web_csrf_field(p);
	html_printf(&p->h, "<button type=\"submit\" class=\"link\">%s</button></form></section>",
		    _("Start again with a new key"));
}

/* The second factor in force: how to remove it. */
static void on_section(web_page *p, const web_field_error *err)
{
	html_printf(&p->h,
		    "<section class=\"card\" aria-labelledby=\"off-h\"><p><span class=\"badge\">%s"
		    "</span> %s</p><h2 id=\"off-h\">%s</h2>",
		    _("on"),
		    _("The second factor is on: signing in asks for a code from your app."),
		    _("Turn off the second factor"));
	if (p->a->cfg.require_totp_admins && p->who->role == ROLE_ADMIN)
		html_printf(&p->h, "<p class=\"flash warn\">%s</p>",
			    _("Administrators must have a second factor: after turning it off you "
			      "are asked to set up a new one."));
	html_printf(&p->h, "<form method=\"post\" action=\"/profile/second-factor/disable\">");
	web_csrf_field(p);
	web_field password = {.type = "password",
			      .name = "password",
			      .label = _("Your password"),
			      .autocomplete = "current-password",
			      .required = 1};
	web_input(p, &password, err);
	html_printf(&p->h,
		    "<p><button type=\"submit\" class=\"danger\">%s</button></p></form></section>",
		    _("Turn off the second factor"));
}

/* The second factor page in the state of the user; status and err after a
 * refused form. */
static void second_factor_page(web_page *p, int status, const web_field_error *err)
{
	user_auth u;
	if (read_me(p, &u))
		return;
	char secret[40];
	int pending = account_totp_pending(&p->a->key, &u, secret) == CT_OK;
	web_open(p, _("Second factor"), "profile");
	html_printf(&p->h, "<div class=\"page profile\"><h1>%s</h1>", _("Second factor"));
	if (p->who->totp_setup_required)
		html_printf(&p->h, "<p class=\"flash warn\">%s</p>",
			    _("Administrators must set up a second factor before they continue."));
	web_done_message(p);
	html_printf(&p->h, "<p>%s</p>",
		    _("A second factor protects your account when someone learns your password: "
		      "after the password you also enter a six-digit code from an authenticator "
		      "app on your phone, such as FreeOTP, Aegis or Google Authenticator."));
	if (u.totp_enabled) {
		on_section(p, err);
	} else if (pending) {
		setup_section(p, &u, secret, err);
	} else {
		html_printf(&p->h,
			    "<section class=\"card\"><p><span class=\"badge off\">%s</span> %s</p>"
			    "<form method=\"post\" action=\"/profile/second-factor/setup\">",
			    _("off"), _("The second factor is off."));
		web_csrf_field(p);
		html_printf(&p->h, "<button type=\"submit\">%s</button></form></section>",
			    _("Set up the second factor"));
	}
	memset(secret, 0, sizeof(secret));
	if (p->who->totp_setup_required) {
		html_printf(&p->h, "<form method=\"post\" action=\"/logout\">");
		web_csrf_field(p);
		html_printf(&p->h, "<button type=\"submit\" class=\"link\">%s</button></form>",
			    _("Cancel and sign out"));
	} else {
		html_printf(&p->h, "<p><a href=\"/profile\">← %s</a></p>",
			    _("Back to the profile"));
	}
	html_printf(&p->h, "</div>");
	web_close(p);
	web_send(p, status);
}

/* Start a page of the second factor; 0 (and sent to /login/second-factor)
 * for a session that still waits for its code. */
static int second_factor_begin(web_page *p, http_request *req, http_response *res)
{
	web_begin(p, req, res);
	if (!p->who->second_factor_pending)
		return 1;
	web_go(p, "/login/second-factor");
	return 0;
}

/* GET /profile/second-factor */
void web_second_factor_setup_page(http_request *req, http_response *res)
{
	web_page p;
	if (second_factor_begin(&p, req, res))
		second_factor_page(&p, 200, NULL);
}

/* POST /profile/second-factor/setup: a new key, shown on the page. */
void web_second_factor_start(http_request *req, http_response *res)
{
	web_page p;
	user_auth u;
	if (!second_factor_begin(&p, req, res) || read_me(&p, &u))
		return;
	actor who;
	web_actor(&p, &who);
	char secret[40], uri[512];
	ct_err err = account_totp_setup(p.a->store, &who, &p.a->key, &u, secret, uri);
	memset(secret, 0, sizeof(secret));
	if (err && err != CT_ERR_CONFLICT) /* a conflict: it is on already, as the page says */
		web_error(&p, 500, _("The key could not be stored. Try again."));
	else
		web_go(&p, "/profile/second-factor");
}

/* The answer to a second factor turned on: the recovery codes, once. */
static void recovery_codes_page(web_page *p, char codes[10][16])
{
	web_open(p, _("Recovery codes"), "profile");
	html_printf(
		&p->h,
		"<div class=\"page profile\"><h1>%s</h1><p class=\"flash ok\" role=\"status\">%s"
		"</p><section class=\"card once\" aria-labelledby=\"codes-h\">"
		"<h2 id=\"codes-h\">%s</h2><p>%s</p><ol class=\"codes\" id=\"recovery-codes\">",
		_("Second factor"), _("The second factor is on."), _("Your recovery codes"),
		_("If you lose your phone, each of these codes signs you in once instead of a "
		  "code from the app. Keep them somewhere safe, printed or in a password "
		  "manager: they are shown only now."));
	for (int i = 0; i < 10; i++)
		html_printf(&p->h, "<li><code>%s</code></li>", codes[i]);
	html_printf(&p->h, "</ol><p><a class=\"button\" href=\"%s\">%s</a></p></section></div>",
		    p->who->totp_setup_required ? "/inbox" : "/profile",
		    p->who->totp_setup_required ? _("Continue") : _("Done"));
	web_close(p);
	web_send(p, 200);
}

/* POST /profile/second-factor/enable (code) */
void web_second_factor_enable(http_request *req, http_response *res)
{
	web_page p;
	user_auth u;
	if (!second_factor_begin(&p, req, res) || read_me(&p, &u))
		return;
	char code[16];
	size_t n = 0;
	for (const char *c = web_form_text(req, "code"); *c && n < sizeof(code) - 1; c++)
		if (*c != ' ')
			code[n++] = *c;
	code[n] = '\0';
	actor who;
	web_actor(&p, &who);
	err_detail d = {.index = -1};
	char codes[10][16];
	ct_err err = account_totp_enable(p.a->store, &who, &p.a->key, &u, code, codes, &d);
	if (err == CT_ERR_INVALID) {
		web_field_error e = {"code", _("That code is not right. Enter the code your app "
					       "shows now.")};
		second_factor_page(&p, 422, &e);
	} else if (err) {
		web_error(&p, 500, _("The second factor could not be turned on. Try again."));
	} else {
		recovery_codes_page(&p, codes);
	}
	memset(codes, 0, sizeof(codes));
}

/* POST /profile/second-factor/disable (password) */
void web_second_factor_disable(http_request *req, http_response *res)
{
	web_page p;
	user_auth u;
	web_begin(&p, req, res);
	if (read_me(&p, &u))
		return;
	actor who;
	web_actor(&p, &who);
	login_policy policy = login_policy_of(&p.a->cfg);
	err_detail d = {.index = -1};
	int64_t retry = 0;
	ct_err err = account_totp_disable(p.a->store, &policy, &who, &u,
					  web_form_text(req, "password"), &retry, &d);
	if (err == CT_ERR_RATE_LIMITED) {
		web_field_error e = locked(&p, retry, "password");
		second_factor_page(&p, 429, &e);
	} else if (err == CT_ERR_INVALID) {
		web_field_error e = {"password", _("The password is wrong.")};
		second_factor_page(&p, 422, &e);
	} else if (err) {
		web_error(&p, 500, _("The second factor could not be turned off. Try again."));
	} else {
		web_go(&p, "/profile/second-factor?done=totp-off");
	}
}

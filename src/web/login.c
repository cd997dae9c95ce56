/*
 * login.c: signing in and out in the browser (see web.h): the login form,
 * the second factor, sign out. The rules (throttling, lockout, audit, new
 * session ids) are those of accounts/login.c, shared with the JSON API.
 *
 * After signing in the user goes back to the page that sent them to the
 * login ("next"), which must be a path on this site.
 */
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/i18n.h"
#include "web/web.h"

/* next if it is a local path ("/inbox/c/3"), else "/inbox". */
static const char *safe_next(const char *next)
{
	if (next && next[0] == '/' && next[1] != '/' && next[1] != '\\' && !strchr(next, '\n') &&
	    !strchr(next, '\r') && strlen(next) < 512)
		return next;
	return "/inbox";
}

/* GET /: to the inbox (which asks for a login when needed). */
void web_root(http_request *req, http_response *res)
{
	(void)req;
	http_redirect(res, "/inbox");
}

static void language_switch(web_page *p, const char *next)
{
	int en = strcmp(p->lang, "en") == 0;
	html_printf(&p->h,
		    "<p class=\"muted\"><a href=\"/login?lang=%s&amp;next=", en ? "de" : "en");
	html_urlenc(&p->h, next);
	html_printf(&p->h, "\" lang=\"%s\">%s</a></p>", en ? "de" : "en",
		    en ? "Deutsch" : "English");
}

static void login_page(web_page *p, int status, const char *error, const char *email,
		       const char *next)
{
	web_open(p, _("Sign in"), NULL);
	html_printf(&p->h, "<section class=\"card narrow\"><h1>%s</h1>", _("Sign in"));
	if (error)
		html_printf(&p->h, "<p class=\"flash error\" role=\"alert\">%s</p>", error);
	html_printf(&p->h,
		    "<form method=\"post\" action=\"/login\">"
		    "<input type=\"hidden\" name=\"next\" value=\"%s\">"
		    "<input type=\"hidden\" name=\"lang\" value=\"%s\">"
		    "<label for=\"email\">%s</label>"
		    "<input type=\"email\" id=\"email\" name=\"email\" value=\"%s\" required "
		    "autocomplete=\"username\" autofocus>"
		    "<label for=\"password\">%s</label>"
		    "<input type=\"password\" id=\"password\" name=\"password\" required "
		    "autocomplete=\"current-password\">"
		    "<p><button type=\"submit\">%s</button></p></form>",
		    next, p->lang, _("E-mail address"), email ? email : "", _("Password"),
		    _("Sign in"));
	language_switch(p, next);
	html_printf(&p->h, "</section>");
	web_close(p);
	web_send(p, status);
}

/* GET /login */
void web_login_form(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	login_page(&p, 200, NULL, NULL, safe_next(http_query(req, "next")));
}

/* Where to go after a password was right. */
static const char *after_password(const login_outcome *o, const char *next)
{
	if (o->second_factor_required || o->totp_setup_required)
		return "/login/second-factor";
	return next;
}

/* POST /login (email, password, next) */
void web_login_submit(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	if (!p.who->locale[0] && http_form(req, "lang"))
		p.lang = strcmp(http_form(req, "lang"), "en") == 0 ? "en" : "de", i18n_use(p.lang);
	const char *email = http_form(req, "email"), *password = http_form(req, "password");
	const char *next = safe_next(http_form(req, "next"));
	login_policy policy = login_policy_of(&p.a->cfg);
	login_outcome o;
	ct_err err = login_with_password(p.a->store, &policy, email, password, http_client_ip(req),
					 http_header(req, "User-Agent"), &o);
	if (err == CT_ERR_INVALID) {
		login_page(&p, 422, _("Enter your e-mail address and password."), email, next);
	} else if (err) {
		login_page(&p, 500, _("The login could not be recorded. Try again."), email, next);
	} else if (o.result == LOGIN_LOCKED) {
		char secs[32];
		snprintf(secs, sizeof(secs), "%lld", (long long)o.retry_after_s);
		http_add_header(res, "Retry-After", secs);
		login_page(&p, 429,
			   _("Too many failed attempts. Wait a few minutes and try again."), email,
			   next);
	} else if (o.result != LOGIN_OK) {
		login_page(&p, 401, _("Wrong e-mail address or password."), email, next);
	} else {
		html_free(&p.h);
		http_set_session_cookie(req, res, o.session_token);
		http_redirect(res, after_password(&o, next));
	}
}

static void second_factor_page(web_page *p, int status, const char *error)
{
	web_open(p, _("Second factor"), NULL);
	html_printf(&p->h, "<section class=\"card narrow\"><h1>%s</h1>", _("Second factor"));
	if (error)
		html_printf(&p->h, "<p class=\"flash error\" role=\"alert\">%s</p>", error);
	if (p->who->totp_setup_required && !p->who->second_factor_pending) {
		html_printf(&p->h,
			    "<p>%s</p><p><a class=\"button\" "
			    "href=\"/profile/second-factor\">%s</a></p>",
			    _("Administrators must set up a second factor before they continue."),
			    _("Set up the second factor"));
	} else {
		html_printf(&p->h, "<form method=\"post\" action=\"/login/second-factor\">");
		web_csrf_field(p);
		html_printf(&p->h,
			    "<label for=\"code\">%s</label>"
			    "<input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" "
			    "autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\" maxlength=\"8\" "
			    "autofocus aria-describedby=\"code-hint\">"
			    "<p class=\"field-hint\" id=\"code-hint\">%s</p>"
			    "<details><summary>%s</summary><label for=\"recovery_code\">%s</label>"
			    "<input type=\"text\" id=\"recovery_code\" name=\"recovery_code\" "
			    "autocomplete=\"off\"></details>"
			    "<p><button type=\"submit\">%s</button></p></form>",
			    _("Code from your authenticator app"),
			    _("Six digits; a new code every 30 seconds."),
			    _("Lost your phone? Use a recovery code"), _("Recovery code"),
			    _("Continue"));
	}
	html_printf(&p->h, "<form method=\"post\" action=\"/logout\">");
	web_csrf_field(p);
	html_printf(&p->h, "<button type=\"submit\" class=\"link\">%s</button></form></section>",
		    _("Cancel and sign out"));
	web_close(p);
	web_send(p, status);
}

/* GET /login/second-factor */
void web_second_factor_form(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	if (!p.who->second_factor_pending && !p.who->totp_setup_required) {
		html_free(&p.h);
		http_redirect(res, "/inbox");
		return;
	}
	second_factor_page(&p, 200, NULL);
}

/* An empty form field is as good as none. */
static const char *field(http_request *req, const char *name)
{
	const char *v = http_form(req, name);
	return v && *v ? v : NULL;
}

/* POST /login/second-factor (code or recovery_code) */
void web_second_factor_submit(http_request *req, http_response *res)
{
	web_page p;
	web_begin(&p, req, res);
	user_auth u;
	store_conn *c = store_reader_acquire(p.a->store);
	ct_err err = users_find_by_id(c, p.who->user_id, &u);
	store_reader_release(p.a->store, c);
	login_policy policy = login_policy_of(&p.a->cfg);
	login_outcome o = {0};
	if (!err)
		err = login_second_factor(p.a->store, &policy, &p.a->key, &u, p.who->session_token,
					  field(req, "code"), field(req, "recovery_code"),
					  http_client_ip(req), http_header(req, "User-Agent"), &o);
	if (err == CT_ERR_INVALID) {
		second_factor_page(&p, 422, _("Enter the code from your authenticator app."));
	} else if (err) {
		second_factor_page(&p, 500, _("The login could not be recorded. Try again."));
	} else if (o.result == LOGIN_LOCKED) {
		second_factor_page(
			&p, 429, _("Too many failed attempts. Wait a few minutes and try again."));
	} else if (o.result != LOGIN_OK) {
		second_factor_page(&p, 401, _("That code is wrong or was already used."));
	} else {
		html_free(&p.h);
		http_set_session_cookie(req, res, o.session_token);
		http_redirect(res, "/inbox");
	}
}

/* POST /logout */
void web_logout(http_request *req, http_response *res)
{
	const principal *who = http_principal(req);
	actor a = {who->name, who->user_id, 0, http_client_ip(req)};
	login_end_session(http_app(req)->store, &a, who->session_token);
	http_set_session_cookie(req, res, NULL);
	http_redirect(res, "/login");
}

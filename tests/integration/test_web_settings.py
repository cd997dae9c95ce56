"""The settings and profile pages over HTTP, without a browser (issue 5):
users, teams, channels and API tokens managed by administrators through
plain forms, checked through the JSON API; the profile (language, password,
sign out everywhere) and the second factor for everyone. Secrets (channel
secrets, generated passwords, tokens) never appear in a page but the one
that shows them once."""

import re

from authkit import audit, create_user, db_value, login, totp
from test_web_pages import Page, signed_in

SETTINGS = ["/settings/users", "/settings/teams", "/settings/channels", "/settings/tokens"]


def csrf_of(page, path):
    status, _, html = page.get(path)
    assert status == 200, (path, status, html[:300])
    return page.csrf(html), html


def user_by_email(api, email):
    status, body = api.get("/api/v1/users")
    assert status == 200
    return next((u for u in body["data"] if u["email"] == email.lower()), None)


def alert_text(html):
    """The text of the first role="alert" element (the field's error)."""
    m = re.search(r'role="alert"[^>]*>([^<]*)<', html)
    assert m, "no error with role=alert on the page"
    return m.group(1)


def test_every_settings_page_for_admins(server):
    api = server.client()
    page, admin = signed_in(server, "admin")
    status, body = api.post("/api/v1/teams", {"name": "Netz"})
    assert status == 201
    paths = SETTINGS + ["/settings/users/%d" % admin["id"], "/settings/teams/%d" % body["id"],
                        "/settings/channels/1", "/profile", "/profile/second-factor"]
    for path in paths:
        status, hdrs, html = page.get(path)
        assert status == 200, (path, status)
        assert hdrs["content-type"].startswith("text/html")
        assert '<html lang="de"' in html and html.count("<h1>") == 1, path
        if path.startswith("/settings"):
            assert 'class="subnav"' in html
            assert all('href="%s"' % p in html for p in SETTINGS), path
            assert 'aria-current="page"' in html
    for path in ("/settings/users/999", "/settings/teams/999", "/settings/channels/999"):
        assert page.get(path)[0] == 404, path
    # The navigation leads admins to the settings, and everyone to the profile.
    _, _, html = page.get("/inbox")
    assert 'href="/settings/users"' in html and 'href="/profile"' in html


def test_settings_are_for_admins_only(server):
    api = server.client()
    for role in ("agent", "supervisor", "viewer"):
        page, _ = signed_in(server, role)
        csrf, html = csrf_of(page, "/profile")
        assert 'href="/settings/users"' not in html
        for path in SETTINGS + ["/settings/users/1", "/settings/channels/1"]:
            status, hdrs, html = page.get(path)
            assert status == 403, (role, path, status)
            assert hdrs["content-type"].startswith("text/html") and "<html" in html
        status, _, _ = page.post("/settings/users", {"csrf": csrf, "name": "Mallory",
                                                     "email": "mallory@example.org",
                                                     "role": "admin"})
        assert status == 403
        status, _, _ = page.post("/settings/tokens", {"csrf": csrf, "name": "x", "role": "admin"})
        assert status == 403
    assert user_by_email(api, "mallory@example.org") is None
    assert not any(t["name"] == "x" for t in api.get("/api/v1/tokens")[1]["data"])


def test_create_a_user_and_see_the_password_once(server):
    api = server.client()
    team = api.post("/api/v1/teams", {"name": "Kundenservice"})[1]
    page, _ = signed_in(server, "admin")
    csrf, html = csrf_of(page, "/settings/users")
    assert 'for="email"' in html and 'name="teams" value="%d"' % team["id"] in html
    status, _, html = page.post("/settings/users", [
        ("csrf", csrf), ("name", "Erika Muster"), ("email", "Erika@Example.org"),
        ("role", "agent"), ("locale", "en"), ("teams", str(team["id"]))])
    assert status == 200, html[:500]
    password = re.search(r'id="new-password">([^<]+)<', html).group(1)
    user = user_by_email(api, "erika@example.org")
    assert user and user["name"] == "Erika Muster" and user["role"] == "agent"
    assert user["locale"] == "en" and user["teams"] == [team["id"]] and user["active"]
    # The password works, and no other page shows it again.
    status, hdrs, _ = Page(server.port).login("erika@example.org", password)
    assert status == 303 and hdrs["location"] == "/inbox"
    _, _, html = page.get("/settings/users")
    assert password not in html
    assert "Erika Muster" in html and "erika@example.org" in html and "English" in html
    assert "Kundenservice" in html


def test_a_refused_new_user_comes_back_with_the_error(server):
    api = server.client()
    existing = create_user(api, "agent")
    page, _ = signed_in(server, "admin")
    before = len(api.get("/api/v1/users")[1]["data"])
    csrf, _ = csrf_of(page, "/settings/users")
    status, _, html = page.post("/settings/users", {"csrf": csrf, "name": "Doppelt",
                                                    "email": existing["email"], "role": "agent"})
    assert status == 422
    assert 'id="email-error" role="alert"' in html
    assert 'aria-invalid="true" aria-describedby="email-hint email-error"' in html
    assert 'value="Doppelt"' in html  # what was typed stays
    status, _, html = page.post("/settings/users", {"csrf": csrf, "name": "",
                                                    "email": "neu@example.org", "role": "agent"})
    assert status == 422 and 'id="name-error"' in html
    status, _, html = page.post("/settings/users", {"csrf": csrf, "name": "Rolle",
                                                    "email": "rolle@example.org", "role": "boss"})
    assert status == 422 and 'id="role-error"' in html
    assert len(api.get("/api/v1/users")[1]["data"]) == before


def test_edit_a_user(server):
    api = server.client()
    t1 = api.post("/api/v1/teams", {"name": "Strom"})[1]
    t2 = api.post("/api/v1/teams", {"name": "Gas"})[1]
    user = create_user(api, "agent", teams=[t1["id"]])
    their = Page(server.port)
    assert their.login(user["email"], user["password"])[0] == 303
    page, _ = signed_in(server, "admin")
    path = "/settings/users/%d" % user["id"]
    csrf, html = csrf_of(page, path)
    assert user["email"] in html and 'name="teams" value="%d" checked' % t1["id"] in html
    status, hdrs, _ = page.post(path, [("csrf", csrf), ("name", user["name"]),
                                       ("role", "supervisor"), ("active", "no"),
                                       ("locale", "en"), ("teams", str(t2["id"])),
                                       ("teams_shown", "1")])
    assert status == 303 and hdrs["location"] == "/settings/users?done=user"
    got = api.get("/api/v1/users/%d" % user["id"])[1]
    assert (got["role"], got["active"], got["locale"], got["teams"]) == \
        ("supervisor", False, "en", [t2["id"]])
    # Disabled: their session has ended.
    assert their.get("/inbox")[0] == 303
    _, _, html = page.get("/settings/users?done=user")
    assert 'role="status"' in html
    # No team ticked: no teams; active again.
    status, _, _ = page.post(path, {"csrf": csrf, "name": "Neuer Name", "role": "agent",
                                    "active": "yes", "locale": "de", "teams_shown": "1"})
    assert status == 303
    got = api.get("/api/v1/users/%d" % user["id"])[1]
    assert (got["name"], got["active"], got["teams"]) == ("Neuer Name", True, [])
    # A refused change changes nothing.
    status, _, html = page.post(path, {"csrf": csrf, "name": "", "role": "viewer",
                                       "active": "yes", "locale": "de", "teams_shown": "1"})
    assert status == 422 and 'id="name-error" role="alert"' in html
    assert api.get("/api/v1/users/%d" % user["id"])[1]["role"] == "agent"


def test_teams_create_rename_and_members(server):
    api = server.client()
    member = create_user(api, "agent")
    page, _ = signed_in(server, "admin")
    csrf, _ = csrf_of(page, "/settings/teams")
    status, hdrs, _ = page.post("/settings/teams", {"csrf": csrf, "name": "Vertrieb"})
    assert status == 303 and hdrs["location"] == "/settings/teams?done=team-created"
    team = next(t for t in api.get("/api/v1/teams")[1]["data"] if t["name"] == "Vertrieb")
    status, _, html = page.post("/settings/teams", {"csrf": csrf, "name": "Vertrieb"})
    assert status == 422 and 'id="name-error" role="alert"' in html
    path = "/settings/teams/%d" % team["id"]
    status, hdrs, _ = page.post(path, [("csrf", csrf), ("name", "Vertrieb & Beratung"),
                                       ("members", str(member["id"])), ("members_shown", "1")])
    assert status == 303
    team = next(t for t in api.get("/api/v1/teams")[1]["data"] if t["id"] == team["id"])
    assert team["name"] == "Vertrieb & Beratung" and team["members"] == [member["id"]]
    _, _, html = page.get("/settings/teams")
    assert "Vertrieb &amp; Beratung" in html and member["name"] in html


def test_channels_create_configure_and_keep_secrets_secret(server):
    api = server.client()
    page, _ = signed_in(server, "admin")
    csrf, html = csrf_of(page, "/settings/channels")
    assert '<option value="api"' in html
    status, hdrs, _ = page.post("/settings/channels", {"csrf": csrf, "kind": "api",
                                                       "name": "shop"})
    assert status == 303
    m = re.fullmatch(r"/settings/channels/(\d+)\?done=channel-created", hdrs["location"])
    assert m, hdrs["location"]
    path = "/settings/channels/%s" % m.group(1)
    _, _, html = page.get(hdrs["location"])
    assert 'role="status"' in html and 'name="secret_name" value="webhook_secret"' in html
    assert 'type="password" id="secret-0" name="secret_value" value=""' in html
    secret, extra = "s3cret-Wert-7f1a", "noch-geheimer-99"
    status, _, _ = page.post(path, [
        ("csrf", csrf), ("config_value", "https://shop.example/hook"), ("config_key", "webhook_url"),
        ("config_new_key", "region"), ("config_new_value", "Nord"),
        ("secret_value", secret), ("secret_name", "webhook_secret"),
        ("secret_new_name", "api_key"), ("secret_new_value", extra)])
    assert status == 303
    chans = {c["name"]: c for c in api.get("/api/v1/channels")[1]["data"]}
    ch = chans["shop"]
    assert ch["config"] == {"webhook_url": "https://shop.example/hook", "region": "Nord"}
    assert sorted(ch["secrets"]) == ["api_key", "webhook_secret"]
    for p in ("/settings/channels", path):
        _, _, html = page.get(p)
        assert secret not in html and extra not in html
        assert "webhook_secret" in html and "api_key" in html
    # Empty secret fields keep the secrets; a ticked one is removed.
    status, _, _ = page.post(path, [
        ("csrf", csrf), ("config_value", "https://shop.example/hook"), ("config_key", "webhook_url"),
        ("config_value", "Nord"), ("config_key", "region"),
        ("secret_value", ""), ("secret_name", "webhook_secret"),
        ("secret_value", ""), ("secret_name", "api_key"), ("secret_remove", "api_key")])
    assert status == 303
    ch = {c["name"]: c for c in api.get("/api/v1/channels")[1]["data"]}["shop"]
    assert ch["secrets"] == ["webhook_secret"] and ch["config"]["region"] == "Nord"
    # A bad address is refused next to its field; nothing changes.
    status, _, html = page.post(path, [("csrf", csrf), ("config_value", "gopher://x"),
                                       ("config_key", "webhook_url")])
    assert status == 422
    assert 'id="config-0-error" role="alert"' in html and 'value="gopher://x"' in html
    ch = {c["name"]: c for c in api.get("/api/v1/channels")[1]["data"]}["shop"]
    assert ch["config"]["webhook_url"] == "https://shop.example/hook"
    # The same name twice is refused.
    status, _, html = page.post("/settings/channels", {"csrf": csrf, "kind": "api",
                                                       "name": "shop"})
    assert status == 422 and 'id="name-error"' in html


def test_tokens_are_shown_once_and_revoked_with_confirmation(server):
    api = server.client()
    page, _ = signed_in(server, "admin")
    csrf, _ = csrf_of(page, "/settings/tokens")
    status, _, html = page.post("/settings/tokens", {"csrf": csrf, "name": "CRM",
                                                     "role": "agent", "channel_id": "1"})
    assert status == 200, html[:400]
    token = re.search(r'id="new-token">([^<]+)<', html).group(1)
    assert token.startswith("ct_")
    assert server.client(token).get("/api/v1/conversations")[0] == 200
    listed = api.get("/api/v1/tokens")[1]["data"]
    crm = next(t for t in listed if t["name"] == "CRM")
    assert crm["role"] == "agent" and crm["channel_id"] == 1 and crm["revoked_at"] is None
    _, _, html = page.get("/settings/tokens")
    assert token not in html and "CRM" in html
    status, _, html = page.post("/settings/tokens", {"csrf": csrf, "name": "", "role": "agent"})
    assert status == 422 and 'id="name-error"' in html
    # Revoking needs the tick.
    revoke = "/settings/tokens/%d/revoke" % crm["id"]
    status, _, html = page.post(revoke, {"csrf": csrf})
    assert status == 422 and 'id="confirm-%d-error" role="alert"' % crm["id"] in html
    assert next(t for t in api.get("/api/v1/tokens")[1]["data"]
                if t["id"] == crm["id"])["revoked_at"] is None
    status, hdrs, _ = page.post(revoke, {"csrf": csrf, "confirm": "yes"})
    assert status == 303 and hdrs["location"] == "/settings/tokens?done=token-revoked"
    assert next(t for t in api.get("/api/v1/tokens")[1]["data"]
                if t["id"] == crm["id"])["revoked_at"]
    assert page.post("/settings/tokens/999/revoke", {"csrf": csrf, "confirm": "yes"})[0] == 404


def test_missing_csrf_is_refused_and_changes_nothing(server):
    api = server.client()
    page, admin = signed_in(server, "admin")
    before = len(api.get("/api/v1/users")[1]["data"])
    for path, form in (("/settings/users", {"name": "Ohne", "email": "ohne@example.org",
                                            "role": "agent"}),
                       ("/settings/teams", {"name": "Ohne Token"}),
                       ("/settings/channels", {"kind": "api", "name": "ohne"}),
                       ("/settings/tokens", {"name": "ohne", "role": "admin"}),
                       ("/profile/language", {"language": "en"}),
                       ("/profile/logout-all", {})):
        status, hdrs, html = page.post(path, form)
        assert status == 403, (path, status)
        assert hdrs["content-type"].startswith("text/html")
    assert len(api.get("/api/v1/users")[1]["data"]) == before
    assert not any(t["name"] == "Ohne Token" for t in api.get("/api/v1/teams")[1]["data"])
    assert not any(c["name"] == "ohne" for c in api.get("/api/v1/channels")[1]["data"])
    assert not any(t["name"] == "ohne" for t in api.get("/api/v1/tokens")[1]["data"])
    assert api.get("/api/v1/users/%d" % admin["id"])[1]["locale"] == "de"
    assert page.get("/inbox")[0] == 200  # still signed in


def test_language_switch_changes_the_next_page(server):
    page, user = signed_in(server, "agent")
    csrf, html = csrf_of(page, "/profile")
    assert '<html lang="de"' in html and "Posteingang" in html
    status, hdrs, _ = page.post("/profile/language", {"csrf": csrf, "language": "en"})
    assert status == 303 and hdrs["location"] == "/profile?done=language"
    _, _, html = page.get(hdrs["location"])
    assert '<html lang="en"' in html and ">Inbox<" in html and "Posteingang" not in html
    assert "Your language was saved." in html
    assert server.client().get("/api/v1/users/%d" % user["id"])[1]["locale"] == "en"
    status, _, html = page.post("/profile/language", {"csrf": csrf, "language": "fr"})
    assert status == 422 and 'id="language-error" role="alert"' in html
    page.post("/profile/language", {"csrf": csrf, "language": "de"})
    _, _, html = page.get("/inbox")
    assert '<html lang="de"' in html and "Posteingang" in html


def test_password_change_counts_wrong_passwords(make_server):
    srv = make_server(env={"CLUETRAIN_AUTH_MAX_FAILURES": "3", "CLUETRAIN_AUTH_LOCKOUT_S": "60"})
    api = srv.client()
    page, user = signed_in(srv, "agent")
    csrf, html = csrf_of(page, "/profile")
    assert 'autocomplete="current-password"' in html and 'autocomplete="new-password"' in html
    new = "Zq8-" + "neues-Passwort-42"
    status, _, html = page.post("/profile/password", {
        "csrf": csrf, "current_password": user["password"], "new_password": new,
        "new_password_again": new + "x"})
    assert status == 422 and 'id="new_password_again-error" role="alert"' in html
    status, _, html = page.post("/profile/password", {
        "csrf": csrf, "current_password": user["password"], "new_password": "kurz",
        "new_password_again": "kurz"})
    assert status == 422 and 'id="new_password-error" role="alert"' in html
    status, _, html = page.post("/profile/password", {
        "csrf": csrf, "current_password": "Wrong-" + user["password"], "new_password": new,
        "new_password_again": new})
    assert status == 422 and 'id="current_password-error" role="alert"' in html
    assert html.count('value="' + new) == 0  # passwords are never written back
    failed = audit(api, action="password_change.failed", object_id=user["id"])
    assert len(failed) == 1
    for _ in range(2):
        page.post("/profile/password", {"csrf": csrf, "current_password": "Wrong-1234567",
                                        "new_password": new, "new_password_again": new})
    status, hdrs, html = page.post("/profile/password", {
        "csrf": csrf, "current_password": user["password"], "new_password": new,
        "new_password_again": new})
    assert status == 429 and int(hdrs["retry-after"]) > 0
    assert 'role="alert"' in html
    # Nothing changed: the old password is still the one (once the lock opens).
    assert db_value(srv, "SELECT count(*) FROM audit_log WHERE action = 'user.password_changed'"
                         " AND object_id = %d" % user["id"]) == "0"


def test_password_change_ends_every_session(server):
    page, user = signed_in(server, "agent")
    other = Page(server.port)
    assert other.login(user["email"], user["password"])[0] == 303
    csrf, _ = csrf_of(page, "/profile")
    new = "Zq8-" + "neues-Passwort-42"
    status, hdrs, html = page.post("/profile/password", {
        "csrf": csrf, "current_password": user["password"], "new_password": new,
        "new_password_again": new})
    assert status == 200 and 'href="/login"' in html
    assert page.cookie is None and "max-age=0" in hdrs["set-cookie"].lower()
    assert other.get("/inbox")[0] == 303
    assert Page(server.port).login(user["email"], user["password"])[0] == 401
    assert Page(server.port).login(user["email"], new)[0] == 303


def test_sign_out_everywhere(server):
    page, user = signed_in(server, "viewer")
    other = Page(server.port)
    assert other.login(user["email"], user["password"])[0] == 303
    csrf, _ = csrf_of(page, "/profile")
    status, hdrs, _ = page.post("/profile/logout-all", {"csrf": csrf})
    assert status == 303 and hdrs["location"] == "/login"
    assert page.get("/inbox")[0] == 303 and other.get("/inbox")[0] == 303


def test_second_factor_end_to_end(server):
    api = server.client()
    page, user = signed_in(server, "agent")
    csrf, html = csrf_of(page, "/profile/second-factor")
    assert 'action="/profile/second-factor/setup"' in html
    status, hdrs, _ = page.post("/profile/second-factor/setup", {"csrf": csrf})
    assert status == 303 and hdrs["location"] == "/profile/second-factor"
    _, _, html = page.get("/profile/second-factor")
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert len(secret) == 32
    uri = re.search(r'id="totp-uri">([^<]+)<', html).group(1)
    assert uri.startswith("otpauth://totp/cluetrain:") and "secret=" + secret in uri
    status, _, html = page.post("/profile/second-factor/enable", {"csrf": csrf, "code": "000000"
                                                                  if totp(secret) != "000000"
                                                                  else "111111"})
    assert status == 422 and 'id="code-error" role="alert"' in html
    assert api.get("/api/v1/users/%d" % user["id"])[1]["totp_enabled"] is False
    code = totp(secret)
    status, _, html = page.post("/profile/second-factor/enable",
                                {"csrf": csrf, "code": code[:3] + " " + code[3:]})
    assert status == 200, html[:400]
    codes = re.findall(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>", html)
    assert len(set(codes)) == 10
    assert api.get("/api/v1/users/%d" % user["id"])[1]["totp_enabled"] is True
    _, _, html = page.get("/profile/second-factor")
    assert secret not in html and codes[0] not in html
    assert 'action="/profile/second-factor/disable"' in html
    # The next login asks for the code; a session waiting for it cannot
    # reach the setup page.
    fresh = Page(server.port)
    status, hdrs, _ = fresh.login(user["email"], user["password"])
    assert hdrs["location"] == "/login/second-factor"
    status, hdrs, _ = fresh.get("/profile/second-factor")
    assert status == 303 and hdrs["location"] == "/login/second-factor"
    _, _, html = fresh.get("/login/second-factor")
    status, hdrs, _ = fresh.post("/login/second-factor", {"csrf": fresh.csrf(html),
                                                          "code": totp(secret, 30)})
    assert status == 303 and hdrs["location"] == "/inbox"
    # Turning it off needs the password, and a wrong one counts.
    status, _, html = page.post("/profile/second-factor/disable",
                                {"csrf": csrf, "password": "Wrong-" + user["password"]})
    assert status == 422 and 'id="password-error" role="alert"' in html
    assert audit(api, action="totp_disable.failed", object_id=user["id"])
    assert api.get("/api/v1/users/%d" % user["id"])[1]["totp_enabled"] is True
    status, hdrs, _ = page.post("/profile/second-factor/disable",
                                {"csrf": csrf, "password": user["password"]})
    assert status == 303 and hdrs["location"] == "/profile/second-factor?done=totp-off"
    assert api.get("/api/v1/users/%d" % user["id"])[1]["totp_enabled"] is False


def test_admins_who_must_set_up_a_second_factor_reach_the_page(make_server):
    srv = make_server(env={"CLUETRAIN_AUTH_REQUIRE_TOTP_FOR_ADMINS": "1"})
    admin = create_user(srv.client(), "admin")
    page = Page(srv.port)
    status, hdrs, _ = page.login(admin["email"], admin["password"])
    assert hdrs["location"] == "/login/second-factor"
    status, hdrs, _ = page.get("/settings/users")
    assert status == 303 and hdrs["location"] == "/login/second-factor"
    csrf, html = csrf_of(page, "/profile/second-factor")
    assert 'action="/logout"' in html  # no navigation, but a way out
    page.post("/profile/second-factor/setup", {"csrf": csrf})
    _, _, html = page.get("/profile/second-factor")
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    status, _, html = page.post("/profile/second-factor/enable",
                                {"csrf": csrf, "code": totp(secret)})
    assert status == 200 and 'href="/inbox"' in html
    assert page.get("/settings/users")[0] == 200


def test_an_admin_removes_a_lost_second_factor(server):
    api = server.client()
    user = create_user(api, "agent")
    b = login(server, user)
    status, setup = b.post("/api/v1/auth/totp/setup")
    assert b.post("/api/v1/auth/totp/enable", {"code": totp(setup["secret"])})[0] == 200
    page, _ = signed_in(server, "admin")
    path = "/settings/users/%d" % user["id"]
    csrf, html = csrf_of(page, path)
    assert 'name="remove_totp"' in html
    status, _, _ = page.post(path, {"csrf": csrf, "name": user["name"], "role": "agent",
                                    "active": "yes", "locale": "de", "teams_shown": "1",
                                    "remove_totp": "yes"})
    assert status == 303
    assert api.get("/api/v1/users/%d" % user["id"])[1]["totp_enabled"] is False
    _, _, html = page.get(path)
    assert 'name="remove_totp"' not in html


def test_channel_page_offers_every_setting_the_adapter_reads(server):
    """A new channel's page lists the settings its kind reads (as in
    docs/channel-*.md) before any is set, so none has to be typed in as a
    new name."""
    page, _ = signed_in(server, "admin")
    csrf, _ = csrf_of(page, "/settings/channels")
    documented = {
        "email": ["address", "imap_url", "smtp_url", "username", "smtp_username", "from_name",
                  "poll_every_s", "idle", "max_per_poll", "max_attachment_bytes",
                  "max_text_bytes"],
        "widget": ["allowed_origins", "title", "greeting", "max_per_minute", "max_per_visitor",
                   "min_delay_s", "max_text", "max_links", "show_agent_names"],
    }
    for kind, keys in documented.items():
        status, hdrs, body = page.post("/settings/channels", {"csrf": csrf, "kind": kind,
                                                              "name": "neu-" + kind})
        assert status == 303, body
        _, _, html = page.get(hdrs["location"])
        assert re.findall(r'name="config_key" value="([^"]+)"', html) == keys

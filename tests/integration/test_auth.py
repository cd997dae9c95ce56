"""Signing in: login, the same answer for unknown and wrong, lockouts per
account and per address, the session cookie, session ids, idle and absolute
expiry, and the ways a session ends (logout, logout-all, disabling, a new
password)."""

import hashlib
import time

from authkit import (Browser, as_json, create_user, error_of, now_ms, raw_request,
                     db_sql, db_value, stored_bytes, strong_password)
from harness import wait_until

LOGIN = "/api/v1/auth/login"


def login_raw(srv, email, password, source=None, headers=None):
    return raw_request(srv.port, "POST", LOGIN, {"email": email, "password": password},
                       headers=headers, source=source)


def test_login_good(make_server):
    """The right password signs in: 200 with the user, a CSRF token and a
    session cookie that works; the e-mail is matched without regard to case."""
    srv = make_server()
    u = create_user(srv.client(), "agent")
    b = Browser(srv.port)
    body = b.login(u["email"].upper(), u["password"])
    assert body["user"]["id"] == u["id"] and body["user"]["role"] == "agent"
    assert body["user"]["email"] == u["email"]
    assert body["second_factor_required"] is False and body["totp_setup_required"] is False
    assert len(body["csrf_token"]) >= 20 and len(b.cookie) >= 40
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    status, me = b.get("/api/v1/auth/me")
    assert status == 200 and me["user"]["id"] == u["id"] and me["csrf_token"] == b.csrf
    assert b.get("/api/v1/conversations")[0] == 200


def test_login_bad_answers_the_same_for_unknown_and_wrong(make_server):
    """A wrong password, an unknown address and a disabled account all get
    the same 401 answer and no cookie; a missing field is 422."""
    srv = make_server()
    api = srv.client()
    u = create_user(api, "agent")
    off = create_user(api, "agent")
    assert api.patch("/api/v1/users/%d" % off["id"], {"active": False})[0] == 200
    wrong = login_raw(srv, u["email"], "Wrong-" + u["password"])
    unknown = login_raw(srv, "nobody-here@example.org", u["password"])
    disabled = login_raw(srv, off["email"], off["password"])
    for status, headers, raw in (wrong, unknown, disabled):
        assert status == 401
        assert "set-cookie" not in dict(headers)
        assert raw == wrong[2], (raw, wrong[2])
    assert error_of(as_json(wrong[2]))["message"] == "wrong e-mail or password"
    status, _, raw = raw_request(srv.port, "POST", LOGIN, {"email": u["email"]})
    assert status == 422 and error_of(as_json(raw))["field"] == "password"


def test_account_lockout_and_expiry(make_server):
    """After auth.max_failures wrong passwords the account answers 429 with
    Retry-After, even for the right password; another account is not
    affected; the lock expires after auth.lockout_s."""
    srv = make_server(env={"CLUETRAIN_AUTH_MAX_FAILURES": "3", "CLUETRAIN_AUTH_LOCKOUT_S": "2",
                           "CLUETRAIN_HTTP_PUBLIC_PER_MINUTE": "1000"})
    api = srv.client()
    u, other = create_user(api, "agent"), create_user(api, "agent")
    for _ in range(3):
        assert login_raw(srv, u["email"], "Not-the-password-1")[0] == 401
    status, headers, raw = login_raw(srv, u["email"], u["password"])
    assert status == 429, raw
    retry = int(dict(headers)["retry-after"])
    assert 1 <= retry <= 3, retry
    assert "too many failed logins" in error_of(as_json(raw))["message"]
    Browser(srv.port).login(other["email"], other["password"])
    time.sleep(2.2)
    Browser(srv.port).login(u["email"], u["password"])


def test_lockout_counts_the_window_not_forever(make_server):
    """A success clears the account's count: max_failures-1 wrong, one right,
    max_failures-1 wrong again still lets the right password in."""
    srv = make_server(env={"CLUETRAIN_AUTH_MAX_FAILURES": "3", "CLUETRAIN_AUTH_LOCKOUT_S": "600",
                           "CLUETRAIN_HTTP_PUBLIC_PER_MINUTE": "1000"})
    u = create_user(srv.client(), "agent")
    for _ in range(2):
        for _ in range(2):
            assert login_raw(srv, u["email"], "Not-the-password-1")[0] == 401
        Browser(srv.port).login(u["email"], u["password"])


def test_address_lockout_at_four_times_the_count(make_server):
    """Failures from one address across many accounts lock the address at
    4 x auth.max_failures: 11 of 12 do not (a right login passes), the 12th
    does (429 for any account from that address), while another address
    (127.0.0.2) still signs in."""
    srv = make_server(env={"CLUETRAIN_AUTH_MAX_FAILURES": "3", "CLUETRAIN_AUTH_LOCKOUT_S": "600",
                           "CLUETRAIN_HTTP_PUBLIC_PER_MINUTE": "1000"})
    api = srv.client()
    a, b = create_user(api, "agent"), create_user(api, "agent")
    for i in range(11):
        assert login_raw(srv, "unknown-%d@example.org" % i, "Whatever-123x")[0] == 401
    Browser(srv.port).login(a["email"], a["password"])
    assert login_raw(srv, "unknown-11@example.org", "Whatever-123x")[0] == 401
    status, headers, _ = login_raw(srv, b["email"], b["password"])
    assert status == 429 and int(dict(headers)["retry-after"]) > 500
    Browser(srv.port, source="127.0.0.2").login(b["email"], b["password"])


def test_admin_unlock_lifts_an_account_lock(make_server):
    """PATCH /users/{id} {"unlock": true} ends the account's lockout at once;
    unlock takes only true."""
    srv = make_server(env={"CLUETRAIN_AUTH_MAX_FAILURES": "3", "CLUETRAIN_AUTH_LOCKOUT_S": "600",
                           "CLUETRAIN_HTTP_PUBLIC_PER_MINUTE": "1000"})
    api = srv.client()
    u = create_user(api, "agent")
    for _ in range(3):
        assert login_raw(srv, u["email"], "Not-the-password-1")[0] == 401
    assert login_raw(srv, u["email"], u["password"])[0] == 429
    status, body = api.patch("/api/v1/users/%d" % u["id"], {"unlock": False})
    assert status == 422 and body["error"]["field"] == "unlock"
    assert login_raw(srv, u["email"], u["password"])[0] == 429
    status, _ = api.patch("/api/v1/users/%d" % u["id"], {"unlock": True})
    assert status == 200
    Browser(srv.port).login(u["email"], u["password"])


def cookie_of(srv, user, headers=None):
    b = Browser(srv.port)
    b.login(user["email"], user["password"], headers=headers)
    return b.cookie_attrs


def test_session_cookie_flags(make_server):
    """The cookie is HttpOnly; SameSite=Lax; Path=/ with Max-Age of the
    absolute lifetime; not Secure over plain HTTP, and X-Forwarded-Proto is
    ignored without http.trust_proxy."""
    srv = make_server()
    u = create_user(srv.client(), "viewer")
    attrs = cookie_of(srv, u)
    assert attrs.get("httponly") is True
    assert attrs.get("samesite") == "Lax"
    assert attrs.get("path") == "/"
    assert attrs.get("max-age") == "604800"
    assert "secure" not in attrs
    assert "secure" not in cookie_of(srv, u, {"X-Forwarded-Proto": "https"})


def test_session_cookie_secure_with_https_public_url(make_server):
    """With public_url https://... the cookie is Secure."""
    srv = make_server(env={"CLUETRAIN_PUBLIC_URL": "https://inbox.example.org"})
    u = create_user(srv.client(), "viewer")
    attrs = cookie_of(srv, u)
    assert attrs.get("secure") is True and attrs.get("httponly") is True


def test_session_cookie_secure_behind_a_trusted_proxy(make_server):
    """With http.trust_proxy = 1 the cookie is Secure exactly when the proxy
    says X-Forwarded-Proto: https."""
    srv = make_server(env={"CLUETRAIN_HTTP_TRUST_PROXY": "1"})
    u = create_user(srv.client(), "viewer")
    assert cookie_of(srv, u, {"X-Forwarded-Proto": "https"}).get("secure") is True
    assert "secure" not in cookie_of(srv, u, {"X-Forwarded-Proto": "http"})
    assert "secure" not in cookie_of(srv, u)


def test_new_session_id_at_every_login(make_server):
    """Each login issues a new random session id, also when the request
    carries a session cookie chosen by someone else (fixation); only the
    id's SHA-256 is stored."""
    srv = make_server()
    u = create_user(srv.client(), "agent")
    b1, b2 = Browser(srv.port), Browser(srv.port)
    b1.login(u["email"], u["password"])
    b2.login(u["email"], u["password"])
    assert b1.cookie != b2.cookie and b1.csrf != b2.csrf
    assert b1.signed_in() and b2.signed_in()
    planted = "planted-session-id-" + "a" * 30
    b3 = Browser(srv.port)
    b3.cookie = planted
    b3.login(u["email"], u["password"])
    assert b3.cookie != planted and b3.signed_in()
    fake = Browser(srv.port)
    fake.cookie = planted
    assert not fake.signed_in()
    hashes = db_value(srv, "SELECT token_hash FROM sessions").split()
    assert hashlib.sha256(b1.cookie.encode()).hexdigest() in hashes
    assert b1.cookie not in hashes
    data = stored_bytes(srv)
    assert b1.cookie.encode() not in data and b2.cookie.encode() not in data


IDLE_ENV = {"CLUETRAIN_AUTH_SESSION_IDLE_S": "60", "CLUETRAIN_AUTH_SESSION_ABSOLUTE_S": "300"}


def session_row(srv, b):
    h = hashlib.sha256(b.cookie.encode()).hexdigest()
    return h, [int(x) for x in db_value(
        srv, "SELECT created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = '%s'"
        % h).split("|")]


def test_session_absolute_expiry(make_server):
    """A session ends auth.session_absolute_s after login: the stored expiry
    is login + 300 s (the cookie's Max-Age too); once it has passed (moved
    into the past in the database) the session answers 401."""
    srv = make_server(env=IDLE_ENV)
    u = create_user(srv.client(), "agent")
    b = Browser(srv.port)
    b.login(u["email"], u["password"])
    assert b.cookie_attrs["max-age"] == "300"
    h, (created, last_seen, expires) = session_row(srv, b)
    assert expires - created == 300 * 1000 and last_seen == created
    db_sql(srv, "UPDATE sessions SET expires_at = %d WHERE token_hash = '%s'"
           % (now_ms() + 5000, h))
    assert b.signed_in()
    db_sql(srv, "UPDATE sessions SET expires_at = %d WHERE token_hash = '%s'"
           % (now_ms() - 1, h))
    assert not b.signed_in()


def test_session_idle_expiry(make_server):
    """A session unused for more than auth.session_idle_s (60) answers 401:
    last seen 50 s ago still works, 61 s ago does not."""
    srv = make_server(env=IDLE_ENV)
    u = create_user(srv.client(), "agent")
    b = Browser(srv.port)
    b.login(u["email"], u["password"])
    h, _ = session_row(srv, b)
    db_sql(srv, "UPDATE sessions SET last_seen_at = %d WHERE token_hash = '%s'"
           % (now_ms() - 50 * 1000, h))
    assert b.signed_in()
    db_sql(srv, "UPDATE sessions SET last_seen_at = %d WHERE token_hash = '%s'"
           % (now_ms() - 61 * 1000, h))
    assert not b.signed_in()


def test_a_used_session_does_not_idle_out(make_server):
    """Using a session restarts its idle clock: with auth.session_idle_s = 60,
    a session last used 58 s ago is used now, and 3 s later it must still
    work (it was idle for 3 s, not 61)."""
    srv = make_server(env=IDLE_ENV)
    u = create_user(srv.client(), "agent")
    b = Browser(srv.port)
    b.login(u["email"], u["password"])
    h, _ = session_row(srv, b)
    db_sql(srv, "UPDATE sessions SET last_seen_at = %d WHERE token_hash = '%s'"
           % (now_ms() - 58 * 1000, h))
    assert b.get("/api/v1/conversations")[0] == 200
    time.sleep(3)
    assert b.get("/api/v1/conversations")[0] == 200, \
        "the session idled out although it was used 3 s ago"


def test_logout_ends_the_session(make_server):
    """POST /auth/logout (with the CSRF token) ends this session only: the
    cookie is cleared, the old id answers 401, another session of the same
    user goes on."""
    srv = make_server()
    u = create_user(srv.client(), "agent")
    b, other = Browser(srv.port), Browser(srv.port)
    b.login(u["email"], u["password"])
    other.login(u["email"], u["password"])
    old = b.cookie
    assert b.post("/api/v1/auth/logout", csrf=False)[0] == 403
    assert b.signed_in()
    status, _, _ = b.request("POST", "/api/v1/auth/logout", {})
    assert status == 200
    assert b.cookie is None and b.cookie_attrs["max-age"] == "0"
    b.cookie = old
    assert not b.signed_in()
    assert b.get("/api/v1/conversations")[0] == 401
    assert other.signed_in()


def test_logout_all_ends_every_session_of_the_user(make_server):
    """POST /auth/logout-all ends every session of the user and no one
    else's; a token has no session to end."""
    srv = make_server()
    api = srv.client()
    u, v = create_user(api, "agent"), create_user(api, "agent")
    b1, b2, b3 = Browser(srv.port), Browser(srv.port), Browser(srv.port)
    b1.login(u["email"], u["password"])
    b2.login(u["email"], u["password"])
    b3.login(v["email"], v["password"])
    old = b1.cookie
    assert b1.post("/api/v1/auth/logout-all")[0] == 200
    b1.cookie = old
    assert not b1.signed_in() and not b2.signed_in()
    assert b3.signed_in()
    assert db_value(srv, "SELECT count(*) FROM sessions WHERE user_id = %d" % u["id"]) == "0"
    assert api.post("/api/v1/auth/logout-all", {})[0] == 422


def test_disabling_a_user_ends_their_sessions(make_server):
    """PATCH {"active": false} ends the user's sessions at once and their
    login then fails like a wrong password; enabling again lets them in."""
    srv = make_server()
    api = srv.client()
    u = create_user(api, "agent")
    b = Browser(srv.port)
    b.login(u["email"], u["password"])
    status, body = api.patch("/api/v1/users/%d" % u["id"], {"active": False})
    assert status == 200 and body["active"] is False
    assert not b.signed_in()
    assert login_raw(srv, u["email"], u["password"])[0] == 401
    assert api.patch("/api/v1/users/%d" % u["id"], {"active": True})[0] == 200
    Browser(srv.port).login(u["email"], u["password"])


def test_password_change_ends_sessions(make_server):
    """POST /auth/password with the right current password changes it and
    ends the user's other sessions (and, as documented, this one); the old
    password no longer signs in, the new one does. A wrong current password
    is 422 current_password, a weak new one 422 new_password; neither
    changes anything."""
    srv = make_server()
    u = create_user(srv.client(), "agent")
    b, other = Browser(srv.port), Browser(srv.port)
    b.login(u["email"], u["password"])
    other.login(u["email"], u["password"])
    new = strong_password()
    status, body = b.post("/api/v1/auth/password",
                          {"current_password": "Wrong-" + u["password"], "new_password": new})
    assert status == 422 and body["error"]["field"] == "current_password"
    status, body = b.post("/api/v1/auth/password",
                          {"current_password": u["password"], "new_password": "short"})
    assert status == 422 and body["error"]["field"] == "new_password"
    assert other.signed_in() and b.signed_in()
    status, body = b.post("/api/v1/auth/password",
                          {"current_password": u["password"], "new_password": new})
    assert status == 200, body
    assert not other.signed_in()
    assert not b.signed_in()
    assert login_raw(srv, u["email"], u["password"])[0] == 401
    Browser(srv.port).login(u["email"], new)


def test_admin_setting_a_password_ends_sessions(make_server):
    """An admin's PATCH {"password"} ends every session of that user."""
    srv = make_server()
    api = srv.client()
    u = create_user(api, "agent")
    b = Browser(srv.port)
    b.login(u["email"], u["password"])
    new = strong_password()
    assert api.patch("/api/v1/users/%d" % u["id"], {"password": new})[0] == 200
    assert not b.signed_in()
    Browser(srv.port).login(u["email"], new)


def test_revoked_token_stops_working(make_server):
    """DELETE /tokens/{id} revokes a token: it answers 401 within the
    token cache's 2 s and stays listed with revoked_at."""
    srv = make_server()
    api = srv.client()
    status, tok = api.post("/api/v1/tokens", {"name": "leaked", "role": "agent"})
    assert status == 201 and tok["token"].startswith("ct_")
    leaked = srv.client(tok["token"])
    assert leaked.get("/api/v1/conversations")[0] == 200
    status, body = api.call("DELETE", "/api/v1/tokens/%d" % tok["id"])
    assert status == 200 and body["status"] == "revoked"
    wait_until(lambda: leaked.get("/api/v1/conversations")[0] == 401, 3,
               what="the revoked token to be refused")
    [row] = [t for t in api.get("/api/v1/tokens")[1]["data"] if t["id"] == tok["id"]]
    assert row["revoked_at"] is not None and "token" not in row
    assert api.call("DELETE", "/api/v1/tokens/999")[0] == 404

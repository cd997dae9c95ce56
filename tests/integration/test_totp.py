"""The second factor: TOTP (RFC 6238, codes from oathtool) and recovery
codes; admins made to set it up by auth.require_totp_for_admins."""

import re
import urllib.parse

from authkit import Browser, create_user, login, db_value, totp

# Routes a half-signed-in session may use; every other one answers 403.
PARTIAL = [("GET", "/api/v1/auth/me")]
BLOCKED = [("GET", "/api/v1/conversations"), ("GET", "/api/v1/teams"),
           ("POST", "/api/v1/auth/password"), ("POST", "/api/v1/auth/logout-all"),
           ("POST", "/api/v1/auth/totp/disable")]


def enable_totp(b):
    """Set up and enable TOTP for the browser's user; (secret, enabling code,
    recovery codes)."""
    status, setup = b.post("/api/v1/auth/totp/setup")
    assert status == 200, setup
    secret = setup["secret"]
    code = totp(secret)
    status, body = b.post("/api/v1/auth/totp/enable", {"code": code})
    assert status == 200, body
    return secret, code, body["recovery_codes"]


def a_wrong_code(secret):
    good = {totp(secret, d) for d in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in good)


def test_setup_answers_secret_and_uri(make_server):
    """Setup answers a base32 secret of 160 bits and an otpauth URI naming the
    user and the issuer; enable refuses a wrong code (422 code) and, with
    oathtool's code, answers ten distinct recovery codes."""
    srv = make_server()
    u = create_user(srv.client(), "agent")
    b = login(srv, u)
    status, setup = b.post("/api/v1/auth/totp/setup")
    assert status == 200
    secret = setup["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    uri = urllib.parse.urlparse(setup["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert urllib.parse.unquote(uri.path) == "/cluetrain:" + u["email"]
    q = urllib.parse.parse_qs(uri.query)
    assert q["secret"] == [secret] and q["issuer"] == ["cluetrain"]
    status, body = b.post("/api/v1/auth/totp/enable", {"code": a_wrong_code(secret)})
    assert status == 422 and body["error"]["field"] == "code"
    assert srv.client().get("/api/v1/users/%d" % u["id"])[1]["totp_enabled"] is False
    status, body = b.post("/api/v1/auth/totp/enable", {"code": totp(secret)})
    assert status == 200, body
    codes = body["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes), codes
    assert srv.client().get("/api/v1/users/%d" % u["id"])[1]["totp_enabled"] is True
    assert b.post("/api/v1/auth/totp/setup")[0] == 409
    # the secret is stored sealed, the codes as hashes
    stored = db_value(srv, "SELECT totp_secret FROM users WHERE id = %d" % u["id"])
    assert stored and secret not in stored
    hashes = db_value(srv, "SELECT code_hash FROM recovery_codes WHERE user_id = %d"
                          % u["id"])
    assert all(c not in hashes and c.replace("-", "") not in hashes for c in codes)


def test_login_requires_the_second_factor(make_server):
    """With TOTP on, the password alone gives a session that can only reach
    the partial-auth routes (everything else 403) until a right code; a wrong
    code is 401; the right one gives a new session id, and the half session
    is gone."""
    srv = make_server()
    u = create_user(srv.client(), "agent")
    secret, used_code, _ = enable_totp(login(srv, u))
    b = Browser(srv.port)
    body = b.login(u["email"], u["password"])
    assert body["second_factor_required"] is True
    half = b.cookie
    for method, path in BLOCKED:
        status, res = b.call(method, path, {} if method == "POST" else None)
        assert status == 403, (method, path, status)
        assert res["error"]["message"] == "the second factor is still missing"
    status, me = b.get("/api/v1/auth/me")
    assert status == 200 and me["second_factor_required"] is True
    b.second_factor(expect=401, code=a_wrong_code(secret))
    b.second_factor(expect=422)  # neither code nor recovery_code
    # the code that enabled TOTP was used once already
    b.second_factor(expect=401, code=used_code)
    assert b.get("/api/v1/conversations")[0] == 403
    body = b.second_factor(code=totp(secret, 30))
    assert body["second_factor_required"] is False
    assert b.cookie != half
    assert b.get("/api/v1/conversations")[0] == 200
    assert b.get("/api/v1/auth/me")[1]["second_factor_required"] is False
    stale = Browser(srv.port)
    stale.cookie = half
    assert not stale.signed_in()


def test_a_code_cannot_be_used_twice(make_server):
    """A TOTP code that signed in once is refused the next time (401), in
    another login, even within its time step."""
    srv = make_server()
    u = create_user(srv.client(), "agent")
    secret, _, _ = enable_totp(login(srv, u))
    code = totp(secret, 30)
    b1 = Browser(srv.port)
    b1.login(u["email"], u["password"])
    b1.second_factor(code=code)
    b2 = Browser(srv.port)
    b2.login(u["email"], u["password"])
    b2.second_factor(expect=401, code=code)
    assert b2.get("/api/v1/conversations")[0] == 403
    # an older code than the last one used is refused as well
    b2.second_factor(expect=401, code=totp(secret, 0))


def test_recovery_codes_work_once_each(make_server):
    """Each recovery code signs in once (also typed in capitals without
    dashes); used again it is 401."""
    srv = make_server()
    u = create_user(srv.client(), "agent")
    _, _, codes = enable_totp(login(srv, u))
    b = Browser(srv.port)
    b.login(u["email"], u["password"])
    b.second_factor(recovery_code=codes[0])
    assert b.get("/api/v1/conversations")[0] == 200
    b = Browser(srv.port)
    b.login(u["email"], u["password"])
    b.second_factor(expect=401, recovery_code=codes[0])
    b.second_factor(recovery_code=codes[1].replace("-", "").upper())
    b = Browser(srv.port)
    b.login(u["email"], u["password"])
    b.second_factor(expect=401, recovery_code=codes[1])
    b.second_factor(expect=401, recovery_code="aaaa-bbbb-cccc")
    b.second_factor(recovery_code=codes[2])


def test_admin_removes_a_users_second_factor(make_server):
    """PATCH /users/{id} {"totp_enabled": false} removes the second factor
    (and the recovery codes): the password alone signs in again; true is
    refused (users set it up themselves)."""
    srv = make_server()
    api = srv.client()
    u = create_user(api, "agent")
    _, _, codes = enable_totp(login(srv, u))
    status, body = api.patch("/api/v1/users/%d" % u["id"], {"totp_enabled": True})
    assert status == 422 and body["error"]["field"] == "totp_enabled"
    status, body = api.patch("/api/v1/users/%d" % u["id"], {"totp_enabled": False})
    assert status == 200 and body["totp_enabled"] is False
    b = Browser(srv.port)
    assert b.login(u["email"], u["password"])["second_factor_required"] is False
    assert b.get("/api/v1/conversations")[0] == 200
    assert db_value(srv, "SELECT count(*) FROM recovery_codes WHERE user_id = %d"
                        % u["id"]) == "0"


def test_user_disables_totp_with_the_password(make_server):
    """POST /auth/totp/disable needs the password (422 password otherwise)."""
    srv = make_server()
    u = create_user(srv.client(), "agent")
    b = login(srv, u)
    enable_totp(b)
    status, body = b.post("/api/v1/auth/totp/disable", {"password": "Wrong-" + u["password"]})
    assert status == 422 and body["error"]["field"] == "password"
    assert b.post("/api/v1/auth/totp/disable", {"password": u["password"]})[0] == 200
    assert Browser(srv.port).login(u["email"], u["password"])["second_factor_required"] is False


def test_admins_must_set_up_totp_when_configured(make_server):
    """With auth.require_totp_for_admins = 1 an admin without TOTP gets a
    session that may only set it up (other routes 403); once enabled, the
    same session works. Other roles and API tokens are not held back."""
    srv = make_server(env={"CLUETRAIN_AUTH_REQUIRE_TOTP_FOR_ADMINS": "1"})
    api = srv.client()
    admin, agent = create_user(api, "admin"), create_user(api, "agent")
    assert api.get("/api/v1/users")[0] == 200
    b = Browser(srv.port)
    body = b.login(admin["email"], admin["password"])
    assert body["totp_setup_required"] is True and body["second_factor_required"] is False
    for method, path in BLOCKED + [("GET", "/api/v1/users")]:
        status, res = b.call(method, path, {} if method == "POST" else None)
        assert status == 403, (method, path, status)
        assert res["error"]["message"] == "set up a second factor first"
    assert b.get("/api/v1/auth/me")[1]["totp_setup_required"] is True
    status, setup = b.post("/api/v1/auth/totp/setup")
    assert status == 200
    assert b.post("/api/v1/auth/totp/enable", {"code": totp(setup["secret"])})[0] == 200
    assert b.get("/api/v1/users")[0] == 200
    assert b.get("/api/v1/auth/me")[1]["totp_setup_required"] is False
    a = Browser(srv.port)
    assert a.login(agent["email"], agent["password"])["totp_setup_required"] is False
    assert a.get("/api/v1/conversations")[0] == 200

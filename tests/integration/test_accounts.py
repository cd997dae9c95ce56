"""Users through the API and the command line: the password policy, Argon2id
hashes, generated passwords, validation, the last admin, and
`cluetrain user add|list|disable|passwd`."""

import re

import pytest

from authkit import Browser, create_user, login, db_value, strong_password

NAME = "Bartholomew Quixote"


@pytest.mark.parametrize("password,why", [
    ("Ab3-efgh1", "at least 10 characters"),
    ("x" * 257, "at most 256 characters"),
    ("password1234", "dictionary word"),
    ("elephant12345", "dictionary word"),
    ("qwertyuiop12", "dictionary word"),
    ("1234567890", "simplistic"),
    ("BartholomewQuixote", "password entry"),
    ("Quixote12345", "password entry"),
    ("zephyrine2024!", "username"),
])
def test_password_policy(server, api, password, why):
    """Too short, too long, dictionary words (also with digits appended),
    patterns, the user's own name or e-mail: 422 with field password, and no
    user is made."""
    email = "zephyrine@example.org"
    status, body = api.post("/api/v1/users", {"name": NAME, "email": email, "role": "agent",
                                              "password": password})
    assert status == 422, body
    assert body["error"]["field"] == "password" and why in body["error"]["message"]
    assert email not in [u["email"] for u in api.get("/api/v1/users")[1]["data"]]


@pytest.mark.parametrize("password", ["passwort1234", "Passwort2024", "schatzi12345"])
def test_common_german_passwords_are_refused(server, api, password):
    """The installation speaks German: the most common German passwords are
    common passwords too and must be refused like "password1234"."""
    status, body = api.post("/api/v1/users", {"name": "Erika Muster", "role": "agent",
                                              "email": "erika@example.org",
                                              "password": password})
    assert status == 422 and body["error"]["field"] == "password", (password, status, body)


def test_admin_password_change_follows_the_policy(server, api):
    """PATCH {"password"} is checked like a new one (the user's own name too)."""
    u = create_user(api, "agent", name=NAME)
    for bad in ("short", "password1234", "QuixoteBartholomew"):
        status, body = api.patch("/api/v1/users/%d" % u["id"], {"password": bad})
        assert status == 422 and body["error"]["field"] == "password", (bad, body)
    Browser(server.port).login(u["email"], u["password"])


def test_passwords_are_stored_as_argon2id(server, api):
    """users.password_hash is an Argon2id hash ($argon2id$, libsodium's
    interactive limits), not the password; two users with the same password
    get different hashes (salted)."""
    pw = strong_password()
    a = create_user(api, "agent", password=pw)
    b = create_user(api, "agent", password=pw)
    ha = db_value(server, "SELECT password_hash FROM users WHERE id = %d" % a["id"])
    hb = db_value(server, "SELECT password_hash FROM users WHERE id = %d" % b["id"])
    for h in (ha, hb):
        assert h.startswith("$argon2id$v=19$m=65536,t=2,p=1$"), h
        assert pw not in h
    assert ha != hb
    assert db_value(server, "SELECT count(*) FROM users WHERE password_hash NOT LIKE"
                        " '$argon2id$%'") == "0"


def test_generated_password_is_shown_once_and_works(server, api):
    """A user made without a password gets a random one of 20 characters in
    the 201 answer only; it signs in."""
    status, u = api.post("/api/v1/users", {"name": "Gen Erated", "email": "gen@example.org",
                                           "role": "viewer"})
    assert status == 201
    pw = u["password"]
    assert len(pw) == 20
    assert "password" not in api.get("/api/v1/users/%d" % u["id"])[1]
    assert all("password" not in x for x in api.get("/api/v1/users")[1]["data"])
    Browser(server.port).login("gen@example.org", pw)


@pytest.mark.parametrize("body,status,field", [
    ({"name": "A", "email": "dup@example.org", "role": "agent"}, 409, "email"),
    ({"name": "A", "email": "no-at-sign", "role": "agent"}, 422, "email"),
    ({"name": "A", "email": "x@example.org", "role": "owner"}, 422, "role"),
    ({"name": "A", "email": "x@example.org"}, 422, "role"),
    ({"email": "x@example.org", "role": "agent"}, 422, "name"),
    ({"name": "A", "email": "x@example.org", "role": "agent", "locale": "fr"}, 422, "locale"),
    ({"name": "A", "email": "x@example.org", "role": "agent", "teams": [99]}, 422, "teams"),
    ({"name": "A", "email": "x@example.org", "role": "agent", "is_admin": True}, 422, "is_admin"),
])
def test_user_validation(server, api, body, status, field):
    create_user(api, "agent", email="dup@example.org")
    got, res = api.post("/api/v1/users", body)
    assert got == status and res["error"]["field"] == field, res


def test_user_changes_through_the_api(server, api):
    """Admins change name, role, locale and teams; the e-mail cannot be
    changed; an unknown user is 404."""
    u = create_user(api, "agent")
    status, team = api.post("/api/v1/teams", {"name": "Eins"})
    status, body = api.patch("/api/v1/users/%d" % u["id"],
                             {"name": "Neuer Name", "role": "supervisor", "locale": "en",
                              "teams": [team["id"]]})
    assert status == 200
    assert (body["name"], body["role"], body["locale"], body["teams"]) == \
        ("Neuer Name", "supervisor", "en", [team["id"]])
    status, body = api.patch("/api/v1/users/%d" % u["id"], {"email": "other@example.org"})
    assert status == 422 and body["error"]["field"] == "email"
    assert api.patch("/api/v1/users/9999", {"name": "x"})[0] == 404
    assert api.get("/api/v1/users/9999")[0] == 404
    b = login(server, u)
    assert b.get("/api/v1/channels")[0] == 200  # supervisor now


def test_the_last_admin_stays(server, api):
    """The last active admin cannot be disabled or demoted (409); with a
    second admin it can."""
    status, users = api.get("/api/v1/users")
    [first] = [u for u in users["data"] if u["role"] == "admin"]
    status, body = api.patch("/api/v1/users/%d" % first["id"], {"active": False})
    assert status == 409 and body["error"]["field"] == "active"
    status, body = api.patch("/api/v1/users/%d" % first["id"], {"role": "agent"})
    assert status == 409 and body["error"]["field"] == "role"
    second = create_user(api, "admin")
    assert api.patch("/api/v1/users/%d" % first["id"], {"active": False})[0] == 200
    status, body = api.patch("/api/v1/users/%d" % second["id"], {"role": "viewer"})
    assert status == 409


# -- the command line -------------------------------------------------------

def cli_user_list(srv):
    res = srv.cli("user", "list", check=True)
    rows = {}
    for line in res.stdout.splitlines():
        parts = line.split()
        rows[parts[1]] = parts
    return rows


def test_cli_user_add_with_generated_password(server):
    """`user add` without --password-stdin prints a random password once (one
    line); it signs in; `user list` shows the user with role and state."""
    res = server.cli("user", "add", "--email", "Cli@Example.org", "--name", "Cli Nutzer",
                     "--role", "supervisor", "--locale", "en", check=True)
    pw = res.stdout.strip()
    assert re.fullmatch(r"\S{20}", pw), res.stdout
    b = Browser(server.port)
    body = b.login("cli@example.org", pw)
    assert body["user"]["role"] == "supervisor" and body["user"]["locale"] == "en"
    row = cli_user_list(server)["cli@example.org"]
    assert "supervisor" in row and "active" in row
    assert pw not in server.cli("user", "list", check=True).stdout


def test_cli_user_add_with_password_stdin(server):
    """--password-stdin takes the password from standard input and prints no
    password; policy errors fail with the field and the reason."""
    pw = strong_password()
    res = server.cli("user", "add", "--email", "stdin@example.org", "--name", "Stdin Nutzer",
                     "--role", "agent", "--password-stdin", input=pw + "\n", check=True)
    assert pw not in res.stdout and re.search(r"user \d+ created", res.stdout)
    Browser(server.port).login("stdin@example.org", pw)
    for bad, why in (("kurz", "at least 10"), ("password1234", "dictionary"),
                     ("StdinNutzer99", "password entry")):
        res = server.cli("user", "add", "--email", "bad@example.org", "--name", "Stdin Nutzer",
                         "--role", "agent", "--password-stdin", input=bad + "\n")
        assert res.returncode != 0 and "password:" in res.stderr and why in res.stderr, \
            (bad, res.stderr)
    assert "bad@example.org" not in cli_user_list(server)
    res = server.cli("user", "add", "--email", "stdin@example.org", "--name", "Again",
                     "--role", "agent", "--password-stdin", input=strong_password() + "\n")
    assert res.returncode != 0 and "email" in res.stderr
    res = server.cli("user", "add", "--email", "r@example.org", "--name", "R", "--role", "boss")
    assert res.returncode != 0 and "role" in res.stderr


def test_cli_user_disable(server, api):
    """`user disable` ends the user's sessions and their login; the last
    admin cannot be disabled; an unknown address fails."""
    u = create_user(api, "agent")
    b = login(server, u)
    server.cli("user", "disable", "--email", u["email"], check=True)
    assert not b.signed_in()
    Browser(server.port).login(u["email"], u["password"], expect=401)
    assert "disabled" in cli_user_list(server)[u["email"]]
    res = server.cli("user", "disable", "--email", "admin@localhost")
    assert res.returncode != 0 and "last active admin" in res.stderr
    assert "active" in cli_user_list(server)["admin@localhost"]
    res = server.cli("user", "disable", "--email", "nobody@example.org")
    assert res.returncode != 0 and "nobody@example.org" in res.stderr


def test_cli_user_passwd(server, api):
    """`user passwd` prints a new random password (the old one stops working,
    sessions end) or takes one from --password-stdin, checked by the
    policy."""
    u = create_user(api, "agent")
    b = login(server, u)
    res = server.cli("user", "passwd", "--email", u["email"], check=True)
    pw = res.stdout.strip()
    assert re.fullmatch(r"\S{20}", pw)
    assert not b.signed_in()
    Browser(server.port).login(u["email"], u["password"], expect=401)
    Browser(server.port).login(u["email"], pw)
    res = server.cli("user", "passwd", "--email", u["email"], "--password-stdin",
                     input="password1234\n")
    assert res.returncode != 0 and "password:" in res.stderr
    Browser(server.port).login(u["email"], pw)
    mine = strong_password()
    res = server.cli("user", "passwd", "--email", u["email"], "--password-stdin",
                     input=mine + "\n", check=True)
    assert mine not in res.stdout
    Browser(server.port).login(u["email"], mine)
    entries = api.get("/api/v1/audit", {"action": "user.password_changed",
                                        "object_id": u["id"]})[1]["data"]
    assert len(entries) == 2 and {e["actor"] for e in entries} == {"cli"}

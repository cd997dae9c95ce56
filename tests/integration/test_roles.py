"""The role x route matrix: every route of the route table (as `cluetrain
routes` prints it) against every role, once with API tokens and once with
session cookies of users of that role. Allowed -> not 401/403 (and no server
error); denied -> 403; no credentials -> 401 on every non-public route.

The declared table itself is checked against the policy of issue 3 (admin
everything, supervisor all conversations and the channel list, agent the
inbox, viewer read only), so a wrong declaration cannot pass as "enforced as
declared".
"""

import subprocess

import pytest

import harness
from authkit import ROLES, Browser, create_user, raw_request
from harness import EventStream, message

PUBLIC = "public"


def load_routes():
    """[(method, pattern, frozenset of roles or PUBLIC)] of the JSON API from
    `cluetrain routes`."""
    try:
        out = subprocess.run([harness.binary_path(), "routes"], capture_output=True, text=True,
                             timeout=30, env=harness.clean_env()).stdout
    except OSError:
        return []
    routes = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        method, pattern, roles = parts[0], parts[1], parts[2:]
        if not pattern.startswith("/api/"):
            continue  # the web pages: test_web_pages.py
        routes.append((method, pattern, PUBLIC if roles == [PUBLIC] else frozenset(roles)))
    return routes


ROUTES = load_routes()

# What issue 3 and docs/security.md say each route allows.
ANY = frozenset(ROLES)
WRITE = frozenset(("admin", "supervisor", "agent"))
MANAGE = frozenset(("admin", "supervisor"))
ADMIN = frozenset(("admin",))
POLICY = {
    ("GET", "/api/v1/health"): PUBLIC,
    ("POST", "/api/v1/messages"): WRITE,
    ("POST", "/api/v1/messages/{id}/share"): WRITE,
    ("POST", "/api/v1/messages/{id}/hide"): WRITE,
    ("POST", "/api/v1/messages/{id}/retry"): WRITE,
    ("GET", "/api/v1/conversations"): ANY,
    ("GET", "/api/v1/conversations/{id}"): ANY,
    ("PATCH", "/api/v1/conversations/{id}"): WRITE,
    ("POST", "/api/v1/conversations/{id}/messages"): WRITE,
    ("POST", "/api/v1/conversations/{id}/notes"): WRITE,
    ("GET", "/api/v1/search"): ANY,
    ("GET", "/api/v1/events"): ANY,
    ("GET", "/api/v1/channels"): MANAGE,
    ("POST", "/api/v1/channels"): ADMIN,
    ("GET", "/api/v1/channels/{id}"): MANAGE,
    ("PATCH", "/api/v1/channels/{id}"): ADMIN,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/second-factor"): ANY,
    ("GET", "/api/v1/auth/me"): ANY,
    ("POST", "/api/v1/auth/logout"): ANY,
    ("POST", "/api/v1/auth/logout-all"): ANY,
    ("POST", "/api/v1/auth/password"): ANY,
    ("POST", "/api/v1/auth/password-reset"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset/confirm"): PUBLIC,
    ("POST", "/api/v1/auth/totp/setup"): ANY,
    ("POST", "/api/v1/auth/totp/enable"): ANY,
    ("POST", "/api/v1/auth/totp/disable"): ANY,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/users/{id}"): ADMIN,
    ("PATCH", "/api/v1/users/{id}"): ADMIN,
    ("GET", "/api/v1/teams"): ANY,
    ("POST", "/api/v1/teams"): ADMIN,
    ("PATCH", "/api/v1/teams/{id}"): ADMIN,
    ("GET", "/api/v1/tokens"): ADMIN,
    ("POST", "/api/v1/tokens"): ADMIN,
    ("DELETE", "/api/v1/tokens/{id}"): ADMIN,
    ("GET", "/api/v1/audit"): ADMIN,
    ("GET", "/api/v1/contacts/{id}"): ANY,
    ("GET", "/api/v1/contacts/{id}/export"): ADMIN,
    ("POST", "/api/v1/contacts/{id}/erase"): ADMIN,
    ("GET", "/api/v1/retention"): ADMIN,
    ("POST", "/api/v1/retention/run"): ADMIN,
    ("GET", "/api/v1/concept"): ANY,
    ("GET", "/api/v1/concept/versions"): ANY,
    ("POST", "/api/v1/concept/versions"): MANAGE,
    ("GET", "/api/v1/concept/versions/{id}"): ANY,
    ("POST", "/api/v1/concept/versions/{id}/activate"): MANAGE,
    ("GET", "/api/v1/concept/diff"): ANY,
    ("POST", "/api/v1/concept/check"): MANAGE,
    ("POST", "/api/v1/concept/replay"): MANAGE,
    ("GET", "/api/v1/templates"): ANY,
    ("POST", "/api/v1/templates"): WRITE,
    ("GET", "/api/v1/templates/export"): ANY,
    ("POST", "/api/v1/templates/import"): MANAGE,
    ("GET", "/api/v1/templates/{id}"): ANY,
    ("PATCH", "/api/v1/templates/{id}"): WRITE,
    ("GET", "/api/v1/templates/{id}/versions/{number}"): ANY,
    ("GET", "/api/v1/templates/{id}/diff"): ANY,
    ("POST", "/api/v1/templates/{id}/submit"): WRITE,
    ("POST", "/api/v1/templates/{id}/approve"): MANAGE,
    ("POST", "/api/v1/templates/{id}/return"): MANAGE,
    ("POST", "/api/v1/templates/{id}/confirm"): MANAGE,
    ("POST", "/api/v1/templates/{id}/retire"): MANAGE,
    ("POST", "/api/v1/templates/{id}/preview"): ANY,
    ("GET", "/api/v1/conversations/{id}/suggestions"): ANY,
    ("GET", "/api/v1/held-replies"): MANAGE,
    ("GET", "/api/v1/held-replies/{id}"): MANAGE,
    ("POST", "/api/v1/held-replies/{id}/approve"): MANAGE,
    ("POST", "/api/v1/held-replies/{id}/reject"): MANAGE,
    ("GET", "/api/v1/reports/templates"): MANAGE,
}

SESSION_ENDING = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/logout-all")}


def route_id(route):
    return "%s %s" % (route[0], route[1])


def test_the_route_table_is_listed():
    """`cluetrain routes` lists the whole table (METHOD PATTERN roles|public)."""
    assert len(ROUTES) >= len(POLICY), ROUTES
    for method, pattern, roles in ROUTES:
        assert pattern.startswith("/api/v1/"), pattern
        assert roles == PUBLIC or (roles and roles <= ANY), (method, pattern, roles)


def test_declared_roles_follow_the_policy():
    """Every route is declared with exactly the roles the policy gives it, and
    no route exists that the policy does not know."""
    declared = {(m, p): r for m, p, r in ROUTES}
    assert set(declared) == set(POLICY), (set(declared) ^ set(POLICY))
    wrong = {k: (sorted(declared[k]) if declared[k] != PUBLIC else PUBLIC,
                 sorted(POLICY[k]) if POLICY[k] != PUBLIC else PUBLIC)
             for k in POLICY if declared[k] != POLICY[k]}
    assert not wrong, "declared vs policy: %r" % wrong


@pytest.fixture(scope="module")
def world(binary, template, tmp_path_factory):
    """One server for the whole matrix with one user and one token per role,
    a team the agent belongs to and a conversation of that team."""
    env = {"CLUETRAIN_HTTP_PUBLIC_PER_MINUTE": "100000",
           "CLUETRAIN_AUTH_MAX_FAILURES": "1000"}
    srv = harness.Server(binary, tmp_path_factory.mktemp("roles") / "data", env)
    srv.init(template)
    srv.start()
    try:
        api = srv.client()
        [r] = api.ingest(message("matrix-1", author="matrix-kunde"))
        conv = api.conversation(r["conversation_id"])
        status, team = api.post("/api/v1/teams", {"name": "Matrix"})
        assert status == 201, team
        status, _ = api.patch("/api/v1/conversations/%d" % conv["id"], {"team_id": team["id"]})
        assert status == 200
        users = {role: create_user(api, role, teams=[team["id"]]) for role in ROLES}
        tokens = {role: srv.add_token("matrix-" + role, role) for role in ROLES}
        status, victim = api.post("/api/v1/tokens", {"name": "victim", "role": "viewer"})
        assert status == 201, victim
        ids = {"conversations": conv["id"], "channels": 1, "messages": r["id"], "users": users["viewer"]["id"],
               "teams": team["id"], "tokens": victim["id"], "contacts": conv["contact"]["id"],
               "concept": 1,  # no version exists: 404 where allowed, 403 where not
               "templates": 1, "held-replies": 1}  # likewise: none exist
        browsers = {}
        for role in ROLES:
            b = Browser(srv.port)
            b.login(users[role]["email"], users[role]["password"])
            browsers[role] = b
        yield {"server": srv, "users": users, "tokens": tokens, "ids": ids,
               "browsers": browsers}
    finally:
        rc = srv.stop()
        assert rc == 0, "cluetrain serve exited %s" % rc


def concrete_path(pattern, ids):
    """The pattern with {id} filled by an existing object of its resource
    (and a template's {number} by 1)."""
    if "{id}" not in pattern:
        return pattern
    resource = pattern.split("/")[3]
    return pattern.replace("{id}", str(ids[resource])).replace("{number}", "1")


def send(srv, method, path, headers):
    """The status of one request; the event stream is opened and closed."""
    if path == "/api/v1/events":
        auth = headers.pop("Authorization", "")
        token = auth[len("Bearer "):] if auth else None
        s = EventStream(srv.port, token, headers=headers)
        try:
            return s.status
        finally:
            s.close()
    body = None if method in ("GET", "DELETE") else {}
    status, _, _ = raw_request(srv.port, method, path, body, headers)
    return status


def check(status, allowed, what):
    if allowed:
        assert status not in (401, 403) and status < 500, "%s: allowed, got %d" % (what, status)
    else:
        assert status == 403, "%s: denied, got %d" % (what, status)


CELLS = [(r, role) for r in ROUTES for role in ROLES]


@pytest.mark.parametrize("route,role", CELLS,
                         ids=["%s-%s" % (route_id(r), role) for r, role in CELLS])
def test_token_matrix(world, route, role):
    """An API token of each role: allowed -> not 401/403, denied -> 403."""
    method, pattern, roles = route
    path = concrete_path(pattern, world["ids"])
    status = send(world["server"], method, path,
                  {"Authorization": "Bearer " + world["tokens"][role]})
    check(status, roles == PUBLIC or role in roles, "token %s %s %s" % (role, method, path))


@pytest.mark.parametrize("route,role", CELLS,
                         ids=["%s-%s" % (route_id(r), role) for r, role in CELLS])
def test_session_matrix(world, route, role):
    """A signed-in user of each role (cookie and X-CSRF-Token): allowed ->
    not 401/403, denied -> 403. Routes that end the session get a session of
    their own."""
    method, pattern, roles = route
    path = concrete_path(pattern, world["ids"])
    b = world["browsers"][role]
    if (method, pattern) in SESSION_ENDING:
        user = world["users"][role]
        b = Browser(world["server"].port)
        b.login(user["email"], user["password"])
    headers = {"Cookie": "ct_session=" + b.cookie}
    if method not in ("GET", "HEAD"):
        headers["X-CSRF-Token"] = b.csrf
    status = send(world["server"], method, path, headers)
    check(status, roles == PUBLIC or role in roles, "session %s %s %s" % (role, method, path))
    if (method, pattern) not in SESSION_ENDING:
        assert b.signed_in(), "the %s session ended after %s %s" % (role, method, path)
    elif not world["browsers"][role].signed_in():  # logout-all ended it too: sign in again
        user = world["users"][role]
        world["browsers"][role].login(user["email"], user["password"])


@pytest.mark.parametrize("route", ROUTES, ids=[route_id(r) for r in ROUTES])
def test_no_credentials(world, route):
    """Without credentials every non-public route answers 401; public ones
    answer (neither 401 nor 403)."""
    method, pattern, roles = route
    path = concrete_path(pattern, world["ids"])
    status = send(world["server"], method, path, {})
    if roles == PUBLIC:
        assert status not in (401, 403) and status < 500, (method, path, status)
    else:
        assert status == 401, (method, path, status)


@pytest.mark.parametrize("route", [r for r in ROUTES if r[2] != PUBLIC],
                         ids=[route_id(r) for r in ROUTES if r[2] != PUBLIC])
def test_bad_credentials(world, route):
    """An unknown token or session id is 401, like none at all."""
    method, pattern, _ = route
    path = concrete_path(pattern, world["ids"])
    assert send(world["server"], method, path,
                {"Authorization": "Bearer ct_" + "x" * 43}) == 401
    assert send(world["server"], method, path,
                {"Cookie": "ct_session=" + "y" * 43, "X-CSRF-Token": "z" * 20}) == 401


def test_matrix_size():
    """The matrix covers every route for every role (reported by the suite)."""
    assert len(CELLS) == len(ROUTES) * len(ROLES) and len(ROUTES) == len(POLICY)
    print("role x route matrix: %d routes x %d roles = %d cells, with tokens and with "
          "sessions (%d requests) plus %d without credentials"
          % (len(ROUTES), len(ROLES), len(CELLS), 2 * len(CELLS), len(ROUTES)))

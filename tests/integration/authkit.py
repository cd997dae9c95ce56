"""What the accounts, roles, security and privacy tests share: users made
through the API, a browser-like client with a session cookie and the CSRF
token, raw requests from another loopback address, the sqlite3 CLI, and TOTP
codes from oathtool.

Everything talks only to 127.0.0.0/8 and uses the standard library plus the
programs sqlite3 and oathtool (scripts/deps.sh test).
"""

import http.client
import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.parse

import harness
from harness import SLOW

ROLES = ("admin", "supervisor", "agent", "viewer")
COOKIE = "ct_session"


def strong_password():
    """A random password that passes the policy (length, cracklib)."""
    return "Qz7-" + secrets.token_urlsafe(12) + "-k9"


def unique(prefix):
    return "%s-%s" % (prefix, secrets.token_hex(4))


def create_user(api, role, email=None, name=None, password=None, teams=None, locale=None,
                expect=201):
    """POST /api/v1/users as the admin api client; the user (with "password")."""
    email = email or "%s@example.org" % unique(role)
    body = {"name": name or "Person %s" % secrets.token_hex(3), "email": email, "role": role,
            "password": password or strong_password()}
    if teams is not None:
        body["teams"] = teams
    if locale:
        body["locale"] = locale
    status, user = api.post("/api/v1/users", body)
    assert status == expect, (status, user)
    if status == 201:
        user["password"] = body["password"]
    return user


def parse_set_cookie(value):
    """'ct_session=abc; HttpOnly; Path=/' -> ('abc', {'httponly': True, 'path': '/'})."""
    parts = [p.strip() for p in value.split(";")]
    name, _, token = parts[0].partition("=")
    assert name == COOKIE, value
    attrs = {}
    for p in parts[1:]:
        k, eq, v = p.partition("=")
        attrs[k.lower()] = v if eq else True
    return token, attrs


def raw_request(port, method, path, body=None, headers=None, source=None, timeout=15):
    """One request on a new connection (from source, a loopback address, when
    given); (status, list of (header, value) with lower-case names, raw body)."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout * SLOW,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        res = conn.getresponse()
        raw = res.read()
        return res.status, [(k.lower(), v) for k, v in res.getheaders()], raw
    finally:
        conn.close()


def as_json(raw):
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        return None


class Browser:
    """A client that signs in like the web interface: it keeps the session
    cookie and sends the CSRF token on state changes (unless told not to)."""

    def __init__(self, port, source=None):
        self.port = port
        self.source = source
        self.cookie = None  # the session id
        self.csrf = None
        self.cookie_attrs = None
        self.me = None

    def request(self, method, path, body=None, headers=None, csrf=True, params=None):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        hdrs = {}
        if self.cookie:
            hdrs["Cookie"] = "%s=%s" % (COOKIE, self.cookie)
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            hdrs["X-CSRF-Token"] = self.csrf
        hdrs.update(headers or {})
        status, hlist, raw = raw_request(self.port, method, path, body, hdrs, self.source)
        for k, v in hlist:
            if k == "set-cookie":
                token, attrs = parse_set_cookie(v)
                self.cookie = token or None
                self.cookie_attrs = attrs
        return status, dict(hlist), raw

    def call(self, method, path, body=None, **kw):
        status, _, raw = self.request(method, path, body, **kw)
        return status, as_json(raw)

    def get(self, path, params=None, **kw):
        return self.call("GET", path, params=params, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, {} if body is None else body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def login(self, email, password, expect=200, headers=None):
        """POST /api/v1/auth/login; the answer's body. On 200 the cookie and
        CSRF token are kept."""
        status, hdrs, raw = self.request("POST", "/api/v1/auth/login",
                                         {"email": email, "password": password},
                                         headers=headers)
        body = as_json(raw)
        assert status == expect, (status, body)
        if status == 200:
            self.csrf = body["csrf_token"]
            self.me = body
            self.login_headers = hdrs
        return body

    def second_factor(self, expect=200, **body):
        status, res = self.post("/api/v1/auth/second-factor", body)
        assert status == expect, (status, res)
        if status == 200:
            self.csrf = res["csrf_token"]
        return res

    def signed_in(self):
        """True when the session still works (GET /api/v1/auth/me is 200)."""
        status, _ = self.get("/api/v1/auth/me")
        assert status in (200, 401), status
        return status == 200


def login(server, user, source=None):
    """A Browser signed in as user (a dict with email and password)."""
    b = Browser(server.port, source)
    b.login(user["email"], user["password"])
    return b


def db_path(server):
    return os.path.join(server.data_dir, "cluetrain.db")


def db_sql(server, sql, check=True):
    """Run sql on the server's database (also while it serves) with the
    sqlite3 CLI, or psql for a PostgreSQL database; the CompletedProcess.
    Both print rows as lines of values separated by "|"."""
    if server.database:
        args = ["psql", "-qAt", "-F", "|", "-v", "ON_ERROR_STOP=1",
                harness.pg_url(server.database), "-c", sql]
    else:
        exe = shutil.which("sqlite3")
        assert exe, "sqlite3 not found (scripts/deps.sh test)"
        args = [exe, "-cmd", ".timeout 10000", db_path(server), sql]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if check:
        assert proc.returncode == 0, (sql, proc.stdout, proc.stderr)
    return proc


def db_value(server, sql):
    return db_sql(server, sql).stdout.strip()


def stored_bytes(server):
    """Everything the database holds, as bytes: the SQLite files, or a
    pg_dump of the PostgreSQL database."""
    if server.database:
        return subprocess.run(["pg_dump", "--data-only", harness.pg_url(server.database)],
                              capture_output=True, check=True, timeout=120).stdout
    data = b""
    for suffix in ("", "-wal", "-shm"):
        try:
            with open(db_path(server) + suffix, "rb") as f:
                data += f.read()
        except FileNotFoundError:
            pass
    return data


def now_ms():
    return int(time.time() * 1000)


def totp(secret, offset_s=0):
    """The TOTP code of secret (base32) now (+ offset_s), from oathtool."""
    exe = shutil.which("oathtool")
    assert exe, "oathtool not found (scripts/deps.sh test)"
    args = [exe, "--totp", "-b", secret]
    if offset_s:
        args += ["-N", "@%d" % int(time.time() + offset_s)]
    return subprocess.run(args, capture_output=True, text=True, check=True,
                          timeout=10).stdout.strip()


def audit(api, **params):
    """Entries of GET /api/v1/audit (newest first) matching params."""
    status, body = api.get("/api/v1/audit", dict({"limit": 500}, **params))
    assert status == 200, body
    return body["data"]


def error_of(body):
    return (body or {}).get("error") or {}

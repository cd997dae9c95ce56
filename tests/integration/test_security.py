"""Hardening: CSRF and same-origin checks, security headers, body caps per
route, connection limits and timeouts, the per-address limit on public
routes, and channel secrets (sealed at rest, never shown, signing
webhooks)."""

import hashlib
import http.client
import hmac
import json
import re
import secrets
import socket
import time

from authkit import as_json, audit, create_user, login, raw_request, stored_bytes
from harness import SLOW, EventStream, message, wait_until


# -- CSRF and same origin ---------------------------------------------------

def team_names(api):
    return [t["name"] for t in api.get("/api/v1/teams")[1]["data"]]


def test_session_state_changes_need_the_csrf_token(make_server):
    """A session's POST or PATCH without X-CSRF-Token, or with a wrong one,
    is 403 and changes nothing; with the right one it works. GETs need none."""
    srv = make_server()
    api = srv.client()
    b = login(srv, create_user(api, "admin"))
    [r] = api.ingest(message("csrf-1"))
    path = "/api/v1/conversations/%d" % r["conversation_id"]
    assert b.get(path, csrf=False)[0] == 200
    for headers in ({}, {"X-CSRF-Token": "wrong-" + b.csrf}, {"X-CSRF-Token": b.csrf[:-1]},
                    {"X-CSRF-Token": ""}):
        status, body = b.post("/api/v1/teams", {"name": "Evil"}, csrf=False, headers=headers)
        assert status == 403 and body["error"]["message"] == "missing or wrong X-CSRF-Token"
        status, _ = b.patch(path, {"status": "resolved"}, csrf=False, headers=headers)
        assert status == 403
    assert "Evil" not in team_names(api)
    assert api.conversation(r["conversation_id"])["status"] == "open"
    assert b.post("/api/v1/teams", {"name": "Good"})[0] == 201
    assert b.patch(path, {"status": "resolved"})[0] == 200
    assert api.conversation(r["conversation_id"])["status"] == "resolved"


def test_csrf_token_of_another_session_is_refused(make_server):
    """The token belongs to its session: another session's token is 403."""
    srv = make_server()
    api = srv.client()
    a, b = login(srv, create_user(api, "admin")), login(srv, create_user(api, "admin"))
    status, _ = a.post("/api/v1/teams", {"name": "X"}, csrf=False,
                       headers={"X-CSRF-Token": b.csrf})
    assert status == 403


def test_cross_origin_state_changes_are_refused(make_server):
    """A state change with the Origin of another site is 403 for sessions
    (even with the right CSRF token), for tokens and for the public login;
    our own origin (the Host, or public_url) passes."""
    srv = make_server(env={"CLUETRAIN_PUBLIC_URL": "https://inbox.example.org"})
    api = srv.client()
    u = create_user(api, "admin")
    b = login(srv, u)
    evil = {"Origin": "https://evil.example"}
    status, body = b.post("/api/v1/teams", {"name": "Evil"}, headers=evil)
    assert status == 403 and body["error"]["message"] == "cross-origin request refused"
    assert api.post("/api/v1/teams", {"name": "Evil2"}, headers=evil)[0] == 403
    for origin in ("null", "https://inbox.example.org.evil.example", "http://inbox.example.org",
                   "http://127.0.0.1:%d.evil.example" % srv.port, "http://127.0.0.1"):
        assert b.post("/api/v1/teams", {"name": "Evil3"}, headers={"Origin": origin})[0] == 403
    status, _, _ = raw_request(srv.port, "POST", "/api/v1/auth/login",
                               {"email": u["email"], "password": u["password"]}, evil)
    assert status == 403
    assert not [n for n in team_names(api) if n.startswith("Evil")]
    assert b.post("/api/v1/teams", {"name": "Own"},
                  headers={"Origin": "http://127.0.0.1:%d" % srv.port})[0] == 201
    assert b.post("/api/v1/teams", {"name": "Public"},
                  headers={"Origin": "https://inbox.example.org"})[0] == 201
    assert b.get("/api/v1/teams", headers=evil)[0] == 200  # reads are not state changes


def test_token_requests_need_no_csrf_token_and_get_no_cookie(server):
    """API-token requests change state without X-CSRF-Token and never get a
    cookie."""
    status, headers, raw = raw_request(server.port, "POST", "/api/v1/teams", {"name": "T"},
                                       {"Authorization": "Bearer " + server.token})
    assert status == 201, raw
    assert "set-cookie" not in dict(headers)


# -- headers ----------------------------------------------------------------

def check_security_headers(headers):
    h = dict(headers)
    csp = h["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    nonce = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9+/_=-]{16,})'", csp)
    assert nonce, csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    assert h["x-frame-options"] == "DENY"
    return nonce.group(1)


def test_security_headers_on_every_answer(server):
    """Success, 401, 404 and 413 answers carry the CSP with a nonce that
    differs per answer, frame-ancestors 'none', nosniff, same-origin referrer, DENY;
    no HSTS by default."""
    auth = {"Authorization": "Bearer " + server.token}
    answers = [raw_request(server.port, "GET", "/api/v1/health"),
               raw_request(server.port, "GET", "/api/v1/health"),
               raw_request(server.port, "GET", "/api/v1/conversations", headers=auth),
               raw_request(server.port, "GET", "/api/v1/conversations"),
               raw_request(server.port, "GET", "/api/v1/nothing-here"),
               raw_request(server.port, "POST", "/api/v1/auth/login", b"x" * 9000)]
    assert [a[0] for a in answers] == [200, 200, 200, 401, 404, 413]
    nonces = [check_security_headers(a[1]) for a in answers]
    assert len(set(nonces)) == len(nonces), nonces
    assert all("strict-transport-security" not in dict(a[1]) for a in answers)


def test_event_stream_has_the_headers(server):
    """The event stream's answer carries them too."""
    s = EventStream(server.port, server.token)
    try:
        assert s.status == 200
        check_security_headers(s.headers.items())
    finally:
        s.close()


def test_hsts_when_configured(make_server):
    """With http.hsts = 1 every answer carries Strict-Transport-Security."""
    srv = make_server(env={"CLUETRAIN_HTTP_HSTS": "1"})
    for path in ("/api/v1/health", "/api/v1/conversations"):
        _, headers, _ = raw_request(srv.port, "GET", path)
        assert dict(headers)["strict-transport-security"] == "max-age=31536000; includeSubDomains"


# -- body caps --------------------------------------------------------------

def padded_login(size):
    """A login body of exactly size bytes."""
    base = json.dumps({"email": "x@example.org", "password": "p", "pad": ""}).encode()
    return base[:-2] + b"a" * (size - len(base)) + b'"}'


def chunked_request(port, path, chunks, headers=()):
    """A POST with Transfer-Encoding: chunked (no Content-Length); the status."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW)
    try:
        head = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1", "Content-Type: application/json",
                "Transfer-Encoding: chunked", "Connection: close"] + list(headers)
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        for c in chunks:
            try:
                s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
            except OSError:
                break
        try:
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        data = b""
        while b"\r\n" not in data:
            more = s.recv(4096)
            if not more:
                break
            data += more
        return int(data.split()[1])
    finally:
        s.close()


def test_auth_routes_take_at_most_8_kib(make_server):
    """Auth routes: 8 KiB passes the cap, one byte more is 413 (announced by
    Content-Length, or found while reading a chunked body), before any
    authentication."""
    srv = make_server(env={"CLUETRAIN_HTTP_PUBLIC_PER_MINUTE": "1000"})
    assert len(padded_login(8192)) == 8192
    status, _, _ = raw_request(srv.port, "POST", "/api/v1/auth/login", padded_login(8192))
    assert status == 401
    status, _, raw = raw_request(srv.port, "POST", "/api/v1/auth/login", padded_login(8193))
    assert status == 413, raw
    body = padded_login(8193)
    assert chunked_request(srv.port, "/api/v1/auth/login",
                           [body[i:i + 1000] for i in range(0, len(body), 1000)]) == 413
    for path in ("/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm",
                 "/api/v1/auth/password", "/api/v1/auth/totp/enable"):
        status, _, _ = raw_request(srv.port, "POST", path, b"{" + b" " * 8192 + b"}")
        assert status == 413, path


def test_other_routes_take_256_kib_and_ingest_more(server):
    """Other routes are capped at 256 KiB (413 even without credentials);
    the ingest route takes larger bodies."""
    big = b"[" + b" " * (256 * 1024) + b"]"
    assert raw_request(server.port, "POST", "/api/v1/teams", big)[0] == 413
    assert raw_request(server.port, "POST", "/api/v1/teams", big,
                       {"Authorization": "Bearer " + server.token})[0] == 413
    batch = [message("big-%d" % i, author="big-%d" % i, text="x" * 2000) for i in range(200)]
    data = json.dumps(batch).encode()
    assert len(data) > 300 * 1024
    status, _, raw = raw_request(server.port, "POST", "/api/v1/messages", data,
                                 {"Authorization": "Bearer " + server.token})
    assert status == 201, raw[:300]


# -- connections ------------------------------------------------------------

def open_idle(port, source="127.0.0.1"):
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(10 * SLOW)
    s.connect(("127.0.0.1", port))
    return s


def refused(s):
    """True when the server closes or resets the connection instead of
    answering a request on it."""
    try:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return s.recv(100) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def served(port, source=None):
    try:
        return raw_request(port, "GET", "/api/v1/health", source=source)[0] == 200
    except (OSError, http.client.HTTPException):
        return False


def held_connection(port, source="127.0.0.1"):
    """A connection the server keeps (a request begun but not finished).
    A connection closed right away (the slot of an earlier connection not
    yet freed) is replaced."""
    for _ in range(50):
        s = open_idle(port, source)
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\n")
        if wait_closed(s, 0.3) is None:
            s.settimeout(10 * SLOW)
            return s
        s.close()
    raise AssertionError("the server closes every connection")


def test_connection_cap_per_address(make_server):
    """With http.per_ip_connections = 2, a third connection from 127.0.0.1 is
    closed without an answer while 127.0.0.2 is still served; once one
    closes, 127.0.0.1 is served again."""
    srv = make_server(env={"CLUETRAIN_HTTP_PER_IP_CONNECTIONS": "2",
                           "CLUETRAIN_HTTP_CONNECTION_TIMEOUT_S": "30"})
    a = held_connection(srv.port)
    b = held_connection(srv.port)
    for _ in range(3):
        c = open_idle(srv.port)
        try:
            assert refused(c), "a third connection from one address was served"
        finally:
            c.close()
    assert served(srv.port, source="127.0.0.2")
    a.close()
    wait_until(lambda: served(srv.port), 5, what="127.0.0.1 to be served again")
    b.close()


def wait_closed(s, timeout):
    """Seconds until the server closed s (recv gives b"" or a reset); None if
    it stayed open for timeout seconds."""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < timeout:
        try:
            if s.recv(4096) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except ConnectionResetError:
            return time.monotonic() - t0
    return None


def test_a_stalled_client_is_cut_off(make_server):
    """With http.connection_timeout_s = 1, a client that sent half a request
    and then nothing is disconnected within a few seconds; meanwhile others
    are served."""
    srv = make_server(env={"CLUETRAIN_HTTP_CONNECTION_TIMEOUT_S": "1"})
    s = open_idle(srv.port)
    try:
        s.sendall(b"POST /api/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert raw_request(srv.port, "GET", "/api/v1/health")[0] == 200
        took = wait_closed(s, 5 * SLOW)
        assert took is not None, "the stalled connection was not closed"
    finally:
        s.close()
    s = open_idle(srv.port)  # only half the headers
    try:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
        assert wait_closed(s, 5 * SLOW) is not None
    finally:
        s.close()
    assert raw_request(srv.port, "GET", "/api/v1/health")[0] == 200


def test_a_trickling_client_cannot_hold_a_connection(make_server):
    """A client that sends its headers one byte every half second (never
    idle for a whole http.connection_timeout_s = 1) must still be cut off
    within a bounded time: here 10 s for a header of a few hundred bytes,
    else a few such clients per address hold the server for ever."""
    srv = make_server(env={"CLUETRAIN_HTTP_CONNECTION_TIMEOUT_S": "1",
                           "CLUETRAIN_HTTP_REQUEST_TIMEOUT_S": "3"})
    s = open_idle(srv.port)
    header = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 400
    t0 = time.monotonic()
    closed = False
    try:
        for byte in header:
            try:
                s.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if wait_closed(s, 0.5) is not None:
                closed = True
                break
            if time.monotonic() - t0 > 10 * SLOW:
                break
    finally:
        s.close()
    assert closed, "a client trickling its header was still connected after %.0f s" % (
        time.monotonic() - t0)


def test_public_routes_are_limited_per_address(make_server):
    """With http.public_per_minute = 5, the sixth public request (login or
    password reset) from one address is 429 with Retry-After; another
    address and the non-public routes are not affected."""
    srv = make_server(env={"CLUETRAIN_HTTP_PUBLIC_PER_MINUTE": "5"})
    for i in range(3):
        status, _, _ = raw_request(srv.port, "POST", "/api/v1/auth/login",
                                   {"email": "rl-%d@example.org" % i, "password": "Abcdefgh-123"})
        assert status == 401
    for i in range(2):
        status, _, _ = raw_request(srv.port, "POST", "/api/v1/auth/password-reset",
                                   {"email": "rl@example.org"})
        assert status == 202
    for path, body in (("/api/v1/auth/login", {"email": "a@b.c", "password": "x" * 12}),
                       ("/api/v1/auth/password-reset", {"email": "a@b.c"}),
                       ("/api/v1/auth/password-reset/confirm", {"token": "x", "password": "y"})):
        status, headers, raw = raw_request(srv.port, "POST", path, body)
        assert status == 429, (path, status)
        assert int(dict(headers)["retry-after"]) > 0
        assert "too many requests from your address" in as_json(raw)["error"]["message"]
    status, _, _ = raw_request(srv.port, "POST", "/api/v1/auth/password-reset",
                               {"email": "rl@example.org"}, source="127.0.0.2")
    assert status == 202
    assert srv.client().get("/api/v1/conversations")[0] == 200
    assert raw_request(srv.port, "GET", "/api/v1/health")[0] == 200


# -- channel secrets --------------------------------------------------------

def test_channel_secrets_are_never_shown_or_stored_in_clear(make_server, receiver):
    """Secrets given to POST and PATCH /channels are answered, listed and
    audited by name only; their values are neither in the database files nor
    in the server's log; the api channel signs its webhook POSTs with
    X-Cluetrain-Signature: sha256=HMAC-SHA256(body, webhook_secret)."""
    srv = make_server(env={"CLUETRAIN_LOG_LEVEL": "debug"})
    api = srv.client()
    webhook_secret = "whsec-" + secrets.token_hex(16)
    api_key = "key-" + secrets.token_hex(16)
    status, headers, raw = raw_request(
        srv.port, "POST", "/api/v1/channels",
        {"kind": "api", "name": "shop", "config": {"webhook_url": receiver.url},
         "secrets": {"webhook_secret": webhook_secret}},
        {"Authorization": "Bearer " + srv.token})
    assert status == 201, raw
    ch = as_json(raw)
    assert ch["secrets"] == ["webhook_secret"]
    assert webhook_secret.encode() not in raw
    status, headers, raw = raw_request(
        srv.port, "PATCH", "/api/v1/channels/%d" % ch["id"], {"secrets": {"api_key": api_key}},
        {"Authorization": "Bearer " + srv.token})
    assert status == 200, raw
    assert sorted(as_json(raw)["secrets"]) == ["api_key", "webhook_secret"]
    assert api_key.encode() not in raw
    status, headers, raw = raw_request(srv.port, "GET", "/api/v1/channels",
                                       headers={"Authorization": "Bearer " + srv.token})
    assert status == 200 and webhook_secret.encode() not in raw and api_key.encode() not in raw
    entries = [e for e in audit(api, object_type="channel") if e["object_id"] == ch["id"]]
    assert sorted(e["action"] for e in entries) == ["channel.created", "channel.updated"]
    assert webhook_secret not in json.dumps(entries) and api_key not in json.dumps(entries)

    [r] = api.ingest(message("sig-1", channel="shop"))
    status, reply = api.post("/api/v1/conversations/%d/messages" % r["conversation_id"],
                             {"text": "Signed reply"})
    assert status == 201, reply
    [req] = receiver.wait_requests(1, 10)
    expected = hmac.new(webhook_secret.encode(), req.raw, hashlib.sha256).hexdigest()
    assert req.headers.get("x-cluetrain-signature") == "sha256=" + expected
    assert req.body["text"] == "Signed reply"

    # removing the secret stops the signing
    assert api.patch("/api/v1/channels/%d" % ch["id"],
                     {"secrets": {"webhook_secret": None}})[1]["secrets"] == ["api_key"]
    status, _ = api.post("/api/v1/conversations/%d/messages" % r["conversation_id"],
                         {"text": "Unsigned reply"})
    assert status == 201
    reqs = receiver.wait_requests(2, 10)
    assert len(reqs) == 2 and "x-cluetrain-signature" not in reqs[1].headers

    srv.stop()
    data = stored_bytes(srv)
    assert webhook_secret.encode() not in data and api_key.encode() not in data
    log = srv.logs[-1]
    assert webhook_secret not in log and api_key not in log
    srv.start()  # the sealed secrets open again after a restart
    assert srv.client().get("/api/v1/channels")[1]["data"][1]["secrets"] == ["api_key"]

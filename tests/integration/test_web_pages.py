"""The web pages over HTTP, without a browser (issue 5): signing in with a
form, the inbox and a conversation as HTML, actions as plain form posts
(no JavaScript), htmx fragments, escaping, CSRF and same-origin checks,
roles, languages, time zone, the embedded assets, and the page lint.
The browser tests (tests/e2e/) drive the same pages in Chromium."""

import gzip
import os
import re
import subprocess
import urllib.parse

import harness
from authkit import create_user, raw_request
from harness import message

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COOKIE = "ct_session"


class Page:
    """A browser without JavaScript: a cookie jar of one session and forms
    posted as application/x-www-form-urlencoded."""

    def __init__(self, port):
        self.port = port
        self.cookie = None

    def request(self, method, path, form=None, headers=None):
        hdrs = dict(headers or {})
        if self.cookie:
            hdrs["Cookie"] = "%s=%s" % (COOKIE, self.cookie)
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        status, hlist, raw = raw_request(self.port, method, path, body, hdrs)
        hd = {}
        for k, v in hlist:
            hd.setdefault(k, v)
            if k == "set-cookie":
                value = v.split(";")[0].partition("=")[2]
                self.cookie = value or None
        return status, hd, raw.decode("utf-8", "replace")

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, form, headers=None):
        return self.request("POST", path, form, headers)

    def csrf(self, html):
        m = re.search(r'name="csrf" value="([^"]+)"', html)
        assert m, "no CSRF field on the page"
        return m.group(1)

    def login(self, email, password, next_path=None):
        form = {"email": email, "password": password}
        if next_path:
            form["next"] = next_path
        return self.post("/login", form)


def signed_in(server, role="admin", locale=None, teams=None):
    api = server.client()
    user = create_user(api, role, locale=locale, teams=teams)
    page = Page(server.port)
    status, hdrs, body = page.login(user["email"], user["password"])
    assert status == 303, (status, body[:500])
    return page, user


def first_conversation(api, text="Strom ist weg in der Hauptstraße", author="kunde-1", **extra):
    data = api.ingest(message(harness_unique(), author=author, text=text, **extra))
    return data[0]["conversation_id"]


_counter = [0]


def harness_unique():
    _counter[0] += 1
    return "web-%d-%d" % (os.getpid(), _counter[0])


def test_pages_ask_for_a_login_and_come_back(server):
    page = Page(server.port)
    status, hdrs, _ = page.get("/inbox/c/7")
    assert status == 303
    assert hdrs["location"] == "/login?next=/inbox/c/7"
    status, hdrs, html = page.get("/login?next=/inbox/c/7")
    assert status == 200 and hdrs["content-type"].startswith("text/html")
    assert 'name="next" value="/inbox/c/7"' in html
    user = create_user(server.client(), "agent")
    status, hdrs, _ = page.login(user["email"], user["password"], "/inbox/c/7")
    assert status == 303 and hdrs["location"] == "/inbox/c/7"
    assert page.cookie
    assert "httponly" in hdrs["set-cookie"].lower()


def test_login_refuses_a_foreign_next_and_wrong_passwords(server):
    user = create_user(server.client(), "agent")
    page = Page(server.port)
    status, hdrs, _ = page.login(user["email"], user["password"], "//evil.example/x")
    assert status == 303 and hdrs["location"] == "/inbox"
    other = Page(server.port)
    status, hdrs, html = other.login(user["email"], "wrong-password")
    assert status == 401
    assert other.cookie is None
    assert "Falsche E-Mail-Adresse oder falsches Passwort" in html
    status, _, _ = other.get("/inbox")
    assert status == 303


def test_the_inbox_lists_conversations_and_opens_one(server):
    api = server.client()
    cid = first_conversation(api, text="Zählerstand für März", author="erika")
    page, _ = signed_in(server)
    status, _, html = page.get("/inbox")
    assert status == 200
    assert 'id="conv-%d"' % cid in html
    assert "Name of erika" in html and "Zählerstand für März" in html
    status, _, html = page.get("/inbox/c/%d" % cid)
    assert status == 200
    assert 'id="conversation"' in html and 'data-id="%d"' % cid in html
    assert 'id="composer-text"' in html and 'id="resolve-button"' in html
    assert html.count("<html") == 1


def test_htmx_gets_fragments(server):
    api = server.client()
    cid = first_conversation(api)
    page, _ = signed_in(server)
    status, _, html = page.get("/inbox/c/%d" % cid, headers={"HX-Request": "true"})
    assert status == 200
    assert "<html" not in html and html.startswith('<section id="conversation"')
    status, _, html = page.get("/inbox/list")
    assert status == 200 and html.startswith('<section id="list"')
    status, _, html = page.get("/inbox/c/%d/messages" % cid)
    assert status == 200 and html.startswith('<ol id="messages"')


def test_reply_note_assign_and_resolve_without_javascript(server):
    api = server.client()
    cid = first_conversation(api)
    page, user = signed_in(server, "agent")
    # An agent sees what is assigned to them: assign it first.
    status, _ = api.patch("/api/v1/conversations/%d" % cid, {"assignee_id": user["id"]})
    assert status == 200
    _, _, html = page.get("/inbox/c/%d" % cid)
    csrf = page.csrf(html)
    status, hdrs, _ = page.post("/inbox/c/%d/reply" % cid,
                                {"csrf": csrf, "text": "Wir kümmern uns darum."})
    assert status == 303 and hdrs["location"] == "/inbox/c/%d" % cid
    status, hdrs, _ = page.post("/inbox/c/%d/note" % cid,
                                {"csrf": csrf, "text": "Netzleitstelle informiert"})
    assert status == 303
    status, _, _ = page.post("/inbox/c/%d/update" % cid,
                             {"csrf": csrf, "priority": "high", "tags": "strom, #störung",
                              "assignee_id": str(user["id"]), "team_id": ""})
    assert status == 303
    status, _, _ = page.post("/inbox/c/%d/update" % cid, {"csrf": csrf, "status": "resolved"})
    assert status == 303
    conv = api.conversation(cid)
    kinds = [(m["direction"], m["text"]) for m in conv["messages"]]
    assert ("out", "Wir kümmern uns darum.") in kinds
    assert ("note", "Netzleitstelle informiert") in kinds
    assert conv["status"] == "resolved" and conv["priority"] == "high"
    assert sorted(conv["tags"]) == ["strom", "störung"]
    _, _, html = page.get("/inbox/c/%d" % cid)
    assert "Wir kümmern uns darum." in html and "Netzleitstelle informiert" in html


def test_an_empty_reply_is_refused_and_nothing_is_stored(server):
    api = server.client()
    cid = first_conversation(api)
    page, _ = signed_in(server)
    _, _, html = page.get("/inbox/c/%d" % cid)
    status, _, html = page.post("/inbox/c/%d/reply" % cid, {"csrf": page.csrf(html), "text": ""},
                                headers={"HX-Request": "true"})
    assert status == 422
    assert 'role="alert"' in html
    assert [m["direction"] for m in api.conversation(cid)["messages"]] == ["in"]


def test_state_changes_need_the_csrf_token_and_the_same_origin(server):
    api = server.client()
    cid = first_conversation(api)
    page, _ = signed_in(server)
    _, _, html = page.get("/inbox/c/%d" % cid)
    csrf = page.csrf(html)
    status, hdrs, html = page.post("/inbox/c/%d/reply" % cid, {"text": "ohne Token"})
    assert status == 403 and hdrs["content-type"].startswith("text/html")
    status, _, _ = page.post("/inbox/c/%d/reply" % cid, {"csrf": "x" * len(csrf), "text": "falsch"})
    assert status == 403
    status, _, _ = page.post("/inbox/c/%d/reply" % cid, {"csrf": csrf, "text": "fremd"},
                             headers={"Origin": "http://evil.example"})
    assert status == 403
    assert [m["direction"] for m in api.conversation(cid)["messages"]] == ["in"]


def test_text_from_customers_is_escaped(server):
    api = server.client()
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    data = api.ingest({"channel": "api", "external_id": harness_unique(),
                       "author": {"id": "x", "name": '"><svg onload=alert(3)>'},
                       "text": evil + "\nzweite Zeile"})
    cid = data[0]["conversation_id"]
    page, _ = signed_in(server)
    for path in ("/inbox", "/inbox/c/%d" % cid):
        _, _, html = page.get(path)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<svg" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or path == "/inbox"
    _, _, html = page.get("/inbox/c/%d" % cid)
    assert "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;<br>zweite Zeile" in html
    # Pages carry no inline script: every <script> has a src (the CSP forbids others).
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))


def test_pages_send_a_content_security_policy(server):
    page, _ = signed_in(server)
    status, hdrs, _ = page.get("/inbox")
    assert status == 200
    csp = hdrs["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert hdrs["cache-control"] == "no-store"


def test_viewers_read_but_cannot_act(server):
    api = server.client()
    cid = first_conversation(api)
    page, _ = signed_in(server, "viewer")
    status, _, html = page.get("/inbox/c/%d" % cid)
    assert status == 200 and 'id="composer-text"' not in html
    csrf = page.csrf(html)
    status, hdrs, html = page.post("/inbox/c/%d/reply" % cid, {"csrf": csrf, "text": "nein"})
    assert status == 403 and "<html" in html
    assert [m["direction"] for m in api.conversation(cid)["messages"]] == ["in"]


def test_agents_see_only_their_conversations(server):
    api = server.client()
    cid = first_conversation(api)
    page, _ = signed_in(server, "agent")
    _, _, html = page.get("/inbox")
    assert 'id="conv-%d"' % cid not in html
    status, _, html = page.get("/inbox/c/%d" % cid)
    assert "nicht für Sie sichtbar" in html or "not yours to see" in html
    assert 'id="composer-text"' not in html


def test_german_by_default_english_per_user(server):
    page, _ = signed_in(server)
    _, _, html = page.get("/inbox")
    assert '<html lang="de"' in html and "Posteingang" in html
    english, _ = signed_in(server, locale="en")
    _, _, html = english.get("/inbox")
    assert '<html lang="en"' in html and ">Inbox<" in html
    _, _, html = Page(server.port).get("/login?lang=en")
    assert '<html lang="en"' in html and "Sign in" in html


def test_times_are_shown_in_the_organisations_time_zone(server):
    api = server.client()
    data = api.ingest(message(harness_unique(), text="Sommerzeit",
                              created_at="2026-07-01T10:00:00Z"))
    page, _ = signed_in(server)
    _, _, html = page.get("/inbox/c/%d" % data[0]["conversation_id"])
    assert "01.07.2026, 12:00" in html  # Europe/Berlin in summer: UTC+2


def test_an_unknown_time_zone_is_refused(make_server):
    srv = make_server(start=False)
    with open(os.path.join(srv.data_dir, "cluetrain.conf"), "a", encoding="utf-8") as f:
        f.write("org.time_zone = Mars/Olympus\n")
    res = srv.cli("serve", "--listen", "127.0.0.1:0", timeout=20)
    assert res.returncode != 0
    assert "org.time_zone" in res.stderr and "Mars/Olympus" in res.stderr


def test_assets_are_embedded_cached_and_compressed(server):
    page, _ = signed_in(server)
    _, _, html = page.get("/inbox")
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert {u.split("?")[0] for u in urls} == {"/static/app.css", "/static/htmx.min.js",
                                                 "/static/app.js"}
    for url in urls:
        status, hlist, raw = raw_request(server.port, "GET", url,
                                         headers={"Accept-Encoding": "gzip"})
        hd = dict(hlist)
        assert status == 200, url
        assert "immutable" in hd["cache-control"]
        assert hd["content-encoding"] == "gzip"
        assert len(gzip.decompress(raw)) > len(raw)
        status, hlist, plain = raw_request(server.port, "GET", url)
        assert status == 200 and "content-encoding" not in dict(hlist)
        assert gzip.decompress(raw) == plain
        etag = dict(hlist)["etag"]
        status, _, _ = raw_request(server.port, "GET", url, headers={"If-None-Match": etag})
        assert status == 304
    status, _, _ = raw_request(server.port, "GET", "/static/nothing.js")
    assert status == 404


PAGES_PUBLIC = {("GET", "/"), ("GET", "/login"), ("POST", "/login"),
                ("GET", "/static/{name}"),
                # the channels' webhooks: the platforms sign, they do not log in
                ("GET", "/hooks/{kind}/{id}"), ("POST", "/hooks/{kind}/{id}"),
                # the website widget, called from the organisation's own site
                ("GET", "/widget/{script}"), ("GET", "/widget/{id}/session"),
                ("GET", "/widget/{id}/messages"), ("POST", "/widget/{id}/messages")}


def page_routes(binary):
    out = subprocess.run([binary, "routes"], capture_output=True, text=True, timeout=30,
                         env=harness.clean_env()).stdout
    routes = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and not parts[1].startswith("/api/"):
            routes.append((parts[0], parts[1], parts[2:]))
    return routes


def test_every_page_but_the_login_needs_a_session(binary, server):
    routes = page_routes(binary)
    assert len(routes) >= 15, routes
    for method, pattern, roles in routes:
        public = roles == ["public"]
        assert public == ((method, pattern) in PAGES_PUBLIC), (method, pattern, roles)
        if public:
            continue
        path = pattern.replace("{id}", "1").replace("{name}", "x")
        page = Page(server.port)
        status, hdrs, _ = page.request(method, path, {} if method == "POST" else None)
        assert status == 303, (method, path, status)
        assert hdrs["location"].startswith("/login"), (method, path, hdrs)


def test_the_page_lint_catches_raw_output(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text('/*\n * bad.c: a sample of what page code must not do.\n */\n'
                   'void f(html *h, buf *b, const char *name)\n{\n'
                   '\tbuf_printf(b, "<p>%s</p>", name);\n'
                   '\thtml_printf(h, name);\n}\n')
    res = subprocess.run([os.path.join(REPO, "scripts", "lint.sh"), "page"],
                         capture_output=True, text=True, env=dict(os.environ, LINT_PAGE_DIR=str(tmp_path)))
    assert res.returncode == 1, res.stdout
    assert "bad.c:6: page code must write through html_printf" in res.stdout
    assert "bad.c:7: html_printf needs a literal format" in res.stdout
    good = subprocess.run([os.path.join(REPO, "scripts", "lint.sh"), "page"],
                          capture_output=True, text=True, cwd=REPO)
    assert good.returncode == 0, good.stdout

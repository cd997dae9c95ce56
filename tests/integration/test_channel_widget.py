"""The website widget channel (issue 8): the public routes /widget/<id>/...
that the embedded script calls from the organisation's site, and the checks
that keep spam out without a third-party service: allowed origins (CORS only
for them), a signed visitor cookie, a signed form token that must be at least
min_delay_s old, a honeypot field, text and link caps, and limits per address
and per visitor. Refusals are 4xx with the JSON error body and store nothing.
A reply through the API reaches the visitor's conversation (and only theirs),
also while a long poll is waiting."""

import json
import threading
import time

from harness import wait_until


ORIGIN = "https://www.stadtwerke-example.de"


def make_widget(api, secrets=None, **config):
    """A widget channel for ORIGIN; min_delay_s 0 unless config says."""
    cfg = {"allowed_origins": [ORIGIN + "/"], "title": "Stadtwerke Musterstadt",
           "greeting": "Moin! Wie können wir helfen?", "min_delay_s": 0}
    cfg.update(config)
    status, body = api.post("/api/v1/channels", {
        "kind": "widget", "name": "website-%d" % time.monotonic_ns(), "config": cfg,
        "secrets": secrets or {}})
    assert status == 201, body
    return body


class Visitor:
    """A browser on the organisation's site: keeps the visitor cookie."""

    def __init__(self, api, channel, origin=ORIGIN):
        self.api, self.channel, self.origin = api, channel, origin
        self.cookie = None
        self.token = None

    def request(self, method, path, body=None, headers=None, prefix="/widget"):
        hdrs = {"Origin": self.origin}
        if self.cookie:
            hdrs["Cookie"] = self.cookie
        hdrs.update(headers or {})
        status, res_headers, raw = self.api.request(
            method, "%s/%d%s" % (prefix, self.channel["id"], path), body, headers=hdrs,
            token="")
        return status, res_headers, json.loads(raw) if raw else None

    def session(self):
        status, headers, body = self.request("GET", "/session")
        assert status == 200, body
        if "set-cookie" in headers:
            self.cookie = headers["set-cookie"].split(";")[0]
        self.token = body["token"]
        return headers, body

    def post(self, text="Wann kommt der Strom wieder?", **fields):
        body = {"text": text, "website": "", "token": self.token}
        body.update(fields)
        status, headers, res = self.request("POST", "/messages", body)
        return status, headers, res

    def messages(self, after=0, wait=0):
        status, _, body = self.request("GET", "/messages?after=%d&wait=%d" % (after, wait))
        assert status == 200, body
        return body["messages"]


def stored(api, channel):
    """Every message of the conversations on channel."""
    return [m for c in api.conversations() if c["channel"]["id"] == channel["id"]
            for m in api.conversation(c["id"])["messages"]]


def assert_refused(result, status, code=None):
    got, _, body = result
    assert got == status, body
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code


def test_the_script_is_served_for_widget_channels_only(api):
    ch = make_widget(api)
    status, headers, raw = api.request("GET", "/widget/%d.js" % ch["id"], token="")
    assert status == 200
    assert headers["content-type"].startswith("text/javascript")
    assert b"attachShadow" in raw and b"innerHTML" not in raw
    status, _, _ = api.request("GET", "/widget/%d.js" % (ch["id"] + 1000), token="")
    assert status == 404
    status, _, _ = api.request("GET", "/widget/1.js", token="")  # the api channel
    assert status == 404


def test_message_is_stored_as_the_visitors_conversation(api):
    ch = make_widget(api)
    v = Visitor(api, ch)
    headers, session = v.session()
    assert session["title"] == "Stadtwerke Musterstadt"
    assert session["greeting"].startswith("Moin")
    cookie = headers["set-cookie"]
    assert cookie.startswith("ct_visitor=")
    assert "HttpOnly" in cookie and "Path=/widget/%d/" % ch["id"] in cookie
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["access-control-allow-credentials"] == "true"
    status, headers, body = v.post("Wann kommt der Strom wieder?", name="Erika Muster",
                                   email="erika@example.org",
                                   page=ORIGIN + "/stoerungen")
    assert status == 201, body
    assert headers["access-control-allow-origin"] == ORIGIN
    status, _, second = v.post("Und das Gas?")
    assert status == 201, second
    [conv] = [c for c in api.conversations() if c["channel"]["id"] == ch["id"]]
    full = api.conversation(conv["id"])
    texts = [m["text"] for m in full["messages"]]
    assert texts == ["Wann kommt der Strom wieder?", "Und das Gas?"]
    assert full["contact"]["name"] == "Erika Muster"
    assert full["messages"][0]["author"]["name"] == "Erika Muster"
    status, export = api.get("/api/v1/contacts/%d/export" % full["contact"]["id"])
    assert status == 200, export
    visitor_id = v.cookie.split("=", 1)[1].split(".")[0]
    assert [i["external_id"] for i in export["identities"]] == ["visitor:" + visitor_id]
    assert all(m["direction"] == "in" for m in full["messages"])
    assert body["id"] == full["messages"][0]["id"]
    # The same session keeps the cookie: no new visitor.
    headers, _ = v.session()
    assert "set-cookie" not in headers


def test_repeated_post_with_the_same_client_id_is_stored_once(api):
    ch = make_widget(api)
    v = Visitor(api, ch)
    v.session()
    a = v.post("Zählerstand 4711", client_id="abc123def456")
    b = v.post("Zählerstand 4711", client_id="abc123def456")
    assert a[0] == 201 and b[0] == 201
    assert b[2]["duplicate"] is True and b[2]["id"] == a[2]["id"]
    assert len(stored(api, ch)) == 1


def test_reply_reaches_this_visitor_only_and_live(api):
    ch = make_widget(api)
    anna, ben = Visitor(api, ch), Visitor(api, ch)
    anna.session()
    ben.session()
    assert anna.cookie != ben.cookie
    status, _, posted = anna.post("Ist die Hotline heute besetzt?")
    assert status == 201
    assert [m["text"] for m in anna.messages()] == ["Ist die Hotline heute besetzt?"]
    assert anna.messages()[0]["from"] == "visitor"
    [conv] = [c for c in api.conversations() if c["channel"]["id"] == ch["id"]]
    status, note = api.post("/api/v1/conversations/%d/notes" % conv["id"],
                            {"text": "intern: Rückruf?"})
    assert status == 201, note

    waited = {}

    def long_poll():
        waited["messages"] = anna.messages(after=posted["id"], wait=10)

    poller = threading.Thread(target=long_poll)
    poller.start()
    time.sleep(0.3)  # let the long poll start waiting (not an assertion)
    status, reply = api.post("/api/v1/conversations/%d/messages" % conv["id"],
                             {"text": "Ja, bis 18 Uhr."})
    assert status == 201, reply
    poller.join(20)
    assert not poller.is_alive()
    [got] = waited["messages"]
    assert got["id"] == reply["id"] and got["from"] == "agent"
    assert got["text"] == "Ja, bis 18 Uhr."
    assert "author" not in got  # an API token's name is not for visitors
    # The whole conversation: no internal note; another visitor sees nothing.
    assert [m["text"] for m in anna.messages()] == ["Ist die Hotline heute besetzt?",
                                                     "Ja, bis 18 Uhr."]
    assert ben.messages() == []
    stranger = Visitor(api, ch)  # no cookie at all
    assert stranger.messages() == []
    sent = wait_until(lambda: [m for m in api.conversation(conv["id"])["messages"]
                               if m["id"] == reply["id"] and m["delivery_state"] == "sent"],
                      10, what="reply sent")
    assert sent[0]["external_id"] == "widget:%d" % reply["id"]


def test_honeypot_filled_is_refused_and_nothing_stored(api):
    ch = make_widget(api)
    v = Visitor(api, ch)
    v.session()
    assert_refused(v.post("Billig Uhren kaufen", website="http://spam.example"), 422)
    assert stored(api, ch) == []


def test_token_too_young_forged_or_foreign_is_refused(api):
    ch = make_widget(api, min_delay_s=2, max_per_visitor=20)
    v, other = Visitor(api, ch), Visitor(api, ch)
    v.session()
    other.session()
    assert_refused(v.post("zu schnell"), 401, "unauthorized")
    good = v.token
    value, mac = good.split(".")
    for forged in (value + "." + "0" * len(mac), str(int(value) - 60000) + "." + mac,
                   other.token, "", None):
        v.token = forged
        assert_refused(v.post("gefälscht"), 401)
    v.token = good
    wait_until(lambda: time.time() * 1000 - int(value) > 2100, 5, what="token old enough")
    status, _, body = v.post("jetzt aber")
    assert status == 201, body
    assert [m["text"] for m in stored(api, ch)] == ["jetzt aber"]


def test_wrong_origin_or_missing_cookie_is_refused(api):
    ch = make_widget(api)
    v = Visitor(api, ch)
    v.session()
    evil = Visitor(api, ch, origin="https://evil.example")
    evil.cookie, evil.token = v.cookie, v.token
    status, headers, body = evil.request("GET", "/session")
    assert status == 403 and "access-control-allow-origin" not in headers
    status, headers, body = evil.post("von woanders")
    assert status == 403, body
    assert "access-control-allow-origin" not in headers
    nocookie = Visitor(api, ch)
    nocookie.token = v.token
    assert_refused(nocookie.post("ohne Cookie"), 401)
    assert stored(api, ch) == []


def test_post_as_the_script_sends_it(api):
    """The script posts JSON as text/plain (a CORS simple request: no
    preflight); the answer carries CORS for the allowed origin."""
    ch = make_widget(api)
    v = Visitor(api, ch)
    v.session()
    raw = json.dumps({"text": "Als Text geschickt", "website": "", "token": v.token}).encode()
    status, headers, body = v.request("POST", "/messages", raw,
                                      headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert status == 201, body
    assert headers["access-control-allow-origin"] == ORIGIN
    assert [m["text"] for m in stored(api, ch)] == ["Als Text geschickt"]


def test_text_caps(api):
    ch = make_widget(api, max_links=1, max_per_visitor=20)
    v = Visitor(api, ch)
    v.session()
    assert_refused(v.post("x" * 4001), 422, "invalid")
    assert_refused(v.post("   \n"), 422)
    assert_refused(v.post("https://a.example und www.b.example"), 422)
    assert_refused(v.post("Hallo", email="keine adresse"), 422)
    assert stored(api, ch) == []
    status, _, body = v.post("ä" * 4000)  # characters, not bytes
    assert status == 201, body


def test_more_than_max_per_minute_from_one_address_is_429(api):
    ch = make_widget(api, max_per_minute=3)
    visitors = [Visitor(api, ch) for _ in range(4)]
    results = []
    for i, v in enumerate(visitors):
        v.session()
        results.append(v.post("Nachricht %d" % i))
    assert [r[0] for r in results] == [201, 201, 201, 429]
    status, headers, body = results[3]
    assert body["error"]["code"] == "rate_limited"
    assert headers["retry-after"] == "60"
    assert headers["access-control-allow-origin"] == ORIGIN  # readable by the script
    assert len(stored(api, ch)) == 3


def test_more_than_max_per_visitor_is_429(api):
    ch = make_widget(api, max_per_visitor=2)
    v, other = Visitor(api, ch), Visitor(api, ch)
    v.session()
    other.session()
    assert [v.post("eins")[0], v.post("zwei")[0], v.post("drei")[0]] == [201, 201, 429]
    assert other.post("ich auch")[0] == 201


def test_hooks_url_takes_the_same_checked_post(api, server):
    """/hooks/widget/<id> runs the same checks with the same cookie key as
    /widget/<id>/messages: the derived one, or the secret cookie_key."""
    own = "http://127.0.0.1:%d" % server.port
    plain = make_widget(api, allowed_origins=[own])
    keyed = make_widget(api, secrets={"cookie_key": "k" * 40}, allowed_origins=[own])
    for ch in (plain, keyed):
        v = Visitor(api, ch, origin=own)
        v.session()
        status, _, body = v.request("POST", "", {"text": "über hooks", "token": v.token},
                                    prefix="/hooks/widget")
        assert status == 200, body
        assert body["stored"] == 1
        status, _, body = v.request("POST", "", {"text": "Spam", "token": v.token,
                                                 "website": "x"}, prefix="/hooks/widget")
        assert status == 422, body
        assert [m["text"] for m in stored(api, ch)] == ["über hooks"]
    # A cookie signed for one widget is not taken by the other.
    v = Visitor(api, plain, origin=own)
    v.session()
    stranger = Visitor(api, keyed, origin=own)
    stranger.cookie = v.cookie
    status, _, body = stranger.request("POST", "", {"text": "fremd", "token": v.token},
                                       prefix="/hooks/widget")
    assert status == 401, body
    assert [m["text"] for m in stored(api, keyed)] == ["über hooks"]

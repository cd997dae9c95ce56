"""Tests of the Meta and Telegram fakes themselves, over real HTTP (urllib)."""

import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_meta  # noqa: E402
import fake_telegram  # noqa: E402


# -- a tiny receiver standing in for cluetrain's /hooks/... ------------------

class Receiver:
    """Records raw requests; answers the Meta handshake / checks signatures
    like a correct endpoint would, so the sender is tested end to end."""

    def __init__(self, app_secret=None, verify_token=None, tg_secret=None):
        self.requests = []
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def _reply(self, status, body=b""):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                rec.requests.append(("GET", self.path, dict(self.headers), b""))
                if q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == verify_token:
                    self._reply(200, q["hub.challenge"].encode())
                else:
                    self._reply(403)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                rec.requests.append(("POST", self.path, dict(self.headers), raw))
                if app_secret is not None:
                    ok = fake_meta.verify_signature(
                        app_secret, raw, self.headers.get("X-Hub-Signature-256"))
                else:
                    ok = self.headers.get(fake_telegram.SECRET_HEADER) == tg_secret
                self._reply(200 if ok else 401)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/hooks/x/1" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def meta_receiver():
    r = Receiver(app_secret="app-secret", verify_token="vt-123")
    yield r
    r.close()


def post(url, body=None, form=None, headers=None, method="POST"):
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


# -- Meta: webhook sender ------------------------------------------------------

def test_signature_is_hmac_sha256_of_raw_body(meta_receiver):
    s = fake_meta.MetaWebhookSender("app-secret")
    payload = fake_meta.messenger_message("PAGE1", "PSID9", "m_abc", "Grüße <a/b> 100% @x")
    d = s.deliver(meta_receiver.url, payload)
    assert d.status == 200
    method, path, headers, raw = meta_receiver.requests[-1]
    expected = "sha256=" + hmac.new(b"app-secret", raw, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == expected
    # Meta-style escaping: ASCII only, escaped / < % @ -- yet the same JSON
    assert raw.isascii() and b"\\u00fc" in raw and b"\\/" in raw
    assert b"\\u0040" in raw and b"\\u0025" in raw and b"\\u003c" in raw
    assert json.loads(raw) == payload
    # re-serialising the parsed JSON does NOT give the signed bytes
    assert json.dumps(json.loads(raw)).encode() != raw


def test_wrong_secret_gives_different_signature(meta_receiver):
    raw = fake_meta.meta_json({"object": "page", "entry": []})
    assert fake_meta.sign("app-secret", raw) != fake_meta.sign("other", raw)
    s = fake_meta.MetaWebhookSender("app-secret")
    p = fake_meta.messenger_message("P", "U", "m_1", "hi")
    assert s.deliver(meta_receiver.url, p, signature="wrong").status == 401
    assert s.deliver(meta_receiver.url, p, signature="missing").status == 401
    assert s.deliver(meta_receiver.url, p, signature="malformed").status == 401
    assert s.deliver(meta_receiver.url, p, signature="tampered").status == 401
    assert s.deliver(meta_receiver.url, p, signature="sha1").status == 401
    assert s.deliver(meta_receiver.url, p, secret="other").status == 401
    assert "X-Hub-Signature-256" not in meta_receiver.requests[1][2]
    assert s.deliver(meta_receiver.url, p).status == 200


def test_verify_handshake(meta_receiver):
    s = fake_meta.MetaWebhookSender("app-secret", verify_token="vt-123")
    d = s.verify_handshake(meta_receiver.url, challenge="CHALLENGE_42")
    assert d.status == 200 and d.text == "CHALLENGE_42"
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(meta_receiver.requests[-1][1]).query))
    assert q == {"hub.mode": "subscribe", "hub.verify_token": "vt-123",
                 "hub.challenge": "CHALLENGE_42"}
    assert s.verify_handshake(meta_receiver.url, verify_token="nope").status == 403


def test_documented_payload_shapes():
    fb = fake_meta.page_feed_comment("PAGE", "PAGE_POST", "POST_C1", "Hallo",
                                     "U1", "Anna")
    ch = fb["entry"][0]["changes"][0]
    assert fb["object"] == "page" and ch["field"] == "feed"
    assert ch["value"]["item"] == "comment" and ch["value"]["verb"] == "add"
    assert ch["value"]["comment_id"] == "POST_C1" and ch["value"]["from"]["name"] == "Anna"

    ms = fake_meta.messenger_message("PAGE", "PSID", "m_1", "hi")
    ev = ms["entry"][0]["messaging"][0]
    assert ev["sender"]["id"] == "PSID" and ev["recipient"]["id"] == "PAGE"
    assert ev["message"] == {"mid": "m_1", "text": "hi"}

    ig = fake_meta.instagram_comment("IG", "C9", "nice", "IGSID", "bob", "MEDIA1")
    v = ig["entry"][0]["changes"][0]
    assert ig["object"] == "instagram" and v["field"] == "comments"
    assert v["value"]["from"] == {"id": "IGSID", "username": "bob"}
    assert v["value"]["media"]["id"] == "MEDIA1" and v["value"]["text"] == "nice"

    dm = fake_meta.instagram_message("IG", "IGSID", "m_ig", "dm")
    assert dm["object"] == "instagram"
    assert dm["entry"][0]["messaging"][0]["message"]["mid"] == "m_ig"

    wa = fake_meta.whatsapp_text_message("WABA", "PNID", "15550001111",
                                         "4915112345678", "Jörg", "wamid.X", "Moin")
    val = wa["entry"][0]["changes"][0]["value"]
    assert wa["object"] == "whatsapp_business_account"
    assert wa["entry"][0]["changes"][0]["field"] == "messages"
    assert val["contacts"][0]["profile"]["name"] == "Jörg"
    m = val["messages"][0]
    assert m["from"] == "4915112345678" and m["id"] == "wamid.X"
    assert m["type"] == "text" and m["text"]["body"] == "Moin"
    assert isinstance(m["timestamp"], str)


# -- Meta: Graph API -------------------------------------------------------------

@pytest.fixture
def graph():
    g = fake_meta.FakeGraphAPI(access_tokens={"tok"})
    g.add_phone_number("PNID")
    with g:
        yield g


def test_graph_reply_hide_send_whatsapp_recorded(graph):
    u = graph.url
    st, _, body = post(u + "/PAGE_POST_C1/comments?access_token=tok",
                       form={"message": "Danke!"})
    assert st == 200 and set(body) == {"id"}
    st, _, body = post(u + "/PAGE_POST_C1", form={"is_hidden": "true",
                                                  "access_token": "tok"})
    assert st == 200 and body == {"success": True}
    st, _, body = post(u + "/me/messages?access_token=tok",
                       body={"recipient": {"id": "PSID"},
                             "messaging_type": "RESPONSE",
                             "message": {"text": "Hallo"}})
    assert st == 200 and body["recipient_id"] == "PSID" and body["message_id"]
    st, _, body = post(u + "/PNID/messages",
                       headers={"Authorization": "Bearer tok"},
                       body={"messaging_product": "whatsapp", "to": "4915112345678",
                             "type": "text", "text": {"body": "Moin"}})
    assert st == 200 and body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "4915112345678", "wa_id": "4915112345678"}]
    assert body["messages"][0]["id"].startswith("wamid.")

    snap = graph.snapshot()
    assert [c.kind for c in snap["calls"]] == ["comment_reply", "hide", "send", "whatsapp"]
    assert snap["replies"][0]["parent"] == "PAGE_POST_C1"
    assert snap["replies"][0]["message"] == "Danke!"
    assert snap["hidden"] == {"PAGE_POST_C1": True}
    assert snap["messages"][0]["text"] == "Hallo"
    assert snap["whatsapp"][0]["body"] == "Moin"


def test_graph_instagram_hide_param(graph):
    """An Instagram comment is hidden with hide=true (JSON or form), shown
    again with false; a non-boolean is a documented 400."""
    st, _, body = post(graph.url + "/IG_C1", body={"hide": True},
                       headers={"Authorization": "Bearer tok"})
    assert st == 200 and body == {"success": True}
    st, _, body = post(graph.url + "/IG_C1?access_token=tok", form={"hide": "false"})
    assert st == 200
    st, _, body = post(graph.url + "/IG_C1?access_token=tok", form={"hide": "maybe"})
    assert st == 400 and body["error"]["code"] == 100
    snap = graph.snapshot()
    assert snap["hidden"] == {"IG_C1": False}
    assert [c.kind for c in snap["calls"]] == ["hide", "hide", None]


def test_graph_token_errors_in_documented_shape(graph):
    st, _, body = post(graph.url + "/C1/comments?access_token=bad", form={"message": "x"})
    assert st == 400
    err = body["error"]
    assert set(err) >= {"message", "type", "code", "fbtrace_id"}
    assert err["code"] == 190 and err["type"] == "OAuthException"
    st, _, body = post(graph.url + "/C1/comments", form={"message": "x"})
    assert st == 400 and body["error"]["code"] == 2500
    st, _, body = post(graph.url + "/PNID/messages?access_token=bad",
                       body={"messaging_product": "whatsapp", "to": "1",
                             "type": "text", "text": {"body": "x"}})
    assert st == 401 and body["error"]["code"] == 190
    st, _, body = post(graph.url + "/me/messages?access_token=tok",
                       body={"recipient": {"id": "P"}, "message": {}})
    assert st == 400 and body["error"]["code"] == 100
    assert graph.snapshot()["messages"] == []


def test_graph_rate_limit_codes_and_usage_headers(graph):
    graph.rate_limit_first(1, code=4)
    st, hdrs, body = post(graph.url + "/C1/comments?access_token=tok", form={"message": "x"})
    assert st == 400 and body["error"]["code"] == 4
    assert body["error"]["message"] == "(#4) Application request limit reached"
    assert body["error"]["is_transient"] is True and "fbtrace_id" in body["error"]
    usage = json.loads(hdrs["X-App-Usage"])
    assert usage["call_count"] == 100 and {"total_cputime", "total_time"} <= set(usage)

    graph.rate_limit_first(1, code=80001, regain_minutes=7)
    st, hdrs, body = post(graph.url + "/C1/comments?access_token=tok", form={"message": "x"})
    assert body["error"]["code"] == 80001
    buc = json.loads(hdrs["X-Business-Use-Case-Usage"])
    entry = buc[graph.business_id][0]
    assert entry["type"] == "pages" and entry["estimated_time_to_regain_access"] == 7

    graph.rate_limit_first(1, code=130429)
    st, _, body = post(graph.url + "/PNID/messages?access_token=tok",
                       body={"messaging_product": "whatsapp", "to": "1",
                             "type": "text", "text": {"body": "x"}})
    assert st == 429 and body["error"]["code"] == 130429
    assert body["error"]["error_data"]["messaging_product"] == "whatsapp"

    graph.rate_limit_first(1, code=32, http_status=429)
    st, _, body = post(graph.url + "/C1/comments?access_token=tok", form={"message": "x"})
    assert st == 429 and body["error"]["code"] == 32

    st, _, body = post(graph.url + "/C1/comments?access_token=tok", form={"message": "ok"})
    assert st == 200
    assert len(graph.snapshot()["replies"]) == 1  # throttled calls had no effect
    with pytest.raises(ValueError):
        graph.rate_limit_first(1, code=999)


def test_graph_500_phase_then_exactly_one_reply(graph):
    graph.fail_first(2)
    results = [post(graph.url + "/C1/comments?access_token=tok", form={"message": "x"})
               for _ in range(3)]
    assert [r[0] for r in results] == [500, 500, 200]
    assert results[0][2]["error"]["code"] == 2 and results[0][2]["error"]["is_transient"]
    snap = graph.snapshot()
    assert len(snap["calls"]) == 3 and len(snap["replies"]) == 1
    graph.fail_for(1.5)  # long enough for a loaded machine's call to land inside
    assert post(graph.url + "/C1/comments?access_token=tok", form={"message": "y"})[0] == 500


def test_graph_stop_refuses(graph):
    url = graph.url
    graph.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/me", timeout=2)
    graph.start()
    assert post(url + "/C1/comments?access_token=tok", form={"message": "x"})[0] == 200


# -- Telegram ----------------------------------------------------------------------

def test_telegram_update_sender_secret_header():
    r = Receiver(tg_secret="s3cr3t")
    try:
        s = fake_telegram.TelegramUpdateSender(secret_token="s3cr3t")
        anna = fake_telegram.user(42, "Anna", username="anna")
        upd = s.text_update(anna, "Hallo Bot")
        assert s.deliver(r.url, upd).status == 200
        method, path, headers, raw = r.requests[-1]
        assert headers[fake_telegram.SECRET_HEADER] == "s3cr3t"
        got = json.loads(raw)
        assert got["update_id"] == upd["update_id"]
        m = got["message"]
        assert m["message_id"] and m["from"]["id"] == 42 and m["from"]["is_bot"] is False
        assert m["chat"] == {"id": 42, "first_name": "Anna", "username": "anna",
                             "type": "private"}
        assert isinstance(m["date"], int) and m["text"] == "Hallo Bot"
        assert s.text_update(anna, "2")["update_id"] == upd["update_id"] + 1
        assert s.deliver(r.url, upd, secret="wrong").status == 401
        assert s.deliver(r.url, upd, secret="missing").status == 401
    finally:
        r.close()


@pytest.fixture
def bot():
    with fake_telegram.FakeBotAPI(token="123456:ABC") as b:
        yield b


def test_telegram_send_message_and_reply(bot):
    incoming = fake_telegram.text_update(1, 77, fake_telegram.user(42, "Anna"), "Frage?")
    bot.known_message(incoming["message"])
    st, _, body = post(bot.method_url("sendMessage"),
                       body={"chat_id": 42, "text": "Antwort",
                             "reply_parameters": {"message_id": 77}})
    assert st == 200 and body["ok"] is True
    msg = body["result"]
    assert msg["chat"]["id"] == 42 and msg["text"] == "Antwort"
    assert msg["from"]["is_bot"] is True
    assert msg["reply_to_message"]["message_id"] == 77
    # form-encoded with the older reply_to_message_id, case-insensitive method
    st, _, body = post(bot.method_url("sendmessage"),
                       form={"chat_id": "42", "text": "Zwei", "reply_to_message_id": "77"})
    assert st == 200 and body["result"]["reply_to_message"]["message_id"] == 77
    st, _, body = post(bot.method_url("sendMessage"), body={"chat_id": 42, "text": ""})
    assert st == 400 and body == {"ok": False, "error_code": 400,
                                  "description": "Bad Request: message text is empty"}
    calls, sent = bot.snapshot()
    assert len(calls) == 3 and len(sent) == 2
    assert sent[0]["reply_to"] == (42, 77)


def test_telegram_wrong_token(bot):
    st, _, body = post(bot.method_url("sendMessage", token="123456:WRONG"),
                       body={"chat_id": 1, "text": "x"})
    assert st == 401 and body == {"ok": False, "error_code": 401,
                                  "description": "Unauthorized"}
    assert bot.snapshot()[1] == []


def test_telegram_retry_after_then_success(bot):
    bot.flood_first(2, retry_after=5)
    for _ in range(2):
        st, _, body = post(bot.method_url("sendMessage"), body={"chat_id": 1, "text": "x"})
        assert st == 429
        assert body == {"ok": False, "error_code": 429,
                        "description": "Too Many Requests: retry after 5",
                        "parameters": {"retry_after": 5}}
    st, _, body = post(bot.method_url("sendMessage"), body={"chat_id": 1, "text": "x"})
    assert st == 200
    bot.flood_for(3)
    st, _, body = post(bot.method_url("sendMessage"), body={"chat_id": 1, "text": "x"})
    assert st == 429 and 1 <= body["parameters"]["retry_after"] <= 3
    bot.succeed()
    bot.fail_first(1)
    st, _, body = post(bot.method_url("sendMessage"), body={"chat_id": 1, "text": "x"})
    assert st == 500 and body["ok"] is False and body["error_code"] == 500
    calls, sent = bot.snapshot()
    assert len(calls) == 5 and len(sent) == 1

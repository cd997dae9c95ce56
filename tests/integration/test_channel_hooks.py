"""The channel framework: webhook URLs /hooks/<kind>/<channel id> (shown
here with the "api" channel's signed webhook), the channel's health in the
API, share/hide refused where the platform cannot, and another try for a
failed reply. The platform adapters have test files of their own
(test_channel_<kind>.py)."""

import hashlib
import hmac
import json

from harness import message, wait_until

SECRET = "whsec-test-0123456789"


def signed(raw, secret=SECRET):
    return {"X-Cluetrain-Signature":
            "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def make_channel(api, name="shop", secrets=None, kind="api", config=None, expect=201):
    status, body = api.post("/api/v1/channels", {
        "kind": kind, "name": name, "config": config or {},
        "secrets": {"webhook_secret": SECRET} if secrets is None else secrets})
    assert status == expect, body
    return body


def deliver(api, channel, payload, headers=None, raw=None):
    raw = raw if raw is not None else json.dumps(payload).encode()
    status, _, body = api.request("POST", "/hooks/api/%d" % channel["id"], raw,
                                  headers=signed(raw) if headers is None else headers,
                                  token="")
    return status, json.loads(body) if body else None


def messages_on(api, channel):
    """Every message of the conversations on channel."""
    return [m for c in api.conversations() if c["channel"]["id"] == channel["id"]
            for m in api.conversation(c["id"])["messages"]]


def test_signed_webhook_is_stored_and_answered_after(api):
    ch = make_channel(api)
    assert ch["webhook_path"] == "/hooks/api/%d" % ch["id"]
    assert ch["health"]["status"] == "idle"
    payload = [message("w-1", author="k-1", text="Zählerstand 4711", channel="ignored"),
               message("w-2", author="k-2", text="Abschlag zu hoch?", channel="ignored")]
    status, body = deliver(api, ch, payload)
    assert status == 200, body
    assert body == {"ok": True, "stored": 2, "duplicates": 0}
    texts = sorted(m["text"] for m in messages_on(api, ch))
    assert texts == ["Abschlag zu hoch?", "Zählerstand 4711"]
    status, got = api.get("/api/v1/channels/%d" % ch["id"])
    assert status == 200
    assert got["health"]["status"] == "ok"
    assert got["health"]["last_ok_at"]
    assert got["health"]["backlog"] == 0


def test_same_delivery_twice_is_stored_once(api):
    ch = make_channel(api)
    payload = message("dup-1", author="k-1", text="Zweimal geschickt")
    assert deliver(api, ch, payload)[1]["stored"] == 1
    status, body = deliver(api, ch, payload)
    assert status == 200
    assert body == {"ok": True, "stored": 0, "duplicates": 1}
    assert len(messages_on(api, ch)) == 1


def test_wrong_or_missing_signature_is_401_and_stores_nothing(api):
    ch = make_channel(api)
    before = len(api.conversations())
    raw = json.dumps(message("bad-1", text="Gefälscht")).encode()
    for headers in ({"Content-Type": "application/json"},
                    signed(raw, "another-secret"),
                    signed(raw + b" ")):
        status, body = deliver(api, ch, None, headers=headers, raw=raw)
        assert status == 401, body
        assert body["error"]["code"] == "unauthorized"
    assert len(api.conversations()) == before
    health = api.get("/api/v1/channels/%d" % ch["id"])[1]["health"]
    assert health["status"] == "error"
    assert "X-Cluetrain-Signature" in health["last_error"]
    assert SECRET not in json.dumps(health)


def test_channel_without_secret_refuses_webhooks(api):
    ch = make_channel(api, secrets={})
    status, body = deliver(api, ch, message("x-1"))
    assert status == 401
    assert "webhook_secret" in body["error"]["message"]


def test_unknown_channel_or_kind_is_404(api):
    ch = make_channel(api)
    raw = json.dumps(message("n-1")).encode()
    for path in ("/hooks/api/99999", "/hooks/meta/%d" % ch["id"],
                 "/hooks/telegram/%d" % ch["id"], "/hooks/api/abc"):
        status, _, body = api.request("POST", path, raw, headers=signed(raw), token="")
        assert status == 404, (path, body)


def test_bad_messages_in_a_signed_delivery_are_422_naming_the_field(api):
    ch = make_channel(api)
    payload = [message("ok-1"), {"external_id": "no-author", "text": "x"}]
    status, body = deliver(api, ch, payload)
    assert status == 422, body
    assert body["error"]["field"] == "author"
    assert body["error"]["index"] == 1
    assert not messages_on(api, ch)


def test_base_url_and_poll_interval_are_checked(api):
    ch = make_channel(api, name="b", config={"base_url": "http://127.0.0.1:9/api//"})
    assert ch["config"]["base_url"] == "http://127.0.0.1:9/api"
    status, body = api.post("/api/v1/channels", {"kind": "api", "name": "c",
                                                 "config": {"base_url": "ftp://x"}})
    assert status == 422 and body["error"]["field"] == "config.base_url"
    status, body = api.post("/api/v1/channels", {"kind": "api", "name": "d",
                                                 "config": {"poll_every_s": 0}})
    assert status == 422 and body["error"]["field"] == "config.poll_every_s"
    status, body = api.post("/api/v1/channels", {"kind": "fax", "name": "e"})
    assert status == 422 and "api" in body["error"]["message"]


def test_share_and_hide_are_refused_where_the_channel_cannot(api):
    [r] = api.ingest(message("s-1", text="Teilenswert"))
    status, body = api.post("/api/v1/messages/%d/share" % r["id"])
    assert status == 409, body
    assert "cannot share" in body["error"]["message"]
    status, body = api.post("/api/v1/messages/%d/hide" % r["id"], {"hidden": True})
    assert status == 409, body
    status, body = api.post("/api/v1/messages/%d/hide" % r["id"], {"hidden": "ja"})
    assert status == 422, body
    status, body = api.post("/api/v1/messages/999999/share")
    assert status == 404, body


def test_failed_reply_can_be_sent_again_with_the_same_key(api, receiver):
    """A reply that failed (the receiver refused it for good) shows as failed
    with the health's counter; POST .../retry queues it again under the same
    idempotency key, and once the receiver takes it, it is sent."""
    api.set_webhook(receiver.url)
    [r] = api.ingest(message("f-1", text="Bitte antworten"))
    cid = r["conversation_id"]
    receiver.fail_always(status=400)
    status, reply = api.post("/api/v1/conversations/%d/messages" % cid, {"text": "Gern."})
    assert status == 201, reply

    def state():
        [m] = [m for m in api.conversation(cid)["messages"] if m["id"] == reply["id"]]
        return m["delivery_state"]
    wait_until(lambda: state() == "failed", 10, 0.05, "failed")
    health = api.get("/api/v1/channels/1")[1]["health"]
    assert health["failed"] == 1
    status, body = api.post("/api/v1/messages/%d/retry" % r["id"])
    assert status == 404, body  # an incoming message is no reply
    receiver.succeed()
    status, body = api.post("/api/v1/messages/%d/retry" % reply["id"])
    assert status == 202, body
    wait_until(lambda: state() == "sent", 10, 0.05, "sent")
    requests, _ = receiver.snapshot()
    keys = {q.headers["idempotency-key"] for q in requests}
    assert len(keys) == 1
    status, body = api.post("/api/v1/messages/%d/retry" % reply["id"])
    assert status == 409, body
    assert api.get("/api/v1/channels/1")[1]["health"]["failed"] == 0


def test_pages_show_health_and_send_a_failed_reply_again(server, receiver):
    """The settings list and the channel's page show the connection's state
    with the webhook address; a failed reply in the conversation has its
    reason and a "Send again" button that queues it again."""
    from test_web_pages import signed_in
    api = server.client()
    api.set_webhook(receiver.url)
    ch = make_channel(api)
    assert deliver(api, ch, message("p-1", text="Hallo"))[0] == 200
    page, _ = signed_in(server, "admin")
    status, _, html = page.get("/settings/channels")
    assert status == 200
    assert "badge health-ok" in html and "badge health-idle" in html
    status, _, html = page.get("/settings/channels/%d" % ch["id"])
    assert status == 200
    assert "/hooks/api/%d</code>" % ch["id"] in html
    assert "<dt>Letzter Erfolg</dt>" in html or "<dt>Last success</dt>" in html
    assert SECRET not in html

    [r] = api.ingest(message("p-2", text="Antwort bitte"))
    cid = r["conversation_id"]
    receiver.fail_always(status=400)
    status, reply = api.post("/api/v1/conversations/%d/messages" % cid, {"text": "Gern."})
    assert status == 201

    def state():
        [m] = [m for m in api.conversation(cid)["messages"] if m["id"] == reply["id"]]
        return m["delivery_state"]
    wait_until(lambda: state() == "failed", 10, 0.05, "failed")
    status, _, html = page.get("/inbox/c/%d" % cid)
    assert status == 200
    assert 'action="/inbox/c/%d/retry"' % cid in html
    assert "HTTP 400" in html
    receiver.succeed()
    status, _, _ = page.post("/inbox/c/%d/retry" % cid,
                             {"message_id": str(reply["id"]), "csrf": page.csrf(html)})
    assert status == 303
    wait_until(lambda: state() == "sent", 10, 0.05, "sent")

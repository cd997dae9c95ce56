"""The Meta channels (facebook, instagram, whatsapp) against the fakes of
tests/fakes/fake_meta.py: signed webhooks at /hooks/meta/<channel id> from
MetaWebhookSender become conversations; the verification handshake; bad
signatures are 401 and store nothing; replies, hides, server errors and
Meta's throttling (error codes in a 400 answer) through the fake Graph API.

Channels get "rate_limit_wait_s": 1, so a throttled reply whose usage
headers name no wait is retried after a second instead of a minute.
"""

import json
import time
import urllib.parse

import pytest

import fake_meta
from authkit import db_sql, db_value
from harness import SLOW, EventStream, wait_until
from harness import message as harness_message
from channelkit import (create_channel, health, incoming, send_reply,
                        wait_delivery, wait_incoming)


APP_SECRET = "meta-app-secret-0123"
VERIFY_TOKEN = "meta-verify-token-42"
ACCESS_TOKEN = "test-page-token"
PAGE = "104000000000001"
IG = "17841400000000001"
PHONE = "106540352242922"
WABA = "102290129340398"
SECRETS = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
           "access_token": ACCESS_TOKEN}


@pytest.fixture
def graph():
    g = fake_meta.FakeGraphAPI(access_tokens=(ACCESS_TOKEN,))
    g.add_phone_number(PHONE)
    with g:
        yield g


@pytest.fixture
def sender():
    return fake_meta.MetaWebhookSender(APP_SECRET, VERIFY_TOKEN)


def meta_channel(api, graph, kind, name=None, secrets=None):
    return create_channel(api, kind, name or kind, graph, secrets or SECRETS,
                          rate_limit_wait_s=1)


def hook_url(server, ch):
    assert ch["webhook_path"] == "/hooks/meta/%d" % ch["id"]
    return "http://127.0.0.1:%d%s" % (server.port, ch["webhook_path"])


def deliver(sender, server, ch, payload, **kw):
    d = sender.deliver(hook_url(server, ch), payload, **kw)
    return d.status, (json.loads(d.body) if d.body else None)


def wait_calls(graph, kind, n, timeout=10):
    """Wait until the fake recorded n calls of kind; those calls."""
    assert graph.wait_for(lambda g: len([c for c in g.calls if c.kind == kind]) >= n,
                          timeout * SLOW), "no %d %s calls: %r" % (n, kind, graph.calls)
    return [c for c in graph.calls if c.kind == kind]


def comment(n, from_id="9001", name="Erika Muster", post="55", parent=None, text=None):
    return fake_meta.page_feed_comment(PAGE, PAGE + "_" + post, post + "_" + str(n),
                            text or "Kommentar %d" % n, from_id, name,
                            parent_id=parent)


# -- receiving ----------------------------------------------------------------------

def test_page_comments_and_messenger_messages(api, server, graph, sender):
    """Feed comments thread per post and commenter; the Page's own comment and
    an edit add nothing; a Messenger message (text with characters Meta
    escapes) is its own conversation by sender; the echo of our own message
    and a delivery receipt are accepted and ignored."""
    ch = meta_channel(api, graph, "facebook")
    assert deliver(sender, server, ch, comment(1, text="Wann kommt der Strom wieder?")) \
        == (200, {"ok": True, "stored": 1, "duplicates": 0})
    deliver(sender, server, ch, comment(2, parent="55_1"))
    deliver(sender, server, ch, comment(3, post="66"))
    deliver(sender, server, ch, comment(4, from_id=PAGE, name="Stadtwerk"))
    deliver(sender, server, ch, fake_meta.page_feed_comment(
        PAGE, PAGE + "_55", "55_1", "geändert", "9001", "Erika Muster", verb="edited"))
    dm = fake_meta.messenger_message(PAGE, "PSID7", "m_1", "Grüße <a/b> 100% @home")
    assert deliver(sender, server, ch, dm)[0] == 200
    echo = fake_meta.messenger_message(PAGE, "PSID7", "m_2", "Antwort")
    echo["entry"][0]["messaging"][0]["message"]["is_echo"] = True
    receipt = fake_meta.messenger_message(PAGE, "PSID7", "m_3", "x")
    item = receipt["entry"][0]["messaging"][0]
    del item["message"]
    item["delivery"] = {"mids": ["m_1"], "watermark": item["timestamp"]}
    for payload in (echo, receipt):
        assert deliver(sender, server, ch, payload) == (200, {"ok": True, "stored": 0,
                                                   "duplicates": 0})

    got = wait_incoming(api, "facebook", ["55_1", "55_2", "66_3", "m_1"])
    assert set(got) == {"55_1", "55_2", "66_3", "m_1"}
    assert got["55_1"]["text"] == "Wann kommt der Strom wieder?"
    assert got["55_1"]["author"]["name"] == "Erika Muster"
    assert got["55_1"]["meta"]["type"] == "comment"
    assert got["55_1"]["meta"]["post_id"] == PAGE + "_55"
    assert got["55_1"]["conversation_id"] == got["55_2"]["conversation_id"]
    assert got["66_3"]["conversation_id"] != got["55_1"]["conversation_id"]
    assert got["m_1"]["text"] == "Grüße <a/b> 100% @home"
    assert got["m_1"]["meta"] == {"object": "page", "type": "message", "page_id": PAGE}
    assert got["m_1"]["conversation_id"] not in (got["55_1"]["conversation_id"],
                                      got["66_3"]["conversation_id"])
    assert health(api, ch["id"])["status"] == "ok"


def test_instagram_and_whatsapp_messages(api, server, graph, sender):
    """Instagram comments (with the username) and direct messages, and a
    WhatsApp text with the sender's profile name, arrive; a WhatsApp status
    update is accepted and stores nothing."""
    ig = meta_channel(api, graph, "instagram")
    wa = meta_channel(api, graph, "whatsapp")
    deliver(sender, server, ig, fake_meta.instagram_comment(
        IG, "1801", "Tolle Aktion!", "7001", "erika.m", "MEDIA9"))
    deliver(sender, server, ig, fake_meta.instagram_message(IG, "IGSID5", "ig_m_1", "Hallo?"))
    deliver(sender, server, wa, fake_meta.whatsapp_text_message(
        WABA, PHONE, "4930123456", "4915112345678", "Kim Schulz", "wamid.AAA1",
        "Zählerstand 4711"))
    status_only = fake_meta.whatsapp_text_message(
        WABA, PHONE, "4930123456", "4915112345678", "Kim Schulz", "wamid.AAA2", "x")
    value = status_only["entry"][0]["changes"][0]["value"]
    del value["messages"], value["contacts"]
    value["statuses"] = [{"id": "wamid.OUT1", "status": "delivered",
                          "timestamp": str(int(time.time())), "recipient_id": "4915112345678"}]
    assert deliver(sender, server, wa, status_only)[1]["stored"] == 0

    got = wait_incoming(api, "instagram", ["1801", "ig_m_1"])
    assert got["1801"]["text"] == "Tolle Aktion!"
    assert got["1801"]["meta"]["object"] == "instagram"
    assert got["ig_m_1"]["text"] == "Hallo?"
    conv = api.conversation(got["1801"]["conversation_id"])
    assert conv["channel"]["id"] == ig["id"]
    [w] = wait_incoming(api, "whatsapp", ["wamid.AAA1"]).values()
    assert w["text"] == "Zählerstand 4711"
    assert w["author"]["name"] == "Kim Schulz"
    assert w["meta"]["phone_number_id"] == PHONE
    assert list(incoming(api, "whatsapp")) == ["wamid.AAA1"]


@pytest.mark.parametrize("signature", ["wrong", "missing", "malformed", "sha1", "tampered"])
def test_bad_signature_is_401_and_stores_nothing(api, server, graph, sender, signature):
    ch = meta_channel(api, graph, "facebook")
    status, body = deliver(sender, server, ch, comment(1), signature=signature)
    assert status == 401, body
    assert body["error"]["code"] == "unauthorized"
    assert APP_SECRET not in json.dumps(body)
    assert incoming(api, "facebook") == {}
    assert "X-Hub-Signature-256" in health(api, ch["id"])["last_error"]


def test_channel_without_app_secret_refuses(api, server, graph, sender):
    ch = meta_channel(api, graph, "facebook", secrets={"access_token": ACCESS_TOKEN})
    status, body = deliver(sender, server, ch, comment(1))
    assert status == 401 and "app_secret" in body["error"]["message"]


def test_same_delivery_twice_is_stored_once(api, server, graph, sender):
    ch = meta_channel(api, graph, "facebook")
    payload = comment(1)
    assert deliver(sender, server, ch, payload)[1]["stored"] == 1
    assert deliver(sender, server, ch, payload) == (200, {"ok": True, "stored": 0,
                                               "duplicates": 1})
    assert list(incoming(api, "facebook")) == ["55_1"]


def test_payload_for_another_object_or_not_meta_is_refused(api, server, graph, sender):
    """A signed delivery that is not Meta's shape, or for another object, is
    refused as invalid (the route answers CT_ERR_INVALID with 400 or 422)."""
    ch = meta_channel(api, graph, "facebook")
    status, body = deliver(sender, server, ch, fake_meta.instagram_message(IG, "S", "m", "x"))
    assert status in (400, 422) and body["error"]["code"] == "invalid", body
    assert "instagram" in body["error"]["message"]
    status, body = deliver(sender, server, ch, {"hello": "world"})
    assert status in (400, 422) and body["error"]["code"] == "invalid", body
    assert incoming(api, "facebook") == {}


def test_verify_handshake(api, server, graph, sender):
    """Meta's GET with the right verify_token is answered with exactly the
    challenge as text; a wrong token or mode is 401."""
    ch = meta_channel(api, graph, "whatsapp")
    url = hook_url(server, ch)
    d = sender.verify_handshake(url, challenge="1158201444")
    assert (d.status, d.text) == (200, "1158201444")
    assert sender.verify_handshake(url, verify_token="wrong").status == 401
    assert sender.verify_handshake(url, mode="unsubscribe").status == 401
    status, headers, raw = api.request("GET", ch["webhook_path"] + "?" + urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "abc"}),
        token="")
    assert (status, raw) == (200, b"abc")
    assert headers["content-type"].startswith("text/plain")


# -- replies --------------------------------------------------------------------------

def reply_to(api, server, sender, ch, payload, external_id, text):
    deliver(sender, server, ch, payload)
    got = wait_incoming(api, ch["name"], [external_id])
    return send_reply(api, got[external_id]["conversation_id"], text)


def test_reply_to_a_comment_and_hide_it(api, server, graph, sender):
    """A reply to a Page comment is POST /{comment-id}/comments with the
    token as a bearer header (not in the URL); it is recorded with Meta's id.
    Hiding the comment and showing it again reach the fake as is_hidden."""
    ch = meta_channel(api, graph, "facebook")
    r = reply_to(api, server, sender, ch, comment(1), "55_1", "Gegen 9 Uhr.")
    sent = wait_delivery(api, r["conversation_id"], r["id"])
    [call] = wait_calls(graph, "comment_reply", 1)
    assert call.path == "/v21.0/55_1/comments"
    assert call.headers["authorization"] == "Bearer " + ACCESS_TOKEN
    assert call.query == {}
    assert graph.replies == [{"id": sent["external_id"], "parent": "55_1",
                              "message": "Gegen 9 Uhr.", "edge": "comments"}]
    mid = incoming(api, "facebook")["55_1"]["id"]
    status, body = api.post("/api/v1/messages/%d/hide" % mid, {"hidden": True})
    assert status in (200, 202), body
    wait_calls(graph, "hide", 1)
    assert graph.hidden == {"55_1": True}
    status, body = api.post("/api/v1/messages/%d/hide" % mid, {"hidden": False})
    assert status in (200, 202), body
    calls = wait_calls(graph, "hide", 2)
    assert graph.hidden == {"55_1": False}
    assert [c.params for c in calls] == [{"is_hidden": True}, {"is_hidden": False}]


def test_instagram_replies_and_hide(api, server, graph, sender):
    """An Instagram comment is answered through /replies and hidden with
    hide=true; an Instagram direct message through /{account}/messages."""
    ch = meta_channel(api, graph, "instagram")
    payload = fake_meta.instagram_comment(IG, "1801", "Frage?", "7001", "erika.m", "MEDIA9")
    r = reply_to(api, server, sender, ch, payload, "1801", "Antwort!")
    wait_delivery(api, r["conversation_id"], r["id"])
    assert [(x["parent"], x["edge"], x["message"]) for x in graph.replies] == \
        [("1801", "replies", "Antwort!")]
    mid = incoming(api, "instagram")["1801"]["id"]
    assert api.post("/api/v1/messages/%d/hide" % mid, {"hidden": True})[0] in (200, 202)
    [call] = wait_calls(graph, "hide", 1)
    assert call.path == "/v21.0/1801" and call.params == {"hide": True}
    r = reply_to(api, server, sender, ch,
                 fake_meta.instagram_message(IG, "IGSID5", "ig_m_1", "DM"), "ig_m_1", "Hi!")
    sent = wait_delivery(api, r["conversation_id"], r["id"])
    [m] = graph.messages
    assert (m["account"], m["recipient_id"], m["text"]) == (IG, "IGSID5", "Hi!")
    assert sent["external_id"] == m["message_id"]


def test_messenger_and_whatsapp_replies(api, server, graph, sender):
    fb = meta_channel(api, graph, "facebook")
    wa = meta_channel(api, graph, "whatsapp")
    r = reply_to(api, server, sender, fb,
                 fake_meta.messenger_message(PAGE, "PSID7", "m_1", "Hallo"), "m_1", "Moin!")
    sent = wait_delivery(api, r["conversation_id"], r["id"])
    assert graph.messages == [{"account": PAGE, "recipient_id": "PSID7", "text": "Moin!",
                               "messaging_type": "RESPONSE",
                               "message_id": sent["external_id"]}]
    r = reply_to(api, server, sender, wa, fake_meta.whatsapp_text_message(
        WABA, PHONE, "4930123456", "4915112345678", "Kim", "wamid.IN1", "Hallo"),
        "wamid.IN1", "Wir melden uns.")
    sent = wait_delivery(api, r["conversation_id"], r["id"])
    [w] = graph.whatsapp
    assert (w["phone_number_id"], w["to"], w["body"]) == (PHONE, "4915112345678",
                                               "Wir melden uns.")
    assert sent["external_id"] == w["id"] and w["id"].startswith("wamid.")


def test_server_errors_then_the_reply_is_delivered_once(api, server, graph, sender):
    ch = meta_channel(api, graph, "facebook")
    graph.fail_first(2)
    r = reply_to(api, server, sender, ch, comment(1), "55_1", "Einmal")
    wait_delivery(api, r["conversation_id"], r["id"])
    assert [c.status for c in graph.calls] == [500, 500, 200]
    assert len(graph.replies) == 1


@pytest.mark.parametrize("code", [4, 80001, 130429])
def test_throttled_reply_waits_then_is_delivered_once(api, server, graph, sender, code):
    """Throttling answers (code 4 and 80001 under HTTP 400, which would
    otherwise be permanent; 130429 under 429) without a wait in the usage
    headers: the reply waits rate_limit_wait_s (1 s) and is sent once."""
    kind = "whatsapp" if code == 130429 else "facebook"
    ch = meta_channel(api, graph, kind)
    graph.rate_limit_first(2, code=code, regain_minutes=0)
    payload = comment(1) if kind == "facebook" else fake_meta.whatsapp_text_message(
        WABA, PHONE, "49301", "49151", "Kim", "wamid.T1", "Hallo")
    r = reply_to(api, server, sender, ch, payload, "55_1" if kind == "facebook" else "wamid.T1",
                 "Später")
    wait_delivery(api, r["conversation_id"], r["id"], timeout=20)
    calls = [c for c in graph.calls if c.method == "POST"]
    assert [c.kind for c in calls] == ["rate_limited", "rate_limited",
                            "comment_reply" if kind == "facebook" else "whatsapp"]
    gaps = [b.time - a.time for a, b in zip(calls, calls[1:])]
    assert min(gaps) >= 0.95, gaps
    assert len(graph.replies) + len(graph.whatsapp) == 1


def test_wait_named_by_the_usage_headers_wins(api, server, graph, sender):
    """X-Business-Use-Case-Usage naming 1 minute to regain access keeps the
    reply queued (with the code in its error) beyond rate_limit_wait_s."""
    ch = meta_channel(api, graph, "facebook")
    graph.add_profile("PSID7", first_name="Erika", last_name="Muster")
    deliver(sender, server, ch, fake_meta.messenger_message(PAGE, "PSID7", "m_1", "Hallo"))
    wait_calls(graph, "profile", 1)  # the sender's name, looked up first
    graph.rate_limit_first(1, code=80006, regain_minutes=1)
    r = send_reply(api, wait_incoming(api, "facebook", ["m_1"])["m_1"]["conversation_id"],
                   "Gleich")
    wait_until(lambda: "80006" in (
        [m for m in api.conversation(r["conversation_id"])["messages"]
         if m["id"] == r["id"]][0]["delivery_error"] or ""), 10, 0.05, "throttled")
    run_at = int(db_value(server, "SELECT run_at FROM jobs WHERE state = 'queued'"))
    assert run_at >= time.time() * 1000 + 50000  # about a minute, not rate_limit_wait_s
    assert len([c for c in graph.calls if c.method == "POST"]) == 1
    assert graph.messages == []


def test_invalid_token_fails_at_once_without_the_token(api, server, graph, sender):
    ch = meta_channel(api, graph, "facebook", secrets=dict(SECRETS, access_token="revoked-x"))
    r = reply_to(api, server, sender, ch, comment(1), "55_1", "Nie")
    failed = wait_delivery(api, r["conversation_id"], r["id"], state="failed")
    assert "190" in failed["delivery_error"]
    assert "revoked-x" not in failed["delivery_error"]
    assert len(graph.calls) == 1


def test_lost_answer_may_post_twice_as_documented(api, server, graph, sender):
    """The Graph API takes no idempotency key: when Meta performed the reply
    but its answer was lost, the retry posts it again (docs/channel-meta.md).
    Only that case duplicates: the reply ends sent."""
    ch = meta_channel(api, graph, "facebook")
    graph.fail_after_processing_first(1, status=500)
    r = reply_to(api, server, sender, ch, comment(1), "55_1", "Doppelt?")
    wait_delivery(api, r["conversation_id"], r["id"])
    assert [x["message"] for x in graph.replies] == ["Doppelt?", "Doppelt?"]


# -- the names of direct message senders ------------------------------------------

def contact_of(api, conversation_id):
    """The contact card of a conversation's contact."""
    cid = api.conversation(conversation_id)["contact"]["id"]
    status, card = api.get("/api/v1/contacts/%d" % cid)
    assert status == 200, card
    return card


def wait_contact_name(api, conversation_id, name, timeout=15):
    """Wait until the conversation's contact is called name; its card."""
    return wait_until(lambda: (lambda card: card if card["name"] == name else None)(
        contact_of(api, conversation_id)), timeout, 0.05, "contact name %r" % name)


def profile_jobs(server):
    """The name look-up jobs as [(state, last_error)]."""
    out = db_value(server, "SELECT state || '|' || coalesce(last_error, '') FROM jobs"
                   " WHERE kind = 'profile_lookup' ORDER BY id")
    return [tuple(line.split("|", 1)) for line in out.splitlines()]


def wait_profile_jobs(server, state, n=1, timeout=15):
    return wait_until(lambda: (lambda jobs: jobs if [s for s, _ in jobs] == [state] * n
                               else None)(profile_jobs(server)), timeout, 0.05,
                      "%d look-up(s) %s" % (n, state))


def test_messenger_sender_name_is_looked_up_after_the_answer(api, server, graph, sender):
    """A Messenger message carries only the PSID: the webhook is answered
    without waiting for Meta (the fake answers the look-up 2 s late), then
    GET /{PSID}?fields=first_name,last_name with the token as a bearer
    header names the contact and its identity, and the live views hear
    conversation.updated."""
    ch = meta_channel(api, graph, "facebook")
    graph.add_profile("PSID7", first_name="Erika", last_name="Muster")
    graph.delay(2)
    stream = EventStream(server.port, server.token)
    try:
        started = time.monotonic()
        assert deliver(sender, server, ch, fake_meta.messenger_message(
            PAGE, "PSID7", "m_1", "Hallo"))[0] == 200
        assert time.monotonic() - started < 2, "the webhook waited for the look-up"
        conv_id = wait_incoming(api, "facebook", ["m_1"])["m_1"]["conversation_id"]
        card = wait_contact_name(api, conv_id, "Erika Muster")
        stream.wait_for(lambda ev: ev.get("event") == "conversation.updated"
                        and ev.get("json", {}).get("conversation_id") == conv_id, 10)
    finally:
        stream.close()
    assert [(i["external_id"], i["name"], i["handle"]) for i in card["identities"]] == \
        [("PSID7", "Erika Muster", None)]
    [call] = wait_calls(graph, "profile", 1)
    assert call.method == "GET" and call.path == "/v21.0/PSID7"
    assert call.query == {"fields": "first_name,last_name"}
    assert call.headers["authorization"] == "Bearer " + ACCESS_TOKEN
    assert api.conversation(conv_id)["contact"]["name"] == "Erika Muster"
    assert profile_jobs(server) == [("done", "")]


def test_instagram_sender_name_and_handle(api, server, graph, sender):
    """An Instagram direct message: GET /{IGSID}?fields=name,username gives
    the contact's name and the identity's handle."""
    ch = meta_channel(api, graph, "instagram")
    graph.add_instagram_profile("IGSID5", name="Kim Schulz", username="kim.schulz")
    deliver(sender, server, ch, fake_meta.instagram_message(IG, "IGSID5", "ig_m_1", "Hi"))
    conv_id = wait_incoming(api, "instagram", ["ig_m_1"])["ig_m_1"]["conversation_id"]
    card = wait_contact_name(api, conv_id, "Kim Schulz")
    assert [(i["name"], i["handle"]) for i in card["identities"]] == \
        [("Kim Schulz", "kim.schulz")]
    [call] = wait_calls(graph, "profile", 1)
    assert call.path == "/v21.0/IGSID5" and call.query == {"fields": "name,username"}


def test_same_sender_is_looked_up_once(api, server, graph, sender):
    """Three messages of one sender, two of them while the look-up is under
    way and one after it named the contact: one GET, one job."""
    ch = meta_channel(api, graph, "facebook")
    graph.add_profile("PSID7", first_name="Erika", last_name="Muster")
    graph.delay(1)
    deliver(sender, server, ch, fake_meta.messenger_message(PAGE, "PSID7", "m_1", "Eins"))
    assert graph.wait_for(lambda g: g.arrived >= 1, 10 * SLOW)
    deliver(sender, server, ch, fake_meta.messenger_message(PAGE, "PSID7", "m_2", "Zwei"))
    conv_id = wait_incoming(api, "facebook", ["m_1", "m_2"])["m_1"]["conversation_id"]
    wait_contact_name(api, conv_id, "Erika Muster")
    graph.delay(0)
    deliver(sender, server, ch, fake_meta.messenger_message(PAGE, "PSID7", "m_3", "Drei"))
    wait_incoming(api, "facebook", ["m_1", "m_2", "m_3"])
    time.sleep(1)
    assert [c.kind for c in graph.calls] == ["profile"]
    assert profile_jobs(server) == [("done", "")]


def test_server_error_then_the_name_arrives(api, server, graph, sender):
    ch = meta_channel(api, graph, "facebook")
    graph.add_profile("PSID7", first_name="Erika", last_name="Muster")
    graph.fail_first(1)
    deliver(sender, server, ch, fake_meta.messenger_message(PAGE, "PSID7", "m_1", "Hallo"))
    conv_id = wait_incoming(api, "facebook", ["m_1"])["m_1"]["conversation_id"]
    wait_contact_name(api, conv_id, "Erika Muster")
    assert [(c.method, c.status) for c in graph.calls] == [("GET", 500), ("GET", 200)]
    assert profile_jobs(server) == [("done", "")]


def test_authors_with_a_name_or_handle_are_not_looked_up(api, server, graph, sender):
    """An Instagram commenter comes with a username (which names the
    contact) and a Facebook commenter with a name: no look-up is queued for
    either; a direct message sender on the same channel is looked up."""
    ig = meta_channel(api, graph, "instagram")
    fb = meta_channel(api, graph, "facebook")
    graph.add_instagram_profile("IGSID5", name="Kim Schulz", username="kim.schulz")
    deliver(sender, server, ig, fake_meta.instagram_comment(
        IG, "1801", "Tolle Aktion!", "7001", "erika.m", "MEDIA9"))
    deliver(sender, server, fb, fake_meta.page_feed_comment(
        PAGE, PAGE + "_55", PAGE + "_55_1", "Wann kommt der Strom?", "8001", "Max Muster"))
    deliver(sender, server, ig, fake_meta.instagram_message(IG, "IGSID5", "ig_m_1", "Hallo?"))
    got = wait_incoming(api, "instagram", ["1801", "ig_m_1"])
    wait_contact_name(api, got["ig_m_1"]["conversation_id"], "Kim Schulz")
    assert profile_jobs(server) == [("done", "")]
    assert [c.path for c in graph.calls] == ["/v21.0/IGSID5"]
    assert contact_of(api, got["1801"]["conversation_id"])["identities"][0]["handle"] == "erika.m"


def test_unknown_sender_fails_for_good_and_the_message_stays(api, server, graph, sender):
    """Meta knows no such PSID (error 100): the job fails at once with the
    code, nothing is retried, the message and its nameless contact stay."""
    ch = meta_channel(api, graph, "facebook")
    deliver(sender, server, ch, fake_meta.messenger_message(PAGE, "PSID404", "m_1", "Hallo"))
    [(_, error)] = wait_profile_jobs(server, "failed")
    assert "error code 100" in error and ACCESS_TOKEN not in error
    time.sleep(0.5)
    assert [(c.path, c.status) for c in graph.calls] == [("/v21.0/PSID404", 400)]
    got = incoming(api, "facebook")
    assert got["m_1"]["text"] == "Hallo" and got["m_1"]["author"]["name"] is None
    assert contact_of(api, got["m_1"]["conversation_id"])["name"] is None
    assert health(api, ch["id"])["status"] == "ok"


def test_a_name_someone_set_is_kept(api, server, graph, sender):
    """A contact named while its look-up is under way keeps that name (the
    platform's goes to the identity only); a contact that has a name when
    its message arrives is not looked up at all."""
    ch = meta_channel(api, graph, "facebook")
    graph.add_profile("PSID7", first_name="Erika", last_name="Muster")
    graph.delay(2)
    deliver(sender, server, ch, fake_meta.messenger_message(PAGE, "PSID7", "m_1", "Hallo"))
    assert graph.wait_for(lambda g: g.arrived >= 1, 10 * SLOW)
    conv_id = wait_incoming(api, "facebook", ["m_1"])["m_1"]["conversation_id"]
    contact_id = api.conversation(conv_id)["contact"]["id"]
    db_sql(server, "UPDATE contacts SET name = 'Frau Muster (Kundin)' WHERE id = %d"
           % contact_id)
    wait_profile_jobs(server, "done")
    card = contact_of(api, conv_id)
    assert card["name"] == "Frau Muster (Kundin)"
    assert card["identities"][0]["name"] == "Erika Muster"

    graph.delay(0)
    api.ingest([harness_message("api_1", author="PSID8", channel="facebook")])
    deliver(sender, server, ch, fake_meta.messenger_message(PAGE, "PSID8", "m_2", "Hallo"))
    wait_incoming(api, "facebook", ["m_1", "m_2"])
    time.sleep(1)
    assert [c.path for c in graph.calls] == ["/v21.0/PSID7"]
    assert len(profile_jobs(server)) == 1

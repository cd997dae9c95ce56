"""The "mastodon" channel against the fake Mastodon server (tests/fakes):
mentions and direct messages polled into conversations, replies with the
right visibility and Idempotency-Key, boosts, failures, rate limits and a
restart of the server that loses no position.

The channel polls every second ("poll_every_s": 1). Where a test says that
nothing came twice, it first waits until the channel polled twice more, so
that a duplicate would have had its chance.
"""

import pytest

from channelkit import (check_poll_waits_for_reset, create_channel, health, incoming, polls,
                        send_reply, share, wait_delivery, wait_incoming, wait_more_polls)
from fake_mastodon import FakeMastodon
from harness import wait_until


TOKEN = "test-mastodon-token"


def identity_handle(api, message):
    """The handle stored for the author of an incoming message."""
    conv = api.conversation(message["conversation_id"])
    status, contact = api.get("/api/v1/contacts/%d" % conv["contact"]["id"])
    assert status == 200, contact
    handles = [i.get("handle") for i in contact.get("identities", [])]
    return handles


# -- fixtures -------------------------------------------------------------------

@pytest.fixture
def masto():
    with FakeMastodon(token=TOKEN) as m:
        yield m


def mastodon_channel(api, masto, name="social"):
    return create_channel(api, "mastodon", name, masto, {"access_token": TOKEN})


def notif_polls(masto):
    return polls(masto, "poll_notifications")


# -- polling --------------------------------------------------------------------

def test_mentions_and_direct_messages_become_conversations(api, masto):
    """A public mention and a direct message (which Mastodon also reports as a
    mention) become two conversations with plain-text texts and the authors'
    names and handles; a favourite is ignored; the direct message is stored
    once. A second direct message of the same account joins its
    conversation, a public reply joins the mention's."""
    kim = masto.account("301", "kim", acct="kim@other.example", display_name="Kim Kunde")
    ole = masto.account("302", "ole", display_name="Ole")
    masto.add_mention("1001", "Strom weg in der Nordstadt? <3 & Grüße", kim)
    masto.add_direct("1002", "Meine Rechnung\nist falsch", ole)
    masto.add_notification("favourite", kim, status_id="1001")
    mastodon_channel(api, masto)
    got = wait_incoming(api, "social", ["1001", "1002"])
    wait_more_polls(masto, "poll_notifications")
    got = incoming(api, "social")
    assert set(got) == {"1001", "1002"}
    pub, dm = got["1001"], got["1002"]
    assert pub["text"] == "@cluetrain Strom weg in der Nordstadt? <3 & Grüße"
    assert pub["author"]["name"] == "Kim Kunde"
    assert pub["meta"]["visibility"] == "public"
    assert pub["meta"]["account_acct"] == "kim@other.example"
    assert pub["meta"]["url"].endswith("/1001")
    assert "kim@other.example" in identity_handle(api, pub)
    assert dm["text"] == "@cluetrain Meine Rechnung\nist falsch"
    assert dm["meta"]["visibility"] == "direct"
    assert dm["conversation_id"] != pub["conversation_id"]
    first = notif_polls(masto)[0]
    assert first.query.get("types[]") == ["mention"]

    masto.add_direct("1003", "Hallo?", ole)
    masto.add_mention("1004", "noch eine Frage", kim, in_reply_to_id="1001")
    got = wait_incoming(api, "social", ["1003", "1004"])
    assert got["1003"]["conversation_id"] == dm["conversation_id"]
    assert got["1004"]["conversation_id"] == pub["conversation_id"]
    assert got["1004"]["in_reply_to"] == "1001"


def test_filtered_direct_messages_come_through_the_conversations(api, masto):
    """A direct message Mastodon filed under notification requests (no
    mention notification) still arrives, through the conversations; one
    that comes both ways is stored once; our own reply, the conversation's
    last status then, is not taken in as a customer's message."""
    ole = masto.account("311", "ole", display_name="Ole")
    masto.add_direct("3101", "Fremder hier: Zählerstand 4711", ole, notify=False)
    mastodon_channel(api, masto)
    got = wait_incoming(api, "social", ["3101"])
    assert got["3101"]["text"] == "@cluetrain Fremder hier: Zählerstand 4711"
    assert got["3101"]["meta"]["visibility"] == "direct"
    cid = got["3101"]["conversation_id"]
    reply = send_reply(api, cid, "Danke, ist notiert.")
    wait_delivery(api, cid, reply["id"])
    wait_more_polls(masto, "poll_conversations")  # saw our reply as the last status
    masto.add_direct("3102", "Und noch eine Frage", ole)  # both ways: a mention too
    wait_incoming(api, "social", ["3102"])
    wait_more_polls(masto, "poll_conversations")
    got = incoming(api, "social")  # fails when a status is stored twice
    assert set(got) == {"3101", "3102"}
    assert got["3102"]["conversation_id"] == cid
    assert [m["direction"] for m in api.conversation(cid)["messages"]] == ["in", "out", "in"]
    later = [r for r in polls(masto, "poll_conversations") if r.status == 200][1:]
    assert later and all(r.query.get("min_id") for r in later)


def test_failed_polls_resume_from_the_last_position(api, masto):
    """While the server answers 500 the channel's health shows the error (and
    "ok" again afterwards);
    mentions that came meanwhile arrive afterwards, each once, and the first
    poll after the failure asks from the last position taken in."""
    ch = mastodon_channel(api, masto)
    n1 = masto.add_mention("2001", "eins", "kim")
    wait_incoming(api, "social", ["2001"])
    wait_until(lambda: (health(api, ch["id"]) or {}).get("last_ok_at"), 10, 0.1,
               "health.last_ok_at")
    masto.fail_for(2.5)
    assert masto.wait_for(lambda f: any(r.kind == "forced_failure" for r in f.requests), 10)
    for i in range(3):
        masto.add_mention("20%02d" % (10 + i), "während der Störung %d" % i, "ole")
    bad = wait_until(lambda: (lambda h: h if h.get("status") == "error" else None)(
        health(api, ch["id"]) or {}), 10, 0.1, "health.status error")
    assert bad["last_error"] == "Mastodon answered HTTP 500"
    wait_incoming(api, "social", ["2010", "2011", "2012"])
    wait_more_polls(masto, "poll_notifications")
    assert set(incoming(api, "social")) == {"2001", "2010", "2011", "2012"}
    failed_at = max(i for i, r in enumerate(masto.requests) if r.kind == "forced_failure")
    after = [r for r in masto.requests[failed_at:] if r.kind == "poll_notifications"][0]
    assert after.params.get("min_id") == n1["id"]
    good = health(api, ch["id"])
    assert good["status"] == "ok" and good["last_ok_at"] > good["last_error_at"]


def test_restart_loses_no_position_and_pages_forward(server, api, masto):
    """Mentions that come while cluetrain is down (more than one page of 40)
    arrive after the restart, each once; the first poll after the restart asks
    with min_id = the last notification taken in before."""
    mastodon_channel(api, masto)
    n1 = masto.add_mention("3000", "vorher", "kim")
    wait_incoming(api, "social", ["3000"])
    wait_more_polls(masto, "poll_notifications", 1)
    server.stop()
    seen = len(masto.requests)
    ids = ["3%03d" % i for i in range(1, 46)]
    for i, sid in enumerate(ids):
        masto.add_mention(sid, "nachher %d" % i, "user%d" % (i % 5))
    server.start()
    api = server.client()
    wait_incoming(api, "social", ids, timeout=30)
    wait_more_polls(masto, "poll_notifications")
    assert set(incoming(api, "social")) == set(ids) | {"3000"}
    after = [r for r in masto.requests[seen:] if r.kind == "poll_notifications"]
    assert after[0].params.get("min_id") == n1["id"]
    assert len(after[0].response) == 40  # a full page, then the rest
    assert after[1].params.get("min_id") == after[0].response[0]["id"]


def test_rate_limited_poll_waits_for_the_reset(api, masto):
    """Mastodon's 429 names the reset as an ISO 8601 time
    (X-RateLimit-Reset): the channel waits until then."""
    ch = mastodon_channel(api, masto)
    check_poll_waits_for_reset(api, masto, ch, "poll_notifications",
                               lambda: masto.add_mention("8001", "nach dem Limit", "kim"),
                               "8001")


# -- replies and boosts -----------------------------------------------------------

def test_replies_keep_the_visibility_and_address_the_author(api, masto):
    """A reply to a direct message is direct, a reply to a public mention
    unlisted; both start with @acct, answer the customer's status and carry
    the job's Idempotency-Key; the new status ids are recorded."""
    kim = masto.account("401", "kim", acct="kim@other.example")
    masto.add_direct("4001", "privat bitte", kim)
    masto.add_mention("4002", "öffentlich", "ole")
    mastodon_channel(api, masto)
    got = wait_incoming(api, "social", ["4001", "4002"])
    r_dm = send_reply(api, got["4001"]["conversation_id"], "Wir melden uns.")
    r_pub = send_reply(api, got["4002"]["conversation_id"], "Danke!")
    sent_dm = wait_delivery(api, got["4001"]["conversation_id"], r_dm["id"])
    sent_pub = wait_delivery(api, got["4002"]["conversation_id"], r_pub["id"])
    posted = {s["in_reply_to_id"]: s for s in masto.snapshot()["posted"]}
    assert set(posted) == {"4001", "4002"}
    assert posted["4001"]["visibility"] == "direct"
    assert posted["4002"]["visibility"] == "unlisted"
    assert posted["4001"]["content"] == "<p>@kim@other.example Wir melden uns.</p>"
    assert posted["4002"]["content"] == "<p>@ole Danke!</p>"
    assert sent_dm["external_id"] == posted["4001"]["id"]
    assert sent_pub["external_id"] == posted["4002"]["id"]
    keys = [r.key for r in masto.requests if r.kind == "status"]
    assert len(keys) == 2 and all(keys) and keys[0] != keys[1]


def test_lost_answer_is_not_posted_twice(api, masto):
    """The server posts the reply but the answer is lost: the retry carries
    the same Idempotency-Key and gets the first status back; one status."""
    masto.add_mention("5001", "Frage", "kim")
    mastodon_channel(api, masto)
    got = wait_incoming(api, "social", ["5001"])
    masto.fail_after_processing_first(1, status=None)
    cid = got["5001"]["conversation_id"]
    r = send_reply(api, cid, "Antwort")
    sent = wait_delivery(api, cid, r["id"])
    snap = masto.snapshot()
    assert len(snap["posted"]) == 1
    kinds = [x.kind for x in snap["requests"] if x.method == "POST"]
    assert kinds == ["status+lost_response", "status_repeat"]
    keys = {x.key for x in snap["requests"] if x.method == "POST"}
    assert len(keys) == 1
    assert sent["external_id"] == snap["posted"][0]["id"]


def test_rate_limited_reply_is_delivered_once(api, masto):
    """A 429 (with X-RateLimit-Reset) on the reply: it is sent again after
    the wait and posted exactly once."""
    masto.add_mention("6001", "Frage", "kim")
    mastodon_channel(api, masto)
    got = wait_incoming(api, "social", ["6001"])
    masto.rate_limit_first(1, reset_in=1, method="POST")
    cid = got["6001"]["conversation_id"]
    r = send_reply(api, cid, "Antwort nach Wartezeit")
    wait_delivery(api, cid, r["id"])
    snap = masto.snapshot()
    assert len(snap["posted"]) == 1
    assert [x.status for x in snap["requests"] if x.method == "POST"] == [429, 200]


def test_share_boosts_once(api, masto):
    """Sharing a mention boosts it once, with an Idempotency-Key."""
    masto.add_mention("7001", "Teilt das!", "kim")
    mastodon_channel(api, masto)
    got = wait_incoming(api, "social", ["7001"])
    share(api, got["7001"]["id"])
    assert masto.wait_for(lambda f: len(f.boosts) == 1, 10)
    wait_more_polls(masto, "poll_notifications")
    snap = masto.snapshot()
    assert len(snap["boosts"]) == 1
    assert snap["boosts"][0]["reblog"]["id"] == "7001"
    [req] = [x for x in snap["requests"] if x.path.endswith("/reblog")]
    assert req.key

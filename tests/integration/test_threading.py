"""Which conversation an incoming message joins, and which contact it is from."""

import time

from harness import message


def conv_of(api, m):
    return api.ingest(m)[0]["conversation_id"]


def test_same_thread_id_joins_the_same_conversation(api):
    """Messages with the same thread_id share a conversation, even from
    different authors; another thread_id is another conversation."""
    a = conv_of(api, message("t1", author="anna", thread_id="thread-A"))
    b = conv_of(api, message("t2", author="bernd", thread_id="thread-A"))
    c = conv_of(api, message("t3", author="anna", thread_id="thread-B"))
    assert a == b
    assert c != a
    assert api.conversation(a)["message_count"] == 2


def test_in_reply_to_joins_the_conversation_of_that_message(api):
    """in_reply_to an earlier external_id joins that message's conversation,
    whoever writes it."""
    a = conv_of(api, message("orig", author="anna"))
    other = conv_of(api, message("other", author="carla"))
    b = conv_of(api, message("answer", author="bernd", in_reply_to="orig"))
    assert b == a != other
    conv = api.conversation(a)
    assert [m["external_id"] for m in conv["messages"]] == ["orig", "answer"]
    assert conv["messages"][1]["in_reply_to"] == "orig"


def test_in_reply_to_within_one_batch(api):
    """in_reply_to a message earlier in the same batch works too."""
    r = api.ingest([message("q1", author="anna"), message("q2", author="bernd",
                                                          in_reply_to="q1")])
    assert r[0]["conversation_id"] == r[1]["conversation_id"]


def test_without_thread_info_a_contact_stays_in_their_open_conversation(api):
    """No thread_id or in_reply_to: the contact's open conversation on the
    channel; another author gets their own."""
    a1 = conv_of(api, message("n1", author="anna"))
    b1 = conv_of(api, message("n2", author="bernd"))
    a2 = conv_of(api, message("n3", author="anna"))
    assert a1 == a2 != b1
    assert api.conversation(a1)["message_count"] == 2


def test_conversation_id_of_the_same_contact_and_channel_is_followed(api):
    """conversation_id (a token of ours, as the e-mail subject's [#123]) puts
    a message without thread_id into that conversation, though the contact
    has a later one; from another contact or on another channel it is
    ignored, and a thread_id that is known still comes first."""
    old = conv_of(api, message("h1", author="anna", thread_id="order-1"))
    new = conv_of(api, message("h2", author="anna", thread_id="order-2"))
    assert old != new
    assert conv_of(api, message("h3", author="anna", conversation_id=old)) == old
    assert conv_of(api, message("h4", author="anna", thread_id="order-2",
                                conversation_id=old)) == new
    # a new thread_id with a valid token: the token's conversation, not a new one
    assert conv_of(api, message("h5", author="anna", thread_id="lost-refs",
                                conversation_id=old)) == old
    bernd = conv_of(api, message("h6", author="bernd", conversation_id=old))
    assert bernd not in (old, new)
    status, body = api.post("/api/v1/channels", {"kind": "api", "name": "web"})
    assert status == 201, body
    other = conv_of(api, message("h7", author="anna", channel="web", conversation_id=old))
    assert other not in (old, new)
    assert api.conversation(old)["message_count"] == 3


def test_same_author_is_the_same_contact(api):
    """One author id on a channel is one contact, across conversations;
    different author ids are different contacts."""
    a1 = conv_of(api, message("c1", author="anna", thread_id="x"))
    a2 = conv_of(api, message("c2", author="anna", thread_id="y"))
    b = conv_of(api, message("c3", author="bernd"))
    assert a1 != a2
    contact = [api.conversation(c)["contact"]["id"] for c in (a1, a2, b)]
    assert contact[0] == contact[1] != contact[2]
    assert api.conversation(a1)["contact"]["name"] == "Name of anna"


def test_same_author_id_on_another_channel_is_another_identity(api):
    """Author ids are per channel: "anna" on channel web is not "anna" on api."""
    status, body = api.post("/api/v1/channels", {"kind": "api", "name": "web"})
    assert status == 201, body
    a = conv_of(api, message("w1", author="anna"))
    w = conv_of(api, message("w1", author="anna", channel="web"))  # same external id
    assert a != w
    assert api.conversation(w)["channel"]["name"] == "web"
    assert api.conversation(a)["contact"]["id"] != api.conversation(w)["contact"]["id"]


def resolve(api, cid):
    status, body = api.patch("/api/v1/conversations/%d" % cid, {"status": "resolved"})
    assert status == 200, body
    assert body["status"] == "resolved" and body["resolved_at"]


def test_resolved_conversation_reopens_within_the_window(api):
    """A message from the contact within the re-open window (default 7 days)
    re-opens the resolved conversation instead of starting a new one."""
    cid = conv_of(api, message("r1", author="anna"))
    resolve(api, cid)
    assert conv_of(api, message("r2", author="anna")) == cid
    conv = api.conversation(cid)
    assert conv["status"] == "open"
    assert conv["resolved_at"] is None
    assert conv["message_count"] == 2


def test_pending_conversation_becomes_open_on_a_new_message(api):
    """A customer's message puts a pending conversation back to open."""
    cid = conv_of(api, message("p1", author="anna"))
    assert api.patch("/api/v1/conversations/%d" % cid, {"status": "pending"})[0] == 200
    assert conv_of(api, message("p2", author="anna")) == cid
    assert api.conversation(cid)["status"] == "open"


def test_resolved_conversation_stays_closed_outside_the_window(make_server):
    """With a zero window, a message after the resolve starts a new
    conversation and the old one stays resolved."""
    api = make_server(env={"CLUETRAIN_INBOX_REOPEN_WINDOW_S": "0"}).client()
    cid = conv_of(api, message("o1", author="anna"))
    resolve(api, cid)
    time.sleep(0.05)  # the window is "resolved_at >= now": leave the millisecond
    new = conv_of(api, message("o2", author="anna"))
    assert new != cid
    assert api.conversation(cid)["status"] == "resolved"
    assert api.conversation(new)["status"] == "open"
    assert api.conversation(new)["contact"]["id"] == api.conversation(cid)["contact"]["id"]
    # Further messages go to the new, open conversation.
    assert conv_of(api, message("o3", author="anna")) == new

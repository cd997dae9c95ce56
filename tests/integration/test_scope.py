"""What a caller may see: a signed-in agent sees only the conversations of
their teams and those assigned to them (everything else is "not found", in
lists, search, contact cards and the event stream too); a channel-scoped
token writes and reads only its channel."""

import pytest

from authkit import create_user, login
from harness import SLOW, EventStream, message

COMMON = "Gemeinsamkeit"


@pytest.fixture
def inbox(make_server):
    """Teams T and U; agents A (in T) and B (in U); conversations c1 (team
    T), c2 (team U), c3 (assigned to A), c4 (nobody's); a second channel."""
    srv = make_server()
    api = srv.client()
    status, shop = api.post("/api/v1/channels", {"kind": "api", "name": "shop"})
    assert status == 201
    t = api.post("/api/v1/teams", {"name": "T"})[1]
    u = api.post("/api/v1/teams", {"name": "U"})[1]
    a = create_user(api, "agent", teams=[t["id"]])
    b = create_user(api, "agent", teams=[u["id"]])
    words = {1: "Apfelkuchen", 2: "Birnenkompott", 3: "Kirschtorte", 4: "Zwetschgendatschi"}
    conv = {}
    for n, word in words.items():
        [r] = api.ingest(message("scope-%d" % n, author="kunde-%d" % n,
                                 text="%s und %s" % (word, COMMON)))
        conv[n] = r["conversation_id"]
    patches = {1: {"team_id": t["id"]}, 2: {"team_id": u["id"]}, 3: {"assignee_id": a["id"]}}
    for n, p in patches.items():
        assert api.patch("/api/v1/conversations/%d" % conv[n], p)[0] == 200
    return {"server": srv, "api": api, "shop": shop, "t": t, "u": u, "a": a, "b": b,
            "conv": conv, "words": words}


def visible_ids(client):
    status, body = client.get("/api/v1/conversations", {"limit": 200})
    assert status == 200, body
    return sorted(c["id"] for c in body["data"])


def search_ids(client, q):
    status, body = client.get("/api/v1/search", {"q": q, "limit": 100})
    assert status == 200, body
    return sorted({m["conversation_id"] for m in body["data"]})


def test_agent_lists_and_reads_only_their_conversations(inbox):
    """Agent A lists c1 (their team) and c3 (assigned); c2 and c4 are 404."""
    srv, conv = inbox["server"], inbox["conv"]
    a = login(srv, inbox["a"])
    assert visible_ids(a) == sorted([conv[1], conv[3]])
    assert visible_ids(login(srv, inbox["b"])) == [conv[2]]
    assert len(visible_ids(inbox["api"])) == 4
    for n in (1, 3):
        assert a.get("/api/v1/conversations/%d" % conv[n])[0] == 200
    for n in (2, 4):
        status, body = a.get("/api/v1/conversations/%d" % conv[n])
        assert status == 404 and body["error"]["message"] == "no such conversation"


def test_agent_cannot_change_others_conversations(inbox):
    """PATCH, reply and note on a conversation out of view are 404 and change
    nothing; on their own they work."""
    srv, api, conv = inbox["server"], inbox["api"], inbox["conv"]
    a = login(srv, inbox["a"])
    for n in (2, 4):
        path = "/api/v1/conversations/%d" % conv[n]
        assert a.patch(path, {"status": "resolved"})[0] == 404
        assert a.post(path + "/messages", {"text": "Antwort"})[0] == 404
        assert a.post(path + "/notes", {"text": "Notiz"})[0] == 404
        c = api.conversation(conv[n])
        assert c["status"] == "open" and len(c["messages"]) == 1
    path = "/api/v1/conversations/%d" % conv[1]
    assert a.patch(path, {"status": "pending"})[0] == 200
    assert a.post(path + "/notes", {"text": "Notiz"})[0] == 201
    assert api.conversation(conv[1])["status"] == "pending"


def test_agent_search_and_contacts_are_scoped(inbox):
    """Search finds only messages of visible conversations; a contact whose
    conversations are all out of view is 404, a visible one lists only the
    visible conversations."""
    srv, api, conv, words = inbox["server"], inbox["api"], inbox["conv"], inbox["words"]
    a = login(srv, inbox["a"])
    assert search_ids(a, COMMON) == sorted([conv[1], conv[3]])
    assert search_ids(api, COMMON) == sorted(conv.values())
    assert search_ids(a, words[2]) == [] and search_ids(a, words[4]) == []
    assert search_ids(a, words[1]) == [conv[1]]
    for n, expect in ((1, 200), (3, 200), (2, 404), (4, 404)):
        contact = api.conversation(conv[n])["contact"]["id"]
        status, card = a.get("/api/v1/contacts/%d" % contact)
        assert status == expect, (n, status, card)
        if status == 200:
            assert [c["id"] for c in card["conversations"]] == [conv[n]]


def test_team_change_applies_at_the_next_request(inbox):
    """Adding A to team U shows c2 at once, in the same session."""
    srv, api, conv = inbox["server"], inbox["api"], inbox["conv"]
    a = login(srv, inbox["a"])
    assert a.get("/api/v1/conversations/%d" % conv[2])[0] == 404
    status, _ = api.patch("/api/v1/users/%d" % inbox["a"]["id"],
                          {"teams": [inbox["t"]["id"], inbox["u"]["id"]]})
    assert status == 200
    assert a.get("/api/v1/conversations/%d" % conv[2])[0] == 200
    assert visible_ids(a) == sorted([conv[1], conv[2], conv[3]])


def events_until(stream, conversation_id, timeout=10):
    """Events up to the first about conversation_id."""
    return stream.wait_for(lambda ev: ev.get("json", {}).get("conversation_id")
                           == conversation_id, timeout * SLOW)


def open_stream(port, token=None, cookie=None):
    s = EventStream(port, token, headers={"Cookie": "ct_session=" + cookie} if cookie else None)
    assert s.status == 200
    first = s.next_event(5 * SLOW, skip_comments=False)
    assert first and first.get("comment") == "connected", first
    return s


def test_agent_event_stream_is_scoped(inbox):
    """The agent's event stream carries no event of conversations out of
    view: new messages in c2 and c4 and changes to them are skipped, those of
    c1 arrive."""
    srv, api, conv = inbox["server"], inbox["api"], inbox["conv"]
    a = login(srv, inbox["a"])
    s = open_stream(srv.port, cookie=a.cookie)
    admin = open_stream(srv.port, token=srv.token)
    try:
        api.ingest(message("scope-2b", author="kunde-2", text="noch einmal"))
        api.ingest(message("scope-4b", author="kunde-4", text="noch einmal"))
        assert api.patch("/api/v1/conversations/%d" % conv[4], {"priority": "high"})[0] == 200
        assert api.post("/api/v1/conversations/%d/notes" % conv[2], {"text": "intern"})[0] == 201
        api.ingest(message("scope-1b", author="kunde-1", text="noch einmal"))
        seen = events_until(s, conv[1])
        assert {ev["json"]["conversation_id"] for ev in seen} == {conv[1]}, seen
        everything = events_until(admin, conv[1])
        assert {ev["json"]["conversation_id"] for ev in everything} == {conv[1], conv[2], conv[4]}
    finally:
        s.close()
        admin.close()


def channel_token(srv, channel, role="agent"):
    res = srv.cli("token", "add", "--name", "scoped-" + channel, "--role", role,
                  "--channel", channel, check=True)
    token = res.stdout.strip()
    assert token.startswith("ct_") and "\n" not in token
    return token


def test_channel_token_ingests_only_into_its_channel(inbox):
    """A token scoped to "api" ingests there; a message for "shop" is 403
    with field channel, and nothing of such a batch is stored."""
    srv, api = inbox["server"], inbox["api"]
    scoped = srv.client(channel_token(srv, "api"))
    status, me = scoped.get("/api/v1/auth/me")
    assert status == 200 and me["token"]["channel_id"] == 1
    assert scoped.ingest(message("own-1", author="own"))[0]["duplicate"] is False
    status, body = scoped.post("/api/v1/messages", message("other-1", channel="shop"))
    assert status == 403 and body["error"]["field"] == "channel", body
    status, body = scoped.post("/api/v1/messages", [message("mixed-1", author="mixed"),
                                                    message("mixed-2", channel="shop")])
    assert status == 403 and body["error"]["field"] == "channel" and body["error"]["index"] == 1
    assert search_ids(api, "mixed") == []
    assert len(api.conversations()) == 5


def test_channel_token_sees_only_its_channel(inbox):
    """A token scoped to "shop" (made through the API) lists, reads, searches
    and streams only shop conversations; others are 404."""
    srv, api, conv = inbox["server"], inbox["api"], inbox["conv"]
    status, body = api.post("/api/v1/tokens", {"name": "shop-int", "role": "supervisor",
                                               "channel_id": inbox["shop"]["id"]})
    assert status == 201, body
    shop = srv.client(body["token"])
    [r] = api.ingest(message("shop-1", author="shopper", channel="shop", text="Schuhkarton"))
    sc = r["conversation_id"]
    assert visible_ids(shop) == [sc]
    assert shop.get("/api/v1/conversations/%d" % sc)[0] == 200
    assert shop.get("/api/v1/conversations/%d" % conv[1])[0] == 404
    assert shop.patch("/api/v1/conversations/%d" % conv[1], {"status": "resolved"})[0] == 404
    assert shop.post("/api/v1/conversations/%d/notes" % conv[1], {"text": "x"})[0] == 404
    assert search_ids(shop, COMMON) == [] and search_ids(shop, "Schuhkarton") == [sc]
    contact = api.conversation(conv[1])["contact"]["id"]
    assert shop.get("/api/v1/contacts/%d" % contact)[0] == 404
    [r2] = shop.ingest(message("shop-2", author="shopper", channel="shop"))
    assert r2["conversation_id"] == sc
    assert shop.post("/api/v1/messages", message("api-x"))[0] == 403
    s = open_stream(srv.port, token=body["token"])
    try:
        api.ingest(message("scope-1c", author="kunde-1", text="api"))
        api.ingest(message("shop-3", author="shopper", channel="shop", text="shop"))
        seen = events_until(s, sc)
        assert {ev["json"]["conversation_id"] for ev in seen} == {sc}, seen
    finally:
        s.close()
    [row] = [t for t in api.get("/api/v1/tokens")[1]["data"] if t["name"] == "shop-int"]
    assert row["channel_id"] == inbox["shop"]["id"]
    status, body = api.post("/api/v1/tokens", {"name": "x", "role": "agent", "channel_id": 99})
    assert status == 422 and body["error"]["field"] == "channel_id"


def test_token_add_with_unknown_channel_fails(inbox):
    res = inbox["server"].cli("token", "add", "--name", "x", "--role", "agent",
                              "--channel", "nosuch")
    assert res.returncode != 0 and "no channel named nosuch" in res.stderr and not res.stdout


def test_an_agent_token_without_channel_sees_everything(inbox):
    """An agent-role token belongs to no user and no team: it sees every
    conversation (as documented)."""
    tok = inbox["server"].client(inbox["server"].add_token("agent-int", "agent"))
    assert len(visible_ids(tok)) == 4

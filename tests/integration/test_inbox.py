"""The inbox API: listing with filters and keyset pagination, reading one
conversation, changing it, notes."""

import pytest

from harness import message


def at(minute, second=0):
    """An RFC 3339 time on a fixed morning, so tests control the order."""
    return "2024-11-20T06:%02d:%02d+01:00" % (minute, second)


def ids(convs):
    return [c["id"] for c in convs]


def list_ids(api, **params):
    status, body = api.get("/api/v1/conversations", params)
    assert status == 200, body
    return ids(body["data"])


def patch(api, cid, body, expect=200):
    status, res = api.patch("/api/v1/conversations/%d" % cid, body)
    assert status == expect, res
    return res


def test_list_is_newest_activity_first(api):
    """Conversations are listed by their latest message time, newest first;
    a new message moves its conversation to the top."""
    a = api.ingest(message("o1", author="anna", created_at=at(1)))[0]["conversation_id"]
    b = api.ingest(message("o2", author="bernd", created_at=at(3)))[0]["conversation_id"]
    c = api.ingest(message("o3", author="carla", created_at=at(2)))[0]["conversation_id"]
    assert list_ids(api) == [b, c, a]
    api.ingest(message("o4", author="anna", created_at=at(4)))
    assert list_ids(api) == [a, b, c]
    times = [c["last_activity_at"] for c in api.get("/api/v1/conversations")[1]["data"]]
    assert times == sorted(times, reverse=True)


@pytest.fixture
def inbox(api):
    """Five conversations with different status, channel, tags, priority,
    assignee; a dict name -> id."""
    assert api.post("/api/v1/channels", {"kind": "api", "name": "web"})[0] == 201
    c = {}
    c["outage"] = api.ingest(message("f1", author="anna", text="Stromausfall in der Südstadt",
                                     created_at=at(1)))[0]["conversation_id"]
    c["bill"] = api.ingest(message("f2", author="bernd", text="Frage zur Rechnung",
                                   created_at=at(2)))[0]["conversation_id"]
    c["web"] = api.ingest(message("f3", author="carla", text="Hello from the website",
                                  channel="web", created_at=at(3)))[0]["conversation_id"]
    c["meter"] = api.ingest(message("f4", author="dora", text="Der Zähler piept",
                                    created_at=at(4)))[0]["conversation_id"]
    c["done"] = api.ingest(message("f5", author="emil", text="Danke, erledigt",
                                   created_at=at(5)))[0]["conversation_id"]
    patch(api, c["done"], {"status": "resolved"})
    patch(api, c["outage"], {"priority": "urgent", "tags": ["störung", "südstadt"]})
    patch(api, c["meter"], {"tags": ["störung"], "assignee_id": 1})
    patch(api, c["bill"], {"status": "pending", "priority": "low"})
    return c


@pytest.mark.parametrize("params,expected", [
    ({}, ["done", "meter", "web", "bill", "outage"]),
    ({"status": "open"}, ["meter", "web", "outage"]),
    ({"status": "resolved"}, ["done"]),
    ({"status": "pending"}, ["bill"]),
    ({"channel": "web"}, ["web"]),
    ({"channel": "api"}, ["done", "meter", "bill", "outage"]),
    ({"channel": "nosuch"}, []),
    ({"tag": "störung"}, ["meter", "outage"]),
    ({"tag": "südstadt"}, ["outage"]),
    ({"tag": "nosuch"}, []),
    ({"priority": "urgent"}, ["outage"]),
    ({"priority": "normal"}, ["done", "meter", "web"]),
    ({"assignee": "none"}, ["done", "web", "bill", "outage"]),
    ({"assignee": "1"}, ["meter"]),
    ({"q": "zähler"}, ["meter"]),
    ({"q": "Stromausfälle"}, ["outage"]),
    ({"q": "website"}, ["web"]),
    ({"status": "open", "tag": "störung", "assignee": "none"}, ["outage"]),
    ({"status": "open", "q": "rechnung"}, []),
])
def test_list_filters(api, inbox, params, expected):
    """Each filter (and a combination) selects exactly the matching
    conversations, still newest first."""
    assert list_ids(api, **params) == [inbox[name] for name in expected]


@pytest.mark.parametrize("params,field", [
    ({"status": "closed"}, "status"),
    ({"priority": "highest"}, "priority"),
    ({"assignee": "nobody"}, "assignee"),
    ({"team": "x"}, "team"),
    ({"q": "?!."}, "q"),
    ({"cursor": "garbage"}, "cursor"),
    ({"cursor": "123"}, "cursor"),
    ({"cursor": "123_abc"}, "cursor"),
    ({"cursor": "123_0"}, "cursor"),
    ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"),
    ({"limit": "-1"}, "limit"),
    ({"limit": "ten"}, "limit"),
])
def test_bad_list_parameters_are_422_naming_the_parameter(api, params, field):
    """An invalid filter value, cursor or limit: 422 naming it."""
    status, body = api.get("/api/v1/conversations", params)
    assert status == 422, body
    assert body["error"]["field"] == field


def page_through(api, limit, after_first_page=None):
    """Follow next_cursor from the first page; (ids seen, page sizes)."""
    seen, pages, cursor = [], [], None
    while True:
        params = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        status, body = api.get("/api/v1/conversations", params)
        assert status == 200, body
        pages.append(len(body["data"]))
        seen += ids(body["data"])
        cursor = body["next_cursor"]
        if len(pages) == 1 and after_first_page:
            after_first_page()
        if not cursor:
            return seen, pages
        assert len(pages) < 50, "pagination does not end"


def test_keyset_pagination_visits_every_conversation_once(api):
    """25 conversations, in groups of three with the same activity time,
    paged with limit 7: every conversation exactly once, in list order, and
    the last page has no next_cursor."""
    api.ingest([message("k%d" % i, author="author-%d" % i, created_at=at(10 + i // 3))
                for i in range(25)])
    everything = list_ids(api, limit=200)
    assert len(everything) == 25
    seen, pages = page_through(api, 7)
    assert pages == [7, 7, 7, 4]
    assert seen == everything


def test_pagination_is_stable_when_a_conversation_moves_to_the_top(api):
    """When the oldest conversation gets a new message while a client pages,
    the later pages do not shift: nothing is seen twice and nothing else is
    skipped (an offset-based pager would repeat a conversation)."""
    api.ingest([message("s%d" % i, author="author-%d" % i, created_at=at(10 + i // 3))
                for i in range(25)])
    everything = list_ids(api, limit=200)
    oldest = everything[-1]
    author = "author-0"
    assert api.conversation(oldest)["messages"][0]["external_id"] == "s0"
    seen, pages = page_through(api, 7, lambda: api.ingest(
        message("s-late", author=author, created_at=at(59))))
    assert len(seen) == len(set(seen))
    assert seen == everything[:-1]
    assert list_ids(api, limit=1) == [oldest]


def test_exact_multiple_of_the_limit_ends_cleanly(api):
    """With as many conversations as the limit, the page has everything and
    the following (if offered) is empty."""
    api.ingest([message("m%d" % i, author="a%d" % i) for i in range(5)])
    status, body = api.get("/api/v1/conversations", {"limit": 5})
    assert len(body["data"]) == 5
    if body["next_cursor"]:
        status, body = api.get("/api/v1/conversations",
                               {"limit": 5, "cursor": body["next_cursor"]})
        assert status == 200 and body["data"] == [] and body["next_cursor"] is None


def test_get_one_conversation_with_its_messages(api):
    """GET /conversations/{id}: the conversation, its channel and contact, and
    its messages oldest first, each with the documented fields."""
    r = api.ingest([message("g1", author="anna", text="eins", created_at=at(1)),
                    message("g2", author="anna", text="zwei", created_at=at(2))])
    cid = r[0]["conversation_id"]
    conv = api.conversation(cid)
    assert conv["id"] == cid
    assert conv["channel"] == {"id": 1, "name": "api", "kind": "api"}
    assert conv["contact"]["name"] == "Name of anna"
    assert conv["status"] == "open" and conv["priority"] == "normal"
    assert conv["assignee_id"] is None and conv["tags"] == []
    assert conv["message_count"] == 2
    assert conv["snippet"] == "zwei"
    assert conv["last_activity_at"] == "2024-11-20T05:02:00.000Z"
    assert [m["text"] for m in conv["messages"]] == ["eins", "zwei"]
    m = conv["messages"][0]
    for key in ("id", "conversation_id", "direction", "external_id", "author", "text",
                "created_at", "received_at", "delivery_state"):
        assert key in m, key
    assert m["author"]["name"] == "Name of anna"


@pytest.mark.parametrize("path", ["/api/v1/conversations/999999",
                                  "/api/v1/conversations/abc",
                                  "/api/v1/conversations/0",
                                  "/api/v1/conversations/-1",
                                  "/api/v1/conversations/99999999999999999999999"])
def test_unknown_conversation_is_404(api, path):
    """An id that does not exist (or is no id) gives 404 with a JSON error."""
    status, body = api.get(path)
    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert api.patch(path, {"status": "open"})[0] == 404
    assert api.post(path + "/notes", {"text": "x"})[0] == 404
    assert api.post(path + "/messages", {"text": "x"})[0] == 404


def test_unknown_route_and_wrong_method(api):
    """No such route: 404; a route with another method: 405 with Allow."""
    assert api.get("/api/v1/nothing")[0] == 404
    status, headers, _ = api.request("DELETE", "/api/v1/conversations")
    assert status == 405
    assert "GET" in headers.get("allow", "")


def test_patch_status_priority_and_tags(api):
    """PATCH changes status and priority; tags replace the previous set."""
    cid = api.ingest(message("p1"))[0]["conversation_id"]
    conv = patch(api, cid, {"status": "pending", "priority": "high", "tags": ["a", "b"]})
    assert (conv["status"], conv["priority"], conv["tags"]) == ("pending", "high", ["a", "b"])
    conv = patch(api, cid, {"tags": ["c", "b"]})
    assert conv["tags"] == ["b", "c"]
    assert (conv["status"], conv["priority"]) == ("pending", "high")  # untouched
    conv = patch(api, cid, {"status": "resolved"})
    assert conv["resolved_at"] is not None
    conv = patch(api, cid, {"status": "open", "tags": []})
    assert conv["resolved_at"] is None and conv["tags"] == []
    assert api.conversation(cid)["status"] == "open"


def test_patch_assignee(api):
    """assignee_id: an existing user (the admin created by init, id 1) is
    set, null clears it, an unknown user id is 422 on field assignee_id."""
    cid = api.ingest(message("as1"))[0]["conversation_id"]
    assert patch(api, cid, {"assignee_id": 1})["assignee_id"] == 1
    status, body = api.patch("/api/v1/conversations/%d" % cid, {"assignee_id": 4242})
    assert status == 422
    assert body["error"]["field"] == "assignee_id"
    assert api.conversation(cid)["assignee_id"] == 1
    assert patch(api, cid, {"assignee_id": None})["assignee_id"] is None


@pytest.mark.parametrize("body,field", [
    ({"colour": "blue"}, "colour"),
    ({"status": "closed"}, "status"),
    ({"status": 1}, "status"),
    ({"priority": "highest"}, "priority"),
    ({"assignee_id": "1"}, "assignee_id"),
    ({"assignee_id": 0}, "assignee_id"),
    ({"team_id": 77}, "team_id"),
    ({"tags": "a,b"}, "tags"),
    ({"tags": [""]}, "tags"),
    ({"tags": [" x"]}, "tags"),
    ({"tags": ["t%d" % i for i in range(21)]}, "tags"),
    ({"status": "resolved", "assignee_id": 4242}, "assignee_id"),
])
def test_bad_patch_is_422_and_changes_nothing(api, body, field):
    """An invalid or unknown field: 422 naming it, and nothing changes (also
    not the valid fields of the same patch)."""
    cid = api.ingest(message("bp1"))[0]["conversation_id"]
    before = api.conversation(cid)
    status, res = api.patch("/api/v1/conversations/%d" % cid, body)
    assert status == 422, res
    assert res["error"]["field"] == field
    assert api.conversation(cid) == before


def test_patch_body_must_be_json_object(api):
    """A PATCH with invalid JSON is 400, with an array 422."""
    cid = api.ingest(message("bj1"))[0]["conversation_id"]
    path = "/api/v1/conversations/%d" % cid
    assert api.request("PATCH", path, b"{nope")[0] == 400
    assert api.patch(path, [{"status": "open"}])[0] == 422


def test_note_is_stored_and_never_delivered(api, receiver):
    """POST .../notes: 201, direction note, no delivery state; the channel's
    webhook receives nothing."""
    api.set_webhook(receiver.url)
    cid = api.ingest(message("nt1"))[0]["conversation_id"]
    status, note = api.post("/api/v1/conversations/%d/notes" % cid,
                            {"text": "Intern: Kunde ist Großkunde"})
    assert status == 201, note
    assert note["direction"] == "note"
    assert note["delivery_state"] is None
    assert note["conversation_id"] == cid
    conv = api.conversation(cid)
    assert [m["direction"] for m in conv["messages"]] == ["in", "note"]
    assert conv["snippet"] == "Nachricht nt1"  # a note is not what the customer sees
    assert receiver.wait_requests(1, 1.0) == []


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "  \n "}, {"text": 5},
                                  {"text": "x" * (64 * 1024 + 1)}])
def test_note_and_reply_need_a_text(api, body):
    """A note or reply without a (non-blank, not too long) text is 422 on text."""
    cid = api.ingest(message("tx1"))[0]["conversation_id"]
    for kind in ("notes", "messages"):
        status, res = api.post("/api/v1/conversations/%d/%s" % (cid, kind), body)
        assert status == 422, (kind, res)
        assert res["error"]["field"] == "text"
    assert api.conversation(cid)["message_count"] == 1

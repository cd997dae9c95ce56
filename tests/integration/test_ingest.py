"""POST /api/v1/messages: acceptance, idempotency, validation, all-or-nothing
batches, authentication and size caps."""

import json
import socket
import threading

import pytest

from harness import SLOW, message


def all_conversations(api):
    """The inbox as a comparable value: every conversation with its message count."""
    return sorted((c["id"], c["message_count"]) for c in api.conversations())


def test_single_message_is_stored_and_answered_with_ids(api):
    """A single object gives 201 with one result holding the new ids, and the
    message can be read back in its conversation."""
    m = message("ext-1", text="Guten Morgen, mein Zähler läuft rückwärts.",
                created_at="2024-11-20T06:47:00+01:00", subject="Zähler",
                attachments=[{"url": "https://example.org/z.jpg"}], meta={"source": "test"})
    status, body = api.post("/api/v1/messages", m)
    assert status == 201, body
    assert len(body["data"]) == 1
    r = body["data"][0]
    assert r["id"] > 0 and r["conversation_id"] > 0 and r["duplicate"] is False
    conv = api.conversation(r["conversation_id"])
    assert conv["message_count"] == 1
    assert conv["subject"] == "Zähler"
    [stored] = conv["messages"]
    assert stored["id"] == r["id"]
    assert stored["direction"] == "in"
    assert stored["external_id"] == "ext-1"
    assert stored["text"] == m["text"]
    assert stored["created_at"] == "2024-11-20T05:47:00.000Z"  # stored in UTC
    assert stored["attachments"] == m["attachments"]
    assert stored["meta"] == m["meta"]


def test_array_gives_one_result_per_message_in_order(api):
    """An array gives 201 with the ids of each message, in the order sent."""
    batch = [message("a-%d" % i, author="kunde-%d" % i) for i in range(5)]
    results = api.ingest(batch)
    assert len(results) == 5
    assert len({r["id"] for r in results}) == 5
    for i, r in enumerate(results):
        conv = api.conversation(r["conversation_id"])
        assert [m["external_id"] for m in conv["messages"]] == ["a-%d" % i]


def test_resending_a_message_stores_nothing_twice(api):
    """Same (channel, external_id) again: duplicate:true, the same ids, and
    the conversation still holds the message once (also within one batch)."""
    [first] = api.ingest(message("dup-1"))
    [again] = api.ingest(message("dup-1", text="a changed text"))
    assert again == dict(first, duplicate=True)
    both = api.ingest([message("dup-1"), message("dup-2"), message("dup-2")])
    assert both[0] == dict(first, duplicate=True)
    assert both[1]["duplicate"] is False
    assert both[2] == dict(both[1], duplicate=True)
    conv = api.conversation(first["conversation_id"])
    assert conv["message_count"] == 2
    assert sorted(m["external_id"] for m in conv["messages"]) == ["dup-1", "dup-2"]
    assert [m["text"] for m in conv["messages"] if m["external_id"] == "dup-1"] == \
        ["Nachricht dup-1"]


def bad_batch(bad_item):
    """Five messages; the one at index 3 is bad_item."""
    batch = [message("batch-%d" % i, author="batch-author-%d" % i) for i in range(5)]
    batch[3] = bad_item
    return batch


def with_(**changes):
    m = message("batch-3", author="batch-author-3")
    for k, v in changes.items():
        if v is None:
            m.pop(k)
        else:
            m[k] = v
    return m


BAD_ITEMS = {
    "unknown channel": (with_(channel="nosuchchannel"), "channel"),
    "missing author.id": (with_(author={"name": "Ohne Id"}), "author.id"),
    "missing author": (with_(author=None), "author"),
    "missing external_id": (with_(external_id=None), "external_id"),
    "bad created_at": (with_(created_at="gestern früh"), "created_at"),
    "created_at without zone": (with_(created_at="2024-11-20T06:47:00"), "created_at"),
    "created_at far future": (with_(created_at="2999-01-01T00:00:00Z"), "created_at"),
    "text too long": (with_(text="x" * (64 * 1024 + 1)), "text"),
    "text not a string": (with_(text=42), "text"),
    "unknown field": (with_(colour="blau"), "colour"),
    "unknown author field": (with_(author={"id": "x", "email": "x@example.org"}),
                             "author.email"),
    "meta not an object": (with_(meta=[1, 2]), "meta"),
    "conversation_id not a number": (with_(conversation_id="12"), "conversation_id"),
    "conversation_id zero": (with_(conversation_id=0), "conversation_id"),
    "non-object item": ("just a string", None),
}


@pytest.mark.parametrize("case", sorted(BAD_ITEMS))
def test_a_bad_message_rejects_the_whole_batch(api, case):
    """One bad message at index 3: 422 naming the field and index 3, and
    nothing of the batch is stored (not even the good messages before it)."""
    bad_item, field = BAD_ITEMS[case]
    api.ingest(message("earlier", author="someone-else"))
    before = all_conversations(api)
    status, body = api.post("/api/v1/messages", bad_batch(bad_item))
    assert status == 422, body
    err = body["error"]
    assert err["code"] == "invalid" and err["message"]
    assert err["index"] == 3
    if field:
        assert err["field"] == field
    assert all_conversations(api) == before
    # The good messages 0-2 were not stored: sending them now is not a repeat.
    for r in api.ingest(bad_batch(message("batch-3", author="batch-author-3"))[:3]):
        assert r["duplicate"] is False


def test_text_at_the_size_limit_is_accepted(api):
    """ingest.max_text (64 KiB) counts bytes: a text of exactly 65,536 bytes
    of two-byte characters is stored whole."""
    text = "ä" * (32 * 1024)
    [r] = api.ingest(message("limit-1", text=text))
    [m] = api.conversation(r["conversation_id"])["messages"]
    assert m["text"] == text


def test_message_with_only_attachments_needs_no_text(api):
    """text may be left out when attachments are given; without both it is 422."""
    [r] = api.ingest(with_(text=None, attachments=[{"url": "https://example.org/p.png"}]))
    [m] = api.conversation(r["conversation_id"])["messages"]
    assert m["text"] == "" and m["attachments"] == [{"url": "https://example.org/p.png"}]
    status, body = api.post("/api/v1/messages", with_(text=None, external_id="none"))
    assert status == 422 and body["error"]["field"] == "text"


def test_a_single_bad_message_names_the_field_without_index(api):
    """A bad single object: 422 with the field; no index (it is no array)."""
    status, body = api.post("/api/v1/messages", with_(author={"name": "x"}))
    assert status == 422
    assert body["error"]["field"] == "author.id"
    assert "index" not in body["error"]


def test_more_than_1000_messages_is_413_and_stores_nothing(api):
    """1,000 messages are accepted; 1,001 give 413 and store nothing."""
    ok = [message("many-%d" % i, author="many") for i in range(1000)]
    assert len(api.ingest(ok)) == 1000
    before = all_conversations(api)
    too_many = [message("more-%d" % i, author="more") for i in range(1001)]
    status, body = api.post("/api/v1/messages", too_many)
    assert status == 413, body
    assert body["error"]["code"] == "too_large"
    assert all_conversations(api) == before


@pytest.mark.parametrize("raw", [
    b'[{"channel": "api", "external_id": "j1", ',
    b'',
    b'{"channel": "api", "channel": "api"}',
    b'[{"channel": "api", "external_id": "u1", "author": {"id": "a"}, "text": "\xff\xfe"}]',
    b'[{"channel": "api", "external_id": "u2", "author": {"id": "a"}, "text": "ok"},'
    b' {"channel": "api", "external_id": "u3", "author": {"id": "a\xc3"}, "text": "x"}]',
    b'{"channel": "api", "external_id": "n1", "author": {"id": "a"}, "text": "a\\u0000b"}',
], ids=["truncated", "empty", "duplicate key", "bad utf-8", "bad utf-8 in 2nd", "NUL"])
def test_malformed_body_is_400_and_stores_nothing(api, raw):
    """Invalid JSON, invalid UTF-8 and NUL characters: 400 with a JSON error,
    nothing stored."""
    before = all_conversations(api)
    status, headers, body = api.request("POST", "/api/v1/messages", raw)
    assert status == 400, body
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "invalid"
    assert all_conversations(api) == before


@pytest.mark.parametrize("body", [[], 42, "text", None], ids=["empty array", "number",
                                                               "string", "null"])
def test_body_that_is_no_message_is_rejected(api, body):
    """An empty array or a JSON value that is neither object nor array: 4xx."""
    status, res = api.post("/api/v1/messages", body if body is not None else b"null")
    assert status in (400, 422), res
    assert res["error"]["message"]


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer ct_wrongwrongwrongwrongwrong",
                                           "Bearer short"],
                         ids=["missing", "empty", "wrong", "short"])
def test_ingest_without_a_valid_token_is_401(server, authorization):
    """No or a wrong token: 401 with a JSON error, nothing stored."""
    anon = server.client()
    anon.token = ""
    headers = {"Authorization": authorization} if authorization else {}
    status, body = anon.post("/api/v1/messages", message("auth-1"), headers=headers)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    assert server.client().conversations() == []


def test_basic_auth_or_bare_token_is_401(server):
    """Only "Authorization: Bearer <token>" authenticates."""
    c = server.client()
    for value in ("Basic " + server.token, server.token, "Bearer"):
        status = c.request("POST", "/api/v1/messages", message("x"), token="",
                           headers={"Authorization": value})[0]
        assert status == 401, value


def test_viewer_may_read_but_not_ingest(server):
    """A viewer token: 403 on POST /messages, 200 on GET /conversations."""
    viewer = server.client(server.add_token("reader", "viewer"))
    status, body = viewer.post("/api/v1/messages", message("v-1"))
    assert status == 403
    assert body["error"]["code"] == "forbidden"
    assert viewer.get("/api/v1/conversations")[0] == 200
    assert server.client().conversations() == []


def test_agent_token_may_ingest(server):
    """An agent token may ingest (roles admin, supervisor, agent)."""
    agent = server.client(server.add_token("bot", "agent"))
    assert agent.ingest(message("agent-1"))[0]["duplicate"] is False


def raw_request(port, head, body_sender=None, timeout=30):
    """Send a request head (and maybe a body from another thread); the status."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
    try:
        s.sendall(head)
        sender = None
        if body_sender:
            sender = threading.Thread(target=body_sender, args=(s,), daemon=True)
            sender.start()
        f = s.makefile("rb")
        line = f.readline()
        status = int(line.split()[1])
        headers = {}
        while True:
            h = f.readline().strip()
            if not h:
                break
            k, _, v = h.decode().partition(":")
            headers[k.lower()] = v.strip()
        return status, headers
    finally:
        s.close()


def test_body_over_16_mib_announced_by_content_length_is_413(server):
    """Content-Length above 16 MiB: 413 before the body is read."""
    head = ("POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (server.token, 16 * 1024 * 1024 + 1)).encode()
    status, _ = raw_request(server.port, head)
    assert status == 413
    assert server.client().get("/api/v1/health")[0] == 200


def test_chunked_body_over_16_mib_is_413_and_stores_nothing(server):
    """A chunked body (no Content-Length) that grows past 16 MiB: 413."""
    head = ("POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" % server.token).encode()
    # A valid array of 1,000 messages, ~17 MB: it would be stored if accepted.
    item = (b'{"channel":"api","external_id":"big-%06d","author":{"id":"big"},"text":"'
            + b"y" * 17000 + b'"}')

    def send_body(s):
        try:
            chunks = [b"["]
            for i in range(1000):
                chunks.append((b"," if i else b"") + item.replace(b"%06d", b"%06d" % i))
            chunks.append(b"]")
            for c in chunks:
                s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may close early

    status, _ = raw_request(server.port, head, send_body)
    assert status == 413
    assert server.client().conversations() == []


def test_concurrent_batches_fail_or_succeed_independently(server):
    """Batches sent at the same time share group commits: a batch that fails
    inside the commit (unknown channel at its last index) must not take the
    others with it, nor leave any of its own messages behind."""
    results, errors = {}, []

    def send(worker):
        c = server.client()
        for n in range(15):
            name = "w%d-b%02d" % (worker, n)
            batch = [message("%s-m%d" % (name, i), author="cc-%d" % (i % 3))
                     for i in range(20)]
            good = (n + worker) % 2 == 0
            if not good:
                batch[-1]["channel"] = "nosuch"
            try:
                status, body = c.post("/api/v1/messages", batch)
            except OSError as e:
                errors.append(e)
                return
            results[name] = (good, status, batch)

    threads = [threading.Thread(target=send, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60 * SLOW)
    assert not errors, errors
    assert len(results) == 90
    for name, (good, status, _) in results.items():
        assert status == (201 if good else 422), (name, status)
    stored = {m["external_id"] for conv in server.client().conversations()
              for m in server.client().conversation(conv["id"])["messages"]}
    for name, (good, _, batch) in results.items():
        ids = {m["external_id"] for m in batch}
        assert (ids <= stored) if good else not (ids & stored), name

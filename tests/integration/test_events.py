"""GET /api/v1/events: the live Server-Sent Events stream."""

import socket
import time

import pytest

from harness import SLOW, EventStream, message


@pytest.fixture
def stream_factory(server):
    streams = []

    def open_stream(last_event_id=None, token=None):
        s = EventStream(server.port, token or server.token, last_event_id)
        streams.append(s)
        if s.status == 200:
            # ": connected" arrives once the server has taken its place in
            # the event sequence; only then is nothing missed.
            first = s.next_event(5 * SLOW, skip_comments=False)
            assert first and first.get("comment") == "connected", first
            s.first = first
        return s

    yield open_stream
    for s in streams:
        s.close()


def of_type(kind):
    return lambda ev: ev.get("event") == kind


def ingest_and_settle(stream_factory, api, msg):
    """Ingest msg and wait until its event has reached streams: on
    PostgreSQL events travel through the database (LISTEN/NOTIFY) and may
    reach the hub a moment after the ingest's answer. Returns the result."""
    probe = stream_factory()
    [r] = api.ingest(msg)
    probe.wait_for(lambda ev: ev.get("event") == "message.received"
                   and ev["json"]["message_id"] == r["id"], 2.0 * SLOW)
    return r


def test_stream_headers(stream_factory):
    """The stream is text/event-stream and tells the client a retry delay."""
    s = stream_factory()
    assert s.status == 200
    assert s.headers["content-type"].startswith("text/event-stream")
    assert s.headers.get("cache-control") == "no-store"
    assert s.first.get("retry") == "3000"


def test_stream_needs_a_token(server):
    """The event stream needs a valid token (401 otherwise)."""
    s = EventStream(server.port, "ct_not-a-valid-token-at-all")
    try:
        assert s.status == 401
    finally:
        s.close()


def test_ingested_message_is_announced_within_a_second(stream_factory, api):
    """A received message appears as `event: message.received` with its
    conversation and message id, within 1 s of the ingest's answer."""
    s = stream_factory()
    [r] = api.ingest(message("ev-1"))
    t0 = time.monotonic()
    [ev] = s.wait_for(of_type("message.received"), 1.0)
    assert time.monotonic() - t0 <= 1.0
    assert ev["json"] == {"conversation_id": r["conversation_id"], "message_id": r["id"]}
    assert int(ev["id"]) > 0


def test_duplicates_are_not_announced_again(stream_factory, api):
    """Re-sending a stored message produces no new event."""
    ingest_and_settle(stream_factory, api, message("ev-d"))
    s = stream_factory()
    api.ingest(message("ev-d"))
    api.ingest(message("ev-e"))
    [ev] = s.wait_for(of_type("message.received"), 2.0)
    assert ev["json"]["message_id"] == api.ingest(message("ev-e"))[0]["id"]


def test_reply_patch_and_delivery_are_announced(stream_factory, api, receiver):
    """A reply gives message.created, its delivery message.updated (state
    sent), a PATCH conversation.updated; event ids rise."""
    api.set_webhook(receiver.url)
    cid = api.ingest(message("ev-2"))[0]["conversation_id"]
    s = stream_factory()
    status, rep = api.post("/api/v1/conversations/%d/messages" % cid, {"text": "Hallo!"})
    assert status == 201
    seen = s.wait_for(of_type("message.created"), 1.0)
    assert seen[-1]["json"] == {"conversation_id": cid, "message_id": rep["id"]}
    seen += s.wait_for(of_type("message.updated"), 5.0 * SLOW)
    assert seen[-1]["json"]["message_id"] == rep["id"]
    assert seen[-1]["json"]["delivery_state"] == "sent"
    assert api.patch("/api/v1/conversations/%d" % cid, {"status": "resolved"})[0] == 200
    seen += s.wait_for(of_type("conversation.updated"), 1.0)
    assert seen[-1]["json"] == {"conversation_id": cid}
    event_ids = [int(ev["id"]) for ev in seen]
    assert event_ids == sorted(event_ids) and len(set(event_ids)) == len(event_ids)


def test_last_event_id_resumes_with_missed_events(stream_factory, api):
    """A client that reconnects with Last-Event-ID gets the events it missed,
    in order, and then the new ones."""
    s = stream_factory()
    api.ingest(message("r-1"))
    [first] = s.wait_for(of_type("message.received"), 1.0)
    s.close()
    missed = [api.ingest(message("r-%d" % i))[0]["id"] for i in (2, 3, 4)]
    s2 = stream_factory(last_event_id=first["id"])
    got = []
    for _ in missed:
        [ev] = s2.wait_for(of_type("message.received"), 1.0)
        got.append(ev)
    assert [ev["json"]["message_id"] for ev in got] == missed
    assert [int(ev["id"]) for ev in got] == [int(first["id"]) + i for i in (1, 2, 3)]
    new = api.ingest(message("r-5"))[0]["id"]
    [ev] = s2.wait_for(of_type("message.received"), 1.0)
    assert ev["json"]["message_id"] == new


def test_without_last_event_id_only_new_events_arrive(stream_factory, api):
    """A fresh connection starts after the newest event: old ones are not replayed."""
    ingest_and_settle(stream_factory, api, message("old-1"))
    s = stream_factory()
    assert s.next_event(0.5) is None
    api.ingest(message("new-1"))
    [ev] = s.wait_for(of_type("message.received"), 1.0)
    assert ev["json"]["message_id"] == api.ingest(message("new-1"))[0]["id"]


def test_idle_stream_sends_keep_alive(stream_factory):
    """With events.heartbeat_s=1 an idle stream carries a comment line at
    least every couple of seconds, so proxies keep it open."""
    s = stream_factory()
    ev = s.next_event(3.0 * SLOW, skip_comments=False)
    assert ev is not None and ev.get("comment") == "keep-alive", ev


def test_several_clients_all_get_the_event(stream_factory, api):
    """Every connected client receives each event."""
    streams = [stream_factory() for _ in range(3)]
    mid = api.ingest(message("multi"))[0]["id"]
    for s in streams:
        [ev] = s.wait_for(of_type("message.received"), 1.0)
        assert ev["json"]["message_id"] == mid


def test_server_stops_promptly_with_open_streams(server, stream_factory):
    """SIGTERM with event streams open: the streams end and the server exits
    cleanly within a few seconds."""
    streams = [stream_factory() for _ in range(2)]
    t0 = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - t0 < 5 * SLOW
    for s in streams:
        while s.next_event(2.0, skip_comments=False) is not None:
            pass
        assert s.closed


def test_last_event_id_in_the_query(stream_factory, api, server):
    """Clients that cannot set headers pass last_event_id in the query."""
    s = stream_factory()
    api.ingest(message("q-1"))
    [first] = s.wait_for(of_type("message.received"), 1.0)
    s.close()
    mid = api.ingest(message("q-2"))[0]["id"]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5 * SLOW)
    try:
        sock.sendall(("GET /api/v1/events?last_event_id=%s HTTP/1.0\r\n"
                      "Authorization: Bearer %s\r\n\r\n" % (first["id"], server.token)).encode())
        data = b""
        deadline = time.monotonic() + 2 * SLOW
        while b"message.received" not in data and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    assert b"event: message.received" in data
    assert ('"message_id":%d' % mid).encode() in data


def test_reconnect_after_a_server_restart_still_gets_new_events(make_server):
    """A browser's EventSource reconnects after a restart with the last id it
    saw before it. Event ids of the new process must not make that client
    wait for ids it has "seen" already: new events have to arrive."""
    srv = make_server()
    api = srv.client()
    s = EventStream(srv.port, srv.token)
    try:
        for i in range(5):
            api.ingest(message("before-%d" % i))
        seen = []
        while len(seen) < 5:
            ev = s.next_event(2.0)
            assert ev is not None, "events before the restart did not arrive"
            seen.append(ev)
    finally:
        s.close()
    last_id = seen[-1]["id"]
    srv.restart()
    api = srv.client()
    s = EventStream(srv.port, srv.token, last_event_id=last_id)
    try:
        assert s.status == 200
        mid = api.ingest(message("after-restart"))[0]["id"]
        ev = s.next_event(2.0 * SLOW)
        assert ev is not None, ("no event after reconnecting with Last-Event-ID %s from "
                                "before the restart" % last_id)
        assert ev["event"] == "message.received" and ev["json"]["message_id"] == mid
    finally:
        s.close()

"""Replies through the durable job queue to the "api" channel's webhook:
delivery, retries with backoff, Retry-After, permanent failures, idempotency
and survival of a crash.

The test servers run with jobs.backoff_base_ms=100, jobs.backoff_max_ms=1000
and jobs.max_attempts=4 (see harness.TEST_CONFIG) unless a test says
otherwise, so attempts come at about 0, 0.1, 0.3 and 0.7 s.
"""

import threading
import time

from harness import SLOW, message, wait_until


def start_conversation(api, author="kunde-7"):
    return api.ingest(message("in-1", author=author, text="Wann kommt der Strom wieder?",
                              thread_id="thread-9"))[0]["conversation_id"]


def reply(api, cid, text="Wir arbeiten daran.", key=None, expect=201):
    headers = {"Idempotency-Key": key} if key else {}
    status, body = api.post("/api/v1/conversations/%d/messages" % cid, {"text": text},
                            headers=headers)
    assert status == expect, body
    return body


def delivery(api, cid, mid):
    [m] = [m for m in api.conversation(cid)["messages"] if m["id"] == mid]
    return m


def wait_state(api, cid, mid, state, timeout=10):
    """Poll the conversation until the reply has delivery_state `state`."""
    return wait_until(lambda: (lambda m: m if m["delivery_state"] == state else None)(
        delivery(api, cid, mid)), timeout, 0.05, "delivery_state %s" % state)


def test_reply_is_queued_then_delivered_once(api, receiver):
    """A reply answers 201 "queued"; the webhook gets one POST with an
    Idempotency-Key and the documented JSON; the reply becomes "sent" and
    records the receiver's external id."""
    api.set_webhook(receiver.url)
    cid = start_conversation(api)
    r = reply(api, cid, "Der Strom ist gegen 9 Uhr wieder da.")
    assert r["direction"] == "out"
    assert r["delivery_state"] == "queued"
    assert r["conversation_id"] == cid
    sent = wait_state(api, cid, r["id"], "sent")
    [req] = receiver.wait_requests(1, 5)
    assert req.path == "/hook"
    assert req.headers["content-type"] == "application/json"
    key = req.headers["idempotency-key"]
    assert key
    body = req.body
    assert body["idempotency_key"] == key
    assert body["text"] == "Der Strom ist gegen 9 Uhr wieder da."
    assert body["conversation_id"] == cid
    assert body["message_id"] == r["id"]
    assert body["recipient"]["id"] == "kunde-7"
    assert body["thread_id"] == "thread-9"
    assert body["in_reply_to"] == "in-1"
    assert sent["external_id"] == "ext-0"
    assert sent["delivery_error"] is None
    time.sleep(0.3)
    assert len(receiver.snapshot()[0]) == 1
    conv = api.conversation(cid)
    assert conv["first_response_at"] is not None
    assert conv["snippet"] == "Der Strom ist gegen 9 Uhr wieder da."


def test_each_reply_has_its_own_key(api, receiver):
    """Two replies are two deliveries with different keys."""
    api.set_webhook(receiver.url)
    cid = start_conversation(api)
    a, b = reply(api, cid, "eins"), reply(api, cid, "zwei")
    wait_state(api, cid, a["id"], "sent")
    wait_state(api, cid, b["id"], "sent")
    requests, processed = receiver.snapshot()
    assert len(processed) == 2
    assert sorted(p["text"] for p in processed.values()) == ["eins", "zwei"]


def test_server_errors_are_retried_until_delivered(api, receiver):
    """The receiver answers 500 three times: the fourth attempt delivers;
    one key, processed once; the reply ends "sent"."""
    api.set_webhook(receiver.url)
    receiver.fail_first(3, 500)
    cid = start_conversation(api)
    r = reply(api, cid)
    wait_state(api, cid, r["id"], "sent")
    requests, processed = receiver.snapshot()
    assert [q.status for q in requests] == [500, 500, 500, 200]
    assert len({q.key for q in requests}) == 1
    assert list(processed) == [requests[0].key]
    gaps = [b.time - a.time for a, b in zip(requests, requests[1:])]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.18 and gaps[2] >= 0.36, gaps  # doubling backoff


def test_receiver_down_then_up_delivers_once(make_server, receiver):
    """While the receiver refuses connections the reply stays queued; once
    it listens again the reply is delivered, exactly once."""
    srv = make_server(env={"CLUETRAIN_JOBS_MAX_ATTEMPTS": "20"})
    api = srv.client()
    api.set_webhook(receiver.url)
    receiver.stop()
    cid = start_conversation(api)
    r = reply(api, cid)
    time.sleep(0.5 * SLOW)
    m = delivery(api, cid, r["id"])
    assert m["delivery_state"] == "queued"
    assert "webhook not reached" in (m["delivery_error"] or "")
    receiver.start()
    wait_state(api, cid, r["id"], "sent")
    requests, processed = receiver.snapshot()
    assert len(processed) == 1
    assert all(q.status == 200 for q in requests)


def test_retry_after_is_honoured(api, receiver):
    """429 with Retry-After: 1 makes the next attempt wait at least a second
    (the backoff alone would be 0.1 s)."""
    api.set_webhook(receiver.url)
    receiver.fail_first(1, 429, retry_after=1)
    cid = start_conversation(api)
    r = reply(api, cid)
    wait_state(api, cid, r["id"], "sent")
    requests, processed = receiver.snapshot()
    assert [q.status for q in requests] == [429, 200]
    assert requests[1].time - requests[0].time >= 0.95
    assert len(processed) == 1


def test_always_failing_receiver_ends_failed_after_max_attempts(api, receiver):
    """A receiver that always answers 500: exactly jobs.max_attempts (4)
    attempts, then the reply is "failed" with the reason, and no more attempts
    follow."""
    api.set_webhook(receiver.url)
    receiver.fail_always(500)
    cid = start_conversation(api)
    r = reply(api, cid)
    m = wait_state(api, cid, r["id"], "failed")
    assert "500" in m["delivery_error"]
    time.sleep(1.5)
    requests, processed = receiver.snapshot()
    assert len(requests) == 4
    assert processed == {}
    assert delivery(api, cid, r["id"])["delivery_state"] == "failed"


def test_client_error_fails_at_once(api, receiver):
    """400 from the receiver is permanent: one attempt, then "failed"."""
    api.set_webhook(receiver.url)
    receiver.fail_always(400)
    cid = start_conversation(api)
    r = reply(api, cid)
    m = wait_state(api, cid, r["id"], "failed")
    assert "400" in m["delivery_error"]
    time.sleep(0.5)
    assert len(receiver.snapshot()[0]) == 1


def test_reply_without_webhook_url_fails_visibly(api):
    """A channel without webhook_url cannot deliver: the reply is "failed"
    with a reason, not stuck in "queued"."""
    cid = start_conversation(api)
    r = reply(api, cid)
    m = wait_state(api, cid, r["id"], "failed")
    assert "webhook_url" in m["delivery_error"]


def test_idempotency_key_on_the_reply_request(api, receiver):
    """The same reply request twice with the same Idempotency-Key: 201, then
    200 with the same message; one outbound message, one delivery. Another
    key makes another reply."""
    api.set_webhook(receiver.url)
    cid = start_conversation(api)
    first = reply(api, cid, "Einmal bitte", key="req-1")
    again = reply(api, cid, "Einmal bitte", key="req-1", expect=200)
    assert again["id"] == first["id"]
    other = reply(api, cid, "Noch eine", key="req-2")
    assert other["id"] != first["id"]
    wait_state(api, cid, first["id"], "sent")
    wait_state(api, cid, other["id"], "sent")
    time.sleep(0.3)
    outbound = [m for m in api.conversation(cid)["messages"] if m["direction"] == "out"]
    assert [m["id"] for m in outbound] == [first["id"], other["id"]]
    requests, processed = receiver.snapshot()
    assert len(processed) == 2
    assert sorted(p["text"] for p in processed.values()) == ["Einmal bitte", "Noch eine"]


def test_overlong_idempotency_key_is_422(api):
    """An Idempotency-Key longer than 128 bytes is 422 naming the header."""
    cid = start_conversation(api)
    status, body = api.post("/api/v1/conversations/%d/messages" % cid, {"text": "x"},
                            headers={"Idempotency-Key": "k" * 129})
    assert status == 422
    assert body["error"]["field"] == "Idempotency-Key"


def test_reply_survives_a_crash(make_server, receiver):
    """A reply accepted (201) while the receiver is down, then SIGKILL: after
    a restart it is delivered once the receiver is back, exactly once."""
    srv = make_server(env={"CLUETRAIN_JOBS_MAX_ATTEMPTS": "50"})
    api = srv.client()
    api.set_webhook(receiver.url)
    receiver.stop()
    cid = start_conversation(api)
    r = reply(api, cid, "Überlebt den Absturz")
    srv.kill()
    srv.start()
    api = srv.client()
    assert delivery(api, cid, r["id"])["delivery_state"] == "queued"
    receiver.start()
    wait_state(api, cid, r["id"], "sent", timeout=15)
    requests, processed = receiver.snapshot()
    assert len(processed) == 1
    assert list(processed.values())[0]["text"] == "Überlebt den Absturz"


def test_crash_while_delivering_never_delivers_twice(make_server, receiver):
    """SIGKILL right after replies were accepted with the receiver up: after
    the restart every reply is processed exactly once by the receiver (a
    repeated attempt carries the same key)."""
    srv = make_server(env={"CLUETRAIN_JOBS_MAX_ATTEMPTS": "50"})
    api = srv.client()
    api.set_webhook(receiver.url)
    cid = start_conversation(api)
    replies = [reply(api, cid, "Antwort %d" % i) for i in range(5)]
    srv.kill()
    srv.start()
    api = srv.client()
    for r in replies:
        wait_state(api, cid, r["id"], "sent", timeout=15)
    requests, processed = receiver.snapshot()
    assert sorted(p["text"] for p in processed.values()) == \
        sorted("Antwort %d" % i for i in range(5))
    assert len({q.key for q in requests}) == 5


def test_viewer_may_not_reply(server):
    """A viewer may not reply, write notes or change a conversation (403), and nothing changes."""
    api = server.client()
    cid = start_conversation(api)
    viewer = server.client(server.add_token("v", "viewer"))
    status, _ = viewer.post("/api/v1/conversations/%d/messages" % cid, {"text": "x"})
    assert status == 403
    assert viewer.post("/api/v1/conversations/%d/notes" % cid, {"text": "x"})[0] == 403
    assert viewer.patch("/api/v1/conversations/%d" % cid, {"status": "resolved"})[0] == 403
    assert api.conversation(cid)["message_count"] == 1


def test_webhook_url_must_be_http(api):
    """The channel's webhook_url must be an http(s) URL (422 otherwise)."""
    for url in ("ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1:80", 5):
        status, body = api.patch("/api/v1/channels/1", {"config": {"webhook_url": url}})
        assert status == 422, url
        assert body["error"]["field"] == "config.webhook_url"
    status, body = api.get("/api/v1/channels")
    assert status == 200
    assert [c["name"] for c in body["data"]] == ["api"]
    assert body["data"][0]["config"] == {}




def test_concurrent_retries_with_one_idempotency_key_make_one_reply(api, receiver):
    """The same reply request sent by several clients at once with one
    Idempotency-Key: exactly one 201, the others 200 with the same message;
    one delivery."""
    api.set_webhook(receiver.url)
    cid = start_conversation(api)
    answers, lock = [], threading.Lock()

    def send():
        status, body = api.post("/api/v1/conversations/%d/messages" % cid,
                                {"text": "Nur einmal"}, headers={"Idempotency-Key": "same"})
        with lock:
            answers.append((status, body["id"]))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(s for s, _ in answers) == [200] * 7 + [201]
    assert len({mid for _, mid in answers}) == 1
    wait_state(api, cid, answers[0][1], "sent")
    time.sleep(0.3)
    assert len(receiver.snapshot()[1]) == 1
    assert [m["direction"] for m in api.conversation(cid)["messages"]] == ["in", "out"]


def test_replies_sharing_commits_with_failing_writes_are_stored_once(api, receiver):
    """Replies accepted while other writes in the same group commit fail
    (a batch with an unknown channel at its end): every accepted reply is
    stored once and delivered once, and no failed batch leaves anything."""
    api.set_webhook(receiver.url)
    cid = start_conversation(api)
    accepted, errors, lock = [], [], threading.Lock()

    def bad_batches(w):
        for n in range(15):
            batch = [message("bad-%d-%d-%d" % (w, n, i), author="x") for i in range(10)]
            batch[-1]["channel"] = "nosuch"
            status, _ = api.post("/api/v1/messages", batch)
            if status != 422:
                errors.append(status)

    def replies(w):
        for n in range(10):
            key = {"Idempotency-Key": "k-%d-%d" % (w, n)} if n % 2 else {}
            status, body = api.post("/api/v1/conversations/%d/messages" % cid,
                                    {"text": "Antwort %d/%d" % (w, n)}, headers=key)
            with lock:
                if status == 201:
                    accepted.append(body["id"])
                else:
                    errors.append(status)

    threads = [threading.Thread(target=bad_batches, args=(w,)) for w in range(3)]
    threads += [threading.Thread(target=replies, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(accepted) == 30 == len(set(accepted))
    outbound = [m for m in api.conversation(cid)["messages"] if m["direction"] == "out"]
    assert sorted(m["id"] for m in outbound) == sorted(accepted)
    assert sorted(m["text"] for m in outbound) == \
        sorted("Antwort %d/%d" % (w, n) for w in range(3) for n in range(10))
    for mid in accepted:
        wait_state(api, cid, mid, "sent", timeout=30)
    time.sleep(0.3)
    requests, processed = receiver.snapshot()
    assert len(processed) == 30
    assert sorted(p["message_id"] for p in processed.values()) == sorted(accepted)
    assert [c["id"] for c in api.conversations()] == [cid]

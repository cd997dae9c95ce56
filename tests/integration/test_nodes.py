"""Several `cluetrain serve` nodes on one PostgreSQL database.

Two nodes share a database, a configuration and the key file, as two
machines behind a load balancer would. What must hold: a message ingested
through one node is announced live to a browser connected to the other; a
session made on one node works on the other; each reply job runs once
although both nodes work the queue; when a node is killed in the middle of a
job, the other one finishes it once the job's lease has expired; scheduled
work runs on one node; a rotating OAuth token is renewed by one node only.

Only under CLUETRAIN_TEST_PG (SQLite is one node by design); `make test`
runs the suite once per backend.
"""

import random
import re
import threading
import time

import pytest

import harness
from authkit import Browser, create_user, db_value
from channelkit import create_channel, send_reply, wait_delivery, wait_incoming
from fake_x import FakeX
from harness import SLOW, Client, EventStream, Server, message, wait_until

pytestmark = pytest.mark.skipif(
    not harness.PG_ADMIN_URL,
    reason="several nodes need PostgreSQL; this runs in the PostgreSQL pass of make test")

# Jobs time out after 2 s, so a dead node's claim expires after 2 + 10 s.
NODE_ENV = {"CLUETRAIN_JOBS_TIMEOUT_S": "2"}


@pytest.fixture
def nodes(make_server, binary, tmp_path):
    first = make_server(env=NODE_ENV)
    second = Server(binary, tmp_path / "node-b", NODE_ENV).join(first).start()
    yield first, second
    if second.running:
        assert second.stop() == 0


def jobs_run_by(server):
    """Job ids that server's log says it ran, with their results."""
    return re.findall(r"event=jobs\.ran job=(\d+) kind=deliver_reply attempt=\d+ lane=default"
                      r" result=(\w+)", server.log())


def test_both_nodes_serve_the_same_inbox(nodes):
    """A message ingested through one node is shown by the other, also when
    the other had the list in its answer cache: every write on one node
    invalidates the caches of all nodes (through LISTEN/NOTIFY)."""
    a, b = nodes
    [r] = a.client().ingest(message("node-1", text="Zählerstand 12345"))
    conv = b.client().conversation(r["conversation_id"])
    assert [m["external_id"] for m in conv["messages"]] == ["node-1"]
    for _ in range(3):  # cached on both nodes now
        assert [c["id"] for c in b.client().conversations()] == [r["conversation_id"]]
        assert [c["id"] for c in a.client().conversations()] == [r["conversation_id"]]
    [r2] = b.client().ingest(message("node-2", author="kunde-2"))
    wait_until(lambda: [c["id"] for c in a.client().conversations()]
               == [r2["conversation_id"], r["conversation_id"]], 2,
               what="node A to list the conversation written through node B")
    [r3] = a.client().ingest(message("node-3", author="kunde-3"))
    wait_until(lambda: len(b.client().conversations()) == 3, 2,
               what="node B to list the conversation written through node A")
    assert r3["conversation_id"] in [c["id"] for c in b.client().conversations()]


def test_live_event_reaches_the_other_node(nodes):
    """A browser connected to node B sees the event of a message ingested
    through node A, with the same event id that node A's streams give it."""
    a, b = nodes
    on_b = EventStream(b.port, b.token)
    on_a = EventStream(a.port, a.token)
    try:
        for s in (on_a, on_b):
            first = s.next_event(5 * SLOW, skip_comments=False)
            assert first and first.get("comment") == "connected", first
        [r] = a.client().ingest(message("live-1"))
        match = (lambda ev: ev.get("event") == "message.received"
                 and ev["json"]["message_id"] == r["id"])
        ev_b = on_b.wait_for(match, 2.0 * SLOW)[-1]
        ev_a = on_a.wait_for(match, 2.0 * SLOW)[-1]
        assert ev_a["id"] == ev_b["id"]
    finally:
        on_a.close()
        on_b.close()


def test_resume_on_the_other_node(nodes):
    """A browser that lost node A resumes on node B with Last-Event-ID and
    gets exactly the events it missed."""
    a, b = nodes
    s = EventStream(a.port, a.token)
    try:
        s.next_event(5 * SLOW, skip_comments=False)
        [r1] = a.client().ingest(message("resume-1"))
        last = s.wait_for(lambda ev: ev.get("event") == "message.received", 2.0 * SLOW)[-1]
    finally:
        s.close()
    [r2] = a.client().ingest(message("resume-2", author="kunde-2"))
    [r3] = b.client().ingest(message("resume-3", author="kunde-3"))
    time.sleep(0.5 * SLOW)  # both events have reached node B's hub
    s = EventStream(b.port, b.token, last_event_id=last["id"])
    try:
        got = s.wait_for(lambda ev: ev.get("event") == "message.received"
                         and ev["json"]["message_id"] == r3["id"], 2.0 * SLOW)
    finally:
        s.close()
    ids = [ev["json"]["message_id"] for ev in got if ev.get("event") == "message.received"]
    assert ids == [r2["id"], r3["id"]], (r1, ids)


def test_a_session_works_on_every_node(nodes):
    """Sessions live in the database: signed in on A, the browser is signed
    in on B too, and signing out on B ends it on A."""
    a, b = nodes
    user = create_user(a.client(), role="agent")
    browser = Browser(a.port)
    browser.login(user["email"], user["password"])
    on_b = Browser(b.port)
    on_b.cookie = browser.cookie
    on_b.csrf = browser.csrf
    assert on_b.signed_in()
    status, _ = on_b.post("/api/v1/auth/logout", {})
    assert status in (200, 204)
    assert not browser.signed_in()


def test_each_reply_is_sent_once_by_two_nodes(nodes, receiver):
    """20 replies, both nodes working the queue: every reply reaches the
    receiver exactly once (one request per key, no second attempt), and the
    work is shared (SKIP LOCKED lets each node claim different jobs)."""
    a, b = nodes
    a.client().set_webhook(receiver.url)
    cid = a.client().ingest(message("q-1"))[0]["conversation_id"]
    keys = []
    for i in range(20):
        api = (a if i % 2 else b).client()
        status, body = api.post("/api/v1/conversations/%d/messages" % cid,
                                {"text": "Antwort %d" % i})
        assert status == 201, body
        keys.append(body["id"])
    receiver.wait_for(lambda r: len(r.processed) >= 20, 20 * SLOW)
    time.sleep(1.0 * SLOW)  # a duplicate attempt would arrive now
    assert len(receiver.requests) == 20, receiver.requests
    assert len({r.key for r in receiver.requests}) == 20
    done = db_value(a, "SELECT count(*) FROM jobs WHERE kind = 'deliver_reply'"
                       " AND state = 'done' AND attempts = 1")
    assert done == "20"
    ran_a, ran_b = jobs_run_by(a), jobs_run_by(b)
    assert len(ran_a) + len(ran_b) == 20
    assert {job for job, _ in ran_a}.isdisjoint({job for job, _ in ran_b})


def test_a_killed_node_leaves_its_job_to_the_other(make_server, binary, tmp_path, receiver):
    """Node A claims a reply job and is killed while the receiver is still
    answering. Node B, running all along, claims the job again when A's
    lease (jobs.timeout_s + 10 s) has expired, and delivers it; the receiver
    gets the same idempotency key twice and processes it once."""
    a = make_server(env=NODE_ENV)
    a.client().set_webhook(receiver.url)
    cid = a.client().ingest(message("kill-1"))[0]["conversation_id"]
    receiver.delay(30)
    status, reply = a.client().post("/api/v1/conversations/%d/messages" % cid,
                                    {"text": "Wir kümmern uns."})
    assert status == 201
    receiver.wait_for(lambda r: r.arrived >= 1, 10 * SLOW)  # node A is mid-job
    b = Server(binary, tmp_path / "node-b", NODE_ENV).join(a).start()
    try:
        a.kill()
        receiver.delay(0)
        assert db_value(b, "SELECT state FROM jobs WHERE kind = 'deliver_reply'") == "running"
        wait_until(lambda: jobs_run_by(b), 30, what="node B to run the job")
        [(job, result)] = jobs_run_by(b)
        assert result == "done"
        conv = b.client().conversation(cid)
        [out] = [m for m in conv["messages"] if m["id"] == reply["id"]]
        assert out["delivery_state"] == "sent"
        keys = {r.key for r in receiver.requests}
        assert len(keys) == 1 and len(receiver.processed) == 1
        assert db_value(b, "SELECT attempts FROM jobs WHERE id = %s" % job) == "2"
    finally:
        receiver.delay(0)
        assert b.stop() == 0


def test_scheduled_work_runs_on_one_node(nodes):
    """The scheduler lease is held by exactly one node; the daily jobs are
    queued once."""
    a, b = nodes
    wait_until(lambda: "event=leader.took lease=scheduler" in a.log() + b.log(), 10,
               what="a node to take the scheduler lease")
    time.sleep(1.0 * SLOW)
    took = [s for s in (a, b) if "event=leader.took lease=scheduler" in s.log()]
    assert len(took) == 1
    assert db_value(a, "SELECT count(*) FROM leases WHERE name = 'scheduler'") == "1"
    day = int(time.time() * 1000) // 86400000
    assert db_value(a, "SELECT count(*) FROM jobs WHERE idempotency_key = 'retention-day-%d'"
                    % day) == "1"


def test_a_node_survives_lost_database_connections(nodes):
    """When the database drops every connection of the nodes (a restart, a
    failover), the nodes reconnect: reads, writes and live events work again
    without restarting cluetrain."""
    a, b = nodes
    a.client().ingest(message("before-cut"))
    harness.pg_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                   " WHERE datname = '%s'" % a.database)
    for srv, ext in ((a, "after-cut-a"), (b, "after-cut-b")):
        assert srv.client().get("/api/v1/conversations")[0] == 200
        [r] = srv.client().ingest(message(ext, author=ext))
        assert r["duplicate"] is False
    s = EventStream(b.port, b.token)
    try:
        s.next_event(5 * SLOW, skip_comments=False)

        def announced():
            [r] = a.client().ingest(message("after-cut-live-%d" % time.monotonic_ns()))
            try:
                s.wait_for(lambda ev: ev.get("event") == "message.received"
                           and ev["json"]["message_id"] == r["id"], 1.0)
                return True
            except AssertionError:
                return False
        wait_until(announced, 10, what="live events after the reconnect")
    finally:
        s.close()
    assert "event=store.pg_reconnected" in a.log()


def test_both_nodes_take_the_same_new_customers_at_once(nodes):
    """Both nodes receive messages of the same new customers and threads at
    the same moment, so their transactions insert the same contacts,
    identities and conversations concurrently: every batch is accepted (no
    409 or 500 from a unique key the other node inserted first, or from a
    deadlock), and each customer and thread exists once."""
    a, b = nodes
    statuses = {}

    def send(srv, tag):
        api, got = srv.client(), []
        for rnd in range(15):
            batch = [message("%s-%d-%d" % (tag, rnd, i), author="race-%d-%d" % (rnd, i),
                             thread_id="race-%d-%d" % (rnd, i)) for i in range(20)]
            got.append(api.post("/api/v1/messages", batch)[0])
        statuses[tag] = got

    threads = [threading.Thread(target=send, args=(srv, tag)) for srv, tag in ((a, "A"), (b, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses["A"] == [201] * 15 and statuses["B"] == [201] * 15, statuses
    convs = a.client().conversations()
    assert len(convs) == 300
    assert all(c["message_count"] == 2 for c in convs), [c for c in convs if c["message_count"] != 2][:3]
    assert db_value(a, "SELECT count(*) FROM contacts") == "300"
    assert db_value(a, "SELECT count(*) FROM identities") == "300"


def test_large_batches_of_the_same_authors_through_two_nodes(nodes):
    """As `make bench` ingests through two nodes: four clients, two per node,
    each sending large batches at the same time, every batch with messages of
    the same 300 customers in an order of its own. The nodes' transactions
    insert the same new identities and update the same conversations in
    different orders (a group commit may hold two clients' batches), which
    deadlocked in PostgreSQL again on every retry until the batch was answered
    500. Every batch is accepted, and the database holds each message once,
    each customer once, in one conversation."""
    a, b = nodes
    authors, clients, batches, size = 300, 4, 4, 750
    sent, statuses, errors = [], {}, []
    barrier = threading.Barrier(clients)

    def send(k):
        srv = (a, b)[k % 2]
        api = Client(srv.port, srv.token, timeout=120)
        rng = random.Random(k)
        plan = [[message("big-%d-%d-%d" % (k, n, i), author="big-%d" % rng.randrange(authors))
                 for i in range(size)] for n in range(batches)]
        sent.extend(m["external_id"] for batch in plan for m in batch)
        barrier.wait(30)
        for n, batch in enumerate(plan):
            try:
                status, body = api.post("/api/v1/messages", batch)
            except OSError as e:
                errors.append("client %d batch %d: %r" % (k, n, e))
                return
            statuses[(k, n)] = status
            if status != 201:
                errors.append("client %d batch %d: %d %s" % (k, n, status, body))

    threads = [threading.Thread(target=send, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300 * SLOW)
    assert not errors, (len(errors), errors[:3])
    assert len(statuses) == clients * batches
    assert db_value(a, "SELECT count(*) FROM messages") == str(len(sent))
    assert db_value(a, "SELECT count(DISTINCT external_id) FROM messages") == str(len(sent))
    assert db_value(a, "SELECT count(*) FROM identities") == str(authors)
    assert db_value(a, "SELECT count(*) FROM contacts") == str(authors)
    assert db_value(a, "SELECT count(*) FROM conversations") == str(authors)
    assert db_value(a, "SELECT sum(message_count) FROM conversations") == str(len(sent))


def test_two_nodes_renew_a_rotating_token_once(nodes):
    """An X channel's user token expires while a reply runs on each node.
    The refresh token rotates, so a second refresh with the old one would
    be refused and lock the channel out: the node that comes second waits
    for the first one's lease, then takes the token it stored. One refresh
    request, both replies posted once, each node delivered one."""
    a, b = nodes
    api = a.client()
    with FakeX(token="test-x-token", app_token="test-x-app-token") as xfake:
        access, refresh = xfake.issue_tokens()
        ch = create_channel(api, "x", "xnodes", xfake,
                            {"access_token": access, "refresh_token": refresh,
                             "client_id": xfake.client_id,
                             "bearer_token": "test-x-app-token"},
                            user_id=xfake.me["id"])
        xfake.add_mention("2100", "@XDevelopers eins", "kim")
        xfake.add_mention("2101", "@XDevelopers zwei", "ole")
        got = wait_incoming(api, "xnodes", ["2100", "2101"], 15 * SLOW)
        first, second = got["2100"]["conversation_id"], got["2101"]["conversation_id"]
        xfake.delay_refreshes(1)  # within the nodes' 2 s network timeout
        xfake.expire_tokens()
        r1 = send_reply(a.client(), first, "Antwort von A")
        assert xfake.wait_for(lambda f: len(f.refresh_requests) == 0 and any(
            x.kind == "unauthorized" and x.method == "POST" for x in f.requests), 10 * SLOW)
        r2 = send_reply(b.client(), second, "Antwort von B")  # while A renews
        wait_delivery(api, first, r1["id"], timeout=20 * SLOW)
        wait_delivery(api, second, r2["id"], timeout=20 * SLOW)
        [req] = xfake.refresh_requests
        assert req.status == 200
        posted = [x for x in xfake.requests if x.method == "POST" and x.path == "/2/tweets"
                  and x.status == 201]
        assert sorted(x.token for x in posted) == [req.response["access_token"]] * 2
        assert len(xfake.snapshot()["tweets"]) == 2
        assert len(jobs_run_by(a)) == 1 and len(jobs_run_by(b)) == 1
        status, body = api.get("/api/v1/audit", {"action": "channel.token_renewed"})
        assert [e["object_id"] for e in body["data"]] == [ch["id"]]

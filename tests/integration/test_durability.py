"""Durability of ingest under SIGKILL (the issue's crash test).

Clients send batches of 50 messages with unique external ids while the
server runs; after a random 50-400 ms the server is killed with SIGKILL and
started again on the same data directory, 20 times. Afterwards `cluetrain
export` lists what is stored, and:

- every message of every acknowledged batch (201) is there exactly once,
  with its text;
- every batch, acknowledged or not, is all or nothing;
- nothing else is stored.

Set CLUETRAIN_TEST_SEED to repeat a run's kill times.
"""

import http.client
import json
import os
import random
import threading
import time

from harness import SLOW

ROUNDS = 20
BATCH = 50
CLIENTS = 2


def batch_messages(name):
    return [{"channel": "api", "external_id": "%s-m%02d" % (name, i),
             "author": {"id": "crash-author-%d" % (i % 7)},
             "text": "Nachricht %d aus Stapel %s" % (i, name)} for i in range(BATCH)]


class Sender(threading.Thread):
    """Sends batch after batch until the server goes away; records each batch
    before it is sent and whether it was acknowledged."""

    def __init__(self, port, token, prefix, attempted, acked, problems):
        super().__init__(daemon=True)
        self.port, self.token, self.prefix = port, token, prefix
        self.attempted, self.acked, self.problems = attempted, acked, problems

    def run(self):
        n = 0
        while True:
            name = "%s-b%03d" % (self.prefix, n)
            n += 1
            msgs = batch_messages(name)
            self.attempted[name] = msgs
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20 * SLOW)
            try:
                conn.request("POST", "/api/v1/messages", body=json.dumps(msgs),
                             headers={"Authorization": "Bearer " + self.token,
                                      "Content-Type": "application/json"})
                res = conn.getresponse()
                body = res.read()
            except (OSError, http.client.HTTPException):
                return  # the server was killed: this batch is in doubt
            finally:
                conn.close()
            if res.status != 201:
                self.problems.append("%s: HTTP %d %r" % (name, res.status, body[:300]))
                return
            data = json.loads(body)["data"]
            if len(data) != BATCH or any(r["duplicate"] for r in data):
                self.problems.append("%s: unexpected answer %r" % (name, data[:3]))
            self.acked.add(name)


def test_acknowledged_batches_survive_sigkill(make_server):
    """20 rounds of SIGKILL during ingest: acknowledged batches survive exactly once, every batch
    is all or nothing (see the module docstring)."""
    seed = int(os.environ.get("CLUETRAIN_TEST_SEED") or time.time_ns() % 1000000)
    rng = random.Random(seed)
    srv = make_server(start=False)
    attempted, acked, problems = {}, set(), []
    acked_per_round = []
    for rnd in range(ROUNDS):
        srv.start()
        before = len(acked)
        senders = [Sender(srv.port, srv.token, "r%02d-c%d" % (rnd, c), attempted, acked,
                          problems) for c in range(CLIENTS)]
        for s in senders:
            s.start()
        time.sleep(rng.uniform(0.05, 0.4))
        srv.kill()
        for s in senders:
            s.join(30 * SLOW)
            assert not s.is_alive(), "a sender hangs after the kill (seed %d)" % seed
        acked_per_round.append(len(acked) - before)
    assert not problems, "seed %d: %s" % (seed, problems[:5])

    res = srv.cli("export", check=True, timeout=120)
    stored = {}
    for line in res.stdout.splitlines():
        row = json.loads(line)
        stored.setdefault(row["external_id"], []).append(row["text"])

    twice = [e for e, texts in stored.items() if len(texts) > 1]
    assert not twice, "seed %d: stored more than once: %s" % (seed, twice[:5])
    expected = {m["external_id"]: m["text"] for msgs in attempted.values() for m in msgs}
    unknown = sorted(set(stored) - set(expected))
    assert not unknown, "seed %d: stored but never sent: %s" % (seed, unknown[:5])
    lost = [m["external_id"] for name in sorted(acked) for m in attempted[name]
            if m["external_id"] not in stored]
    assert not lost, "seed %d: acknowledged but lost after SIGKILL: %d messages, e.g. %s" % (
        seed, len(lost), lost[:5])
    for name in acked:
        for m in attempted[name]:
            assert stored[m["external_id"]] == [m["text"]], (seed, m["external_id"])
    partial = {}
    for name, msgs in attempted.items():
        present = sum(m["external_id"] in stored for m in msgs)
        if present not in (0, BATCH):
            partial[name] = present
    assert not partial, "seed %d: batches stored in part: %s" % (seed, partial)
    print("seed %d: %d batches sent, %d acknowledged, %d stored; per round %s" % (
        seed, len(attempted), len(acked),
        sum(1 for msgs in attempted.values() if msgs[0]["external_id"] in stored),
        acked_per_round))
    # The test means something only if batches were acknowledged in most rounds.
    assert sum(1 for n in acked_per_round if n) >= ROUNDS // 2, acked_per_round


def test_sigterm_during_ingest_stops_cleanly_and_keeps_acknowledged(make_server):
    """SIGTERM while clients send batches: the server exits 0 within a few
    seconds, and every acknowledged batch is stored, every batch all or
    nothing."""
    srv = make_server(start=False)
    attempted, acked, problems = {}, set(), []
    for rnd in range(3):
        srv.start()
        senders = [Sender(srv.port, srv.token, "t%d-c%d" % (rnd, c), attempted, acked,
                          problems) for c in range(CLIENTS)]
        for s in senders:
            s.start()
        time.sleep(0.2)
        t0 = time.monotonic()
        assert srv.stop() == 0
        assert time.monotonic() - t0 < 10 * SLOW
        for s in senders:
            s.join(30 * SLOW)
    # A batch refused while shutting down (503) is fine: it was not acknowledged.
    assert all("HTTP 503" in p for p in problems), problems[:5]
    stored = {json.loads(line)["external_id"]
              for line in srv.cli("export", check=True, timeout=120).stdout.splitlines()}
    assert acked
    for name, msgs in attempted.items():
        present = sum(m["external_id"] in stored for m in msgs)
        assert present in (0, BATCH), (name, present)
        if name in acked:
            assert present == BATCH, name

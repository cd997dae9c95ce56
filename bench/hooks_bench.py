#!/usr/bin/env python3
"""hooks_bench.py: webhook deliveries per second, signature checked on each.

    CLUETRAIN=build/cluetrain bench/hooks_bench.py [--deliveries 20000] [--clients 4]

Starts `cluetrain serve` on a fresh data folder, creates a Facebook page
channel and POSTs Meta's documented page-feed comment deliveries
(tests/fakes/fake_meta.py builds them) to /hooks/meta/<id>, each signed
with X-Hub-Signature-256 over the raw body, from --clients keep-alive
connections at once. Every answer is checked: 200 for a good delivery
(which the server gives only once its messages are on disk), 401 for the
one delivery in 50 that is signed with a wrong secret. One good delivery in
100 is sent a second time, as Meta does when an answer is late; it must
not be stored twice. At the end the stored incoming messages must be
exactly the good deliveries' comments.

Bodies and signatures are made before the clock starts, so the figure is
the server's. Progress goes to stderr; stdout gets one JSON object:

    {"hook_deliveries_per_s": N, "hook_messages_per_s": N, "deliveries": N,
     "p50_ms": ..., "p99_ms": ..., "refused_bad_signature": N, "stored": N,
     "expected": N, "complete": true, ...}
"""

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time

import benchkit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
import fake_meta  # noqa: E402  (the documented payloads; tests/fakes)

SEED = 20261124
APP_SECRET = "bench-app-secret"
PAGE = "104000000000001"
BAD_EVERY = 50  # one delivery in 50 is signed with a wrong secret
AGAIN_EVERY = 100  # one good delivery in 100 is sent twice
TEXTS = ["Wann ist der Strom wieder da?", "Seit 6 Uhr kein Wasser in der Großen Straße.",
         "Danke für die schnelle Hilfe!", "Mein Abschlag ist viel zu hoch.",
         "Is there an English hotline?", "Warum ist die Rechnung doppelt gekommen?"]


def say(msg):
    print("hooks-bench: %s" % msg, file=sys.stderr, flush=True)


def deliveries(n, comments_per_delivery):
    """n (raw body, signature header, good) in sending order, with the
    repeated deliveries in place."""
    rnd = random.Random(SEED)
    out = []
    for i in range(n):
        changes = []
        for k in range(comments_per_delivery):
            post = "%s_%d" % (PAGE, rnd.randrange(50))
            comment = fake_meta.page_feed_comment(
                PAGE, post, "%s_%d" % (post, i * comments_per_delivery + k),
                rnd.choice(TEXTS), 9000 + rnd.randrange(2000), "Kunde %d" % rnd.randrange(2000))
            changes.extend(comment["entry"][0]["changes"])
        payload = {"object": "page",
                   "entry": [{"id": PAGE, "time": int(time.time()), "changes": changes}]}
        raw = fake_meta.meta_json(payload)
        good = i % BAD_EVERY != BAD_EVERY - 1
        sig = fake_meta.sign(APP_SECRET if good else APP_SECRET + "-wrong", raw)
        out.append((raw, sig, good))
        if good and i % AGAIN_EVERY == 0:
            out.append((raw, sig, good))
    return out


def send_all(port, path, work, clients):
    """POST every delivery of work from clients connections; latencies (s)
    and the list of unexpected answers."""
    lock = threading.Lock()
    nxt = iter(work)
    lat, problems = [], []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                item = next(nxt, None)
            if item is None:
                break
            raw, sig, good = item
            t = time.perf_counter()
            conn.request("POST", path, body=raw, headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": sig})
            res = conn.getresponse()
            res.read()
            mine.append(time.perf_counter() - t)
            if res.status != (200 if good else 401):
                with lock:
                    problems.append(res.status)
        conn.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, problems


def pct(values, p):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p))] * 1000, 2) if values else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliveries", type=int,
                    default=int(os.environ.get("BENCH_HOOKS", "20000")))
    ap.add_argument("--comments", type=int, default=1, help="comments per delivery")
    ap.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", "4")))
    a = ap.parse_args()
    binary = benchkit.binary_or_exit("hooks-bench")
    top = tempfile.mkdtemp(prefix="cluetrain-hooks-bench.")
    data = os.path.join(top, "data")
    try:
        work = deliveries(a.deliveries, a.comments)
        good = sum(1 for _, _, g in work if g)
        bad = len(work) - good
        unique_good = len({raw for raw, _, g in work if g})
        with benchkit.Server(binary, data, os.path.join(top, "server.log")) as server:
            ch = server.request("POST", "/api/v1/channels", {
                "kind": "facebook", "name": "Facebook-Seite",
                "config": {"page_id": PAGE},
                "secrets": {"app_secret": APP_SECRET, "verify_token": "bench",
                            "access_token": "bench-page-token"}})
            say("%d deliveries (%d signed wrongly, %d sent twice) of %d comment(s), "
                "%d clients" % (len(work), bad, good - unique_good, a.comments, a.clients))
            t0 = time.monotonic()
            lat, problems = send_all(server.port, ch["webhook_path"], work, a.clients)
            seconds = time.monotonic() - t0
            count = benchkit.incoming_messages(os.path.join(data, "cluetrain.db"))
        expected = unique_good * a.comments
        if problems:
            say("unexpected answers: %r" % sorted(set(problems)))
        print(json.dumps({
            "hook_deliveries_per_s": round(len(work) / seconds, 1),
            "hook_messages_per_s": round(good * a.comments / seconds, 1),
            "deliveries": len(work), "comments_per_delivery": a.comments,
            "clients": a.clients, "seconds": round(seconds, 2),
            "p50_ms": pct(lat, 0.50), "p99_ms": pct(lat, 0.99),
            "refused_bad_signature": bad, "sent_twice": good - unique_good,
            "unexpected_answers": len(problems), "stored": count, "expected": expected,
            "complete": count == expected and not problems}))
    finally:
        benchkit.remove_unless_kept(top, say)


if __name__ == "__main__":
    main()

"""What the tests of the channel adapters share (test_channel_*.py): a
channel pointed at a fake, the messages it stored, replies and their
delivery, shares, the channel's health and the poll cadence."""

from harness import wait_until


def create_channel(api, kind, name, fake, secrets, **config):
    """A channel of `kind` pointed at `fake`, polled every second."""
    cfg = dict({"base_url": fake.base_url, "poll_every_s": 1}, **config)
    status, ch = api.post("/api/v1/channels", {"kind": kind, "name": name, "config": cfg,
                                               "secrets": secrets})
    assert status == 201, ch
    return ch


def incoming(api, name):
    """Every incoming message of channel `name`: {external_id: message}, each
    with its conversation id; fails when an external id is stored twice."""
    out = {}
    for c in api.conversations(channel=name):
        for m in api.conversation(c["id"])["messages"]:
            if m["direction"] != "in":
                continue
            assert m["external_id"] not in out, "stored twice: %s" % m["external_id"]
            out[m["external_id"]] = m
    return out


def wait_incoming(api, name, ids, timeout=15):
    """Wait until every external id of `ids` is stored; the messages. (The
    cheap count of the conversation list comes first, the details only once
    there can be enough messages.)"""
    want = set(ids)

    def ready():
        if sum(c["message_count"] for c in api.conversations(channel=name)) < len(want):
            return None
        got = incoming(api, name)
        return got if want <= set(got) else None
    return wait_until(ready, timeout, 0.1, "messages %s" % sorted(want))


def polls(fake, kind):
    """The fake's answered poll requests so far."""
    return [r for r in fake.requests if r.kind == kind]


def wait_more_polls(fake, kind, n=2, timeout=10):
    """Wait until the channel polled n more times (successfully)."""
    before = len([r for r in polls(fake, kind) if r.status == 200])
    ok = fake.wait_for(lambda f: len([r for r in f.requests if r.kind == kind
                                      and r.status == 200]) >= before + n, timeout)
    assert ok, "the channel did not poll again"


def send_reply(api, cid, text):
    status, body = api.post("/api/v1/conversations/%d/messages" % cid, {"text": text})
    assert status == 201, body
    return body


def wait_delivery(api, cid, mid, state="sent", timeout=15):
    def find():
        [m] = [m for m in api.conversation(cid)["messages"] if m["id"] == mid]
        return m if m["delivery_state"] == state else None
    return wait_until(find, timeout, 0.05, "delivery_state %s" % state)


def share(api, mid):
    status, body = api.post("/api/v1/messages/%d/share" % mid, {})
    assert status in (200, 201, 202), (status, body)
    return body


def health(api, channel_id):
    status, ch = api.get("/api/v1/channels/%d" % channel_id)
    assert status == 200, ch
    return ch.get("health")


def check_poll_waits_for_reset(api, fake, ch, kind, add_mention, external_id):
    """Throttle the next poll (429 with a reset about 3 s away): health shows
    "waiting", the next request comes only after the reset, and the mention
    added meanwhile (add_mention()) arrives afterwards."""
    wait_more_polls(fake, kind, 1)
    fake.rate_limit_first(1, reset_in=3, method="GET")
    assert fake.wait_for(lambda f: any(r.status == 429 for r in f.requests), 10)
    limited = [r for r in fake.requests if r.status == 429][0]
    h = wait_until(lambda: (lambda h: h if h.get("status") == "waiting" else None)(
        health(api, ch["id"]) or {}), 5, 0.05, "health.status waiting")
    assert h["wait_until"]
    add_mention()
    wait_incoming(api, ch["name"], [external_id], timeout=20)
    nxt = [r for r in fake.requests if r.time > limited.time][0]
    assert nxt.time - limited.time >= 1.5  # the reset was 2-3 s away

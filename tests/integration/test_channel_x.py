"""The "x" channel against the fake X API v2 (tests/fakes): mentions polled
into conversations by thread, the walk back over several pages with
next_token (also when it breaks off in the middle and across a restart),
429 waits, replies, the documented duplicate when X's answer is lost,
reposts, and the renewal of the user token with the rotating OAuth 2.0
refresh token (on a 401, ahead of the stored expiry, once for poll and
reply together, and what a refused refresh token does).

The channel polls every second ("poll_every_s": 1); helpers come from
test_channel_mastodon.py.
"""

import base64
import json

import pytest

from fake_x import FakeX
from harness import wait_until
from channelkit import (check_poll_waits_for_reset, create_channel, health,
                        incoming, send_reply, share, wait_delivery, wait_incoming,
                        wait_more_polls)


TOKEN = "test-x-token"
APP_TOKEN = "test-x-app-token"
KIND = "poll_mentions"


@pytest.fixture
def xfake():
    with FakeX(token=TOKEN, app_token=APP_TOKEN) as f:
        yield f


def x_channel(api, xfake, name="xchan", **secrets):
    return create_channel(api, "x", name, xfake, secrets or {"access_token": TOKEN},
                          user_id=xfake.me["id"])


def mention_polls(xfake, start=0):
    """Every request for the mentions timeline from start on, answered or
    failed."""
    return [r for r in xfake.requests[start:] if r.path.endswith("/mentions")]


def test_mentions_become_conversations_by_thread(api, xfake):
    """Mentions arrive with author name and handle and their text; replies in
    one X thread (conversation_id) share a conversation; reads use the
    app-only token when one is set, writes the user's."""
    kim = xfake.user("9001", "kim_kunde", "Kim Kunde")
    xfake.add_mention("100", "@XDevelopers Strom weg? Q&A <3", kim)
    xfake.add_mention("101", "@XDevelopers andere Frage", "ole")
    x_channel(api, xfake, access_token=TOKEN, bearer_token=APP_TOKEN)
    got = wait_incoming(api, "xchan", ["100", "101"])
    first = got["100"]
    assert first["text"] == "@XDevelopers Strom weg? Q&A <3"
    assert first["author"]["name"] == "Kim Kunde"
    assert first["meta"]["conversation_id"] == "100"
    assert got["101"]["conversation_id"] != first["conversation_id"]
    req = mention_polls(xfake)[0]
    assert req.token == APP_TOKEN
    assert "conversation_id" in req.query["tweet.fields"]
    assert req.query["expansions"] == "author_id"

    xfake.add_mention("102", "@XDevelopers Nachtrag", kim, in_reply_to_tweet_id="100")
    got = wait_incoming(api, "xchan", ["102"])
    assert got["102"]["conversation_id"] == first["conversation_id"]
    assert got["102"]["in_reply_to"] == "100"
    r = send_reply(api, first["conversation_id"], "Wir kümmern uns.")
    wait_delivery(api, first["conversation_id"], r["id"])
    [post] = [x for x in xfake.requests if x.kind == "tweet"]
    assert post.token == TOKEN


def test_many_mentions_walk_back_before_since_id_moves(api, xfake):
    """250 new mentions (three pages of up to 100, newest first) arrive once
    each; since_id moves to the newest id only after the last page; a page
    that fails in the middle of the walk is asked again with the same
    pagination_token, and nothing is skipped."""
    xfake.add_mention("1000", "@XDevelopers erste", "kim")
    x_channel(api, xfake)
    wait_incoming(api, "xchan", ["1000"])
    wait_more_polls(xfake, KIND, 1)
    start = len(xfake.requests)
    ids = [str(2000 + i) for i in range(250)]
    xfake.fail_paging_first(1)
    for i, tid in enumerate(ids):
        xfake.add_mention(tid, "@XDevelopers Nummer %d" % i, "user%d" % (i % 7))
    wait_incoming(api, "xchan", ids, timeout=30)
    wait_more_polls(xfake, KIND)
    assert set(incoming(api, "xchan")) == set(ids) | {"1000"}
    reqs = mention_polls(xfake, start)
    walk = [r for r in reqs if r.query.get("since_id") == "1000"]
    tokens = [r.query.get("pagination_token") for r in walk]
    assert tokens[0] is None and len([t for t in tokens if t]) >= 2
    failed = [r for r in walk if r.status == 500]
    assert len(failed) == 1
    again = walk[walk.index(failed[0]) + 1]
    assert again.query["pagination_token"] == failed[0].query["pagination_token"]
    after = reqs[len(walk):]
    assert after and after[0].query.get("since_id") == "2249"
    assert "pagination_token" not in after[0].query


def test_expired_pagination_token_restarts_the_walk(api, xfake):
    """A walk whose next_token X no longer accepts (400) starts again from
    the newest post: every mention arrives once and since_id moves only at
    the end."""
    x_channel(api, xfake)
    wait_more_polls(xfake, KIND, 1)
    xfake.fail_paging_first(10 ** 6)
    ids = [str(4000 + i) for i in range(150)]
    for i, tid in enumerate(ids):
        xfake.add_mention(tid, "@XDevelopers Welle %d" % i, "user%d" % (i % 5))
    assert xfake.wait_for(lambda f: any(r.status == 500 for r in f.requests), 15)
    xfake.expire_pagination_tokens()
    xfake.succeed()
    wait_incoming(api, "xchan", ids, timeout=30)
    wait_more_polls(xfake, KIND)
    assert set(incoming(api, "xchan")) == set(ids)
    statuses = [r.status for r in mention_polls(xfake)]
    assert 400 in statuses
    assert mention_polls(xfake)[-1].query.get("since_id") == "4149"


def test_restart_loses_no_position(server, api, xfake):
    """Mentions that come while cluetrain is down arrive once after the
    restart, asked for with the since_id stored before."""
    xfake.add_mention("500", "@XDevelopers vorher", "kim")
    x_channel(api, xfake)
    wait_incoming(api, "xchan", ["500"])
    wait_more_polls(xfake, KIND, 1)
    server.stop()
    start = len(xfake.requests)
    for i in range(3):
        xfake.add_mention(str(600 + i), "@XDevelopers nachher %d" % i, "ole")
    server.start()
    api = server.client()
    wait_incoming(api, "xchan", ["600", "601", "602"])
    wait_more_polls(xfake, KIND)
    assert set(incoming(api, "xchan")) == {"500", "600", "601", "602"}
    assert mention_polls(xfake, start)[0].query.get("since_id") == "500"


def test_rate_limited_poll_waits_for_the_reset(api, xfake):
    """A 429 with x-rate-limit-reset (epoch seconds): the channel waits until
    then."""
    ch = x_channel(api, xfake)
    check_poll_waits_for_reset(
        api, xfake, ch, KIND,
        lambda: xfake.add_mention("800", "@XDevelopers nach dem Limit", "kim"), "800")


def test_reply_is_posted_in_reply_to_the_mention(api, xfake):
    """A reply goes to POST /2/tweets with reply.in_reply_to_tweet_id; X's
    id for it is recorded; a 429 first delays it but it is posted once."""
    xfake.add_mention("900", "@XDevelopers Hilfe", "kim")
    x_channel(api, xfake)
    got = wait_incoming(api, "xchan", ["900"])
    cid = got["900"]["conversation_id"]
    xfake.rate_limit_first(1, reset_in=1, method="POST")
    r = send_reply(api, cid, "Wir helfen gern.")
    sent = wait_delivery(api, cid, r["id"])
    snap = xfake.snapshot()
    [tweet] = snap["tweets"]
    assert tweet["text"] == "Wir helfen gern."
    assert tweet["referenced_tweets"] == [{"type": "replied_to", "id": "900"}]
    assert sent["external_id"] == tweet["id"]
    assert [x.status for x in snap["requests"] if x.method == "POST"] == [429, 201]


def test_lost_answer_posts_twice_as_documented(api, xfake):
    """X has no idempotency key: when X posted the reply but its answer was
    lost, the retry posts it again (docs/channel-x.md says so). The reply
    ends as sent with the id of the second post."""
    xfake.add_mention("950", "@XDevelopers Frage", "kim")
    x_channel(api, xfake)
    got = wait_incoming(api, "xchan", ["950"])
    cid = got["950"]["conversation_id"]
    xfake.fail_after_processing_first(1, status=None)
    r = send_reply(api, cid, "Antwort")
    sent = wait_delivery(api, cid, r["id"])
    tweets = xfake.snapshot()["tweets"]
    assert len(tweets) == 2
    assert sent["external_id"] == tweets[1]["id"]


def test_share_reposts_once(api, xfake):
    """Sharing a mention reposts it once as our user."""
    xfake.add_mention("990", "@XDevelopers teilt das", "kim")
    x_channel(api, xfake)
    got = wait_incoming(api, "xchan", ["990"])
    share(api, got["990"]["id"])
    assert xfake.wait_for(lambda f: len(f.retweet_calls) == 1, 10)
    wait_more_polls(xfake, KIND)
    assert xfake.snapshot()["retweet_calls"] == [{"user_id": xfake.me["id"],
                                        "tweet_id": "990"}]


def test_wrong_token_shows_in_health(api, xfake):
    """A token X refuses (401): the poll fails permanently and health names
    the error, never the token."""
    ch = x_channel(api, xfake, access_token="not-the-token")
    assert xfake.wait_for(lambda f: any(r.kind == "unauthorized" for r in f.requests), 10)
    err = wait_until(lambda: (health(api, ch["id"]) or {}).get("last_error"), 10, 0.1,
                     "health.last_error")
    assert "401" in err and "not-the-token" not in err


# -- token renewal ---------------------------------------------------------------

def renewing_channel(api, xfake, name="xchan", **secrets):
    """A channel whose user token X can renew: a fresh (access, refresh)
    pair from the fake and the client_id; (channel, access, refresh)."""
    access, refresh = xfake.issue_tokens()
    sec = dict({"access_token": access, "refresh_token": refresh,
                "client_id": xfake.client_id}, **secrets)
    return x_channel(api, xfake, name, **sec), access, refresh


def unauthorized(xfake, method=None):
    return [r for r in xfake.requests if r.kind == "unauthorized"
            and (method is None or r.method == method)]


def token_values(xfake, *more):
    """Every token the fake issued (access and refresh) plus more."""
    values = set(more) | {t for t in xfake.tokens if t.startswith("x-")}
    values |= {r.form.get("refresh_token") for r in xfake.refresh_requests}
    values |= {(r.response or {}).get("refresh_token") for r in xfake.refresh_requests}
    return {v for v in values if v}


def assert_no_secrets(server, api, ch, values):
    """No token value in the server's output (every run so far) nor in
    the channel, the channel list or the audit log as the API shows them."""
    answers = [api.get("/api/v1/channels/%d" % ch["id"])[1], api.get("/api/v1/channels")[1],
               api.get("/api/v1/audit", {"limit": 500})[1]]
    text = "\n".join(server.logs + [server.log()] + [json.dumps(a) for a in answers])
    leaked = [v for v in values if v in text]
    assert not leaked, "secret values in logs or answers: %s" % leaked


def renewed_entries(api, channel_id):
    status, body = api.get("/api/v1/audit", {"action": "channel.token_renewed", "limit": 50})
    assert status == 200, body
    return [e for e in body["data"] if e["object_id"] == channel_id]


def test_expired_token_is_renewed_while_polling(server, api, xfake):
    """The user token expires while the channel polls: the 401 brings one
    refresh (the documented form), the new tokens are stored before use
    (audited by name only) and mentions keep arriving; after a restart the
    stored rotated refresh token renews again, which proves it was stored."""
    ch, access, refresh = renewing_channel(api, xfake)
    xfake.add_mention("1100", "@XDevelopers vorher", "kim")
    wait_incoming(api, "xchan", ["1100"])
    xfake.expire_tokens()
    xfake.add_mention("1101", "@XDevelopers nach dem Ablauf", "kim")
    wait_incoming(api, "xchan", ["1101"])
    [req] = xfake.refresh_requests
    assert req.status == 200
    assert req.form == {"grant_type": "refresh_token", "refresh_token": refresh,
                        "client_id": xfake.client_id}
    assert "authorization" not in req.headers  # a public client: no secret
    new = req.response["access_token"]
    wait_more_polls(xfake, KIND)
    assert mention_polls(xfake)[-1].token == new
    assert len(unauthorized(xfake)) == 1
    [entry] = renewed_entries(api, ch["id"])
    assert entry["actor"] == "system"
    assert sorted(entry["after"]["secrets"]) == ["access_token", "access_token_expires_at",
                                                 "refresh_token"]
    status, got = api.get("/api/v1/channels/%d" % ch["id"])
    assert "access_token_expires_at" in got["secrets"]

    server.stop()
    xfake.expire_tokens()
    server.start()
    api = server.client()
    xfake.add_mention("1102", "@XDevelopers nach dem Neustart", "ole")
    wait_incoming(api, "xchan", ["1102"])
    first, second = xfake.refresh_requests
    assert second.status == 200
    assert second.form["refresh_token"] == first.response["refresh_token"]
    assert_no_secrets(server, api, ch, token_values(xfake, access, refresh))


def test_confidential_client_renews_with_basic_credentials(api):
    """With a client_secret the refresh request carries HTTP Basic
    client_id:client_secret, as X asks of a confidential client."""
    with FakeX(token=TOKEN, app_token=APP_TOKEN, client_secret="x-client-secret") as xfake:
        renewing_channel(api, xfake, client_secret="x-client-secret")
        wait_more_polls(xfake, KIND, 1)
        xfake.expire_tokens()
        xfake.add_mention("1150", "@XDevelopers vertraulich", "kim")
        wait_incoming(api, "xchan", ["1150"])
        [req] = xfake.refresh_requests
        assert req.status == 200
        want = base64.b64encode(("%s:x-client-secret" % xfake.client_id).encode()).decode()
        assert req.headers["authorization"] == "Basic " + want


def test_token_is_renewed_ahead_of_its_expiry(api, xfake):
    """With the stored expiry less than a minute away the token is renewed
    before it is used: no request fails with 401 for it."""
    xfake.token_lifetime = 62  # renewed tokens are due about 2 s later
    renewing_channel(api, xfake)
    wait_more_polls(xfake, KIND, 1)
    xfake.expire_tokens()
    assert xfake.wait_for(lambda f: len(f.refreshed) == 1, 10)
    xfake.token_lifetime = 7200
    assert xfake.wait_for(lambda f: len(f.refreshed) == 2, 10)
    wait_more_polls(xfake, KIND, 3)
    assert len(xfake.refresh_requests) == 2
    assert len(unauthorized(xfake)) == 1  # only the one expire_tokens() caused


def test_reply_with_expired_token_is_sent_once_after_renewal(api, xfake):
    """A reply whose user token has expired gets a 401, the token is
    renewed and the reply posted once with the new token. (Reads use the
    app-only token, so only the reply renews.)"""
    ch, _, _ = renewing_channel(api, xfake, bearer_token=APP_TOKEN)
    xfake.add_mention("1200", "@XDevelopers Frage", "kim")
    cid = wait_incoming(api, "xchan", ["1200"])["1200"]["conversation_id"]
    xfake.expire_tokens()
    r = send_reply(api, cid, "Antwort nach Erneuerung")
    sent = wait_delivery(api, cid, r["id"])
    snap = xfake.snapshot()
    [tweet] = snap["tweets"]
    assert sent["external_id"] == tweet["id"]
    posts = [x for x in snap["requests"] if x.method == "POST" and x.path == "/2/tweets"]
    assert [x.status for x in posts] == [401, 201]
    [req] = xfake.refresh_requests
    assert posts[1].token == req.response["access_token"]
    assert len(renewed_entries(api, ch["id"])) == 1


def test_poll_and_reply_renewing_together_make_one_refresh(api, xfake):
    """A reply queued while the poll is renewing the expired token (the
    refresh answer is slow) does not renew a second time: it goes out with
    the stored new token. One refresh request only (a second would use the
    rotated, dead refresh token and lock the channel out), the reply is
    posted once and polling goes on with the new token."""
    ch, _, _ = renewing_channel(api, xfake)
    xfake.add_mention("1300", "@XDevelopers Hallo", "kim")
    cid = wait_incoming(api, "xchan", ["1300"])["1300"]["conversation_id"]
    xfake.delay_refreshes(2)
    xfake.expire_tokens()
    assert xfake.wait_for(lambda f: any(x.kind == "unauthorized" and x.method == "GET"
                                        for x in f.requests), 10)
    r = send_reply(api, cid, "Gleichzeitig")
    wait_delivery(api, cid, r["id"])
    xfake.delay_refreshes(0)
    xfake.add_mention("1301", "@XDevelopers danach", "ole")
    wait_incoming(api, "xchan", ["1301"])
    [req] = xfake.refresh_requests
    assert req.status == 200
    new = req.response["access_token"]
    posts = [x for x in xfake.requests if x.method == "POST" and x.path == "/2/tweets"]
    assert [x.status for x in posts if x.status != 401] == [201]
    assert posts[-1].token == new and mention_polls(xfake)[-1].token == new
    assert len(xfake.snapshot()["tweets"]) == 1
    assert len(renewed_entries(api, ch["id"])) == 1


def test_refused_refresh_token_shows_in_health_and_stops(server, api, xfake):
    """A refresh token X refuses (400): health names the problem (never a
    token), the refusal is asked of X once only however often the channel
    polls, and a new refresh token from the administrator works again."""
    access, _ = xfake.issue_tokens()
    ch = x_channel(api, xfake, access_token=access, refresh_token="x-refresh-unknown",
                   client_id=xfake.client_id)
    xfake.expire_tokens()
    err = wait_until(lambda: (health(api, ch["id"]) or {}).get("last_error"), 10, 0.1,
                     "health.last_error")
    assert "refused the refresh token" in err and "connect the channel again" in err
    assert xfake.wait_for(lambda f: len([r for r in f.requests if r.kind == "unauthorized"])
                          >= 4, 10), "the channel stopped polling"
    assert [r.status for r in xfake.refresh_requests] == [400]
    assert "x-refresh-unknown" not in err and access not in err

    _, refresh = xfake.issue_tokens()
    status, _ = api.patch("/api/v1/channels/%d" % ch["id"],
                          {"secrets": {"refresh_token": refresh}})
    assert status == 200
    xfake.add_mention("1400", "@XDevelopers wieder da", "kim")
    wait_incoming(api, "xchan", ["1400"])
    assert [r.status for r in xfake.refresh_requests] == [400, 200]
    assert_no_secrets(server, api, ch, token_values(xfake, access, "x-refresh-unknown"))

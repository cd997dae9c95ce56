"""Tests for the fake Mastodon and X servers, over HTTP with urllib.

Run: /usr/bin/python3 -m pytest -q tests/fakes/test_fakes.py
"""

import datetime
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_mastodon  # noqa: E402
import fake_x  # noqa: E402
from fake_mastodon import FakeMastodon  # noqa: E402
from fake_x import FakeX  # noqa: E402

MTOKEN = "test-mastodon-token"
XTOKEN = "test-x-token"


def call(method, url, token=None, form=None, body=None, headers=None,
         timeout=5):
    """(status, headers as a lower-case dict, parsed JSON or raw bytes)"""
    hdrs = dict(headers or {})
    data = None
    if token is not None:
        hdrs["Authorization"] = "Bearer " + token
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, h, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, h, raw = e.code, e.headers, e.read()
    h = {k.lower(): v for k, v in h.items()}
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except ValueError:
        parsed = raw
    return status, h, parsed


def parse_link(value):
    """{'next': url, 'prev': url} from a Link header."""
    out = {}
    for part in value.split(","):
        url, rel = part.split(";")
        out[rel.strip().split("=")[1].strip('"')] = url.strip()[1:-1]
    return out


# -- Mastodon ----------------------------------------------------------------

@pytest.fixture
def masto():
    with FakeMastodon() as m:
        yield m


def test_mastodon_401_for_wrong_or_missing_token(masto):
    for token in ("wrong", None):
        st, _, body = call("GET", masto.url + "/api/v1/notifications", token)
        assert st == 401
        assert body == {"error": "The access token is invalid"}
    assert call("GET", masto.url + "/api/v1/notifications", MTOKEN)[0] == 200


def test_mastodon_entities_have_the_documented_shapes(masto):
    tmpl = fake_mastodon.load_fixture("Status.example0.json")
    acct_tmpl = fake_mastodon.load_fixture("Account.example0.json")
    alice = masto.account("971724", "zsc")
    masto.add_mention("103186126728896492", "sup!", alice,
                      notification_id="34975861")
    st, _, body = call("GET", masto.url + "/api/v1/notifications", MTOKEN)
    assert st == 200 and len(body) == 1
    n = body[0]
    assert set(n) >= {"id", "type", "created_at", "account", "status"}
    assert n["id"] == "34975861" and n["type"] == "mention"
    assert set(n["status"]) == set(tmpl)
    assert set(n["account"]) == set(acct_tmpl)
    assert n["status"]["id"] == "103186126728896492"
    assert n["status"]["account"]["username"] == "zsc"
    assert "sup!" in n["status"]["content"]
    assert n["status"]["mentions"][0]["id"] == masto.me["id"]


def test_mastodon_notifications_page_by_since_min_max_and_link(masto):
    bob = masto.account("5001", "bob", acct="bob@other.example")
    for i in range(1, 6):
        masto.add_mention(str(9000 + i), "hello %d" % i, bob,
                          notification_id=str(1000 + i))
    masto.add_notification("favourite", bob, status_id="9001",
                           notification_id="1010")
    api = masto.url + "/api/v1/notifications"

    def ids(query):
        st, h, body = call("GET", api + "?" + query, MTOKEN)
        assert st == 200
        return [n["id"] for n in body], h

    got, h = ids("types[]=mention&limit=2")
    assert got == ["1005", "1004"]
    links = parse_link(h["link"])
    assert "max_id=1004" in links["next"] and "min_id=1005" in links["prev"]
    assert "types[]=mention" in links["next"] and "limit=2" in links["next"]
    # since_id: the newest page above it; min_id: the page just above it
    assert ids("types[]=mention&limit=2&since_id=1002")[0] == ["1005", "1004"]
    assert ids("types[]=mention&limit=2&min_id=1002")[0] == ["1004", "1003"]
    assert ids("types[]=mention&max_id=1004")[0] == ["1003", "1002", "1001"]
    assert ids("types[]=mention&since_id=1005")[0] == []
    assert "link" not in ids("types[]=mention&since_id=1005")[1]
    assert ids("exclude_types[]=mention")[0] == ["1010"]
    assert ids("")[0][0] == "1010"
    # follow rel="next" to the end
    url, seen = api + "?types[]=mention&limit=2", []
    while url:
        st, h, body = call("GET", url, MTOKEN)
        seen += [n["id"] for n in body]
        url = parse_link(h["link"])["next"] if body else None
    assert seen == ["1005", "1004", "1003", "1002", "1001"]


def test_mastodon_limit_is_capped(masto):
    for i in range(85):
        masto.add_mention(str(5000 + i), "m", "carol", notification_id=str(100 + i))
    st, _, body = call("GET", masto.url + "/api/v1/notifications?limit=500", MTOKEN)
    assert len(body) == 80
    st, _, body = call("GET", masto.url + "/api/v1/notifications", MTOKEN)
    assert len(body) == 40


def test_mastodon_conversations_and_direct_reply(masto):
    amic = masto.account("482403", "amic", acct="amic@nulled.red")
    conv = masto.add_direct("103196583826321184", "can you help?", amic,
                            conversation_id="418450")
    assert conv["unread"] is True
    other = masto.add_direct("103196583826321200", "me too", "dora")
    st, h, body = call("GET", masto.url + "/api/v1/conversations", MTOKEN)
    assert st == 200
    assert [c["id"] for c in body] == [other["id"], "418450"]
    assert set(body[1]) == {"id", "unread", "accounts", "last_status"}
    # pages by last_status id, like Mastodon
    assert "max_id=103196583826321184" in parse_link(h["link"])["next"]
    st, _, body = call("GET", masto.url + "/api/v1/conversations?since_id="
                       "103196583826321184", MTOKEN)
    assert [c["id"] for c in body] == [other["id"]]
    # the direct message also produced a mention notification
    st, _, notes = call("GET", masto.url + "/api/v1/notifications?types[]=mention",
                        MTOKEN)
    assert {n["status"]["id"] for n in notes} == {"103196583826321184",
                                                  "103196583826321200"}
    # reply in the conversation
    st, _, s = call("POST", masto.url + "/api/v1/statuses", MTOKEN,
                    form={"status": "@amic@nulled.red sure, what's up?",
                          "in_reply_to_id": "103196583826321184",
                          "visibility": "direct"})
    assert st == 200
    assert s["in_reply_to_id"] == "103196583826321184"
    assert s["in_reply_to_account_id"] == "482403"
    assert s["visibility"] == "direct"
    assert s["mentions"][0]["acct"] == "amic@nulled.red"
    assert int(s["id"]) > 103196583826321200
    assert [p["id"] for p in masto.posted] == [s["id"]]
    st, _, body = call("GET", masto.url + "/api/v1/conversations", MTOKEN)
    c = [c for c in body if c["id"] == "418450"][0]
    assert c["last_status"]["id"] == s["id"] and c["unread"] is False
    st, _, c = call("POST", masto.url + "/api/v1/conversations/%s/read"
                    % other["id"], MTOKEN)
    assert st == 200 and c["unread"] is False


def test_mastodon_reply_defaults_to_public_and_validates(masto):
    masto.add_mention("77", "hi", "erin")
    st, _, s = call("POST", masto.url + "/api/v1/statuses", MTOKEN,
                    body={"status": "hello", "in_reply_to_id": "77"})
    assert st == 200 and s["visibility"] == "public"
    assert s["content"] == "<p>hello</p>"
    st, _, err = call("POST", masto.url + "/api/v1/statuses", MTOKEN,
                      form={"status": ""})
    assert st == 422 and err["error"].startswith("Validation failed")
    st, _, err = call("POST", masto.url + "/api/v1/statuses", MTOKEN,
                      form={"status": "x", "in_reply_to_id": "404404"})
    assert st == 404
    assert len(masto.posted) == 1


def test_mastodon_idempotency_key(masto):
    masto.add_mention("10", "question", "fred")
    url = masto.url + "/api/v1/statuses"
    form = {"status": "answer", "in_reply_to_id": "10"}
    a = call("POST", url, MTOKEN, form=form, headers={"Idempotency-Key": "k1"})
    b = call("POST", url, MTOKEN, form=form, headers={"Idempotency-Key": "k1"})
    assert a[0] == b[0] == 200 and a[2]["id"] == b[2]["id"]
    assert len(masto.posted) == 1
    c = call("POST", url, MTOKEN, form=form, headers={"Idempotency-Key": "k2"})
    assert c[2]["id"] != a[2]["id"] and len(masto.posted) == 2
    # without a key every POST is a new status
    call("POST", url, MTOKEN, form=form)
    call("POST", url, MTOKEN, form=form)
    assert len(masto.posted) == 4
    # keys expire (one hour on Mastodon; shortened here)
    masto.idempotency_ttl = 0.2
    d = call("POST", url, MTOKEN, form=form, headers={"Idempotency-Key": "k3"})
    time.sleep(0.3)
    e = call("POST", url, MTOKEN, form=form, headers={"Idempotency-Key": "k3"})
    assert d[2]["id"] != e[2]["id"]


def test_mastodon_lost_response_then_retry_with_same_key(masto):
    masto.add_mention("10", "question", "fred")
    url = masto.url + "/api/v1/statuses"
    form = {"status": "answer", "in_reply_to_id": "10", "visibility": "unlisted"}
    masto.fail_after_processing_first(1)
    st, _, _ = call("POST", url, MTOKEN, form=form, headers={"Idempotency-Key": "r1"})
    assert st == 500 and len(masto.posted) == 1  # it was posted nevertheless
    st, _, s = call("POST", url, MTOKEN, form=form, headers={"Idempotency-Key": "r1"})
    assert st == 200 and s["id"] == masto.posted[0]["id"]
    assert len(masto.posted) == 1
    # a dropped connection
    masto.fail_after_processing_first(1, status=None)
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(urllib.request.Request(
            url, data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"Authorization": "Bearer " + MTOKEN,
                     "Idempotency-Key": "r2"}), timeout=5)
    st, _, s = call("POST", url, MTOKEN, form=form, headers={"Idempotency-Key": "r2"})
    assert st == 200 and len(masto.posted) == 2


def test_mastodon_500_phases(masto):
    url = masto.url + "/api/v1/notifications"
    masto.fail_first(2)
    assert [call("GET", url, MTOKEN)[0] for _ in range(3)] == [500, 500, 200]
    # Windows of 1.5 s: a loaded machine must not let a call miss its phase.
    masto.fail_for(1.5)
    st, h, body = call("GET", url, MTOKEN)
    assert st == 500 and isinstance(body, bytes)
    time.sleep(1.6)
    assert call("GET", url, MTOKEN)[0] == 200
    masto.fail_until(time.time() + 1.5, status=503)
    assert call("GET", url, MTOKEN)[0] == 503
    time.sleep(1.6)
    assert call("GET", url, MTOKEN)[0] == 200
    # only POSTs fail: polling goes on
    masto.fail_first(1, method="POST")
    assert call("GET", url, MTOKEN)[0] == 200
    assert call("POST", masto.url + "/api/v1/statuses", MTOKEN,
                form={"status": "x"})[0] == 500
    assert call("POST", masto.url + "/api/v1/statuses", MTOKEN,
                form={"status": "x"})[0] == 200


def test_mastodon_429_and_rate_limit_headers(masto):
    url = masto.url + "/api/v1/notifications"
    st, h, _ = call("GET", url, MTOKEN)
    assert h["x-ratelimit-limit"] == "300" and h["x-ratelimit-remaining"] == "299"
    reset = datetime.datetime.strptime(h["x-ratelimit-reset"],
                                       "%Y-%m-%dT%H:%M:%S.%fZ")
    assert reset.replace(tzinfo=datetime.timezone.utc).timestamp() > time.time()
    masto.rate_limit_for(5)
    st, h, body = call("GET", url, MTOKEN)
    assert st == 429 and body == {"error": "Too many requests"}
    assert h["x-ratelimit-remaining"] == "0"
    reset = datetime.datetime.strptime(h["x-ratelimit-reset"],
                                       "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                                           tzinfo=datetime.timezone.utc)
    assert 0 < reset.timestamp() - time.time() <= 5.1
    masto.succeed()
    assert call("GET", url, MTOKEN)[0] == 200
    # the real counter
    masto.set_rate_limit(3, 60)
    got = [call("GET", url, MTOKEN) for _ in range(4)]
    assert [g[0] for g in got] == [200, 200, 200, 429]
    assert [g[1]["x-ratelimit-remaining"] for g in got] == ["2", "1", "0", "0"]


def test_mastodon_boost(masto):
    masto.add_mention("500", "share me", "gina")
    masto.add_mention("501", "secret", "gina", visibility="private")
    url = masto.url + "/api/v1/statuses/%s/reblog"
    st, _, b = call("POST", url % "500", MTOKEN)
    assert st == 200 and b["reblog"]["id"] == "500" and b["reblogged"] is True
    assert b["id"] != "500" and b["account"]["id"] == masto.me["id"]
    st, _, b2 = call("POST", url % "500", MTOKEN)
    assert st == 200 and b2["id"] == b["id"] and len(masto.boosts) == 1
    assert call("POST", url % "501", MTOKEN)[0] == 403
    assert call("POST", url % "999", MTOKEN)[0] == 404
    st, _, s = call("GET", masto.url + "/api/v1/statuses/500", MTOKEN)
    assert s["reblogged"] is True and s["reblogs_count"] == 1


def test_mastodon_stop_start_keeps_state(masto):
    masto.add_mention("1", "x", "hank", notification_id="1")
    port = masto.port
    masto.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(masto.url + "/api/v1/notifications", timeout=2)
    masto.start()
    assert masto.port == port
    assert len(call("GET", masto.url + "/api/v1/notifications", MTOKEN)[2]) == 1


# -- X -------------------------------------------------------------------------

@pytest.fixture
def x():
    with FakeX(app_token="test-app-token") as f:
        yield f


def mentions_url(x, **q):
    return "%s/2/users/%s/mentions?%s" % (x.url, x.me["id"],
                                          urllib.parse.urlencode(q))


def test_x_401_for_wrong_or_missing_token(x):
    for token in ("wrong", None):
        st, _, body = call("GET", mentions_url(x), token)
        assert st == 401 and body["title"] == "Unauthorized"
    assert call("GET", mentions_url(x), XTOKEN)[0] == 200


def test_x_fields_and_expansions_follow_the_examples(x):
    doc = fake_x.load_fixture("user_mention_quickstart.example0.json")
    dev = x.user("1234567890", "developer", "Dev Person")
    x.add_mention("1301573587187331074", "Hey @XDevelopers, love the new API!", dev)
    st, _, plain = call("GET", mentions_url(x), XTOKEN)
    assert set(plain["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert "includes" not in plain
    st, _, full = call("GET", mentions_url(
        x, **{"tweet.fields": "created_at,public_metrics,author_id",
              "expansions": "author_id", "user.fields": "username,verified"}),
        XTOKEN)
    assert st == 200
    want = set(doc["data"][0]) | {"edit_history_tweet_ids"}
    assert set(full["data"][0]) == want
    assert full["data"][0]["author_id"] == "1234567890"
    assert full["includes"]["users"] == [{"id": "1234567890", "username":
                                          "developer", "name": "Dev Person",
                                          "verified": False}]
    assert set(full["meta"]) >= {"newest_id", "oldest_id", "result_count"}


def test_x_mentions_pagination_and_since_id(x):
    for i in range(12):
        x.add_mention(str(1000 + i), "@XDevelopers help %d" % i, "user%d" % (i % 3))
    st, _, p1 = call("GET", mentions_url(x, max_results=5), XTOKEN)
    assert [t["id"] for t in p1["data"]] == ["1011", "1010", "1009", "1008", "1007"]
    assert p1["meta"]["newest_id"] == "1011" and p1["meta"]["oldest_id"] == "1007"
    assert p1["meta"]["result_count"] == 5 and "previous_token" not in p1["meta"]
    st, _, p2 = call("GET", mentions_url(x, max_results=5,
                                         pagination_token=p1["meta"]["next_token"]),
                     XTOKEN)
    assert [t["id"] for t in p2["data"]] == ["1006", "1005", "1004", "1003", "1002"]
    st, _, p3 = call("GET", mentions_url(x, max_results=5,
                                         pagination_token=p2["meta"]["next_token"]),
                     XTOKEN)
    assert [t["id"] for t in p3["data"]] == ["1001", "1000"]
    assert "next_token" not in p3["meta"]
    st, _, back = call("GET", mentions_url(
        x, max_results=5, pagination_token=p3["meta"]["previous_token"]), XTOKEN)
    assert [t["id"] for t in back["data"]] == [t["id"] for t in p2["data"]]
    # since_id is exclusive; more new posts than max_results: newest page
    # first, next_token walks back down to since_id
    st, _, s1 = call("GET", mentions_url(x, max_results=5, since_id="1003"), XTOKEN)
    assert [t["id"] for t in s1["data"]] == ["1011", "1010", "1009", "1008", "1007"]
    st, _, s2 = call("GET", mentions_url(x, max_results=5, since_id="1003",
                                         pagination_token=s1["meta"]["next_token"]),
                     XTOKEN)
    assert [t["id"] for t in s2["data"]] == ["1006", "1005", "1004"]
    assert "next_token" not in s2["meta"]
    st, _, none = call("GET", mentions_url(x, since_id="1011"), XTOKEN)
    assert none == {"meta": {"result_count": 0}}
    x.add_mention("1012", "@XDevelopers new", "user0")
    st, _, new = call("GET", mentions_url(x, since_id="1011"), XTOKEN)
    assert [t["id"] for t in new["data"]] == ["1012"]
    # parameter errors
    st, _, err = call("GET", mentions_url(x, max_results=2), XTOKEN)
    assert st == 400 and err["type"].endswith("invalid-request")
    st, _, err = call("GET", mentions_url(x, pagination_token="bogus"), XTOKEN)
    assert st == 400


def test_x_text_is_escaped_like_v2(x):
    """GET answers escape & < > in a post's text; the test side keeps it."""
    p = x.add_mention("3100", "@XDevelopers Q&A <3 > 2", "esc")
    assert p["text"] == "@XDevelopers Q&A <3 > 2"
    st, _, page = call("GET", mentions_url(x), XTOKEN)
    assert page["data"][0]["text"] == "@XDevelopers Q&amp;A &lt;3 &gt; 2"
    st, _, one = call("GET", x.url + "/2/tweets/3100", XTOKEN)
    assert one["data"]["text"] == "@XDevelopers Q&amp;A &lt;3 &gt; 2"


def test_x_fail_paging_first_breaks_a_walk_only(x):
    """fail_paging_first(n) fails only mentions requests with a
    pagination_token; the same token works again afterwards."""
    for i in range(7):
        x.add_mention(str(3000 + i), "@XDevelopers walk %d" % i, "walker")
    x.fail_paging_first(1, status=503)
    st, _, p1 = call("GET", mentions_url(x, max_results=5), XTOKEN)
    assert st == 200 and len(p1["data"]) == 5
    token = p1["meta"]["next_token"]
    st, _, _ = call("GET", mentions_url(x, max_results=5, pagination_token=token), XTOKEN)
    assert st == 503
    st, _, p2 = call("GET", mentions_url(x, max_results=5, pagination_token=token), XTOKEN)
    assert st == 200 and [t["id"] for t in p2["data"]] == ["3001", "3000"]
    assert [r.status for r in x.requests] == [200, 503, 200]
    x.fail_paging_first(5)
    x.succeed()
    assert call("GET", mentions_url(x, max_results=5, pagination_token=token), XTOKEN)[0] == 200
    x.expire_pagination_tokens()
    st, _, err = call("GET", mentions_url(x, max_results=5, pagination_token=token), XTOKEN)
    assert st == 400 and err["type"].endswith("invalid-request")


def test_x_reply_recorded_with_in_reply_to(x):
    x.add_mention("2000", "@XDevelopers my order is late", "ivy")
    st, h, body = call("POST", x.url + "/2/tweets", XTOKEN,
                       body={"text": "@ivy sorry, looking into it",
                             "reply": {"in_reply_to_tweet_id": "2000"}})
    assert st == 201
    assert set(body["data"]) == {"id", "text", "edit_history_tweet_ids"}
    assert body["data"]["text"] == "@ivy sorry, looking into it"
    assert len(x.tweets) == 1
    t = x.tweets[0]
    assert t["referenced_tweets"] == [{"type": "replied_to", "id": "2000"}]
    assert t["in_reply_to_user_id"] == x.posts["2000"]["author_id"]
    assert t["conversation_id"] == "2000" and t["author_id"] == x.me["id"]
    assert int(t["id"]) > 2000
    # errors
    assert call("POST", x.url + "/2/tweets", XTOKEN,
                body={"text": "x", "reply": {"in_reply_to_tweet_id": "9"}})[0] == 403
    assert call("POST", x.url + "/2/tweets", XTOKEN, body={"text": ""})[0] == 400
    assert call("POST", x.url + "/2/tweets", XTOKEN, form={"text": "x"})[0] == 400
    assert call("POST", x.url + "/2/tweets", "test-app-token",
                body={"text": "x"})[0] == 403
    assert len(x.tweets) == 1


def test_x_has_no_idempotency_duplicates_are_visible(x):
    x.add_mention("3000", "@XDevelopers ?", "jack")
    body = {"text": "answer", "reply": {"in_reply_to_tweet_id": "3000"}}
    x.fail_after_processing_first(1)
    st, _, _ = call("POST", x.url + "/2/tweets", XTOKEN, body=body,
                    headers={"Idempotency-Key": "ignored"})
    assert st == 500 and len(x.tweets) == 1
    st, _, _ = call("POST", x.url + "/2/tweets", XTOKEN, body=body,
                    headers={"Idempotency-Key": "ignored"})
    assert st == 201
    assert len(x.tweets) == 2 and x.tweets[0]["id"] != x.tweets[1]["id"]
    assert x.tweets[0]["text"] == x.tweets[1]["text"]


def test_x_duplicate_content_option():
    with FakeX(reject_duplicate_text=True) as f:
        assert call("POST", f.url + "/2/tweets", XTOKEN, body={"text": "a"})[0] == 201
        st, _, err = call("POST", f.url + "/2/tweets", XTOKEN, body={"text": "a"})
        assert st == 403 and "duplicate" in err["detail"]
        assert len(f.tweets) == 1


def test_x_retweet(x):
    x.add_mention("4000", "@XDevelopers worth sharing", "kim")
    url = "%s/2/users/%s/retweets" % (x.url, x.me["id"])
    st, _, body = call("POST", url, XTOKEN, body={"tweet_id": "4000"})
    assert st == 200 and body == {"data": {"retweeted": True}}
    assert call("POST", url, XTOKEN, body={"tweet_id": "4000"})[0] == 200
    assert x.retweeted == {"4000"} and len(x.retweet_calls) == 2
    assert call("POST", "%s/2/users/1/retweets" % x.url, XTOKEN,
                body={"tweet_id": "4000"})[0] == 403


def test_x_500_phases(x):
    url = mentions_url(x)
    x.fail_first(2)
    assert [call("GET", url, XTOKEN)[0] for _ in range(3)] == [500, 500, 200]
    x.fail_for(1.5)  # long enough for a loaded machine's call to land inside
    assert call("GET", url, XTOKEN)[0] == 500
    time.sleep(1.6)
    assert call("GET", url, XTOKEN)[0] == 200
    x.fail_first(1, status=503, method="POST")
    assert call("GET", url, XTOKEN)[0] == 200
    assert call("POST", x.url + "/2/tweets", XTOKEN, body={"text": "a"})[0] == 503
    assert call("POST", x.url + "/2/tweets", XTOKEN, body={"text": "a"})[0] == 201


def test_x_429_and_rate_limit_headers(x):
    url = mentions_url(x)
    st, h, _ = call("GET", url, XTOKEN)
    assert h["x-rate-limit-limit"] == "300" and h["x-rate-limit-remaining"] == "299"
    assert int(h["x-rate-limit-reset"]) > time.time() + 800
    x.rate_limit_for(5)
    st, h, body = call("GET", url, XTOKEN)
    assert st == 429 and body["errors"][0]["code"] == 88
    assert h["x-rate-limit-remaining"] == "0"
    assert 0 < int(h["x-rate-limit-reset"]) - time.time() <= 6
    x.succeed()
    x.set_rate_limit("GET /2/users/:id/mentions", 2, 60)
    got = [call("GET", url, XTOKEN) for _ in range(3)]
    assert [g[0] for g in got] == [200, 200, 429]
    assert got[2][1]["x-rate-limit-remaining"] == "0"
    # other endpoints have their own windows
    assert call("POST", x.url + "/2/tweets", XTOKEN, body={"text": "a"})[0] == 201


def refresh(x, rt, client_id="test-x-client", headers=None, **extra):
    form = dict({"grant_type": "refresh_token", "refresh_token": rt,
                 "client_id": client_id}, **extra)
    return call("POST", x.url + "/2/oauth2/token", form=form, headers=headers)


def test_x_refresh_rotates_and_refuses_a_used_token(x):
    """A refresh answers the documented fields; the refresh token rotates
    (the used one gets 400 invalid_request); the new access token works and
    expires after expires_in."""
    x.token_lifetime = 2
    access, rt = x.issue_tokens()
    assert call("GET", mentions_url(x), access)[0] == 200
    st, h, body = refresh(x, rt)
    assert st == 200 and h["content-type"].startswith("application/json")
    assert set(body) == {"token_type", "expires_in", "access_token", "scope",
                         "refresh_token"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 2
    assert "offline.access" in body["scope"].split()
    assert body["refresh_token"] != rt and body["access_token"] != access
    st, _, err = refresh(x, rt)
    assert st == 400 and err["error"] == "invalid_request"
    assert "error_description" in err
    assert call("GET", mentions_url(x), body["access_token"])[0] == 200
    assert x.wait_for(lambda f: not f.token_valid(body["access_token"]), 5)
    st, _, err = call("GET", mentions_url(x), body["access_token"])
    assert st == 401 and err == {"title": "Unauthorized", "type": "about:blank",
                                 "status": 401, "detail": "Unauthorized"}
    st, _, again = refresh(x, body["refresh_token"])
    assert st == 200
    assert [r.status for r in x.refresh_requests] == [200, 400, 200]
    assert len(x.refreshed) == 2


def test_x_refresh_checks_form_and_client():
    """The form needs grant_type=refresh_token and the client_id; a fake
    with a client_secret wants HTTP Basic client_id:client_secret."""
    import base64
    with FakeX(client_id="cid", client_secret="csecret") as f:
        _, rt = f.issue_tokens()
        assert refresh(f, rt, client_id="cid")[0] == 401
        basic = {"Authorization": "Basic " + base64.b64encode(b"cid:wrong").decode()}
        assert refresh(f, rt, client_id="cid", headers=basic)[0] == 401
        basic = {"Authorization": "Basic " + base64.b64encode(b"cid:csecret").decode()}
        assert refresh(f, rt, client_id="other", headers=basic)[0] == 400
        assert refresh(f, rt, client_id="cid", headers=basic,
                       grant_type="authorization_code")[0] == 400
        st, _, body = call("POST", f.url + "/2/oauth2/token", body={
            "grant_type": "refresh_token", "refresh_token": rt, "client_id": "cid"},
            headers=basic)
        assert st == 400  # JSON is not the documented form
        st, _, body = refresh(f, rt, client_id="cid", headers=basic)
        assert st == 200 and body["access_token"]
        assert f.refresh_requests[-1].form["client_id"] == "cid"


def test_x_expire_tokens_gives_401_everywhere(x):
    """expire_tokens(): every access token so far gets the 401 problem on
    every endpoint; the refresh token still works and its new token too."""
    access, rt = x.issue_tokens()
    x.add_mention("5000", "@XDevelopers hi", "kim")
    x.expire_tokens()
    for token in (XTOKEN, access):
        assert call("GET", mentions_url(x), token)[0] == 401
        assert call("GET", x.url + "/2/users/me", token)[0] == 401
        assert call("POST", x.url + "/2/tweets", token, body={"text": "a"})[0] == 401
    assert call("GET", mentions_url(x), "test-app-token")[0] == 200
    st, _, body = refresh(x, rt)
    assert st == 200
    assert call("POST", x.url + "/2/tweets", body["access_token"],
                body={"text": "a"})[0] == 201
    assert [r.kind for r in x.requests].count("unauthorized") == 6


def test_x_delay_refreshes_holds_only_the_token_endpoint(x):
    """delay_refreshes(s): the token answer comes s later, while other
    requests are answered meanwhile."""
    import threading
    _, rt = x.issue_tokens()
    x.delay_refreshes(1.0)
    got = {}
    t = threading.Thread(target=lambda: got.update(r=refresh(x, rt)))
    start = time.monotonic()
    t.start()
    assert x.wait_for(lambda f: f.arrived >= 1, 5)
    assert call("GET", mentions_url(x), XTOKEN)[0] == 200
    t.join(5)
    assert got["r"][0] == 200 and time.monotonic() - start >= 1.0
    x.delay_refreshes(0)
    assert [r.path for r in x.requests] == ["/2/users/%s/mentions" % x.me["id"],
                                            "/2/oauth2/token"]


def _standalone(script, port):
    proc = subprocess.Popen([sys.executable, script, str(port)],
                            stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.abspath(__file__)))
    line = proc.stdout.readline()
    assert "127.0.0.1:%d" % port in line, line
    return proc


def test_x_standalone_mode():
    port = FakeX.reserve_port()
    proc = _standalone("fake_x.py", port)
    try:
        st, _, body = call("GET", "http://127.0.0.1:%d/2/users/2244994945/"
                           "mentions?expansions=author_id&tweet.fields=author_id"
                           % port, XTOKEN)
        assert st == 200 and body["data"][0]["id"] == "1301573587187331074"
        assert body["includes"]["users"][0]["username"] == "developer"
    finally:
        proc.terminate()
        proc.wait(5)
        proc.stdout.close()


def test_mastodon_standalone_mode():
    port = FakeMastodon.reserve_port()
    proc = _standalone("fake_mastodon.py", port)
    try:
        st, _, body = call("GET", "http://127.0.0.1:%d/api/v1/notifications"
                           % port, MTOKEN)
        assert st == 200 and body[0]["id"] == "34975861"
    finally:
        proc.terminate()
        proc.wait(5)
        proc.stdout.close()

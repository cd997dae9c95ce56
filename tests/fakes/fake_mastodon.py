"""A fake Mastodon server for the "mastodon" channel: mentions and direct
conversations in, replies and boosts out.

Standard library only, loopback only (127.0.0.1). Use it as a context manager
or call start() and stop(); stop() closes the socket (a server that is down)
and start() again reopens the same port with the same state.

Entities are built from the documented examples in
../shared/data/fixtures/mastodon (Account.example0.json, Status.example0.json;
override the directory with $CLUETRAIN_FIXTURES): the fake deep-copies them
and replaces only what the test chooses (ids, texts, authors, visibility, ...),
so a connector sees the shapes the real service sends. Notification and
Conversation are assembled from those entities with the attributes the
entity pages list (Notification: id, type, group_key, created_at, account,
status; Conversation: id, unread, accounts, last_status).

The test side:
- account(id, username, acct=None, display_name=None) -> Account
- add_mention(status_id, text, author, notification_id=None,
  in_reply_to_id=None, visibility="public")  a status that mentions us plus
  its "mention" notification
- add_direct(status_id, text, author, ...)  a status with visibility
  "direct": joins or opens a conversation (unread) and, like Mastodon, also
  creates a "mention" notification (notify=False to skip it)
- add_notification(type, author, status_id=None)  any other type
  (favourite, follow, ...) so types[] / exclude_types[] filtering matters
- posted (statuses created by POST /api/v1/statuses, one per creation),
  boosts (reblogs created), requests (every request, recorded when
  answered), snapshot(), wait_for(predicate, timeout)

The HTTP side (Authorization: Bearer <token> or ?access_token=; a missing or
wrong token gets 401 {"error": "The access token is invalid"}):
- GET  /api/v1/accounts/verify_credentials          -> our Account
- GET  /api/v1/notifications   max_id, since_id, min_id, limit (default 40,
       max 80), types[], exclude_types[], account_id. Newest first. max_id is
       an exclusive upper bound, since_id an exclusive lower bound that still
       returns the *newest* page above it, min_id returns the page
       *immediately* newer than it (walk forward without gaps). A non-empty
       page carries Link: <...max_id=OLDEST>; rel="next",
       <...min_id=NEWEST>; rel="prev" (limit / types[] / exclude_types[] /
       account_id kept).
- GET  /api/v1/notifications/:id
- GET  /api/v1/conversations   same parameters (default 20, max 40); like
       Mastodon it pages by the id of each conversation's last_status, and
       the Link header carries those ids.
- POST /api/v1/conversations/:id/read
- GET  /api/v1/statuses/:id
- POST /api/v1/statuses   status, in_reply_to_id, visibility (public,
       unlisted, private, direct; default "public", the account default, also
       when replying to a direct message), spoiler_text, sensitive, language;
       form-encoded, JSON or query parameters. Empty text -> 422
       "Validation failed: Text can't be blank"; unknown in_reply_to_id -> 404.
       Idempotency-Key: the same key (per token) within idempotency_ttl
       (3600 s, "stored for up to 1 hour") returns the status created first,
       and nothing is posted again.
- POST /api/v1/statuses/:id/reblog   visibility (public, unlisted, private);
       returns a new Status whose "reblog" is the boosted one; boosting again
       returns the existing reblog (nothing new is recorded); a private or
       direct status -> 403 "This action is not allowed"; unknown -> 404.

Rate limits: every API answer carries X-RateLimit-Limit, X-RateLimit-Remaining
and X-RateLimit-Reset (an ISO 8601 time, the end of the current window); by
default 300 requests per 5 minutes, set_rate_limit(limit, period) to make a
test hit it. Past the limit, or while rate_limit_first() / rate_limit_for()
is in force, the answer is 429 {"error": "Too many requests"} with
Remaining 0 (Mastodon's throttled response has no Retry-After).

Server, recording, waiting and the failure switches are fakekit.FakeServer's.
Failure modes: fail_first(n) / fail_for(seconds) / fail_until(unix_time)
answer 500 (or any status) with an HTML error page, optionally only for one
HTTP method; fail_after_processing_first(n) performs the next n POSTs and
then answers 500, or drops the connection with status=None (the reply is out
but the client never hears it: the case Idempotency-Key exists for);
delay(seconds) answers slowly. hold_polls() makes every GET
/api/v1/notifications hang (the request arrived, no answer yet) until
release_polls(); polls_held counts the requests hanging now (wait_for it),
and the answer is made after the release, so it includes what was added
meanwhile.

Run standalone:  python3 fake_mastodon.py [PORT]   (token "test-mastodon-token")
"""

import copy
import datetime
import html
import re
import threading
import time
import urllib.parse

import fakekit

FIXTURES = fakekit.FIXTURES

VISIBILITIES = ("public", "unlisted", "private", "direct")


def load_fixture(name):
    return fakekit.load_fixture("mastodon", name)


_iso = fakekit.iso_ms  # Mastodon's Datetime: 2019-11-23T07:49:02.064Z
_id_key = fakekit.int_or_none  # ids are integer strings, compared as numbers


def text_to_html(text):
    """Roughly what Mastodon's plain-text formatter makes of a status."""
    paras = [p for p in text.replace("\r\n", "\n").split("\n\n")]
    return "".join("<p>%s</p>" % html.escape(p, quote=True).replace("\n", "<br />")
                   for p in paras)


class Request(fakekit.Exchange):
    """One request as the fake saw it: method, path (without the query
    string), query (dict name -> list of values), headers (lower-case names),
    raw, params (merged query + form / JSON body), token, status, response
    (the JSON answered; None for HTML / dropped), kind ("status",
    "status_repeat", "reblog", "poll_notifications", ...)."""

    def __init__(self, method, path, query, headers, raw, params, token):
        super().__init__(method, path, headers, raw, query=query,
                         params=params, token=token)

    @property
    def key(self):
        return self.headers.get("idempotency-key")


class FakeMastodon(fakekit.FakeServer):
    """A threaded fake of one Mastodon server, seen by one account."""

    http_methods = ("GET", "POST", "PUT", "PATCH", "DELETE")

    def __init__(self, token="test-mastodon-token", port=0,
                 domain="mastodon.example", username="cluetrain",
                 account_id="109000000000000001", app_name="cluetrain"):
        super().__init__(port)
        self.tokens = {token}
        self.domain = domain
        self.app_name = app_name
        self._account_template = load_fixture("Account.example0.json")
        self._status_template = load_fixture("Status.example0.json")
        self.accounts = {}  # id -> Account
        self.me = self.account(account_id, username)
        self.statuses = {}  # id -> Status (inbound, posted and reblogs)
        self.notifications = {}  # id -> Notification
        self.conversations = {}  # id -> Conversation
        self.posted = []  # statuses created by POST /api/v1/statuses
        self.boosts = []  # reblog statuses created
        self.idempotency_ttl = 3600.0
        self._idem = {}  # (token, key) -> (status id, expiry monotonic)
        self._seq = 0
        self._last_snowflake = 0
        self._conv_seq = 400000
        self._notif_seq = 34000000
        self.rate_limit = 300
        self.rate_period = 300
        self._window = None  # (window start, count)
        self._polls_open = threading.Event()  # cleared by hold_polls()
        self._polls_open.set()
        self.polls_held = 0  # notification polls hanging now

    # -- entities --------------------------------------------------------

    def account(self, id, username, acct=None, display_name=None):
        """An Account built from Account.example0.json (registered, so it
        can be used as an author and found by @mention)."""
        a = copy.deepcopy(self._account_template)
        remote = acct and "@" in acct
        a.update({
            "id": str(id), "username": username, "acct": acct or username,
            "display_name": display_name if display_name is not None else username,
            "note": "", "emojis": [], "fields": [], "roles": [],
            "created_at": "2017-02-08T02:00:53.274Z",
            "url": ("https://%s/@%s" % (acct.split("@", 1)[1], username)
                    if remote else "https://%s/@%s" % (self.domain, username)),
            "followers_count": 0, "following_count": 0, "statuses_count": 0,
        })
        self.accounts[a["id"]] = a
        return a

    def _author(self, author):
        if isinstance(author, dict):
            self.accounts.setdefault(author["id"], author)
            return author
        for a in self.accounts.values():
            if a["acct"] == author or a["username"] == author:
                return a
        self._seq += 1
        return self.account(str(200000 + self._seq), author.split("@")[0],
                            acct=author)

    def _mention_of(self, a):
        return {"id": a["id"], "username": a["username"], "url": a["url"],
                "acct": a["acct"]}

    def _next_status_id(self):
        """Snowflake-like (ms << 16), larger than every id seen so far."""
        sid = int(time.time() * 1000) << 16
        known = [k for k in map(_id_key, self.statuses) if k is not None]
        sid = max(sid, self._last_snowflake + 1, (max(known) + 1) if known else 0)
        self._last_snowflake = sid
        return str(sid)

    def _status(self, status_id, account, content, visibility="public",
                in_reply_to_id=None, mentions=(), application=None,
                spoiler_text="", sensitive=False, language="en"):
        s = copy.deepcopy(self._status_template)
        sid = str(status_id)
        parent = self.statuses.get(str(in_reply_to_id)) if in_reply_to_id else None
        s.update({
            "id": sid, "created_at": _iso(),
            "in_reply_to_id": str(in_reply_to_id) if in_reply_to_id else None,
            "in_reply_to_account_id": parent["account"]["id"] if parent else None,
            "sensitive": bool(sensitive), "spoiler_text": spoiler_text or "",
            "visibility": visibility, "language": language,
            "uri": "https://%s/users/%s/statuses/%s" % (self.domain,
                                                        account["username"], sid),
            "url": "https://%s/@%s/%s" % (self.domain, account["username"], sid),
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
            "quotes_count": 0, "favourited": False, "reblogged": False,
            "muted": False, "bookmarked": False, "content": content,
            "reblog": None, "application": application, "account": account,
            "media_attachments": [], "mentions": [self._mention_of(m) for m in mentions],
            "tags": [], "emojis": [], "quote": None, "card": None, "poll": None,
        })
        if parent:
            parent["replies_count"] += 1
        self.statuses[sid] = s
        return s

    def _mention_html(self, text):
        me = self.me
        return ('<p><span class="h-card"><a href="%s" class="u-url mention">'
                '@<span>%s</span></a></span> %s</p>' % (
                    me["url"], me["username"],
                    html.escape(text).replace("\n", "<br />")))

    def _notify(self, type_, account, status, notification_id=None):
        if notification_id is None:
            self._notif_seq += 1
            notification_id = self._notif_seq
            while str(notification_id) in self.notifications:
                self._notif_seq += 1
                notification_id = self._notif_seq
        nid = str(notification_id)
        n = {"id": nid, "type": type_, "group_key": "ungrouped-%s" % nid,
             "created_at": _iso(), "account": account}
        if status is not None:
            n["status"] = status
        self.notifications[nid] = n
        return n

    # -- the test side: inbound ------------------------------------------

    def add_mention(self, status_id, text, author, notification_id=None,
                    in_reply_to_id=None, visibility="public", content=None):
        """A status by `author` (Account or acct string) that mentions us,
        and its "mention" notification. Returns the notification."""
        with self.lock:
            a = self._author(author)
            s = self._status(status_id, a, content or self._mention_html(text),
                             visibility, in_reply_to_id, mentions=[self.me])
            n = self._notify("mention", a, s, notification_id)
            self.changed.notify_all()
            return n

    def add_direct(self, status_id, text, author, conversation_id=None,
                   in_reply_to_id=None, notification_id=None, notify=True,
                   content=None):
        """A direct-visibility status from `author` to us. It joins the
        conversation of in_reply_to_id (or conversation_id), else opens a new
        one; the conversation becomes unread. Returns the conversation."""
        with self.lock:
            a = self._author(author)
            s = self._status(status_id, a, content or self._mention_html(text),
                             "direct", in_reply_to_id, mentions=[self.me])
            conv = None
            if conversation_id is not None:
                conv = self.conversations.get(str(conversation_id))
            if conv is None and in_reply_to_id:
                conv = self._conversation_of(str(in_reply_to_id))
            if conv is None:
                if conversation_id is None:
                    self._conv_seq += 1
                    conversation_id = self._conv_seq
                conv = {"id": str(conversation_id), "unread": True,
                        "accounts": [a], "last_status": s}
                self.conversations[conv["id"]] = conv
            conv["_statuses"] = conv.get("_statuses", set()) | {s["id"]}
            conv["last_status"] = s
            conv["unread"] = True
            if a["id"] not in [x["id"] for x in conv["accounts"]]:
                conv["accounts"].append(a)
            if notify:
                self._notify("mention", a, s, notification_id)
            self.changed.notify_all()
            return self._public_conversation(conv)

    def add_notification(self, type_, author, status_id=None,
                         notification_id=None):
        """A notification of another type (favourite, reblog, follow, ...);
        status_id names a known status, e.g. one of our replies."""
        with self.lock:
            a = self._author(author)
            s = self.statuses.get(str(status_id)) if status_id else None
            n = self._notify(type_, a, s, notification_id)
            self.changed.notify_all()
            return n

    def _conversation_of(self, status_id):
        for c in self.conversations.values():
            if status_id in c.get("_statuses", ()):
                return c
        return None

    @staticmethod
    def _public_conversation(c):
        return {k: v for k, v in c.items() if not k.startswith("_")}

    # -- behaviour -------------------------------------------------------

    def set_rate_limit(self, limit, period=300):
        """Allow `limit` requests per `period` seconds (a fresh window)."""
        with self.lock:
            self.rate_limit, self.rate_period = limit, period
            self._window = None

    def hold_polls(self):
        """From now on GET /api/v1/notifications hangs until
        release_polls() (a slow server: the client waits mid-request)."""
        self._polls_open.clear()

    def release_polls(self):
        """Answer the hanging notification polls, and later ones at once."""
        self._polls_open.set()

    def _hold_if_asked(self):
        """Hang here (outside the lock) while polls are held."""
        if self._polls_open.is_set():
            return
        with self.lock:
            self.polls_held += 1
            self.changed.notify_all()
        self._polls_open.wait()
        with self.lock:
            self.polls_held -= 1
            self.changed.notify_all()

    # fail_first / fail_for / fail_until / rate_limit_first / rate_limit_for /
    # fail_after_processing_first / delay / succeed: fakekit.FakeServer

    # -- request handling ------------------------------------------------

    def _reset_iso(self, at):
        d = datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
        return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _rate_headers(self, now_wall, count=True):
        """Count this request in the window; (headers, over the limit)."""
        period = self.rate_period
        start = now_wall - (now_wall % period)
        if not self._window or self._window[0] != start:
            self._window = [start, 0]
        if count:
            self._window[1] += 1
        used = self._window[1]
        remaining = max(self.rate_limit - used, 0)
        headers = [("X-RateLimit-Limit", str(self.rate_limit)),
                   ("X-RateLimit-Remaining", str(remaining)),
                   ("X-RateLimit-Reset", self._reset_iso(start + period))]
        return headers, used > self.rate_limit

    def _forced_failure(self, method):
        f = self.failures.take(method)
        if not f:
            return None
        if f.kind == "error":
            return f.status, [], self._error_body(f.status)
        return 429, [("X-RateLimit-Limit", str(self.rate_limit)),
                     ("X-RateLimit-Remaining", "0"),
                     ("X-RateLimit-Reset", self._reset_iso(f.reset_at()))], \
            {"error": "Too many requests"}

    def _error_body(self, status):
        return ("<!DOCTYPE html><html><head><title>We're sorry, but "
                "something went wrong (%d)</title></head><body><h1>We're "
                "sorry, but something went wrong on our end.</h1></body>"
                "</html>" % status).encode()

    def _parse(self, method, full_path, headers, raw):
        """Parameters from the query, a form or a JSON object; the token from
        "Authorization: Bearer" or access_token."""
        path, query, body, bad = fakekit.parse_request(full_path, headers, raw)
        params = fakekit.merged(query, body)
        req = Request(method, path, query, headers, raw, params,
                      fakekit.bearer_token(headers) or params.get("access_token"))
        req.bad = bad or not isinstance(body, dict)
        return req

    def _answer(self, method, full_path, headers, raw):
        if method == "GET" and \
                urllib.parse.urlsplit(full_path).path == "/api/v1/notifications":
            self._hold_if_asked()
        return super()._answer(method, full_path, headers, raw)

    def _respond(self, req):
        failed = self._forced_failure(req.method)
        if failed:
            req.kind = "forced_failure"
            return failed
        if not path_is_api(req.path):
            return 404, [], {"error": "Record not found"}
        if req.token not in self.tokens:
            req.kind = "unauthorized"
            return 401, [], {"error": "The access token is invalid"}
        rate, over = self._rate_headers(time.time())
        if over:
            req.kind = "rate_limited"
            return 429, rate, {"error": "Too many requests"}
        if req.bad:
            return 400, rate, {"error": "Error while parsing request body"}
        status, body = self._dispatch(req)
        return status, rate + self._link(req, body), body

    # -- routes ----------------------------------------------------------

    def _dispatch(self, req):
        segs = [s for s in req.path.split("/") if s][2:]  # after api/v1
        m = req.method
        if m == "GET" and segs == ["accounts", "verify_credentials"]:
            return 200, self.me
        if m == "GET" and segs == ["notifications"]:
            req.kind = "poll_notifications"
            return 200, self._list_notifications(req)
        if m == "GET" and len(segs) == 2 and segs[0] == "notifications":
            n = self.notifications.get(segs[1])
            return (200, n) if n else (404, {"error": "Record not found"})
        if m == "GET" and segs == ["conversations"]:
            req.kind = "poll_conversations"
            return 200, self._list_conversations(req)
        if m == "POST" and len(segs) == 3 and segs[0] == "conversations" \
                and segs[2] == "read":
            c = self.conversations.get(segs[1])
            if not c:
                return 404, {"error": "Record not found"}
            c["unread"] = False
            return 200, self._public_conversation(c)
        if m == "GET" and len(segs) == 2 and segs[0] == "statuses":
            s = self.statuses.get(segs[1])
            return (200, s) if s else (404, {"error": "Record not found"})
        if m == "POST" and segs == ["statuses"]:
            return self._create_status(req)
        if m == "POST" and len(segs) == 3 and segs[0] == "statuses" \
                and segs[2] == "reblog":
            return self._reblog(req, segs[1])
        return 404, {"error": "Record not found"}

    @staticmethod
    def _limit(params, default, maximum):
        try:
            return min(abs(int(params["limit"])), maximum)
        except (KeyError, ValueError, TypeError):
            return default

    @staticmethod
    def _page(items, key, params, limit):
        """Mastodon's paginate_by_id: newest first; max_id exclusive upper
        bound; since_id exclusive lower bound (newest page above it); min_id
        the page immediately above it."""
        max_id = _id_key(params.get("max_id"))
        since_id = _id_key(params.get("since_id"))
        min_id = _id_key(params.get("min_id"))
        sel = [i for i in items
               if (max_id is None or key(i) < max_id)
               and (since_id is None or key(i) > since_id)
               and (min_id is None or key(i) > min_id)]
        sel.sort(key=key, reverse=True)
        if min_id is not None:
            return sel[-limit:] if limit else []
        return sel[:limit]

    def _list_notifications(self, req):
        q = req.query
        types = q.get("types[]") or q.get("types")
        exclude = q.get("exclude_types[]") or q.get("exclude_types")
        account_id = req.params.get("account_id")
        items = [n for n in self.notifications.values()
                 if (not types or n["type"] in types)
                 and (not exclude or n["type"] not in exclude)
                 and (not account_id or n["account"]["id"] == account_id)]
        page = self._page(items, lambda n: _id_key(n["id"]) or 0, req.params,
                          self._limit(req.params, 40, 80))
        req.page_keys = [p["id"] for p in page]
        return page

    def _list_conversations(self, req):
        key = lambda c: _id_key(c["last_status"]["id"]) or 0  # noqa: E731
        page = self._page(list(self.conversations.values()), key, req.params,
                          self._limit(req.params, 20, 40))
        req.page_keys = [c["last_status"]["id"] for c in page]
        return [self._public_conversation(c) for c in page]

    def _link(self, req, body):
        keys = getattr(req, "page_keys", None)
        if not keys:
            return []
        host = req.headers.get("host") or "127.0.0.1:%d" % self.port
        base = "http://%s%s" % (host, req.path)
        keep = []
        if "limit" in req.params:
            keep.append(("limit", req.params["limit"]))
        for name in ("types[]", "exclude_types[]"):
            for v in req.query.get(name, []):
                keep.append((name, v))
        if req.params.get("account_id"):
            keep.append(("account_id", req.params["account_id"]))

        def link(name, value, rel):
            qs = urllib.parse.urlencode(keep + [(name, value)], safe="[]")
            return '<%s?%s>; rel="%s"' % (base, qs, rel)
        return [("Link", "%s, %s" % (link("max_id", keys[-1], "next"),
                                     link("min_id", keys[0], "prev")))]

    def _create_status(self, req):
        p = req.params
        text = p.get("status") or ""
        key = req.headers.get("idempotency-key")
        now = time.monotonic()
        if key:
            hit = self._idem.get((req.token, key))
            if hit and hit[1] > now:
                req.kind = "status_repeat"
                return 200, self.statuses[hit[0]]
        if not str(text).strip():
            return 422, {"error": "Validation failed: Text can't be blank"}
        visibility = p.get("visibility") or "public"
        if visibility not in VISIBILITIES:
            return 422, {"error": "Validation failed: Visibility is not "
                                  "included in the list"}
        reply_to = p.get("in_reply_to_id") or None
        if reply_to and str(reply_to) not in self.statuses:
            return 404, {"error": "The post you are trying to reply to does "
                                  "not appear to exist."}
        mentions = []
        for handle in re.findall(r"(?<![\w/])@([\w.]+(?:@[\w.-]+\w)?)", text):
            for a in self.accounts.values():
                if handle in (a["acct"], a["username"]) and a not in mentions:
                    mentions.append(a)
        s = self._status(self._next_status_id(), self.me, text_to_html(text),
                         visibility, reply_to, mentions,
                         application={"name": self.app_name, "website": None},
                         spoiler_text=p.get("spoiler_text") or "",
                         sensitive=str(p.get("sensitive")).lower() in ("true", "1"),
                         language=p.get("language") or "en")
        if visibility == "direct":
            conv = self._conversation_of(str(reply_to)) if reply_to else None
            if conv is None:
                self._conv_seq += 1
                conv = {"id": str(self._conv_seq), "unread": False,
                        "accounts": [a for a in mentions if a is not self.me],
                        "last_status": s}
                self.conversations[conv["id"]] = conv
            conv["_statuses"] = conv.get("_statuses", set()) | {s["id"]}
            conv["last_status"] = s
            conv["unread"] = False
        if key:
            self._idem[(req.token, key)] = (s["id"], now + self.idempotency_ttl)
        self.posted.append(s)
        req.kind = "status"
        return 200, s

    def _reblog(self, req, status_id):
        target = self.statuses.get(status_id)
        if target is None:
            return 404, {"error": "Record not found"}
        if target["reblog"] is not None:
            target = target["reblog"]
        for b in self.boosts:
            if b["reblog"]["id"] == target["id"]:
                req.kind = "reblog_repeat"
                return 200, b
        if target["visibility"] in ("private", "direct") \
                and target["account"]["id"] != self.me["id"]:
            return 403, {"error": "This action is not allowed"}
        visibility = req.params.get("visibility") or "public"
        if visibility not in ("public", "unlisted", "private"):
            return 422, {"error": "Validation failed: Visibility is not "
                                  "included in the list"}
        target["reblogged"] = True
        target["reblogs_count"] += 1
        b = self._status(self._next_status_id(), self.me, "", visibility,
                         application={"name": self.app_name, "website": None})
        b["reblog"] = target
        b["reblogged"] = True
        self.boosts.append(b)
        req.kind = "reblog"
        return 200, b

    # -- waiting (wait_for: fakekit.FakeServer) ----------------------------

    def snapshot(self):
        with self.lock:
            return {"requests": list(self.requests), "posted": list(self.posted),
                    "boosts": list(self.boosts),
                    "conversations": [self._public_conversation(c)
                                      for c in self.conversations.values()]}


def path_is_api(path):
    return path.startswith("/api/v1/")


if __name__ == "__main__":
    m = FakeMastodon(port=fakekit.port_from_argv()).start()
    m.add_mention("103186126728896492", "sup!", m.account("971724", "zsc"),
                  notification_id="34975861")
    m.add_direct("103196583826321184", "can you help?",
                 m.account("482403", "amic", acct="amic@nulled.red"),
                 conversation_id="418450")
    fakekit.run_standalone(
        m, ("fake Mastodon on", m.base_url, "token test-mastodon-token"),
        lambda r: (r.status, r.method, r.path, r.kind))

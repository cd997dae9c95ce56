"""A fake X API v2 for the "x" channel: the mentions timeline in, replies
and reposts out.

Standard library only, loopback only (127.0.0.1). Use it as a context manager
or call start() and stop(); stop() closes the socket (the API is down) and
start() again reopens the same port with the same state.

Post and user objects are built from the documented examples in
../shared/data/fixtures/x (user_mention_quickstart.example0.json for a
mention with created_at / author_id / public_metrics,
posts_lookup_quickstart.example1.json for edit_history_tweet_ids and
includes.users; override the directory with $CLUETRAIN_FIXTURES). Fields are
returned the way v2 does it: by default only id, text and
edit_history_tweet_ids; tweet.fields=created_at,author_id,public_metrics,
conversation_id,in_reply_to_user_id,referenced_tweets adds those;
expansions=author_id (and in_reply_to_user_id) fills includes.users with
id, name, username plus what user.fields asks for (verified, ...). A
connector that forgets tweet.fields=author_id gets no author, as on X.
A post's text is returned with & < > escaped as &amp; &lt; &gt;, as v2 does
(tweets and the test side keep the text as posted).

The test side:
- user(id, username, name=None, verified=False) -> user object
- add_mention(tweet_id, text, author, in_reply_to_tweet_id=None, ...)
  a post that mentions our user (or mentioned_user_id)
- tweets (every post created by POST /2/tweets, in order: X has no
  idempotency key, so a retried POST that reached X is a second post here
  too), retweet_calls (every repost call), retweeted (ids reposted),
  requests (every request), snapshot(), wait_for(predicate, timeout)

The HTTP side (Authorization: Bearer <user token>, or an OAuth 1.0a header
whose oauth_token is a user token (the signature is not checked); an
app-only bearer token (app_token=) may read but gets 403 "Unsupported
Authentication" on the POST endpoints; anything else gets 401 with the
problem body {"title": "Unauthorized", "type": "about:blank", "status": 401,
"detail": "Unauthorized"}):
- GET  /2/users/me
- GET  /2/users/:id/mentions  since_id / until_id (exclusive bounds),
       max_results (default 10, 5..100, else 400 invalid-request),
       pagination_token (opaque; next_token goes to older posts, down to
       since_id, previous_token back), tweet.fields, expansions, user.fields.
       Newest first; only the 800 most recent mentions are reachable.
       meta: result_count, newest_id, oldest_id, next_token when older posts
       remain, previous_token on pages reached with a token; an empty result
       is {"meta": {"result_count": 0}} with no "data".
       Note how since_id and pagination interact: with since_id and more new
       posts than max_results, the first page is the *newest* ones and
       next_token walks back towards since_id, so a poller must follow
       next_token before it moves its since_id to the first page's newest_id.
- GET  /2/tweets/:id   (unknown -> 200 with "errors", resource-not-found)
- POST /2/tweets  JSON {"text": ..., "reply": {"in_reply_to_tweet_id": ...}}
       -> 201 {"data": {"id", "text", "edit_history_tweet_ids"}}; a body that
       is not a JSON object or has no text -> 400 invalid-request; a reply to
       an unknown post -> 403. reject_duplicate_text=True makes an identical
       text from us a 403 "duplicate content" instead of a second post.
- POST /2/users/:id/retweets  JSON {"tweet_id": ...} -> 200
       {"data": {"retweeted": true}}; :id must be the authenticated user.
- POST /2/oauth2/token  (OAuth 2.0 refresh, no bearer token) form
       grant_type=refresh_token&refresh_token=..&client_id=.. (Content-Type
       application/x-www-form-urlencoded); when the fake has a client_secret,
       also Authorization: Basic base64(client_id:client_secret), else 401
       {"error": "unauthorized_client", ...}. -> 200 {"token_type": "bearer",
       "expires_in", "access_token", "scope", "refresh_token"}. The refresh
       token rotates: the one used (or one the fake never issued) gets 400
       {"error": "invalid_request", "error_description": ...}. A missing or
       other grant_type / client_id: 400 too.

Tokens: the token given to the constructor never expires (unless
expire_tokens() is called); issue_tokens(lifetime=None) hands out a fresh
pair (access, refresh) as an authorisation would; tokens from a refresh last
token_lifetime seconds (7200 as on X). An expired or unknown access token
gets the 401 problem on every endpoint. expire_tokens() makes every access
token issued so far expire now; refresh_requests (every token request, in
order, answered or refused) and refreshed (successful ones) count them;
delay_refreshes(seconds) makes the token endpoint answer that much later
(other requests are answered meanwhile: a renewal in progress).

Rate limits: every answer carries x-rate-limit-limit, x-rate-limit-remaining
and x-rate-limit-reset (Unix seconds) for the endpoint's own 15-minute
window, with the documented per-user limits (mentions 300, POST /2/tweets
100, retweets 50, tweet lookup 900, users/me 75); set_rate_limit(endpoint,
limit, period) shrinks one. Past the limit, or while rate_limit_first() /
rate_limit_for() is in force: 429 {"errors": [{"code": 88, "message": "Rate
limit exceeded"}]} (the body the rate-limit page documents; key on the status
and the headers, not on the body).

Server, recording, waiting and the failure switches are fakekit.FakeServer's.
Failure modes: fail_first(n) / fail_for(seconds) / fail_until(unix_time)
(500 or any status, optionally one HTTP method only); fail_paging_first(n)
(only mentions requests with a pagination_token: a walk that breaks off);
expire_pagination_tokens() (the tokens handed out so far get 400);
fail_after_processing_first(n) performs the next n POSTs and then answers
500, or drops the connection with status=None; delay(seconds).

Run standalone:  python3 fake_x.py [PORT]   (user token "test-x-token",
user id 2244994945 @XDevelopers, one mention from the documented example)
"""

import base64
import copy
import html
import re
import time
import urllib.parse

import fakekit

FIXTURES = fakekit.FIXTURES

PROBLEMS = "https://api.x.com/2/problems/"
TWEET_FIELDS = ("created_at", "author_id", "public_metrics", "conversation_id",
                "in_reply_to_user_id", "referenced_tweets", "lang")
DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")
TWEPOCH_MS = 1288834974657
VISIBLE_MENTIONS = 800

# endpoint -> (limit, period s): the per-user column of the rate-limit table
RATE_LIMITS = {
    "GET /2/users/:id/mentions": (300, 900),
    "POST /2/tweets": (100, 900),
    "POST /2/users/:id/retweets": (50, 900),
    "GET /2/tweets/:id": (900, 900),
    "GET /2/users/me": (75, 900),
}


def load_fixture(name):
    return fakekit.load_fixture("x", name)


_iso = fakekit.iso_ms
_int = fakekit.int_or_none


def problem(status, title, detail, type_="about:blank", with_status=None,
            **extra):
    """An RFC 7807-style problem as the v2 API answers errors."""
    body = {"title": title, "detail": detail, "type": type_}
    if with_status if with_status is not None else type_ == "about:blank":
        body["status"] = status
    body.update(extra)
    return body


def invalid_request(message, parameters=None):
    err = {"message": message}
    if parameters:
        err["parameters"] = parameters
    return problem(400, "Invalid Request",
                   "One or more parameters to your request was invalid.",
                   PROBLEMS + "invalid-request", errors=[err])


class Request(fakekit.Exchange):
    """One request as the fake saw it: method, path, query (dict name ->
    last value), headers (lower-case names), raw, body (parsed JSON body or
    None), token, status, response, kind ("tweet", "retweet",
    "poll_mentions", ...)."""

    def __init__(self, method, path, query, headers, raw, body, token):
        super().__init__(method, path, headers, raw, query=query, body=body,
                         token=token)


class FakeX(fakekit.FakeServer):
    """A threaded fake of api.x.com (v2) for one authenticated user."""

    http_methods = ("GET", "POST", "PUT", "DELETE")

    def __init__(self, token="test-x-token", port=0, user_id="2244994945",
                 username="XDevelopers", app_token=None,
                 reject_duplicate_text=False, client_id="test-x-client",
                 client_secret=None, token_lifetime=7200):
        super().__init__(port)
        self.tokens = {token}
        self.expires = {token: None}  # access token -> unix time, None: never
        self.refresh_tokens = set()  # the refresh tokens valid now
        self.client_id, self.client_secret = client_id, client_secret
        self.token_lifetime = token_lifetime
        self._issued = 0
        self._refresh_delay = 0.0
        self.app_tokens = {app_token} if app_token else set()
        self.reject_duplicate_text = reject_duplicate_text
        mention_doc = load_fixture("user_mention_quickstart.example0.json")
        lookup_doc = load_fixture("posts_lookup_quickstart.example1.json")
        self._tweet_template = dict(mention_doc["data"][0])
        self._tweet_template["edit_history_tweet_ids"] = \
            lookup_doc["data"]["edit_history_tweet_ids"]
        self._user_template = dict(mention_doc["includes"]["users"][0])
        self.users = {}  # id -> user object (all fields we know)
        self.me = self.user(user_id, username, verified=True)
        self.posts = {}  # id -> post object (all fields we know)
        self.mentions = {}  # mentioned user id -> [post id]
        self.tweets = []  # posts created by POST /2/tweets, duplicates too
        self.retweet_calls = []  # {"user_id", "tweet_id"} per successful call
        self.retweeted = set()
        self.limits = {k: list(v) for k, v in RATE_LIMITS.items()}
        self._windows = {}  # endpoint -> [start, used]
        self._tokens = {}  # pagination token -> (direction, bound, user)
        self._last_id = 0
        self._seq = 0
        self._paging_failures = None  # [count, status]: fail_paging_first

    # -- entities --------------------------------------------------------

    def user(self, id, username, name=None, verified=False):
        """A user object shaped like includes.users in the examples."""
        u = copy.deepcopy(self._user_template)
        u.update({"id": str(id), "username": username,
                  "name": name if name is not None else username,
                  "verified": bool(verified)})
        self.users[u["id"]] = u
        return u

    def _author(self, author):
        if isinstance(author, dict):
            self.users.setdefault(author["id"], author)
            return author
        for u in self.users.values():
            if u["username"] == author:
                return u
        self._seq += 1
        return self.user(str(1234567890 + self._seq), author)

    def _post(self, post_id, text, author, in_reply_to=None,
              conversation_id=None, created_at=None, lang=None):
        p = copy.deepcopy(self._tweet_template)
        pid = str(post_id)
        p.update({"id": pid, "text": text, "author_id": author["id"],
                  "created_at": created_at or _iso(),
                  "public_metrics": {"retweet_count": 0, "reply_count": 0,
                                     "like_count": 0, "quote_count": 0},
                  "edit_history_tweet_ids": [pid]})
        parent = self.posts.get(str(in_reply_to)) if in_reply_to else None
        if in_reply_to:
            p["referenced_tweets"] = [{"type": "replied_to",
                                       "id": str(in_reply_to)}]
            if parent:
                p["in_reply_to_user_id"] = parent["author_id"]
                parent["public_metrics"]["reply_count"] += 1
        p["conversation_id"] = str(conversation_id or (
            parent.get("conversation_id", parent["id"]) if parent else pid))
        if lang:
            p["lang"] = lang
        self.posts[pid] = p
        return p

    def _next_id(self):
        """Snowflake: ms since the Twitter epoch << 22, always increasing."""
        pid = (int(time.time() * 1000) - TWEPOCH_MS) << 22
        known = [k for k in map(_int, self.posts) if k is not None]
        pid = max(pid, self._last_id + 1, (max(known) + 1) if known else 0)
        self._last_id = pid
        return str(pid)

    # -- the test side: inbound ------------------------------------------

    def add_mention(self, tweet_id, text, author, in_reply_to_tweet_id=None,
                    conversation_id=None, created_at=None,
                    mentioned_user_id=None):
        """A post by `author` (user object or username) that mentions our
        user (or mentioned_user_id). Returns the post (all fields)."""
        with self.lock:
            a = self._author(author)
            p = self._post(tweet_id, text, a, in_reply_to_tweet_id,
                           conversation_id, created_at)
            target = str(mentioned_user_id or self.me["id"])
            self.mentions.setdefault(target, []).append(p["id"])
            self.changed.notify_all()
            return copy.deepcopy(p)

    # -- the test side: tokens -------------------------------------------

    def _issue(self, lifetime):
        self._issued += 1
        access = "x-access-%d-%s" % (self._issued, base64.b32encode(
            str(time.time()).encode()).decode().rstrip("=").lower()[-8:])
        refresh = "x-refresh-%d" % self._issued
        self.tokens.add(access)
        self.expires[access] = time.time() + lifetime if lifetime else None
        self.refresh_tokens.add(refresh)
        return access, refresh

    def issue_tokens(self, lifetime=None):
        """A fresh (access_token, refresh_token) pair, as the authorization
        code flow with offline.access hands out; the access token lasts
        `lifetime` seconds (None: until expire_tokens())."""
        with self.lock:
            return self._issue(lifetime)

    def expire_tokens(self):
        """Every access token issued so far expires now (401 from now on);
        the refresh tokens stay valid."""
        with self.lock:
            now = time.time()
            for t in self.tokens:
                self.expires[t] = now

    def delay_refreshes(self, seconds):
        """Answer each token request `seconds` later (0: at once); the
        wait holds no lock, so other requests are answered meanwhile."""
        with self.lock:
            self._refresh_delay = seconds

    def _answer(self, method, full_path, headers, raw):
        with self.lock:
            pause = self._refresh_delay
        if pause and urllib.parse.urlsplit(full_path).path == "/2/oauth2/token":
            time.sleep(pause)
        return super()._answer(method, full_path, headers, raw)

    def token_valid(self, token):
        exp = self.expires.get(token, 0)
        return token in self.tokens and (exp is None or exp > time.time())

    @property
    def refresh_requests(self):
        """Every request to the token endpoint so far, in order (no lock
        taken: usable inside wait_for)."""
        return [r for r in list(self.requests) if r.path == "/2/oauth2/token"]

    @property
    def refreshed(self):
        """The successful refreshes so far."""
        return [r for r in self.refresh_requests if r.status == 200]

    # -- behaviour -------------------------------------------------------

    def set_rate_limit(self, endpoint, limit, period=900):
        """e.g. set_rate_limit("GET /2/users/:id/mentions", 3, 2)"""
        with self.lock:
            self.limits[endpoint] = [limit, period]
            self._windows.pop(endpoint, None)

    # fail_first / fail_for / fail_until / rate_limit_first / rate_limit_for /
    # fail_after_processing_first / delay: fakekit.FakeServer

    def _content_type(self, status, body):
        if status >= 400 and "title" in body:
            return "application/problem+json"
        return self.content_type

    # -- request handling ------------------------------------------------

    @staticmethod
    def _token(headers):
        auth = headers.get("authorization", "")
        if auth[:6].lower() == "oauth ":
            m = re.search(r'oauth_token="([^"]*)"', auth)
            return urllib.parse.unquote(m.group(1)) if m else None
        return fakekit.bearer_token(headers)

    @staticmethod
    def _endpoint(method, segs):
        if method == "GET" and segs == ["2", "users", "me"]:
            return "GET /2/users/me"
        if method == "GET" and len(segs) == 4 and segs[:2] == ["2", "users"] \
                and segs[3] == "mentions":
            return "GET /2/users/:id/mentions"
        if method == "GET" and len(segs) == 3 and segs[:2] == ["2", "tweets"]:
            return "GET /2/tweets/:id"
        if method == "POST" and segs == ["2", "tweets"]:
            return "POST /2/tweets"
        if method == "POST" and len(segs) == 4 and segs[:2] == ["2", "users"] \
                and segs[3] == "retweets":
            return "POST /2/users/:id/retweets"
        return None

    def _parse(self, method, full_path, headers, raw):
        path, query, _, _ = fakekit.parse_request(full_path, {}, b"")
        return Request(method, path, fakekit.merged(query, None), headers,
                       raw, fakekit.json_body(raw), self._token(headers))

    def _rate(self, endpoint, now, count=True):
        limit, period = self.limits.get(endpoint, (900, 900))
        w = self._windows.get(endpoint)
        if not w or now >= w[0] + period:
            w = self._windows[endpoint] = [now, 0]
        if count:
            w[1] += 1
        headers = [("x-rate-limit-limit", str(limit)),
                   ("x-rate-limit-remaining", str(max(limit - w[1], 0))),
                   ("x-rate-limit-reset", str(int(w[0] + period)))]
        return headers, w[1] > limit

    def expire_pagination_tokens(self):
        """Forget every pagination token handed out: using one now gets 400
        invalid-request, as an old token does on X."""
        with self.lock:
            self._tokens.clear()

    def succeed(self):
        """Answer normally from now on (paging failures too)."""
        super().succeed()
        with self.lock:
            self._paging_failures = None

    def fail_paging_first(self, n, status=500):
        """Answer `status` to the next n mentions requests that carry a
        pagination_token (a failure in the middle of a walk back)."""
        with self.lock:
            self._paging_failures = [n, status]

    def _forced_failure(self, req, endpoint):
        pf = self._paging_failures
        if pf and pf[0] > 0 and endpoint == "GET /2/users/:id/mentions" \
                and req.query.get("pagination_token"):
            pf[0] -= 1
            return pf[1], [], self._error_body(pf[1])
        f = self.failures.take(req.method)
        if not f:
            return None
        if f.kind == "error":
            return f.status, [], self._error_body(f.status)
        limit = self.limits.get(endpoint, (900, 900))[0]
        return 429, [("x-rate-limit-limit", str(limit)),
                     ("x-rate-limit-remaining", "0"),
                     ("x-rate-limit-reset", str(int(f.reset_at() + 0.999)))], \
            {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}

    @staticmethod
    def _error_body(status):
        title = {500: "Internal Server Error", 502: "Bad Gateway",
                 503: "Service Unavailable", 504: "Gateway Timeout"}.get(
                     status, "Error")
        return problem(status, title, title)

    def _respond(self, req):
        segs = [s for s in req.path.split("/") if s]
        endpoint = self._endpoint(req.method, segs)
        failed = self._forced_failure(req, endpoint)
        if failed:
            req.kind = "forced_failure"
            return failed
        if req.method == "POST" and segs == ["2", "oauth2", "token"]:
            req.kind = "token_refresh"
            return self._refresh(req)
        user_ctx = self.token_valid(req.token)
        if not user_ctx and req.token not in self.app_tokens:
            req.kind = "unauthorized"
            return 401, [], problem(401, "Unauthorized", "Unauthorized")
        if endpoint is None:
            return 404, [], {"errors": [{"message": "Sorry, that page does "
                                         "not exist", "code": 34}]}
        rate, over = self._rate(endpoint, time.time())
        if over:
            req.kind = "rate_limited"
            return 429, rate, {"errors": [{"code": 88,
                                           "message": "Rate limit exceeded"}]}
        if not user_ctx and (req.method == "POST"
                             or endpoint == "GET /2/users/me"):
            return 403, rate, problem(
                403, "Unsupported Authentication",
                "Authenticating with OAuth 2.0 Application-Only is forbidden "
                "for this endpoint.  Supported authentication types are "
                "[OAuth 1.0a User Context, OAuth 2.0 User Context].",
                PROBLEMS + "unsupported-authentication", with_status=True)
        status, body = self._dispatch(req, endpoint, segs)
        return status, rate, body

    # -- the token endpoint ------------------------------------------------

    def _client_refused(self, req):
        """The 401 for a confidential client without the right Basic
        credentials, or None."""
        if not self.client_secret:
            return None
        want = base64.b64encode(("%s:%s" % (self.client_id, self.client_secret))
                                .encode()).decode()
        if req.headers.get("authorization", "") == "Basic " + want:
            return None
        return 401, [], {"error": "unauthorized_client",
                         "error_description": "Missing valid authorization header"}

    def _refresh(self, req):
        ctype = req.headers.get("content-type", "")
        form = dict(urllib.parse.parse_qsl(req.raw.decode("utf-8", "replace")))
        req.form = form
        if not ctype.startswith("application/x-www-form-urlencoded") or \
                form.get("grant_type") != "refresh_token" or \
                form.get("client_id") != self.client_id:
            return 400, [], {"error": "invalid_request", "error_description":
                             "Missing required parameter [grant_type], "
                             "[client_id] or [refresh_token]."}
        refused = self._client_refused(req)
        if refused:
            return refused
        rt = form.get("refresh_token")
        if rt not in self.refresh_tokens:
            return 400, [], {"error": "invalid_request", "error_description":
                             "Value passed for the token was invalid."}
        self.refresh_tokens.discard(rt)  # rotation: the old one is dead
        access, refresh = self._issue(self.token_lifetime)
        return 200, [], {"token_type": "bearer", "expires_in": self.token_lifetime,
                         "access_token": access, "scope":
                         "tweet.write users.read tweet.read offline.access",
                         "refresh_token": refresh}

    # -- routes ----------------------------------------------------------

    def _dispatch(self, req, endpoint, segs):
        if endpoint == "GET /2/users/me":
            return 200, {"data": self._user_view(self.me, req.query)}
        if endpoint == "GET /2/users/:id/mentions":
            req.kind = "poll_mentions"
            return self._mentions(req, segs[2])
        if endpoint == "GET /2/tweets/:id":
            p = self.posts.get(segs[2])
            if not p:
                return 200, {"errors": [{
                    "value": segs[2], "detail": "Could not find tweet with "
                    "id: [%s]." % segs[2], "title": "Not Found Error",
                    "resource_type": "tweet", "parameter": "id",
                    "resource_id": segs[2],
                    "type": PROBLEMS + "resource-not-found"}]}
            out = {"data": self._post_view(p, req.query)}
            inc = self._includes([p], req.query)
            if inc:
                out["includes"] = inc
            return 200, out
        if endpoint == "POST /2/tweets":
            return self._create(req)
        if endpoint == "POST /2/users/:id/retweets":
            return self._retweet(req, segs[2])
        return 404, {"errors": [{"message": "Sorry, that page does not exist",
                                 "code": 34}]}

    @staticmethod
    def _csv(query, name):
        return [v for v in (query.get(name) or "").split(",") if v]

    def _post_view(self, p, query):
        """The post as X returns it: the fields asked for, and the text with
        & < > escaped as &amp; &lt; &gt; (as v2 does)."""
        wanted = set(DEFAULT_TWEET_FIELDS) | (
            set(self._csv(query, "tweet.fields")) & set(TWEET_FIELDS))
        view = {k: copy.deepcopy(v) for k, v in p.items() if k in wanted}
        view["text"] = html.escape(view["text"], quote=False)
        return view

    def _user_view(self, u, query):
        wanted = set(DEFAULT_USER_FIELDS) | set(self._csv(query, "user.fields"))
        return {k: v for k, v in u.items() if k in wanted}

    def _includes(self, posts, query):
        exp = self._csv(query, "expansions")
        ids = []
        for p in posts:
            for field in ("author_id", "in_reply_to_user_id"):
                if field in exp and p.get(field) and p[field] not in ids:
                    ids.append(p[field])
        users = [self._user_view(self.users[i], query) for i in ids
                 if i in self.users]
        return {"users": users} if users else {}

    def _encode_token(self, direction, bound, user_id):
        tok = base64.b32encode(("%s%s" % (direction, bound)).encode()).decode()
        tok = tok.rstrip("=").lower()
        self._tokens[tok] = (direction, int(bound), user_id)
        return tok

    def _mentions(self, req, user_id):
        q = req.query
        mr = q.get("max_results")
        if mr is None:
            max_results = 10
        else:
            max_results = _int(mr)
            if max_results is None or not 5 <= max_results <= 100:
                return 400, invalid_request(
                    "The `max_results` query parameter value [%s] is not "
                    "between 5 and 100" % mr, {"max_results": [mr]})
        since_id, until_id = _int(q.get("since_id")), _int(q.get("until_id"))
        for name in ("since_id", "until_id"):
            if q.get(name) is not None and _int(q[name]) is None:
                return 400, invalid_request(
                    "The `%s` query parameter value [%s] is not valid"
                    % (name, q[name]), {name: [q[name]]})
        ids = sorted((int(i) for i in self.mentions.get(user_id, [])),
                     reverse=True)[:VISIBLE_MENTIONS]
        ids = [i for i in ids if (since_id is None or i > since_id)
               and (until_id is None or i < until_id)]
        token = q.get("pagination_token")
        if token:
            t = self._tokens.get(token)
            if not t or t[2] != user_id:
                return 400, invalid_request(
                    "The `pagination_token` query parameter value [%s] is "
                    "not valid" % token, {"pagination_token": [token]})
            direction, bound = t[0], t[1]
            if direction == "n":
                page = [i for i in ids if i < bound][:max_results]
            else:
                page = [i for i in ids if i > bound][-max_results:]
        else:
            page = ids[:max_results]
        if not page:
            return 200, {"meta": {"result_count": 0}}
        posts = [self.posts[str(i)] for i in page]
        out = {"data": [self._post_view(p, q) for p in posts]}
        inc = self._includes(posts, q)
        if inc:
            out["includes"] = inc
        meta = {"newest_id": str(page[0]), "oldest_id": str(page[-1]),
                "result_count": len(page)}
        if any(i < page[-1] for i in ids):
            meta["next_token"] = self._encode_token("n", page[-1], user_id)
        if token:
            meta["previous_token"] = self._encode_token("p", page[0], user_id)
        out["meta"] = meta
        return 200, out

    def _create(self, req):
        b = req.body
        if not isinstance(b, dict):
            return 400, invalid_request("Request body must be a JSON object")
        text = b.get("text")
        media = (b.get("media") or {}).get("media_ids") if isinstance(
            b.get("media"), dict) else None
        if not (isinstance(text, str) and text.strip()) and not media:
            return 400, invalid_request(
                "Post text is required when no media is attached",
                {"text": [text]})
        reply = b.get("reply")
        reply_to = None
        if reply is not None:
            if not isinstance(reply, dict) or not reply.get("in_reply_to_tweet_id"):
                return 400, invalid_request(
                    "$.reply: required property in_reply_to_tweet_id missing")
            reply_to = str(reply["in_reply_to_tweet_id"])
            if reply_to not in self.posts:
                return 403, problem(
                    403, "Forbidden", "You attempted to reply to a Tweet that "
                    "is deleted or not visible to you.")
        if self.reject_duplicate_text and any(
                t["text"] == text for t in self.tweets):
            req.kind = "duplicate_rejected"
            return 403, problem(403, "Forbidden", "You are not allowed to "
                                "create a Tweet with duplicate content.")
        p = self._post(self._next_id(), text or "", self.me, reply_to)
        self.tweets.append(copy.deepcopy(p))
        req.kind = "tweet"
        return 201, {"data": {"id": p["id"], "text": p["text"],
                              "edit_history_tweet_ids": [p["id"]]}}

    def _retweet(self, req, user_id):
        if user_id != self.me["id"]:
            return 403, problem(403, "Forbidden", "You are not permitted to "
                                "perform this action on behalf of another user.")
        b = req.body
        tweet_id = str(b.get("tweet_id")) if isinstance(b, dict) and \
            b.get("tweet_id") else None
        if not tweet_id:
            return 400, invalid_request(
                "$.tweet_id: required property tweet_id missing")
        if tweet_id not in self.posts:
            return 404, problem(
                404, "Not Found Error", "Could not find tweet with tweet_id: "
                "[%s]." % tweet_id, PROBLEMS + "resource-not-found")
        if tweet_id not in self.retweeted:
            self.retweeted.add(tweet_id)
            self.posts[tweet_id]["public_metrics"]["retweet_count"] += 1
        self.retweet_calls.append({"user_id": user_id, "tweet_id": tweet_id})
        req.kind = "retweet"
        return 200, {"data": {"retweeted": True}}

    # -- waiting (wait_for: fakekit.FakeServer) ----------------------------

    def snapshot(self):
        with self.lock:
            return {"requests": list(self.requests), "tweets": list(self.tweets),
                    "retweet_calls": list(self.retweet_calls),
                    "retweeted": set(self.retweeted)}


if __name__ == "__main__":
    x = FakeX(port=fakekit.port_from_argv()).start()
    doc = load_fixture("user_mention_quickstart.example0.json")
    for d in doc["data"]:
        author = doc["includes"]["users"][0]
        x.add_mention(d["id"], d["text"], x.user(author["id"], author["username"],
                                                 author["name"], author["verified"]),
                      created_at=d["created_at"])
    fakekit.run_standalone(
        x, ("fake X API on", x.base_url, "user token test-x-token, user id",
            x.me["id"]), lambda r: (r.status, r.method, r.path, r.kind))

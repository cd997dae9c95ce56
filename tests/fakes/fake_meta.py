"""Fakes for Meta's side of the "meta" channel: signed webhook deliveries in,
Graph API calls out.

Two halves, both standard library only, both loopback only:

1. MetaWebhookSender plays Meta's webhook service against cluetrain's
   /hooks/meta/<channel id>:
   - verify_handshake(): the GET Meta sends when a callback URL is configured,
     ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...; a correct
     endpoint answers 200 with the challenge as the body, otherwise 403.
   - deliver(): a POST with a JSON body and the header
     X-Hub-Signature-256: "sha256=" + hex(HMAC-SHA256(app secret, raw body)).
     The body is serialised the way Meta does (meta_json): non-ASCII as
     \\uXXXX with lower-case hex, and "/" "<" "%" "@" escaped too, so a
     receiver that re-serialises the parsed JSON instead of hashing the raw
     bytes gets a different HMAC, as it would in production.
     signature="wrong" / "missing" / "malformed" / "sha1" exercise the 401 path.
   - payload builders for the documented shapes: page_feed_comment(),
     messenger_message(), instagram_comment(), instagram_message(),
     whatsapp_text_message() (see each docstring for the documented fields).

2. FakeGraphAPI plays graph.facebook.com for the replies and look-ups:
   - POST /{version}/{comment-id}/comments     message=...   -> {"id": ...}
   - POST /{version}/{comment-id}              is_hidden=true -> {"success": true}
     (Facebook; an Instagram comment takes hide=true instead, answered the
     same way)
   - POST /{version}/me/messages  (and /{page-id}/messages)
         {"recipient": {"id": PSID/IGSID}, "message": {"text": ...}}
         -> {"recipient_id": ..., "message_id": ...}
   - POST /{version}/{phone-number-id}/messages (WhatsApp Cloud API)
         {"messaging_product": "whatsapp", "to": ..., "type": "text",
          "text": {"body": ...}}
         -> {"messaging_product": "whatsapp",
             "contacts": [{"input": to, "wa_id": to}],
             "messages": [{"id": "wamid...."}]}
     A phone-number id is any id registered with add_phone_number(); every
     other id ending in /messages is treated as a Page / Instagram account.
   - GET /{version}/{PSID}?fields=first_name,last_name (Messenger's User
     Profile API) -> {"first_name", "last_name", "id"}, and
     GET /{version}/{IGSID}?fields=name,username (Instagram's) ->
     {"name", "username", "id"}, for the people registered with
     add_profile() / add_instagram_profile(); only the requested fields
     (and id) are answered, a field the node does not have is error 100
     "Tried accessing nonexisting field", an id nobody registered is error
     100 subcode 33 "Object with ID ... does not exist" (HTTP 400, as the
     Graph API answers both). Each answered look-up is in `lookups`.
   - the access token is taken from ?access_token=, a form / JSON field
     access_token, or "Authorization: Bearer ..."; a missing token gets code
     2500, an unknown one code 190 "Invalid OAuth access token" (HTTP 400 on
     Graph paths, 401 on a WhatsApp phone-number id, as the Cloud API error
     table lists for 190).
   - every error uses the documented shape
     {"error": {"message", "type", "code", "error_subcode"?, "fbtrace_id",
                "is_transient"?, "error_data"?}}.
   - rate limiting the way Meta does it: NOT a plain HTTP 429 with
     Retry-After, but an error body with a throttling code (4 app, 17 user,
     32 page, 613 custom; BUC 80001 pages, 80002 instagram, 80006 messenger;
     WhatsApp 80007, 130429 throughput, 131056 pair rate) plus the usage
     headers X-App-Usage: {"call_count", "total_cputime", "total_time"}
     (percentages) and/or X-Business-Use-Case-Usage:
     {"<business object id>": [{"type", "call_count", "total_cputime",
     "total_time", "estimated_time_to_regain_access" (minutes)}]}.
     Meta tells clients to key on error.code, not the HTTP status; the fake
     answers 400 for Graph throttling codes and 429 for the WhatsApp ones by
     default, and rate_limit_first(..., http_status=...) picks any other.
   - 500 phases (error code 1 / 2, is_transient true) for the first N calls
     or for a while, and a delay; stop() makes it refuse connections (the
     server, recording, waiting and these switches are fakekit.FakeServer's).
   - records every call (GraphCall: method, path, query, headers, parsed
     params, status, response) and every effect it performed (replies,
     messages, hidden) once, so "delivered exactly once" can be checked: the
     Graph API has no idempotency key, so a retried POST that reached Meta is
     a second reply here too.

Run standalone:  python3 fake_meta.py [PORT]   (token "test-page-token")
"""

import hashlib
import hmac
import json
import re
import time
import urllib.parse

import fakekit

DEFAULT_VERSION = "v21.0"


# -- signing ---------------------------------------------------------------

def meta_json(obj):
    """Serialise like Meta's webhook bodies: ASCII only, lower-case \\u
    escapes, and "/" "<" "%" "@" escaped (see the Messenger webhook docs:
    the signature is computed over this escaped form)."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    text = (text.replace("/", "\\/").replace("<", "\\u003c")
            .replace("%", "\\u0025").replace("@", "\\u0040"))
    return text.encode("ascii")


def sign(app_secret, raw):
    """The X-Hub-Signature-256 value for raw body bytes."""
    if isinstance(app_secret, str):
        app_secret = app_secret.encode("utf-8")
    return "sha256=" + hmac.new(app_secret, raw, hashlib.sha256).hexdigest()


def verify_signature(app_secret, raw, header):
    """What a correct receiver does: constant-time compare over raw bytes."""
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(app_secret, raw), header)


# -- documented webhook payloads -------------------------------------------

def _now_s():
    return int(time.time())


def _now_ms():
    return int(time.time() * 1000)


def page_feed_comment(page_id, post_id, comment_id, message, from_id,
                      from_name, parent_id=None, verb="add",
                      created_time=None):
    """Page webhook, field "feed", item "comment" (Webhooks reference: Page,
    feed). post_id / comment_id are the Graph ids ("<page>_<post>",
    "<post>_<comment>"); parent_id is the post for a top-level comment or
    the parent comment for a reply."""
    value = {
        "from": {"id": str(from_id), "name": from_name},
        "post_id": str(post_id),
        "comment_id": str(comment_id),
        "parent_id": str(parent_id or post_id),
        "created_time": created_time or _now_s(),
        "item": "comment",
        "verb": verb,
        "message": message,
    }
    return {"object": "page",
            "entry": [{"id": str(page_id), "time": _now_s(),
                       "changes": [{"field": "feed", "value": value}]}]}


def messenger_message(page_id, psid, mid, text, timestamp=None):
    """Messenger "messages" webhook: entry[].messaging[] with sender.id (the
    PSID), recipient.id (the Page), timestamp (ms), message.mid/text."""
    ts = timestamp or _now_ms()
    return {"object": "page",
            "entry": [{"id": str(page_id), "time": ts,
                       "messaging": [{"sender": {"id": str(psid)},
                                      "recipient": {"id": str(page_id)},
                                      "timestamp": ts,
                                      "message": {"mid": mid, "text": text}}]}]}


def instagram_message(ig_account_id, igsid, mid, text, timestamp=None):
    """Instagram messaging webhook: same messaging[] shape as Messenger,
    object "instagram", sender.id the Instagram-scoped user id."""
    ts = timestamp or _now_ms()
    return {"object": "instagram",
            "entry": [{"id": str(ig_account_id), "time": ts,
                       "messaging": [{"sender": {"id": str(igsid)},
                                      "recipient": {"id": str(ig_account_id)},
                                      "timestamp": ts,
                                      "message": {"mid": mid, "text": text}}]}]}


def instagram_comment(ig_account_id, comment_id, text, from_id, username,
                      media_id, media_product_type="FEED", parent_id=None):
    """Instagram webhook, field "comments": value.id, from.id/username, text,
    media.id/media_product_type, parent_id for a reply to a comment."""
    value = {"from": {"id": str(from_id), "username": username},
             "media": {"id": str(media_id),
                       "media_product_type": media_product_type},
             "id": str(comment_id),
             "text": text}
    if parent_id:
        value["parent_id"] = str(parent_id)
    return {"object": "instagram",
            "entry": [{"id": str(ig_account_id), "time": _now_s(),
                       "changes": [{"field": "comments", "value": value}]}]}


def whatsapp_text_message(waba_id, phone_number_id, display_phone_number,
                          wa_id, profile_name, wamid, body, timestamp=None):
    """WhatsApp Cloud API "messages" webhook (text): entry[].changes[].value
    with messaging_product, metadata, contacts[].profile.name / wa_id,
    messages[].from/id/timestamp (string, seconds)/type "text"/text.body."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": str(display_phone_number),
                     "phone_number_id": str(phone_number_id)},
        "contacts": [{"profile": {"name": profile_name}, "wa_id": str(wa_id)}],
        "messages": [{"from": str(wa_id), "id": wamid,
                      "timestamp": str(timestamp or _now_s()),
                      "type": "text", "text": {"body": body}}],
    }
    return {"object": "whatsapp_business_account",
            "entry": [{"id": str(waba_id),
                       "changes": [{"value": value, "field": "messages"}]}]}


# -- the sender --------------------------------------------------------------

class Delivery:
    """One webhook request the sender made, with the answer it got."""

    def __init__(self, method, url, headers, raw, status, body):
        self.time = time.monotonic()
        self.method = method
        self.url = url
        self.headers = headers
        self.raw = raw
        self.status = status  # None when the connection failed
        self.body = body  # response body (bytes)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace") if self.body else ""

    def __repr__(self):
        return "Delivery(%s %s -> %s)" % (self.method, self.url, self.status)


class MetaWebhookSender:
    """Sends signed webhook deliveries and the verify handshake."""

    def __init__(self, app_secret, verify_token=None, timeout=10):
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.timeout = timeout
        self.deliveries = []  # every request made, in order

    def _send(self, method, url, headers, raw):
        status, body = fakekit.http_send(method, url, headers, raw, self.timeout)
        d = Delivery(method, url, headers, raw, status, body)
        self.deliveries.append(d)
        return d

    def verify_handshake(self, url, verify_token=None, challenge=None,
                         mode="subscribe"):
        """GET url?hub.mode=...&hub.verify_token=...&hub.challenge=...
        A correct endpoint answers 200 with exactly the challenge."""
        challenge = challenge if challenge is not None else "1158201444"
        token = verify_token if verify_token is not None else self.verify_token
        params = {"hub.mode": mode, "hub.challenge": challenge}
        if token is not None:
            params["hub.verify_token"] = token
        sep = "&" if "?" in url else "?"
        return self._send("GET", url + sep + urllib.parse.urlencode(params),
                          {"User-Agent": "facebookplatform/1.0"}, None)

    def deliver(self, url, payload, signature="valid", secret=None, raw=None):
        """POST a webhook. payload: a dict (serialised with meta_json) unless
        raw bytes are given. signature: "valid", "wrong" (signed with another
        secret), "missing", "malformed", "sha1" (only the legacy
        X-Hub-Signature header), "tampered" (valid signature of a different
        body), or a literal header value."""
        if raw is None:
            raw = meta_json(payload)
        headers = {"Content-Type": "application/json",
                   "User-Agent": "facebookexternalua"}
        key = secret if secret is not None else self.app_secret
        if signature == "valid":
            headers["X-Hub-Signature-256"] = sign(key, raw)
        elif signature == "wrong":
            headers["X-Hub-Signature-256"] = sign(str(key) + "-wrong", raw)
        elif signature == "missing":
            pass
        elif signature == "malformed":
            headers["X-Hub-Signature-256"] = "sha256=not-hex"
        elif signature == "sha1":
            if isinstance(key, str):
                key = key.encode()
            headers["X-Hub-Signature"] = "sha1=" + hmac.new(
                key, raw, hashlib.sha1).hexdigest()
        elif signature == "tampered":
            headers["X-Hub-Signature-256"] = sign(key, raw)
            raw = raw.replace(b"}", b" }", 1)
        else:
            headers["X-Hub-Signature-256"] = signature
        return self._send("POST", url, headers, raw)


# -- the fake Graph API -------------------------------------------------------

# Throttling codes as documented (Graph API rate limiting, error handling and
# the WhatsApp Cloud API error codes): code -> (message, default HTTP status)
THROTTLING = {
    4: ("(#4) Application request limit reached", 400),
    17: ("(#17) User request limit reached", 400),
    32: ("(#32) Page request limit reached", 400),
    613: ("(#613) Calls to this api have exceeded the rate limit.", 400),
    80001: ("(#80001) There have been too many calls to this Page account. "
            "Wait a bit and try again. For more info, please refer to "
            "https://developers.facebook.com/docs/graph-api/overview/"
            "rate-limiting.", 400),
    80002: ("(#80002) There have been too many calls to this Instagram "
            "account. Wait a bit and try again. For more info, please refer "
            "to https://developers.facebook.com/docs/graph-api/overview/"
            "rate-limiting.", 400),
    80006: ("(#80006) There have been too many messenger api calls to this "
            "Page account. Wait a bit and try again. For more info, please "
            "refer to https://developers.facebook.com/docs/graph-api/"
            "overview/rate-limiting.", 400),
    80007: ("(#80007) Rate limit issues", 429),
    130429: ("(#130429) Rate limit hit", 429),
    131056: ("(#131056) (Business Account, Consumer Account) pair rate "
             "limit hit", 429),
}

BUC_TYPES = {80001: "pages", 80002: "instagram", 80006: "messenger",
             80007: "whatsapp_business_management"}

VERSION_RE = re.compile(r"^v\d+\.\d+$")

# The fields each profile API documents (Messenger User Profile API;
# Instagram Messaging User Profile API).
MESSENGER_PROFILE_FIELDS = frozenset(
    ("id", "name", "first_name", "last_name", "profile_pic", "locale",
     "timezone", "gender"))
INSTAGRAM_PROFILE_FIELDS = frozenset(
    ("id", "name", "username", "profile_pic", "follower_count",
     "is_user_follow_business", "is_business_follow_user",
     "is_verified_user"))


class GraphCall(fakekit.Exchange):
    """One request as the fake Graph API saw it: method, path (without the
    query string), query (dict), headers (lower-case names), raw, params
    (merged query + form / JSON body), token, status, response (the JSON
    answered), kind ("comment_reply", "hide", "send", "whatsapp", ...)."""

    def __init__(self, method, path, query, headers, raw, params, token):
        super().__init__(method, path, headers, raw, query=query,
                         params=params, token=token)


def _fbtrace():
    return "A" + hashlib.sha1(repr(time.monotonic_ns()).encode()).hexdigest()[:10]


def graph_error(message, type_, code, subcode=None, transient=None,
                error_data=None):
    err = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    if transient is not None:
        err["is_transient"] = transient
    if error_data is not None:
        err["error_data"] = error_data
    err["fbtrace_id"] = _fbtrace()
    return {"error": err}


class FakeGraphAPI(fakekit.FakeServer):
    """A threaded fake of graph.facebook.com for replies, sends, hides and
    profile look-ups."""

    http_methods = ("GET", "POST", "DELETE")
    content_type = "application/json; charset=UTF-8"
    log_name = "calls"  # every request, in order (recorded when answered)

    def __init__(self, access_tokens=("test-page-token",), port=0,
                 business_id="1234567890"):
        super().__init__(port)
        self.access_tokens = set(access_tokens)
        self.business_id = str(business_id)  # key of X-Business-Use-Case-Usage
        self.replies = []  # comment replies made: {"id", "parent", "message"}
        self.messages = []  # Messenger / Instagram sends made
        self.whatsapp = []  # WhatsApp sends made
        self.hidden = {}  # comment id -> bool (last is_hidden set)
        self.profiles = {}  # PSID / IGSID -> {"fields": {...}, "node": type}
        self.lookups = []  # ids whose profile was answered, in order
        self.phone_number_ids = set()
        self.usage = None  # dict for X-App-Usage on every answer, or None
        self._seq = 0

    # -- configuration ---------------------------------------------------

    def add_phone_number(self, phone_number_id):
        """Treat POST /{id}/messages as the WhatsApp Cloud API."""
        with self.lock:
            self.phone_number_ids.add(str(phone_number_id))

    def add_profile(self, psid, first_name=None, last_name=None):
        """A Messenger user (a User node) whose PSID answers the User
        Profile API; a name left None is absent from the answer."""
        fields = {"first_name": first_name, "last_name": last_name}
        with self.lock:
            self.profiles[str(psid)] = {
                "node": "User", "known": MESSENGER_PROFILE_FIELDS,
                "fields": {k: v for k, v in fields.items() if v is not None}}

    def add_instagram_profile(self, igsid, name=None, username=None):
        """An Instagram user whose IGSID answers the Instagram User Profile
        API; name may be None (Meta: "can be null if name not set")."""
        fields = {"name": name, "username": username}
        with self.lock:
            self.profiles[str(igsid)] = {
                "node": "InstagramUser", "known": INSTAGRAM_PROFILE_FIELDS,
                "fields": {k: v for k, v in fields.items() if v is not None}}

    def add_token(self, token):
        with self.lock:
            self.access_tokens.add(token)

    def fail_first(self, n, code=2, http_status=500):
        """Answer a transient server error (code 1 "An unknown error
        occurred" or 2 "An unexpected error has occurred. Please retry your
        request later.") to the next n calls."""
        super().fail_first(n, http_status, code=code)

    def fail_for(self, seconds, code=2, http_status=500):
        """Answer a transient server error for the next `seconds`."""
        super().fail_for(seconds, http_status, code=code)

    def rate_limit_first(self, n, code=4, http_status=None, regain_minutes=1,
                         seconds=None):
        """Throttle the next n calls (or every call for `seconds`) with a
        documented throttling code; the answer carries the usage headers
        (X-App-Usage for 4/17/32/613, X-Business-Use-Case-Usage for the
        BUC codes, both at 100 %)."""
        if code not in THROTTLING:
            raise ValueError("not a documented throttling code: %r" % code)
        if seconds:
            self.rate_limit_for(seconds, code=code, http_status=http_status,
                                regain=regain_minutes)
        else:
            super().rate_limit_first(n, code=code, http_status=http_status,
                                     regain=regain_minutes)

    # succeed / delay / fail_after_processing_first: fakekit.FakeServer

    @property
    def url(self):
        return "%s/%s" % (self.base_url, DEFAULT_VERSION)

    def _extra_headers(self):
        return [("x-fb-trace-id", _fbtrace())]

    # -- request handling ------------------------------------------------

    def _parse(self, method, full_path, headers, raw):
        path, query, body, bad = fakekit.parse_request(full_path, headers, raw)
        if isinstance(body, dict) and "json" not in headers.get("content-type", ""):
            # the documented curl examples send recipient / message as
            # JSON-encoded form fields
            for k in ("recipient", "message", "text"):
                if isinstance(body.get(k), str) and body[k][:1] == "{":
                    try:
                        body[k] = json.loads(body[k].replace("'", '"'))
                    except ValueError:
                        pass
        params = fakekit.merged(query, body)
        token = params.get("access_token") or fakekit.bearer_token(
            headers, ("bearer", "oauth"))
        call = GraphCall(method, path, fakekit.merged(query, None), headers,
                         raw, params, token)
        call.bad_json = bad
        return call

    def _usage_headers(self, code=None, full=False, regain=0):
        extra = []
        pct = 100 if full else None
        if code in BUC_TYPES:
            entry = {"type": BUC_TYPES[code], "call_count": 100,
                     "total_cputime": 25, "total_time": 25,
                     "estimated_time_to_regain_access": regain}
            extra.append(("X-Business-Use-Case-Usage",
                          json.dumps({self.business_id: [entry]})))
        elif pct is not None:
            extra.append(("X-App-Usage", json.dumps(
                {"call_count": 100, "total_cputime": 25, "total_time": 25})))
        elif self.usage:
            extra.append(("X-App-Usage", json.dumps(self.usage)))
        return extra

    def _respond(self, call):
        return self._dispatch(call, call.path, call.params, call.token,
                              call.bad_json)

    @staticmethod
    def _error_body(status, code=2):
        msg = ("An unknown error occurred" if code == 1 else
               "An unexpected error has occurred. Please retry your "
               "request later.")
        return graph_error(msg, "OAuthException", code, transient=True)

    def _failure(self, call, whatsapp):
        """The current failure mode, if it applies to this call (lock held)."""
        f = self.failures.take(call.method)
        if not f:
            return None
        if f.kind == "error":
            call.kind = "server_error"
            return f.status, [], self._error_body(f.status, f.get("code", 2))
        code = f["code"]
        message, default_status = THROTTLING[code]
        status = f.get("http_status") or default_status
        call.kind = "rate_limited"
        error_data = None
        if code in (130429, 131056, 80007):
            error_data = {"messaging_product": "whatsapp",
                          "details": "Message failed to send because there "
                          "were too many messages sent from this phone "
                          "number in a short period of time"}
        body = graph_error(message, "OAuthException", code, transient=True,
                           error_data=error_data)
        return status, self._usage_headers(code, full=True,
                                           regain=f["regain"]), body

    def _next(self, prefix):
        self._seq += 1
        return "%s%d" % (prefix, 1000 + self._seq)

    def _dispatch(self, call, path, params, token, bad_json):
        segs = [s for s in path.split("/") if s]
        if segs and VERSION_RE.match(segs[0]):
            segs = segs[1:]
        whatsapp = (len(segs) == 2 and segs[1] == "messages"
                    and segs[0] in self.phone_number_ids)
        if bad_json:
            return 400, [], graph_error("(#100) Invalid JSON for postcard",
                                        "OAuthException", 100)
        if not token:
            return 400, [], graph_error(
                "An active access token must be used to query information "
                "about the current user.", "OAuthException", 2500)
        if token not in self.access_tokens:
            return (401 if whatsapp else 400), [], graph_error(
                "Invalid OAuth access token - Cannot parse access token",
                "OAuthException", 190)
        failed = self._failure(call, whatsapp)
        if failed:
            return failed
        extra = self._usage_headers()
        if call.method == "GET" and len(segs) == 1:
            return self._profile(call, segs[0], params, extra)
        if call.method != "POST" or not segs:
            return 400, extra, graph_error(
                "Unsupported %s request. Object with ID '%s' does not exist, "
                "cannot be loaded due to missing permissions, or does not "
                "support this operation." % (call.method.lower(),
                                             "/".join(segs)),
                "GraphMethodException", 100, subcode=33)

        if whatsapp:
            return self._whatsapp(call, segs[0], params, extra)
        if len(segs) == 2 and segs[1] == "messages":
            return self._send(call, segs[0], params, extra)
        if len(segs) == 2 and segs[1] in ("comments", "replies"):
            msg = params.get("message")
            if not msg:
                return 400, extra, graph_error(
                    "(#100) Missing message or attachment",
                    "OAuthException", 100)
            cid = self._next(segs[0].split("_")[-1] + "_")
            call.kind = "comment_reply"
            self.replies.append({"id": cid, "parent": segs[0],
                                 "message": msg, "edge": segs[1]})
            return 200, extra, {"id": cid}
        # Facebook comments take is_hidden, Instagram comments hide
        hide_param = next((p for p in ("is_hidden", "hide") if p in params), None)
        if len(segs) == 1 and hide_param:
            value = str(params[hide_param]).lower()
            if value not in ("true", "false", "1", "0"):
                return 400, extra, graph_error(
                    "(#100) Param %s must be a boolean" % hide_param,
                    "OAuthException", 100)
            call.kind = "hide"
            self.hidden[segs[0]] = value in ("true", "1")
            return 200, extra, {"success": True}
        return 400, extra, graph_error(
            "(#100) Unknown path components: /" + "/".join(segs[1:]),
            "OAuthException", 100)

    def _profile(self, call, user_id, params, extra):
        """GET /{PSID or IGSID}?fields=...: the registered profile's
        requested fields and its id."""
        profile = self.profiles.get(user_id)
        if profile is None:
            return 400, extra, graph_error(
                "Unsupported get request. Object with ID '%s' does not "
                "exist, cannot be loaded due to missing permissions, or does "
                "not support this operation." % user_id,
                "GraphMethodException", 100, subcode=33)
        wanted = [f for f in str(params.get("fields") or "id").split(",") if f]
        for f in wanted:
            if f not in profile["known"]:
                return 400, extra, graph_error(
                    "(#100) Tried accessing nonexisting field (%s) on node "
                    "type (%s)" % (f, profile["node"]), "OAuthException", 100)
        call.kind = "profile"
        self.lookups.append(user_id)
        answer = {f: profile["fields"][f] for f in wanted
                  if f in profile["fields"]}
        answer["id"] = user_id
        return 200, extra, answer

    def _send(self, call, account, params, extra):
        recipient = params.get("recipient")
        message = params.get("message")
        if not isinstance(recipient, dict) or not recipient.get("id"):
            return 400, extra, graph_error(
                "(#100) The parameter recipient is required",
                "OAuthException", 100)
        if not isinstance(message, dict) or not (message.get("text") or
                                                 message.get("attachment")):
            return 400, extra, graph_error(
                "(#100) param message must be non-empty.",
                "OAuthException", 100)
        call.kind = "send"
        mid = self._next("m_")
        self.messages.append({"account": account,
                              "recipient_id": str(recipient["id"]),
                              "text": message.get("text"),
                              "messaging_type": params.get("messaging_type"),
                              "message_id": mid})
        return 200, extra, {"recipient_id": str(recipient["id"]),
                            "message_id": mid}

    def _whatsapp(self, call, phone_number_id, params, extra):
        def invalid(details):
            return 400, extra, graph_error(
                "(#100) Invalid parameter", "OAuthException", 100,
                error_data={"messaging_product": "whatsapp",
                            "details": details})
        if params.get("messaging_product") != "whatsapp":
            return invalid("The parameter messaging_product is required.")
        to = params.get("to")
        if not to:
            return invalid("The parameter to is required.")
        mtype = params.get("type", "text")
        text = params.get("text")
        if mtype != "text" or not isinstance(text, dict) or not text.get("body"):
            return invalid("Param text['body'] is required for a text message.")
        call.kind = "whatsapp"
        wamid = "wamid.HBgL" + hashlib.sha1(
            ("%s%d" % (to, self._seq + 1)).encode()).hexdigest()[:24].upper()
        self._seq += 1
        self.whatsapp.append({"phone_number_id": phone_number_id,
                              "to": str(to), "body": text["body"],
                              "context": params.get("context"), "id": wamid})
        return 200, extra, {"messaging_product": "whatsapp",
                            "contacts": [{"input": str(to), "wa_id": str(to)}],
                            "messages": [{"id": wamid}]}

    # -- waiting (wait_for: fakekit.FakeServer) ----------------------------

    def snapshot(self):
        with self.lock:
            return {"calls": list(self.calls), "replies": list(self.replies),
                    "messages": list(self.messages),
                    "whatsapp": list(self.whatsapp),
                    "hidden": dict(self.hidden),
                    "lookups": list(self.lookups)}


if __name__ == "__main__":
    g = FakeGraphAPI(port=fakekit.port_from_argv()).start()
    g.add_phone_number("106540352242922")
    fakekit.run_standalone(
        g, ("fake Graph API on", g.url, "token test-page-token"),
        lambda c: (c.status, c.method, c.path, json.dumps(c.response)))

"""Fakes for Telegram's side of the "telegram" channel.

1. TelegramUpdateSender plays Telegram's webhook delivery: it POSTs a
   JSON-serialised Update to the webhook URL with the header
   X-Telegram-Bot-Api-Secret-Token (the secret_token given to setWebhook).
   text_update() builds the documented Update: update_id and message with
   message_id, from (User: id, is_bot, first_name, username, language_code),
   chat (Chat: id, type "private" / "group" / "supergroup", first_name or
   title), date (Unix time) and text. Update ids increase sequentially;
   deliver() of the same Update twice is what Telegram does when the webhook
   did not answer 2xx. secret="wrong" / "missing" exercise the reject path.

2. FakeBotAPI plays https://api.telegram.org/bot<token>/<method>:
   - sendMessage (method names are case-insensitive; GET or POST; parameters
     in the query string, application/x-www-form-urlencoded, or JSON):
     chat_id, text, and the reply either as reply_parameters
     ({"message_id": ..., "chat_id"?: ...}, a JSON string in a form) or the
     older reply_to_message_id. Answers {"ok": true, "result": Message} with
     the bot as from, the chat, date, text, and reply_to_message when the
     replied-to message is known (known_message()).
   - getMe and setWebhook / deleteWebhook / getWebhookInfo, enough for a
     connector's configuration check.
   - a wrong token: HTTP 401 {"ok": false, "error_code": 401,
     "description": "Unauthorized"}; unknown method: 404 "Not Found";
     bad parameters: 400 "Bad Request: ..." (e.g. "message text is empty",
     "chat not found", "message to be replied not found").
   - flood control: HTTP 429 {"ok": false, "error_code": 429,
     "description": "Too Many Requests: retry after N",
     "parameters": {"retry_after": N}} (ResponseParameters.retry_after);
     for the first n calls or for a while.
   - 500 phases {"ok": false, "error_code": 500, "description":
     "Internal Server Error"}, a delay, stop() refuses connections (the
     server, recording, waiting and these switches are fakekit.FakeServer's).
   - records every call (BotCall) and every message actually sent once
     (sent), so retries can be told from deliveries. The Bot API has no
     idempotency key either: a retried sendMessage that reached Telegram is
     a second message.

Only 127.0.0.1. Run standalone:  python3 fake_telegram.py [PORT]
(token "123456:TEST-token").
"""

import json
import time

import fakekit

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


# -- documented Update objects ----------------------------------------------

def user(user_id, first_name, username=None, last_name=None,
         language_code="de", is_bot=False):
    u = {"id": int(user_id), "is_bot": is_bot, "first_name": first_name}
    if last_name:
        u["last_name"] = last_name
    if username:
        u["username"] = username
    if language_code:
        u["language_code"] = language_code
    return u


def private_chat(u):
    c = {"id": u["id"], "first_name": u["first_name"], "type": "private"}
    if "last_name" in u:
        c["last_name"] = u["last_name"]
    if "username" in u:
        c["username"] = u["username"]
    return c


def group_chat(chat_id, title, type_="supergroup"):
    return {"id": int(chat_id), "title": title, "type": type_}


def text_update(update_id, message_id, from_user, text, chat=None, date=None,
                reply_to_message=None):
    """An Update with a text Message as the Bot API documents it."""
    msg = {"message_id": int(message_id), "from": from_user,
           "chat": chat or private_chat(from_user),
           "date": int(date or time.time()), "text": text}
    if reply_to_message:
        msg["reply_to_message"] = reply_to_message
    return {"update_id": int(update_id), "message": msg}


class Delivery:
    def __init__(self, url, headers, raw, status, body):
        self.time = time.monotonic()
        self.url = url
        self.headers = headers
        self.raw = raw
        self.status = status  # None when the connection failed
        self.body = body

    def __repr__(self):
        return "Delivery(%s -> %s)" % (self.url, self.status)


class TelegramUpdateSender:
    """POSTs Updates to a webhook like Telegram does."""

    def __init__(self, secret_token=None, first_update_id=800000001,
                 timeout=10):
        self.secret_token = secret_token
        self.next_update_id = first_update_id
        self.next_message_id = 1
        self.timeout = timeout
        self.deliveries = []

    def text_update(self, from_user, text, chat=None, reply_to_message=None):
        """A new Update with the next update_id and message_id."""
        upd = text_update(self.next_update_id, self.next_message_id,
                          from_user, text, chat=chat,
                          reply_to_message=reply_to_message)
        self.next_update_id += 1
        self.next_message_id += 1
        return upd

    def deliver(self, url, update, secret="valid"):
        """POST one Update. secret: "valid" (the configured secret_token, or
        no header when none is configured), "wrong", "missing", or a literal
        header value."""
        raw = json.dumps(update, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if secret == "valid":
            if self.secret_token is not None:
                headers[SECRET_HEADER] = self.secret_token
        elif secret == "wrong":
            headers[SECRET_HEADER] = (self.secret_token or "x") + "-wrong"
        elif secret != "missing":
            headers[SECRET_HEADER] = secret
        status, body = fakekit.http_send("POST", url, headers, raw,
                                         self.timeout)
        d = Delivery(url, headers, raw, status, body)
        self.deliveries.append(d)
        return d


# -- the fake Bot API ----------------------------------------------------------

class BotCall(fakekit.Exchange):
    """One call: http_method, path, token, method (the Bot API method as
    sent, case kept), params, headers, status, response."""

    def __init__(self, http_method, path, token, method, params, headers):
        super().__init__(http_method, path, headers, None, http_method=http_method,
                         token=token, params=params)
        self.method = method

    def __repr__(self):
        return "BotCall(%s status=%s)" % (self.method, self.status)


def _err(code, description, parameters=None):
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


class FakeBotAPI(fakekit.FakeServer):
    """A threaded fake of api.telegram.org for one bot."""

    content_type = "application/json"
    ensure_ascii = False
    log_name = "calls"

    def __init__(self, token="123456:TEST-token", port=0,
                 bot_username="cluetrain_test_bot"):
        super().__init__(port)
        self.token = token
        self.bot = {"id": int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456,
                    "is_bot": True, "first_name": "Cluetrain",
                    "username": bot_username}
        self.sent = []  # Message objects actually sent, in order
        self.webhook = {"url": "", "has_custom_certificate": False,
                        "pending_update_count": 0}
        self.webhook_secret = None  # secret_token given to setWebhook
        self.chats = {}  # chat id -> Chat, learned from known_message()
        self.known = {}  # (chat id, message id) -> Message
        self.strict_chats = False  # True: unknown chat_id -> "chat not found"
        self._next_message_id = 5000

    # -- configuration ---------------------------------------------------

    def known_message(self, message):
        """Tell the fake about a message that exists (e.g. the one an Update
        delivered), so replies to it carry reply_to_message."""
        with self.lock:
            chat = message["chat"]
            self.chats[chat["id"]] = chat
            self.known[(chat["id"], message["message_id"])] = message

    def flood_first(self, n, retry_after=3):
        """429 "Too Many Requests: retry after N" for the next n calls."""
        self.rate_limit_first(n, retry_after=retry_after)

    def flood_for(self, seconds, retry_after=None):
        """429 for `seconds`; retry_after defaults to the seconds left."""
        self.rate_limit_for(seconds, retry_after=retry_after)

    # fail_first / fail_for / succeed / delay: fakekit.FakeServer

    # -- lifecycle -------------------------------------------------------

    def method_url(self, method, token=None):
        """base_url replaces https://api.telegram.org."""
        return "%s/bot%s/%s" % (self.base_url, token or self.token, method)

    # -- answering -------------------------------------------------------

    @staticmethod
    def _params(path, headers, raw):
        path, query, body, bad = fakekit.parse_request(path, headers, raw)
        if bad or not isinstance(body, dict):
            return path, None
        return path, fakekit.merged(query, body)

    def _parse(self, http_method, full_path, headers, raw):
        path, params = self._params(full_path, headers, raw)
        segs = [s for s in path.split("/") if s]
        token = segs[0][3:] if segs and segs[0].startswith("bot") else None
        method = segs[1] if len(segs) == 2 else ""
        return BotCall(http_method, path, token, method, params, headers)

    def _respond(self, call):
        status, body = self._dispatch(call, call.token, call.method, call.params)
        return status, [], body

    @staticmethod
    def _error_body(status):
        return _err(status, "Internal Server Error")[1]

    def _failure(self, http_method=None):
        f = self.failures.take(http_method)
        if not f:
            return None
        if f.kind == "error":
            return f.status, self._error_body(f.status)
        n = f.get("retry_after")
        if n is None:
            n = max(1, int(f.seconds_left() + 0.999))
        return _err(429, "Too Many Requests: retry after %d" % n,
                    {"retry_after": n})

    def _dispatch(self, call, token, method, params):
        if token is None or not method:
            return _err(404, "Not Found")
        if token != self.token:
            return _err(401, "Unauthorized")
        if params is None:
            return _err(400, "Bad Request: can't parse JSON object")
        failed = self._failure(call.http_method)
        if failed:
            return failed
        m = method.lower()
        if m == "sendmessage":
            return self._send_message(params)
        if m == "getme":
            return 200, {"ok": True, "result": dict(self.bot)}
        if m == "setwebhook":
            self.webhook["url"] = params.get("url", "")
            self.webhook_secret = params.get("secret_token")
            return 200, {"ok": True, "result": True,
                         "description": "Webhook was set"}
        if m == "deletewebhook":
            self.webhook["url"] = ""
            return 200, {"ok": True, "result": True,
                         "description": "Webhook was deleted"}
        if m == "getwebhookinfo":
            return 200, {"ok": True, "result": dict(self.webhook)}
        return _err(404, "Not Found")

    def _send_message(self, params):
        chat_id = params.get("chat_id")
        text = params.get("text")
        if chat_id in (None, ""):
            return _err(400, "Bad Request: chat_id is empty")
        if text is None or str(text).strip() == "":
            return _err(400, "Bad Request: message text is empty")
        if len(str(text)) > 4096:
            return _err(400, "Bad Request: message is too long")
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            cid = chat_id  # @channelusername
        if self.strict_chats and cid not in self.chats:
            return _err(400, "Bad Request: chat not found")
        reply_params = params.get("reply_parameters")
        if isinstance(reply_params, str):
            try:
                reply_params = json.loads(reply_params)
            except ValueError:
                return _err(400, "Bad Request: can't parse reply parameters JSON object")
        reply_to = None
        if isinstance(reply_params, dict) and "message_id" in reply_params:
            reply_to = (int(reply_params.get("chat_id", cid)),
                        int(reply_params["message_id"]))
            allow = reply_params.get("allow_sending_without_reply")
        elif params.get("reply_to_message_id") not in (None, ""):
            reply_to = (cid, int(params["reply_to_message_id"]))
            allow = params.get("allow_sending_without_reply")
        replied = None
        if reply_to is not None:
            replied = self.known.get(reply_to)
            if replied is None and self.strict_chats and not allow:
                return _err(400, "Bad Request: message to be replied not found")
        self._next_message_id += 1
        chat = self.chats.get(cid) or (
            {"id": cid, "type": "private" if cid > 0 else "supergroup"}
            if isinstance(cid, int)
            else {"id": -1001000000000, "type": "channel",
                  "username": str(cid).lstrip("@")})
        msg = {"message_id": self._next_message_id, "from": dict(self.bot),
               "chat": chat, "date": int(time.time()), "text": str(text)}
        if replied is not None:
            msg["reply_to_message"] = replied
        self.sent.append({"message": msg, "reply_to": reply_to,
                          "params": dict(params)})
        self.known[(chat["id"], msg["message_id"])] = msg
        return 200, {"ok": True, "result": msg}

    # -- waiting (wait_for: fakekit.FakeServer) ----------------------------

    def snapshot(self):
        with self.lock:
            return list(self.calls), list(self.sent)


if __name__ == "__main__":
    b = FakeBotAPI(port=fakekit.port_from_argv()).start()
    fakekit.run_standalone(
        b, ("fake Bot API on", b.method_url("sendMessage")),
        lambda c: (c.status, c.method, json.dumps(c.response, ensure_ascii=False)))

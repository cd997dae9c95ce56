"""The scaffolding every HTTP fake in tests/fakes shares.

A fake of an outside service (fake_mastodon, fake_x, fake_meta,
fake_telegram, webhook_receiver) keeps only what is specific to its service:
routes, entities, authentication, and the platform's error and rate-limit
shapes. Everything else lives here:

- FakeServer: a threaded HTTP server on 127.0.0.1.
  start() listens on `port` (a free one the first time, then the same one
  again), stop() closes the socket (connections are refused: the service is
  down) and start() reopens it with the state kept; restart() does both;
  `with Fake() as f:` starts and stops; reserve_port() is a loopback port free
  right now, for a fake started later. base_url is http://127.0.0.1:PORT.
  It records: `arrived` (requests that came in, answered or not yet) and the
  log (a list named by the class attribute log_name, "requests" by default)
  of the exchanges answered; lock / changed guard them, wait_for(predicate,
  timeout) waits until predicate(fake) holds, checked under the lock.
  Behaviour switches: delay(seconds), succeed(), fail_first(n) /
  fail_for(seconds) / fail_until(unix_time) / fail_always() (an error status),
  rate_limit_first(n) / rate_limit_for(seconds) (the platform's throttling),
  fail_after_processing_first(n) (perform the next n POSTs, then answer an
  error, or with status=None drop the connection: the reply is out but the
  client never hears it). Extra keyword arguments (code=, retry_after=, ...)
  are kept on the phase for the fake to shape its answer with.
- FailurePlan / Phase: the state behind those switches (fake.failures).
- Exchange: the base of a fake's request record (method, path, headers,
  raw, status, response, kind, time, plus the fake's own fields).
- Helpers: parse_request / merged / json_body (query, form and JSON
  parameters), bearer_token, http_send (for the fakes that send webhooks),
  load_fixture / FIXTURES (documented examples), iso_ms, int_or_none,
  port_from_argv / run_standalone (the `python3 fake_x.py [PORT]` mode).

How a fake uses it:

    class FakeThing(fakekit.FakeServer):
        http_methods = ("GET", "POST")         # verbs routed to the fake
        content_type = "application/json"      # of JSON answers

        def _parse(self, method, full_path, headers, raw):
            return Exchange(...)               # outside the lock

        def _respond(self, req):               # under the lock
            phase = self.failures.take(req.method)
            if phase:                          # forced failure: platform shape
                return phase.status, [], {"error": "..."}
            ...routes...
            return status, [(header, value), ...], body

_respond answers (status, extra headers, body): body is a JSON value, or
bytes (sent as text/html). FakeServer then applies
fail_after_processing_first (the lost answer's body is _error_body(status)),
sets req.status and req.response (the JSON answered, else None), appends req
to the log and wakes wait_for(). A status of None closes the connection
without an answer. Hooks: _content_type(status, body), _extra_headers(),
_error_body(status), ensure_ascii.

Standard library only; loopback only.
"""

import datetime
import http.server
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


FIXTURES = os.environ.get("CLUETRAIN_FIXTURES") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)),
                 "..", "..", "..", "shared", "data", "fixtures"))


def load_fixture(service, name):
    """A documented example (JSON) from FIXTURES/<service>/<name>; entities
    are built from these so a client sees the shapes the service sends."""
    with open(os.path.join(FIXTURES, service, name), encoding="utf-8") as f:
        return json.load(f)


def iso_ms(ts=None):
    """A UTC time with milliseconds: 2019-11-23T07:49:02.064Z"""
    d = datetime.datetime.fromtimestamp(time.time() if ts is None else ts,
                                        datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def reserve_port():
    """A loopback port that is free right now (for a server started later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Phase:
    """One failure phase: `count` more requests, or until `until`
    (time.monotonic()); kind "error" or "rate"; only requests of `method`
    when given; other keyword details (status, code, retry_after, ...) in
    `info`, readable as phase["name"] / phase.get("name")."""

    def __init__(self, kind, count=0, until=0.0, method=None, **info):
        self.kind, self.count, self.until, self.method = kind, count, until, method
        self.info = info

    def __getitem__(self, name):
        return self.info[name]

    def get(self, name, default=None):
        return self.info.get(name, default)

    @property
    def status(self):
        return self.info.get("status")

    def seconds_left(self):
        return self.until - time.monotonic()

    def reset_at(self):
        """Wall-clock end of a rate-limit phase: the end of rate_limit_for(),
        or reset_in seconds from now for rate_limit_first()."""
        return self.info.get("reset_at") or time.time() + self.info.get("reset_in", 60)


class FailurePlan:
    """The failure state of a fake; use it under the fake's lock."""

    def __init__(self):
        self.phase = None
        self.lost = None  # fail after processing: [count, status]

    def set(self, kind, count=0, until=0.0, method=None, **info):
        self.phase = Phase(kind, count, until, method, **info)

    def clear(self):
        self.phase = None
        self.lost = None

    def take(self, method=None):
        """The phase that applies to this request (consuming one of a count),
        or None: the request is answered normally."""
        p = self.phase
        if not p or (p.method and p.method != method):
            return None
        if p.count > 0:
            p.count -= 1
            if p.count == 0 and p.until == 0.0:
                self.phase = None
        elif time.monotonic() >= p.until:
            self.phase = None
            return None
        return p

    def take_lost(self, method, status):
        """For a POST performed (2xx) while fail_after_processing_first is in
        force: [the status to answer instead] (None: drop the connection);
        else None."""
        lost = self.lost
        if not lost or lost[0] <= 0 or method != "POST" or status is None \
                or not 200 <= status < 300:
            return None
        lost[0] -= 1
        if lost[0] == 0:
            self.lost = None
        return [lost[1]]


class Exchange:
    """One request as a fake saw it; fields beyond the common ones are given
    as keywords. status / response (the JSON answered) are set when it is
    answered; kind is what the fake made of it ("status", "poll", ...)."""

    def __init__(self, method, path, headers, raw, **fields):
        self.time = time.monotonic()
        self.method = method
        self.path = path  # without the query string
        self.headers = headers  # lower-case names
        self.raw = raw
        self.status = None
        self.response = None
        self.kind = None
        self.__dict__.update(fields)

    def __repr__(self):
        return "%s(%s %s kind=%s status=%s)" % (
            type(self).__name__, self.method, self.path, self.kind, self.status)


# -- request parsing helpers ---------------------------------------------------

def parse_request(full_path, headers, raw):
    """(path, query, body, bad): query maps a name to its list of values;
    body is the parsed JSON value or the form fields as a dict ({} without a
    body); bad is True when a JSON body does not parse."""
    parts = urllib.parse.urlsplit(full_path)
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    body, bad = {}, False
    if raw:
        if "json" in headers.get("content-type", ""):
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body, bad = None, True
        else:
            body = dict(urllib.parse.parse_qsl(raw.decode("utf-8"),
                                               keep_blank_values=True))
    return parts.path, query, body, bad


def json_body(raw):
    """raw bytes parsed as JSON, or None."""
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        return None


def merged(query, body):
    """The last value of each query parameter, overridden by a dict body."""
    params = {k: v[-1] for k, v in query.items()}
    if isinstance(body, dict):
        params.update(body)
    return params


def bearer_token(headers, schemes=("bearer",)):
    """The credential of an Authorization header with one of `schemes`."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() in schemes and value.strip():
        return value.strip()
    return None


def http_send(method, url, headers, raw, timeout):
    """Make one request as a sending fake: (status, body bytes); status is
    None when the connection failed."""
    req = urllib.request.Request(url, data=raw, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, OSError):
        return None, b""


# -- the server ------------------------------------------------------------------

class FakeServer:
    """Base class of a threaded loopback fake; see the module docstring."""

    http_methods = ("GET", "POST")
    content_type = "application/json; charset=utf-8"
    ensure_ascii = True
    log_name = "requests"

    def __init__(self, port=0):
        self.port = port
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._log = []  # every exchange, in order (recorded when answered)
        setattr(self, self.log_name, self._log)
        self.arrived = 0
        self.failures = FailurePlan()
        self._delay = 0.0
        self._server = None
        self._thread = None

    # -- behaviour -------------------------------------------------------

    def _set(self, kind, count=0, until=0.0, method=None, **info):
        with self.lock:
            self.failures.set(kind, count, until, method, **info)

    def fail_first(self, n, status=500, method=None, **info):
        """Answer `status` to the next n requests (of `method`, if given)."""
        self._set("error", n, 0.0, method, status=status, **info)

    def fail_for(self, seconds, status=500, method=None, **info):
        """Answer `status` to every request for the next `seconds`."""
        self._set("error", 0, time.monotonic() + seconds, method,
                  status=status, **info)

    def fail_until(self, unix_time, status=500, method=None, **info):
        """Answer `status` to every request until the wall-clock time."""
        FakeServer.fail_for(self, unix_time - time.time(), status, method,
                            **info)

    def fail_always(self, status=500, **info):
        """Answer `status` to every request from now on."""
        FakeServer.fail_for(self, 10 ** 9, status, **info)

    def rate_limit_first(self, n, reset_in=60, method=None, **info):
        """Throttle the next n requests; the limit resets `reset_in` seconds
        after each answer."""
        self._set("rate", n, 0.0, method, reset_in=reset_in, **info)

    def rate_limit_for(self, seconds, method=None, **info):
        """Throttle every request for the next `seconds`; the limit resets
        at the end."""
        self._set("rate", 0, time.monotonic() + seconds, method,
                  reset_at=time.time() + seconds, **info)

    def fail_after_processing_first(self, n, status=500):
        """Perform the next n POSTs, then answer `status` instead of the
        result (status=None: close the connection without an answer)."""
        with self.lock:
            self.failures.lost = [n, status]

    def delay(self, seconds):
        """Wait `seconds` before answering each request from now on (a slow
        service: the client is mid-request meanwhile)."""
        with self.lock:
            self._delay = seconds

    def succeed(self):
        """Answer normally from now on."""
        with self.lock:
            self.failures.clear()

    # -- lifecycle -------------------------------------------------------

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def url(self):
        return self.base_url

    @property
    def running(self):
        return self._server is not None

    def start(self):
        """Listen (again) on self.port, or on a free port the first time."""
        if self._server:
            return self
        self._server = _Server(("127.0.0.1", self.port), self._handler_class())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening: connections are now refused."""
        if not self._server:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._server = None
        self._thread = None

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    reserve_port = staticmethod(reserve_port)

    # -- answering -------------------------------------------------------

    def _parse(self, method, full_path, headers, raw):
        """The record of one request (called outside the lock)."""
        return Exchange(method, urllib.parse.urlsplit(full_path).path,
                        headers, raw)

    def _respond(self, req):
        """(status, extra headers, body) for one request (lock held)."""
        raise NotImplementedError

    def _error_body(self, status):
        """The body of an answer the fake was told to fail with."""
        return {"error": "the fake was told to fail"}

    def _content_type(self, status, body):
        return self.content_type

    def _extra_headers(self):
        """Headers on every answer."""
        return []

    def _answer(self, method, full_path, headers, raw):
        req = self._parse(method, full_path, headers, raw)
        with self.lock:
            status, extra, body = self._respond(req)
            lost = self.failures.take_lost(method, status)
            if lost:
                req.kind = (req.kind or "") + "+lost_response"
                status, extra = lost[0], []
                body = None if status is None else self._error_body(status)
            req.status = status
            req.response = body if isinstance(body, (dict, list)) else None
            self._log.append(req)
            self.changed.notify_all()
        return status, extra, body

    def _handler_class(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake.lock:
                    fake.arrived += 1
                    fake.changed.notify_all()
                    pause = fake._delay
                if pause:
                    time.sleep(pause)
                status, extra, body = fake._answer(self.command, self.path,
                                                   headers, raw)
                if status is None:  # drop the connection, no answer
                    self.close_connection = True
                    return
                if isinstance(body, bytes):
                    data, ctype = body, "text/html; charset=utf-8"
                else:
                    data = json.dumps(body, ensure_ascii=fake.ensure_ascii)
                    data = data.encode("utf-8")
                    ctype = fake._content_type(status, body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for name, value in fake._extra_headers() + list(extra):
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, fmt, *args):  # quiet
                pass

        for verb in self.http_methods:
            setattr(Handler, "do_" + verb, Handler._handle)
        return Handler

    # -- waiting ---------------------------------------------------------

    def wait_for(self, predicate, timeout):
        """Wait until predicate(self) holds (checked under the lock); its
        last value."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    return value
                self.changed.wait(min(left, 0.1))


class _Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


def port_from_argv():
    return int(sys.argv[1]) if len(sys.argv) > 1 else 0


def run_standalone(fake, banner, describe):
    """Serve until ^C, printing `banner` and describe(exchange) (a tuple)
    for every exchange answered."""
    print(*banner, flush=True)
    seen = 0
    try:
        while True:
            log = fake.wait_for(lambda f: len(f._log) > seen and list(f._log), 1.0)
            for entry in (log or [])[seen:]:
                print(*describe(entry), flush=True)
            seen = max(seen, len(log or []))
    except KeyboardInterrupt:
        fake.stop()

"""A fake receiver for the outbound replies of cluetrain's "api" channel.

The "api" channel delivers a reply by POSTing it as JSON to the channel's
config.webhook_url, with an Idempotency-Key header that stays the same across
retries. This receiver plays the other side the way a careful real one would:

- it records every POST (time, headers, parsed JSON body, the status it gave);
- it can be told to fail: answer 500 (or 429 with Retry-After, or any status)
  for the first N requests, for a while, or always;
- otherwise it answers 200 with {"external_id": "..."}, and it processes each
  Idempotency-Key once: a repeat of a key it already processed gets the same
  answer but is not processed again.

So a test can tell attempts (`requests`) from deliveries (`processed`, one per
unique key): "delivered exactly once" means one processed key, however many
attempts it took.

It only listens on 127.0.0.1. Use it as a context manager or call start() and
stop(); stop() closes the socket, so the URL then refuses connections (a
receiver that is down), and start() again reopens the same port.

Run standalone for manual experiments:  python3 webhook_receiver.py [PORT]
"""

import http.server
import json
import socket
import sys
import threading
import time


class Request:
    """One POST as the receiver saw it."""

    def __init__(self, path, headers, raw, status):
        self.time = time.monotonic()
        self.path = path
        self.headers = headers  # dict, header names lower-case
        self.raw = raw
        try:
            self.body = json.loads(raw.decode("utf-8"))
        except ValueError:
            self.body = None
        self.status = status

    @property
    def key(self):
        return self.headers.get("idempotency-key")

    def __repr__(self):
        return "Request(%s key=%s status=%s)" % (self.path, self.key, self.status)


class WebhookReceiver:
    """A threaded HTTP server that records and answers reply deliveries."""

    def __init__(self, port=0):
        self.port = port
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.requests = []  # every POST, in order (recorded when answered)
        self.arrived = 0  # POSTs that arrived, answered or not yet
        self.processed = {}  # idempotency key -> body, first successful delivery
        self._external_ids = {}  # idempotency key -> the external_id answered
        self._fail_count = 0
        self._fail_until = 0.0
        self._fail_status = 500
        self._retry_after = None
        self._delay = 0.0
        self._server = None
        self._thread = None

    # -- behaviour -------------------------------------------------------

    def fail_first(self, n, status=500, retry_after=None):
        """Answer `status` to the next n requests, then behave normally."""
        with self.lock:
            self._fail_count = n
            self._fail_until = 0.0
            self._fail_status = status
            self._retry_after = retry_after

    def fail_for(self, seconds, status=500, retry_after=None):
        """Answer `status` to every request for the next `seconds`."""
        with self.lock:
            self._fail_count = 0
            self._fail_until = time.monotonic() + seconds
            self._fail_status = status
            self._retry_after = retry_after

    def fail_always(self, status=500):
        """Answer `status` to every request from now on."""
        self.fail_for(10 ** 9, status)

    def delay(self, seconds):
        """Wait `seconds` before answering each request from now on (a slow
        receiver: the sender is mid-request meanwhile)."""
        with self.lock:
            self._delay = seconds

    def succeed(self):
        """Answer every request normally from now on."""
        with self.lock:
            self._fail_count = 0
            self._fail_until = 0.0

    # -- lifecycle -------------------------------------------------------

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    @property
    def running(self):
        return self._server is not None

    def start(self):
        """Listen (again) on self.port, or on a free port the first time."""
        if self._server:
            return self
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.arrived += 1
                    receiver.changed.notify_all()
                    pause = receiver._delay
                if pause:
                    time.sleep(pause)
                status, extra, body = receiver._answer(self.path, headers, raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, fmt, *args):  # quiet
                pass

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening: deliveries now fail with "connection refused"."""
        if not self._server:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @staticmethod
    def reserve_port():
        """A loopback port that is free right now (for a receiver started later)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    # -- answering and waiting -------------------------------------------

    def _answer(self, path, headers, raw):
        now = time.monotonic()
        with self.lock:
            status, extra = 200, []
            if self._fail_count > 0 or now < self._fail_until:
                if self._fail_count > 0:
                    self._fail_count -= 1
                status = self._fail_status
                if self._retry_after is not None:
                    extra.append(("Retry-After", str(self._retry_after)))
                body = {"error": "the fake receiver was told to fail"}
            else:
                req_key = headers.get("idempotency-key")
                key = req_key or "no-key-%d" % len(self.requests)
                if key not in self.processed:
                    try:
                        self.processed[key] = json.loads(raw.decode("utf-8"))
                    except ValueError:
                        self.processed[key] = None
                    self._external_ids[key] = "ext-%d" % len(self._external_ids)
                body = {"external_id": self._external_ids[key]}
            self.requests.append(Request(path, headers, raw, status))
            self.changed.notify_all()
            return status, extra, body

    def wait_for(self, predicate, timeout):
        """Wait until predicate(self) holds (checked under the lock); its value."""
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

    def wait_requests(self, n, timeout):
        """Wait until at least n POSTs arrived; the list of requests so far."""
        self.wait_for(lambda r: len(r.requests) >= n, timeout)
        with self.lock:
            return list(self.requests)

    def snapshot(self):
        """(requests, processed) copies, taken consistently."""
        with self.lock:
            return list(self.requests), dict(self.processed)


if __name__ == "__main__":
    r = WebhookReceiver(int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print("listening on", r.url, flush=True)
    seen = 0
    try:
        while True:
            requests = r.wait_requests(seen + 1, 1.0)
            for q in requests[seen:]:
                print(q.status, q.key, json.dumps(q.body), flush=True)
            seen = len(requests)
    except KeyboardInterrupt:
        r.stop()

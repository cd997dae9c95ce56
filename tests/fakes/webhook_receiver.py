"""A fake receiver for the outbound replies of cluetrain's "api" channel.

The "api" channel delivers a reply by POSTing it as JSON to the channel's
config.webhook_url, with an Idempotency-Key header that stays the same across
retries. This receiver plays the other side the way a careful real one would
(the server, recording and failure switches come from fakekit.FakeServer):

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

import json

import fakekit


class Request(fakekit.Exchange):
    """One POST as the receiver saw it."""

    def __init__(self, path, headers, raw, status=None):
        super().__init__("POST", path, headers, raw,  # headers: lower-case
                         body=fakekit.json_body(raw))
        self.status = status

    @property
    def key(self):
        return self.headers.get("idempotency-key")

    def __repr__(self):
        return "Request(%s key=%s status=%s)" % (self.path, self.key, self.status)


class WebhookReceiver(fakekit.FakeServer):
    """A threaded HTTP server that records and answers reply deliveries.

    requests: every POST, in order (recorded when answered); arrived: POSTs
    that arrived, answered or not yet; processed: idempotency key -> body of
    the first successful delivery."""

    http_methods = ("POST",)
    content_type = "application/json"

    def __init__(self, port=0):
        super().__init__(port)
        self.processed = {}
        self._external_ids = {}  # idempotency key -> the external_id answered

    # -- behaviour (the rest: fakekit.FakeServer) --------------------------

    def fail_first(self, n, status=500, retry_after=None):
        """Answer `status` to the next n requests, then behave normally."""
        super().fail_first(n, status, retry_after=retry_after)

    def fail_for(self, seconds, status=500, retry_after=None):
        """Answer `status` to every request for the next `seconds`."""
        super().fail_for(seconds, status, retry_after=retry_after)

    @property
    def url(self):
        return self.base_url + "/hook"

    # -- answering and waiting -------------------------------------------

    def _parse(self, method, full_path, headers, raw):
        return Request(full_path, headers, raw)

    def _error_body(self, status):
        return {"error": "the fake receiver was told to fail"}

    def _respond(self, req):
        phase = self.failures.take(req.method)
        if phase:
            extra = []
            if phase.get("retry_after") is not None:
                extra.append(("Retry-After", str(phase["retry_after"])))
            return phase.status, extra, self._error_body(phase.status)
        key = req.key or "no-key-%d" % len(self.requests)
        if key not in self.processed:
            self.processed[key] = req.body
            self._external_ids[key] = "ext-%d" % len(self._external_ids)
        return 200, [], {"external_id": self._external_ids[key]}

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
    r = WebhookReceiver(fakekit.port_from_argv()).start()
    fakekit.run_standalone(r, ("listening on", r.url),
                           lambda q: (q.status, q.key, json.dumps(q.body)))

"""What the integration tests share: running the cluetrain binary, a server
process on an ephemeral loopback port, a small JSON client, an SSE reader.

Everything here talks only to 127.0.0.1 and uses only the standard library.
The binary comes from CLUETRAIN_BIN (default build/cluetrain). Every process
output is checked for sanitizer reports (ASan, LSan, UBSan) when the process
ends; a report fails the test.
"""

import http.client
import itertools
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SANITIZER_REPORT = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer)"
    r"|runtime error:")

# The configuration every test server gets unless a test overrides a key.
TEST_CONFIG = {
    "CLUETRAIN_JOBS_BACKOFF_BASE_MS": "100",
    "CLUETRAIN_JOBS_BACKOFF_MAX_MS": "1000",
    "CLUETRAIN_JOBS_MAX_ATTEMPTS": "4",
    "CLUETRAIN_JOBS_TIMEOUT_S": "5",
    "CLUETRAIN_EVENTS_HEARTBEAT_S": "1",
}


# With CLUETRAIN_TEST_PG (the URL of a throwaway cluster's "postgres"
# database, see tests/pg/cluster.sh) every installation the tests make gets a
# PostgreSQL database of its own instead of an SQLite file.
PG_ADMIN_URL = os.environ.get("CLUETRAIN_TEST_PG") or None
_pg_names = itertools.count()


def pg_sql(sql, url=None):
    """Run SQL with psql as the cluster's superuser; its stdout."""
    res = subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", url or PG_ADMIN_URL,
                          "-c", sql], capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise AssertionError("psql failed: %s\n%s" % (sql, res.stderr))
    return res.stdout


def pg_url(name):
    """The URL of database name on the test cluster."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def pg_new_database(template=None):
    """A new empty database (or a copy of template's); its name."""
    name = "ct_%d_%d" % (os.getpid(), next(_pg_names))
    if template:  # a file copy: fast for the small databases of the tests
        pg_sql("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY" % (name, template))
    else:
        pg_sql("CREATE DATABASE %s" % name)
    return name


_pg_garbage = queue.Queue()


def _drop_databases():
    while True:
        name = _pg_garbage.get()
        try:
            pg_sql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        except AssertionError:
            pass  # the cluster is thrown away at the end anyway


def pg_drop_database(name):
    """Drop a test's database, in the background (it is not used again)."""
    if not getattr(pg_drop_database, "thread", None):
        pg_drop_database.thread = threading.Thread(target=_drop_databases, daemon=True)
        pg_drop_database.thread.start()
    _pg_garbage.put(name)


def binary_path():
    path = os.environ.get("CLUETRAIN_BIN") or os.path.join(REPO, "build", "cluetrain")
    return os.path.abspath(path)


def is_sanitized(binary):
    """True for an ASan build (timeouts are stretched for it)."""
    try:
        with open(binary, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


SLOW = 3.0 if is_sanitized(binary_path()) else 1.0


def check_sanitizers(text, what):
    """Fail (AssertionError) when a sanitizer reported something in text."""
    m = SANITIZER_REPORT.search(text or "")
    if m:
        start = max(0, m.start() - 200)
        raise AssertionError("sanitizer report from %s:\n%s" % (what, text[start:start + 6000]))


def clean_env(overrides=None):
    """The environment for a cluetrain process: ours without CLUETRAIN_*
    configuration from outside, plus the test configuration and overrides."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CLUETRAIN_") or k == "CLUETRAIN_BIN"}
    env.update(TEST_CONFIG)
    env["LC_ALL"] = "C.UTF-8"
    for k, v in (overrides or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def run_cli(binary, *args, env=None, input=None, timeout=60, check=False, cwd=None):
    """Run `cluetrain args...`; a CompletedProcess with text stdout/stderr.
    A sanitizer report on stderr fails the test; check=True also requires
    exit status 0. Under CLUETRAIN_TEST_PG, `init` gets a new database."""
    args = [str(a) for a in args]
    if PG_ADMIN_URL and args and args[0] == "init" and "--database" not in args \
            and "--help" not in args:
        args += ["--database", pg_url(pg_new_database())]
    proc = subprocess.run([binary] + args, env=clean_env(env),
                          input=input, capture_output=True, text=True,
                          timeout=timeout * SLOW, cwd=cwd)
    check_sanitizers(proc.stderr, "cluetrain " + " ".join(str(a) for a in args))
    if check and proc.returncode != 0:
        raise AssertionError("cluetrain %s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(str(a) for a in args), proc.returncode, proc.stdout, proc.stderr))
    return proc


class Client:
    """A tiny JSON-over-HTTP client for one server; one connection per call."""

    def __init__(self, port, token, timeout=15):
        self.port = port
        self.token = token
        self.timeout = timeout * SLOW

    def request(self, method, path, body=None, headers=None, token=None, params=None):
        """Send a request; (status, headers dict lower-case, raw body bytes).
        body may be bytes (sent as is) or any JSON value (encoded)."""
        if params:
            path += "?" + urllib.parse.urlencode(params)
        hdrs = {}
        tok = self.token if token is None else token
        if tok:
            hdrs["Authorization"] = "Bearer " + tok
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            res = conn.getresponse()
            raw = res.read()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, raw
        finally:
            conn.close()

    def call(self, method, path, body=None, **kw):
        """(status, parsed JSON body or None)."""
        status, _, raw = self.request(method, path, body, **kw)
        try:
            return status, json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            return status, None

    def get(self, path, params=None, **kw):
        return self.call("GET", path, params=params, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    # -- shortcuts for what most tests do ----------------------------------

    def ingest(self, messages, expect=201):
        """POST messages (one dict or a list); the result list (data)."""
        status, body = self.post("/api/v1/messages", messages)
        assert status == expect, (status, body)
        return body["data"] if status == 201 else body

    def conversation(self, cid):
        status, body = self.get("/api/v1/conversations/%d" % cid)
        assert status == 200, (status, body)
        return body

    def conversations(self, **params):
        """Every conversation matching params, following next_cursor."""
        out, cursor = [], None
        while True:
            p = dict(params, limit=200)
            if cursor:
                p["cursor"] = cursor
            status, body = self.get("/api/v1/conversations", p)
            assert status == 200, (status, body)
            out += body["data"]
            cursor = body["next_cursor"]
            if not cursor:
                return out

    def set_webhook(self, url, channel_id=1):
        status, body = self.patch("/api/v1/channels/%d" % channel_id,
                                  {"config": {"webhook_url": url}})
        assert status == 200, (status, body)
        return body


class Server:
    """One `cluetrain serve` process over a data directory."""

    def __init__(self, binary, data_dir, env=None):
        self.binary = binary
        self.data_dir = str(data_dir)
        self.env = dict(env or {})
        self.proc = None
        self.port = None
        self.token = None
        self.init_output = None
        self.log_path = None
        self._log_file = None
        self._runs = 0
        self.logs = []  # stderr of finished runs
        self.database = None  # the PostgreSQL database's name, under CLUETRAIN_TEST_PG

    def init(self, template=None):
        """`cluetrain init` and a test token (role admin); returns self.
        With template (a Server initialised before and not running), copy
        its data directory instead: the same result, much faster."""
        if template is not None:
            shutil.copytree(template.data_dir, self.data_dir)
            # The config file names files of the data directory (database,
            # key) by their paths: point them here.
            conf = os.path.join(self.data_dir, "cluetrain.conf")
            with open(conf) as f:
                text = f.read()
            text = re.sub(r"(?m)^(\S+ = )%s/" % re.escape(template.data_dir),
                          lambda m: m.group(1) + self.data_dir + "/", text)
            if template.database:
                self.database = pg_new_database(template.database)
                text = re.sub(r"(?m)^database = .*$",
                              lambda m: "database = " + pg_url(self.database), text)
            with open(conf, "w") as f:
                f.write(text)
            self.init_output = template.init_output
            self.token = template.token
            return self
        args = ["init", "--data", self.data_dir]
        if PG_ADMIN_URL:
            self.database = pg_new_database()
            args += ["--database", pg_url(self.database)]
        res = run_cli(self.binary, *args, env=self.env, check=True)
        self.init_output = res.stdout
        self.token = self.add_token("test", "admin")
        return self

    def join(self, other):
        """Become another node of other's installation: its configuration and
        key file, the same PostgreSQL database; returns self (not started)."""
        assert other.database, "nodes share a PostgreSQL database (CLUETRAIN_TEST_PG)"
        os.makedirs(self.data_dir, mode=0o700)
        for name in ("cluetrain.conf", "secret.key"):
            with open(os.path.join(other.data_dir, name), "rb") as f:
                text = f.read()
            if name == "cluetrain.conf":
                text = text.replace(other.data_dir.encode() + b"/", self.data_dir.encode() + b"/")
            with open(os.path.join(self.data_dir, name), "wb") as f:
                f.write(text)
            os.chmod(os.path.join(self.data_dir, name), 0o600)
        self.database = other.database
        self.token = other.token
        return self

    def add_token(self, name, role):
        res = run_cli(self.binary, "token", "add", "--data", self.data_dir, "--name", name,
                      "--role", role, env=self.env, check=True)
        return res.stdout.strip()

    def cli(self, *args, **kw):
        """Run a subcommand against this server's data directory."""
        return run_cli(self.binary, args[0], *args[1:], "--data", self.data_dir,
                       env=self.env, **kw)

    def start(self, timeout=15):
        """Start serving on a free port and wait until /health answers."""
        assert self.proc is None, "already running"
        self._runs += 1
        self.log_path = os.path.join(os.path.dirname(self.data_dir.rstrip("/")) or ".",
                                     "%s.serve-%d.log" % (os.path.basename(self.data_dir),
                                                          self._runs))
        self._log_file = open(self.log_path, "w+b")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data", self.data_dir, "--listen", "127.0.0.1:0"],
            env=clean_env(self.env), stdout=self._log_file, stderr=self._log_file,
            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout * SLOW
        self.port = None
        while time.monotonic() < deadline:
            m = re.search(r"event=server\.started .*?\bport=(\d+)", self.log())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        if not self.port:
            log = self.log()
            self.kill()
            raise AssertionError("the server did not start:\n" + log)
        while time.monotonic() < deadline:
            try:
                status, _ = Client(self.port, None, timeout=2).get("/api/v1/health")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        log = self.log()
        self.kill()
        raise AssertionError("the server never became healthy:\n" + log)

    def log(self):
        """stderr (and stdout) of the current or last run so far."""
        if not self.log_path:
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def client(self, token=None):
        return Client(self.port, token or self.token)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _finish(self):
        self._log_file.close()
        self._log_file = None
        text = self.log()
        self.logs.append(text)
        self.proc = None
        check_sanitizers(text, "cluetrain serve")
        return text

    def stop(self, timeout=20):
        """SIGTERM and wait; the exit status. Fails on a sanitizer report."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._finish()
            raise AssertionError("the server did not stop within %ds of SIGTERM" % timeout)
        self._finish()
        return rc

    def kill(self):
        """SIGKILL, as a crash or power cut would; waits for the process."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self._finish()

    def restart(self):
        self.stop()
        return self.start()


def wait_until(predicate, timeout, interval=0.02, what="condition"):
    """Poll predicate() until it returns a true value; that value. Fails after timeout."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def message(external_id, author="kunde-1", text=None, channel="api", **extra):
    """One message in the ingest format."""
    m = {"channel": channel, "external_id": external_id,
         "author": {"id": author, "name": "Name of " + author},
         "text": text if text is not None else "Nachricht " + external_id}
    m.update(extra)
    return m


class EventStream:
    """A reader of GET /api/v1/events over a raw socket.

    A thread reads the chunked response and parses Server-Sent Events into a
    queue of dicts {"id", "event", "data"}; comments arrive as
    {"comment": text}. Use next_event() to take them.
    """

    def __init__(self, port, token, last_event_id=None, timeout=10, headers=None):
        """token None sends no Authorization; headers (a dict) are added,
        e.g. a session Cookie."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
        req = ["GET /api/v1/events HTTP/1.1", "Host: 127.0.0.1:%d" % port,
               "Accept: text/event-stream"]
        if token:
            req.append("Authorization: Bearer " + token)
        for k, v in (headers or {}).items():
            req.append("%s: %s" % (k, v))
        if last_event_id is not None:
            req.append("Last-Event-ID: %s" % last_event_id)
        self.sock.sendall(("\r\n".join(req) + "\r\n\r\n").encode())
        self.file = self.sock.makefile("rb")
        status_line = self.file.readline().decode()
        self.status = int(status_line.split()[1])
        self.headers = {}
        while True:
            line = self.file.readline().decode().rstrip("\r\n")
            if not line:
                break
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.events = queue.Queue()
        self.closed = False
        self.sock.settimeout(None)
        self._thread = threading.Thread(target=self._read, daemon=True)
        if self.status == 200:
            self._thread.start()

    def _chunks(self):
        chunked = "chunked" in self.headers.get("transfer-encoding", "")
        while True:
            if not chunked:
                data = self.file.read1(65536)
                if not data:
                    return
                yield data
                continue
            size_line = self.file.readline()
            if not size_line:
                return
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                return
            data = self.file.read(size)
            self.file.readline()  # CRLF after the chunk
            yield data

    def _read(self):
        pending = b""
        try:
            for data in self._chunks():
                pending += data
                while b"\n\n" in pending:
                    block, pending = pending.split(b"\n\n", 1)
                    self.events.put(self._parse(block.decode("utf-8")))
        except (OSError, ValueError):
            pass
        self.events.put(None)  # end of stream

    @staticmethod
    def _parse(block):
        ev = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                ev.setdefault("comment", line[1:].strip())
                continue
            k, _, v = line.partition(":")
            v = v[1:] if v.startswith(" ") else v
            if k == "data":
                ev["data"] = ev["data"] + "\n" + v if "data" in ev else v
            else:
                ev[k] = v
        if "data" in ev:
            try:
                ev["json"] = json.loads(ev["data"])
            except ValueError:
                pass
        return ev

    def next_event(self, timeout, skip_comments=True):
        """The next event (dict), or None at end of stream or after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if ev is None:
                self.closed = True
                return None
            if skip_comments and "event" not in ev:
                continue
            return ev

    def wait_for(self, predicate, timeout):
        """Events up to and including the first one matching predicate;
        raises AssertionError (listing what arrived) if none does in time."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            ev = self.next_event(max(0.0, deadline - time.monotonic()))
            if ev is None:
                raise AssertionError("no matching event within %.1fs; got %r" % (timeout, seen))
            seen.append(ev)
            if predicate(ev):
                return seen

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self._thread.is_alive():
            self._thread.join(5)

"""benchkit.py: what the Python benchmarks share (email_bench.py,
hooks_bench.py): a free loopback port, a fresh installation with an admin
token, `cluetrain serve` started and stopped, and JSON requests with the
token. Python 3 standard library only.
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def incoming_messages(db):
    """Incoming messages stored in the SQLite database at path db (read-only)."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return con.execute("SELECT count(*) FROM messages WHERE direction = 'in'").fetchone()[0]
    finally:
        con.close()


def remove_unless_kept(top, say):
    """Remove the folder top, unless BENCH_KEEP=1 asks to keep it (said)."""
    if os.environ.get("BENCH_KEEP") == "1":
        say("kept %s" % top)
    else:
        shutil.rmtree(top, ignore_errors=True)


def binary_or_exit(prog):
    """The cluetrain binary named by $CLUETRAIN (absolute), or exit with a
    message naming prog. Also makes SIGTERM (how bench/run.sh stops its
    children) run the callers' finally blocks."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    binary = os.path.abspath(os.environ.get("CLUETRAIN", "build/cluetrain"))
    if not os.access(binary, os.X_OK):
        sys.exit("%s: no binary at %s (set CLUETRAIN)" % (prog, binary))
    return binary


class Server:
    """A fresh installation in folder `data`, served on a free port.

    Use as a context manager: on entry the data folder is initialised, an
    admin token made and the server is answering; on exit it is stopped.
    The server's output goes to `log_path`."""

    def __init__(self, binary, data, log_path):
        self.binary, self.data, self.log_path = binary, data, log_path
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.token = None
        self.proc = None

    def __enter__(self):
        subprocess.run([self.binary, "init", "--data", self.data], check=True,
                       capture_output=True)
        self.token = subprocess.run(
            [self.binary, "token", "add", "--data", self.data, "--name", "bench", "--role",
             "admin"], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary, "serve", "--data", self.data, "--listen",
                                      "127.0.0.1:%d" % self.port], stdout=log, stderr=log)
        log.close()
        for _ in range(600):
            if self.proc.poll() is not None:
                sys.exit("bench: the server exited (see %s)" % self.log_path)
            try:
                self.request("GET", "/api/v1/conversations?limit=1")
                return self
            except OSError:
                time.sleep(0.1)
        sys.exit("bench: the server did not answer within 60 s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)

    def request(self, method, path, body=None, timeout=30):
        """A JSON request with the admin token; the decoded answer."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as res:
            raw = res.read()
        return json.loads(raw) if raw else None

"""Fixtures of the integration suite.

- binary:    path of the cluetrain binary under test (CLUETRAIN_BIN).
- make_server(env=None, start=True): a fresh data directory, `cluetrain init`,
             a test token, and (unless start=False) `cluetrain serve` on a free
             loopback port; every server is stopped at teardown and its output
             checked for sanitizer reports.
- server:    one started server with the default test configuration.
- api:       a Client for `server` (admin token).
- receiver:  the fake webhook receiver (tests/fakes), started on a free port.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fakes"))

import harness  # noqa: E402
from webhook_receiver import WebhookReceiver  # noqa: E402


@pytest.fixture(scope="session")
def binary():
    path = harness.binary_path()
    if not os.access(path, os.X_OK):
        pytest.exit("cluetrain binary not found at %s (set CLUETRAIN_BIN)" % path, 2)
    return path


@pytest.fixture(scope="session")
def template(binary, tmp_path_factory):
    """A freshly initialised data directory that make_server copies."""
    srv = harness.Server(binary, tmp_path_factory.mktemp("template") / "data")
    return srv.init()


@pytest.fixture
def make_server(binary, template, tmp_path):
    servers = []

    def make(env=None, start=True, name=None):
        data = tmp_path / (name or "data%d" % len(servers))
        srv = harness.Server(binary, data, env)
        servers.append(srv)
        srv.init(template)
        if start:
            srv.start()
        return srv

    yield make
    problems = []
    for srv in servers:
        try:
            if srv.running:
                rc = srv.stop()
                if rc != 0:
                    problems.append("cluetrain serve exited %s after SIGTERM" % rc)
            elif srv.proc is not None:  # it ended by itself: a crash
                rc = srv.proc.returncode
                srv.kill()
                problems.append("cluetrain serve died on its own (status %s):\n%s"
                                % (rc, srv.logs[-1][-4000:]))
        except AssertionError as e:
            problems.append(str(e))
        if srv.database:
            harness.pg_drop_database(srv.database)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def api(server):
    return server.client()


@pytest.fixture
def receiver():
    r = WebhookReceiver().start()
    yield r
    r.stop()

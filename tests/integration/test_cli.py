"""The command line: init, token add, --help, import, export, backup, migrate.
Their forms are a contract for scripts and operators."""

import json
import os
import re
import shutil
import subprocess
import threading
import time

import pytest

import harness
from harness import SLOW, Server, check_sanitizers, clean_env, message, run_cli


def export(srv):
    """Every message of srv's data directory, as `cluetrain export` writes it."""
    res = srv.cli("export", check=True)
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]


def write_jsonl(path, items):
    with open(path, "w") as f:
        for it in items:
            f.write((it if isinstance(it, str) else json.dumps(it)) + "\n")
    return str(path)


def test_init_prints_password_and_token_once(binary, tmp_path):
    """init creates the installation and prints the admin password and an API
    token that works; a second init of the same directory refuses, prints no
    new secrets and leaves the installation as it was."""
    data = tmp_path / "inst"
    res = run_cli(binary, "init", "--data", data, check=True)
    password = re.search(r"admin password:\s*(\S+)", res.stdout)
    token = re.search(r"API token:\s*(\S+)", res.stdout)
    assert password and len(password.group(1)) >= 12
    assert token and token.group(1).startswith("ct_")
    assert res.stdout.count(token.group(1)) == 1
    assert (data / "cluetrain.conf").exists()
    if harness.PG_ADMIN_URL:  # the database is on the test cluster, named in the config
        assert "database = postgres://" in (data / "cluetrain.conf").read_text()
        assert not (data / "cluetrain.db").exists()
    else:
        assert (data / "cluetrain.db").exists()

    again = run_cli(binary, "init", "--data", data)
    assert again.returncode != 0
    assert "initialised already" in again.stderr
    assert token.group(1) not in again.stdout and "password" not in again.stdout

    srv = Server(binary, data)
    srv.token = token.group(1)
    srv.start()
    try:
        api = srv.client()
        status, body = api.get("/api/v1/channels")
        assert status == 200
        assert [(c["id"], c["name"], c["kind"]) for c in body["data"]] == [(1, "api", "api")]
        assert api.ingest(message("init-1"))[0]["duplicate"] is False
    finally:
        assert srv.stop() == 0


def test_init_with_a_relative_directory_works_from_anywhere(binary, tmp_path):
    """`init --data d` run in one directory, then commands given the same
    directory by its absolute path from another working directory: the data
    directory must be found (the config must not hold a path relative to
    the working directory of init)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run_cli(binary, "init", "--data", "inst", cwd=tmp_path / "a", check=True)
    res = run_cli(binary, "migrate", "--data", tmp_path / "a" / "inst", cwd=tmp_path / "b")
    assert res.returncode == 0, res.stderr


def test_a_moved_data_directory_keeps_working(binary, tmp_path):
    """A data directory is self-contained: moved elsewhere (as a restore or a
    new disk would), its commands work on the new path."""
    run_cli(binary, "init", "--data", tmp_path / "old", check=True)
    shutil.move(str(tmp_path / "old"), str(tmp_path / "new"))
    res = run_cli(binary, "migrate", "--data", tmp_path / "new")
    assert res.returncode == 0, res.stderr


def test_token_add_prints_only_a_working_token(server):
    """token add prints one line, the token, which authenticates with its role."""
    res = server.cli("token", "add", "--name", "ci", "--role", "agent", check=True)
    lines = res.stdout.splitlines()
    assert len(lines) == 1 and re.fullmatch(r"ct_[A-Za-z0-9_-]{20,}", lines[0]), res.stdout
    agent = server.client(lines[0])
    assert agent.ingest(message("tok-1"))[0]["duplicate"] is False
    assert agent.get("/api/v1/channels")[0] == 403  # agents may not manage channels
    viewer = server.client(server.add_token("ro", "viewer"))
    assert viewer.get("/api/v1/conversations")[0] == 200
    assert viewer.post("/api/v1/messages", message("tok-2"))[0] == 403


@pytest.mark.parametrize("args", [
    ["--name", "x", "--role", "root"],
    ["--name", "x"],
    ["--role", "admin"],
    ["--name", "", "--role", "admin"],
])
def test_token_add_rejects_bad_arguments(server, args):
    """A missing name or unknown role: usage error, no token printed."""
    res = server.cli("token", "add", *args)
    assert res.returncode == 2
    assert res.stdout == ""


def test_commands_on_an_uninitialised_directory_fail(binary, tmp_path):
    """Commands other than init refuse a directory that holds no installation, and create nothing
    there."""
    for args in (["migrate"], ["export"], ["token", "add", "--name", "x", "--role", "admin"],
                 ["serve", "--listen", "127.0.0.1:0"]):
        res = run_cli(binary, *args, "--data", tmp_path / "nothing", timeout=20)
        assert res.returncode != 0, args
        assert "not initialised" in res.stderr, args
        assert not (tmp_path / "nothing" / "cluetrain.db").exists()


@pytest.mark.parametrize("command", [["init"], ["serve"], ["migrate"], ["token"],
                                     ["token", "add"], ["import"], ["export"], ["backup"],
                                     ["migrate-data"], ["routes"]], ids=" ".join)
def test_help_of_every_subcommand(binary, command):
    """`cluetrain COMMAND --help` prints its usage on stdout and exits 0
    (and does nothing else)."""
    res = run_cli(binary, *command, "--help")
    assert res.returncode == 0, res.stderr
    assert "usage: cluetrain " + command[0] in res.stdout, res.stdout


def test_top_level_help_lists_the_commands(binary):
    """`cluetrain --help` lists every command; an unknown command is a usage error."""
    res = run_cli(binary, "--help")
    assert res.returncode == 0
    for command in ("init", "serve", "migrate", "token", "import", "export", "backup",
                    "migrate-data"):
        assert re.search(r"(?m)^\s+%s(\s|$)" % command, res.stdout), command
    bad = run_cli(binary, "frobnicate")
    assert bad.returncode == 2 and "frobnicate" in bad.stderr


def test_migrate_prints_the_schema_version(server):
    """migrate prints "schema version N", the version /health reports."""
    res = server.cli("migrate", check=True)
    m = re.search(r"schema version (\d+)", res.stdout)
    assert m, res.stdout
    assert int(m.group(1)) == server.client().get("/api/v1/health")[1]["schema_version"] >= 1


def good_lines(n, prefix="imp"):
    return [message("%s-%d" % (prefix, i), author="imp-author-%d" % (i % 4),
                    text="Importierte Nachricht %d" % i,
                    created_at="2024-11-20T06:%02d:00+01:00" % (i % 60)) for i in range(n)]


def test_import_stores_a_good_file_and_counts(make_server, tmp_path):
    """import stores every line, reports the count, and a second import of
    the same file stores nothing twice."""
    srv = make_server(start=False)
    path = write_jsonl(tmp_path / "good.jsonl", good_lines(12) + [""])
    res = srv.cli("import", path, check=True)
    assert re.search(r"\b12\b", res.stderr + res.stdout), res.stderr
    rows = export(srv)
    assert sorted(r["external_id"] for r in rows) == sorted("imp-%d" % i for i in range(12))
    srv.cli("import", path, check=True)
    assert len(export(srv)) == 12


def test_import_reads_standard_input(make_server):
    """Without FILE, import reads standard input."""
    srv = make_server(start=False)
    data = "".join(json.dumps(m) + "\n" for m in good_lines(3))
    srv.cli("import", input=data, check=True)
    assert len(export(srv)) == 3


@pytest.mark.parametrize("bad,field", [
    (dict(message("x"), author={"name": "kein id"}), "author.id"),
    (dict(message("x"), created_at="20.11.2026"), "created_at"),
    (dict(message("x"), channel="nosuch"), "channel"),
    (dict(message("x"), colour="blau"), "colour"),
    ('{"channel": "api", "external_id": ', None),
])
def test_import_with_a_bad_line_stores_nothing(make_server, tmp_path, bad, field):
    """A bad line 5 among good ones: non-zero exit, stderr names line 5 (and
    the field), and nothing of the file is stored."""
    srv = make_server(start=False)
    lines = good_lines(9)
    lines[4] = bad
    path = write_jsonl(tmp_path / "bad.jsonl", lines)
    res = srv.cli("import", path)
    assert res.returncode == 1, res.stderr
    assert ":5:" in res.stderr, res.stderr
    if field:
        assert field in res.stderr
    assert export(srv) == []


@pytest.mark.parametrize("first_line", ["this is not json", "{", "[1, 2"])
def test_import_with_invalid_json_on_the_first_line_fails_cleanly(make_server, tmp_path,
                                                                  first_line):
    """Invalid JSON on line 1: exit status 1 with the line named, not a crash."""
    srv = make_server(start=False)
    path = write_jsonl(tmp_path / "bad1.jsonl", [first_line] + good_lines(3))
    res = srv.cli("import", path)
    assert res.returncode == 1, "exit status %d (negative: killed by a signal)" % res.returncode
    assert ":1:" in res.stderr
    assert export(srv) == []


def test_export_then_import_round_trips_inbound_messages(make_server):
    """Messages exported from one installation and imported into a fresh one
    arrive complete: same count, external ids, authors, texts, times,
    threads, attachments and meta. Replies and notes are not imported (they
    cannot be received)."""
    src = make_server()
    api = src.client()
    msgs = good_lines(6, "rt") + [
        message("rt-thread-1", author="tina", thread_id="T-1", subject="Abschlag",
                text="Wie hoch ist mein Abschlag?",
                attachments=[{"url": "https://example.org/a.pdf", "name": "a.pdf"}],
                meta={"lang": "de", "n": 3}),
        message("rt-thread-2", author="tina", thread_id="T-1", text="Und ab wann?"),
        message("rt-reply-to", author="udo", in_reply_to="rt-0", text="Ich auch!"),
        message("rt-umlaut", author="ülrich", text="Grüße aus Köln — ✓ 😀"),
    ]
    api.ingest(msgs)
    cid = api.ingest(message("rt-x", author="vera"))[0]["conversation_id"]
    assert api.post("/api/v1/conversations/%d/notes" % cid, {"text": "Notiz"})[0] == 201
    assert api.post("/api/v1/conversations/%d/messages" % cid, {"text": "Antwort"})[0] == 201
    src.stop()
    exported = export(src)
    assert sorted(r["direction"] for r in exported).count("in") == len(msgs) + 1
    path = os.path.join(os.path.dirname(src.data_dir), "export.jsonl")
    with open(path, "w") as f:
        f.write(src.cli("export", check=True).stdout)

    dst = make_server(start=False)
    dst.cli("import", path, check=True)
    again = export(dst)

    def inbound(rows):
        keep = ("channel", "external_id", "thread_id", "in_reply_to", "author", "subject",
                "text", "created_at", "attachments", "meta")
        return sorted((tuple(json.dumps(r[k], sort_keys=True) for k in keep)
                       for r in rows if r["direction"] == "in"))

    assert inbound(again) == inbound(exported)
    assert all(r["direction"] == "in" for r in again)
    # The threading is rebuilt too: the same messages share conversations.
    def groups(rows):
        by_conv = {}
        for r in rows:
            if r["direction"] == "in":
                by_conv.setdefault(r["conversation_id"], set()).add(r["external_id"])
        return sorted(sorted(g) for g in by_conv.values())
    assert groups(again) == groups(exported)


def test_backup_while_serving_and_ingesting(make_server, tmp_path):
    """backup --out F while the server takes batches: exit 0, F is a plain
    SQLite file that the sqlite3 tool opens and finds intact (on PostgreSQL a
    pg_dump file that pg_restore restores), and it holds every message that
    was acknowledged before the backup started."""
    srv = make_server()
    api = srv.client()
    for b in range(5):
        api.ingest([message("bk-%d-%d" % (b, i), author="bk-%d" % (i % 5)) for i in range(50)])
    acks = [(0.0, ["bk-%d-%d" % (b, i) for b in range(5) for i in range(50)])]
    stop = threading.Event()
    errors = []

    def keep_ingesting():
        n = 0
        c = srv.client()
        while not stop.is_set():
            batch = [message("bg-%d-%d" % (n, i), author="bg") for i in range(50)]
            try:
                c.ingest(batch)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return
            acks.append((time.monotonic(), [m["external_id"] for m in batch]))
            n += 1

    t = threading.Thread(target=keep_ingesting)
    t.start()
    try:
        time.sleep(0.2)
        out = tmp_path / "backup.db"
        started = time.monotonic()
        res = srv.cli("backup", "--out", out)
        time.sleep(0.1)
    finally:
        stop.set()
        t.join(30)
    assert not errors, errors
    assert res.returncode == 0, res.stderr
    assert "verified" in res.stdout
    assert not os.path.exists(str(out) + ".partial")
    must_have = [e for when, ids in acks if when < started for e in ids]
    assert len(must_have) > 250, "the background client got nothing acknowledged"
    assert any(when > started for when, _ in acks), "ingest stopped during the backup"
    in_backup = set(backed_up_external_ids(srv, out))
    missing = [e for e in must_have if e not in in_backup]
    assert not missing, missing[:5]


def backed_up_external_ids(srv, out):
    """The external ids of the messages in backup file out, after checking
    it: SQLite's integrity check, or for PostgreSQL a restore of the pg_dump
    file into a new database."""
    if srv.database:
        name = harness.pg_new_database()
        try:
            res = subprocess.run(["pg_restore", "--no-owner", "--dbname", harness.pg_url(name),
                                  str(out)], capture_output=True, text=True, timeout=120)
            assert res.returncode == 0, res.stderr
            return harness.pg_sql("SELECT external_id FROM messages",
                                  harness.pg_url(name)).split()
        finally:
            harness.pg_drop_database(name)
    q = subprocess.run(["sqlite3", str(out), "PRAGMA integrity_check;"
                        " SELECT external_id FROM messages;"],
                       capture_output=True, text=True, timeout=60)
    assert q.returncode == 0, q.stderr
    lines = q.stdout.split()
    assert lines[0] == "ok"
    return lines[1:]


def test_backup_needs_out(server):
    """backup without --out is a usage error."""
    res = server.cli("backup")
    assert res.returncode == 2
    assert "usage" in res.stderr


def test_serve_refuses_a_port_in_use(server, make_server):
    """A second server (another installation) on a port that is taken must
    exit non-zero with a reason, not share the port: with SO_REUSEPORT the
    kernel would split the requests between two installations."""
    other = make_server(start=False)
    proc = subprocess.Popen([other.binary, "serve", "--data", other.data_dir, "--listen",
                             "127.0.0.1:%d" % server.port], env=clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=3 * SLOW)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        check_sanitizers(err, "second cluetrain serve")
        pytest.fail("a second server started on the busy port %d:\n%s" % (server.port, err))
    check_sanitizers(err, "second cluetrain serve")
    assert proc.returncode != 0
    assert "cannot listen" in err

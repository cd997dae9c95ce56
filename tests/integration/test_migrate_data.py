"""`cluetrain migrate-data --from sqlite:PATH --to postgres://...`: moving an
installation from SQLite to PostgreSQL, verified table by table; refusing a
destination that holds data and a source that is not an SQLite database.

These tests need a PostgreSQL cluster (CLUETRAIN_TEST_PG, see
tests/pg/cluster.sh). The suite runs once per backend; the PostgreSQL run
covers this command, the SQLite run skips it. The source installation is an
SQLite one in either case, so it is made with `init` called directly (run_cli
would give it a PostgreSQL database under CLUETRAIN_TEST_PG).
"""

import os
import re
import shutil
import subprocess

import pytest

import harness
from authkit import Browser, create_user
from harness import Server, message, run_cli

pytestmark = pytest.mark.skipif(
    not harness.PG_ADMIN_URL,
    reason="needs PostgreSQL (CLUETRAIN_TEST_PG); the PostgreSQL run of the suite covers it")

# Every table of the schema (without schema_migrations and the SQLite
# full-text index): each must be named in the output with OK.
TABLES = ("channels", "contacts", "identities", "users", "teams", "team_members", "api_tokens",
          "conversations", "tags", "conversation_tags", "messages", "jobs", "sessions",
          "recovery_codes", "login_throttle", "password_resets", "audit_log", "leases",
          "concept_versions", "concept_active", "sla_events", "templates",
          "template_versions", "held_replies", "channel_state")


def sqlite_installation(binary, data):
    """`cluetrain init --data data --demo` with an SQLite database (whatever
    CLUETRAIN_TEST_PG says); (admin password, API token)."""
    proc = subprocess.run([binary, "init", "--data", str(data), "--demo"],
                          env=harness.clean_env(), capture_output=True, text=True,
                          timeout=60 * harness.SLOW)
    harness.check_sanitizers(proc.stderr, "cluetrain init")
    assert proc.returncode == 0, proc.stderr
    password = re.search(r"admin password:\s*(\S+)", proc.stdout).group(1)
    token = re.search(r"API token:\s*(\S+)", proc.stdout).group(1)
    assert (data / "cluetrain.db").exists()
    return password, token


def migrate(binary, source, url):
    return run_cli(binary, "migrate-data", "--from", source, "--to", url, timeout=120)


def switch_to(data, url):
    """Point the installation in data at the database url (its config's
    database line), as the administrator does after migrate-data."""
    conf = os.path.join(str(data), "cluetrain.conf")
    with open(conf) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^database = .*$", lambda m: "database = " + url, text)
    assert n == 1, text
    with open(conf, "w") as f:
        f.write(text)


def table_lines(stdout):
    """{table: (rows, verdict)} from migrate-data's report."""
    return {m.group(1): (int(m.group(2)), m.group(3))
            for m in re.finditer(r"(?m)^(\w+)\s+(\d+)\s+(\w+)$", stdout)}


def snapshot(api):
    """What the two installations must answer alike: every conversation, and
    searches for common and rare words."""
    searches = {}
    for q in ("strom", "zähler", "störung", "rückruf vereinbart", "abschlag"):
        status, body = api.get("/api/v1/search", {"q": q, "limit": 100})
        assert status == 200, body
        searches[q] = body["data"]
    return api.conversations(), searches


@pytest.fixture
def pg_database():
    """A new empty database on the test cluster: its URL; dropped afterwards."""
    name = harness.pg_new_database()
    yield harness.pg_url(name)
    harness.pg_drop_database(name)


def test_migrate_a_used_installation_and_serve_it_from_postgres(binary, tmp_path, pg_database):
    """Copy a demo installation with replies, notes, tags, users, teams and a
    session; every table is reported OK; served from PostgreSQL the API
    answers as it did on SQLite, the admin password and the session still
    work, and new rows get ids above the copied ones."""
    data = tmp_path / "sqlite"
    password, token = sqlite_installation(binary, data)
    old = Server(binary, data)
    old.token = token
    old.start()
    try:
        api = old.client()
        convs = api.conversations()
        cid = convs[0]["id"]
        assert api.post("/api/v1/conversations/%d/messages" % cid,
                        {"text": "Wir kümmern uns darum."})[0] == 201
        assert api.post("/api/v1/conversations/%d/notes" % convs[1]["id"],
                        {"text": "Rückruf vereinbart, Kunde ist morgen erreichbar"})[0] == 201
        status, _ = api.patch("/api/v1/conversations/%d" % cid,
                              {"tags": ["störung", "südstadt"], "priority": "high"})
        assert status == 200
        status, teams = api.get("/api/v1/teams")
        assert status == 200 and teams["data"]
        create_user(api, "agent", name="Änne Übermut", teams=[teams["data"][0]["id"]])
        # a dialog concept, and a message it triaged
        team = teams["data"][0]["name"]
        concept = ("name: Migration\ntime_zone: Europe/Berlin\noffice_hours: {mon: [\"08:00-18:00\"]}\n"
                   "languages: {de: {team: %s}}\nfallback_team: %s\nteams: {%s: {}}\n"
                   "sla_policies: {standard: {clock: always, first_response: 4h}}\n"
                   "defaults: {sla: standard}\n" % (team, team, team))
        status, version = api.post("/api/v1/concept/versions", {"source": concept, "activate": True})
        assert status == 201, version
        api.ingest({"channel": "api", "external_id": "migrate-triage", "author": {"id": "m-1"},
                    "text": "Wann kommt die Abrechnung?"})
        browser = Browser(old.port)
        browser.login("admin@localhost", password)
        before = snapshot(api)
        assert len(before[0]) == len(convs) + 1 and before[1]["rückruf vereinbart"]
        assert sum(1 for hits in before[1].values() if hits) >= 3, before[1]
    finally:
        assert old.stop() == 0

    res = migrate(binary, "sqlite:%s" % (data / "cluetrain.db"), pg_database)
    assert res.returncode == 0, res.stderr
    lines = table_lines(res.stdout)
    assert set(lines) == set(TABLES), res.stdout
    assert all(verdict == "OK" for _, verdict in lines.values()), res.stdout
    for table in ("messages", "conversation_tags", "team_members", "sessions", "audit_log",
                  "jobs", "tags", "concept_versions", "concept_active"):
        assert lines[table][0] > 0, (table, res.stdout)
    assert "database = " in res.stdout and "secret.key" in res.stdout
    # The configuration was left alone.
    with open(data / "cluetrain.conf") as f:
        assert re.search(r"(?m)^database = cluetrain\.db$", f.read())

    moved = tmp_path / "postgres"
    shutil.copytree(data, moved)
    switch_to(moved, pg_database)
    new = Server(binary, moved)
    new.token = token
    new.start()
    try:
        api = new.client()
        assert snapshot(api) == before
        assert api.get("/api/v1/health")[1]["schema_version"] >= 4
        # the concept is active on PostgreSQL, and triages what comes in
        status, active = api.get("/api/v1/concept")
        assert status == 200 and active["id"] == version["id"] and active["name"] == "Migration"
        # The session made on SQLite is valid here, and the password works.
        resumed = Browser(new.port)
        resumed.cookie, resumed.csrf = browser.cookie, browser.csrf
        status, me = resumed.get("/api/v1/auth/me")
        assert status == 200 and me["user"]["email"] == "admin@localhost"
        Browser(new.port).login("admin@localhost", password)
        # New rows continue after the copied ids.
        top = {t: int(harness.pg_sql("SELECT max(id) FROM %s" % t, pg_database))
               for t in ("messages", "conversations", "users")}
        assert top["messages"] >= lines["messages"][0]
        [r] = api.ingest(message("after-migration-1", author="neu-1",
                                 text="Nach dem Umzug: Zählerstand gemeldet"))
        assert r["duplicate"] is False
        assert api.conversation(r["conversation_id"])["sla"]["policy"] == "standard"
        assert r["id"] == top["messages"] + 1
        assert r["conversation_id"] == top["conversations"] + 1
        status, user = api.post("/api/v1/users", {
            "name": "Neu", "email": "neu@example.org", "role": "viewer",
            "password": "Qz7-migrated-Password-k9"})
        assert status == 201 and user["id"] == top["users"] + 1, user
    finally:
        assert new.stop() == 0


def test_refuses_a_destination_that_holds_data(binary, tmp_path, pg_database):
    """A second run into the same database is refused with a clear message and
    exit status 1, and writes nothing."""
    data = tmp_path / "sqlite"
    sqlite_installation(binary, data)
    first = migrate(binary, data / "cluetrain.db", pg_database)  # without "sqlite:"
    assert first.returncode == 0, first.stderr
    count = harness.pg_sql("SELECT count(*) FROM messages", pg_database).strip()

    again = migrate(binary, "sqlite:%s" % (data / "cluetrain.db"), pg_database)
    assert again.returncode == 1, again.stderr
    assert "holds data already" in again.stderr and "nothing was copied" in again.stderr
    assert "OK" not in again.stdout
    assert harness.pg_sql("SELECT count(*) FROM messages", pg_database).strip() == count


def test_refuses_a_bad_source_and_touches_no_destination(binary, tmp_path, pg_database):
    """A missing file, a folder, or a file that is no SQLite database: a clear
    error, exit status 1, and the destination is not even set up. A --to that is
    not a PostgreSQL URL is a usage error."""
    not_db = tmp_path / "notes.txt"
    not_db.write_text("not a database\n" * 10)
    cases = [("sqlite:%s" % (tmp_path / "missing.db"), "cannot read the SQLite database"),
             (str(tmp_path), "is a folder"),
             (str(not_db), "is not an SQLite database")]
    for source, why in cases:
        res = migrate(binary, source, pg_database)
        assert res.returncode == 1, (source, res.stderr)
        assert why in res.stderr, (source, res.stderr)
    assert not (tmp_path / "missing.db").exists()
    tables = harness.pg_sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                            pg_database)
    assert tables.strip() == "0"

    res = migrate(binary, not_db, str(tmp_path / "other.db"))
    assert res.returncode == 2 and "PostgreSQL URL" in res.stderr
    res = run_cli(binary, "migrate-data", "--to", pg_database)
    assert res.returncode == 2 and "usage: cluetrain migrate-data" in res.stderr

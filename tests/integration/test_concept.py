"""The dialog concept: checking, storing, activating and comparing versions
(CLI and API), and triage of every incoming message: intent, language,
rules and their reasons, team, routing within the team, SLA due times,
automatic replies, and due-soon / breach events raised exactly once.
"""

import json
import time

import pytest

import harness
from authkit import create_user, db_sql, db_value, now_ms, error_of, audit


def week(spans):
    return "{" + ", ".join('%s: %s' % (d, spans) for d in
                           ("mon", "tue", "wed", "thu", "fri", "sat", "sun")) + "}"


# Open around the clock (no holidays): rules about office hours are decided
# by the concept, not by when the test runs.
ALWAYS_OPEN = week('["00:00-24:00"]')
NEVER_OPEN = week("[]")


def concept_yaml(office_hours=ALWAYS_OPEN, outage_team="Entstörung", extra=""):
    return """\
name: Testkonzept Stadtwerke
time_zone: Europe/Berlin
office_hours: %s
languages:
  de: {team: Kundenservice}
  en: {team: International}
fallback_team: Kundenservice
teams:
  Kundenservice: {assignment: round_robin}
  International: {assignment: least_loaded}
  Entstörung: {assignment: round_robin, capacity: 1}
intents:
  outage:
    de: {keywords: [stromausfall], phrases: ["strom weg", "kein strom"]}
    en: {keywords: [outage], phrases: ["power is out"]}
  praise:
    de: {keywords: [danke, super]}
    en: {keywords: [thanks, great]}
sla_policies:
  standard: {clock: always, first_response: 4h, next_response: 8h, resolution: 5d}
  urgent: {clock: always, first_response: 30m, next_response: 1h, resolution: 8h}
defaults: {priority: normal, action: answer, sla: standard}
rules:
  - name: outage-de
    when: {intent: [outage], language: [de]}
    then: {priority: urgent, team: %s, tags: [störung], action: escalate, sla: urgent}
  - name: praise
    when: {intent: [praise]}
    then: {action: share, tags: [lob]}
%s""" % (office_hours, outage_team, extra)


def make_teams(api, names=("Kundenservice", "International", "Entstörung")):
    teams = {}
    for name in names:
        status, body = api.post("/api/v1/teams", {"name": name})
        assert status == 201, (status, body)
        teams[name] = body["id"]
    return teams


def activate(api, text):
    status, body = api.post("/api/v1/concept/versions", {"source": text, "activate": True})
    assert status == 201, (status, body)
    assert body["active"] is True
    return body


@pytest.fixture
def triaged(server, api):
    """A server with teams, two agents in Kundenservice, one in Entstörung,
    and the test concept active."""
    teams = make_teams(api)
    ks1 = create_user(api, "agent", teams=[teams["Kundenservice"]])
    ks2 = create_user(api, "agent", teams=[teams["Kundenservice"]])
    es = create_user(api, "agent", teams=[teams["Entstörung"]])
    version = activate(api, concept_yaml())
    return {"teams": teams, "ks": [ks1["id"], ks2["id"]], "es": es["id"], "version": version}


def write_concept(tmp_path, text, name="concept.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---- checking and versions --------------------------------------------------

def test_check_accepts_a_valid_concept_and_names_every_error(binary, tmp_path):
    good = write_concept(tmp_path, concept_yaml())
    res = harness.run_cli(binary, "concept", "check", good)
    assert res.returncode == 0, res.stderr
    assert "Testkonzept Stadtwerke" in res.stdout

    bad_text = concept_yaml(outage_team="Nirgendwo").replace(
        "first_response: 30m", "first_response: dreißig")
    bad = write_concept(tmp_path, bad_text, "bad.yaml")
    res = harness.run_cli(binary, "concept", "check", bad)
    assert res.returncode == 1
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith(bad + ":")]
    assert len(lines) == 2, res.stderr
    # in document order, each with line, column and the key path
    assert "sla_policies.urgent.first_response" in lines[0]
    assert "rules[0].then.team" in lines[1] and "Nirgendwo" in lines[1]
    line_of_team = bad_text.splitlines().index(
        [ln for ln in bad_text.splitlines() if "Nirgendwo" in ln][0]) + 1
    assert lines[1].startswith("%s:%d:" % (bad, line_of_team)), lines[1]


def test_cli_activate_refuses_missing_teams_then_keeps_history(server, api, tmp_path):
    path = write_concept(tmp_path, concept_yaml())
    server.stop()
    res = server.cli("concept", "activate", "--data", server.data_dir, path)
    assert res.returncode == 1
    assert "no team 'Kundenservice'" in res.stderr, res.stderr
    res = server.cli("concept", "history", "--data", server.data_dir)
    assert res.returncode == 0 and res.stdout.strip() == ""
    server.start()
    make_teams(server.client())
    server.stop()
    res = server.cli("concept", "activate", "--data", server.data_dir, path)
    assert res.returncode == 0, res.stderr
    second = write_concept(tmp_path, concept_yaml().replace("resolution: 8h", "resolution: 6h"),
                           "second.yaml")
    assert server.cli("concept", "activate", "--data", server.data_dir, second).returncode == 0
    hist = server.cli("concept", "history", "--data", server.data_dir).stdout.splitlines()
    assert len(hist) == 2 and hist[0].startswith("*") and not hist[1].startswith("*")
    shown = server.cli("concept", "show", "--data", server.data_dir).stdout
    assert "resolution: 6h" in shown
    diff = server.cli("concept", "diff", "--data", server.data_dir, "1", "2").stdout
    assert "-  urgent: {clock: always, first_response: 30m, next_response: 1h, resolution: 8h}" \
        in diff
    assert "+  urgent: {clock: always, first_response: 30m, next_response: 1h, resolution: 6h}" \
        in diff


def test_api_versions_activation_diff_and_audit(server, api):
    assert api.get("/api/v1/concept")[0] == 404
    status, body = api.post("/api/v1/concept/versions",
                            {"source": concept_yaml(), "activate": True})
    assert status == 422, body  # the teams do not exist yet
    assert body["error"]["errors"][0]["field"].startswith("teams.")
    assert api.get("/api/v1/concept/versions")[1]["data"] == []

    make_teams(api)
    first = activate(api, concept_yaml())
    status, body = api.post("/api/v1/concept/versions",
                            {"source": concept_yaml().replace("4h", "3h")})
    assert status == 201 and body["active"] is False
    second = body
    # a broken draft is refused and the active version stays
    status, body = api.post("/api/v1/concept/versions",
                            {"source": "name: [unclosed", "activate": True})
    assert status == 422 and body["error"]["errors"][0]["line"] >= 1
    status, active = api.get("/api/v1/concept")
    assert status == 200 and active["id"] == first["id"] and "Testkonzept" in active["source"]

    status, body = api.post("/api/v1/concept/versions/%d/activate" % second["id"])
    assert status == 200 and body["active"] is True
    versions = api.get("/api/v1/concept/versions")[1]["data"]
    assert [v["id"] for v in versions] == [second["id"], first["id"]]
    assert [v["active"] for v in versions] == [True, False]
    status, body = api.get("/api/v1/concept/diff", {"from": first["id"], "to": second["id"]})
    assert status == 200
    assert "-  standard: {clock: always, first_response: 4h" in body["diff"]
    assert "+  standard: {clock: always, first_response: 3h" in body["diff"]
    entries = audit(api, action="concept.activated")
    assert [e["object_id"] for e in entries][:2] == [second["id"], first["id"]]

    status, body = api.post("/api/v1/concept/check", {"source": "name: x\n"})
    assert status == 200 and body["valid"] is False and body["errors"]


def test_only_supervisors_and_admins_change_the_concept(server, api):
    make_teams(api)
    agent = create_user(api, "agent")
    supervisor = create_user(api, "supervisor")
    from authkit import login
    s_agent = login(server, agent)
    status, _ = s_agent.post("/api/v1/concept/versions", {"source": concept_yaml()})
    assert status == 403
    assert s_agent.get("/api/v1/concept/versions")[0] == 200
    s_sup = login(server, supervisor)
    status, body = s_sup.post("/api/v1/concept/versions",
                              {"source": concept_yaml(), "activate": True})
    assert status == 201, body


# ---- triage of incoming messages ----------------------------------------------

def test_german_outage_is_urgent_for_the_outage_team_with_reasons(api, triaged):
    before = now_ms()
    res = api.ingest(harness.message("t1", text="Bei uns ist seit einer Stunde der Strom weg!"))
    conv = api.conversation(res[0]["conversation_id"])
    assert conv["intent"] == "outage"
    assert conv["priority"] == "urgent"
    assert conv["action"] == "escalate"
    assert conv["team_id"] == triaged["teams"]["Entstörung"]
    assert conv["assignee_id"] == triaged["es"]
    assert "störung" in conv["tags"]
    assert conv["language"] == "de" and conv["language_unowned"] is False
    rule = conv["triage"]["rules"][0]
    assert rule["name"] == "outage-de" and "strom weg" in rule["because"]
    assert conv["sla"]["policy"] == "urgent"
    due = harness_time(conv["sla"]["first_response_due_at"])
    assert before + 30 * 60000 <= due <= now_ms() + 30 * 60000
    msg = conv["messages"][0]
    assert msg["language"] == "de" and msg["intent"] == "outage"
    assert msg["triage"]["rules"][0]["name"] == "outage-de"


def harness_time(text):
    """RFC 3339 to milliseconds."""
    import datetime
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def test_english_goes_to_its_team_and_praise_is_share_worthy(api, triaged):
    res = api.ingest(harness.message("e1", author="en-1",
                                     text="Thanks a lot, the new app is great!"))
    conv = api.conversation(res[0]["conversation_id"])
    assert conv["language"] == "en"
    assert conv["team_id"] == triaged["teams"]["International"]
    assert conv["intent"] == "praise" and conv["action"] == "share"
    assert conv["tags"] == ["lob"]
    assert conv["priority"] == "normal" and conv["sla"]["policy"] == "standard"


def test_round_robin_and_capacity_and_away(api, triaged):
    ks = triaged["ks"]
    got = []
    for i in range(4):
        res = api.ingest(harness.message("rr%d" % i, author="rr-%d" % i,
                                         text="Ich habe eine Frage zu meinem Vertrag."))
        got.append(api.conversation(res[0]["conversation_id"])["assignee_id"])
    assert sorted(got[:2]) == sorted(ks) and got[2:] == got[:2]
    # capacity 1 in Entstörung: the second open outage waits in the queue
    a = api.ingest(harness.message("o1", author="o-1", text="Kein Strom in der Südstadt"))
    b = api.ingest(harness.message("o2", author="o-2", text="Kein Strom in der Nordstadt"))
    assert api.conversation(a[0]["conversation_id"])["assignee_id"] == triaged["es"]
    conv_b = api.conversation(b[0]["conversation_id"])
    assert conv_b["assignee_id"] is None
    assert conv_b["team_id"] == triaged["teams"]["Entstörung"]
    # an agent marked away gets nothing
    status, _ = api.patch("/api/v1/users/%d" % ks[0], {"away": True})
    assert status == 200
    for i in range(3):
        res = api.ingest(harness.message("aw%d" % i, author="aw-%d" % i,
                                         text="Wann kommt meine Rechnung?"))
        assert api.conversation(res[0]["conversation_id"])["assignee_id"] == ks[1]


def test_working_hours_outside_now_skip_the_agent(api, triaged):
    ks = triaged["ks"]
    status, body = api.patch("/api/v1/users/%d" % ks[0], {"working_hours": {}})
    assert status == 200 and body["working_hours"] == {}
    status, body = api.patch("/api/v1/users/%d" % ks[1], {"working_hours": {"mon": ["25:00-26:00"]}})
    assert status == 422 and error_of(body)["field"] == "working_hours"
    for i in range(2):
        res = api.ingest(harness.message("wh%d" % i, author="wh-%d" % i,
                                         text="Frage zum Zählerstand"))
        assert api.conversation(res[0]["conversation_id"])["assignee_id"] == ks[1]


def test_first_contact_gets_one_automatic_reply(api, triaged):
    text = concept_yaml(extra="""auto_replies:
  first_contact:
    de: "Danke für Ihre Nachricht, wir melden uns."
    en: "Thanks for your message."
""")
    activate(api, text)
    res = api.ingest(harness.message("fc1", author="neu-1", text="Hallo, eine Frage zur Rechnung"))
    cid = res[0]["conversation_id"]
    api.ingest(harness.message("fc2", author="neu-1", text="Und noch etwas"))
    msgs = api.conversation(cid)["messages"]
    auto = [m for m in msgs if m["direction"] == "out"]
    assert len(auto) == 1, msgs
    assert auto[0]["text"] == "Danke für Ihre Nachricht, wir melden uns."
    assert auto[0]["delivery_state"] in ("queued", "sent", "failed")
    # an automatic reply is not the team's response: the clock runs on
    assert api.conversation(cid)["first_response_at"] is None


def test_after_hours_reply_once_per_closed_period(api, triaged):
    text = concept_yaml(office_hours=NEVER_OPEN, extra="""auto_replies:
  after_hours:
    de: "Wir sind ab {{office_hours.next_open}} wieder da."
""")
    activate(api, text)
    res = api.ingest(harness.message("ah1", author="nacht-1", text="Frage zum Abschlag"))
    cid = res[0]["conversation_id"]
    api.ingest(harness.message("ah2", author="nacht-1", text="Noch eine Frage"))
    conv = api.conversation(cid)
    auto = [m for m in conv["messages"] if m["direction"] == "out"]
    assert len(auto) == 1
    assert auto[0]["text"].startswith("Wir sind ab ")
    assert "{{" not in auto[0]["text"]
    assert conv["triage"]["after_hours"] is True


def test_a_business_clock_without_office_hours_is_refused(api, triaged):
    text = concept_yaml(office_hours=NEVER_OPEN).replace("clock: always", "clock: business")
    status, body = api.post("/api/v1/concept/versions", {"source": text, "activate": True})
    assert status == 422
    assert body["error"]["errors"][0]["field"].endswith(".clock")
    assert api.get("/api/v1/concept")[1]["id"] == triaged["version"]["id"]


def test_spam_like_ignored_messages_get_no_automatic_reply(api, triaged):
    text = concept_yaml(extra="""  - name: ignore-gewinnspiel
    when: {keywords: [gewinnspiel]}
    then: {action: ignore}
auto_replies:
  first_contact: {de: "Danke!"}
""")
    activate(api, text)
    res = api.ingest(harness.message("sp1", author="spam-1", text="Gewinnspiel!!! Klick hier"))
    conv = api.conversation(res[0]["conversation_id"])
    assert conv["action"] == "ignore"
    assert [m for m in conv["messages"] if m["direction"] == "out"] == []


def test_reply_stamps_first_response_and_next_message_starts_the_next_wait(api, triaged):
    res = api.ingest(harness.message("nr1", author="nr-1", text="Frage zum Tarif"))
    cid = res[0]["conversation_id"]
    status, _ = api.post("/api/v1/conversations/%d/messages" % cid, {"text": "Gerne!"})
    assert status == 201
    conv = api.conversation(cid)
    assert conv["first_response_at"] is not None
    assert conv["sla"]["waiting_since"] is None
    before = now_ms()
    api.ingest(harness.message("nr2", author="nr-1", text="Und wie ist es mit dem Grundpreis?"))
    conv = api.conversation(cid)
    assert conv["sla"]["waiting_since"] is not None
    due = harness_time(conv["sla"]["next_response_due_at"])
    assert before + 8 * 3600000 <= due <= now_ms() + 8 * 3600000
    api.post("/api/v1/conversations/%d/messages" % cid, {"text": "So:"})
    conv = api.conversation(cid)
    assert conv["sla"]["waiting_since"] is None and conv["sla"]["next_response_at"] is not None


def test_no_concept_means_no_triage(api):
    res = api.ingest(harness.message("nc1", text="Der Strom ist weg"))
    conv = api.conversation(res[0]["conversation_id"])
    assert conv["intent"] is None and conv["triage"] is None and conv["priority"] == "normal"


def test_breach_and_due_soon_are_raised_exactly_once(server, api, triaged):
    stream = harness.EventStream(server.port, server.token)
    try:
        res = api.ingest(harness.message("sla1", author="sla-1", text="Frage zum Vertrag"))
        cid = res[0]["conversation_id"]
        # move the promise: first response due 10 s ago, resolution due in 1 min
        # (inside the 20 % lead of a 5-day promise)
        db_sql(server, "UPDATE conversations SET first_response_due_at = %d,"
               " resolution_due_at = %d WHERE id = %d" % (now_ms() - 10000, now_ms() + 60000, cid))
        seen = {}

        def collect():
            ev = stream.next_event(1)
            if ev and ev.get("event") == "conversation.sla":
                d = json.loads(ev["data"])
                if d["conversation_id"] == cid:
                    seen[(d["target"], d["kind"])] = seen.get((d["target"], d["kind"]), 0) + 1
            return ("first_response", "breached") in seen and ("resolution", "due_soon") in seen

        harness.wait_until(collect, 20, what="SLA events")
        end = time.time() + 12  # two more passes of the watch raise nothing new
        while time.time() < end:
            collect()
        assert seen[("first_response", "breached")] == 1
        assert seen[("resolution", "due_soon")] == 1
        assert ("first_response", "due_soon") not in seen  # already past: only the breach
        rows = db_value(server, "SELECT count(*) FROM sla_events WHERE conversation_id = %d" % cid)
        assert int(rows) == 2
    finally:
        stream.close()


# ---- the replay simulator -------------------------------------------------------

def stored_rows(server):
    return db_value(server, "SELECT count(*) || ':' || coalesce(sum(length(coalesce(triage, ''))), 0)"
                            " FROM messages") + "/" + db_value(
        server, "SELECT count(*) || ':' || coalesce(sum(length(coalesce(triage, ''))), 0)"
                " FROM conversations")


def test_replay_reports_a_draft_and_changes_nothing(server, api, tmp_path):
    make_teams(api)
    texts = ["Bei uns ist der Strom weg", "Kein Strom seit heute früh",
             "Danke, super Service!", "The power is out on Main Street",
             "Wann kommt die Jahresabrechnung?"]
    for i, text in enumerate(texts):
        api.ingest(harness.message("rp%d" % i, author="rp-%d" % i, text=text))
    before = stored_rows(server)
    status, report = api.post("/api/v1/concept/replay",
                              {"source": concept_yaml(), "from": "2020-01-01",
                               "to": "2099-12-31"})
    assert status == 200, report
    assert report["messages"] == 5
    assert report["volume"]["intent"] == {"outage": 3, "praise": 1, "none": 1}
    assert report["volume"]["team"]["Entstörung"] == 2
    assert report["volume"]["language"] == {"de": 4, "en": 1}
    assert report["unmatched"]["count"] == 2  # the English outage and the bill: no rule
    assert report["diff"] is None  # nothing active to compare with
    assert stored_rows(server) == before

    activate(api, concept_yaml())
    draft = concept_yaml(outage_team="Kundenservice")
    path = tmp_path / "draft.yaml"
    path.write_text(draft, encoding="utf-8")
    server.stop()
    res = server.cli("concept", "replay", "--data", server.data_dir, "--concept", str(path),
                     "--from", "2020-01-01", "--to", "2099-12-31", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["diff"]["fields"]["team"] == 2
    assert report["diff"]["changed"] == 2
    res = server.cli("concept", "replay", "--data", server.data_dir, "--concept", str(path),
                     "--from", "2020-01-01", "--to", "2099-12-31")
    assert res.returncode == 0 and "Entstörung" in res.stdout
    server.start()
    assert stored_rows(server) == before


def test_replay_refuses_a_bad_draft_or_period(server, api):
    status, body = api.post("/api/v1/concept/replay",
                            {"source": "name: [", "from": "2026-01-01", "to": "2026-02-01"})
    assert status == 422 and body["error"]["errors"]
    make_teams(api)
    status, body = api.post("/api/v1/concept/replay",
                            {"source": concept_yaml(), "from": "gestern", "to": "2026-02-01"})
    assert status == 422 and error_of(body)["field"] == "from"


def test_a_breach_sends_one_mail_when_configured(make_server, tmp_path):
    from smtp_sink import SmtpSink, body_text
    sink = SmtpSink(tmp_path / "mail").start()
    try:
        srv = make_server(env={"CLUETRAIN_SMTP_URL": sink.url,
                               "CLUETRAIN_SMTP_FROM": "inbox@example.org",
                               "CLUETRAIN_SLA_NOTIFY_EMAIL": "leitung@example.org",
                               "CLUETRAIN_PUBLIC_URL": "https://inbox.example.org"})
        api = srv.client()
        make_teams(api)
        activate(api, concept_yaml())
        res = api.ingest(harness.message("m1", author="mail-1", text="Frage zum Vertrag"))
        cid = res[0]["conversation_id"]
        db_sql(srv, "UPDATE conversations SET first_response_due_at = %d WHERE id = %d"
               % (now_ms() - 5000, cid))
        mails = sink.wait_mails(1, 30)
        assert len(mails) == 1, srv.log()[-3000:]
        text = body_text(mails[0])
        assert "https://inbox.example.org/conversations/%d" % cid in text
        assert mails[0]["To"] == "leitung@example.org"
        time.sleep(11)  # two more passes of the watch: no second mail
        assert len(sink.mails()) == 1
    finally:
        sink.stop()

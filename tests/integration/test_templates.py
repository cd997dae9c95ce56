"""Approved wording (Sprachregelungen) through the JSON API: the workflow of a
template (draft -> in review -> approved, a new draft while the approved
version stays in use, return with a comment, retire) and its permissions
(four eyes: an author cannot approve their own version, an agent or a token
cannot approve, a viewer cannot write), checks on save (unknown variables,
channel length limits, duplicate names), versions with who and when, audit
entries and diffs, review expiry, suggestions for a reply ranked by the
conversation's intent and language with variables filled, the deviation of
an edited reply, the report, and import and export as YAML and JSON.

Supervisors and agents act through signed-in sessions, since four eyes
counts people, not tokens.
"""

import datetime
import json

import pytest

from authkit import audit, create_user, db_sql, login, now_ms

DAY_MS = 86400000

GREETING = "Hallo {{contact.first_name}}, hier ist {{agent.name}}.\nIhr Abschlag ist angepasst."


def variant(text, language="de", channel="any"):
    return {"language": language, "channel": channel, "text": text}


@pytest.fixture
def team(api):
    status, body = api.post("/api/v1/teams", {"name": "Kundenservice"})
    assert status == 201, body
    return body


@pytest.fixture
def people(server, api, team):
    """An admin, two supervisors, an agent of the team and a viewer, each
    signed in; their users under "<role>_user"."""
    users = {
        "admin": create_user(api, "admin", name="Ada Admin"),
        "s1": create_user(api, "supervisor", name="Sabine Autorin"),
        "s2": create_user(api, "supervisor", name="Peter Pruefer"),
        "agent": create_user(api, "agent", name="Anna Agentin", teams=[team["id"]]),
        "viewer": create_user(api, "viewer", name="Vera Viewer"),
    }
    out = {k: login(server, u) for k, u in users.items()}
    out.update({k + "_user": u for k, u in users.items()})
    return out


def create(client, name, text=GREETING, intents=("billing",), variants=None, expect=201,
           **extra):
    body = {"name": name, "intents": list(intents),
            "variants": variants if variants is not None else [variant(text)]}
    body.update(extra)
    status, res = client.post("/api/v1/templates", body)
    assert status == expect, (status, res)
    return res


def approved(people, name, **kw):
    """A template written by s1 and approved (version 1) by s2."""
    t = create(people["s1"], name, **kw)
    status, res = people["s1"].post("/api/v1/templates/%d/submit" % t["id"], {})
    assert status == 200, res
    status, res = people["s2"].post("/api/v1/templates/%d/approve" % t["id"], {"version": 1})
    assert status == 200, res
    return res


def conversation(server, api, team, ext, author_name="Erika Musterfrau", intent="billing",
                 language="de"):
    """A conversation of the team through POST /api/v1/messages, with its
    intent and language set in the database (no concept needed)."""
    msg = {"channel": "api", "external_id": ext, "author": {"id": "kunde-" + ext,
                                                            "name": author_name},
           "text": "Frage zum Abschlag " + ext}
    [r] = api.ingest(msg)
    cid = r["conversation_id"]
    status, body = api.patch("/api/v1/conversations/%d" % cid, {"team_id": team["id"]})
    assert status == 200, body
    db_sql(server, "UPDATE conversations SET intent = %s, language = '%s' WHERE id = %d"
           % ("'%s'" % intent if intent else "NULL", language, cid))
    return cid


def suggestions(client, cid, **params):
    status, body = client.get("/api/v1/conversations/%d/suggestions" % cid, params=params)
    assert status == 200, body
    return body["data"]


def reply(client, cid, text, template_id=None):
    body = {"text": text}
    if template_id is not None:
        body["template_id"] = template_id
    return client.post("/api/v1/conversations/%d/messages" % cid, body)


def error(body):
    return (body or {}).get("error") or {}


# ---- the workflow and its permissions ------------------------------------------


def test_workflow_four_eyes_and_a_new_draft_beside_the_approved_version(server, api, people,
                                                                       team):
    s1, s2 = people["s1"], people["s2"]
    t = create(s1, "abschlag")
    tid = t["id"]
    assert t["status"] == "draft" and t["current_version"] == 1
    assert t["approved_version"] is None and t["usable"] is False
    assert t["review_state"] == "none"
    # a viewer cannot create; nobody approves a draft
    status, body = people["viewer"].post("/api/v1/templates", {
        "name": "viewer", "variants": [variant("Hallo")]})
    assert status == 403, body
    status, body = s2.post("/api/v1/templates/%d/approve" % tid, {"version": 1})
    assert status == 409, body

    status, t = s1.post("/api/v1/templates/%d/submit" % tid, {})
    assert status == 200, t
    assert t["status"] == "in_review"
    # four eyes: not the author, not an agent, not a token
    status, body = s1.post("/api/v1/templates/%d/approve" % tid, {"version": 1})
    assert status == 403, body
    assert "four eyes" in error(body)["message"]
    status, body = people["agent"].post("/api/v1/templates/%d/approve" % tid, {"version": 1})
    assert status == 403, body
    status, body = api.post("/api/v1/templates/%d/approve" % tid, {"version": 1})
    assert status == 403, body
    assert "four eyes" in error(body)["message"]
    status, body = s2.post("/api/v1/templates/%d/approve" % tid, {})
    assert status == 422 and error(body)["field"] == "version", body
    assert s1.get("/api/v1/templates/%d" % tid)[1]["status"] == "in_review"

    status, t = s2.post("/api/v1/templates/%d/approve" % tid, {"version": 1})
    assert status == 200, t
    assert t["status"] == "approved" and t["approved_version"] == 1
    assert t["usable"] is True and t["review_state"] == "ok"
    assert t["review_interval_days"] == 180
    assert t["approved_by"] == "user:" + people["s2_user"]["email"]

    # a new draft: the approved version stays in use
    new_text = GREETING.replace("angepasst", "neu berechnet")
    status, t = s1.patch("/api/v1/templates/%d" % tid, {"variants": [variant(new_text)]})
    assert status == 200, t
    assert t["status"] == "draft" and t["current_version"] == 2
    assert t["approved_version"] == 1 and t["usable"] is True
    cid = conversation(server, api, team, "wf-1")
    [s] = suggestions(people["agent"], cid)
    assert s["template_id"] == tid and s["version"] == 1
    assert s["text"].endswith("angepasst.")
    status, msg = reply(people["agent"], cid, s["text"], tid)
    assert status == 201, msg
    assert msg["template_version"] == 1 and msg["template_deviation"] is False

    # v2 in review, then v3 written: approving v2 now is stale
    status, t = s1.post("/api/v1/templates/%d/submit" % tid, {})
    assert status == 200 and t["status"] == "in_review", t
    status, t = s1.patch("/api/v1/templates/%d" % tid, {"review_interval_days": 90})
    assert status == 200 and t["current_version"] == 3, t
    status, body = s2.post("/api/v1/templates/%d/approve" % tid, {"version": 2})
    assert status == 409, body
    status, t = s1.post("/api/v1/templates/%d/submit" % tid, {})
    assert status == 200, t
    status, t = people["admin"].post("/api/v1/templates/%d/approve" % tid, {"version": 3})
    assert status == 200, t
    assert t["approved_version"] == 3 and t["review_interval_days"] == 90
    [s] = suggestions(people["agent"], cid)
    assert s["version"] == 3 and s["text"].endswith("neu berechnet.")

    # every version is kept, with who and when
    states = {v["number"]: v for v in t["versions"]}
    assert sorted(states) == [1, 2, 3]
    assert [v["number"] for v in t["versions"]] == [3, 2, 1]
    assert states[1]["state"] == "superseded" and states[3]["state"] == "approved"
    assert states[2]["state"] == "superseded"  # never approved: a newer one was written
    s1_name = "user:" + people["s1_user"]["email"]
    for v in t["versions"]:
        assert v["created_by"] == s1_name and v["created_at"], v
        assert v["submitted_by"] == s1_name and v["submitted_at"], v
    assert states[1]["approved_by"] == "user:" + people["s2_user"]["email"]
    assert states[3]["approved_by"] == "user:" + people["admin_user"]["email"]
    assert states[2]["approved_by"] is None
    status, v1 = people["viewer"].get("/api/v1/templates/%d/versions/1" % tid)
    assert status == 200, v1
    assert v1["variants"][0]["text"] == GREETING and v1["intents"] == ["billing"]
    status, v2 = people["viewer"].get("/api/v1/templates/%d/versions/2" % tid)
    assert status == 200 and v2["variants"][0]["text"] == new_text, v2
    status, body = people["viewer"].get("/api/v1/templates/%d/versions/9" % tid)
    assert status == 404, body

    # the diff shows the changed line
    status, d = people["viewer"].get("/api/v1/templates/%d/diff" % tid, {"a": 1, "b": 2})
    assert status == 200, d
    lines = d["diff"].splitlines()
    assert "-Ihr Abschlag ist angepasst." in lines
    assert "+Ihr Abschlag ist neu berechnet." in lines
    assert not any(line.startswith(("-", "+")) and "Hallo" in line for line in lines)
    status, body = people["viewer"].get("/api/v1/templates/%d/diff" % tid, {"a": 1})
    assert status == 422 and error(body)["field"] == "b", body

    # audited: who did what to which template
    entries = [e for e in audit(api, object_type="template") if e["object_id"] == tid]
    actions = [(e["action"], e["actor"]) for e in reversed(entries)]
    assert actions == [("template.created", s1_name), ("template.submitted", s1_name),
                       ("template.approved", "user:" + people["s2_user"]["email"]),
                       ("template.updated", s1_name), ("template.submitted", s1_name),
                       ("template.updated", s1_name), ("template.submitted", s1_name),
                       ("template.approved", "user:" + people["admin_user"]["email"])]


def test_return_with_a_comment_and_retire(server, api, people, team):
    s1, s2 = people["s1"], people["s2"]
    t = create(s1, "rueckgabe")
    tid = t["id"]
    status, body = s2.post("/api/v1/templates/%d/return" % tid, {"comment": "Zu kurz."})
    assert status == 409, body  # nothing in review
    s1.post("/api/v1/templates/%d/submit" % tid, {})
    status, body = people["agent"].post("/api/v1/templates/%d/return" % tid,
                                        {"comment": "x"})
    assert status == 403, body
    status, body = s2.post("/api/v1/templates/%d/return" % tid, {"comment": "  "})
    assert status == 422 and error(body)["field"] == "comment", body
    status, t = s2.post("/api/v1/templates/%d/return" % tid,
                        {"comment": "Bitte freundlicher formulieren."})
    assert status == 200, t
    assert t["status"] == "draft"
    assert t["versions"][0]["state"] == "returned"
    assert t["versions"][0]["review_comment"] == "Bitte freundlicher formulieren."
    status, body = s2.post("/api/v1/templates/%d/approve" % tid, {"version": 1})
    assert status == 409, body
    # the author's next edit is a new draft that can go to review again
    status, t = s1.patch("/api/v1/templates/%d" % tid,
                         {"variants": [variant("Liebe Grüße, {{agent.name}}")]})
    assert status == 200 and t["current_version"] == 2 and t["status"] == "draft", t
    status, t = s1.post("/api/v1/templates/%d/submit" % tid, {})
    assert status == 200 and t["status"] == "in_review", t

    # retire: gone from the list and the suggestions, no more changes
    a = approved(people, "ruhestand")
    cid = conversation(server, api, team, "rt-1")
    assert [s["name"] for s in suggestions(people["agent"], cid)] == ["ruhestand"]
    status, body = people["agent"].post("/api/v1/templates/%d/retire" % a["id"], {})
    assert status == 403, body
    status, t = s2.post("/api/v1/templates/%d/retire" % a["id"], {})
    assert status == 200 and t["status"] == "retired" and t["usable"] is False, t
    assert suggestions(people["agent"], cid) == []
    names = [x["name"] for x in people["viewer"].get("/api/v1/templates")[1]["data"]]
    assert "ruhestand" not in names and "rueckgabe" in names
    retired = people["viewer"].get("/api/v1/templates", {"status": "retired"})[1]["data"]
    assert [x["name"] for x in retired] == ["ruhestand"]
    status, body = s1.patch("/api/v1/templates/%d" % a["id"], {"intents": []})
    assert status == 409, body
    status, body = reply(people["agent"], cid, "Hallo", a["id"])
    assert status == 422 and error(body)["field"] == "template_id", body


def test_checks_on_save(people):
    s1 = people["s1"]
    status, body = s1.post("/api/v1/templates", {
        "name": "vorname", "variants": [variant("Hallo {{contact.vorname}}!")]})
    assert status == 422, body
    assert error(body)["field"] == "variants[0].text"
    assert "{{contact.vorname}}" in error(body)["message"]
    # an X variant takes 280 characters (with sample values filled in)
    long = "ä" * 281
    status, body = s1.post("/api/v1/templates", {
        "name": "lang", "variants": [variant("kurz"), variant(long, channel="x")]})
    assert status == 422, body
    assert error(body)["field"] == "variants[1].text"
    assert "280" in error(body)["message"]
    fits = "ä" * 280
    t = create(s1, "lang", variants=[variant("kurz"), variant(fits, channel="x")])
    # e-mail has no limit
    create(s1, "lang-mail", variants=[variant("ä" * 5000, channel="email")])
    # duplicate names; unknown fields
    status, body = s1.post("/api/v1/templates", {"name": "lang", "variants": [variant("x")]})
    assert status == 409, body
    status, body = s1.post("/api/v1/templates", {"name": "neu", "variants": [variant("x")],
                                                 "colour": "red"})
    assert status == 422 and error(body)["field"] == "colour", body
    status, body = s1.patch("/api/v1/templates/%d" % t["id"],
                            {"variants": [variant("Hallo {{agent.nachname}}")]})
    assert status == 422 and error(body)["field"] == "variants[0].text", body
    assert "{{agent.nachname}}" in error(body)["message"]
    status, body = s1.patch("/api/v1/templates/%d" % t["id"], {"name": "lang-mail"})
    assert status == 409, body
    assert s1.get("/api/v1/templates/%d" % t["id"])[1]["current_version"] == 1
    status, body = s1.get("/api/v1/templates/999999")
    assert status == 404, body
    status, body = s1.post("/api/v1/templates", [1, 2])
    assert status == 422, body
    status, body = s1.get("/api/v1/templates", {"status": "gone"})
    assert status == 422 and error(body)["field"] == "status", body


# ---- review expiry ----------------------------------------------------------


def test_review_due_then_expired_then_confirmed(server, api, people, team):
    t = approved(people, "pruefung")
    tid = t["id"]
    other = approved(people, "frisch", intents=("outage",))
    cid = conversation(server, api, team, "rv-1")
    review = people["viewer"].get("/api/v1/templates", {"review": 1})[1]["data"]
    assert review == []
    # past due, within the grace period (14 days): listed as due, still usable
    db_sql(server, "UPDATE templates SET review_due_at = %d WHERE id = %d"
           % (now_ms() - 3 * DAY_MS, tid))
    [due] = people["viewer"].get("/api/v1/templates", {"review": 1})[1]["data"]
    assert due["id"] == tid and due["review_state"] == "due" and due["usable"] is True
    assert due["expires_at"]
    assert [s["name"] for s in suggestions(people["agent"], cid)] == ["pruefung", "frisch"]
    status, r = people["s2"].get("/api/v1/reports/templates")
    assert status == 200, r
    assert [(x["name"], x["review_state"]) for x in r["review"]] == [("pruefung", "due")]
    # past the grace period: expired, not suggested, not usable in a reply
    db_sql(server, "UPDATE templates SET review_due_at = %d WHERE id = %d"
           % (now_ms() - 20 * DAY_MS, tid))
    [exp] = people["viewer"].get("/api/v1/templates", {"review": 1})[1]["data"]
    assert exp["id"] == tid and exp["review_state"] == "expired" and exp["usable"] is False
    assert [s["name"] for s in suggestions(people["agent"], cid)] == ["frisch"]
    status, body = reply(people["agent"], cid, "Hallo Erika, hier ist Anna Agentin.", tid)
    assert status == 422, body
    assert error(body)["field"] == "template_id"
    assert "review" in error(body)["message"]
    # the author of the approved version cannot confirm it; another supervisor can
    status, body = people["s1"].post("/api/v1/templates/%d/confirm" % tid, {})
    assert status == 403 and "four eyes" in error(body)["message"], body
    status, body = people["agent"].post("/api/v1/templates/%d/confirm" % tid, {})
    assert status == 403, body
    status, t = people["s2"].post("/api/v1/templates/%d/confirm" % tid, {})
    assert status == 200, t
    assert t["review_state"] == "ok" and t["usable"] is True and t["approved_version"] == 1
    assert t["review_due_at"] > t["approved_at"]
    assert people["viewer"].get("/api/v1/templates", {"review": 1})[1]["data"] == []
    assert [s["name"] for s in suggestions(people["agent"], cid)] == ["pruefung", "frisch"]
    assert any(e["action"] == "template.confirmed" and e["object_id"] == tid
               for e in audit(api, object_type="template"))
    assert other["review_state"] == "ok"


# ---- suggestions, variables, deviation, the report ---------------------------------


def test_suggestions_ranked_by_intent_and_language_with_variables_filled(server, api, people,
                                                                        team):
    approved(people, "a-stoerung", text="Wir kümmern uns, {{contact.first_name}}.",
             intents=("outage",))
    approved(people, "b-abschlag", intents=("billing",))
    approved(people, "c-englisch", intents=("billing",),
             variants=[variant("Hello {{contact.first_name}}", language="en")])
    approved(people, "d-sms", intents=("billing",),
             variants=[variant("Per SMS", channel="sms")])
    create(people["s1"], "e-entwurf", intents=("billing",))
    name = '<b>Zoë</b> "Ünal" & <script>x</script>'
    cid = conversation(server, api, team, "sg-1", author_name=name)
    got = suggestions(people["agent"], cid)
    assert [s["name"] for s in got] == ["b-abschlag", "a-stoerung"]
    first = got[0]
    assert first["intent_match"] is True and got[1]["intent_match"] is False
    assert first["language"] == "de" and first["channel"] == "any"
    assert first["text"] == ("Hallo <b>Zoë</b>, hier ist Anna Agentin.\n"
                             "Ihr Abschlag ist angepasst.")
    assert first["missing"] == []
    assert got[1]["text"] == "Wir kümmern uns, <b>Zoë</b>."
    assert first["length"] == len(first["text"])
    # the raw JSON carries the name as data, not markup of ours
    status, _, raw = people["agent"].request(
        "GET", "/api/v1/conversations/%d/suggestions" % cid)
    assert status == 200
    assert "&lt;" not in raw.decode("utf-8") and "\\u003c" not in raw.decode("utf-8").lower()
    assert json.loads(raw)["data"][0]["text"].startswith("Hallo <b>Zoë</b>,")
    # limit, the other language, another intent
    assert len(suggestions(people["agent"], cid, limit=1)) == 1
    cid_en = conversation(server, api, team, "sg-2", author_name="John Smith", language="en")
    assert [s["name"] for s in suggestions(people["agent"], cid_en)] == ["c-englisch"]
    assert suggestions(people["agent"], cid_en)[0]["text"] == "Hello John"
    cid_out = conversation(server, api, team, "sg-3", intent="outage")
    assert [s["name"] for s in suggestions(people["agent"], cid_out)] == ["a-stoerung",
                                                                          "b-abschlag"]
    # scoped like the conversation: an agent of no team does not see it
    stranger = login(server, create_user(api, "agent", name="Otto Fremd"))
    status, body = stranger.get("/api/v1/conversations/%d/suggestions" % cid)
    assert status == 404, body
    status, body = people["agent"].get("/api/v1/conversations/999999/suggestions")
    assert status == 404, body


def test_preview_fills_a_draft_from_a_conversation(server, api, people, team):
    t = create(people["s1"], "vorschau")
    cid = conversation(server, api, team, "pv-1", author_name="Jürgen Ä. Öhm")
    path = "/api/v1/templates/%d/preview" % t["id"]
    status, body = people["viewer"].post(path, {"conversation_id": cid})
    assert status == 200, body
    [p] = body["data"]
    assert p["text"] == "Hallo Jürgen, hier ist Vera Viewer.\nIhr Abschlag ist angepasst."
    assert p["too_long"] is False and p["missing"] == []
    status, body = people["agent"].post(path, {
        "conversation_id": cid,
        "variants": [variant("{{contact.last_name}} {{incident.status}}" + "x" * 280,
                             channel="x")]})
    assert status == 200, body
    [p] = body["data"]
    assert p["text"].startswith("Ä. Öhm {{incident.status}}")
    assert p["missing"] == ["incident.status"]
    assert p["limit"] == 280 and p["too_long"] is True
    status, body = people["agent"].post(path, {"conversation_id": cid, "version": 1})
    assert status == 200 and body["data"][0]["text"].startswith("Hallo Jürgen"), body
    status, body = people["agent"].post(path, {"conversation_id": cid, "version": 7})
    assert status == 404, body
    status, body = people["agent"].post(path, {})
    assert status == 422 and error(body)["field"] == "conversation_id", body
    status, body = people["agent"].post(path, {"conversation_id": 999999})
    assert status == 404, body
    status, body = people["agent"].post(path, {"conversation_id": cid, "variants": [
        variant("{{contact.unbekannt}}")]})
    assert status == 422 and "variants[0]" in error(body)["field"], body


def test_deviation_and_the_report(server, api, people, team):
    a = approved(people, "abschlag")
    b = approved(people, "dank", text="Danke, {{contact.first_name}}!")
    cid = conversation(server, api, team, "rp-1")
    [sa, sb] = sorted(suggestions(people["agent"], cid), key=lambda s: s["name"])
    # unedited: no deviation; edited: deviation; free text: neither
    status, m1 = reply(people["agent"], cid, sa["text"], a["id"])
    assert status == 201, m1
    assert m1["template_id"] == a["id"] and m1["template_deviation"] is False
    status, m2 = reply(people["agent"], cid, sa["text"] + " Viele Grüße!", a["id"])
    assert status == 201, m2
    assert m2["template_id"] == a["id"] and m2["template_deviation"] is True
    # another value in a variable's place is no deviation
    status, m3 = reply(people["s1"], cid, sb["text"].replace("Erika", "Frau Musterfrau"),
                       b["id"])
    assert status == 201, m3
    assert m3["template_deviation"] is False
    status, m4 = reply(people["agent"], cid, "Frei geschrieben.")
    assert status == 201 and m4["template_id"] is None, m4
    status, body = reply(people["agent"], cid, "Hallo", "eins")
    assert status == 422 and error(body)["field"] == "template_id", body
    status, conv = api.get("/api/v1/conversations/%d" % cid)
    shown = {m["id"]: m for m in conv["messages"]}
    assert shown[m2["id"]]["template_deviation"] is True

    status, r = people["s2"].get("/api/v1/reports/templates")
    assert status == 200, r
    span = [datetime.datetime.fromisoformat(r[k].replace("Z", "+00:00")) for k in ("from", "to")]
    assert span[1] - span[0] == datetime.timedelta(days=30)  # the default period
    per = {x["name"]: x for x in r["templates"]}
    assert per["abschlag"]["uses"] == 2 and per["abschlag"]["deviations"] == 1
    assert per["abschlag"]["deviation_rate"] == pytest.approx(0.5)
    assert per["dank"]["uses"] == 1 and per["dank"]["deviations"] == 0
    agents = {(x["name"], x["agent"]): x for x in r["agents"]}
    agent_row = [v for (n, who), v in agents.items() if n == "abschlag"]
    assert len(agent_row) == 1 and agent_row[0]["uses"] == 2
    assert agent_row[0]["deviations"] == 1
    assert "Anna Agentin" in agent_row[0]["agent"] or \
        people["agent_user"]["email"] in agent_row[0]["agent"]
    assert r["replies"] == {"total": 4, "from_template": 3, "deviated": 1}
    # a period before these replies counts nothing; times as RFC 3339 or ms
    status, r = people["s2"].get("/api/v1/reports/templates",
                                 {"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"})
    assert status == 200, r
    assert r["from"] == "2020-01-01T00:00:00.000Z" and r["to"] == "2020-02-01T00:00:00.000Z"
    assert all(x["uses"] == 0 and x["deviations"] == 0 for x in r["templates"]), r
    assert r["agents"] == [] and r["replies"]["total"] == 0, r
    status, r = people["s2"].get("/api/v1/reports/templates",
                                 {"from": now_ms() - 60000, "to": now_ms() + 60000})
    assert status == 200 and {x["name"]: x["uses"] for x in r["templates"]}["abschlag"] == 2
    status, body = people["s2"].get("/api/v1/reports/templates", {"from": "gestern"})
    assert status == 422 and error(body)["field"] == "from", body
    status, body = people["s2"].get("/api/v1/reports/templates",
                                    {"from": "2026-02-01T00:00:00Z",
                                     "to": "2026-01-01T00:00:00Z"})
    assert status == 422, body
    status, body = people["agent"].get("/api/v1/reports/templates")
    assert status == 403, body


def test_held_reply_routes_check_their_input(people):
    status, body = people["s2"].get("/api/v1/held-replies", {"state": "bogus"})
    assert status == 422 and error(body)["field"] == "state", body
    status, body = people["s2"].get("/api/v1/held-replies", {"state": "rejected"})
    assert status == 200 and body["data"] == [], body
    status, body = people["s2"].get("/api/v1/held-replies/424242")
    assert status == 404, body
    status, body = people["s2"].post("/api/v1/held-replies/424242/approve", {})
    assert status == 404, body
    status, body = people["agent"].get("/api/v1/held-replies")
    assert status == 403, body


# ---- import and export -------------------------------------------------------


def test_export_and_import_into_a_fresh_server(make_server, server, api, people):
    a = approved(people, "abschlag", variants=[
        variant(GREETING), variant("Hi {{contact.first_name}}", language="en", channel="x")])
    create(people["s1"], "entwurf: mit Doppelpunkt", text="„Zitat“ – {{organisation.name}}",
           intents=("outage", "billing"), review_interval_days=30)
    status, hdrs, raw = people["viewer"].request("GET", "/api/v1/templates/export",
                                                 params={"format": "yaml"})
    assert status == 200, raw
    assert hdrs["content-type"].startswith("application/yaml")
    yaml_text = raw.decode("utf-8")
    assert "abschlag" in yaml_text and "„Zitat“" in yaml_text
    status, hdrs, raw = people["viewer"].request("GET", "/api/v1/templates/export")
    assert status == 200 and hdrs["content-type"].startswith("application/json")
    doc = json.loads(raw)
    by_name = {x["name"]: x for x in doc["templates"]}
    assert set(by_name) == {"abschlag", "entwurf: mit Doppelpunkt"}
    assert by_name["abschlag"]["status"] == "approved"
    assert by_name["abschlag"]["approved_version"] == 1
    assert by_name["entwurf: mit Doppelpunkt"]["review_interval_days"] == 30
    status, body = people["viewer"].get("/api/v1/templates/export", {"format": "xml"})
    assert status == 422 and error(body)["field"] == "format", body

    fresh = make_server(name="fresh")
    fapi = fresh.client()
    status, hdrs, raw = fapi.request("POST", "/api/v1/templates/import",
                                     yaml_text.encode("utf-8"),
                                     headers={"Content-Type": "application/yaml"})
    report = json.loads(raw)
    assert status == 200, report
    assert sorted(report["created"]) == ["abschlag", "entwurf: mit Doppelpunkt"]
    assert report["updated"] == [] and report["unchanged"] == []
    status, listed = fapi.get("/api/v1/templates")
    assert status == 200, listed
    got = {x["name"]: x for x in listed["data"]}
    assert set(got) == set(by_name)
    for name, t in got.items():
        assert t["status"] == "draft" and t["approved_version"] is None, t
        status, full = fapi.get("/api/v1/templates/%d" % t["id"])
        assert status == 200, full
        assert full["current"]["variants"] == by_name[name]["variants"]
        assert full["current"]["intents"] == by_name[name]["intents"]
        assert full["review_interval_days"] == by_name[name]["review_interval_days"]
    # the same document as JSON again changes nothing
    status, report = fapi.post("/api/v1/templates/import?format=json", doc)
    assert status == 200, report
    assert sorted(report["unchanged"]) == sorted(by_name) and report["created"] == []

    # a broken document: 422 naming the line and the field, nothing created
    broken = ("templates:\n"
              "  - name: gut\n"
              "    variants:\n"
              "      - {language: de, channel: any, text: Hallo}\n"
              "  - name: kaputt\n"
              "    variants:\n"
              "      - language: de\n"
              "        channel: any\n"
              "        text: \"Hallo {{kunde.name}}\"\n")
    status, hdrs, raw = fapi.request("POST", "/api/v1/templates/import?format=yaml",
                                     broken.encode("utf-8"),
                                     headers={"Content-Type": "text/yaml"})
    body = json.loads(raw)
    assert status == 422, body
    assert error(body)["field"] == "templates[1].variants[0].text", body
    assert "line 9" in error(body)["message"], body
    assert "{{kunde.name}}" in error(body)["message"], body
    names = {x["name"] for x in fapi.get("/api/v1/templates")[1]["data"]}
    assert names == set(by_name)
    # only supervisors and admins import
    status, body = people["agent"].post("/api/v1/templates/import", doc)
    assert status == 403, body
    assert a["id"]

"""Approved wording in the reply path and the dialog concept: strict wording
per intent (replies held for a supervisor, four eyes, approve with or
without an edit, reject), the template a reply came from and its deviation,
a concept naming templates for its automatic replies (refused when a
template is not approved; the reply rendered from the template; none when
the template expired).

Templates are made through the API (create, submit, approve by a second
supervisor); supervisors and agents act through signed-in sessions, since
four eyes counts people, not tokens.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

import harness
from authkit import audit, create_user, db_sql, db_value, login, now_ms

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = "{" + ", ".join('%s: ["00:00-24:00"]' % d for d in DAYS) + "}"

TEMPLATE_TEXT = "Hallo {{contact.first_name}}, wir arbeiten an der Störung."


def concept_yaml(office_hours=ALWAYS_OPEN, extra=""):
    return """\
name: Sprachregelung
time_zone: Europe/Berlin
office_hours: %s
languages:
  de: {team: Kundenservice}
  en: {team: Kundenservice}
fallback_team: Kundenservice
teams:
  Kundenservice: {}
intents:
  outage:
    de: {keywords: [stromausfall]}
  billing:
    de: {keywords: [rechnung]}
strict_wording:
  intents: [outage]
%s""" % (office_hours, extra)


def activate(api, text, expect=201):
    status, body = api.post("/api/v1/concept/versions", {"source": text, "activate": True})
    assert status == expect, (status, body)
    return body


def make_template(author, approver, name, text=TEMPLATE_TEXT, intents=("outage",),
                  approve=True):
    """A template by author (a signed-in supervisor), submitted and (unless
    approve is false) approved by approver; its id."""
    status, body = author.post("/api/v1/templates", {
        "name": name, "intents": list(intents),
        "variants": [{"language": "de", "channel": "any", "text": text}]})
    assert status == 201, (status, body)
    tid = body["id"]
    if approve:
        status, body = author.post("/api/v1/templates/%d/submit" % tid, {})
        assert status == 200, (status, body)
        status, body = approver.post("/api/v1/templates/%d/approve" % tid, {"version": 1})
        assert status == 200, (status, body)
    return tid


@pytest.fixture
def setup(server, api):
    return prepare(server, api)


def prepare(server, api):
    """Team, two supervisors, an agent, an approved outage template and the
    concept with strict wording for outage."""
    status, team = api.post("/api/v1/teams", {"name": "Kundenservice"})
    assert status == 201, team
    s1 = create_user(api, "supervisor", name="Sabine Autorin")
    s2 = create_user(api, "supervisor", name="Peter Pruefer")
    agent = create_user(api, "agent", name="Anna Agentin", teams=[team["id"]])
    b1, b2, ba = login(server, s1), login(server, s2), login(server, agent)
    tid = make_template(b1, b2, "stoerung")
    version = activate(api, concept_yaml())
    return {"s1": b1, "s2": b2, "agent": ba, "agent_id": agent["id"], "s1_id": s1["id"],
            "s1_name": s1["name"], "tid": tid, "version": version}


def conversation(api, ext, text, author=None):
    res = api.ingest(harness.message(ext, author=author or "kunde-" + ext, text=text))
    return res[0]["conversation_id"]


def reply(client, cid, text, template_id=None, key=None):
    body = {"text": text}
    if template_id:
        body["template_id"] = template_id
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/conversations/%d/messages" % cid, body, headers=headers)


def outbound(api, cid):
    return [m for m in api.conversation(cid)["messages"] if m["direction"] == "out"]


def jobs_of(server, cid):
    """Delivery jobs of the conversation's messages."""
    return int(db_value(server, "SELECT count(*) FROM jobs j JOIN messages m ON"
                                " j.idempotency_key = m.idempotency_key"
                                " WHERE m.conversation_id = %d" % cid))


def held_count(server, cid):
    return int(db_value(server, "SELECT count(*) FROM held_replies WHERE conversation_id = %d"
                        % cid))


# ---- strict wording -----------------------------------------------------------

def test_free_text_in_a_strict_conversation_is_held(server, api, setup):
    cid = conversation(api, "h1", "Stromausfall in der Hauptstraße seit einer Stunde")
    assert api.conversation(cid)["intent"] == "outage"
    status, held = reply(setup["agent"], cid, "Wir schauen nach.", key="k-held-1")
    assert status == 202, held
    assert held["state"] == "pending"
    assert held["text"] == "Wir schauen nach."
    assert held["intent"] == "outage"
    assert held["author_user_id"] == setup["agent_id"]
    # the customer sees nothing: no message, no delivery job, no response stamp
    assert outbound(api, cid) == []
    assert jobs_of(server, cid) == 0
    assert int(db_value(server, "SELECT count(*) FROM jobs WHERE kind = 'deliver_reply'")) == 0
    conv = api.conversation(cid)
    assert conv["first_response_at"] is None
    [shown] = conv["held_replies"]
    assert shown["id"] == held["id"] and shown["state"] == "pending"
    assert shown["text"] == "Wir schauen nach."
    # a retry with the same key is the same held reply, not a second one
    status, again = reply(setup["agent"], cid, "Wir schauen nach.", key="k-held-1")
    assert status in (200, 202), again
    assert again["id"] == held["id"]
    assert held_count(server, cid) == 1
    # the supervisors' queue lists it
    status, queue = setup["s2"].get("/api/v1/held-replies")
    assert status == 200, queue
    items = queue["data"] if isinstance(queue, dict) else queue
    assert [h["id"] for h in items] == [held["id"]]
    assert items[0]["conversation_id"] == cid
    assert db_value(server, "SELECT count(*) FROM audit_log WHERE action = 'reply.held'") == "1"


def test_an_unedited_approved_template_goes_out_at_once(server, api, setup):
    cid = conversation(api, "h2", "Stromausfall bei uns")
    text = TEMPLATE_TEXT.replace("{{contact.first_name}}", "Name")
    status, msg = reply(setup["agent"], cid, text, template_id=setup["tid"])
    assert status == 201, msg
    assert msg["template_id"] == setup["tid"]
    assert msg["template_version"] == 1
    assert msg["template_deviation"] is False
    assert msg["delivery_state"] == "queued"
    assert jobs_of(server, cid) == 1
    assert held_count(server, cid) == 0
    assert api.conversation(cid)["first_response_at"] is not None


def test_an_edited_template_is_held_with_its_deviation(server, api, setup):
    cid = conversation(api, "h3", "Stromausfall schon wieder")
    text = TEMPLATE_TEXT.replace("{{contact.first_name}}", "Name") + " Tut uns leid!"
    status, held = reply(setup["agent"], cid, text, template_id=setup["tid"])
    assert status == 202, held
    assert held["template_id"] == setup["tid"]
    assert held["template_deviation"] is True
    assert outbound(api, cid) == []


def test_unfilled_variables_and_unusable_templates_are_refused(server, api, setup):
    cid = conversation(api, "h4", "Stromausfall")
    status, body = reply(setup["agent"], cid, TEMPLATE_TEXT, template_id=setup["tid"])
    assert status == 422, body
    assert body["error"]["field"] == "text"
    assert "{{contact.first_name}}" in body["error"]["message"]
    status, body = reply(setup["agent"], cid, "Hallo", template_id=999999)
    assert status == 422, body
    assert body["error"]["field"] == "template_id"
    draft = make_template(setup["s1"], setup["s2"], "entwurf", approve=False)
    status, body = reply(setup["agent"], cid, "Hallo", template_id=draft)
    assert status == 422, body
    assert body["error"]["field"] == "template_id"
    assert "not approved" in body["error"]["message"]
    assert held_count(server, cid) == 0 and outbound(api, cid) == []


def test_four_eyes_approval_sends_once(server, api, setup):
    cid = conversation(api, "h5", "Stromausfall im ganzen Viertel")
    status, held = reply(setup["s1"], cid, "Wir melden uns gleich.")
    assert status == 202, held
    path = "/api/v1/held-replies/%d/approve" % held["id"]
    # an agent may not approve; the author may not approve their own
    status, body = setup["agent"].post(path, {})
    assert status == 403, body
    status, body = setup["s1"].post(path, {})
    assert status == 403, body
    assert "four eyes" in body["error"]["message"]
    assert outbound(api, cid) == []
    # another supervisor approves, with an edit
    status, body = setup["s2"].post(path, {"text": "Wir melden uns in einer Stunde."})
    assert status in (200, 201), body
    [msg] = outbound(api, cid)
    assert msg["text"] == "Wir melden uns in einer Stunde."
    assert msg["author"]["user_id"] == setup["s1_id"]
    assert msg["author"]["name"] == setup["s1_name"]
    assert msg["delivery_state"] in ("queued", "sent", "failed")
    assert jobs_of(server, cid) == 1
    conv = api.conversation(cid)
    assert conv["first_response_at"] is not None
    assert conv["held_replies"] == []  # approved ones are messages now
    status, got = setup["s2"].get("/api/v1/held-replies/%d" % held["id"])
    assert status == 200, got
    assert got["state"] == "approved" and got["edited"] is True
    assert got["message_id"] == msg["id"]
    assert got["decided_by"]
    # once: a second approval conflicts and sends nothing more
    status, body = setup["s2"].post(path, {})
    assert status == 409, body
    assert len(outbound(api, cid)) == 1 and jobs_of(server, cid) == 1
    assert db_value(server, "SELECT count(*) FROM audit_log WHERE action = 'reply.approved'") \
        == "1"


def test_an_approved_edit_back_to_the_template_is_no_deviation(server, api, setup):
    cid = conversation(api, "h6", "Stromausfall wieder")
    edited = TEMPLATE_TEXT.replace("{{contact.first_name}}", "Name") + " Sorry."
    status, held = reply(setup["agent"], cid, edited, template_id=setup["tid"])
    assert status == 202, held
    unedited = TEMPLATE_TEXT.replace("{{contact.first_name}}", "Name")
    status, body = setup["s2"].post("/api/v1/held-replies/%d/approve" % held["id"],
                                    {"text": unedited})
    assert status in (200, 201), body
    [msg] = outbound(api, cid)
    assert msg["template_id"] == setup["tid"]
    assert msg["template_deviation"] is False
    assert msg["text"] == unedited


def test_reject_needs_a_reason_and_sends_nothing(server, api, setup):
    cid = conversation(api, "h7", "Stromausfall und niemand sagt was")
    status, held = reply(setup["agent"], cid, "Keine Ahnung, sorry.")
    assert status == 202, held
    path = "/api/v1/held-replies/%d/reject" % held["id"]
    status, body = setup["s2"].post(path, {})
    assert status == 422, body
    assert body["error"]["field"] == "reason"
    status, body = setup["s2"].post(path, {"reason": "Bitte die Vorlage stoerung nehmen."})
    assert status == 200, body
    conv = api.conversation(cid)
    [shown] = conv["held_replies"]
    assert shown["state"] == "rejected"
    assert shown["reason"] == "Bitte die Vorlage stoerung nehmen."
    assert outbound(api, cid) == [] and jobs_of(server, cid) == 0
    status, body = setup["s2"].post("/api/v1/held-replies/%d/approve" % held["id"], {})
    assert status == 409, body


def test_a_non_strict_conversation_sends_an_edited_template_with_its_deviation(
        server, api, setup):
    cid = conversation(api, "h8", "Frage zur Rechnung")
    assert api.conversation(cid)["intent"] == "billing"
    text = TEMPLATE_TEXT.replace("{{contact.first_name}}", "Name") + " PS: Gute Nacht."
    status, msg = reply(setup["agent"], cid, text, template_id=setup["tid"])
    assert status == 201, msg
    assert msg["template_id"] == setup["tid"]
    assert msg["template_deviation"] is True
    # free text is sent as ever
    status, msg = reply(setup["agent"], cid, "Frei geschrieben.")
    assert status == 201, msg
    assert msg["template_id"] is None and msg["template_deviation"] is None
    assert held_count(server, cid) == 0


def test_erasing_a_contact_clears_held_texts(server, api, setup):
    cid = conversation(api, "h9", "Stromausfall, ich bin Frau Geheim")
    status, held = reply(setup["agent"], cid, "Liebe Frau Geheim, wir kommen.")
    assert status == 202, held
    contact = api.conversation(cid)["contact"]["id"]
    status, body = api.post("/api/v1/contacts/%d/erase" % contact, {})
    assert status == 200, body
    text = db_value(server, "SELECT text FROM held_replies WHERE id = %d" % held["id"])
    assert text == "[erased]"
    assert api.conversation(cid)["held_replies"][0]["text"] == "[erased]"


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_retention_clears_held_replies(make_server, mode):
    """Retention of an old resolved conversation with an approved (it names
    its message) and a pending held reply: anonymise clears their texts,
    delete removes them with the conversation."""
    srv = make_server(env={"CLUETRAIN_RETENTION_MONTHS": "1", "CLUETRAIN_RETENTION_MODE": mode})
    api = srv.client()
    s = prepare(srv, api)
    cid = conversation(api, "r1", "Stromausfall beim Dachs")
    approved = reply(s["agent"], cid, "Dachs, wir kommen.")[1]
    assert s["s2"].post("/api/v1/held-replies/%d/approve" % approved["id"], {})[0] == 201
    pending = reply(s["agent"], cid, "Dachs, noch etwas.")[1]
    assert pending["state"] == "pending"
    assert api.patch("/api/v1/conversations/%d" % cid, {"status": "resolved"})[0] == 200
    srv.stop()
    db_sql(srv, "UPDATE conversations SET resolved_at = %d WHERE id = %d"
           % (now_ms() - 40 * 86400 * 1000, cid))
    srv.start()
    api = srv.client()
    assert api.post("/api/v1/retention/run", {})[0] == 202
    harness.wait_until(lambda: [e for e in audit(api, action="retention.ran")
                                if e["after"]["conversations"] > 0], 10, what="retention")
    [run] = [e for e in audit(api, action="retention.ran") if e["after"]["conversations"] > 0]
    assert run["after"]["complete"] is True
    texts = db_sql(srv, "SELECT text FROM held_replies WHERE conversation_id = %d ORDER BY id"
                   % cid).stdout.split()
    if mode == "delete":
        assert texts == []
        assert api.get("/api/v1/conversations/%d" % cid)[0] == 404
    else:
        assert texts == ["[erased]", "[erased]"]


# ---- automatic replies by template -----------------------------------------------

def activation_error(api, text):
    body = activate(api, text, expect=422)
    return body["error"]["errors"]


def test_a_concept_naming_an_unusable_template_is_not_activated(server, api, setup):
    make_template(setup["s1"], setup["s2"], "nachts-entwurf", approve=False)
    for name, what in (("nachts-entwurf", "is not approved"), ("gibtsnicht", "does not exist")):
        errors = activation_error(api, concept_yaml(extra="""auto_replies:
  after_hours: {template: %s}
""" % name))
        [e] = errors
        assert e["field"] == "auto_replies.after_hours.template"
        assert name in e["message"] and what in e["message"]
        assert api.get("/api/v1/concept")[1]["id"] == setup["version"]["id"]
    # both forms in one mapping is an error of the document
    errors = activation_error(api, concept_yaml(extra="""auto_replies:
  after_hours: {template: stoerung, de: Hallo}
"""))
    assert errors[0]["field"] == "auto_replies.after_hours"
    # an approved one is fine
    body = activate(api, concept_yaml(extra="""auto_replies:
  first_contact: {template: stoerung}
"""))
    assert body["active"] is True


def closed_today():
    """Office hours open only on the day after tomorrow (Berlin), 08:00-18:00,
    and how the next opening is written in German."""
    now = datetime.datetime.now(ZoneInfo("Europe/Berlin"))
    day = now.date() + datetime.timedelta(days=2)
    hours = "{%s}" % ", ".join('%s: %s' % (d, '["08:00-18:00"]' if i == day.weekday()
                                           else "[]") for i, d in enumerate(DAYS))
    return hours, "%02d.%02d.%d, 08:00 Uhr" % (day.day, day.month, day.year)


def test_after_hours_reply_uses_the_template_with_variables_filled(server, api, setup):
    tid = make_template(setup["s1"], setup["s2"], "nachts",
                        text="Hallo {{contact.first_name}}, wir sind ab "
                             "{{office_hours.next_open}} wieder da. {{contact.last_name}}"
                             "Ihr Team von {{organisation.name}}", intents=())
    hours, when = closed_today()
    activate(api, concept_yaml(office_hours=hours, extra="""auto_replies:
  after_hours: {template: nachts}
"""))
    cid = conversation(api, "ah1", "Frage zum Abschlag", author="erika")
    api.ingest(harness.message("ah2", author="erika", text="Noch eine Frage"))
    [auto] = outbound(api, cid)
    # "Name of erika": first name "Name", last name "of erika"
    assert auto["text"] == ("Hallo Name, wir sind ab %s wieder da. of erikaIhr Team von "
                            "cluetrain" % when)
    assert auto["template_id"] == tid and auto["template_version"] == 1
    assert auto["template_deviation"] is False
    assert auto["author"]["user_id"] is None


def test_an_expired_template_sends_no_automatic_reply(server, api, setup):
    make_template(setup["s1"], setup["s2"], "nachts2", text="Wir sind bald wieder da.",
                  intents=())
    hours, _ = closed_today()
    activate(api, concept_yaml(office_hours=hours, extra="""auto_replies:
  after_hours: {template: nachts2}
"""))
    cid = conversation(api, "ex1", "Frage zum Abschlag", author="spaet-1")
    assert len(outbound(api, cid)) == 1
    # its review lies far back: past the grace period it may not be used
    db_value(server, "UPDATE templates SET review_due_at = 0 WHERE name = 'nachts2'")
    cid = conversation(api, "ex2", "Frage zum Abschlag", author="spaet-2")
    conv = api.conversation(cid)
    assert conv["triage"]["after_hours"] is True
    assert outbound(api, cid) == []
    assert "auto_reply.template_unusable" in server.log()
    # and no concept naming it can be activated now
    errors = activation_error(api, concept_yaml(office_hours=hours, extra="""auto_replies:
  first_contact: {template: nachts2}
"""))
    assert errors[0]["field"] == "auto_replies.first_contact.template"
    assert "review" in errors[0]["message"]


def test_an_automatic_reply_leaves_out_variables_without_a_value(server, api, setup):
    # incident.* has no value until outage incidents exist: left out, never
    # sent as "{{incident.status}}"
    make_template(setup["s1"], setup["s2"], "nachts3",
                  text="Wir sind bald wieder da.{{incident.status}} Ihr {{organisation.name}}",
                  intents=())
    hours, _ = closed_today()
    activate(api, concept_yaml(office_hours=hours, extra="""auto_replies:
  after_hours: {template: nachts3}
"""))
    cid = conversation(api, "lo1", "Frage zum Abschlag", author="ohne")
    [auto] = outbound(api, cid)
    assert auto["text"] == "Wir sind bald wieder da. Ihr cluetrain"

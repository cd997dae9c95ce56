"""GDPR/DSGVO: export of everything held about a contact, erasure, and the
retention policy run as a job."""

import json

from authkit import audit, now_ms, raw_request, db_sql, db_value
from harness import message, wait_until

ERASED = "[erased]"


def contact_with_history(api):
    """A contact with a conversation of two messages, a reply, a note and a
    change; (contact id, [conversation id])."""
    [r1] = api.ingest(message("p-1", author="erika", text="Meine Zählernummer ist 4711-Fuchsbau",
                              subject="Zähler Fuchsbau"))
    [r2] = api.ingest(message("p-2", author="erika", text="Zweite Nachricht Fuchsbau"))
    assert r2["conversation_id"] == r1["conversation_id"]
    c1 = r1["conversation_id"]
    assert api.post("/api/v1/conversations/%d/messages" % c1,
                    {"text": "Antwort an Frau Fuchsbau"})[0] == 201
    assert api.post("/api/v1/conversations/%d/notes" % c1, {"text": "Notiz Fuchsbau"})[0] == 201
    assert api.patch("/api/v1/conversations/%d" % c1, {"status": "pending"})[0] == 200
    return api.conversation(c1)["contact"]["id"], [c1]


def test_export_has_everything(server, api):
    """GET /contacts/{id}/export (admin) answers a JSON attachment with the
    contact, identities, every conversation with every message (replies and
    notes too) and the audit entries about them."""
    contact, [c1] = contact_with_history(api)
    status, headers, raw = raw_request(server.port, "GET", "/api/v1/contacts/%d/export" % contact,
                                       headers={"Authorization": "Bearer " + server.token})
    assert status == 200
    assert 'attachment; filename="contact.json"' in dict(headers)["content-disposition"]
    ex = json.loads(raw)
    assert ex["id"] == contact and ex["name"] == "Name of erika" and ex["erased_at"] is None
    assert ex["exported_at"].endswith("Z")
    [ident] = ex["identities"]
    assert (ident["channel"], ident["external_id"]) == ("api", "erika")
    [conv] = ex["conversations"]
    assert conv["id"] == c1 and conv["status"] == "pending"
    texts = [m["text"] for m in conv["messages"]]
    assert texts == ["Meine Zählernummer ist 4711-Fuchsbau", "Zweite Nachricht Fuchsbau",
                     "Antwort an Frau Fuchsbau", "Notiz Fuchsbau"]
    assert [m["direction"] for m in conv["messages"]] == ["in", "in", "out", "note"]
    actions = [a["action"] for a in ex["audit"]]
    assert {"conversation.replied", "conversation.noted", "conversation.updated"} <= set(actions)
    assert all(a["object_id"] == c1 for a in ex["audit"])
    assert api.get("/api/v1/contacts/999999/export")[0] == 404
    viewer = server.client(server.add_token("v", "viewer"))
    assert viewer.get("/api/v1/contacts/%d/export" % contact)[0] == 403


def test_erase_anonymises_the_contact(server, api):
    """POST /contacts/{id}/erase: every message text is "[erased]", author
    names gone, the subject gone, identities deleted, erased_at set; the
    audit entry contact.erased has counts but no personal data; search no
    longer finds the words; other contacts are untouched; the same sender
    writing again becomes a new contact."""
    contact, [c1] = contact_with_history(api)
    [other] = api.ingest(message("p-other", author="otto", text="Ottos Fuchsbau bleibt"))
    status, report = api.post("/api/v1/contacts/%d/erase" % contact, {})
    assert status == 200, report
    assert report == {"contact_id": contact, "messages_anonymised": 4, "identities_deleted": 1}
    conv = api.conversation(c1)
    assert [m["text"] for m in conv["messages"]] == [ERASED] * 4
    assert conv["subject"] is None and conv["status"] == "pending"
    dump = json.dumps(conv)
    assert "Fuchsbau" not in dump and "Name of erika" not in dump
    status, card = api.get("/api/v1/contacts/%d" % contact)
    assert status == 200 and card["name"] is None and card["identities"] == []
    assert card["erased_at"] is not None
    status, ex = api.get("/api/v1/contacts/%d/export" % contact)
    assert status == 200 and "Fuchsbau" not in json.dumps(ex) and "erika" not in json.dumps(ex)
    [e] = audit(api, action="contact.erased")
    assert e["object_type"] == "contact" and e["object_id"] == contact
    assert e["after"] == {"messages_anonymised": 4, "identities_deleted": 1}
    assert "erika" not in json.dumps(e) and "Fuchsbau" not in json.dumps(e)
    status, found = api.get("/api/v1/search", {"q": "Fuchsbau", "limit": 100})
    assert status == 200
    assert [m["conversation_id"] for m in found["data"]] == [other["conversation_id"]]
    assert api.get("/api/v1/search", {"q": "Zählernummer"})[1]["data"] == []
    assert db_value(server, "SELECT count(*) FROM messages WHERE text LIKE '%%Fuchsbau%%'"
                        " AND conversation_id = %d" % c1) == "0"
    assert "Ottos Fuchsbau bleibt" in [m["text"] for m in
                                       api.conversation(other["conversation_id"])["messages"]]
    [again] = api.ingest(message("p-4", author="erika", text="Ich bin wieder da"))
    assert api.conversation(again["conversation_id"])["contact"]["id"] != contact
    assert api.post("/api/v1/contacts/999999/erase", {})[0] == 404


def resolved_conversation(api, ext, author, text):
    [r] = api.ingest(message(ext, author=author, text=text))
    assert api.patch("/api/v1/conversations/%d" % r["conversation_id"],
                     {"status": "resolved"})[0] == 200
    return r["conversation_id"]


def age_conversation(srv, cid, days):
    """Move a conversation's resolution days into the past (server stopped)."""
    db_sql(srv, "UPDATE conversations SET resolved_at = %d WHERE id = %d"
           % (now_ms() - days * 86400 * 1000, cid))


def run_retention(srv, api):
    """POST /retention/run and wait for its report (the newest retention.ran
    with conversations > 0); GET /retention then."""
    status, body = api.post("/api/v1/retention/run", {})
    assert status == 202, body

    def done():
        entries = audit(api, action="retention.ran")
        return [e for e in entries if e["after"]["conversations"] > 0]
    wait_until(done, 10, what="the retention run")
    status, state = api.get("/api/v1/retention")
    assert status == 200
    return state


def test_retention_anonymises_old_resolved_conversations(make_server):
    """retention.months = 1: a conversation resolved 40 days ago is
    anonymised by the run (texts "[erased]", contact kept); one resolved now
    and an open one are not; GET /retention shows the policy and the report."""
    srv = make_server(env={"CLUETRAIN_RETENTION_MONTHS": "1"})
    api = srv.client()
    old = resolved_conversation(api, "r-old", "alt", "Alte Geschichte Dachs")
    new = resolved_conversation(api, "r-new", "neu", "Neue Geschichte Dachs")
    [r] = api.ingest(message("r-open", author="offen", text="Offene Geschichte Dachs"))
    opened = r["conversation_id"]
    srv.stop()
    age_conversation(srv, old, 40)
    db_sql(srv, "UPDATE conversations SET last_activity_at = %d WHERE id = %d"
           % (now_ms() - 90 * 86400 * 1000, opened))
    srv.start()
    api = srv.client()
    state = run_retention(srv, api)
    assert state["months"] == 1 and state["mode"] == "anonymise"
    report = state["last_run"]["after"]
    assert state["last_run"]["action"] == "retention.ran"
    assert (report["conversations"], report["messages"], report["complete"]) == (1, 1, True)
    assert report["mode"] == "anonymise"
    total = sum(e["after"]["conversations"] for e in audit(api, action="retention.ran"))
    assert total == 1
    conv = api.conversation(old)
    assert [m["text"] for m in conv["messages"]] == [ERASED]
    assert conv["contact"]["id"]  # the contact stays
    assert api.conversation(new)["messages"][0]["text"] == "Neue Geschichte Dachs"
    assert api.conversation(opened)["messages"][0]["text"] == "Offene Geschichte Dachs"
    assert "kind=retention" in srv.log()


def test_retention_can_delete(make_server):
    """retention.mode = delete removes old resolved conversations with their
    messages (404 afterwards)."""
    srv = make_server(env={"CLUETRAIN_RETENTION_MONTHS": "1", "CLUETRAIN_RETENTION_MODE": "delete"})
    api = srv.client()
    old = resolved_conversation(api, "d-old", "alt", "Alte Sache Igel")
    new = resolved_conversation(api, "d-new", "neu", "Neue Sache Igel")
    srv.stop()
    age_conversation(srv, old, 31)
    srv.start()
    api = srv.client()
    state = run_retention(srv, api)
    assert state["mode"] == "delete" and state["last_run"]["after"]["mode"] == "delete"
    assert state["last_run"]["after"]["conversations"] == 1
    assert api.get("/api/v1/conversations/%d" % old)[0] == 404
    assert db_value(srv, "SELECT count(*) FROM messages WHERE conversation_id = %d"
                        % old) == "0"
    assert api.conversation(new)["messages"][0]["text"] == "Neue Sache Igel"
    found = api.get("/api/v1/search", {"q": "Igel", "limit": 100})[1]["data"]
    assert [m["conversation_id"] for m in found] == [new]


def test_retention_without_policy(server, api):
    """Without retention.months, run is 409 and GET shows months 0."""
    assert api.post("/api/v1/retention/run", {})[0] == 409
    status, state = api.get("/api/v1/retention")
    assert status == 200 and state["months"] == 0 and state["last_run"] is None

"""The audit log: every state change and every sign-in with who, from
where, what object, before and after; paged by GET /api/v1/audit; the
database refuses to change or delete entries."""

import json

from authkit import Browser, audit, create_user, login, raw_request, db_sql, db_value
from harness import message


def newest(api, action, **params):
    entries = audit(api, action=action, **params)
    assert entries, "no %s entry" % action
    return entries[0]


def test_inbox_changes_are_audited(server, api):
    """PATCH conversation (before and after), reply and note (the message id,
    never the text) name the actor, the object and the address."""
    [r] = api.ingest(message("audit-1", text="Geheimer Kundentext"))
    cid = r["conversation_id"]
    assert api.patch("/api/v1/conversations/%d" % cid,
                     {"status": "pending", "priority": "high"})[0] == 200
    e = newest(api, "conversation.updated", object_id=cid)
    assert e["actor"] == "token:test" and e["actor_token_id"] and e["ip"] == "127.0.0.1"
    assert e["object_type"] == "conversation" and e["object_id"] == cid
    assert (e["before"]["status"], e["before"]["priority"]) == ("open", "normal")
    assert (e["after"]["status"], e["after"]["priority"]) == ("pending", "high")
    status, reply = api.post("/api/v1/conversations/%d/messages" % cid, {"text": "Antworttext X"})
    assert status == 201
    e = newest(api, "conversation.replied", object_id=cid)
    assert e["after"] == {"message_id": reply["id"]} and e["actor"] == "token:test"
    status, note = api.post("/api/v1/conversations/%d/notes" % cid, {"text": "Notiztext Y"})
    assert status == 201
    e = newest(api, "conversation.noted", object_id=cid)
    assert e["after"] == {"message_id": note["id"]}
    everything = json.dumps(audit(api))
    for text in ("Geheimer Kundentext", "Antworttext X", "Notiztext Y"):
        assert text not in everything


def test_account_changes_are_audited(server, api):
    """User create and update, team create and update, token create and
    revoke, channel create and update: each with actor and before/after, no
    password or token in them."""
    u = create_user(api, "agent", name="Erika Muster")
    e = newest(api, "user.created", object_id=u["id"])
    assert e["object_type"] == "user" and e["before"] is None
    assert e["after"]["email"] == u["email"] and e["after"]["role"] == "agent"
    assert api.patch("/api/v1/users/%d" % u["id"], {"role": "supervisor"})[0] == 200
    e = newest(api, "user.updated", object_id=u["id"])
    assert (e["before"]["role"], e["after"]["role"]) == ("agent", "supervisor")
    status, _ = api.patch("/api/v1/users/%d" % u["id"], {"password": "Anders-" + u["password"]})
    assert status == 200
    newest(api, "user.password_changed", object_id=u["id"])

    status, team = api.post("/api/v1/teams", {"name": "Audit", "members": [u["id"]]})
    assert status == 201
    e = newest(api, "team.created", object_id=team["id"])
    assert e["after"]["name"] == "Audit" and e["after"]["members"] == [u["id"]]
    assert api.patch("/api/v1/teams/%d" % team["id"], {"name": "Audit 2"})[0] == 200
    e = newest(api, "team.updated", object_id=team["id"])
    assert (e["before"]["name"], e["after"]["name"]) == ("Audit", "Audit 2")

    status, tok = api.post("/api/v1/tokens", {"name": "audited", "role": "viewer"})
    assert status == 201
    e = newest(api, "token.created", object_id=tok["id"])
    assert e["after"]["name"] == "audited" and e["after"]["role"] == "viewer"
    assert api.call("DELETE", "/api/v1/tokens/%d" % tok["id"])[0] == 200
    e = newest(api, "token.revoked", object_id=tok["id"])
    assert e["before"]["revoked_at"] is None and e["after"]["revoked_at"] is not None

    status, ch = api.post("/api/v1/channels", {"kind": "api", "name": "audit-ch"})
    assert status == 201
    e = newest(api, "channel.created", object_id=ch["id"])
    assert e["after"]["name"] == "audit-ch"
    assert api.patch("/api/v1/channels/%d" % ch["id"],
                     {"config": {"webhook_url": "http://127.0.0.1:9/x"}})[0] == 200
    e = newest(api, "channel.updated", object_id=ch["id"])
    assert e["before"]["config"] == {} and e["after"]["config"]["webhook_url"]

    everything = json.dumps(audit(api))
    assert u["password"] not in everything and tok["token"] not in everything
    assert "$argon2" not in everything


def test_sign_ins_are_audited(server, api):
    """login, login.failed (anonymous, with the address given), logout and
    logout.everywhere are recorded with the user and the address."""
    u = create_user(api, "viewer")
    Browser(server.port).login(u["email"], "Falsches-Passwort-1", expect=401)
    e = newest(api, "login.failed")
    assert e["actor"] == "anonymous" and e["object_id"] == u["id"] and e["ip"] == "127.0.0.1"
    assert e["after"] == {"email": u["email"]}
    Browser(server.port).login("unknown@example.org", "Falsches-Passwort-1", expect=401)
    e = newest(api, "login.failed")
    assert e["object_id"] is None and e["after"] == {"email": "unknown@example.org"}
    b = login(server, u)
    e = newest(api, "login")
    assert e["actor"] == "user:" + u["email"] and e["actor_user_id"] == u["id"]
    assert e["object_id"] == u["id"]
    assert b.post("/api/v1/auth/logout")[0] == 200
    e = newest(api, "logout")
    assert e["actor"] == "user:" + u["email"] and e["object_id"] == u["id"]
    b = login(server, u)
    assert b.post("/api/v1/auth/logout-all")[0] == 200
    assert newest(api, "logout.everywhere")["actor_user_id"] == u["id"]


def test_session_changes_name_the_user(server, api):
    """A change made in a session is recorded as user:<email>."""
    admin = create_user(api, "admin")
    b = login(server, admin)
    status, team = b.post("/api/v1/teams", {"name": "Von Hand"})
    assert status == 201
    e = newest(api, "team.created", object_id=team["id"])
    assert e["actor"] == "user:" + admin["email"] and e["actor_user_id"] == admin["id"]
    assert e["actor_token_id"] is None


def test_audit_pages_with_before(server, api):
    """GET /audit pages newest first: limit entries and next_before, which
    fetches the next page; all pages together are the whole log, once each;
    the last page has next_before null. Only admins may read it."""
    for i in range(7):
        assert api.post("/api/v1/teams", {"name": "Page %d" % i})[0] == 201
    full = audit(api)
    assert len(full) >= 7
    ids, before = [], None
    while True:
        params = {"limit": 3}
        if before:
            params["before"] = before
        status, body = api.get("/api/v1/audit", params)
        assert status == 200 and len(body["data"]) <= 3
        ids += [e["id"] for e in body["data"]]
        before = body["next_before"]
        if before is None:
            break
        assert before == body["data"][-1]["id"]
    assert ids == [e["id"] for e in full]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    status, body = api.get("/api/v1/audit", {"action": "team.created", "limit": 2})
    assert [e["action"] for e in body["data"]] == ["team.created"] * 2
    assert [e["after"]["name"] for e in body["data"]] == ["Page 6", "Page 5"]
    assert api.get("/api/v1/audit", {"limit": 501})[0] == 422
    sup = server.client(server.add_token("sup", "supervisor"))
    assert sup.get("/api/v1/audit")[0] == 403


def test_audit_log_is_append_only(server, api):
    """The database refuses UPDATE and DELETE on audit_log ("append-only"),
    also through the sqlite3 CLI; the entries stay as they were."""
    api.post("/api/v1/teams", {"name": "Unchangeable"})
    before = db_value(server, "SELECT count(*), max(id) FROM audit_log")
    for sql in ("UPDATE audit_log SET actor = 'someone else'",
                "UPDATE audit_log SET after = NULL WHERE action = 'team.created'",
                "DELETE FROM audit_log",
                "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)"):
        res = db_sql(server, sql, check=False)
        assert res.returncode != 0, sql
        assert "append-only" in res.stderr, res.stderr
    assert db_value(server, "SELECT count(*), max(id) FROM audit_log") == before
    assert newest(api, "team.created")["actor"] == "token:test"
    # the API offers no way to change it either
    for method in ("POST", "PATCH", "DELETE", "PUT"):
        status, _, _ = raw_request(server.port, method, "/api/v1/audit", {},
                                   {"Authorization": "Bearer " + server.token})
        assert status in (404, 405), (method, status)

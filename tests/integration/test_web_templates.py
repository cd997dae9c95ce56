"""Approved wording in the browser, without a browser (issue 7): templates
made in the web form, submitted and approved by a second supervisor (the
author gets the four-eyes refusal, an agent neither sees the button nor
may post it), versions compared; the review tab with an expired template;
the templates panel of the reply box (suggestions, Insert with the
contact's name filled in and escaped, variables still to fill), a reply
recording its template; strict wording: the held reply in the thread, the
approval queue with its count, approving (edited) and rejecting; the
report. Everything through the HTML pages as a user would; the API only
to check what was stored."""

import html as htmllib
import re

import pytest

import harness
from authkit import create_user, db_sql, db_value, now_ms, raw_request
from test_web_pages import COOKIE, Page, harness_unique

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = "{" + ", ".join('%s: ["00:00-24:00"]' % d for d in DAYS) + "}"
CONTACT = "<b>Zoë</b> & Co"
TEXT = "Hallo {{contact.name}}, wir beheben die Störung so schnell wie möglich."


def concept_yaml(strict=False):
    return """\
name: Sprachregelung im Web
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
%s""" % (ALWAYS_OPEN, "strict_wording:\n  intents: [outage]\n" if strict else "")


def text_of(page_html):
    """The page as text: tags removed, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", page_html)))


def person(server, role, name=None, teams=None):
    """A signed-in Page (English) and the user."""
    user = create_user(server.client(), role, name=name, locale="en", teams=teams)
    page = Page(server.port)
    status, _, body = page.login(user["email"], user["password"])
    assert status == 303, (status, body[:300])
    return page, user


def csrf_of(page, path="/templates"):
    status, _, body = page.get(path)
    assert status == 200, (status, body[:300])
    return page.csrf(body)


def template_form(csrf, name, text=TEXT, intents="outage", channel="any", extra=None):
    form = {"csrf": csrf, "template_id": "0", "name": name, "intents": intents,
            "review_interval_days": "90", "note": "Bitte prüfen",
            "variant_language": "de", "variant_channel": channel, "variant_text": text}
    form.update(extra or {})
    return form


def create_template(page, name, text=TEXT, intents="outage"):
    """Create a template with the web form; its id."""
    status, hdrs, body = page.post("/templates", template_form(csrf_of(page), name, text,
                                                               intents))
    assert status == 303, (status, text_of(body)[:1500])
    m = re.match(r"/templates/(\d+)\?done=saved$", hdrs["location"])
    assert m, hdrs["location"]
    return int(m.group(1))


def step(page, tid, what, form=None):
    csrf = csrf_of(page, "/templates/%d" % tid)
    data = {"csrf": csrf}
    data.update(form or {})
    return page.post("/templates/%d/%s" % (tid, what), data)


def approved_template(author, approver, name, text=TEXT, intents="outage"):
    tid = create_template(author, name, text, intents)
    status, hdrs, _ = step(author, tid, "submit")
    assert status == 303 and hdrs["location"] == "/templates/%d?done=submitted" % tid
    status, hdrs, body = step(approver, tid, "approve", {"number": "1"})
    assert status == 303, (status, text_of(body)[:1500])
    return tid


@pytest.fixture
def office(server):
    """A team, two supervisors and an agent in the team (signed in)."""
    api = server.client()
    status, team = api.post("/api/v1/teams", {"name": "Kundenservice"})
    assert status == 201, team
    s1, s1_user = person(server, "supervisor", name="Sabine Autorin")
    s2, s2_user = person(server, "supervisor", name="Peter Pruefer")
    agent, agent_user = person(server, "agent", name="Anna Agentin", teams=[team["id"]])
    return {"api": api, "s1": s1, "s2": s2, "agent": agent, "s1_user": s1_user,
            "s2_user": s2_user, "agent_user": agent_user}


def activate(api, strict=False):
    status, body = api.post("/api/v1/concept/versions",
                            {"source": concept_yaml(strict), "activate": True})
    assert status == 201, (status, body)


def conversation(api, text, name=CONTACT):
    ext = harness_unique()
    m = harness.message(ext, author="kunde-" + ext, text=text)
    m["author"]["name"] = name
    return api.ingest(m)[0]["conversation_id"]


# ---- the workflow ----------------------------------------------------------------

def test_create_submit_and_approve_with_four_eyes(server, office):
    s1, s2, agent = office["s1"], office["s2"], office["agent"]
    # An unknown variable is refused at saving, with what was typed kept.
    bad = "Hallo {{contact.vorname}}"
    status, _, body = s1.post("/templates", template_form(csrf_of(s1), "stoerung", bad))
    assert status == 422
    assert "contact.vorname" in text_of(body)
    assert 'id="save-error"' in body and 'aria-invalid="true"' in body
    assert ">\n%s</textarea>" % htmllib.escape(bad, quote=True) in body

    tid = create_template(s1, "stoerung")
    status, _, body = s1.get("/templates/%d?done=saved" % tid)
    assert status == 200
    assert "Draft" in text_of(body) and 'id="submit-button"' in body
    assert 'id="approve-button"' not in body
    # The variants with their counter and the channel limits, the variables.
    assert 'data-counter="variant-0-text"' in body
    assert '<option value="x" data-limit="280">' in body
    assert '<option value="sms" data-limit="160">' in body
    assert "<code>{{contact.first_name}}</code>" in body

    status, hdrs, _ = step(s1, tid, "submit")
    assert status == 303
    # The author may not approve: a clear refusal.
    _, _, body = s1.get("/templates/%d" % tid)
    assert 'id="own-version"' in body
    status, _, body = step(s1, tid, "approve", {"number": "1"})
    assert status == 403
    assert "Four eyes: you wrote this version" in text_of(body)
    # An agent sees no approve button and is refused when posting it anyway.
    _, _, body = agent.get("/templates/%d" % tid)
    assert "In review" in text_of(body)
    assert 'id="approve-button"' not in body and 'id="return-button"' not in body
    status, _, body = agent.post("/templates/%d/approve" % tid,
                                 {"csrf": agent.csrf(body), "number": "1"})
    assert status == 403
    _, _, body = s2.get("/templates/%d" % tid)
    assert 'id="approve-button"' in body
    status, hdrs, _ = step(s2, tid, "approve", {"number": "1"})
    assert status == 303 and hdrs["location"] == "/templates/%d?done=approved" % tid
    _, _, body = s2.get(hdrs["location"])
    shown = text_of(body)
    assert "Approved" in shown and "Usable in replies yes" in shown
    row = re.search(r'<tr id="version-1">.*?</tr>', body, re.S).group(0)
    assert office["s2_user"]["email"] in row and office["s1_user"]["email"] in row

    # A second version, returned with a comment; the two compared.
    form = template_form(csrf_of(s2), "stoerung",
                         TEXT.replace("so schnell wie möglich", "mit Hochdruck"))
    form["template_id"] = str(tid)
    status, _, _ = s2.post("/templates/%d" % tid, form)
    assert status == 303
    assert step(s2, tid, "submit")[0] == 303
    status, _, _ = step(s1, tid, "return", {"comment": "Zu <salopp>"})
    assert status == 303
    _, _, body = s1.get("/templates/%d?from=1&to=2" % tid)
    assert "Zu &lt;salopp&gt;" in body
    assert '<span class="del">' in body and '<span class="add">' in body
    assert "mit Hochdruck" in text_of(body)
    # The list shows the template for everyone, "New template" only to writers.
    _, _, body = agent.get("/templates")
    assert 'href="/templates/%d"' % tid in body and 'id="new-template"' in body
    viewer, _ = person(server, "viewer")
    _, _, body = viewer.get("/templates")
    assert 'href="/templates/%d"' % tid in body and 'id="new-template"' not in body
    assert viewer.get("/templates/new")[0] == 403


def test_review_tab_lists_an_expired_template(server, office):
    tid = approved_template(office["s1"], office["s2"], "abgelaufen")
    fresh = approved_template(office["s1"], office["s2"], "frisch")
    db_sql(server, "UPDATE templates SET review_due_at = %d WHERE id = %d"
           % (now_ms() - 60 * 86400 * 1000, tid))
    status, _, body = office["agent"].get("/templates?review=1")
    assert status == 200
    row = re.search(r'<tr id="template-%d">.*?</tr>' % tid, body, re.S)
    assert row, body[:3000]
    assert "Review expired" in text_of(row.group(0))
    assert "unusable from" in text_of(row.group(0))
    assert 'id="template-%d"' % fresh not in body
    assert 'href="/templates?review=1" aria-current="page"' in body


# ---- the reply box ---------------------------------------------------------------

def test_suggestions_insert_and_a_reply_with_its_template(server, office):
    api, agent = office["api"], office["agent"]
    activate(api)
    tid = approved_template(office["s1"], office["s2"], "stoerung")
    gap = approved_template(office["s1"], office["s2"], "mit-luecke",
                            "Status: {{incident.status}}", intents="billing")
    cid = conversation(api, "Stromausfall in der Hauptstraße")
    status, _, body = agent.get("/inbox/c/%d" % cid)
    assert status == 200
    panel = re.search(r'<ul class="plain" id="suggestions">.*?</ul>', body, re.S).group(0)
    assert panel.index('data-template="%d"' % tid) < panel.index('data-template="%d"' % gap)
    first = re.search(r'<li class="suggestion" data-template="%d">.*?</li>' % tid, panel,
                      re.S).group(0)
    assert "intent-match" in first
    # The contact's name is escaped everywhere (first line and heading).
    assert "<b>Zoë</b>" not in body
    assert "&lt;b&gt;Zoë&lt;/b&gt; &amp; Co" in body
    assert 'data-limit="0"' in body  # the api channel has no limit

    # The editor's preview fills the variants from this conversation (htmx:
    # only #preview), escaped; too long for X is flagged.
    form = template_form(csrf_of(agent), "vorschau", TEXT, channel="x",
                         extra={"conversation_id": str(cid)})
    status, _, part = agent.post("/templates/preview", form, headers={"HX-Request": "true"})
    assert status == 200 and part.startswith('<section id="preview"'), part[:300]
    assert htmllib.escape(TEXT.replace("{{contact.name}}", CONTACT), quote=True) in part
    assert "<b>Zoë</b>" not in part and "/ 280 characters" in text_of(part)
    form["variant_text"] = "x" * 290
    _, _, part = agent.post("/templates/preview", form, headers={"HX-Request": "true"})
    assert "too long for this channel" in part and "preview-item too-long" in part
    form["conversation_id"] = "999999"
    _, _, part = agent.post("/templates/preview", form, headers={"HX-Request": "true"})
    assert "is not yours to see" in text_of(part)
    # Without htmx: the whole editor with what was typed and the preview.
    form["conversation_id"] = str(cid)
    status, _, body = agent.post("/templates/preview", form)
    assert status == 200 and 'id="template-form"' in body and 'value="vorschau"' in body
    assert "preview-item" in body

    # Insert (htmx): the filled text in the textarea, the template's id.
    status, _, part = agent.get("/inbox/c/%d/compose?template=%d" % (cid, tid),
                                headers={"HX-Request": "true"})
    assert status == 200 and part.startswith('<div id="composer"')
    filled = TEXT.replace("{{contact.name}}", CONTACT)
    m = re.search(r'<textarea id="composer-text"[^>]*>\n?(.*?)</textarea>', part, re.S)
    assert htmllib.unescape(m.group(1)) == filled
    assert "<b>" not in m.group(1)
    assert 'name="template_id" id="composer-template" value="%d"' % tid in part
    # Without JavaScript, Insert opens the conversation with the same box.
    status, hdrs, _ = agent.get("/inbox/c/%d/compose?template=%d" % (cid, tid))
    assert status == 303 and hdrs["location"] == "/inbox/c/%d?template=%d" % (cid, tid)
    _, _, body = agent.get(hdrs["location"])
    assert 'value="%d"' % tid in body and htmllib.escape(filled, quote=True) in body

    # A variable without a value is named, and sending it is refused.
    _, _, part = agent.get("/inbox/c/%d/compose?template=%d" % (cid, gap),
                           headers={"HX-Request": "true"})
    missing = re.search(r'<p id="composer-missing"[^>]*>(.*?)</p>', part, re.S).group(0)
    assert "{{incident.status}}" in missing and " hidden" not in missing
    csrf = agent.csrf(part)
    status, _, body = agent.post("/inbox/c/%d/reply" % cid,
                                 {"csrf": csrf, "text": "Status: {{incident.status}}",
                                  "template_id": str(gap)})
    assert status == 422
    assert "Fill in {{incident.status}} before sending." in text_of(body)

    # Sent as inserted: the reply records the template, without deviation.
    status, hdrs, _ = agent.post("/inbox/c/%d/reply" % cid,
                                 {"csrf": csrf, "text": filled.replace("\n", "\r\n"),
                                  "template_id": str(tid)})
    assert status == 303 and hdrs["location"] == "/inbox/c/%d" % cid
    # Edited before sending: a deviation.
    status, _, _ = agent.post("/inbox/c/%d/reply" % cid,
                              {"csrf": csrf, "text": filled + " Danke!",
                               "template_id": str(tid)})
    assert status == 303
    # Written freely (the hidden field cleared): no template.
    status, _, _ = agent.post("/inbox/c/%d/reply" % cid,
                              {"csrf": csrf, "text": "Frei geschrieben", "template_id": ""})
    assert status == 303
    out = [m for m in api.conversation(cid)["messages"] if m["direction"] == "out"]
    assert [m["template_id"] for m in out] == [tid, tid, None]
    assert [m.get("template_deviation") for m in out][:2] == [False, True]

    # The report counts them (supervisors; agents are refused).
    assert agent.get("/reports/templates")[0] == 403
    status, _, body = office["s1"].get("/reports/templates?days=7")
    assert status == 200
    row = re.search(r'<tr id="use-%d">.*?</tr>' % tid, body, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["2", "1", "50.0 %"]
    assert '<dd id="total-replies">3</dd>' in body
    assert '<dd id="template-replies">2</dd>' in body
    assert 'href="/reports/templates?days=7" aria-current="page"' in body


# ---- strict wording: held replies ------------------------------------------------

def test_held_replies_wait_in_the_queue_and_are_approved_or_rejected(server, office):
    api, agent, s1, s2 = office["api"], office["agent"], office["s1"], office["s2"]
    activate(api, strict=True)
    cid = conversation(api, "Stromausfall seit einer Stunde")
    csrf = csrf_of(agent, "/inbox/c/%d" % cid)
    status, hdrs, _ = agent.post("/inbox/c/%d/reply" % cid,
                                 {"csrf": csrf, "text": "Wir schauen <sofort> nach.",
                                  "template_id": ""})
    assert status == 303 and hdrs["location"] == "/inbox/c/%d?held=1" % cid
    _, _, body = agent.get(hdrs["location"])
    assert 'id="held-notice"' in body
    assert "Waiting for approval by a supervisor" in text_of(body)
    item = re.search(r'<li class="msg out held held-pending".*?</li>', body, re.S).group(0)
    assert "Wir schauen &lt;sofort&gt; nach." in item and "not sent" in item
    assert not [m for m in api.conversation(cid)["messages"] if m["direction"] == "out"]
    # htmx gets the pane with the notice.
    status, _, part = agent.post("/inbox/c/%d/reply" % cid,
                                 {"csrf": csrf, "text": "Zweiter Versuch"},
                                 headers={"HX-Request": "true"})
    assert status == 200 and 'id="held-notice"' in part

    # The queue: supervisors only, with the count in the navigation.
    assert agent.get("/approvals")[0] == 403
    _, _, inbox = agent.get("/inbox")
    assert 'href="/approvals"' not in inbox
    status, _, body = s1.get("/approvals")
    assert status == 200
    assert re.search(r'id="approvals-count"[^>]*>2</span>', body)
    ids = [int(x) for x in re.findall(r'<article class="card held" id="held-(\d+)"', body)]
    assert len(ids) == 2
    assert 'href="/inbox/c/%d"' % cid in body and "Anna Agentin" in body
    assert "&lt;b&gt;Zoë&lt;/b&gt; &amp; Co" in body and "<b>Zoë</b>" not in body

    # Approve with an edit: the edited text is sent.
    status, hdrs, _ = s1.post("/approvals/%d/approve" % ids[0],
                              {"csrf": s1.csrf(body), "text": "Wir sind\r\nunterwegs."})
    assert status == 303 and hdrs["location"] == "/approvals?done=approved"
    out = [m for m in api.conversation(cid)["messages"] if m["direction"] == "out"]
    assert [m["text"] for m in out] == ["Wir sind\nunterwegs."]
    # Reject needs a reason; the author sees it in the thread.
    status, _, body = s2.post("/approvals/%d/reject" % ids[1], {"csrf": csrf_of(s2, "/approvals"),
                                                                "reason": ""})
    assert status == 422 and "Write a reason" in text_of(body)
    status, hdrs, _ = s2.post("/approvals/%d/reject" % ids[1],
                              {"csrf": csrf_of(s2, "/approvals"), "reason": "Bitte <Vorlage>"})
    assert status == 303
    _, _, body = agent.get("/inbox/c/%d" % cid)
    item = re.search(r'<li class="msg out held held-rejected".*?</li>', body, re.S).group(0)
    assert "Bitte &lt;Vorlage&gt;" in item and "Rejected" in item
    _, _, body = s1.get("/approvals")
    assert 'id="approvals-empty"' in body and 'id="approvals-count"' not in body
    assert s1.post("/approvals/%d/approve" % ids[1], {"csrf": s1.csrf(body), "text": "x"})[0] \
        == 409

    # Nobody approves their own held reply.
    status, _, _ = s1.post("/inbox/c/%d/reply" % cid,
                           {"csrf": csrf_of(s1, "/inbox/c/%d" % cid), "text": "Von mir"})
    assert status == 303
    _, _, body = s1.get("/approvals")
    own = int(re.search(r'<article class="card held" id="held-(\d+)"', body).group(1))
    status, _, body = s1.post("/approvals/%d/approve" % own, {"csrf": s1.csrf(body),
                                                              "text": "Von mir"})
    assert status == 403 and "Four eyes" in text_of(body)


def test_forms_need_the_csrf_token(server, office):
    tid = create_template(office["s1"], "csrf-probe")
    status, _, _ = office["s1"].post("/templates/%d/submit" % tid, {})
    assert status == 403
    status, _, _ = office["s1"].post("/templates", template_form("wrong", "neu"))
    assert status == 403


# ---- import and export -------------------------------------------------------------

def multipart(fields):
    """A multipart/form-data body of fields {name: (filename or None, text)}."""
    boundary = "----cluetrain" + harness_unique()
    parts = []
    for name, (filename, text) in fields.items():
        disposition = 'form-data; name="%s"' % name
        if filename:
            disposition += '; filename="%s"' % filename
        parts.append("--%s\r\nContent-Disposition: %s\r\n\r\n%s\r\n" % (boundary, disposition,
                                                                          text))
    body = ("".join(parts) + "--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def test_import_and_export_pages(server, office):
    s1, agent, api = office["s1"], office["agent"], office["api"]
    create_template(s1, "export-me")
    status, _, body = s1.get("/templates/import")
    assert status == 200
    assert 'href="/api/v1/templates/export?format=yaml"' in body
    # The export link opens with the session cookie.
    status, hdrs, doc = s1.get("/api/v1/templates/export?format=yaml")
    assert status == 200 and "export-me" in doc, (status, doc[:300])
    assert hdrs["content-type"].startswith("application/yaml")

    # Pasted back under another name: a new draft; the old one unchanged.
    csrf = s1.csrf(body)
    renamed = doc.replace("export-me", "imported-one")
    status, _, page = s1.post("/templates/import", {"csrf": csrf, "format": "yaml",
                                                    "text": renamed})
    assert status == 200, text_of(page)[:1500]
    assert re.search(r'class="import-created"><li>imported-one</li>', page)
    assert re.search(r'class="import-unchanged"><li>export-me</li>', page) is None
    status, listed = api.get("/api/v1/templates?q=imported-one")
    assert status == 200 and [t["status"] for t in listed["data"]] == ["draft"]

    # A broken document changes nothing and names line and field.
    before = db_value(server, "SELECT count(*) FROM template_versions")
    broken = renamed.replace("{{contact.name}}", "{{contact.vorname}}").replace(
        "imported-one", "never-stored")
    status, _, page = s1.post("/templates/import", {"csrf": csrf, "format": "yaml",
                                                    "text": broken})
    assert status == 422
    error = text_of(re.search(r'id="import-error">(.*?)</p>', page, re.S).group(1))
    assert "templates[0].variants[0].text" in error and "line " in error, error
    assert "contact.vorname" in error
    assert "{{contact.vorname}}" in htmllib.unescape(page)  # the text is kept
    assert db_value(server, "SELECT count(*) FROM template_versions") == before

    # As a file (multipart), in JSON.
    status, _, doc = s1.get("/api/v1/templates/export?format=json")
    body, ctype = multipart({"csrf": (None, csrf), "format": (None, "json"),
                             "file": ("t.json", doc.replace("export-me", "from-file"))})
    status, _, raw = raw_request(server.port, "POST", "/templates/import", body,
                                 {"Cookie": "%s=%s" % (COOKIE, s1.cookie),
                                  "Content-Type": ctype})
    page = raw.decode("utf-8", "replace")
    assert status == 200, text_of(page)[:1500]
    assert re.search(r'class="import-created"><li>from-file</li>', page)

    # Agents neither see nor use the import.
    status, _, _ = agent.get("/templates/import")
    assert status == 403

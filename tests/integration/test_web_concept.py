"""The dialog concept in the browser, without a browser (issue 6): the
settings page for administrators and supervisors (the active version, the
history, checking and saving a draft, activating an older version,
comparing two), refused for agents and without the CSRF token; the YAML
and the diff escaped; and on a triaged conversation the "Why" panel (the
rule that matched and its reason, the action, the due times, a language
nobody owns) and the due state in the list."""

import html as htmllib
import re

from authkit import db_sql, now_ms
from harness import message
from test_concept import concept_yaml, make_teams
from test_web_pages import harness_unique, signed_in


def text_of(page_html):
    """The page as text: tags removed, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", page_html)))


def versions(api):
    status, body = api.get("/api/v1/concept/versions")
    assert status == 200
    return body["data"]


def textarea(page_html):
    m = re.search(r'<textarea id="source"[^>]*>\n?(.*?)</textarea>', page_html, re.S)
    assert m, "no concept editor on the page"
    return htmllib.unescape(m.group(1))


def concept_page(page):
    status, _, page_html = page.get("/settings/concept")
    assert status == 200, (status, page_html[:300])
    return page.csrf(page_html), page_html


def save(page, csrf, source):
    return page.post("/settings/concept", {"csrf": csrf, "source": source})


def test_the_page_is_for_admins_and_supervisors(server):
    admin, _ = signed_in(server, "admin", locale="en")
    _, page_html = concept_page(admin)
    assert page_html.count("<h1>") == 1 and "Dialog concept" in page_html
    assert "No concept is active yet." in page_html
    assert 'href="/settings/concept" aria-current="page"' in page_html
    assert 'href="/settings/users"' in page_html  # admins see every section
    assert textarea(page_html) == ""

    supervisor, _ = signed_in(server, "supervisor", locale="en")
    csrf, page_html = concept_page(supervisor)
    assert 'href="/settings/concept"' in page_html
    assert 'href="/settings/users"' not in page_html  # only the concept for them
    assert supervisor.get("/settings/users")[0] == 403

    for role in ("agent", "viewer"):
        page, _ = signed_in(server, role, locale="en")
        status, hdrs, page_html = page.get("/settings/concept")
        assert status == 403, role
        assert hdrs["content-type"].startswith("text/html")
        assert page.get("/settings/concept/diff?from=1&to=1")[0] == 403
        _, _, profile = page.get("/profile")
        status, _, _ = save(page, page.csrf(profile), concept_yaml())
        assert status == 403, role
    assert versions(server.client()) == []


def test_check_lists_the_errors_with_lines_and_stores_nothing(server):
    api = server.client()
    make_teams(api)
    page, _ = signed_in(server, "admin", locale="en")
    csrf, _ = concept_page(page)
    bad = concept_yaml().replace("first_response: 30m", "first_response: dreißig")
    status, _, page_html = page.post("/settings/concept/check", {"csrf": csrf, "source": bad})
    assert status == 200
    line = bad.splitlines().index(
        next(ln for ln in bad.splitlines() if "dreißig" in ln)) + 1
    errors = re.search(r'id="source-error" role="alert">(.*?)</div>', page_html, re.S)
    assert errors, page_html[:2000]
    shown = text_of(errors.group(1))
    assert "1 error" in shown and "Nothing was stored" in shown
    assert "Line %d, column" % line in shown
    assert "sla_policies.urgent.first_response" in shown
    assert textarea(page_html) == bad  # what was typed stays
    assert 'aria-invalid="true"' in page_html
    assert versions(api) == []

    status, _, page_html = page.post("/settings/concept/check",
                                     {"csrf": csrf, "source": concept_yaml()})
    assert status == 200
    assert 'The concept "Testkonzept Stadtwerke" is valid.' in htmllib.unescape(page_html)
    assert versions(api) == []

    # Saving a broken draft lists the same errors and stores nothing either;
    # a team the installation lacks is named too.
    broken = bad.replace("team: Entstörung, tags", "team: Nirgendwo, tags")
    status, _, page_html = save(page, csrf, broken)
    assert status == 422
    shown = text_of(page_html)
    assert "2 errors" in shown and "Nirgendwo" in shown, shown[:3000]
    assert textarea(page_html) == broken
    assert versions(api) == []
    assert api.get("/api/v1/concept")[0] == 404


def test_save_and_activate_then_switch_back_and_compare(server):
    api = server.client()
    make_teams(api)
    page, _ = signed_in(server, "supervisor", locale="en")
    csrf, _ = concept_page(page)
    status, hdrs, _ = save(page, csrf, concept_yaml())
    assert status == 303 and hdrs["location"] == "/settings/concept?done=concept"
    first = api.get("/api/v1/concept")[1]
    assert first["active"] is True

    status, _, page_html = page.get(hdrs["location"])
    assert status == 200
    assert 'class="flash ok" role="status"' in page_html
    assert '<dd id="active-version">%d</dd>' % first["id"] in page_html
    assert '<dd id="active-name">Testkonzept Stadtwerke</dd>' in page_html
    assert textarea(page_html) == concept_yaml()  # the editor starts from the active one

    second_text = concept_yaml().replace("first_response: 4h", "first_response: 3h")
    status, hdrs, _ = save(page, csrf, second_text)
    assert status == 303
    second = api.get("/api/v1/concept")[1]
    assert second["id"] != first["id"] and "first_response: 3h" in second["source"]

    _, page_html = concept_page(page)
    row_first = re.search(r'<tr id="version-%d">.*?</tr>' % first["id"], page_html, re.S).group(0)
    row_second = re.search(r'<tr id="version-%d">.*?</tr>' % second["id"], page_html, re.S).group(0)
    assert "active" in row_second and "/activate" not in row_second
    assert 'action="/settings/concept/%d/activate"' % first["id"] in row_first
    assert 'name="csrf"' in row_first
    assert 'href="/settings/concept/diff?from=%d&amp;to=%d"' % (second["id"], first["id"]) \
        in row_first

    # The button of the older version makes it the active one again.
    status, hdrs, _ = page.post("/settings/concept/%d/activate" % first["id"], {"csrf": csrf})
    assert status == 303 and hdrs["location"] == "/settings/concept?done=concept-activated"
    assert api.get("/api/v1/concept")[1]["id"] == first["id"]
    _, page_html = concept_page(page)
    assert '<dd id="active-version">%d</dd>' % first["id"] in page_html
    assert page.post("/settings/concept/999/activate", {"csrf": csrf})[0] == 404

    # The diff: removed and added lines, and the hunk header, in their spans.
    status, _, page_html = page.get("/settings/concept/diff?from=%d&to=%d"
                                    % (first["id"], second["id"]))
    assert status == 200
    dels = [htmllib.unescape(x) for x in re.findall(r'<span class="del">(.*?)</span>', page_html)]
    adds = [htmllib.unescape(x) for x in re.findall(r'<span class="add">(.*?)</span>', page_html)]
    assert any(d.startswith("-  standard: {clock: always, first_response: 4h") for d in dels)
    assert any(a.startswith("+  standard: {clock: always, first_response: 3h") for a in adds)
    assert re.search(r'<span class="hunk">@@ -\d+', page_html)
    assert '<option value="%d" selected>' % first["id"] in page_html
    assert page.get("/settings/concept/diff?from=%d&to=999" % first["id"])[0] == 404
    status, _, page_html = page.get("/settings/concept/diff")
    assert status == 200 and "Choose two versions" in page_html


def test_the_yaml_and_the_diff_are_escaped(server):
    api = server.client()
    make_teams(api)
    page, _ = signed_in(server, "admin", locale="en")
    csrf, _ = concept_page(page)
    evil = "# <script>alert(1)</script> \"quoted\" & more\n" + concept_yaml()
    assert save(page, csrf, concept_yaml())[0] == 303
    assert save(page, csrf, evil)[0] == 303
    _, page_html = concept_page(page)
    assert "<script>alert(1)" not in page_html
    assert page_html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # <pre> and editor
    assert textarea(page_html) == evil
    ids = [v["id"] for v in versions(api)]
    _, _, page_html = page.get("/settings/concept/diff?from=%d&to=%d" % (ids[1], ids[0]))
    assert "<script>alert(1)" not in page_html
    assert '<span class="add">+# &lt;script&gt;alert(1)&lt;/script&gt;' in page_html


def test_posts_without_the_csrf_token_are_refused(server):
    api = server.client()
    make_teams(api)
    page, _ = signed_in(server, "admin", locale="en")
    csrf, _ = concept_page(page)
    assert save(page, csrf, concept_yaml())[0] == 303
    first = api.get("/api/v1/concept")[1]
    assert save(page, csrf, concept_yaml().replace("4h", "2h"))[0] == 303
    for path, form in (("/settings/concept", {"source": concept_yaml().replace("4h", "1h")}),
                       ("/settings/concept/check", {"source": concept_yaml()}),
                       ("/settings/concept/%d/activate" % first["id"], {})):
        assert page.post(path, form)[0] == 403, path
        assert page.post(path, dict(form, csrf="wrong"))[0] == 403, path
    assert len(versions(api)) == 2
    assert api.get("/api/v1/concept")[1]["id"] != first["id"]


def triage_concept(api):
    """The test concept, active, with English owned by no team."""
    make_teams(api)
    text = concept_yaml().replace("  en: {team: International}", "  en:")
    status, body = api.post("/api/v1/concept/versions", {"source": text, "activate": True})
    assert status == 201, body


def test_a_triaged_conversation_says_why(server):
    api = server.client()
    triage_concept(api)
    res = api.ingest(message(harness_unique(), author="why-1",
                             text="Bei uns ist seit einer Stunde der Strom weg!"))
    cid = res[0]["conversation_id"]
    page, _ = signed_in(server, "admin", locale="en")
    status, _, page_html = page.get("/inbox/c/%d" % cid)
    assert status == 200
    why = re.search(r'<section class="why".*?</section>', page_html, re.S)
    assert why, "no Why panel"
    shown = text_of(why.group(0))
    assert "Intent outage (found: strom weg)" in shown, shown
    rule = re.search(r"<li><strong>outage-de</strong>: (.*?)</li>", why.group(0))
    assert rule and htmllib.unescape(rule.group(1)).startswith("intent outage ('strom weg')")
    assert "Action Escalate" in shown
    assert "Response times urgent" in shown
    assert "First response due at" in shown and "Resolution due at" in shown
    assert "fallback team" not in shown
    assert "<dl" in why.group(0)
    # the same panel in the live refresh of the details
    status, _, meta = page.get("/inbox/c/%d/meta" % cid)
    assert status == 200 and "outage-de" in meta
    # the list shows when the first answer is due instead of how long it waits
    _, _, listing = page.get("/inbox/list")
    item = re.search(r'id="conv-%d".*?</li>' % cid, listing, re.S).group(0)
    assert re.search(r'class="badge (due soon|sla)"[^>]*>due in (29|30) min<', item), item
    assert "waiting" not in item

    # past due: "overdue" in the list and in the panel
    db_sql(server, "UPDATE conversations SET first_response_due_at = %d WHERE id = %d"
           % (now_ms() - 10 * 60000, cid))
    _, _, listing = page.get("/inbox/list")
    item = re.search(r'id="conv-%d".*?</li>' % cid, listing, re.S).group(0)
    assert re.search(r'class="badge overdue"[^>]*>overdue<', item), item
    _, _, page_html = page.get("/inbox/c/%d" % cid)
    assert "First response overdue since" in text_of(page_html)


def test_a_language_without_a_team_is_flagged(server):
    api = server.client()
    triage_concept(api)
    res = api.ingest(message(harness_unique(), author="why-2",
                             text="Hello, the power is out in our street since this morning."))
    cid = res[0]["conversation_id"]
    assert api.conversation(cid)["language_unowned"] is True
    page, _ = signed_in(server, "admin", locale="en")
    _, _, page_html = page.get("/inbox/c/%d" % cid)
    assert 'id="language-unowned"' in page_html
    assert "Language without a responsible team – routed to the fallback team" in page_html


def test_without_a_concept_the_list_shows_waiting(server):
    api = server.client()
    cid = api.ingest(message(harness_unique(), author="why-3", text="Frage"))[0]["conversation_id"]
    page, _ = signed_in(server, "admin", locale="en")
    _, _, listing = page.get("/inbox/list")
    item = re.search(r'id="conv-%d".*?</li>' % cid, listing, re.S).group(0)
    assert "waiting" in item and "due in" not in item
    _, _, page_html = page.get("/inbox/c/%d" % cid)
    assert 'class="why"' not in page_html



def test_an_agent_marks_themselves_away_and_routing_skips_them(server):
    api = server.client()
    teams = make_teams(api)
    agent, user = signed_in(server, "agent", locale="en", teams=[teams["Kundenservice"]])
    status, _ = api.post("/api/v1/concept/versions", {"source": concept_yaml(), "activate": True})
    assert status == 201
    status, _, page_html = agent.get("/profile")
    assert status == 200 and "The dialog concept may assign new conversations to you." in page_html
    csrf = agent.csrf(page_html)
    assert agent.post("/profile/away", {"away": "yes"})[0] == 403  # no CSRF token
    status, hdrs, _ = agent.post("/profile/away", {"csrf": csrf, "away": "yes"})
    assert status == 303 and hdrs["location"] == "/profile?done=away"
    assert api.get("/api/v1/users/%d" % user["id"])[1]["away"] is True
    status, _, page_html = agent.get("/profile?done=away")
    assert "Your availability was saved." in page_html and "I am back" in page_html
    [r] = api.ingest(message(harness_unique(), author="away-1", text="Frage zur Rechnung"))
    assert api.conversation(r["conversation_id"])["assignee_id"] is None
    agent.post("/profile/away", {"csrf": csrf, "away": "no"})
    [r] = api.ingest(message(harness_unique(), author="away-2", text="Frage zum Vertrag"))
    assert api.conversation(r["conversation_id"])["assignee_id"] == user["id"]


def test_an_admin_sets_away_and_capacity_on_the_user_page(server):
    api = server.client()
    admin, _ = signed_in(server, "admin", locale="en")
    target = signed_in(server, "agent", locale="en")[1]
    status, _, page_html = admin.get("/settings/users/%d" % target["id"])
    assert status == 200 and 'name="capacity"' in page_html and 'name="away"' in page_html
    csrf = admin.csrf(page_html)
    form = {"csrf": csrf, "name": target["name"], "role": "agent", "locale": "en",
            "active": "yes", "routing_shown": "1", "away": "yes", "capacity": "3"}
    status, _, _ = admin.post("/settings/users/%d" % target["id"], form)
    assert status == 303
    body = api.get("/api/v1/users/%d" % target["id"])[1]
    assert body["away"] is True and body["capacity"] == 3
    form.update(capacity="viele")
    form.pop("away")
    status, _, page_html = admin.post("/settings/users/%d" % target["id"], form)
    assert status == 422 and "Enter a number from 0 to 10000" in page_html
    assert api.get("/api/v1/users/%d" % target["id"])[1]["capacity"] == 3  # unchanged
    form.update(capacity="")
    assert admin.post("/settings/users/%d" % target["id"], form)[0] == 303
    body = api.get("/api/v1/users/%d" % target["id"])[1]
    assert body["away"] is False and body["capacity"] is None

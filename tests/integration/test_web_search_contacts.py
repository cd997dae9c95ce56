"""The search and contacts pages over HTTP, without a browser (issue 5):
full-text search with the hits marked as the German stemming matched them,
escaping inside hits, paging, the agents' scope; the contacts list with its
filter and paging, the contact card across two channels, and erasure from
the card (administrators only, with the CSRF token and a ticked
confirmation), which anonymises the contact's messages and is audited as the
API's erasure is."""

import re

from authkit import audit, db_sql
from harness import message
from test_web_pages import Page, signed_in

ERASED = "[erased]"


def hits(html):
    """(conversation id, message id) of each search hit, in page order."""
    return [(int(c), int(m)) for c, m in
            re.findall(r'class="hit-link" href="/inbox/c/(\d+)#m-(\d+)"', html)]


def one_message(api, ext, author, text, **extra):
    """Ingest one message; (conversation id, message id)."""
    [r] = api.ingest(message(ext, author=author, text=text, **extra))
    return r["conversation_id"], r["id"]


def older_link(html):
    m = re.search(r'<a rel="next" href="(/search\?[^"]+)"', html)
    return m.group(1).replace("&amp;", "&") if m else None


def test_the_search_page_has_a_labelled_form(server):
    page, _ = signed_in(server)
    status, _, html = page.get("/search")
    assert status == 200
    assert '<label for="q">' in html
    assert re.search(r'<input type="search" id="q" name="q" value=""[^>]*'
                     r'aria-keyshortcuts="/"', html)
    assert 'role="search"' in html and 'method="get" action="/search"' in html
    assert '<a href="/search" aria-current="page"' in html
    assert "<h1>" in html and 'class="results"' not in html


def test_search_finds_german_word_forms_and_marks_them(server):
    api = server.client()
    c1, m1 = one_message(api, "s-1", "erika", "Wieder Stromausfälle in der Hauptstraße")
    c2, m2 = one_message(api, "s-2", "otto",
                         "Der Zähler zeigt nichts, mein zähler ist alt. Zählerstand 4711")
    page, _ = signed_in(server)
    status, _, html = page.get("/search?q=Stromausfall")
    assert status == 200
    assert "Wieder <mark>Stromausfälle</mark> in der Hauptstraße" in html
    assert hits(html) == [(c1, m1)]
    assert 'value="Stromausfall"' in html
    assert "Name of erika" in html
    status, _, html = page.get("/search?q=Z%C3%A4hler")
    assert status == 200
    assert ("Der <mark>Zähler</mark> zeigt nichts, mein <mark>zähler</mark> ist alt. "
            "Zählerstand 4711") in html
    assert hits(html) == [(c2, m2)]
    # Every word must occur; the hits of each are marked.
    _, _, html = page.get("/search?q=hauptstra%C3%9Fe+stromausfall")
    assert "Wieder <mark>Stromausfälle</mark> in der <mark>Hauptstraße</mark>" in html
    _, _, html = page.get("/search?q=hauptstra%C3%9Fe+zaehler")
    assert hits(html) == [] and 'class="empty"' in html
    # Punctuation alone is no search, and no error.
    status, _, html = page.get("/search?q=%21%21%21")
    assert status == 200 and hits(html) == [] and 'class="empty"' in html


def test_customer_text_is_escaped_also_inside_hits(server):
    api = server.client()
    data = api.ingest({"channel": "api", "external_id": "evil-1",
                       "author": {"id": "x", "name": '"><svg onload=alert(3)>'},
                       "text": '<b>Strom</b> & "Gas"\n<script>alert(1)</script> Strom'})
    cid = data[0]["conversation_id"]
    page, _ = signed_in(server)
    _, _, html = page.get("/search?q=strom")
    assert ("&lt;b&gt;<mark>Strom</mark>&lt;/b&gt; &amp; &quot;Gas&quot;<br>"
            "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Strom</mark>") in html
    assert "&quot;&gt;&lt;svg onload=alert(3)&gt;" in html
    assert "<svg" not in html and "<script>alert" not in html and "<b>" not in html
    assert [c for c, _ in hits(html)] == [cid]
    # The query is escaped where the page repeats it.
    _, _, html = page.get("/search?q=%22%3E%3Cimg+src%3Dx%3E+strom")
    assert "<img src=x>" not in html
    assert 'value="&quot;&gt;&lt;img src=x&gt; strom"' in html


def test_a_long_message_shows_the_part_around_its_first_hit(server):
    api = server.client()
    text = "Anfang. " + "Füllwort " * 200 + "Hier ist der Zählerstand: 4711. " + "Rest " * 300
    api.ingest(message("long-1", author="erika", text=text))
    page, _ = signed_in(server)
    _, _, html = page.get("/search?q=z%C3%A4hlerstand")
    m = re.search(r'<p class="hit-text">(.*?)</p>', html, re.S)
    assert m
    shown = m.group(1)
    assert shown.startswith("… ") and shown.endswith(" …")
    assert "Hier ist der <mark>Zählerstand</mark>: 4711." in shown
    assert "Anfang" not in shown and len(shown) < 800
    assert "Füllwort" in shown  # some words before the hit, cut between words
    assert re.search(r"… Füllwort", shown)


def test_search_pages_through_older_results(server):
    api = server.client()
    api.ingest([message("p-%d" % i, author="leser-%d" % (i % 3),
                        text="Zählerablesung Nummer %d" % i) for i in range(25)])
    page, _ = signed_in(server)
    _, _, html = page.get("/search?q=Z%C3%A4hlerablesung")
    first = hits(html)
    assert len(first) == 20
    assert html.count("<mark>Zählerablesung</mark>") == 20
    ids = [m for _, m in first]
    assert ids == sorted(ids, reverse=True)  # newest first
    link = older_link(html)
    assert link and "before=%d" % ids[-1] in link
    _, _, html = page.get(link)
    second = hits(html)
    assert len(second) == 5
    assert max(m for _, m in second) < ids[-1]
    assert older_link(html) is None
    assert re.search(r'<a href="/search\?q=Z%C3%A4hlerablesung">', html)  # newest again
    assert len({m for _, m in first + second}) == 25


def test_agents_find_only_messages_of_their_conversations(server):
    api = server.client()
    team = api.post("/api/v1/teams", {"name": "Netz"})[1]
    mine, m_mine = one_message(api, "a-1", "anna", "Wasserrohrbruch in der Gartenstraße")
    other, _ = one_message(api, "a-2", "bernd", "Wasserrohrbruch am Markt")
    assert api.patch("/api/v1/conversations/%d" % mine, {"team_id": team["id"]})[0] == 200
    page, _ = signed_in(server, "agent", teams=[team["id"]])
    _, _, html = page.get("/search?q=wasserrohrbruch")
    assert hits(html) == [(mine, m_mine)]
    assert "Markt" not in html
    admin, _ = signed_in(server)
    _, _, html = admin.get("/search?q=wasserrohrbruch")
    assert {c for c, _ in hits(html)} == {mine, other}


def contact_rows(html):
    """(contact id, shown name) of each row of the contacts table."""
    return [(int(i), name) for i, name in
            re.findall(r'<th scope="row"><a href="/contacts/(\d+)"[^>]*>([^<]*)</a>', html)]


def named(ext, author_id, name, text="Hallo", channel="api"):
    return {"channel": channel, "external_id": ext, "author": {"id": author_id, "name": name},
            "text": text}


def test_contacts_list_filter_and_paging(server):
    api = server.client()
    api.ingest([named("k-%d" % i, "k-%d" % i, "Kunde %02d" % i) for i in range(52)])
    api.ingest([named("o-1", "oz", "Hans Özdemir"), named("e-1", "em", "Erika Mustermann"),
                named("p-1", "pc", "100% Kunde"), named("e-2", "em", "Erika Mustermann")])
    page, _ = signed_in(server)
    status, _, html = page.get("/contacts")
    assert status == 200
    assert '<a href="/contacts" aria-current="page"' in html
    assert '<label for="q">' in html and 'id="q" name="q"' in html
    rows = contact_rows(html)
    assert len(rows) == 50
    assert [i for i, _ in rows] == sorted((i for i, _ in rows), reverse=True)
    assert {"100% Kunde", "Hans Özdemir"} <= {n for _, n in rows}  # the newest
    erika = [r for r in contact_rows(html) if r[1] == "Erika Mustermann"]
    assert len(erika) == 1
    # Erika's row: her channel, two messages in one conversation, a time.
    row = html[html.index('/contacts/%d"' % erika[0][0]):]
    row = row[:row.index("</tr>")]
    assert re.search(r'data-label="[^"]+">1</td>', row)
    assert "<time datetime=" in row
    more = re.search(r'<a href="(/contacts\?cursor=\d+)" rel="next">', html)
    assert more
    _, _, html = page.get(more.group(1))
    rest = contact_rows(html)
    assert len(rest) == 5
    assert not {i for i, _ in rows} & {i for i, _ in rest}
    assert 'rel="next"' not in html and '<a href="/contacts">' in html
    # The filter: a part of the name, in any case, also beyond ASCII.
    for q, names in (("%C3%B6zdemir", ["Hans Özdemir"]), ("ERIKA", ["Erika Mustermann"]),
                     ("mUsTeR", ["Erika Mustermann"]), ("%25", ["100% Kunde"]),
                     ("_", []), ("kunde+0", ["Kunde %02d" % i for i in range(10)])):
        status, _, html = page.get("/contacts?q=" + q)
        assert status == 200, q
        assert sorted(n for _, n in contact_rows(html)) == names, q
    _, _, html = page.get("/contacts?q=kunde")
    assert len(contact_rows(html)) == 50
    more = re.search(r'<a href="(/contacts\?q=kunde&amp;cursor=\d+)" rel="next">', html)
    assert more
    _, _, html = page.get(more.group(1).replace("&amp;", "&"))
    assert len(contact_rows(html)) == 3
    status, _, html = page.get("/contacts?cursor=abc")
    assert status == 400 and 'role="alert"' in html


def test_agents_list_only_contacts_they_may_see(server):
    api = server.client()
    team = api.post("/api/v1/teams", {"name": "Gas"})[1]
    [seen] = api.ingest(named("v-1", "vis", "Sichtbar Kundin"))
    [hidden] = api.ingest(named("v-2", "hid", "Verborgen Kunde"))
    api.patch("/api/v1/conversations/%d" % seen["conversation_id"], {"team_id": team["id"]})
    seen_id = api.conversation(seen["conversation_id"])["contact"]["id"]
    hidden_id = api.conversation(hidden["conversation_id"])["contact"]["id"]
    page, _ = signed_in(server, "agent", teams=[team["id"]])
    _, _, html = page.get("/contacts")
    assert contact_rows(html) == [(seen_id, "Sichtbar Kundin")]
    assert page.get("/contacts/%d" % seen_id)[0] == 200
    status, _, html = page.get("/contacts/%d" % hidden_id)
    assert status == 404 and "Verborgen" not in html
    assert page.get("/contacts/999999")[0] == 404


def two_channel_contact(server, api):
    """Erika on the channels "api" and "shop", one conversation on each,
    joined into one contact as a merge would; (contact id, [conversation ids])."""
    assert api.post("/api/v1/channels", {"kind": "api", "name": "shop"})[0] == 201
    [a] = api.ingest(message("c-1", author="erika", text="Zählerstand 4711 für Fuchsbau",
                             subject="Zählerstand"))
    [b] = api.ingest(message("c-2", author="erika-shop", channel="shop",
                             text="Bestellung Fuchsbau"))
    contact = api.conversation(a["conversation_id"])["contact"]["id"]
    other = api.conversation(b["conversation_id"])["contact"]["id"]
    db_sql(server, "UPDATE identities SET contact_id = %d WHERE contact_id = %d"
           % (contact, other))
    db_sql(server, "UPDATE conversations SET contact_id = %d WHERE contact_id = %d"
           % (contact, other))
    return contact, [a["conversation_id"], b["conversation_id"]]


def test_the_contact_card_shows_one_person_across_channels(server):
    api = server.client()
    contact, [c1, c2] = two_channel_contact(server, api)
    page, _ = signed_in(server)
    status, _, html = page.get("/contacts/%d" % contact)
    assert status == 200
    assert "<h1>Name of erika</h1>" in html
    assert "erika-shop" in html or "Name of erika-shop" in html
    assert "(api)" in html and "(shop)" in html
    assert '<a href="/inbox/c/%d">Zählerstand</a>' % c1 in html
    assert '<a href="/inbox/c/%d">' % c2 in html
    assert html.count('<section aria-labelledby="') >= 2 and '<h2 id="convs-h">' in html
    # The list shows the person once, with both channels.
    _, _, html = page.get("/contacts")
    assert [n for i, n in contact_rows(html) if i == contact] == ["Name of erika"]
    row = html[html.index('/contacts/%d"' % contact):]
    row = row[:row.index("</tr>")]
    assert re.search(r'data-label="[^"]+">2</td>', row)
    # The conversation's contact card links here.
    _, _, html = page.get("/inbox/c/%d" % c1)
    assert '<a href="/contacts/%d">' % contact in html


def test_erasure_needs_an_admin_the_token_and_a_confirmation(server):
    api = server.client()
    contact, [c1, c2] = two_channel_contact(server, api)
    page, user = signed_in(server)
    _, _, html = page.get("/contacts/%d" % contact)
    assert 'href="/api/v1/contacts/%d/export"' % contact in html
    assert 'action="/contacts/%d/erase"' % contact in html
    assert re.search(r'<input type="checkbox" name="confirm" value="yes" required', html)
    csrf = page.csrf(html)
    # The export link works with the session cookie.
    status, hdrs, raw = page.get("/api/v1/contacts/%d/export" % contact)
    assert status == 200 and "Fuchsbau" in raw and "attachment" in hdrs["content-disposition"]
    path = "/contacts/%d/erase" % contact
    status, _, _ = page.post(path, {"confirm": "yes"})
    assert status == 403
    status, _, html = page.post(path, {"csrf": csrf})
    assert status == 422 and 'role="alert"' in html and "<html" in html
    status, _, _ = page.post(path, {"csrf": csrf, "confirm": "no"})
    assert status == 422
    for role in ("viewer", "agent", "supervisor"):
        other, _ = signed_in(server, role)
        _, _, html = other.get("/contacts/%d" % contact)
        assert "/erase" not in html and "/export" not in html
        status, _, html = other.post(path, {"csrf": other.csrf(html), "confirm": "yes"})
        assert status == 403, role
    assert [m["text"] for m in api.conversation(c1)["messages"]] != [ERASED]
    assert audit(api, action="contact.erased") == []
    status, hdrs, _ = page.post(path, {"csrf": csrf, "confirm": "yes"})
    assert status == 303 and hdrs["location"] == "/contacts/%d?erased=1" % contact
    for cid in (c1, c2):
        assert [m["text"] for m in api.conversation(cid)["messages"]] == [ERASED]
    [e] = audit(api, action="contact.erased")
    assert e["object_id"] == contact and e["actor"] == "user:" + user["email"]
    assert e["after"] == {"messages_anonymised": 2, "identities_deleted": 2}
    status, _, html = page.get(hdrs["location"])
    assert status == 200 and 'role="status"' in html
    assert "Fuchsbau" not in html and "Name of erika" not in html
    assert 'action="/contacts/%d/erase"' % contact not in html
    _, _, html = page.get("/search?q=Fuchsbau")
    assert hits(html) == []
    _, _, html = page.get("/contacts")
    assert '<a href="/contacts/%d" class="erased">' % contact in html
    assert page.post("/contacts/999999/erase", {"csrf": csrf, "confirm": "yes"})[0] == 404


def test_pages_speak_english_for_english_users(server):
    api = server.client()
    api.ingest(message("l-1", author="erika", text="Stromausfall"))
    page, _ = signed_in(server, locale="en")
    _, _, html = page.get("/search?q=strom")
    assert '<html lang="en"' in html and "Search" in html
    _, _, html = page.get("/contacts")
    assert ">Contacts<" in html and ">Last activity<" in html


def test_pages_need_a_session(server):
    for path in ("/search?q=strom", "/contacts", "/contacts/1"):
        status, hdrs, _ = Page(server.port).get(path)
        assert status == 303 and hdrs["location"].startswith("/login"), path

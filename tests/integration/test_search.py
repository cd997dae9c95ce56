"""GET /api/v1/search: German-friendly full text over messages, newest first."""

import pytest

from harness import message


def search(api, q, **params):
    status, body = api.get("/api/v1/search", dict(params, q=q))
    assert status == 200, body
    return body


def found(api, q):
    return [m["external_id"] for m in search(api, q, limit=100)["data"]]


@pytest.fixture
def corpus(api):
    api.ingest([
        message("zaehler", author="a1", text="Mein Zähler zeigt seit gestern nichts mehr an."),
        message("ausfall", author="a2", text="Stromausfall in der Bahnhofstraße seit 6:45!"),
        message("ausfaelle", author="a3",
                text="Wieder Stromausfälle, das ist der dritte diese Woche"),
        message("english", author="a4", text="Power outage on Main Street, any news?"),
        message("rechnung", author="a5", text="Meine Rechnung ist viel zu hoch."),
    ])


@pytest.mark.parametrize("q,expected", [
    ("zähler", ["zaehler"]),
    ("ZÄHLER", ["zaehler"]),
    ("Zähler", ["zaehler"]),
    ("Stromausfall", ["ausfaelle", "ausfall"]),
    ("Stromausfälle", ["ausfaelle", "ausfall"]),
    ("stromausfällen", ["ausfaelle", "ausfall"]),
    ("rechnungen", ["rechnung"]),
    ("Stromausfall Bahnhofstraße", ["ausfall"]),
    ("outage", ["english"]),
    ("Gasleitung", []),
])
def test_german_matching(api, corpus, q, expected):
    """Case and umlauts fold, German stems match ("Stromausfälle" finds
    "Stromausfall" and vice versa); several words must all match."""
    assert found(api, q) == expected


def test_results_are_newest_first_and_pages_with_before(api):
    """Matches come newest first; limit + before/next_before pages through
    all of them exactly once, and the last page has next_before null."""
    results = api.ingest([message("z%d" % i, author="a%d" % (i % 3),
                                  text="Zählerstand Nummer %d" % i) for i in range(7)])
    api.ingest(message("other", text="Ganz etwas anderes"))
    expected = [r["id"] for r in reversed(results)]
    body = search(api, "zählerstand")
    assert [m["id"] for m in body["data"]] == expected
    seen, before = [], None
    for _ in range(10):
        params = {"limit": 3}
        if before:
            params["before"] = before
        body = search(api, "Zählerstand", **params)
        assert len(body["data"]) <= 3
        seen += [m["id"] for m in body["data"]]
        before = body["next_before"]
        if before is None:
            break
    assert seen == expected
    assert body["data"], "the last page should not be empty (7 = 3 + 3 + 1)"


def test_search_result_is_a_message_with_its_conversation(api):
    """Each result is a message with its conversation id and text."""
    r = api.ingest(message("s1", text="Wasserrohrbruch im Keller"))[0]
    [m] = search(api, "wasserrohrbruch")["data"]
    assert m["id"] == r["id"]
    assert m["conversation_id"] == r["conversation_id"]
    assert m["text"] == "Wasserrohrbruch im Keller"


def test_search_finds_replies_and_notes_too(api):
    """Outbound messages and notes are searchable as well."""
    cid = api.ingest(message("s2", text="Hallo"))[0]["conversation_id"]
    status, note = api.post("/api/v1/conversations/%d/notes" % cid,
                            {"text": "Rückruf vereinbart"})
    assert status == 201
    assert [m["id"] for m in search(api, "rückruf")["data"]] == [note["id"]]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "?!"}, {"q": "... --- ,,,"},
                                    {"q": '"'}, {"q": "   "}])
def test_search_without_words_is_422(api, params):
    """No q, an empty q, or a q of only punctuation: 422 on field q."""
    api.ingest(message("s3", text="irgendwas"))
    status, body = api.get("/api/v1/search", params)
    assert status == 422, body
    assert body["error"]["field"] == "q"


@pytest.mark.parametrize("q", ['"Zähler"', "Zähler*", "Zähler OR", "NOT Zähler", "a:b",
                               "(Zähler", "NEAR(Zähler)", "Zähler^"])
def test_fts_syntax_in_q_is_taken_literally(api, corpus, q):
    """Quotes, operators and column syntax in q are words, not FTS5 syntax:
    never a server error."""
    status, body = api.get("/api/v1/search", {"q": q})
    assert status in (200, 422), body


@pytest.mark.parametrize("params,field", [({"limit": "0"}, "limit"),
                                          ({"limit": "101"}, "limit"),
                                          ({"before": "abc"}, "before"),
                                          ({"before": "0"}, "before")])
def test_bad_search_parameters_are_422(api, params, field):
    """limit outside 1..100 and a before that is no positive id: 422 naming the parameter."""
    status, body = api.get("/api/v1/search", dict(params, q="zähler"))
    assert status == 422, body
    assert body["error"]["field"] == field

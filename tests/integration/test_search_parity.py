"""Full-text search gives the same answers on SQLite and PostgreSQL.

Two installations, one per backend, load the same corpus in the same order
(so message and conversation ids match), and every query must give the same
results on both: the full list of GET /api/v1/search (every page) and the
first 600 conversations of GET /api/v1/conversations?q=. The corpus is the
demo workspace plus 20,000 generated messages (bench/gen.py --seed 7); a
second test uses the German tweets of GermEval 2018, which live outside the
repository (skipped when missing). Queries: the 150 most frequent words of
the corpus, two- and three-word queries of common words, and hand-picked
cases (stems, umlauts, ß/ss, hyphens, accents, numbers, addresses). A
difference fails the test listing every differing query with, for each
side, a message only that backend found.

Runs only under CLUETRAIN_TEST_PG (the suite runs once per backend; this
test needs both at once). Prints the search latency of both backends
(p50/p95 over the queries of the first page of 100, one query at a time)
and how long importing and comparing took.
"""

import collections
import concurrent.futures
import json
import os
import re
import statistics
import subprocess
import sys
import time

import pytest

import harness

pytestmark = pytest.mark.skipif(
    not harness.PG_ADMIN_URL,
    reason="compares SQLite with PostgreSQL: needs CLUETRAIN_TEST_PG (tests/pg/cluster.sh)")

REPO = harness.REPO
GERMEVAL = os.path.join("germeval2018", "germeval2018.training.txt")

# Every corpus gets these besides its most frequent words. Which messages
# they find is not asserted here (test_search.py does that), only that both
# backends find the same ones.
HAND_PICKED = [
    "zähler", "Zähler", "ZÄHLER", "Za\u0308hler", "Zählerstand", "Zählerstände",
    "Stromausfall", "Stromausfälle", "stromausfällen", "Abschlag", "Abschläge",
    "Rechnung Abschlag", "E-Mail", "Mail", "e-mail-adresse", "Straße", "strasse", "STRASSE",
    "Müller", "mueller", "Muller", "Café", "cafe", "Jürgen", "Özlem", "Sören", "Ayşe",
    "Yılmaz", "2026", "12,50", "12.50", "12", "50", "31.12.2026", "kWh", "m³", "€",
    "example.org", "stadtwerk", "u.a.", "z.B.", "amp", "Strom weg", "Rechnung zu hoch",
    "vielen Dank im Voraus", "Zählerstand Kundennummer", "kein Strom seit",
]

WORKERS = 4  # concurrent queries; each server gets twice as many read connections
# The conversation list filtered by q is compared on its first pages only (of
# 200; most queries have fewer): it filters by the same full-text match as the
# search, whose full lists are compared, and paging through thousands of
# conversations would only make the test slow.
CONVERSATION_PAGES = 3


def tokens(text):
    """Naive words: runs of letters and digits, lower case."""
    return re.findall(r"[^\W_]+", text.lower())


def frequent_words(texts, n=150):
    counts = collections.Counter(w for t in texts for w in tokens(t))
    return [w for w, _ in counts.most_common(n)]


def multiword(words):
    """Two- and three-word queries of common words (deterministic)."""
    picks = [w for w in words if len(w) > 3][:12]
    pairs = [" ".join(picks[i:i + 2]) for i in range(0, 10, 2)]
    triples = [" ".join(picks[i:i + 3]) for i in range(0, 9, 3)]
    return pairs + triples


def demo_and_generated(tmp):
    """The demo workspace followed by 20,000 generated messages: (file, texts)."""
    path = os.path.join(tmp, "corpus.jsonl")
    gen = subprocess.run([sys.executable, os.path.join(REPO, "bench", "gen.py"),
                          "--messages", "20000", "--seed", "7"],
                         capture_output=True, text=True, check=True, timeout=120)
    with open(os.path.join(REPO, "demo", "stadtwerk.jsonl"), encoding="utf-8") as f:
        demo = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(demo if demo.endswith("\n") else demo + "\n")
        f.write(gen.stdout)
    return path, texts_of(path)


def germeval_file():
    """The GermEval 2018 training file, or None."""
    candidates = [os.path.join(REPO, "..", "shared", "data", GERMEVAL)]
    if os.environ.get("CLUETRAIN_TEST_DATA"):
        candidates.insert(0, os.path.join(os.environ["CLUETRAIN_TEST_DATA"], GERMEVAL))
    return next((p for p in candidates if os.path.isfile(p)), None)


def germeval_corpus(tmp, source):
    """The tweets (TSV: text, label, label; |LBR| is a line break) as ingest lines."""
    path = os.path.join(tmp, "germeval.jsonl")
    with open(source, encoding="utf-8") as f, open(path, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            text = line.rstrip("\n").split("\t")[0].replace("|LBR|", "\n").strip()
            if not text:
                continue
            minute = i % (24 * 60)
            out.write(json.dumps({
                "channel": "api", "external_id": "ge-%d" % i, "thread_id": "ge-t-%d" % (i // 2),
                "author": {"id": "tw-%d" % (i % 700), "name": "Twitterer %d" % (i % 700)},
                "text": text,
                "created_at": "2018-%02d-%02dT%02d:%02d:00+01:00" % (
                    1 + i // 1000, 1 + (i // 48) % 28, minute // 60, minute % 60),
            }, ensure_ascii=False) + "\n")
    return path, texts_of(path)


def texts_of(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line).get("text") or "" for line in f if line.strip()]


class Installations:
    """The same corpus in an SQLite and a PostgreSQL installation, both serving."""

    def __init__(self):
        self.servers = []  # to stop and drop at the end, even when building failed

    def build(self, binary, tmp, corpus):
        started = time.monotonic()
        env = {"CLUETRAIN_STORE_READERS": str(2 * WORKERS)}
        # SQLite: init by hand (run_cli and Server.init would pick PostgreSQL).
        sqlite_dir = os.path.join(tmp, "sqlite")
        res = subprocess.run([binary, "init", "--data", sqlite_dir],
                             env=harness.clean_env(env), capture_output=True, text=True,
                             timeout=60)
        assert res.returncode == 0, res.stderr
        self.sqlite = harness.Server(binary, sqlite_dir, env)
        self.servers.append(self.sqlite)
        self.sqlite.token = self.sqlite.add_token("test", "admin")
        self.pg = harness.Server(binary, os.path.join(tmp, "pg"), env)
        self.servers.append(self.pg)
        self.pg.init()
        assert self.pg.database and self.sqlite.database is None
        # Import into both at once: the same file, so the same ids.
        procs = [subprocess.Popen([binary, "import", "--data", srv.data_dir, corpus],
                                  env=harness.clean_env(env), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for srv in (self.sqlite, self.pg)]
        outputs = [p.communicate(timeout=300 * harness.SLOW) for p in procs]
        counts = []
        for p, (out, err) in zip(procs, outputs):
            harness.check_sanitizers(err, "cluetrain import")
            assert p.returncode == 0, err
            found = re.search(r"imported (\d+) messages", out + err)
            assert found, (out, err)
            counts.append(found.group(1))
        assert counts[0] == counts[1], outputs
        self.imported = int(counts[0])
        for srv in self.servers:
            srv.start()
        self.build_s = time.monotonic() - started
        return self

    def close(self):
        problems = []
        for srv in self.servers:
            try:
                if srv.running and srv.stop() != 0:
                    problems.append("cluetrain serve exited non-zero after SIGTERM")
            except AssertionError as e:
                problems.append(str(e))
            if srv.database:
                harness.pg_drop_database(srv.database)
        assert not problems, problems


@pytest.fixture
def installations(binary, tmp_path):
    made = []

    def make(corpus):
        inst = Installations()
        made.append(inst)
        return inst.build(binary, str(tmp_path), corpus)

    yield make
    for inst in made:
        inst.close()


def search_page(api, q, before=None):
    """One page of GET /api/v1/search (limit 100): (status, body, milliseconds)."""
    params = {"q": q, "limit": 100}
    if before:
        params["before"] = before
    start = time.perf_counter()
    status, body = api.get("/api/v1/search", params)
    return status, body, (time.perf_counter() - start) * 1000


def all_messages(api, q, first, texts):
    """Ids of every message GET /api/v1/search finds, from its first page
    (status, body) on, following next_before; their texts into texts."""
    status, body = first
    ids = []
    for _ in range(100000):
        if status != 200:
            return ("status %d" % status, body.get("error") if body else None)
        ids += [m["id"] for m in body["data"]]
        texts.update((m["id"], m["text"]) for m in body["data"])
        if body["next_before"] is None:
            return ids
        status, body, _ = search_page(api, q, body["next_before"])
    raise AssertionError("search %r never ended" % q)


def all_conversations(api, q, max_pages=100000):
    """Ids of the conversations GET /api/v1/conversations?q= lists, following
    next_cursor for at most max_pages pages of 200."""
    ids, cursor = [], None
    for _ in range(max_pages):
        params = {"q": q, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        status, body = api.get("/api/v1/conversations", params)
        if status != 200:
            return ("status %d" % status, body.get("error") if body else None)
        ids += [c["id"] for c in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    if max_pages < 100000:
        return ids
    raise AssertionError("conversation list %r never ended" % q)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def describe(only, texts_by_id, backend):
    """A message only backend found, with its text, for the failure report."""
    if not only:
        return ""
    mid = min(only)
    text = " ".join(texts_by_id.get(mid, "?").split())
    return "\n      only %s: %d messages, e.g. #%d %r" % (backend, len(only), mid, text[:160])


def compare(inst, queries, capsys, label):
    """Compare every query on both servers; fail listing the differences."""
    sqlite, pg = inst.sqlite.client(), inst.pg.client()
    # The first pages one at a time, alone: their times are the latency.
    for api in (sqlite, pg):  # warm up
        search_page(api, queries[0])
    first, latency = {}, {"sqlite": [], "postgres": []}
    for q in queries:
        for name, api in (("sqlite", sqlite), ("postgres", pg)):
            status, body, ms = search_page(api, q)
            assert status in (200, 422), (q, status, body)  # 422: no word to search for
            first[name, q] = (status, body)
            latency[name].append(ms)

    texts_by_id = {}  # of the messages found (dict updates are atomic)

    def one(q):
        return (q, all_messages(sqlite, q, first["sqlite", q], texts_by_id),
                all_messages(pg, q, first["postgres", q], texts_by_id),
                all_conversations(sqlite, q, CONVERSATION_PAGES),
                all_conversations(pg, q, CONVERSATION_PAGES))

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(one, queries))
    paging_s = time.monotonic() - started

    problems, matched = [], 0
    for q, m_sqlite, m_pg, c_sqlite, c_pg in results:
        if isinstance(m_sqlite, list) and m_sqlite:
            matched += 1
        if m_sqlite == m_pg and c_sqlite == c_pg:
            continue
        line = "  %r: search %s vs %s, conversations %s vs %s" % (
            q, count(m_sqlite), count(m_pg), count(c_sqlite), count(c_pg))
        if isinstance(m_sqlite, list) and isinstance(m_pg, list):
            line += describe(set(m_sqlite) - set(m_pg), texts_by_id, "sqlite")
            line += describe(set(m_pg) - set(m_sqlite), texts_by_id, "postgres")
            if set(m_sqlite) == set(m_pg):
                line += "\n      same messages, different order"
        problems.append(line)

    with capsys.disabled():
        print("\n[search parity, %s] %d queries (%d with matches); latency of the first"
              " page (limit 100), ms: sqlite p50 %.1f p95 %.1f | postgres p50 %.1f p95 %.1f"
              % (label, len(queries), matched,
                 statistics.median(latency["sqlite"]), percentile(latency["sqlite"], 95),
                 statistics.median(latency["postgres"]), percentile(latency["postgres"], 95)))
        print("[search parity, %s] %d messages imported into both in %.0f s; full lists of"
              " %d + %d messages compared in %.0f s"
              % (label, inst.imported, inst.build_s,
                 sum(len(r[1]) for r in results if isinstance(r[1], list)),
                 sum(len(r[2]) for r in results if isinstance(r[2], list)), paging_s))
    # The comparison means something only when the queries find things.
    assert matched >= len(queries) // 2, "most queries should find messages"
    assert not problems, "%d of %d queries answer differently (sqlite vs postgres):\n%s" % (
        len(problems), len(queries), "\n".join(problems))


def count(result):
    return len(result) if isinstance(result, list) else "%s %s" % result


def queries_for(texts):
    words = frequent_words(texts)
    seen, out = set(), []
    for q in words + multiword(words) + HAND_PICKED:
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out


def test_search_parity_demo_and_generated(installations, tmp_path, capsys):
    """Demo workspace + 20,000 generated messages: every query answers alike."""
    corpus, texts = demo_and_generated(str(tmp_path))
    inst = installations(corpus)
    compare(inst, queries_for(texts), capsys, "demo + gen.py 20k")


def test_search_parity_germeval_tweets(installations, tmp_path, capsys):
    """The GermEval 2018 tweets (real German with mentions, hashtags, HTML
    entities, abbreviations and dates): every query answers alike."""
    source = germeval_file()
    if source is None:
        pytest.skip("GermEval 2018 data not found (../shared/data/%s or $CLUETRAIN_TEST_DATA)"
                    % GERMEVAL)
    corpus, texts = germeval_corpus(str(tmp_path), source)
    inst = installations(corpus)
    compare(inst, queries_for(texts), capsys, "GermEval 2018 tweets")

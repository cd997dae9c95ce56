#!/usr/bin/env python3
"""client.py: the HTTP side of the benchmarks (Python 3 standard library only).

  client.py ingest  --url U[,U2...] --token T --file F --messages N --batch B --clients C
      POST the first N lines of F in batches of B from C keep-alive connections
      at once; checks every answer (201, one result per message, no duplicate).
      With several URLs (nodes on one database) client k talks to URL k mod n.
      --retry-conflicts R: POST a batch again (up to R times) when it is
      answered 409 (nothing of it was stored); the retries are counted.
      --route author: with several URLs, each message goes to the node that
      crc32(author id) mod n picks, so the nodes never share a contact or a
      conversation (as a load balancer with customer affinity would do).
  client.py latency --url U --token T --requests N --mode list|search
      Sequential GETs on one keep-alive connection, timed on the client side.
  client.py body    --url U --token T --path P --out FILE
      Save one response body (the static file nginx serves for comparison).
  client.py report  DIR
      Merge DIR/*.json into the final result line (ratios computed here).

Every command prints one JSON object on stdout; progress goes to stderr.
"""
import argparse
import glob
import http.client
import itertools
import json
import math
import os
import re
import sys
import threading
import time
import urllib.parse
import zlib


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def conn_for(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port or 80, timeout=120)


def pct(values, p):
    """The p-th percentile (nearest rank) of values, in the same unit."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s)) - 1))
    return s[k]


def stats_ms(samples):
    return {"n": len(samples), "p50_ms": round(pct(samples, 50), 3), "p95_ms": round(pct(samples, 95), 3),
            "p99_ms": round(pct(samples, 99), 3), "max_ms": round(max(samples), 3),
            "mean_ms": round(sum(samples) / len(samples), 3)}


# ---------------------------------------------------------------- ingest

def cmd_ingest(a):
    with open(a.file, "rb") as f:
        lines = [line.rstrip(b"\n") for line in itertools.islice(f, a.messages)]
    urls = [u for u in a.url.split(",") if u]
    if a.route == "author" and len(urls) > 1:
        if a.clients < len(urls):
            sys.exit("bench: --route author needs at least one client per URL")
        parts = [[] for _ in urls]  # part n goes to urls[n]
        for line in lines:
            parts[zlib.crc32(json.loads(line)["author"]["id"].encode()) % len(urls)].append(line)
    else:
        parts = [lines]  # one queue: any client takes the next batch
    # queues[q]: the batches (body, messages) that clients k with k mod len(queues) == q send
    queues = [[(b"[" + b",".join(p[i:i + a.batch]) + b"]", len(p[i:i + a.batch])) for i in range(0, len(p), a.batch)]
              for p in parts]
    log("ingest: %d messages in %d batches of %d, %d clients, %d node(s)%s" %
        (len(lines), sum(map(len, queues)), a.batch, a.clients, len(urls),
         ", routed by author" if len(queues) > 1 else ""))
    headers = {"Authorization": "Bearer " + a.token, "Content-Type": "application/json"}
    counters = [itertools.count() for _ in queues]  # next() is atomic under the GIL
    errors, lat = [], []
    per_node = [0] * len(urls)  # messages stored through each URL
    conflicts = [0]  # 409 answers retried
    lock = threading.Lock()

    def worker(k):
        node, q = k % len(urls), k % len(queues)
        c = conn_for(urls[node])
        mine, stored = [], 0
        while True:
            i = next(counters[q])
            if i >= len(queues[q]) or errors:
                break
            body, want = queues[q][i]
            for attempt in range(a.retry_conflicts + 1):
                t = time.perf_counter()
                try:
                    c.request("POST", "/api/v1/messages", body=body, headers=headers)
                    r = c.getresponse()
                    data = r.read()
                except (OSError, http.client.HTTPException) as e:
                    errors.append("batch %d: %r" % (i, e))
                    break
                mine.append((time.perf_counter() - t) * 1000)
                if r.status != 409 or attempt == a.retry_conflicts:
                    break
                with lock:
                    conflicts[0] += 1
                log("ingest: batch %d answered 409, again (%d)" % (i, attempt + 1))
            if errors:
                break
            if r.status != 201:
                errors.append("batch %d: HTTP %d %s" % (i, r.status, data[:300]))
                break
            res = json.loads(data).get("data", [])
            if len(res) != want or any(x.get("duplicate") for x in res):
                errors.append("batch %d: %d results for %d messages, or duplicates" % (i, len(res), want))
                break
            stored += want
        c.close()
        with lock:
            lat.extend(mine)
            per_node[node] += stored

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    if errors:
        log("ingest failed:", errors[0])
        print(json.dumps({"error": errors[0][:500], "messages": len(lines), "clients": a.clients,
                          "nodes": len(urls), "conflicts": conflicts[0]}))
        sys.exit(1)
    out = {"messages": len(lines), "batch": a.batch, "clients": a.clients, "seconds": round(secs, 3),
           "msgs_per_s": round(len(lines) / secs, 1), "request": stats_ms(lat),
           "nodes": len(urls), "route": a.route, "messages_per_node": per_node, "conflicts": conflicts[0]}
    log("ingest: %.0f msgs/s (batch %d, request p50 %.1f ms, p99 %.1f ms)" %
        (out["msgs_per_s"], a.batch, out["request"]["p50_ms"], out["request"]["p99_ms"]))
    print(json.dumps(out))


# ---------------------------------------------------------------- latency

# Searches mixing common words, inflected and compound forms, English, a
# phrase of two words, rare words (about 20 hits in 1M messages) and a word
# that is in no message at all.
SEARCH_WORDS = ["strom", "zähler", "rechnung", "Stromausfälle", "Abschlag", "Vertrag",
                "Zählerstand", "Heizung", "power outage", "meter", "Kirschblütenfest",
                "Quittengelee", "Zebrastreifen", "Glasfaser", "Strom Rechnung"]


def timed_get(c, path, headers):
    t = time.perf_counter()
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    data = r.read()
    ms = (time.perf_counter() - t) * 1000
    if r.status != 200:
        raise SystemExit("bench: GET %s: HTTP %d %s" % (path, r.status, data[:300]))
    return ms, data


def cmd_latency(a):
    headers = {"Authorization": "Bearer " + a.token}
    c = conn_for(a.url)
    out = {}
    if a.mode == "list":
        kinds = {"all": "/api/v1/conversations?limit=50", "open": "/api/v1/conversations?limit=50&status=open"}
        for path in kinds.values():  # warm up
            for _ in range(20):
                timed_get(c, path, headers)
        samples = {k: [] for k in kinds}
        for i in range(a.requests):
            k = "all" if i % 2 == 0 else "open"
            ms, _ = timed_get(c, kinds[k], headers)
            samples[k].append(ms)
        both = samples["all"] + samples["open"]
        out = {"list": stats_ms(both), "list_all": stats_ms(samples["all"]), "list_open": stats_ms(samples["open"])}
        # Paging: follow next_cursor 20 pages deep, a few times.
        deep = []
        for _ in range(max(1, a.requests // 200)):
            path = kinds["all"]
            for _page in range(20):
                ms, data = timed_get(c, path, headers)
                deep.append(ms)
                cur = json.loads(data).get("next_cursor")
                if not cur:
                    break
                path = kinds["all"] + "&cursor=" + urllib.parse.quote(cur)
        out["list_pages"] = stats_ms(deep)
        log("list: p50 %.2f ms, p99 %.2f ms (all p99 %.2f, open p99 %.2f, paging p99 %.2f)" %
            (out["list"]["p50_ms"], out["list"]["p99_ms"], out["list_all"]["p99_ms"],
             out["list_open"]["p99_ms"], out["list_pages"]["p99_ms"]))
    else:
        for w in SEARCH_WORDS:  # warm up
            timed_get(c, "/api/v1/search?limit=20&q=" + urllib.parse.quote(w), headers)
        per, hits, both = {w: [] for w in SEARCH_WORDS}, {}, []
        for i in range(a.requests):
            w = SEARCH_WORDS[i % len(SEARCH_WORDS)]
            ms, data = timed_get(c, "/api/v1/search?limit=20&q=" + urllib.parse.quote(w), headers)
            per[w].append(ms)
            both.append(ms)
            hits[w] = len(json.loads(data).get("data", []))
        out = {"search": stats_ms(both),
               "search_by_word": {w: {"p50_ms": round(pct(v, 50), 2), "p95_ms": round(pct(v, 95), 2),
                                      "hits": hits.get(w)} for w, v in per.items()}}
        log("search: p50 %.2f ms, p95 %.2f ms" % (out["search"]["p50_ms"], out["search"]["p95_ms"]))
        for w, v in out["search_by_word"].items():
            log("  %-18s p50 %7.2f ms  p95 %7.2f ms  hits %s" % (w, v["p50_ms"], v["p95_ms"], v["hits"]))
    c.close()
    print(json.dumps(out))


def page_session(url, token):
    """Make a bench user through the API, sign in through the login form;
    (connection, headers with the session cookie)."""
    c = conn_for(url)
    password = "Bench-%d-Qz7-login" % os.getpid()
    email = "bench-%d@example.org" % os.getpid()
    body = json.dumps({"name": "Bench", "email": email, "role": "admin", "password": password})
    c.request("POST", "/api/v1/users", body=body, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 201:
        raise SystemExit("bench: creating the page user: HTTP %d" % r.status)
    form = urllib.parse.urlencode({"email": email, "password": password})
    c.request("POST", "/login", body=form,
              headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
    if r.status != 303 or not cookie:
        raise SystemExit("bench: login form: HTTP %d" % r.status)
    return c, {"Cookie": cookie}


def cmd_pages(a):
    """Server render time of the web pages as a browser signed in with a
    session sees it (over loopback), and the bytes of JS and CSS sent."""
    c, headers = page_session(a.url, a.token)
    _, first = timed_get(c, "/inbox", headers)
    ids = re.findall(rb'data-id="(\d+)"', first)
    conv = ids[0].decode() if ids else None
    paths = {"inbox": "/inbox", "list": "/inbox/list", "inbox_mine": "/inbox?view=mine",
             "search_page": "/inbox?q=strom"}
    if conv:
        paths["conversation"] = "/inbox/c/%s" % conv
    for path in paths.values():  # warm up
        for _ in range(10):
            timed_get(c, path, headers)
    samples = {k: [] for k in paths}
    for i in range(a.requests):
        k = list(paths)[i % len(paths)]
        ms, _ = timed_get(c, paths[k], headers)
        samples[k].append(ms)
    out = {"pages": {k: stats_ms(v) for k, v in samples.items()}}
    out["inbox_page_bytes"] = len(first)
    assets, total = {}, 0
    for url in sorted(set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', first))):
        c.request("GET", url.decode(), headers={"Accept-Encoding": "gzip"})
        r = c.getresponse()
        n = len(r.read())
        assets[url.decode().split("?")[0]] = n
        total += n
    out["assets_gzip_bytes"] = assets
    out["assets_gzip_total_kb"] = round(total / 1024, 1)
    log("pages: %s; JS+CSS %.1f KB compressed" % (
        ", ".join("%s p99 %.2f ms" % (k, v["p99_ms"]) for k, v in out["pages"].items()),
        out["assets_gzip_total_kb"]))
    c.close()
    print(json.dumps(out))


def cmd_body(a):
    c = conn_for(a.url)
    _, data = timed_get(c, a.path, {"Authorization": "Bearer " + a.token})
    with open(a.out, "wb") as f:
        f.write(data)
    print(json.dumps({"bytes": len(data)}))


# ---------------------------------------------------------------- report

def cmd_report(a):
    r = {}
    for path in sorted(glob.glob(os.path.join(a.dir, "*.json"))):
        with open(path) as f:
            try:
                r[os.path.basename(path)[:-5]] = json.load(f)
            except ValueError:  # a step that failed without its result
                log("report: %s is not JSON; left out" % path)

    def get(name, *keys):
        v = r.get(name)
        for k in keys:
            if not isinstance(v, dict):
                return None
            v = v.get(k)
        return v

    def ratio(x, y):
        return round(x / y, 3) if x and y else None

    ing100, ing1000 = get("ingest_100", "msgs_per_s"), get("ingest_1000", "msgs_per_s")
    bare100, bare1000 = get("bare_100", "msgs_per_s"), get("bare_1000", "msgs_per_s")
    inbox, nginx = get("wrk_inbox", "rps"), get("wrk_nginx", "rps")
    out = {
        # headline figures: ingest and the bare loop at batch 1000
        "ingest_msgs_per_s": ing1000,
        "bare_loop_msgs_per_s": bare1000,
        "ingest_ratio": ratio(ing1000, bare1000),
        "list_p50_ms": get("list", "list", "p50_ms"),
        "list_p99_ms": get("list", "list", "p99_ms"),
        "search_p50_ms": get("search", "search", "p50_ms"),
        "search_p95_ms": get("search", "search", "p95_ms"),
        "inbox_rps": inbox,
        "nginx_rps": nginx,
        "inbox_ratio": ratio(inbox, nginx),
        "rss_mb": get("rss", "hwm_mb"),
        "messages": get("store", "messages"),
        "inbox_page_p50_ms": get("pages", "pages", "inbox", "p50_ms"),
        "inbox_page_p99_ms": get("pages", "pages", "inbox", "p99_ms"),
        "assets_gzip_kb": get("pages", "assets_gzip_total_kb"),
        "triage_msgs_per_s": get("triage", "triage_msgs_per_s"),
        "triage_rules": get("triage", "triage_rules"),
        "language_accuracy": get("triage", "language_accuracy"),
        "language_set": get("triage", "language_set"),
        "email_ingest_mails_per_s": get("email", "email_ingest_mails_per_s"),
        "hook_deliveries_per_s": get("hooks", "hook_deliveries_per_s"),
        # details
        "email": get("email"),
        "hooks": get("hooks"),
        "pages": get("pages", "pages"),
        "inbox_page_bytes": get("pages", "inbox_page_bytes"),
        "assets_gzip_bytes": get("pages", "assets_gzip_bytes"),
        "ingest_batch100_msgs_per_s": ing100,
        "bare_loop_batch100_msgs_per_s": bare100,
        "ingest_ratio_batch100": ratio(ing100, bare100),
        "ingest_batch1000_msgs_per_s": ing1000,
        "bare_loop_batch1000_msgs_per_s": bare1000,
        "bare_loop_savepoint_batch100_msgs_per_s": get("bare_sp_100", "msgs_per_s"),
        "bare_loop_savepoint_batch1000_msgs_per_s": get("bare_sp_1000", "msgs_per_s"),
        "ingest_clients": get("ingest_1000", "clients"),
        "ingest_request_p99_ms_batch100": get("ingest_100", "request", "p99_ms"),
        "ingest_request_p99_ms_batch1000": get("ingest_1000", "request", "p99_ms"),
        "ingest_messages": get("ingest_1000", "messages"),
        "ingest_rss_mb": get("ingest_rss", "hwm_mb"),
        "load_method": get("store", "method"),
        "load_msgs_per_s": get("store", "msgs_per_s"),
        "conversations": get("store", "conversations"),
        "contacts": get("store", "contacts"),
        "open_conversations": get("store", "open"),
        "db_mb": get("store", "db_mb"),
        "list_all_p99_ms": get("list", "list_all", "p99_ms"),
        "list_open_p99_ms": get("list", "list_open", "p99_ms"),
        "list_paging_p50_ms": get("list", "list_pages", "p50_ms"),
        "list_paging_p99_ms": get("list", "list_pages", "p99_ms"),
        "search_by_word": get("search", "search_by_word"),
        "inbox_body_bytes": get("body", "bytes"),
        "wrk_inbox_non2xx": get("wrk_inbox", "non2xx"),
        "wrk_inbox_latency_p50": get("wrk_inbox", "p50"),
        "wrk_inbox_latency_p99": get("wrk_inbox", "p99"),
        "inbox_cpu_ms_per_req": get("wrk_inbox", "cpu_ms_per_req"),
        "nginx_cpu_ms_per_req": get("wrk_nginx", "cpu_ms_per_req"),
        "rss_now_mb": get("rss", "rss_mb"),
        "server_log_warnings": get("serverlog", "warnings"),
        "server_log_errors": get("serverlog", "errors"),
        "load_avg": get("load"),
        "targets_met": None,
    }
    checks = {
        "ingest_ratio>=0.7": (out["ingest_ratio"] or 0) >= 0.7,
        "list_p99<=5ms": out["list_p99_ms"] is not None and out["list_p99_ms"] <= 5,
        "search_p95<=20ms": out["search_p95_ms"] is not None and out["search_p95_ms"] <= 20,
        "inbox_ratio>=0.3": (out["inbox_ratio"] or 0) >= 0.3,
        "rss<=64MB": out["rss_mb"] is not None and out["rss_mb"] <= 64,
        "inbox_page_p99<=10ms": out["inbox_page_p99_ms"] is not None and out["inbox_page_p99_ms"] <= 10,
        "js_css<=100KB": out["assets_gzip_kb"] is not None and out["assets_gzip_kb"] <= 100,
        "triage>=50000/s": (out["triage_msgs_per_s"] or 0) >= 50000,
        "language_accuracy>=0.99": (out["language_accuracy"] or 0) >= 0.99,
    }
    out["targets_met"] = checks

    # PostgreSQL (null when BENCH_PG=0): the same figures, and ingest with two nodes.
    pg_ing, pg2 = get("pg_ingest", "msgs_per_s"), get("pg_two_nodes", "msgs_per_s")
    pg_inbox = get("pg_wrk_inbox", "rps")
    pg = {
        "pg_ingest_msgs_per_s": pg_ing,
        "pg_two_nodes_ingest_msgs_per_s": pg2,
        "pg_list_p50_ms": get("pg_list", "list", "p50_ms"),
        "pg_list_p99_ms": get("pg_list", "list", "p99_ms"),
        "pg_search_p50_ms": get("pg_search", "search", "p50_ms"),
        "pg_search_p95_ms": get("pg_search", "search", "p95_ms"),
        "pg_inbox_rps": pg_inbox,
        "pg_rss_mb": get("pg_rss", "hwm_mb"),
        "pg_messages": get("pg_store", "messages"),
        # details
        "pg_ingest_vs_sqlite": ratio(pg_ing, ing1000),
        "pg_two_nodes_vs_one": ratio(pg2, pg_ing),
        "pg_inbox_ratio": ratio(pg_inbox, nginx),
        "pg_ingest_request_p99_ms": get("pg_ingest", "request", "p99_ms"),
        "pg_ingest_rss_mb": get("pg_ingest_rss", "hwm_mb"),
        "pg_ingest_conversations": get("pg_ingest_db", "conversations"),
        "pg_two_nodes_request_p99_ms": get("pg_two_nodes", "request", "p99_ms"),
        "pg_two_nodes_conflicts": get("pg_two_nodes", "conflicts"),
        "pg_two_nodes_error": get("pg_two_nodes", "error"),
        "pg_two_nodes_by_author_ingest_msgs_per_s": get("pg_two_nodes_by_author", "msgs_per_s"),
        "pg_two_nodes_by_author_messages_per_node": get("pg_two_nodes_by_author", "messages_per_node"),
        "pg_two_nodes_by_author_conflicts": get("pg_two_nodes_by_author", "conflicts"),
        "pg_two_nodes_by_author_error": get("pg_two_nodes_by_author", "error"),
        "pg_two_nodes_by_author_stored_messages": get("pg_two_nodes_by_author_db", "messages"),
        "pg_two_nodes_messages_per_node": get("pg_two_nodes", "messages_per_node"),
        "pg_two_nodes_stored_messages": get("pg_two_nodes_db", "messages"),
        "pg_two_nodes_conversations": get("pg_two_nodes_db", "conversations"),
        "pg_load_method": get("pg_store", "method"),
        "pg_load_msgs_per_s": get("pg_store", "msgs_per_s"),
        "pg_conversations": get("pg_store", "conversations"),
        "pg_open_conversations": get("pg_store", "open"),
        "pg_db_mb": get("pg_store", "db_mb"),
        "pg_list_all_p99_ms": get("pg_list", "list_all", "p99_ms"),
        "pg_list_open_p99_ms": get("pg_list", "list_open", "p99_ms"),
        "pg_list_paging_p50_ms": get("pg_list", "list_pages", "p50_ms"),
        "pg_list_paging_p99_ms": get("pg_list", "list_pages", "p99_ms"),
        "pg_search_by_word": get("pg_search", "search_by_word"),
        "pg_wrk_inbox_non2xx": get("pg_wrk_inbox", "non2xx"),
        "pg_wrk_inbox_latency_p50": get("pg_wrk_inbox", "p50"),
        "pg_wrk_inbox_latency_p99": get("pg_wrk_inbox", "p99"),
        "pg_inbox_cpu_ms_per_req": get("pg_wrk_inbox", "cpu_ms_per_req"),
        "pg_inbox_db_cpu_ms_per_req": get("pg_wrk_inbox", "db_cpu_ms_per_req"),
        "pg_rss_now_mb": get("pg_rss", "rss_mb"),
        "pg_server_log_warnings": get("pg_serverlog", "warnings"),
        "pg_server_log_errors": get("pg_serverlog", "errors"),
        "pg_settings": get("pg_settings"),
        "pg_targets_met": None,
    }
    if pg_ing is not None:
        pg["pg_targets_met"] = {
            "list_p99<=5ms": pg["pg_list_p99_ms"] is not None and pg["pg_list_p99_ms"] <= 5,
            "search_p95<=20ms": pg["pg_search_p95_ms"] is not None and pg["pg_search_p95_ms"] <= 20,
            "inbox_ratio>=0.3": (pg["pg_inbox_ratio"] or 0) >= 0.3,
            "rss<=64MB": pg["pg_rss_mb"] is not None and pg["pg_rss_mb"] <= 64,
        }
    out.update(pg)
    print(json.dumps(out, ensure_ascii=False))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ingest")
    for k in ("--url", "--token", "--file"):
        p.add_argument(k, required=True)
    p.add_argument("--messages", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--retry-conflicts", type=int, default=0)
    p.add_argument("--route", choices=("any", "author"), default="any")
    p = sub.add_parser("latency")
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--mode", choices=("list", "search"), required=True)
    p = sub.add_parser("pages")
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--requests", type=int, required=True)
    p = sub.add_parser("body")
    for k in ("--url", "--token", "--path", "--out"):
        p.add_argument(k, required=True)
    p = sub.add_parser("report")
    p.add_argument("dir")
    a = ap.parse_args()
    {"ingest": cmd_ingest, "latency": cmd_latency, "pages": cmd_pages, "body": cmd_body,
     "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()

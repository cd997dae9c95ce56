#!/usr/bin/env bash
# bench/run.sh: cluetrain's benchmarks. Progress on stderr; the last line on
# stdout is one JSON object with the figures (see bench/README.md).
#
#   CLUETRAIN=build/cluetrain bench/run.sh
#
# Knobs (environment):
#   CLUETRAIN              the binary (default build/cluetrain)
#   BENCH_MESSAGES         size of the large store (default 1000000)
#   BENCH_INGEST_MESSAGES  messages per ingest run (default 100000)
#   BENCH_CLIENTS          concurrent ingest clients (default 4)
#   BENCH_LIST_REQUESTS    list requests (default 2000)
#   BENCH_SEARCH_REQUESTS  search requests (default 1000)
#   BENCH_WRK_SECONDS      seconds per wrk run (default 10)
#   BENCH_PG=0             skip the PostgreSQL figures (default 1: measure them)
#   BENCH_EMAILS           mails in the IMAP benchmark's mailbox (default 10000)
#   BENCH_HOOKS            signed webhook deliveries (default 20000)
#   BENCH_KEEP=1           keep the temporary folder (its path is printed)
#   BENCH_ONLY=triage      only the triage figures (seconds instead of an hour)
#   TRIAGE_BENCH           the triage benchmark binary (make bench builds it)
#
# Everything happens under one mktemp -d folder on loopback (127.0.0.1); every
# process started here is stopped on exit, the PostgreSQL cluster too.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
CLUETRAIN=${CLUETRAIN:-build/cluetrain}
MESSAGES=${BENCH_MESSAGES:-1000000}
INGEST_MESSAGES=${BENCH_INGEST_MESSAGES:-100000}
CLIENTS=${BENCH_CLIENTS:-4}
LIST_REQUESTS=${BENCH_LIST_REQUESTS:-2000}
SEARCH_REQUESTS=${BENCH_SEARCH_REQUESTS:-1000}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
PG=${BENCH_PG:-1}
ONLY=${BENCH_ONLY:-}
TRIAGE_BENCH=${TRIAGE_BENCH:-build/bench/triage_bench}
SEED=20261123

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

case "$CLUETRAIN" in /*) ;; *) CLUETRAIN="$PWD/$CLUETRAIN" ;; esac
[ -x "$CLUETRAIN" ] || die "no binary at $CLUETRAIN (build it, or set CLUETRAIN=path)"
for tool in python3 wrk nginx curl cc sqlite3 pkg-config; do
	command -v "$tool" >/dev/null || die "$tool is missing (scripts/deps.sh bench installs it)"
done
[ "$INGEST_MESSAGES" -le "$MESSAGES" ] || die "BENCH_INGEST_MESSAGES must not exceed BENCH_MESSAGES"
PG_BIN=
if [ "$PG" = 1 ]; then
	PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	[ -x "$PG_BIN/initdb" ] || die "PostgreSQL is missing (scripts/deps.sh test installs it; BENCH_PG=0 skips it)"
	command -v psql >/dev/null || die "psql is missing (BENCH_PG=0 skips PostgreSQL)"
	if [ "$(id -u)" = 0 ]; then # PostgreSQL refuses to run as root
		command -v runuser >/dev/null || die "runuser is missing (as root the cluster runs as the user postgres)"
		id postgres >/dev/null 2>&1 || die "as root the cluster runs as the user postgres, which is missing"
	fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cluetrain-bench.XXXXXX")
RES=$TMP/results
mkdir -p "$RES"
PIDS=() # every background process started here
PGDATA_DIR= # the PostgreSQL cluster, once started

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$PGDATA_DIR" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
		pg_stop || say "warning: could not stop PostgreSQL in $PGDATA_DIR"
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() { # drop $1 from PIDS
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

# run OUT CMD...: run CMD with stdout to OUT, in the background so that a
# signal to this script stops it at once (bash runs traps only between
# foreground commands); returns CMD's exit status.
run() {
	local out=$1 pid rc=0
	shift
	"$@" >"$out" &
	pid=$!
	PIDS+=("$pid")
	wait "$pid" || rc=$?
	forget_pid "$pid"
	return "$rc"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stop a process: TERM, then KILL after 30 s.
stop_pid() {
	local pid=$1 _
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget_pid "$pid"
}

# new_install NAME [DATABASE_URL]: a fresh installation in $TMP/NAME (its
# database in PostgreSQL when a URL is given); sets DATA and TOKEN.
new_install() {
	DATA=$TMP/$1
	"$CLUETRAIN" init --data "$DATA" ${2:+--database "$2"} >"$TMP/$1.init.log" 2>&1 || {
		cat "$TMP/$1.init.log" >&2
		die "cluetrain init failed"
	}
	TOKEN=$("$CLUETRAIN" token add --data "$DATA" --name bench --role admin 2>>"$TMP/$1.init.log" | tail -n 1)
	[ -n "$TOKEN" ] || die "cluetrain token add printed no token"
}

# start_server: serve $DATA on a free port; sets SERVER_PID, PORT, URL, SERVER_LOG.
start_server() {
	PORT=$(free_port)
	URL=http://127.0.0.1:$PORT
	SERVER_LOG=$TMP/$(basename "$DATA").server.log
	"$CLUETRAIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >>"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	local _ code
	for _ in $(seq 600); do
		kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$SERVER_LOG" >&2; die "the server exited"; }
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
			"$URL/api/v1/conversations?limit=1" || true)
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	die "the server did not answer within 60 s (last status $code)"
}

# rss_json PID FILE: peak and current resident size of PID as JSON.
rss_json() {
	python3 - "$1" >"$2" <<'EOF'
import json, sys
f = {}
for line in open("/proc/%s/status" % sys.argv[1]):
    k, _, v = line.partition(":")
    f[k] = v.split()
print(json.dumps({"hwm_mb": round(int(f["VmHWM"][0]) / 1024, 1), "rss_mb": round(int(f["VmRSS"][0]) / 1024, 1),
                  "threads": int(f["Threads"][0])}))
EOF
}

# serverlog_json OUT LOG...: what the servers logged: warnings, errors, slow
# requests (the log has ms per request).
serverlog_json() {
	local out=$1 f
	shift
	python3 - "$@" >"$out" <<'EOF'
import collections, json, re, sys
warn, err, slow = collections.Counter(), collections.Counter(), collections.Counter()
status = collections.Counter()
for path in sys.argv[1:]:
    for line in open(path, errors="replace"):
        m = re.search(r"level=(\w+) event=(\S+)", line)
        if not m:
            continue
        level, event = m.groups()
        if level == "warn":
            warn[event] += 1
        elif level == "error":
            err[event] += 1
        if event == "http.request":
            st = re.search(r" status=(\d+)", line).group(1)
            p = re.search(r" path=(\S+)", line).group(1)
            ms = int(re.search(r" ms=(\d+)", line).group(1))
            status[st] += 1
            if ms >= 50 and not p.endswith("/messages"):
                slow[p] += 1
print(json.dumps({"warnings": dict(warn), "errors": dict(err), "status": dict(status),
                  "slow_reads_50ms": dict(slow)}))
EOF
	for f in "$@"; do
		grep -E 'level=(warn|error)' "$f" | head -n 5 | sed "s|^|bench: $(basename "$f"): |" >&2 || true
	done
}

# ---------------------------------------------------------------- PostgreSQL helpers
# as_pg CMD...: run CMD as the cluster's owner (PostgreSQL refuses to run as
# root, so as root that is the user postgres), from / (which it can enter).
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

# pg_start: a throwaway cluster in $TMP/pgdata on a free loopback port, with
# PostgreSQL's default durability: fsync, synchronous_commit and
# full_page_writes on, so a commit returns once its WAL is on disk (as SQLite
# with synchronous=FULL). Only 127.0.0.1; local connections are trusted.
# Sets PGDATA_DIR, PG_PORT, PG_PID (the postmaster).
pg_start() {
	local dir=$TMP/pgdata
	mkdir -m 700 "$dir"
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$TMP" # postgres must reach its folder; it can list nothing here
		chown postgres: "$dir"
	fi
	as_pg "$PG_BIN/initdb" -D "$dir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$TMP/pg.initdb.log" 2>&1 || {
		cat "$TMP/pg.initdb.log" >&2
		die "initdb failed"
	}
	PG_PORT=$(free_port)
	PGDATA_DIR=$dir
	as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 120 \
		-o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories='$dir'" \
		start >"$TMP/pg.start.log" 2>&1 || {
		cat "$TMP/pg.start.log" >&2
		tail -n 20 "$dir/server.log" >&2 || true
		die "PostgreSQL did not start"
	}
	PG_PID=$(head -n 1 "$dir/postmaster.pid")
}

pg_stop() {
	as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 120 stop >/dev/null
}

# pg_url DB: the URL of database DB as the superuser.
pg_url() { echo "postgres://postgres@127.0.0.1:$PG_PORT/$1"; }

# pg_sql DB SQL...: run statements in DB; prints the rows unaligned.
pg_sql() {
	local db=$1 args=() q
	shift
	for q in "$@"; do args+=(-c "$q"); done
	psql -X -q -A -t -v ON_ERROR_STOP=1 "$(pg_url "$db")" "${args[@]}"
}

# pg_newdb NAME: create the database NAME; sets PG_DB_URL.
pg_newdb() {
	pg_sql postgres "CREATE DATABASE $1 ENCODING 'UTF8' TEMPLATE template0"
	PG_DB_URL=$(pg_url "$1")
}

# pg_counts DB: rows and size of DB as JSON.
pg_counts() {
	pg_sql "$1" "SELECT json_build_object('messages', (SELECT count(*) FROM messages),
		'conversations', (SELECT count(*) FROM conversations), 'contacts', (SELECT count(*) FROM contacts),
		'open', (SELECT count(*) FROM conversations WHERE status = 'open'),
		'db_mb', round(pg_database_size(current_database()) / 1048576.0, 1))"
}

# two_nodes DB NAME ROUTE: ingest the first $INGEST_MESSAGES messages into the
# new database DB through two nodes, the clients split between them, into
# $RES/NAME.json (client.py's --route ROUTE); then compare what is stored with
# the one-node run ($RES/pg_ingest_db.json). Two writers may collide on a new
# contact or thread: a batch answered 409 (rolled back) is sent again, up to 5
# times, and counted; a failure is reported in the JSON, the bench goes on.
two_nodes() {
	local db=$1 name=$2 route=$3 node1 node2 pid1 url1
	pg_newdb "$db"
	new_install "$name-node1" "$PG_DB_URL"
	node1=$DATA
	node2=$TMP/$name-node2
	mkdir -m 700 "$node2"
	install -m 0600 "$node1/cluetrain.conf" "$node1/secret.key" "$node2/"
	start_server
	pid1=$SERVER_PID url1=$URL
	DATA=$node2
	start_server
	say "PostgreSQL, two nodes ($url1, $URL), route $route: $INGEST_MESSAGES messages, batches of 1000, $CLIENTS clients"
	run "$RES/$name.json" python3 "$BENCH_DIR/client.py" ingest --url "$url1,$URL" --token "$TOKEN" \
		--file "$MSGS" --messages "$INGEST_MESSAGES" --batch 1000 --clients "$CLIENTS" \
		--retry-conflicts 5 --route "$route" ||
		say "warning: ingest through two nodes failed: $(cat "$RES/$name.json")"
	stop_pid "$pid1"
	stop_pid "$SERVER_PID"
	pg_counts "$db" >"$RES/${name}_db.json"
	say "  stored: $(cat "$RES/${name}_db.json")"
	python3 - "$RES/pg_ingest_db.json" "$RES/${name}_db.json" <<'EOF' ||
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:3])
diff = {k: (one[k], two[k]) for k in ("messages", "conversations", "contacts") if one[k] != two[k]}
sys.exit("bench: one node vs two nodes (%s): %s" % (sys.argv[2], diff) if diff else 0)
EOF
		say "warning: the two-node store differs from the one-node store"
}

# ---------------------------------------------------------------- preparation
say "temporary folder $TMP"
# The machine may be shared: record its load (1-minute average) around the run.
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
say "load average before the run: $LOAD_START (figures are noisy when other work runs)"

# ---------------------------------------------------------------- triage
# One core: the Stadtwerk concept grown to 50 rules over the demo messages and
# the language test set; then language detection accuracy on that set.
case "$TRIAGE_BENCH" in /*) ;; *) TRIAGE_BENCH="$PWD/$TRIAGE_BENCH" ;; esac
[ -x "$TRIAGE_BENCH" ] || die "no triage benchmark at $TRIAGE_BENCH (make bench builds it)"
say "triage: 50 rules, one core"
run "$RES/triage.json" taskset -c 0 "$TRIAGE_BENCH" "$ROOT/docs/examples/concept-stadtwerk.yaml" \
	"$ROOT/demo/stadtwerk.jsonl" "$ROOT/tests/data/language/mixed.tsv" 50
say "  $(cat "$RES/triage.json")"
if [ "$ONLY" = triage ]; then
	python3 "$BENCH_DIR/client.py" report "$RES"
	exit 0
fi

say "e-mail: ${BENCH_EMAILS:-10000} mails through IMAP (Dovecot), GMime and ingest"
run "$RES/email.json" env CLUETRAIN="$CLUETRAIN" python3 "$BENCH_DIR/email_bench.py" \
	--mails "${BENCH_EMAILS:-10000}"
say "  $(cat "$RES/email.json")"

say "webhooks: ${BENCH_HOOKS:-20000} signed Meta deliveries, $CLIENTS clients"
run "$RES/hooks.json" env CLUETRAIN="$CLUETRAIN" python3 "$BENCH_DIR/hooks_bench.py" \
	--deliveries "${BENCH_HOOKS:-20000}" --clients "$CLIENTS"
say "  $(cat "$RES/hooks.json")"

say "generating $MESSAGES messages (seed $SEED)"
MSGS=$TMP/messages.jsonl
run /dev/null python3 "$BENCH_DIR/gen.py" --messages "$MESSAGES" --seed "$SEED" --out "$MSGS"

say "building the bare loop"
BARE=$TMP/bare_loop
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" -o "$BARE" "$BENCH_DIR/bare_loop.c" \
	"$ROOT/src/store/fts_stem.c" "$ROOT/src/core/wordchar.c" "$ROOT/src/core/buf.c" \
	"$ROOT/src/core/timeutil.c" \
	$(pkg-config --cflags --libs sqlite3 jansson libutf8proc) -lstemmer

# ---------------------------------------------------------------- 1, 2: ingest
for batch in 100 1000; do
	new_install "bare$batch"
	say "bare loop: $INGEST_MESSAGES messages, transactions of $batch"
	run "$RES/bare_$batch.json" "$BARE" "$DATA/cluetrain.db" "$MSGS" "$INGEST_MESSAGES" "$batch"
	say "  $(cat "$RES/bare_$batch.json")"
	rm -rf "$DATA"
	new_install "baresp$batch"
	say "bare loop with a savepoint per batch (as the server's writer): transactions of $batch"
	run "$RES/bare_sp_$batch.json" "$BARE" "$DATA/cluetrain.db" "$MSGS" "$INGEST_MESSAGES" "$batch" savepoint
	say "  $(cat "$RES/bare_sp_$batch.json")"
	rm -rf "$DATA"

	new_install "ingest$batch"
	start_server
	say "HTTP ingest: $INGEST_MESSAGES messages, batches of $batch, $CLIENTS clients"
	run "$RES/ingest_$batch.json" python3 "$BENCH_DIR/client.py" ingest --url "$URL" --token "$TOKEN" \
		--file "$MSGS" --messages "$INGEST_MESSAGES" --batch "$batch" --clients "$CLIENTS"
	[ "$batch" = 1000 ] && rss_json "$SERVER_PID" "$RES/ingest_rss.json"
	stop_pid "$SERVER_PID"
	rm -rf "$DATA"
done

# ---------------------------------------------------------------- 3: the large store
new_install store
DB=$DATA/cluetrain.db
say "loading $MESSAGES messages"
t0=$(date +%s.%N)
method=import
if ! run "$TMP/import.log" "$CLUETRAIN" import --data "$DATA" "$MSGS" 2>"$TMP/import.err"; then
	tail -n 5 "$TMP/import.log" "$TMP/import.err" >&2
	say "cluetrain import failed: loading over HTTP instead"
	rm -rf "$DATA"
	new_install store
	method=http
	start_server
	run "$RES/load.json" python3 "$BENCH_DIR/client.py" ingest --url "$URL" --token "$TOKEN" \
		--file "$MSGS" --messages "$MESSAGES" --batch 1000 --clients "$CLIENTS"
	rss_json "$SERVER_PID" "$RES/load_rss.json"
	stop_pid "$SERVER_PID"
fi
t1=$(date +%s.%N)

# Most conversations of a real inbox are done: resolve all but the last two
# weeks' and every tenth older one, so status=open is a selective filter.
say "resolving older conversations (sqlite3 on the stopped store)"
sqlite3 "$DB" "UPDATE conversations SET status = 'resolved', resolved_at = last_activity_at + 3600000
	WHERE id % 10 <> 0 AND last_activity_at < (SELECT max(last_activity_at) FROM conversations) - 14 * 86400000;" \
	|| say "warning: could not resolve conversations; status=open matches every conversation"
python3 - "$DB" "$method" "$t0" "$t1" >"$RES/store.json" <<'EOF'
import json, os, sqlite3, sys
db, method, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
one = lambda q: c.execute(q).fetchone()[0]
n = one("SELECT count(*) FROM messages")
size = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
print(json.dumps({"messages": n, "conversations": one("SELECT count(*) FROM conversations"),
                  "contacts": one("SELECT count(*) FROM contacts"),
                  "open": one("SELECT count(*) FROM conversations WHERE status = 'open'"),
                  "method": method, "seconds": round(t1 - t0, 1), "msgs_per_s": round(n / (t1 - t0), 1),
                  "db_mb": round(size / 1048576, 1)}))
EOF
say "  $(cat "$RES/store.json")"

start_server
say "server on $URL (pid $SERVER_PID)"
LOAD_READS=$(cut -d' ' -f1 /proc/loadavg)
run "$RES/list.json" python3 "$BENCH_DIR/client.py" latency --url "$URL" --token "$TOKEN" \
	--mode list --requests "$LIST_REQUESTS"
run "$RES/search.json" python3 "$BENCH_DIR/client.py" latency --url "$URL" --token "$TOKEN" \
	--mode search --requests "$SEARCH_REQUESTS"
run "$RES/pages.json" python3 "$BENCH_DIR/client.py" pages --url "$URL" --token "$TOKEN" \
	--requests "$LIST_REQUESTS"

# ---------------------------------------------------------------- 4: wrk, next to nginx
INBOX_PATH="/api/v1/conversations?limit=50"
NG=$TMP/nginx
mkdir -p "$NG/www" "$NG/tmp"
python3 "$BENCH_DIR/client.py" body --url "$URL" --token "$TOKEN" --path "$INBOX_PATH" \
	--out "$NG/www/inbox.json" >"$RES/body.json"
NGINX_PORT=$(free_port)
NGINX_V=$(nginx -V 2>&1)
{
	[ "$(id -u)" = 0 ] && echo "user root;"
	cat <<EOF
daemon off;
master_process on;
worker_processes auto;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $NG/tmp/body;
EOF
	for m in proxy fastcgi uwsgi scgi; do # only the modules this nginx has
		case "$NGINX_V" in *"--without-http_${m}_module"*) ;; *) echo "	${m}_temp_path $NG/tmp/$m;" ;; esac
	done
	cat <<EOF
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $NG/www;
		location / { default_type application/json; }
	}
}
EOF
} >"$NG/nginx.conf"
nginx -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
for _ in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/inbox.json" || true)" = 200 ] && break
	kill -0 "$NGINX_PID" 2>/dev/null || { cat "$NG/error.log" >&2; die "nginx exited"; }
	sleep 0.1
done

# cpu_ticks PID: CPU time (clock ticks) used by PID and its children processes.
cpu_ticks() {
	local total=0 p t
	for p in "$1" $(cat "/proc/$1/task/$1/children" 2>/dev/null || true); do
		# utime and stime are fields 14 and 15; the name in () may hold spaces
		t=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || continue
		total=$((total + t))
	done
	echo "$total"
}

# run_wrk NAME URL PID [HEADER]: wrk -t2 -c32 into $RES/NAME.json, with the
# CPU time that PID (and its children) spent per request; and with DB_PID set,
# that of the database server (the postmaster and its backends).
run_wrk() {
	local name=$1 url=$2 pid=$3 out=$TMP/$1.txt c0 c1 d0=0 d1=0
	shift 3
	say "wrk -t2 -c32 -d${WRK_SECONDS}s $url"
	c0=$(cpu_ticks "$pid")
	if [ -n "${DB_PID:-}" ]; then d0=$(cpu_ticks "$DB_PID"); fi
	run "$out" wrk -t2 -c32 -d"${WRK_SECONDS}s" --latency "$@" "$url"
	c1=$(cpu_ticks "$pid")
	if [ -n "${DB_PID:-}" ]; then d1=$(cpu_ticks "$DB_PID"); fi
	python3 - "$out" "$((c1 - c0))" "$(getconf CLK_TCK)" "${DB_PID:+$((d1 - d0))}" >"$RES/$name.json" <<'EOF'
import json, re, sys
t = open(sys.argv[1]).read()
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
db_ticks = int(sys.argv[4]) if sys.argv[4:] and sys.argv[4] else None
rps = re.search(r"Requests/sec:\s*([\d.]+)", t)
total = re.search(r"(\d+) requests in", t)
non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", t)
p = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", t, re.M))
n = int(total.group(1)) if total else 0
print(json.dumps({"rps": float(rps.group(1)) if rps else None, "requests": n,
                  "non2xx": int(non2xx.group(1)) if non2xx else 0, "p50": p.get("50"), "p99": p.get("99"),
                  "cpu_ms_per_req": round(ticks * 1000.0 / hz / n, 4) if n else None,
                  "db_cpu_ms_per_req": round(db_ticks * 1000.0 / hz / n, 4) if n and db_ticks is not None else None}))
EOF
	say "  $(cat "$RES/$name.json")"
}
run_wrk wrk_inbox "$URL$INBOX_PATH" "$SERVER_PID" -H "Authorization: Bearer $TOKEN"
run_wrk wrk_nginx "http://127.0.0.1:$NGINX_PORT/inbox.json" "$NGINX_PID"
stop_pid "$NGINX_PID"

# ---------------------------------------------------------------- 5: peak RSS
rss_json "$SERVER_PID" "$RES/rss.json"
say "server memory: $(cat "$RES/rss.json")"
stop_pid "$SERVER_PID"

serverlog_json "$RES/serverlog.json" "$TMP"/*.server.log
say "server log: $(cat "$RES/serverlog.json")"

# ---------------------------------------------------------------- 6: PostgreSQL
# The same ingest and read figures with the database in PostgreSQL (a cluster
# of its own, durable), and ingest through two nodes on one database.
LOAD_PG=null LOAD_PG_READS=null
if [ "$PG" = 1 ]; then
	LOAD_PG=$(cut -d' ' -f1 /proc/loadavg)
	pg_start
	pg_sql postgres "SELECT json_build_object('version', current_setting('server_version'),
		'fsync', current_setting('fsync'), 'synchronous_commit', current_setting('synchronous_commit'),
		'full_page_writes', current_setting('full_page_writes'), 'wal_sync_method', current_setting('wal_sync_method'),
		'shared_buffers', current_setting('shared_buffers'), 'max_wal_size', current_setting('max_wal_size'))" \
		>"$RES/pg_settings.json"
	say "PostgreSQL on 127.0.0.1:$PG_PORT: $(cat "$RES/pg_settings.json")"
	[ "$(pg_sql postgres "SELECT current_setting('fsync') = 'on' AND current_setting('synchronous_commit') = 'on'")" = t ] ||
		die "the PostgreSQL cluster is not durable (fsync and synchronous_commit must be on)"

	# 6a: ingest into a fresh database through one node, as the SQLite ingest run
	pg_newdb bench_ingest
	new_install pg-ingest "$PG_DB_URL"
	start_server
	say "PostgreSQL, HTTP ingest: $INGEST_MESSAGES messages, batches of 1000, $CLIENTS clients"
	run "$RES/pg_ingest.json" python3 "$BENCH_DIR/client.py" ingest --url "$URL" --token "$TOKEN" \
		--file "$MSGS" --messages "$INGEST_MESSAGES" --batch 1000 --clients "$CLIENTS"
	rss_json "$SERVER_PID" "$RES/pg_ingest_rss.json"
	stop_pid "$SERVER_PID"
	pg_counts bench_ingest >"$RES/pg_ingest_db.json"
	say "  stored: $(cat "$RES/pg_ingest_db.json")"

	# 6b: the same messages into another fresh database (none is a duplicate
	# there) through two nodes: a second data folder with copies of
	# cluetrain.conf and secret.key. The clients split between the nodes and
	# take the next batch, so both nodes store messages of the same contacts
	# and conversations at once (pg_two_nodes); and, as a second figure, each
	# message goes to the node its author is routed to, so the nodes share no
	# contact or conversation (pg_two_nodes_by_author).
	two_nodes bench_two_nodes pg_two_nodes any
	two_nodes bench_two_nodes_by_author pg_two_nodes_by_author author

	# 6c: the large store, loaded and resolved as the SQLite one
	pg_newdb bench_store
	new_install pg-store "$PG_DB_URL"
	say "PostgreSQL: loading $MESSAGES messages"
	t0=$(date +%s.%N)
	method=import
	if ! run "$TMP/pg-import.log" "$CLUETRAIN" import --data "$DATA" "$MSGS" 2>"$TMP/pg-import.err"; then
		tail -n 5 "$TMP/pg-import.log" "$TMP/pg-import.err" >&2
		say "cluetrain import failed: loading over HTTP instead"
		rm -rf "$DATA"
		pg_sql postgres "DROP DATABASE bench_store"
		pg_newdb bench_store
		new_install pg-store "$PG_DB_URL"
		method=http
		start_server
		run "$RES/pg_load.json" python3 "$BENCH_DIR/client.py" ingest --url "$URL" --token "$TOKEN" \
			--file "$MSGS" --messages "$MESSAGES" --batch 1000 --clients "$CLIENTS"
		stop_pid "$SERVER_PID"
	fi
	t1=$(date +%s.%N)
	say "resolving older conversations, then VACUUM ANALYZE (what autovacuum does in time)"
	pg_sql bench_store "UPDATE conversations SET status = 'resolved', resolved_at = last_activity_at + 3600000
		WHERE id % 10 <> 0 AND last_activity_at < (SELECT max(last_activity_at) FROM conversations) - 14 * 86400000" \
		"VACUUM ANALYZE" >/dev/null
	python3 - "$(pg_counts bench_store)" "$method" "$t0" "$t1" >"$RES/pg_store.json" <<'EOF'
import json, sys
d, method, t0, t1 = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
d.update({"method": method, "seconds": round(t1 - t0, 1), "msgs_per_s": round(d["messages"] / (t1 - t0), 1)})
print(json.dumps(d))
EOF
	say "  $(cat "$RES/pg_store.json")"

	start_server
	say "server on $URL (pid $SERVER_PID), database bench_store"
	LOAD_PG_READS=$(cut -d' ' -f1 /proc/loadavg)
	run "$RES/pg_list.json" python3 "$BENCH_DIR/client.py" latency --url "$URL" --token "$TOKEN" \
		--mode list --requests "$LIST_REQUESTS"
	run "$RES/pg_search.json" python3 "$BENCH_DIR/client.py" latency --url "$URL" --token "$TOKEN" \
		--mode search --requests "$SEARCH_REQUESTS"
	DB_PID=$PG_PID run_wrk pg_wrk_inbox "$URL$INBOX_PATH" "$SERVER_PID" -H "Authorization: Bearer $TOKEN"
	rss_json "$SERVER_PID" "$RES/pg_rss.json"
	say "server memory: $(cat "$RES/pg_rss.json")"
	stop_pid "$SERVER_PID"
	serverlog_json "$RES/pg_serverlog.json" "$TMP"/pg[-_]*.server.log
	say "server log (PostgreSQL): $(cat "$RES/pg_serverlog.json")"
	pg_stop
fi

printf '{"start": %s, "before_reads": %s, "before_pg": %s, "before_pg_reads": %s, "end": %s, "cpus": %s}\n' \
	"$LOAD_START" "$LOAD_READS" "$LOAD_PG" "$LOAD_PG_READS" "$(cut -d' ' -f1 /proc/loadavg)" "$(nproc)" >"$RES/load.json"
python3 "$BENCH_DIR/client.py" report "$RES"

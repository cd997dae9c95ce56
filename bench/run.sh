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
#   BENCH_KEEP=1           keep the temporary folder (its path is printed)
#
# Everything happens under one mktemp -d folder on loopback (127.0.0.1); every
# process started here is stopped on exit.
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
SEED=20261123

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

case "$CLUETRAIN" in /*) ;; *) CLUETRAIN="$PWD/$CLUETRAIN" ;; esac
[ -x "$CLUETRAIN" ] || die "no binary at $CLUETRAIN (build it, or set CLUETRAIN=path)"
for tool in python3 wrk nginx curl cc sqlite3 pkg-config; do
	command -v "$tool" >/dev/null || die "$tool is missing (scripts/deps.sh bench installs it)"
done
[ "$INGEST_MESSAGES" -le "$MESSAGES" ] || die "BENCH_INGEST_MESSAGES must not exceed BENCH_MESSAGES"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cluetrain-bench.XXXXXX")
RES=$TMP/results
mkdir -p "$RES"
PIDS=() # every background process started here

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
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

# new_install NAME: a fresh installation in $TMP/NAME; sets DATA and TOKEN.
new_install() {
	DATA=$TMP/$1
	"$CLUETRAIN" init --data "$DATA" >"$TMP/$1.init.log" 2>&1 || {
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

# ---------------------------------------------------------------- preparation
say "temporary folder $TMP"
# The machine may be shared: record its load (1-minute average) around the run.
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
say "load average before the run: $LOAD_START (figures are noisy when other work runs)"
say "generating $MESSAGES messages (seed $SEED)"
MSGS=$TMP/messages.jsonl
run /dev/null python3 "$BENCH_DIR/gen.py" --messages "$MESSAGES" --seed "$SEED" --out "$MSGS"

say "building the bare loop"
BARE=$TMP/bare_loop
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" -o "$BARE" "$BENCH_DIR/bare_loop.c" \
	"$ROOT/src/store/fts_stem.c" "$ROOT/src/core/buf.c" "$ROOT/src/core/timeutil.c" \
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

# run_wrk NAME URL PID [HEADER]: wrk -t2 -c32 into $RES/wrk_NAME.json, with the
# CPU time that PID (and its children) spent per request.
run_wrk() {
	local name=$1 url=$2 pid=$3 out=$TMP/wrk_$1.txt c0 c1
	shift 3
	say "wrk -t2 -c32 -d${WRK_SECONDS}s $url"
	c0=$(cpu_ticks "$pid")
	run "$out" wrk -t2 -c32 -d"${WRK_SECONDS}s" --latency "$@" "$url"
	c1=$(cpu_ticks "$pid")
	python3 - "$out" "$((c1 - c0))" "$(getconf CLK_TCK)" >"$RES/wrk_$name.json" <<'EOF'
import json, re, sys
t = open(sys.argv[1]).read()
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
rps = re.search(r"Requests/sec:\s*([\d.]+)", t)
total = re.search(r"(\d+) requests in", t)
non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", t)
p = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", t, re.M))
n = int(total.group(1)) if total else 0
print(json.dumps({"rps": float(rps.group(1)) if rps else None, "requests": n,
                  "non2xx": int(non2xx.group(1)) if non2xx else 0, "p50": p.get("50"), "p99": p.get("99"),
                  "cpu_ms_per_req": round(ticks * 1000.0 / hz / n, 4) if n else None}))
EOF
	say "  $(cat "$RES/wrk_$name.json")"
}
run_wrk inbox "$URL$INBOX_PATH" "$SERVER_PID" -H "Authorization: Bearer $TOKEN"
run_wrk nginx "http://127.0.0.1:$NGINX_PORT/inbox.json" "$NGINX_PID"
stop_pid "$NGINX_PID"

# ---------------------------------------------------------------- 5: peak RSS
rss_json "$SERVER_PID" "$RES/rss.json"
say "server memory: $(cat "$RES/rss.json")"
stop_pid "$SERVER_PID"

# What the server logged: warnings, errors, slow requests (the log has ms per request).
python3 - "$TMP" >"$RES/serverlog.json" <<'EOF'
import collections, glob, json, re, sys
warn, err, slow = collections.Counter(), collections.Counter(), collections.Counter()
status = collections.Counter()
for path in glob.glob(sys.argv[1] + "/*.server.log"):
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
say "server log: $(cat "$RES/serverlog.json")"
for f in "$TMP"/*.server.log; do
	grep -E 'level=(warn|error)' "$f" | head -n 5 | sed "s|^|bench: $(basename "$f"): |" >&2 || true
done

printf '{"start": %s, "before_reads": %s, "end": %s, "cpus": %s}\n' "$LOAD_START" "$LOAD_READS" \
	"$(cut -d' ' -f1 /proc/loadavg)" "$(nproc)" >"$RES/load.json"
python3 "$BENCH_DIR/client.py" report "$RES"

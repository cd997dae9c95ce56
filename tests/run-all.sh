#!/usr/bin/env bash
# run-all.sh: every test suite and quality gate of cluetrain, with one total.
#
# Called by `make test` (after scripts/deps.sh test). Each suite runs even when
# an earlier one failed; its output goes to a log file, and a failing suite's
# last lines are shown. Counting:
#   - suites with JUnit XML (cmocka unit tests, pytest integration tests,
#     node's browser tests) count each test case: passed, failed (failure or
#     error) or skipped;
#   - every other gate (a build, lint, clang-format, cppcheck, a fuzz corpus
#     replay or fuzz run) counts as one test, passed or failed;
#   - a suite that should have produced XML but exited non-zero without a
#     recorded failure (a crash, a missing binary, no tests) counts one failure.
# The last line is the total, "N passed, N failed, N skipped"; the exit status
# is 1 when anything failed.
#
# Environment:
#   BUILD=build          plain gcc build; the others are $BUILD-clang,
#                        $BUILD-asan and $BUILD-fuzz
#   FUZZ_CI_SECONDS=N    also fuzz each target for N seconds (.ci/run sets it)
#   INTEGRATION_TIMEOUT  seconds one integration run may take (default 2400)
#   E2E_TIMEOUT          seconds the browser tests may take (default 600)
#
# The browser tests (tests/e2e/test_*.mjs) run with Node's test runner in
# Debian's Chromium through playwright-core (web/node_modules), against the
# plain build; their screenshots go to $OUT/screenshots. A missing node,
# Chromium or playwright-core counts as a failure, not a skip.
#
# The integration suite runs three times: the plain build and the ASan+UBSan
# build on SQLite (the default backend), and the ASan+UBSan build on
# PostgreSQL (a test that passes under the sanitizers passes without them; a
# fourth run, plain on PostgreSQL, would add a quarter of an hour and no
# finding). The unit tests of the store run on both backends, plain and under
# the sanitizers. PostgreSQL runs in a throwaway cluster (tests/pg/cluster.sh) that this
# script starts on a free loopback port in a folder under /tmp (as root the
# cluster runs as the user postgres, who may not enter the checkout) and
# stops and removes at the end; its server log is copied to $OUT.
set -u
cd "$(dirname "$0")/.." || exit 2

BUILD=${BUILD:-build}
B_GCC=$BUILD
B_CLANG=$BUILD-clang
B_ASAN=$BUILD-asan
B_FUZZ=$BUILD-fuzz
OUT=$BUILD/test-results
FUZZ_CI_SECONDS=${FUZZ_CI_SECONDS:-0}
INTEGRATION_TIMEOUT=${INTEGRATION_TIMEOUT:-2400}
E2E_TIMEOUT=${E2E_TIMEOUT:-600}
CHROMIUM=/usr/bin/chromium
PYTHON=/usr/bin/python3
MAKE_CMD=${MAKE:-make}
# Sanitizer settings for every run of an ASan+UBSan binary (no effect on others).
ASAN_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

rm -rf "$OUT"
mkdir -p "$OUT"
unset CLUETRAIN_TEST_PG # set per suite below

# One row per suite: name, passed, failed, skipped, seconds, note.
ROWS=()
T_PASSED=0
T_FAILED=0
T_SKIPPED=0
FAILED_SUITES=()

now() { date +%s.%N; }

# record NAME PASSED FAILED SKIPPED START [NOTE]
record() {
	local name=$1 p=$2 f=$3 s=$4 start=$5 note=${6:-}
	local secs
	secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	ROWS+=("$name|$p|$f|$s|$secs|$note")
	T_PASSED=$((T_PASSED + p))
	T_FAILED=$((T_FAILED + f))
	T_SKIPPED=$((T_SKIPPED + s))
	local verdict=ok
	[ "$f" -gt 0 ] && verdict=FAILED && FAILED_SUITES+=("$name${note:+ ($note)}")
	printf '%-28s %-6s %5ss  %s\n' "$name" "$verdict" "$secs" "$note"
}

# show_tail LOG: the end of a failing suite's log, indented.
show_tail() {
	[ -s "$1" ] || return 0
	echo "    --- last lines of $1"
	tail -n 30 "$1" | sed 's/^/    | /'
}

slug() { echo "$1" | tr -c 'A-Za-z0-9_\n-' '_'; }

# gate NAME COMMAND...: a command that passes or fails as one test.
gate() {
	local name=$1
	shift
	local log
	log="$OUT/$(slug "$name").log"
	local start
	start=$(now)
	if "$@" </dev/null >"$log" 2>&1; then
		record "$name" 1 0 0 "$start"
	else
		record "$name" 0 1 0 "$start" "see $log"
		show_tail "$log"
	fi
}

# junit_counts FILE...: "passed failed skipped" over every test case in the files.
junit_counts() {
	"$PYTHON" - "$@" <<'PY'
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        failed += 1  # missing or truncated XML: the run did not finish
        continue
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
print(passed, failed, skipped)
PY
}

# junit_failures FILE...: one line per failed test case in the files,
# "file (relative to $OUT): class::name: first line of the message", so that the end of the
# output (all that some CI logs keep) names what failed.
junit_failures() {
	OUT=$OUT "$PYTHON" - "$@" <<'PY'
import os
import sys
import xml.etree.ElementTree as ET

for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        continue
    for case in root.iter("testcase"):
        for child in case:
            if child.tag in ("failure", "error"):
                msg = (child.get("message") or child.text or "").strip().splitlines()
                first = msg[0][:160] if msg else ""
                print("%s: %s::%s: %s" % (os.path.relpath(path, os.environ.get("OUT", ".")),
                                         case.get("classname", ""), case.get("name", ""),
                                         first))
                break
PY
}

# ---- suites ----------------------------------------------------------------

suite_lint() {
	local check
	for check in banned header store page; do
		gate "lint $check" scripts/lint.sh "$check"
	done
}

suite_format() {
	gate "clang-format" "$MAKE_CMD" --no-print-directory format-check
}

suite_cppcheck() {
	gate "cppcheck" "$MAKE_CMD" --no-print-directory cppcheck BUILD="$B_GCC"
}

suite_build_gcc() {
	gate "build gcc" "$MAKE_CMD" --no-print-directory -j2 BUILD="$B_GCC" all
}

suite_build_clang() {
	# the unit tests too, so that they stay warning-free under clang
	gate "build clang" "$MAKE_CMD" --no-print-directory -j2 CC=clang BUILD="$B_CLANG" all unit
}

suite_build_asan() {
	gate "build asan" "$MAKE_CMD" --no-print-directory -j2 SAN=1 BUILD="$B_ASAN" all
}

# unit NAME BUILD [make args...]: build and run every tests/unit/test_*.c.
suite_unit() {
	local name=$1 build=$2
	shift 2
	local start log dir
	start=$(now)
	log="$OUT/$(slug "$name").log"
	dir="$OUT/$(slug "$name")"
	mkdir -p "$dir"
	if ! "$MAKE_CMD" --no-print-directory -j2 BUILD="$build" "$@" unit </dev/null >"$log" 2>&1; then
		record "$name" 0 1 0 "$start" "build failed, see $log"
		show_tail "$log"
		return
	fi
	local p=0 f=0 s=0 np nf ns src t xml rc counts
	for src in tests/unit/${UNIT_TESTS:-test_*}.c; do
		t=$(basename "$src" .c)
		xml="$dir/$t.xml"
		rm -f "$xml"
		echo "== $t" >>"$log"
		env "${ASAN_ENV[@]}" CMOCKA_MESSAGE_OUTPUT=xml CMOCKA_XML_FILE="$xml" \
			timeout -k 10 300 "$build/tests/$t" </dev/null >>"$log" 2>&1
		rc=$?
		read -r np nf ns <<<"$(junit_counts "$xml")"
		if [ "$rc" -ne 0 ] && [ "$nf" -eq 0 ]; then
			nf=1 # exited non-zero without a recorded failure: a crash
			echo "$t: exit status $rc without a recorded failure" >>"$log"
		fi
		p=$((p + np)) f=$((f + nf)) s=$((s + ns))
	done
	counts=""
	[ "$f" -gt 0 ] && counts="see $log and $dir/"
	record "$name" "$p" "$f" "$s" "$start" "$counts"
	[ "$f" -gt 0 ] && grep -hE '^\[  (FAILED|ERROR) |^\[   LINE|exit status' "$log" | head -n 20 | sed 's/^/    | /'
	return 0
}

# integration NAME BINARY [env assignments...]: pytest over tests/integration.
suite_integration() {
	local name=$1 bin=$2
	shift 2
	local start log xml
	start=$(now)
	log="$OUT/$(slug "$name").log"
	xml="$OUT/$(slug "$name").xml"
	if [ ! -d tests/integration ] || [ -z "$(find tests/integration -name 'test_*.py' -print -quit)" ]; then
		record "$name" 0 1 0 "$start" "no tests in tests/integration"
		return
	fi
	if [ ! -x "$bin" ]; then
		record "$name" 0 1 0 "$start" "$bin was not built"
		return
	fi
	env "$@" CLUETRAIN_BIN="$PWD/$bin" timeout -k 30 "$INTEGRATION_TIMEOUT" \
		"$PYTHON" -m pytest tests/integration -q -p no:cacheprovider --junitxml="$xml" \
		</dev/null >"$log" 2>&1
	local rc=$? p f s note=""
	read -r p f s <<<"$(junit_counts "$xml")"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		note="pytest exit status $rc"
		[ "$rc" -eq 124 ] && note="timed out after ${INTEGRATION_TIMEOUT}s"
		[ "$rc" -eq 5 ] && note="no tests collected"
	fi
	[ "$f" -gt 0 ] && note="${note:+$note, }see $log"
	record "$name" "$p" "$f" "$s" "$start" "$note"
	[ "$f" -gt 0 ] && show_tail "$log"
	return 0
}

# fakes: the fake services of tests/fakes (Mastodon, X, Meta, Telegram, the
# webhook receiver) tested on their own, so that a connector test that fails
# points at the connector and not at a fake that drifted from the documented API.
suite_fakes() {
	local start log xml
	start=$(now)
	log="$OUT/fakes.log"
	xml="$OUT/fakes.xml"
	timeout -k 30 600 "$PYTHON" -m pytest tests/fakes -q -p no:cacheprovider \
		--junitxml="$xml" </dev/null >"$log" 2>&1
	local rc=$? p f s note=""
	read -r p f s <<<"$(junit_counts "$xml")"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		note="pytest exit status $rc"
	fi
	[ "$f" -gt 0 ] && note="${note:+$note, }see $log"
	record "fakes" "$p" "$f" "$s" "$start" "$note"
	[ "$f" -gt 0 ] && show_tail "$log"
	return 0
}

# node_junit: true when this node has the junit test reporter (Node >= 20.10).
node_junit() {
	local v major minor
	v=$(node --version 2>/dev/null) || return 1
	v=${v#v}
	major=${v%%.*}
	minor=${v#*.}
	minor=${minor%%.*}
	[ "$major" -gt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -ge 10 ]; }
}

# tap_counts FILE: "passed failed skipped" over the test cases in node's TAP
# output, as junit_counts does: a result line ("ok 3 - name", "not ok 4 -
# name", indented for subtests) counts unless it is a parent, which follows
# the result of its last subtest, more deeply indented; "# SKIP" and "# TODO"
# count as skipped.
tap_counts() {
	awk '
		/^ *(not )?ok [0-9]+/ {
			ind = match($0, /[^ ]/) - 1
			parent = seen && prev > ind
			seen = 1
			prev = ind
			if (parent) next
			if ($0 ~ /# (SKIP|TODO)/) s++
			else if ($0 ~ /^ *not ok/) f++
			else p++
		}
		END { print p + 0, f + 0, s + 0 }' "$1" 2>/dev/null || echo "0 1 0"
}

# e2e NAME BINARY: node's test runner over tests/e2e/test_*.mjs in Chromium.
suite_e2e() {
	local name=$1 bin=$2
	local start log xml tests
	start=$(now)
	log="$OUT/e2e.log"
	xml="$OUT/e2e.xml"
	# Named files: node --test on the folder would look only for its own
	# default names (*.test.mjs, test-*.mjs, ...), not test_*.mjs.
	tests=(tests/e2e/test_*.mjs)
	if [ ! -e "${tests[0]}" ]; then
		record "$name" 0 1 0 "$start" "no tests in tests/e2e"
		return
	fi
	if ! command -v node >/dev/null; then
		record "$name" 0 1 0 "$start" "node is missing (scripts/deps.sh installs it)"
		return
	fi
	if [ ! -x "$CHROMIUM" ]; then
		record "$name" 0 1 0 "$start" "$CHROMIUM is missing (scripts/deps.sh test installs it)"
		return
	fi
	if [ ! -f web/node_modules/playwright-core/package.json ]; then
		record "$name" 0 1 0 "$start" "web/node_modules lacks playwright-core (scripts/deps.sh runs npm ci)"
		return
	fi
	if [ ! -x "$bin" ]; then
		record "$name" 0 1 0 "$start" "$bin was not built"
		return
	fi
	local rc p f s note="" e2e_env
	e2e_env=(CLUETRAIN_BIN="$PWD/$bin" E2E_SCREENSHOTS="$OUT/screenshots")
	if node_junit; then
		env "${e2e_env[@]}" timeout -k 30 "$E2E_TIMEOUT" \
			node --test --test-reporter=junit --test-reporter-destination="$xml" \
			--test-reporter=spec --test-reporter-destination=stdout "${tests[@]}" \
			</dev/null >"$log" 2>&1
		rc=$?
		read -r p f s <<<"$(junit_counts "$xml")"
	else
		local tap="$OUT/e2e.tap"
		env "${e2e_env[@]}" timeout -k 30 "$E2E_TIMEOUT" \
			node --test --test-reporter=tap "${tests[@]}" </dev/null >"$tap" 2>"$log"
		rc=$?
		cat "$tap" >>"$log"
		read -r p f s <<<"$(tap_counts "$tap")"
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		[ "$f" -eq 0 ] && f=1
		note="timed out after ${E2E_TIMEOUT}s"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		note="node --test exit status $rc"
	elif [ $((p + f + s)) -eq 0 ]; then
		f=1
		note="no test ran"
	fi
	[ "$f" -gt 0 ] && note="${note:+$note, }see $log"
	record "$name" "$p" "$f" "$s" "$start" "$note"
	[ "$f" -gt 0 ] && show_tail "$log"
	return 0
}

# ---- PostgreSQL -------------------------------------------------------------

PG_DIR=""
PG_URL=""

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	tests/pg/cluster.sh stop "$PG_DIR" >/dev/null 2>&1
	cp "$PG_DIR/server.log" "$OUT/postgres-server.log" 2>/dev/null
	rm -rf "$(dirname "$PG_DIR")"
	PG_DIR=""
	PG_URL=""
}

# Start the throwaway cluster; counts as one test (its log tells why it failed).
suite_pg_start() {
	local start port log
	start=$(now)
	log="$OUT/postgres-cluster.log"
	port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	PG_DIR=$(mktemp -d /tmp/cluetrain-test-pg.XXXXXX)
	chmod 755 "$PG_DIR" # the user postgres enters it; the data folder inside is 0700
	PG_DIR=$PG_DIR/data
	trap pg_stop EXIT
	if PG_URL=$(tests/pg/cluster.sh start "$PG_DIR" "$port" 2>"$log"); then
		record "postgres cluster" 1 0 0 "$start" "port $port"
	else
		PG_URL=""
		record "postgres cluster" 0 1 0 "$start" "see $log"
		show_tail "$log"
	fi
}

# on_pg SUITE ARGS...: a suite with CLUETRAIN_TEST_PG set, or one failure
# when the cluster is not running.
on_pg() {
	local name=$2
	if [ -z "$PG_URL" ]; then
		record "$name" 0 1 0 "$(now)" "no PostgreSQL cluster"
		return
	fi
	CLUETRAIN_TEST_PG=$PG_URL "$@"
}

FUZZ_TARGETS=()
for src in fuzz/fuzz_*.c; do
	[ -e "$src" ] && FUZZ_TARGETS+=("$(basename "$src" .c)")
done

suite_fuzz() {
	local start log t
	start=$(now)
	log="$OUT/fuzz-build.log"
	if ! "$MAKE_CMD" --no-print-directory -j2 FUZZ=1 BUILD="$B_FUZZ" fuzz-build \
		</dev/null >"$log" 2>&1; then
		for t in "${FUZZ_TARGETS[@]}"; do
			record "fuzz replay $t" 0 1 0 "$start" "fuzz build failed, see $log"
		done
		show_tail "$log"
		return
	fi
	for t in "${FUZZ_TARGETS[@]}"; do
		gate "fuzz replay $t" fuzz/run.sh replay "$B_FUZZ" "$t"
	done
	if [ "$FUZZ_CI_SECONDS" -gt 0 ]; then
		for t in "${FUZZ_TARGETS[@]}"; do
			gate "fuzz ${FUZZ_CI_SECONDS}s $t" fuzz/run.sh fuzz "$B_FUZZ" "$FUZZ_CI_SECONDS" "$t"
		done
	fi
}

# ---- run -------------------------------------------------------------------

T0=$(now)
echo "cluetrain tests: logs in $OUT/"
suite_lint
suite_format
suite_cppcheck
suite_build_gcc
suite_build_clang
suite_build_asan
suite_unit "unit" "$B_GCC"
suite_unit "unit asan" "$B_ASAN" SAN=1
suite_integration "integration" "$B_GCC/cluetrain"
suite_fakes
suite_e2e "browser (chromium)" "$B_GCC/cluetrain"
suite_integration "integration asan" "$B_ASAN/cluetrain" "${ASAN_ENV[@]}"
suite_pg_start
UNIT_TESTS=test_store on_pg suite_unit "unit postgres" "$B_GCC"
UNIT_TESTS=test_store on_pg suite_unit "unit postgres asan" "$B_ASAN" SAN=1
on_pg suite_integration "integration postgres asan" "$B_ASAN/cluetrain" "${ASAN_ENV[@]}"
pg_stop
suite_fuzz

# ---- summary ---------------------------------------------------------------

echo
printf '%-28s %7s %7s %7s %8s  %s\n' SUITE PASSED FAILED SKIPPED SECONDS NOTE
for row in "${ROWS[@]}"; do
	IFS='|' read -r name p f s secs note <<<"$row"
	printf '%-28s %7s %7s %7s %8s  %s\n' "$name" "$p" "$f" "$s" "$secs" "$note"
done
printf '%-28s %7s %7s %7s %8s\n' TOTAL "$T_PASSED" "$T_FAILED" "$T_SKIPPED" \
	"$(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
# What failed, last, where a CI log that keeps only the end still shows it.
if [ "$T_FAILED" -gt 0 ]; then
	echo
	echo "What failed (details in $OUT/):"
	printf '  suite %s\n' "${FAILED_SUITES[@]}"
	mapfile -d '' XMLS < <(find "$OUT" -name '*.xml' -print0 | sort -z)
	[ "${#XMLS[@]}" -gt 0 ] && junit_failures "${XMLS[@]}" | head -n 40 | sed 's/^/  /'
fi
echo
echo "$T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
[ "$T_FAILED" -eq 0 ]

#!/bin/sh
# run.sh: replay or run the libFuzzer targets built by `make fuzz-build FUZZ=1`.
#
#   fuzz/run.sh replay BUILD [TARGET...]       run each seed corpus once (no fuzzing)
#   fuzz/run.sh fuzz BUILD SECONDS [TARGET...] fuzz each target for SECONDS
#
# Seeds live in fuzz/corpus/<target>/ (committed). New inputs found while
# fuzzing go to BUILD/fuzz/corpus/<target>/, crash reproducers to
# BUILD/fuzz/artifacts/; copy an interesting one into fuzz/corpus/ to keep it.
# fuzz/<target>.dict, when present, is passed as the libFuzzer dictionary.
# Exits non-zero when any target failed.
set -u

usage() { echo "usage: $0 replay BUILD [TARGET...] | fuzz BUILD SECONDS [TARGET...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
mode=$1 build=$2
shift 2
seconds=0
if [ "$mode" = fuzz ]; then
	[ $# -ge 1 ] || usage
	seconds=$1
	shift
fi
[ "$mode" = replay ] || [ "$mode" = fuzz ] || usage

here=$(cd "$(dirname "$0")" && pwd)
targets=$*
if [ -z "$targets" ]; then
	for src in "$here"/fuzz_*.c; do
		targets="$targets $(basename "$src" .c)"
	done
fi

failed=0
for t in $targets; do
	bin=$build/fuzz/$t
	seeds=$here/corpus/$t
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is missing (make fuzz-build FUZZ=1 BUILD=$build)" >&2
		failed=1
		continue
	fi
	if [ "$mode" = replay ]; then
		echo "== replay $t ($(ls "$seeds" | wc -l) seeds)"
		"$bin" -runs=0 "$seeds" || failed=1
	else
		mkdir -p "$build/fuzz/corpus/$t" "$build/fuzz/artifacts"
		dict=""
		[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
		echo "== fuzz $t for ${seconds}s"
		# shellcheck disable=SC2086
		"$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 $dict \
			-print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$t-" \
			"$build/fuzz/corpus/$t" "$seeds" || failed=1
	fi
done
exit $failed

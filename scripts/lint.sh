#!/bin/sh
# lint.sh: source rules that the compilers do not check.
#
#   scripts/lint.sh            every check
#   scripts/lint.sh CHECK...   only these: banned, header, store, page
#
# banned  src/ calls none of sprintf vsprintf strcpy strcat strtok atoi gets
#         (use snprintf, buf_printf, memcpy with a known length, strtol).
# header  every .c and .h file in src/ begins with a comment paragraph that
#         says what the file is for.
# store   nothing in src/ outside src/store/ includes sqlite3.h or libpq-fe.h:
#         the rest of the program goes through store.h, whatever the backend.
# page    page code (src/web/, except the printer html.c) writes HTML only
#         through html_printf with a literal format: no buf_ appends, no
#         response bodies or raw JSON set by hand (see src/web/html.h).
#
# Prints each offending line as file:line: message and exits 1 if any check
# failed.
set -u
cd "$(dirname "$0")/.." || exit 2

BANNED='sprintf|vsprintf|strcpy|strcat|strtok|atoi|gets'

c_files() {
	find src -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort
}

check_banned() {
	# A call is the name, not preceded by an identifier character, '.' or
	# '->', followed by '('. Lines that are comments are skipped.
	c_files | xargs awk -v banned="$BANNED" '
		/^[ \t]*(\*|\/\*|\/\/)/ { next }
		{
			rest = $0
			re = "(^|[^A-Za-z0-9_.>])(" banned ")[ \t]*[(]"
			while (match(rest, re)) {
				call = substr(rest, RSTART, RLENGTH)
				sub(/^[^a-z]/, "", call)
				sub(/[ \t]*[(]$/, "", call)
				printf "%s:%d: %s() is banned\n", FILENAME, FNR, call
				bad = 1
				rest = substr(rest, RSTART + RLENGTH)
			}
		}
		END { exit bad }'
}

check_header() {
	# The file opens with "/*", and that comment holds at least four words.
	c_files | xargs awk '
		function verdict() {
			if (!opened)
				printf "%s:1: must begin with a comment paragraph saying what the file is for\n", file
			else if (words < 4)
				printf "%s:1: the opening comment is too short to say what the file is for\n", file
			if (!opened || words < 4)
				bad = 1
		}
		FNR == 1 {
			if (file != "")
				verdict()
			file = FILENAME
			opened = /^\/\*/
			inside = opened
			words = 0
		}
		inside {
			line = $0
			if (sub(/\*\/.*/, "", line))
				inside = 0
			gsub(/[\/*]/, " ", line)
			words += split(line, w, " ")
		}
		END {
			if (file != "")
				verdict()
			exit bad
		}'
}

check_store() {
	c_files | grep -v '^src/store/' |
		xargs grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](sqlite3|libpq-fe)\.h[>"]' /dev/null |
		sed -E 's/^([^:]+:[0-9]+):.*[<"]([a-z0-9-]+\.h)[>"].*/\1: includes \2 outside src\/store\/ (use store\/store.h)/' |
		grep . && return 1
	return 0
}

check_page() {
	# LINT_PAGE_DIR lets the lint's own test point the check at a sample.
	dir=${LINT_PAGE_DIR:-src/web}
	[ -d "$dir" ] || return 0
	find "$dir" -name '*.c' ! -name html.c | LC_ALL=C sort | xargs -r awk '
		/^[ \t]*(\*|\/\*|\/\/)/ { next }
		/(^|[^A-Za-z0-9_])buf_(append|puts|printf|vprintf)[ \t]*[(]/ {
			printf "%s:%d: page code must write through html_printf\n", FILENAME, FNR; bad = 1
		}
		/(->|[.])body([^_A-Za-z0-9]|$)|http_(raw_json|html)[ \t]*[(]/ {
			printf "%s:%d: page code must not set a response body by hand\n", FILENAME, FNR; bad = 1
		}
		/html_printf[ \t]*[(][^,]*,[ \t]*[^" \t]/ {
			printf "%s:%d: html_printf needs a literal format\n", FILENAME, FNR; bad = 1
		}
		END { exit bad }'
}

checks=${*:-banned header store page}
failed=0
for c in $checks; do
	case "$c" in
	banned | header | store | page) ;;
	*) echo "lint.sh: unknown check '$c' (banned, header, store, page)" >&2; exit 2 ;;
	esac
	if "check_$c"; then
		echo "lint $c: ok"
	else
		echo "lint $c: FAILED"
		failed=1
	fi
done
exit $failed

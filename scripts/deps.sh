#!/bin/sh
# deps.sh: install the Debian packages cluetrain needs that are missing.
#
#   scripts/deps.sh          what building and running needs
#   scripts/deps.sh test     also what the test suites need
#   scripts/deps.sh bench    also what the benchmarks need
#
# Works as root or, through sudo, as a normal user. Installs nothing when
# everything is present, so it is cheap to call before every build.
#
# The build embeds htmx from npm (web/package.json), so every set also needs
# Node.js and npm: Debian's nodejs and npm are installed only when the node or
# npm command is missing (a Node.js from elsewhere, such as NodeSource's with
# npm bundled, is left alone), and then `npm ci` fills web/node_modules from
# web/package-lock.json when it is missing or older than the lock file. npm
# runs as the invoking user (under `sudo deps.sh`, as SUDO_USER), never as
# root through sudo. The test set adds Debian's Chromium (/usr/bin/chromium)
# for the browser tests in tests/e2e, which playwright-core drives.
set -eu

build_pkgs="make gcc pkg-config libc6-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev
libsodium-dev libcurl4-openssl-dev libpq-dev libstemmer-dev libutf8proc-dev gettext libcrack2-dev
cracklib-runtime liboath-dev libgmime-3.0-dev locales zlib1g-dev tzdata libyaml-dev libpcre2-dev
libicu-dev libexttextcat-dev libexttextcat-data libgit2-dev"
test_pkgs="clang libclang-rt-14-dev llvm libcmocka-dev clang-format cppcheck python3
python3-pytest curl sqlite3 procps postfix oathtool postgresql chromium dovecot-imapd"
bench_pkgs="wrk nginx-light curl python3 sqlite3 procps postgresql dovecot-imapd"

pkgs=$build_pkgs
for extra in "$@"; do
	case "$extra" in
	test) pkgs="$pkgs $test_pkgs" ;;
	bench) pkgs="$pkgs $bench_pkgs" ;;
	*) echo "deps.sh: unknown set '$extra' (test, bench)" >&2; exit 2 ;;
	esac
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || sudo="missing"
	[ "$sudo" = missing ] || sudo="sudo"
fi

# The languages the program speaks need their locales for per-user text.
ensure_locales() {
	for loc in de_DE.UTF-8 en_US.UTF-8; do
		norm=$(echo "$loc" | sed 's/UTF-8/utf8/')
		locale -a 2>/dev/null | grep -qx "$norm" && continue
		echo "Generating locale $loc"
		$sudo sed -i "s/^# *$loc UTF-8/$loc UTF-8/" /etc/locale.gen
		grep -q "^$loc UTF-8" /etc/locale.gen || echo "$loc UTF-8" | $sudo tee -a /etc/locale.gen >/dev/null
		$sudo locale-gen >/dev/null
	done
}

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# Commands, not packages: a node from elsewhere may bundle its own npm, and
# Debian's npm would conflict with it.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	echo "Installing missing Debian packages:$missing"
	[ "$sudo" = missing ] && { echo "deps.sh: run as root or install sudo" >&2; exit 1; }
	export DEBIAN_FRONTEND=noninteractive
	# The tests use Postfix's smtp-sink only: no mail server is set up.
	echo "postfix postfix/main_mailer_type select No configuration" |
		$sudo debconf-set-selections 2>/dev/null || true
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing
fi
ensure_locales

# web/node_modules from the lock file, when it is missing, incomplete (an
# interrupted install) or older than the lock file (npm ci leaves its own copy
# of the lock at node_modules/.package-lock.json).
web_modules_stale() {
	[ -f web/package-lock.json ] || return 1
	[ -f web/node_modules/.package-lock.json ] || return 0
	[ -z "$(find web/package-lock.json -newer web/node_modules/.package-lock.json)" ] || return 0
	sed -n 's|^ *"\(node_modules/[^"]*\)": {$|\1|p' web/package-lock.json |
		while read -r m; do [ -f "web/$m/package.json" ] || exit 1; done && return 1
	return 0
}
cd "$(dirname "$0")/.."
if web_modules_stale; then
	echo "Installing web/node_modules (npm ci)"
	if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
		sudo -u "$SUDO_USER" -H npm ci --prefix web --no-audit --no-fund
	else
		npm ci --prefix web --no-audit --no-fund
	fi
fi
